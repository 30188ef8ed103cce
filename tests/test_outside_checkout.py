"""levcheck installed from its wheel, run in folders outside the checkout: `init`, the bundled protocol,
and a Foundry layout (remappings, libraries compiled only as far as they are imported)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from levcheck.chain import build, foundry

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "foundry-project"
# What the wheel is built from (a copy, so the build writes nothing into the checkout).
WHEEL_INPUTS = ("pyproject.toml", "README.md", "levcheck", "specs", "fuzz", "proofs", "bin", "contracts",
                "tests/scenarios", "slither-triage.toml", "mutation-triage.toml")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the folder it is installed into without its dependencies)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in WHEEL_INPUTS:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src)], check=True,
                   capture_output=True)
    (wheel,) = (tmp / "dist").glob("levcheck-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    return wheel, target


def levcheck(target: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """The installed levcheck (PYTHONPATH first), with the checkout's bin/ off PATH."""
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(str(ROOT)))
    env = {**os.environ, "PYTHONPATH": str(target), "PATH": path}
    return subprocess.run([sys.executable, "-m", "levcheck.cli", *argv], cwd=cwd, env=env, capture_output=True, text=True)


def project(tmp_path: Path, name: str, template: Path | None = None) -> Path:
    folder = tmp_path / name
    shutil.copytree(template, folder) if template else folder.mkdir()
    assert not folder.resolve().is_relative_to(ROOT)
    return folder


def npm_install(folder: Path) -> None:
    """What `npm install` in the project gives: node_modules with solc 0.8.28 (the checkout's, linked)."""
    (folder / "node_modules").symlink_to(ROOT / "node_modules")


def test_the_wheel_ships_levcheck_own_files_and_no_tests_or_caches(installed):
    wheel, target = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "levcheck/data/bin/solc" in names and "levcheck/data/contracts/LeveragedToken.sol" in names
    assert "levcheck/data/slither-triage.toml" in names and any(n.startswith("levcheck/data/scenarios/") for n in names)
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n or ".levcheck-cache" in n or "__pycache__" in n]
    assert os.access(target / "levcheck" / "data" / "bin" / "solc", os.X_OK)


def test_init_then_the_bundled_protocol_from_the_installed_wheel(installed, tmp_path):
    _, target = installed
    here = project(tmp_path, "fresh")
    where = subprocess.run([sys.executable, "-c", "import levcheck; print(levcheck.__file__)"], cwd=here, text=True,
                           capture_output=True, env={**os.environ, "PYTHONPATH": str(target)}).stdout.strip()
    assert Path(where).is_relative_to(target), where

    r = levcheck(target, here, "init")
    assert r.returncode == 0, r.stderr
    assert (here / "levcheck.toml").is_file() and json.loads((here / "package.json").read_text())["devDependencies"] == {"solc": "0.8.28"}
    assert "cache: pip" in (here / ".github" / "workflows" / "levcheck.yml").read_text()
    assert "levcheck build" in r.stdout and "npm install" in r.stdout
    again = levcheck(target, here, "init")
    assert again.returncode == 2 and again.stderr.strip().count("\n") == 0
    assert again.stderr.startswith("levcheck init: error: ") and "levcheck.toml already holds" in again.stderr

    # no npm solc anywhere levcheck looks: one line that says how to get it
    r = levcheck(target, here, "build")
    assert r.returncode == 2 and "npm install solc@0.8.28" in r.stderr and r.stderr.strip().count("\n") == 0

    npm_install(here)
    r = levcheck(target, here, "build")
    assert r.returncode == 0, r.stderr
    assert "LeveragedToken" in r.stdout and list((here / ".levcheck-cache" / "build").glob("*.json"))

    r = levcheck(target, here, "check", "--only", "replay", "--seed", "1")
    assert r.returncode == 0, r.stderr
    summary = json.loads((here / "levcheck-out" / "latest" / "summary.json").read_text())
    replay = next(s for s in summary["stages"] if s["name"] == "replay")
    assert replay["status"] == "pass" and len(replay["cases"]) >= 5  # the scenarios shipped in the wheel

    r = levcheck(target, here, "prove", "--only", "band.drift.long")
    assert r.returncode == 0 and "proved" in r.stdout, r.stderr


def test_a_foundry_project_builds_and_analyses_with_its_remappings(installed, tmp_path):
    _, target = installed
    here = project(tmp_path, "vault", FIXTURE)
    npm_install(here)
    r = levcheck(target, here, "build", "--contracts", "src")
    assert r.returncode == 0, r.stderr
    assert "built 3 contract(s) from 3 file(s)" in r.stdout and "NotCompiled" not in r.stdout  # lib/ is not swept in

    r = levcheck(target, here, "analyze", "--contracts", "src", "--json")
    assert r.returncode in (0, 1), r.stderr
    result = json.loads(r.stdout)
    assert result["contracts"] == ["Owned", "Vault"] and not result["stale_triage"]
    # other code: Slither's detectors and the generic project one; the spec-shape detectors do not apply
    assert "lev-swap-min-out" in result["detectors"] and "reentrancy-eth" in result["detectors"]
    assert "lev-keeper-fee" not in result["detectors"]
    files = {f["file"] for f in result["open"] + result["accepted"]}
    assert files and files <= {"src/Vault.sol", "src/IVault.sol", "lib/solmate/src/auth/Owned.sol"}

    (here / "src" / "Token.sol").write_text('pragma solidity 0.8.28;\nimport {ERC20} from "openzeppelin/token/ERC20/ERC20.sol";\n')
    r = levcheck(target, here, "build", "--contracts", "src")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert "src/Token.sol imports 'openzeppelin/token/ERC20/ERC20.sol'" in r.stderr
    assert 'add a remapping such as "openzeppelin/=lib/openzeppelin/src/" to remappings.txt' in r.stderr


def test_the_remappings_are_part_of_the_cache_key(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "p")
    tree = build.collect_tree(tmp_path / "p" / "src")
    assert "lib/solmate/src/auth/Owned.sol" in tree.sources and "solmate/=lib/solmate/src/" in tree.remappings
    key = build.cache_file(build.standard_json_input(tree.sources, tree.remappings))
    (tmp_path / "p" / "remappings.txt").write_text("solmate/=lib/solmate/src/\nds-test/=lib/ds-test/src/\n")
    other = build.collect_tree(tmp_path / "p" / "src")
    assert other.sources == tree.sources and build.cache_file(build.standard_json_input(other.sources, other.remappings)) != key


def test_remapping_rules_follow_solc():
    layout = foundry.Layout(root=Path("/p"), libs=("lib",),
                            remappings=("solmate/=lib/solmate/src/", "solmate/auth/=lib/auth/", "src/:solmate/=lib/old/"))
    assert layout.remap("solmate/auth/Owned.sol", "test/T.sol") == "lib/auth/Owned.sol"  # the longest prefix
    assert layout.remap("solmate/tokens/ERC20.sol", "test/T.sol") == "lib/solmate/src/tokens/ERC20.sol"
    assert layout.remap("solmate/tokens/ERC20.sol", "src/V.sol") == "lib/old/tokens/ERC20.sol"  # a context wins
    assert layout.remap("forge-std/Test.sol", "src/V.sol") == "forge-std/Test.sol"


def test_the_project_config_is_found_upward_and_its_paths_are_the_projects(tmp_path, monkeypatch):
    from levcheck.checkrun import CheckConfig
    from levcheck.errors import LevcheckError

    (tmp_path / "levcheck.toml").write_text('out = "reports"\nbudget = 30\n')
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.levcheck]: not a config
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    cfg = CheckConfig.from_pyproject()
    assert cfg.budget == 30 and Path(cfg.out) == tmp_path / "reports"
    with pytest.raises(LevcheckError, match="no such config file"):
        CheckConfig.from_pyproject(tmp_path / "missing.toml")
    (tmp_path / "levcheck.toml").write_text("budgett = 1\n")
    with pytest.raises(LevcheckError, match="unknown levcheck settings key"):
        CheckConfig.from_pyproject()


def test_init_appends_to_a_pyproject_and_reads_a_foundry_layout(tmp_path, capsys):
    from levcheck.cli import main

    here = project(tmp_path, "vault", FIXTURE)
    (here / "pyproject.toml").write_text('[project]\nname = "vault"\n')
    assert main(["init", str(here)]) == 0
    text = (here / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "vault"\n') and '[tool.levcheck]\n' in text and 'contracts = "src"' in text
    flow = (here / ".github" / "workflows" / "levcheck.yml").read_text()
    assert "levcheck analyze --contracts src" in flow and "levcheck check" not in flow  # other code: no protocol battery
    out = capsys.readouterr().out
    assert "levcheck build --contracts src" in out and "levcheck check " not in out
    assert main(["init", str(here)]) == 2
    assert "pyproject.toml already holds levcheck's settings" in capsys.readouterr().err
