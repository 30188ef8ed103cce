"""Compile a contracts tree for Slither through the project's solc, with a content-hash cache.

Slither never runs a compiler itself here: the standard-JSON output comes from the project's one
compile and cache (`levcheck.chain.build.compile_output`: `bin/solc`, the npm solc-js it pins, its
settings) and is handed to crytic-compile through a platform that only parses it. So the venv's
solc-select `solc` can never run, `build` and `analyze` share one cache entry, and a warm run costs no
node process at all.
"""
from __future__ import annotations

import copy
from pathlib import Path

from crytic_compile import CryticCompile
from crytic_compile.compilation_unit import CompilationUnit
from crytic_compile.compiler.compiler import CompilerVersion
from crytic_compile.platform.solc_standard_json import SolcStandardJson, parse_standard_json_output

from ..chain import build
from ..errors import CompileError


def collect(src: str | Path) -> dict[str, str]:
    """Sources of a folder (build.collect_sources) or of a single .sol file."""
    p = Path(src)
    if p.suffix == ".sol":
        p = p if p.is_absolute() else (Path.cwd() / p)
        if not p.is_file():
            raise CompileError(f"{src}: no such Solidity file")
        return {_key(p): p.read_text()}
    return build.collect_sources(src)


def _key(path: Path) -> str:
    try:
        return path.resolve().relative_to(build.ROOT).as_posix()
    except ValueError:
        return path.resolve().as_posix()


class _Precompiled(SolcStandardJson):
    """A crytic-compile platform that parses an output we already have instead of running solc."""

    def __init__(self, std_input: dict, output: dict):
        # A copy: crytic-compile adds defaults in place, and build.SETTINGS must stay untouched.
        super().__init__(copy.deepcopy(std_input))
        self._output = output

    def compile(self, crytic_compile: CryticCompile, **_kwargs) -> None:
        unit = CompilationUnit(crytic_compile, "standard_json")
        optimizer = self._json.get("settings", {}).get("optimizer", {})
        unit.compiler_version = CompilerVersion(
            compiler="solc",
            version=build.SOLC_VERSION,
            optimized=bool(optimizer.get("enabled")),
            optimize_runs=optimizer.get("runs"),
        )
        parse_standard_json_output(self._output, unit, solc_working_dir=str(build.ROOT))

    def clean(self, **_kwargs) -> None:
        return


def crytic_compile_for(src: str | Path, use_cache: bool = True) -> tuple[CryticCompile, bool]:
    sources = collect(src)
    std_input, output, cached = build.compile_output(sources, use_cache)
    return CryticCompile(_Precompiled(std_input, output), cwd=str(build.ROOT)), cached
