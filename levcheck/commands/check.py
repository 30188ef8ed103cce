"""`levcheck check`: the whole battery for CI, with reports in a fresh run folder."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..checkrun import STAGES, CheckConfig, run_check
from ..exitcodes import ExitCode
from ..report.progress import Progress
from .argtypes import seconds_or_more

NAME = "check"
HELP = "build, analyze, prove, fuzz and replay the regression scenarios within a time budget; write reports"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", type=seconds_or_more, help="seconds for the whole run (default from [tool.levcheck], else 240)")
    p.add_argument("--only", action="append", choices=STAGES, help="run only this stage (repeatable)")
    p.add_argument("--skip", action="append", choices=STAGES, help="skip this stage (repeatable)")
    p.add_argument("--out", help="parent folder of the run folders (default levcheck-out): each run writes "
                                 "OUT/<UTC timestamp>-seed<N>/ and points OUT/latest at it")
    p.add_argument("--contracts", help="folder of .sol files, used by every stage (default: contracts)")
    p.add_argument("--seed", type=int, help="fuzz seed (default: a fresh one, printed)")
    p.add_argument("--fuzz-examples", type=int, help="examples of the fuzz stage (default: the profile's); the verdict depends on these, not on speed")
    p.add_argument("--fuzz-seconds", type=float, help="time guard of the fuzz stage (the budget may cut it); a cut run prints the --examples that reproduce it")
    p.add_argument("--no-coverage", dest="coverage", action="store_const", const=False, default=None,
                   help="skip contract coverage (by default every example of the campaign is replayed on an instrumented "
                        "build: lcov.info, coverage.html and the figures in summary.md)")
    p.add_argument("--params", help="market parameter file (TOML/JSON) for the proofs and the fuzzer")
    p.add_argument("--backend", help="EVM backend for replays: pyrevm, web3, anvil")
    p.add_argument("--scenarios", help="folder of regression scenarios, sub-folders included (default: tests/scenarios)")
    p.add_argument("--config", help="levcheck.toml, or pyproject.toml with [tool.levcheck], holding the defaults "
                                    "(default: the nearest one from the current folder upward)")
    p.add_argument("--json", action="store_true", help="print the JSON summary on stdout")
    p.add_argument("--no-progress", "--quiet", dest="progress", action="store_false",
                   help="no live progress of the fuzz campaign on stderr (the stage lines stay)")


def run(args: argparse.Namespace) -> ExitCode:
    cfg = CheckConfig.from_pyproject(Path(args.config) if args.config else None)
    for key in ("budget", "out", "contracts", "seed", "fuzz_examples", "fuzz_seconds", "coverage", "params", "backend", "scenarios"):
        value = getattr(args, key)
        if value is not None:
            setattr(cfg, key, value)
    if args.only:
        cfg.only = tuple(args.only)
    if args.skip:
        cfg.skip = tuple(args.skip)
    summary = run_check(cfg, Progress(fuzz=args.progress))
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(f"levcheck check: {summary.status.value.upper()} in {summary.seconds:.1f}s; reports in {summary.run_folder}/ "
              f"(summary.json, junit.xml, levcheck.sarif, summary.md; {cfg.out}/latest points there)")
    return ExitCode(summary.exit_code)
