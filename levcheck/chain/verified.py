"""`build_verified`: a build that is known to hold what levcheck is about to test.

`build_contracts` trusts its cache; a cache entry holding `{}` (or the output of fewer sources)
would give "built 0 contracts" and every later stage would test nothing. Every command builds
through here, so "nothing was built" and "a spec contract is missing" are errors (exit 2)."""
from __future__ import annotations

from pathlib import Path

from levcheck.specs.write_sets import PROTOCOL_CONTRACTS

from ..errors import CompileError
from .build import CACHE_DIR, Artifacts, build_contracts


def build_verified(src_dir: str | Path = "contracts", use_cache: bool = True, spec: bool = True) -> Artifacts:
    """Build `src_dir`; raise CompileError unless every source unit produced output and (with
    `spec`) every contract the spec names (specs/write_sets.py PROTOCOL_CONTRACTS) was compiled."""
    artifacts = build_contracts(src_dir, use_cache=use_cache)
    require_complete(artifacts, src_dir, spec)
    return artifacts


def require_complete(artifacts: Artifacts, src_dir: str | Path = "contracts", spec: bool = True) -> None:
    origin = f" (from the build cache: delete {CACHE_DIR} and rerun)" if artifacts.from_cache else ""
    if len(artifacts) == 0:
        raise CompileError(f"{src_dir}: 0 contracts compiled from {len(artifacts.sources)} file(s){origin}; nothing to test")
    covered = {a.source_path for a in artifacts.values()}
    uncovered = sorted(set(artifacts.sources) - covered)
    if uncovered:
        raise CompileError(f"{src_dir}: no compiled output for {', '.join(uncovered)}{origin}")
    if spec:
        missing = [c for c in PROTOCOL_CONTRACTS if c not in artifacts]
        if missing:
            raise CompileError(
                f"{src_dir}: spec contract(s) {', '.join(missing)} not found (compiled: {', '.join(sorted(artifacts))}); "
                "levcheck tests the protocol specs/SPEC.md describes: restore the file or point --contracts at the full tree")
