"""Compile a contracts tree for Slither through the project's solc, with a content-hash cache.

Slither never runs a compiler itself here: the standard-JSON output comes from the project's one
compile and cache (`levcheck.chain.build.compile_output`: `bin/solc`, the npm solc-js it pins, its
settings) and is handed to crytic-compile through a platform that only parses it. So the venv's
solc-select `solc` can never run, `build` and `analyze` share one cache entry, and a warm run costs no
node process at all. crytic-compile finds the files by their unit names from the tree's base (a Foundry
layout's root, the project, or levcheck's own files), which is why it is its working directory.
"""
from __future__ import annotations

import copy
from pathlib import Path

from crytic_compile import CryticCompile
from crytic_compile.compilation_unit import CompilationUnit
from crytic_compile.compiler.compiler import CompilerVersion
from crytic_compile.platform.solc_standard_json import SolcStandardJson, parse_standard_json_output

from ..chain import build, foundry
from ..errors import CompileError


def collect(src: str | Path) -> build.SourceTree:
    """Sources of a folder (build.collect_tree) or of a single .sol file, with what they import."""
    p = Path(src)
    if p.suffix == ".sol":
        p = (p if p.is_absolute() else (Path.cwd() / p)).resolve()
        if not p.is_file():
            raise CompileError(f"{src}: no such Solidity file")
        base, layout = build.base_of(p.parent)
        own = {build.unit_name(p, base): p.read_text()}
        return build.SourceTree(foundry.add_imports(own, base, layout), base, layout.remappings if layout else (), layout)
    return build.collect_tree(src)


class _Precompiled(SolcStandardJson):
    """A crytic-compile platform that parses an output we already have instead of running solc."""

    def __init__(self, std_input: dict, output: dict, base: Path):
        # A copy: crytic-compile adds defaults in place, and build.SETTINGS must stay untouched.
        super().__init__(copy.deepcopy(std_input))
        self._output = output
        self._base = base

    def compile(self, crytic_compile: CryticCompile, **_kwargs) -> None:
        unit = CompilationUnit(crytic_compile, "standard_json")
        optimizer = self._json.get("settings", {}).get("optimizer", {})
        unit.compiler_version = CompilerVersion(
            compiler="solc",
            version=build.SOLC_VERSION,
            optimized=bool(optimizer.get("enabled")),
            optimize_runs=optimizer.get("runs"),
        )
        parse_standard_json_output(self._output, unit, solc_working_dir=str(self._base))

    def clean(self, **_kwargs) -> None:
        return


def crytic_compile_for(src: str | Path, use_cache: bool = True) -> tuple[CryticCompile, bool]:
    tree = collect(src)
    std_input, output, cached = build.compile_output(tree.sources, use_cache, tree.remappings)
    base = tree.base or build.PROJECT
    return CryticCompile(_Precompiled(std_input, output, base), cwd=str(base)), cached
