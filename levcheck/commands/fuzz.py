"""`levcheck fuzz`: Hypothesis-driven differential fuzzing of the contracts against the reference model."""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from ..exitcodes import ExitCode

NAME = "fuzz"
HELP = "differential fuzzing: model vs EVM after every step, invariants on both (seed always printed)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=None, help="campaign seed (default: random; always printed). Same seed, same run")
    p.add_argument("--examples", type=int, default=None, help="number of examples (default: the profile's)")
    p.add_argument("--seconds", type=float, default=None,
                   help="time budget, checked between examples; the run prints the --examples that reproduce it")
    p.add_argument("--profile", choices=("dev", "ci", "nightly"), default=None,
                   help="budget and sequence length: the Hypothesis settings profile levcheck-<name> "
                        "(default: $HYPOTHESIS_PROFILE if it names one, else dev)")
    p.add_argument("--steps", type=int, default=None, help="rules per example (default: the profile's)")
    p.add_argument("--params", default=None, help="market parameter file (TOML/JSON); default: the bundled set")
    p.add_argument("--contracts", default="contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--out", default="levcheck-out/fuzz", help="where a failing scenario file is written")
    p.add_argument("--workers", type=int, default=None,
                   help="shards, one per worker of the Dask engine (default: all cores, at most one per example); the examples "
                        "are split between them; 1 runs here without an engine")
    p.add_argument("--shard", type=int, default=None,
                   help="run shard K of the campaign alone, in this process (reproduces it: same examples, same steps)")
    p.add_argument("--scheduler", default=None, help="run the shards on an existing Dask cluster (tcp://HOST:8786) "
                   "instead of a LocalCluster started here")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--coverage", nargs="?", const="levcheck-out/coverage", default=None, metavar="DIR",
                   help="contract coverage: replay the campaign's examples on an instrumented build afterwards and write "
                        "lcov.info and coverage.html into DIR (default levcheck-out/coverage); one process, no shards")
    p.add_argument("--no-progress", "--quiet", dest="progress", action="store_false",
                   help="no live progress line on stderr (in a terminal: rewritten in place; in CI: a line every 10 s)")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.chain.verified import build_verified
    from levcheck.errors import LevcheckError
    from levcheck.fuzz.api import PROFILES, FuzzConfig, default_profile, run_fuzz
    from levcheck.fuzz.engine import default_workers
    from levcheck.report.progress import Progress
    from levcheck.specs.params import params_or_bundled

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    params = params_or_bundled(args.params)
    args.profile = args.profile or default_profile()
    if not args.json:
        print(f"levcheck fuzz: seed {seed}, profile {args.profile}", flush=True)
    progress = Progress(prog="levcheck fuzz", fuzz=args.progress)  # stderr, always: stdout stays the result
    cfg = FuzzConfig(
        seed=seed,
        profile=args.profile,
        examples=args.examples,
        seconds=args.seconds,
        steps_per_example=args.steps,
        params=params,
        artifacts=build_verified(args.contracts),
        out_dir=Path(args.out),
        progress=progress.for_fuzz(),
    )
    if args.workers is not None and args.workers < 1:
        raise LevcheckError(f"--workers must be at least 1, got {args.workers}")
    if args.coverage is not None:
        if args.shard is not None or args.scheduler or (args.workers or 1) > 1:
            raise LevcheckError("--coverage replays one campaign run in this process: drop --workers, --shard and --scheduler")
        cfg.record_examples, args.workers = True, 1
    # one shard per worker, at most one per example; a single local shard runs here (no engine to start)
    args.workers = min(args.workers or default_workers(), args.examples or PROFILES[args.profile].examples)
    if args.shard is not None or args.workers > 1 or args.scheduler:
        return _run_sharded(args, cfg, progress)
    result = run_fuzz(cfg)
    progress.end()
    cov = None
    if args.coverage is not None:
        from levcheck.report.coverage import campaign_coverage, headline, summary_info

        cov = campaign_coverage([(cfg.params, result.executed)], cfg.artifacts, args.coverage)
    if args.json:
        out = result.to_json()
        if cov is not None:
            out["contract_coverage"] = {**summary_info(cov), "lcov": str(Path(args.coverage) / "lcov.info")}
        print(json.dumps(out, indent=1))
    else:
        from levcheck.report.results_lines import results_lines

        print("\n".join(results_lines(result)))
        if result.failed and result.replay is not None:
            print(f"FAILED after {result.steps_to_failure} step(s); shrunk to {len(result.replay.steps)} step(s):")
            print(result.replay.render())
            print(f"scenario written to {result.scenario_path}; replay it with: levcheck replay {result.scenario_path}")
        else:
            print("passed: model and EVM agree on every step; no invariant violated")
        cut = "; cut by --seconds" if result.cut_by_time else ""
        print(f"seed {seed}{cut} (rerun exactly: {result.reproduce}"
              + (f" --params {args.params}" if args.params else "") + (f" --contracts {args.contracts}" if args.contracts != "contracts" else "") + ")")
        if cov is not None:
            print(f"contract coverage: {headline(cov)}; instrumented replay {cov.seconds:.1f}s (campaign {result.seconds:.1f}s); "
                  f"{Path(args.coverage) / 'lcov.info'}, {Path(args.coverage) / 'coverage.html'}")
    return ExitCode.FAILED if result.failed else ExitCode.PASS


def _run_sharded(args: argparse.Namespace, cfg, progress) -> ExitCode:
    """`--shard K`: one shard here; otherwise N shards on the engine (see levcheck/fuzz/shards.py)."""
    import dataclasses

    from levcheck.fuzz.api import PROFILES, run_fuzz
    from levcheck.fuzz.engine import open_engine
    from levcheck.fuzz.shards import ShardTask, run_one_shard, run_sharded, shard_seed

    if args.shard is not None:
        seed = shard_seed(cfg.seed, args.shard)
        # the shard's own budget: the --examples its sharded run printed, else the profile's (see shards.py)
        one = run_one_shard(ShardTask(cfg.seed, args.shard, args.examples or PROFILES[cfg.profile].examples, cfg))
        res = one.result
        if res.failed:  # minimise it like any single campaign: the same seed, up to the failing example
            res = run_fuzz(dataclasses.replace(cfg, seed=seed, examples=res.examples))
        progress.end()
        if args.json:
            out = res.to_json()
            out.update({"shard": args.shard, "shard_seed": seed, "reproduce": one.reproduce})
            print(json.dumps(out, indent=1))
        else:
            _print(res, f"shard {args.shard} of seed {cfg.seed} (shard seed {seed})", one.reproduce)
        return ExitCode.FAILED if res.failed else ExitCode.PASS
    workers = args.workers
    with open_engine(workers, args.scheduler) as engine:
        if not args.json:
            print(f"levcheck fuzz: {workers} shard(s) on {engine.address} ({engine.workers} worker(s), "
                  f"up in {engine.startup_seconds:.1f}s)", flush=True)
        sharded = run_sharded(cfg, workers, engine, on_shard=progress.shard_done if args.progress else None,
                              on_progress=progress.for_fuzz(f"{workers} shards"))
    progress.end()
    if args.json:
        print(json.dumps(sharded.to_json(), indent=1))
    else:
        for s in sharded.shards:
            r = s.result
            print(f"  shard {s.shard} (seed {s.seed}) on {s.worker}: {r.status}, {r.examples} example(s), {r.steps} step(s), "
                  f"{r.cpu_seconds:.1f} CPU-s")
        for line in sharded.reruns:
            print(f"  RE-RUN {line}")
        for line in sharded.notes:
            print(f"  note: {line}")
        how = sharded.shards[sharded.failing_shard].reproduce if sharded.failed else sharded.reproduce
        _print(sharded.merged, f"seed {cfg.seed}, {workers} shard(s)", how)
    return ExitCode.FAILED if sharded.failed else ExitCode.PASS


def _print(result, what: str, reproduce: str) -> None:
    from levcheck.report.results_lines import results_lines  # here: the invariants are slow to import for --help

    print("\n".join(results_lines(result)))
    print(f"{what}: {result.examples} example(s), {result.steps} differential step(s) in {result.seconds:.1f}s "
          f"({result.steps_per_second:.0f} steps/s, {result.cpu_seconds:.1f} CPU-s)")
    if result.failed and result.replay is not None:
        print(f"FAILED after {result.steps_to_failure} step(s); shrunk to {len(result.replay.steps)} step(s):")
        print(result.replay.render())
        if result.scenario_path:
            print(f"scenario written to {result.scenario_path}; replay it with: levcheck replay {result.scenario_path}")
    else:
        print("passed: model and EVM agree on every step; no invariant violated")
    print(f"rerun exactly: {reproduce}")
