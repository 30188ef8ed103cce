"""`levcheck build`: compile contracts/ into cached artifacts."""
from __future__ import annotations

import argparse
import sys
import time

from levcheck.specs.write_sets import PROTOCOL_CONTRACTS

from ..chain.verified import build_verified
from ..exitcodes import ExitCode

NAME = "build"
HELP = "compile the Solidity contracts with the project's solc-js (cached by content hash)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contracts", default="contracts", help="folder of .sol files (default: contracts)")
    p.add_argument("--no-cache", action="store_true", help="recompile even when nothing changed")


def run(args: argparse.Namespace) -> ExitCode:
    t0 = time.perf_counter()
    # 0 contracts or a source without output: exit 2. `build` compiles any tree (test fixtures too), so a
    # missing spec contract is a note here; every command that tests the protocol refuses the tree.
    artifacts = build_verified(args.contracts, use_cache=not args.no_cache, spec=False)
    took = time.perf_counter() - t0
    origin = "cache" if artifacts.from_cache else "solc-js"
    missing = [c for c in PROTOCOL_CONTRACTS if c not in artifacts]
    if len(missing) == len(PROTOCOL_CONTRACTS):
        print(f"levcheck build: note: no spec contract in {args.contracts}: other code; analyze runs Slither's and the "
              "generic detectors on it, check, fuzz and replay test the protocol and will refuse this tree", file=sys.stderr)
    elif missing:
        print(f"levcheck build: note: spec contract(s) {', '.join(missing)} not in {args.contracts}: "
              "check, analyze, fuzz and replay will refuse this tree", file=sys.stderr)
    print(f"built {len(artifacts)} contract(s) from {len(artifacts.sources)} file(s) in {took:.2f}s ({origin}): {', '.join(sorted(artifacts))}")
    return ExitCode.PASS
