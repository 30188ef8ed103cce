"""`levcheck check`: the whole battery for CI, with reports under one output folder."""
from __future__ import annotations

import argparse
import json

from ..checkrun import STAGES, CheckConfig, run_check
from ..exitcodes import ExitCode

NAME = "check"
HELP = "build, analyze, prove, fuzz and replay the regression scenarios within a time budget; write reports"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", type=float, help="seconds for the whole run (default from [tool.levcheck], else 240)")
    p.add_argument("--only", action="append", choices=STAGES, help="run only this stage (repeatable)")
    p.add_argument("--skip", action="append", choices=STAGES, help="skip this stage (repeatable)")
    p.add_argument("--out", help="output folder for summary.json, junit.xml, levcheck.sarif, summary.md, plots/")
    p.add_argument("--contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--seed", type=int, help="fuzz seed (default: a fresh one, printed)")
    p.add_argument("--fuzz-seconds", type=float, help="upper bound for the fuzz stage (the budget may cut it)")
    p.add_argument("--params", help="market parameter file (TOML/JSON) for the proofs")
    p.add_argument("--backend", help="EVM backend for replays: pyrevm, web3, anvil")
    p.add_argument("--json", action="store_true", help="print the JSON summary on stdout")


def run(args: argparse.Namespace) -> ExitCode:
    cfg = CheckConfig.from_pyproject()
    for key in ("budget", "out", "contracts", "seed", "fuzz_seconds", "params", "backend"):
        value = getattr(args, key)
        if value is not None:
            setattr(cfg, key, value)
    if args.only:
        cfg.only = tuple(args.only)
    if args.skip:
        cfg.skip = tuple(args.skip)
    summary = run_check(cfg)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(f"levcheck check: {summary.status.value.upper()} in {summary.seconds:.1f}s; reports in {cfg.out}/ "
              f"(summary.json, junit.xml, levcheck.sarif, summary.md)")
    return ExitCode(summary.exit_code)
