"""`levcheck init [DIR]`: make a folder a levcheck project.

Writes the settings (`levcheck.toml`, or a `[tool.levcheck]` table appended to an existing pyproject.toml),
a package.json pinning the npm solc levcheck compiles with, and a CI workflow. Never overwrites: an
existing levcheck config is an error; an existing package.json or workflow is kept and named.
"""
from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

from .. import __version__
from ..chain import project
from ..chain.build import SOLC_VERSION
from ..errors import LevcheckError
from ..exitcodes import ExitCode

NAME = "init"
HELP = "write a starter config (levcheck.toml or [tool.levcheck]), a package.json pinning solc and a CI workflow"
WORKFLOW = Path(".github") / "workflows" / "levcheck.yml"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=".", help="the project folder (default: the current folder)")


def run(args: argparse.Namespace) -> ExitCode:
    root = Path(args.dir)
    if not root.is_dir():
        raise LevcheckError(f"{args.dir}: no such folder")
    py = root / "pyproject.toml"
    own = root / project.CONFIG_FILE
    existing = own if own.is_file() else py if py.is_file() and "levcheck" in _toml(py).get("tool", {}) else None
    if existing:
        raise LevcheckError(f"{existing} already holds levcheck's settings: edit it (init never overwrites)")
    contracts = _contracts(root)
    wrote, kept = [], []
    if py.is_file():  # one config file per project: the pyproject.toml the project already has
        text = py.read_text()
        py.write_text(text + ("" if text.endswith("\n") or not text else "\n") + "\n[tool.levcheck]\n" + _settings(contracts))
        wrote.append(f"{py} ([tool.levcheck] appended)")
    else:
        (root / project.CONFIG_FILE).write_text(_settings(contracts))
        wrote.append(str(root / project.CONFIG_FILE))
    _write_new(root / "package.json", _package_json(), f"(npm solc {SOLC_VERSION})", wrote, kept)
    _write_new(root / WORKFLOW, workflow(contracts), "", wrote, kept)
    for line in wrote:
        print(f"wrote {line}")
    for line in kept:
        print(f"kept {line}")
    flag = f" --contracts {contracts}" if contracts else ""
    steps = [(f"cd {root} && npm install" if root.resolve() != Path.cwd().resolve() else "npm install",
              f"the solc-js {SOLC_VERSION} levcheck compiles with"),
             (f"levcheck build{flag}", f"compile {contracts or 'the bundled protocol'}"),
             (f"levcheck analyze{flag}", "Slither's and levcheck's detectors"),
             ("levcheck check", "the protocol's whole battery: build, analyze, prove, fuzz, replay")]
    if contracts not in (None, "contracts"):  # other code: check, fuzz and replay test the protocol only
        steps.pop()
    print("next:")
    width = max(len(cmd) for cmd, _ in steps) + 2
    for cmd, why in steps:
        print(f"  {cmd.ljust(width)}# {why}")
    return ExitCode.PASS


def _contracts(root: Path) -> str | None:
    """The project's contracts folder: a Foundry layout's `src`, else `contracts/`; None: none yet (the
    bundled protocol)."""
    foundry_toml = root / "foundry.toml"
    if foundry_toml.is_file():
        return str(_toml(foundry_toml).get("profile", {}).get("default", {}).get("src", "src"))
    return "contracts" if (root / "contracts").is_dir() else None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise LevcheckError(f"{path}: not valid TOML: {exc}") from None


def _settings(contracts: str | None) -> str:
    where = (f'contracts = "{contracts}"' if contracts else
             '# contracts = "contracts"  # your .sol folder; without one, levcheck checks its bundled protocol')
    return (
        "# levcheck's settings (`levcheck check` reads them; the command line wins). `levcheck check` tests the\n"
        "# leveraged-token protocol its SPEC.md describes; on other code, use `levcheck build` and `levcheck analyze`.\n"
        f"{where}\n"
        'out = "levcheck-out"\n'
        "budget = 240\n"
        'backend = "pyrevm"\n'
        '# fuzz_profile = "ci"\n'
        "# seed = 1\n"
    )


def _package_json() -> str:
    return json.dumps({"private": True, "description": "the Solidity compiler levcheck uses (solc-js)",
                       "devDependencies": {"solc": SOLC_VERSION}}, indent=2) + "\n"


def _write_new(path: Path, text: str, what: str, wrote: list[str], kept: list[str]) -> None:
    if path.exists():
        kept.append(f"{path} (exists)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    wrote.append(f"{path} {what}".rstrip())


def workflow(contracts: str | None) -> str:
    """The project's CI: `analyze` (any Solidity) and, for the protocol (the bundled one, or a
    `contracts/` folder), `check` (the whole battery)."""
    flag = f" --contracts {contracts}" if contracts else ""
    setup = """      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: .github/workflows/levcheck.yml
      - uses: actions/setup-node@v4
        with:
          node-version: "20"
      - uses: actions/cache@v4
        with:
          path: ~/.npm
          key: npm-${{ hashFiles('package.json', 'package-lock.json') }}
      - name: Install levcheck and solc-js
        run: |
          pip install "$LEVCHECK"
          if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
"""
    check_job = f"""
  check:
    # The protocol's battery. A fixed seed per commit keeps a red build reproducible: rerun with the same --seed.
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
{setup}      - name: levcheck check
        run: levcheck check --out levcheck-out --seed "$((16#${{GITHUB_SHA:0:7}}))"
      - name: Job summary
        if: always()
        run: cat levcheck-out/latest/summary.md >> "$GITHUB_STEP_SUMMARY"
      - name: Upload reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: levcheck-reports
          path: levcheck-out/
      - name: Upload SARIF to code scanning
        if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: levcheck-out/latest/levcheck.sarif
          category: levcheck-check
""" if contracts in (None, "contracts") else ""
    return f"""# levcheck in CI (written by `levcheck init`). Exit codes: 0 pass, 1 finding/counterexample, 2 error, 3 timeout.
# pip's and npm's downloads are cached, keyed on this file (it pins levcheck) and package.json/package-lock.json.
name: levcheck
on:
  push:
  pull_request:

env:
  LEVCHECK: "levcheck=={__version__}"  # or the wheel / git URL you install levcheck from

jobs:
  analyze:
    # Slither's and levcheck's detectors on the contracts; findings go to code scanning.
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
{setup}      - name: levcheck build
        run: levcheck build{flag}
      - name: levcheck analyze
        run: levcheck analyze{flag} --sarif levcheck.sarif
      - name: Upload SARIF to code scanning
        if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: levcheck.sarif
          category: levcheck-analyze
{check_job}"""
