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
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.chain.verified import build_verified
    from levcheck.fuzz.api import FuzzConfig, default_profile, run_fuzz
    from levcheck.specs.params import params_or_bundled

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    params = params_or_bundled(args.params)
    args.profile = args.profile or default_profile()
    if not args.json:
        print(f"levcheck fuzz: seed {seed}, profile {args.profile}", flush=True)
    cfg = FuzzConfig(
        seed=seed,
        profile=args.profile,
        examples=args.examples,
        seconds=args.seconds,
        steps_per_example=args.steps,
        params=params,
        artifacts=build_verified(args.contracts),
        out_dir=Path(args.out),
    )
    result = run_fuzz(cfg)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        print(
            f"{result.examples} example(s), {result.steps} differential step(s) in {result.seconds:.1f}s "
            f"({result.steps_per_second:.0f} steps/s)"
        )
        if result.failed and result.replay is not None:
            print(f"FAILED after {result.steps_to_failure} step(s); shrunk to {len(result.replay.steps)} step(s):")
            print(result.replay.render())
            print(f"scenario written to {result.scenario_path}; replay it with: levcheck replay {result.scenario_path}")
        else:
            print("passed: model and EVM agree on every step; no invariant violated")
        cut = "; cut by --seconds" if result.cut_by_time else ""
        print(f"seed {seed}{cut} (rerun exactly: {result.reproduce}"
              + (f" --params {args.params}" if args.params else "") + (f" --contracts {args.contracts}" if args.contracts != "contracts" else "") + ")")
    return ExitCode.FAILED if result.failed else ExitCode.PASS
