"""`levcheck analyze`: Slither's detectors plus levcheck's shape checks, with the checked-in triage."""
from __future__ import annotations

import argparse
import sys

from ..analysis.model import DEFAULT_MIN_IMPACT, DEFAULT_TRIAGE, IMPACTS
from ..analysis.report import to_json, to_text
from ..analysis.sarif import write_sarif
from ..errors import LevcheckError
from ..exitcodes import ExitCode

NAME = "analyze"
HELP = "Slither plus levcheck's checks that the contracts have the spec's shape (exit 1 on open findings)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", nargs="?", default=None, help="contracts folder or one .sol file (default: --contracts)")
    p.add_argument("--contracts", default="contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 to FILE")
    p.add_argument("--triage", default=str(DEFAULT_TRIAGE), help="triage file of accepted findings (default: slither-triage.toml)")
    p.add_argument("--no-triage", action="store_true", help="ignore the triage file: every finding is open")
    p.add_argument("--detectors", help="comma-separated detector ids to run (default: all)")
    p.add_argument("--project-only", action="store_true", help="run only levcheck's own detectors")
    p.add_argument(
        "--min-impact", choices=IMPACTS, default=DEFAULT_MIN_IMPACT,
        help=f"lowest impact of Slither's own detectors to run (default: {DEFAULT_MIN_IMPACT})",
    )
    p.add_argument("--list-detectors", action="store_true", help="list the detectors and exit")
    p.add_argument("--no-cache", action="store_true", help="recompile even when nothing changed")
    p.add_argument("-v", "--verbose", action="store_true", help="show accepted findings' messages")


def run(args: argparse.Namespace) -> ExitCode:
    from ..analysis.runner import run_analysis, select_detectors
    if args.list_detectors:
        for d, project in select_detectors(include_slither=not args.project_only, min_impact=args.min_impact):
            print(f"{d.ARGUMENT:34} {'levcheck' if project else 'slither ':8} {d.HELP}")
        return ExitCode.PASS
    try:
        result = run_analysis(
            args.src or args.contracts,
            triage=None if args.no_triage else args.triage,
            only=args.detectors.split(",") if args.detectors else None,
            include_slither=not args.project_only,
            min_impact=args.min_impact,
            use_cache=not args.no_cache,
        )
    except ValueError as exc:  # an unknown detector id or impact
        raise LevcheckError(str(exc)) from exc
    if args.sarif:
        write_sarif(result, args.sarif)
    sys.stdout.write(to_json(result) + "\n" if args.json else to_text(result, args.verbose))
    return result.exit_code
