"""`levcheck build`: compile contracts/ into cached artifacts."""
from __future__ import annotations

import argparse
import time

from ..chain.verified import build_verified
from ..exitcodes import ExitCode

NAME = "build"
HELP = "compile the Solidity contracts with the project's solc-js (cached by content hash)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contracts", default="contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--no-cache", action="store_true", help="recompile even when nothing changed")


def run(args: argparse.Namespace) -> ExitCode:
    t0 = time.perf_counter()
    artifacts = build_verified(args.contracts, use_cache=not args.no_cache)  # 0 contracts / a spec contract missing: exit 2
    took = time.perf_counter() - t0
    origin = "cache" if artifacts.from_cache else "solc-js"
    print(f"built {len(artifacts)} contract(s) from {len(artifacts.sources)} file(s) in {took:.2f}s ({origin}): {', '.join(sorted(artifacts))}")
    return ExitCode.PASS
