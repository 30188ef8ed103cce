"""`levcheck prove`: the Z3 proof obligations of the leverage band, reserve floor, fees and decay."""
from __future__ import annotations

import argparse
import json
import time

from ..errors import LevcheckError
from ..exitcodes import ExitCode
from .argtypes import positive

NAME = "prove"
HELP = ("prove every obligation (band, floor, fees, decay) for a parameter set: proved / counterexample "
        "(replayed) / potential / unknown, with time per obligation")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None, help="market parameter file (TOML/JSON) to prove; default: the bundled set")
    p.add_argument("--rlimit", type=positive(int, "resource units"), default=None,
                   help="Z3 resource units per obligation, shared by its encodings: the budget that decides "
                        "proved/unknown, whatever the machine's speed (default: 3,000,000)")
    p.add_argument("--timeout", type=positive(float, "seconds"), default=None,
                   help="wall-clock guard per obligation in seconds, against a runaway query (default: 60)")
    p.add_argument("--only", default=None, help="only obligations whose id starts with this (e.g. band.restore)")
    p.add_argument("--dump-smt", metavar="DIR", default=None, help="write each query as DIR/<id>.<encoding>.smt2 with named assertions")
    p.add_argument("--out", default="levcheck-out/proofs", help="where counterexample scenario files are written")
    p.add_argument("--list", action="store_true", help="list the obligations (id, statement, assumptions) and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def exit_code(results: list) -> ExitCode:
    """1 if any obligation has a replayed or potential counterexample, else 3 if any is unknown."""
    from levcheck.proofs.core import Status

    if any(r.status in (Status.COUNTEREXAMPLE, Status.POTENTIAL) for r in results):
        return ExitCode.FAILED
    if any(r.status is Status.UNKNOWN for r in results):
        return ExitCode.TIMEOUT
    return ExitCode.PASS


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.proofs.registry import iter_proofs, obligations
    from levcheck.proofs.solve import RLIMIT, WALL_GUARD_S
    from levcheck.specs.params import params_or_bundled

    params = params_or_bundled(args.params, economic=False)  # deciding economic safety is prove's job
    if args.list:
        chosen = [ob for ob in obligations(params) if args.only is None or ob.id.startswith(args.only)]
        if not chosen:
            raise LevcheckError(f"--only {args.only!r} selects no obligation; `levcheck prove --list` lists them")
        for ob in chosen:
            print(f"{ob.id}\n  {ob.statement}\n  domain: {'; '.join(ob.assumptions)}"
                  + (f"\n  relaxation: {ob.relaxation}" if ob.relaxation else ""))
        return ExitCode.PASS
    t0 = time.perf_counter()
    results: list = []
    try:
        for r in iter_proofs(params, timeout_s=args.timeout or WALL_GUARD_S, dump_smt=args.dump_smt,
                             scenario_dir=args.out, only=args.only, rlimit=args.rlimit or RLIMIT):
            results.append(r)
    except KeyboardInterrupt:
        # keep what finished: the decided obligations are printed, then the interrupt ends the run (exit 3)
        if results and not args.json:
            print(render(results, time.perf_counter() - t0, finished=False))
        raise
    total = time.perf_counter() - t0
    code = exit_code(results)
    if args.json:
        print(json.dumps({"exit_code": int(code), "seconds": round(total, 3), "params": params.to_dict(),
                          "results": [r.to_json() for r in results]}, indent=1))
        return code
    print(render(results, total))
    return code


def render(results: list, total: float, finished: bool = True) -> str:
    from levcheck.proofs.core import Status

    lines = [f"{'obligation':44s} {'status':15s} {'enc':8s} {'time':>7s}"]
    for r in results:
        lines.append(f"{r.id:44s} {r.status.value:15s} {r.encoding:8s} {r.seconds:6.2f}s")
        if r.status is not Status.PROVED:
            lines.append(f"    {r.statement}")
            if r.reason:
                lines.append(f"    why: {r.reason}")
            if r.failed_goals:
                lines.append(f"    failed goal(s): {', '.join(r.failed_goals)}")
            if r.values:
                lines.append("    values: " + ", ".join(f"{k}={v}" for k, v in r.values.items()))
            if r.scenario_file and r.scenario_file.endswith(".scenario.json"):
                lines.append(f"    scenario: {r.scenario_file} (levcheck replay {r.scenario_file})")
            elif r.scenario_file:
                lines.append(f"    counterexample file: {r.scenario_file} (values replay on the obligation's formulas)")
    counts = {s: sum(r.status is s for r in results) for s in Status}
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    if finished:
        lines.append(f"{len(results)} obligation(s) in {total:.1f}s: {summary}")
    else:
        lines.append(f"interrupted: {len(results)} obligation(s) decided before it ({total:.1f}s): {summary}")
    return "\n".join(lines)
