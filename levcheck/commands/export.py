"""`levcheck export SCENARIO --foundry`: a scenario file as a test for another tool (today: a forge-std Test)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import LevcheckError
from ..exitcodes import ExitCode

NAME = "export"
HELP = "write a scenario (a counterexample) as a Foundry test: --foundry writes DIR/<name>.t.sol for `forge test`"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario file (JSON, format levcheck-scenario)")
    p.add_argument("--foundry", action="store_true", help="write a forge-std Test (.t.sol) that replays it and ends in the failed assertion")
    p.add_argument("--out", default="test", help="folder for the .t.sol file (default: test)")
    p.add_argument("--contracts", default="contracts", help="folder of .sol files the scenario is replayed on (default: contracts)")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.chain.verified import build_verified
    from levcheck.report.foundry import export_foundry
    from levcheck.specs.scenario import load

    if not args.foundry:
        raise LevcheckError("say what to export to: --foundry (a forge-std Test) is the one format so far")
    sc = load(args.file)  # a bad file: ScenarioError, one line and exit 2 from the CLI's error boundary
    out = export_foundry(sc, build_verified(args.contracts), args.out, Path(args.file).name.removesuffix(".json"),
                         args.file, args.contracts)
    verdict = out.result.message if out.result.failed else "replays clean: the test passes and asserts the final state"
    print(f"wrote {out.path} (contract {out.contract}; {verdict})")
    print(f"run it in a Foundry project whose contracts/ holds the protocol: forge test --match-contract {out.contract} -vv")
    return ExitCode.PASS
