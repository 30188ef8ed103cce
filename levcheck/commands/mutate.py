"""`levcheck mutate`: the battery's mutation score (levcheck/mutate/)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..chain.build import ROOT
from ..chain.project import BUNDLED_SCENARIOS
from ..exitcodes import ExitCode
from .argtypes import at_least, fraction

NAME = "mutate"
HELP = "mutation score: mutants of the contracts (slither-mutate + spec-aware operators) run through the battery"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contracts", default="contracts", help="folder of .sol files to mutate (default: contracts)")
    p.add_argument("--only", action="append", default=None, help="mutate only files whose path ends with this (repeatable)")
    p.add_argument("--max-mutants", type=at_least(1), default=None, help="run a seeded sample of this many mutants")
    p.add_argument("--seed", type=int, default=0, help="sample and fuzz seed (default 0): same seed, same run")
    p.add_argument("--fuzz-examples", type=at_least(1), default=20, help="examples of each mutant's fuzz campaign (default 20)")
    p.add_argument("--fuzz-steps", type=at_least(1), default=10, help="rules per example of that campaign (default 10)")
    p.add_argument("--no-slither", action="store_true", help="only levcheck's spec-aware operators")
    p.add_argument("--mutant", action="append", default=None, metavar="ID",
                   help="run only this mutant (its id or a unique prefix, as the report prints it; repeatable)")
    p.add_argument("--scenarios", default=str(BUNDLED_SCENARIOS), help="regression scenarios (default tests/scenarios)")
    p.add_argument("--triage", default=str(ROOT / "mutation-triage.toml"), help="accepted equivalent survivors")
    p.add_argument("--workers", type=at_least(1), default=None, help="LocalCluster workers (default: all cores)")
    p.add_argument("--scheduler", default=None, help="an existing Dask cluster (tcp://HOST:8786)")
    p.add_argument("--min-score", type=fraction, default=None, help="exit 1 below this score (0.8 or 80%%)")
    p.add_argument("--out", default="levcheck-out/mutate", help="where mutation.json, mutation.md and mutation.sarif go")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck import sarif
    from levcheck.fuzz.engine import open_engine
    from levcheck.mutate.report import markdown, sarif_run, to_json
    from levcheck.mutate.run import run_mutation

    def progress(r, done: int, total: int) -> None:
        if not args.json:
            how = r.killed_by or r.verdict.value
            print(f"  [{done}/{total}] {r.verdict.value:8s} {how:9s} {r.mutant.summary}", file=sys.stderr, flush=True)

    with open_engine(args.workers, args.scheduler) as engine:
        if not args.json:
            print(f"levcheck mutate: {engine.workers} worker(s) on {engine.address} (up in {engine.startup_seconds:.1f}s), "
                  f"seed {args.seed}", file=sys.stderr, flush=True)
        run_ = run_mutation(engine, contracts=args.contracts, seed=args.seed, max_mutants=args.max_mutants, only=args.only,
                            fuzz_examples=args.fuzz_examples, fuzz_steps=args.fuzz_steps, scenarios=args.scenarios,
                            triage=args.triage, slither=not args.no_slither, progress=progress,
                            ids=args.mutant)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = to_json(run_, ROOT)
    (out / "mutation.json").write_text(json.dumps(report, indent=1) + "\n")
    md = markdown(run_, ROOT)
    (out / "mutation.md").write_text(md)
    sarif.write(out / "mutation.sarif", [sarif_run(run_)])
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(md)
        print(f"reports: {out}/mutation.json, mutation.md, mutation.sarif")
    compiled = report["killed"] + report["survived"]
    if compiled == 0:
        print(f"levcheck mutate: error: none of the {report['run']} mutant(s) compiled: nothing was scored", file=sys.stderr)
        return ExitCode.ERROR
    if args.min_score is not None and (run_.score or 0.0) < args.min_score:
        print(f"levcheck mutate: score {100 * (run_.score or 0):.1f}% is below --min-score {100 * args.min_score:.1f}%",
              file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.PASS
