"""Compile `contracts/` with the project's solc-js executable into cached artifacts.

One node process compiles the whole folder through `bin/solc --standard-json`; the result is cached
under the project's `.levcheck-cache/build/` keyed by a hash of every source, the settings (remappings
included) and the compiler version, so an unchanged tree loads in milliseconds. Source unit names are
relative to the tree's base (a Foundry layout's root, the project, or levcheck's own files for the
bundled contracts), so `contracts/LeveragedToken.sol` is the same unit wherever levcheck is installed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import CompileError, ToolchainError
from . import foundry, project

# ROOT: levcheck's own files (bin/solc, contracts/, triage files): the checkout, or levcheck/data/ in a
# wheel. PROJECT: the user's project (chain/project.py), where caches and output go. Same in a checkout.
ROOT = project.PACKAGE_ROOT
PROJECT = project.project_root()
SOLC = project.SOLC_WRAPPER
CACHE_DIR = PROJECT / ".levcheck-cache" / "build"
SOLC_VERSION = "0.8.28"
EVM_VERSION = "paris"  # no PUSH0: runs unchanged on pyrevm, py-evm, anvil and Echidna
# The optimizer is off: it triples solc-js's compile time, gas is irrelevant to verification, and the
# unoptimized bytecode stays well under the 24 KiB code-size limit.
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": False, "runs": 200},
    "evmVersion": EVM_VERSION,
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.bytecode.sourceMap",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.sourceMap",
                "storageLayout",
            ],
            "": ["ast"],
        }
    },
}


@dataclass(frozen=True)
class Artifact:
    name: str
    source_path: str  # source unit name, e.g. "contracts/LeveragedToken.sol"
    abi: list[dict]
    bytecode: bytes
    deployed_bytecode: bytes
    srcmap: str
    deployed_srcmap: str
    storage_layout: dict
    ast: dict = field(repr=False)


class Artifacts(Mapping[str, Artifact]):
    """Compiled contracts by name, plus the sources and the standard-JSON input that produced them."""

    def __init__(self, by_name: dict[str, Artifact], sources: dict[str, str], std_input: dict, from_cache: bool):
        self._by_name = by_name
        self.sources = sources
        self.std_input = std_input
        self.from_cache = from_cache

    def __getitem__(self, name: str) -> Artifact:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no contract named {name!r}; compiled: {sorted(self._by_name)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


@dataclass(frozen=True)
class SourceTree:
    """A folder's sources plus the files they import, keyed by unit name relative to `base` (None:
    absolute names), and the remappings solc needs to name the imports the same way."""

    sources: dict[str, str]
    base: Path | None
    remappings: tuple[str, ...] = ()
    layout: foundry.Layout | None = None


def collect_sources(src_dir: str | Path = "contracts") -> dict[str, str]:
    """Every .sol file below `src_dir` and every file they import (collect_tree)."""
    return collect_tree(src_dir).sources


def locate(src_dir: str | Path) -> Path:
    """A relative contracts path from the current directory, else the project, else levcheck's own
    files (`contracts` outside a project with one is the bundled protocol)."""
    src = Path(src_dir)
    if src.is_absolute():
        return src
    return next((b / src for b in (Path.cwd(), PROJECT, ROOT) if (b / src).exists()), Path.cwd() / src)


def collect_tree(src_dir: str | Path = "contracts") -> SourceTree:
    src = locate(src_dir).resolve()
    if not src.is_dir():
        raise CompileError(f"{src_dir}: no such contracts folder")
    base, layout = base_of(src)
    # a Foundry project's libraries are compiled only as far as they are imported
    libs = [layout.root / lib for lib in layout.libs if not src.is_relative_to(layout.root / lib)] if layout else []
    own: dict[str, str] = {}
    for path in sorted(src.rglob("*.sol")):
        path = path.resolve()
        if not any(path.is_relative_to(lib) for lib in libs):
            own[unit_name(path, base)] = path.read_text()
    if not own:
        raise CompileError(f"{src}: no .sol files to compile")
    return SourceTree(foundry.add_imports(own, base, layout), base, layout.remappings if layout else (), layout)


def base_of(folder: Path) -> tuple[Path | None, foundry.Layout | None]:
    """Where unit names of files in `folder` start: its Foundry layout's root, else the project, else
    levcheck's own files; None (absolute names) for a folder outside all three."""
    layout = foundry.find_layout(folder, PROJECT if folder.is_relative_to(PROJECT) else None)
    if layout:
        return layout.root, layout
    return next((b for b in (PROJECT, ROOT) if folder.is_relative_to(b)), None), None


def unit_name(path: Path, base: Path | None) -> str:
    """The source unit name of a file: relative to the tree's base when inside it, else absolute."""
    path = path.resolve()
    return path.relative_to(base).as_posix() if base and path.is_relative_to(base) else path.as_posix()


def standard_json_input(sources: Mapping[str, str], remappings: tuple[str, ...] = ()) -> dict:
    # No remappings key when there are none: the input, so the cache key, of a plain tree is unchanged.
    settings = {**SETTINGS, "remappings": sorted(remappings)} if remappings else SETTINGS
    return {
        "language": "Solidity",
        "sources": {k: {"content": v} for k, v in sorted(sources.items())},
        "settings": settings,
    }


def check_toolchain() -> None:
    """Raise a ToolchainError that says how to fix a missing node or npm solc."""
    if shutil.which("node") is None:
        raise ToolchainError(
            "node was not found on PATH: install Node.js 20 (e.g. `apt-get install nodejs npm`) and run ./levcheck.sh setup"
        )
    pkg = project.npm_solc(PROJECT)
    if pkg is None:
        raise ToolchainError(f"the npm package solc is not installed: run `npm install {project.SOLC_NPM}` in {PROJECT} "
                             "(`levcheck init` writes a package.json for it)")
    version = json.loads((pkg / "package.json").read_text()).get("version")
    if version != SOLC_VERSION:
        raise ToolchainError(f"npm solc is {version} ({pkg}), levcheck pins {SOLC_VERSION}: run `npm install {project.SOLC_NPM}` in {PROJECT}")


def build_contracts(
    src_dir: str | Path = "contracts", extra_sources: Mapping[str, str] | None = None, use_cache: bool = True
) -> Artifacts:
    """Compile every .sol under `src_dir` and what it imports (with `extra_sources` replacing or adding
    source units)."""
    tree = collect_tree(src_dir)
    sources = tree.sources
    if extra_sources:
        sources = foundry.add_imports({**sources, **extra_sources}, tree.base, tree.layout)
    return build_sources(sources, tree.remappings, use_cache)


def build_sources(sources: Mapping[str, str], remappings: tuple[str, ...] = (), use_cache: bool = True) -> Artifacts:
    """Compile exactly these source units (name -> text), through the one cache."""
    std_input, output, from_cache = compile_output(sources, use_cache, remappings)
    return _artifacts(output, dict(sources), std_input, from_cache)


def compile_output(sources: Mapping[str, str], use_cache: bool = True, remappings: tuple[str, ...] = ()) -> tuple[dict, dict, bool]:
    """The project's one compile and one cache: (standard-JSON input, solc output, from_cache) for
    `sources`, keyed by a hash of the sources, the settings and the compiler version. `build`,
    `analyze` (Slither through crytic-compile) and every other stage read the same entry. A cache
    entry that does not cover every source (torn, truncated, or hand-edited) is recompiled.
    Raises CompileError with `file:line: message` for every error."""
    std_input = standard_json_input(sources, remappings)
    cached = cache_file(std_input)
    if use_cache and cached.is_file():
        try:
            output = json.loads(cached.read_text())
            if _covers(output, sources):
                return std_input, output, True
        except json.JSONDecodeError:
            pass
        cached.unlink(missing_ok=True)  # torn or incomplete: recompile
    output = run_solc(std_input)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(_format_error(e, sources) for e in errors))
    if not _covers(output, sources):
        raise CompileError(f"solc returned no output for {sorted(set(sources) - set(output.get('sources', {})))}")
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(output))
        tmp.replace(cached)
    except OSError:  # a read-only checkout: compile every time rather than fail
        pass
    return std_input, output, False


def cache_file(std_input: dict) -> Path:
    """The cache entry of one standard-JSON input (a hash of it and the compiler version)."""
    blob = json.dumps(std_input, sort_keys=True).encode()
    return CACHE_DIR / f"{hashlib.sha256(blob + SOLC_VERSION.encode()).hexdigest()}.json"


def _covers(output: dict, sources: Mapping[str, str]) -> bool:
    """Every source unit has an AST, and at least one contract was compiled."""
    units = output.get("sources", {})
    return all(k in units for k in sources) and any(output.get("contracts", {}).values())


def compiler_warnings(src_dir: str | Path = "contracts") -> list[str]:
    """Warnings from a fresh compile (`file:line: message`), for the no-warnings check."""
    tree = collect_tree(src_dir)
    sources = tree.sources
    output = run_solc(standard_json_input(sources, tree.remappings))
    return [_format_error(e, sources) for e in output.get("errors", []) if e.get("severity") == "warning"]


def run_solc(std_input: dict) -> dict:
    """Compile in one node process. (Splitting code generation over two processes was measured slower
    on 2 cores: V8 already tiers up solc's wasm on a background thread.)"""
    check_toolchain()
    return _run_solc_once(std_input)


def _run_solc_once(std_input: dict) -> dict:
    # The wrapper loads the npm solc that check_toolchain found (LEVCHECK_SOLC), not whatever node finds.
    env = {**os.environ, "LEVCHECK_SOLC": str(project.npm_solc(PROJECT) or "")}
    proc = subprocess.run(
        ["node", str(SOLC), "--standard-json"],
        input=json.dumps(std_input),
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=env,
    )
    if proc.returncode != 0:
        raise ToolchainError(f"{SOLC} exited with {proc.returncode}: {proc.stderr.strip()}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ToolchainError(f"{SOLC} returned invalid JSON ({exc}); stderr: {proc.stderr.strip()[:500]}") from exc


def _format_error(err: dict, sources: Mapping[str, str]) -> str:
    loc = err.get("sourceLocation")
    message = f"{err.get('type', 'Error')}: {err.get('message', '').strip()}"
    if not loc or loc.get("file") not in sources:
        return message
    line = sources[loc["file"]][: max(loc.get("start", 0), 0)].count("\n") + 1
    return f"{loc['file']}:{line}: {message}"


def _artifacts(output: dict, sources: dict[str, str], std_input: dict, from_cache: bool) -> Artifacts:
    by_name: dict[str, Artifact] = {}
    asts = {path: unit.get("ast", {}) for path, unit in output.get("sources", {}).items()}
    for path, contracts in output.get("contracts", {}).items():
        for name, c in contracts.items():
            if name in by_name:
                raise CompileError(f"{path}: contract name {name} is also defined in {by_name[name].source_path}; names must be unique")
            evm = c["evm"]
            by_name[name] = Artifact(
                name=name,
                source_path=path,
                abi=c["abi"],
                bytecode=bytes.fromhex(evm["bytecode"]["object"]),
                deployed_bytecode=bytes.fromhex(evm["deployedBytecode"]["object"]),
                srcmap=evm["bytecode"].get("sourceMap", ""),
                deployed_srcmap=evm["deployedBytecode"].get("sourceMap", ""),
                storage_layout=c.get("storageLayout", {}),
                ast=asts.get(path, {}),
            )
    return Artifacts(by_name, sources, std_input, from_cache)
