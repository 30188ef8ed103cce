"""Foundry layouts: `foundry.toml` (`src`, `libs`, `remappings`), `remappings.txt`, and the imports they resolve.

solc-js behind `bin/solc --standard-json` reads no files, so every imported file must be a source of the
standard-JSON input: starting from the project's own files, follow each import (relative ones against
the importing unit, the rest through the remappings, as solc does) and add the file it names. Only
reachable library files are compiled, never all of `lib/`. The remappings also go into the input's
`settings.remappings`, so solc maps the import paths to the same unit names (and the cache key changes
with them).
"""
from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import CompileError

_IMPORT = re.compile(r"\bimport\b[^'\";]*[\"']([^\"']+)[\"']")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


@dataclass(frozen=True)
class Layout:
    root: Path  # the folder of foundry.toml / remappings.txt: source unit names are relative to it
    libs: tuple[str, ...]
    remappings: tuple[str, ...]  # "[context:]prefix=target", explicit ones first, then one per lib folder

    def remap(self, unit: str, importer: str) -> str:
        """solc's rule: the longest matching context, then the longest matching prefix, wins."""
        best: tuple[int, int, str, str] | None = None
        for r in self.remappings:
            head, _, target = r.partition("=")
            context, _, prefix = head.rpartition(":")
            if importer.startswith(context) and unit.startswith(prefix):
                key = (len(context), len(prefix), prefix, target)
                if best is None or key[:2] > best[:2]:
                    best = key
        return unit if best is None else best[3] + unit[len(best[2]):]


def find_layout(src: Path, stop: Path | None) -> Layout | None:
    """The Foundry layout `src` belongs to: the nearest foundry.toml or remappings.txt at or above it,
    not looking above `stop` (the project root) when `src` is inside it."""
    for folder in (src, *src.parents):
        if (folder / "foundry.toml").is_file() or (folder / "remappings.txt").is_file():
            return _read(folder)
        if stop is not None and folder == stop:
            return None
    return None


def _read(root: Path) -> Layout:
    profile: dict = {}
    if (root / "foundry.toml").is_file():
        try:
            doc = tomllib.loads((root / "foundry.toml").read_text())
        except tomllib.TOMLDecodeError as exc:
            raise CompileError(f"{root / 'foundry.toml'}: not valid TOML: {exc}") from None
        profile = doc.get("profile", {}).get("default", {})
    libs = tuple(profile.get("libs", ["lib"]))
    explicit = [str(r).strip() for r in profile.get("remappings", [])]
    if (root / "remappings.txt").is_file():
        explicit += [ln.strip() for ln in (root / "remappings.txt").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    explicit = [_normal(r) for r in explicit]
    # Foundry's automatic remappings: lib/<name>/ as `<name>/`, at its src/ when it has one; explicit ones win
    taken = {r.split("=", 1)[0].rpartition(":")[2] for r in explicit}
    auto = []
    for lib in libs:
        folder = root / lib
        for d in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
            if f"{d.name}/" not in taken:
                auto.append(f"{d.name}/={lib}/{d.name}/{'src/' if (d / 'src').is_dir() else ''}")
    return Layout(root=root, libs=libs, remappings=tuple(explicit + auto))


def _normal(remapping: str) -> str:
    head, eq, target = remapping.partition("=")
    if not eq:
        raise CompileError(f"remapping {remapping!r} has no '=': write it as prefix/=path/to/lib/")
    return f"{head}={target.removeprefix('./')}"


def add_imports(sources: dict[str, str], base: Path | None, layout: Layout | None) -> dict[str, str]:
    """`sources` plus every file reachable from them by import, keyed by the unit name solc will ask
    for. An import that names no file is a CompileError naming the import and the remapping to add."""
    out = dict(sources)
    todo = list(out)
    while todo:
        importer = todo.pop()
        for path in _IMPORT.findall(_COMMENT.sub("", out[importer])):
            unit = _unit(path, importer, layout)
            if unit in out:
                continue
            file = Path(unit) if Path(unit).is_absolute() else base / unit if base else None
            if file is None or not file.is_file():
                raise CompileError(_unresolved(importer, path, unit, layout))
            out[unit] = file.read_text()
            todo.append(unit)
    return out


def _unit(path: str, importer: str, layout: Layout | None) -> str:
    if path.startswith(("./", "../")):
        unit = posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
        if importer.startswith("/") and not unit.startswith("/"):
            unit = "/" + unit
    else:
        unit = path
    return layout.remap(unit, importer) if layout else unit


def _unresolved(importer: str, path: str, unit: str, layout: Layout | None) -> str:
    if path.startswith(("./", "../")):
        return f"{importer} imports {path!r}: no such file ({unit})"
    name = path.split("/", 1)[0]
    lib = layout.libs[0] if layout and layout.libs else "lib"
    where = "remappings.txt (or remappings in foundry.toml)" if layout else "a remappings.txt beside the contracts folder"
    return (f"{importer} imports {path!r}, which no remapping resolves ({unit} does not exist): install the library "
            f"and add a remapping such as \"{name}/={lib}/{name.lstrip('@')}/src/\" to {where}")
