"""The package's layers, enforced: spec -> chain -> (proofs | fuzz | analysis) -> report -> cli.

import-linter reads the contract from pyproject.toml; grimp sees every import, including the ones
inside functions, so a lazy import cannot hide an upward dependency."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = None
    if pythonpath is not None:
        import os

        env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, env=env)


def test_the_layers_contract_is_kept() -> None:
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "levcheck layers KEPT" in r.stdout
    # every layer exists: a renamed package would make the contract vacuous
    n = int(re.search(r"Analyzed (\d+) files", r.stdout).group(1))
    assert n >= 60, r.stdout


def _planted(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """import-linter on a copy of the package (symlinks resolved) with `line` appended to `module`."""
    pkg = tmp_path / "levcheck"
    shutil.copytree(ROOT / "levcheck", pkg, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    f = pkg / module
    f.write_text(f.read_text() + "\n\n" + line + "\n")
    return _lint(tmp_path, pythonpath=tmp_path)


def test_a_planted_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """A copy of the package where the spec layer imports the CLI: import-linter must refuse it and
    name the offending import."""
    r = _planted(tmp_path, "specs/arith.py", "def _planted():\n    from levcheck.cli import main  # upward: spec -> cli")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "levcheck layers BROKEN" in r.stdout
    assert "levcheck.specs.arith -> levcheck.cli" in r.stdout


def test_a_sibling_import_breaks_the_contract(tmp_path: Path) -> None:
    """proofs, fuzz and analysis are independent: proofs importing fuzz is refused."""
    r = _planted(tmp_path, "proofs/tables.py", "from levcheck.fuzz import machine  # sibling: proofs -> fuzz")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "levcheck.proofs.tables -> levcheck.fuzz.machine" in r.stdout


BARE = re.compile(r"^\s*(from|import)\s+(specs|fuzz|proofs)\b", re.M)


# run as scripts inside other commits' trees (`bench --against`), where commits before the redesign had
# the bare packages: they import those on purpose, and are never imported by levcheck
OLD_LAYOUT_SCRIPTS = {"levcheck/commands/throughput_probe.py"}


def test_one_import_name() -> None:
    """Only `levcheck` is imported: the top-level folders are reached as levcheck.specs, levcheck.fuzz
    and levcheck.proofs (a bare `import specs` would load a second copy of every module)."""
    offenders = [
        f"{p.relative_to(ROOT)}:{s[:m.start()].count(chr(10)) + 1}"
        for d in ("levcheck", "specs", "fuzz", "proofs", "tests")
        for p in sorted((ROOT / d).rglob("*.py"))
        if not p.is_symlink() and "levcheck/specs" not in p.as_posix() and "levcheck/fuzz" not in p.as_posix()
        and "levcheck/proofs" not in p.as_posix() and p.relative_to(ROOT).as_posix() not in OLD_LAYOUT_SCRIPTS
        for s in [p.read_text()]
        for m in BARE.finditer(s)
    ]
    assert offenders == []
