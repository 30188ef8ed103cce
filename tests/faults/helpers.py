"""Shared by the fault tests: run the real CLI in-process and read back what it printed and wrote."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from levcheck.chain.build import ROOT
from levcheck.cli import main

SCENARIOS = ROOT / "tests" / "scenarios"
GOOD_SCENARIO = SCENARIOS / "tour-every-action.json"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `levcheck ARGV`, argparse's own exit included."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refuses a bad option value with exit 2
        code = exc.code
    out = capsys.readouterr()
    return int(code), out.out, out.err


def contracts_without(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", folder)
    for f in files:
        (folder / f).unlink()
    return folder


def scenario_with(tmp_path: Path, name: str = "bad.json", **edit) -> Path:
    """A copy of a good scenario with `edit(raw)` applied: steps=callable, or top-level keys."""
    raw = json.loads(GOOD_SCENARIO.read_text())
    for key, value in edit.items():
        if callable(value):
            value(raw)
        else:
            raw[key] = value
    path = tmp_path / name
    path.write_text(json.dumps(raw))
    return path


def summary(out: Path) -> tuple[dict, ET.Element]:
    run_folder = out / "latest"
    return json.loads((run_folder / "summary.json").read_text()), ET.parse(run_folder / "junit.xml").getroot()


def stage(summary: dict, name: str) -> dict:
    return next(s for s in summary["stages"] if s["name"] == name)
