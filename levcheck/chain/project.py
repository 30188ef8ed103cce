"""Two roots: levcheck's own files, and the user's project.

PACKAGE_ROOT holds what ships with levcheck: `bin/solc`, the bundled `contracts/`, the default regression
scenarios and triage files. It is found through `levcheck/data/`: in an installed wheel that folder holds
the files; in a checkout it holds symlinks to the top-level ones, so PACKAGE_ROOT is the checkout itself
and every path stays what it always was.

The project is the user's: the nearest folder, from the current directory upward, with a `levcheck.toml`
or a `pyproject.toml` holding `[tool.levcheck]`; else the current directory. Caches, output and the
project's own config live there. (The checkout is itself such a project.)
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import LevcheckError

_DATA = Path(__file__).resolve().parent.parent / "data"
PACKAGE_ROOT = (_DATA / "contracts").resolve().parent  # the checkout, or levcheck/data/ in a wheel
BUNDLED_CONTRACTS = PACKAGE_ROOT / "contracts"
BUNDLED_SCENARIOS = (_DATA / "scenarios").resolve()  # tests/scenarios in a checkout
SOLC_WRAPPER = (_DATA / "bin" / "solc").resolve()
CONFIG_FILE = "levcheck.toml"
SOLC_NPM = "solc@0.8.28"


def find_config(start: Path | None = None) -> Path | None:
    """The nearest levcheck.toml, or pyproject.toml with a [tool.levcheck] table, from `start` upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file() and "levcheck" in _toml(py).get("tool", {}):
            return py
    return None


def project_root(start: Path | None = None) -> Path:
    config = find_config(start)
    return config.parent if config else (start or Path.cwd()).resolve()


def config_section(path: Path) -> dict[str, Any]:
    """The levcheck settings of a config file: levcheck.toml's top level, or pyproject's [tool.levcheck]
    (same keys); {} when a pyproject.toml has no such table."""
    doc = _toml(path)
    section = doc if path.name != "pyproject.toml" else doc.get("tool", {}).get("levcheck", {})
    if not isinstance(section, dict):
        raise LevcheckError(f"{path}: [tool.levcheck] must be a table")
    return section


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise LevcheckError(f"{path}: not valid TOML: {exc}") from None


def npm_solc(project: Path) -> Path | None:
    """The npm `solc` package the wrapper will load: the project's node_modules (or one above it, as
    node looks), then the package's (a checkout's)."""
    for folder in (project, *project.parents, PACKAGE_ROOT):
        pkg = folder / "node_modules" / "solc"
        if (pkg / "package.json").is_file():
            return pkg
    return None
