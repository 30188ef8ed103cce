"""`levcheck replay FILE`: replay a scenario on the reference model and on an EVM backend."""
from __future__ import annotations

import argparse
import json

from ..exitcodes import ExitCode

NAME = "replay"
HELP = "replay a scenario file on the model and the EVM; exit 1 while it still fails, 0 when fixed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario file (JSON, format levcheck-scenario)")
    p.add_argument("--backend", default="pyrevm", help="pyrevm (default), web3 (in-process eth-tester), anvil, or an http:// URL")
    p.add_argument("--contracts", default="contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.fuzz.api import replay_file
    from levcheck.specs.scenario import load
    from levcheck.chain.verified import build_verified

    sc = load(args.file)  # a bad file: ScenarioError, one line and exit 2 from the CLI's error boundary
    result = replay_file(args.file, args.backend, artifacts=build_verified(args.contracts))
    if args.json:
        out = {
            "file": args.file,
            "backend": args.backend,
            "status": result.status,
            "first_failure": result.first_failure,
            "steps": [
                {"step": r.step.to_json(), "model": _o(r.model), "evm": _o(r.chain), "differences": r.differences, "violations": r.violations}
                for r in result.steps
            ],
        }
        print(json.dumps(out, indent=1, default=str))
    else:
        print(f"replaying {args.file} ({sc.origin or 'no origin'}) on the model and {args.backend}: {len(sc.steps)} step(s)")
        print(result.render())
    return ExitCode.FAILED if result.failed else ExitCode.PASS


def _o(o) -> dict:
    return {"reverted": o.reverted, "revert_args": list(o.revert_args), "result": o.result, "events": len(o.events)}
