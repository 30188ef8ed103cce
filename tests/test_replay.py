"""`levcheck replay` and the regression scenarios under tests/scenarios/ (each must pass: a scenario
there records a bug that was fixed or a behaviour the spec settles)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from levcheck.fuzz.api import replay_file
from levcheck.specs.scenario import FORMAT_VERSION, Scenario, Step, dumps
from levcheck.cli import main

SCENARIOS = sorted(Path(__file__).parent.joinpath("scenarios").glob("*.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_regression_scenario_passes(path: Path) -> None:
    r = replay_file(path)
    assert r.status == "passed", r.render()


def test_there_are_regression_scenarios() -> None:
    assert SCENARIOS


def test_replay_exit_codes(tmp_path, capsys) -> None:
    good = tmp_path / "good.json"
    good.write_text(dumps(Scenario(steps=[Step.of("mint", "alice", series="series0", quote_in=10**21)], actors=("alice",))))
    assert main(["replay", str(good)]) == 0
    assert "all 1 steps agree" in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    raw = json.loads(good.read_text())
    raw["format_version"] = FORMAT_VERSION + 1
    bad.write_text(json.dumps(raw))
    assert main(["replay", str(bad)]) == 2
    assert "levcheck replay: error: " in (err := capsys.readouterr().err) and "format version" in err  # errors on stderr, like every command
    assert main(["replay", str(tmp_path / "missing.json")]) == 2


def test_replay_exit_code_1_while_it_fails(tmp_path, capsys) -> None:
    """A scenario whose step reverts differently on the model: forged by asking the model for an
    impossible minimum (the EVM reverts with the same error, so use a state the two disagree on)."""
    from levcheck.fuzz.mutants import by_name

    path = tmp_path / "fee.json"
    path.write_text(dumps(Scenario(steps=[Step.of("mint", "alice", series="series0", quote_in=10**21)], actors=("alice",))))
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    m = by_name("mint-fee-to-pool")
    root = Path(__file__).resolve().parent.parent
    for src in (root / "contracts").glob("*.sol"):
        (contracts / src.name).write_text(src.read_text())
    (contracts / "LeveragedToken.sol").write_text(m.sources()[m.path])
    assert main(["replay", str(path), "--contracts", str(contracts)]) == 1
    assert "DIFF" in capsys.readouterr().out
