"""The scenario file format: round trip, readable numbers, and clear refusals."""
from __future__ import annotations

import json

import pytest

from levcheck.specs.scenario import FORMAT_VERSION, Scenario, ScenarioError, Step, dumps, load, loads
from levcheck.specs.params import BUNDLED


def sample() -> Scenario:
    return Scenario(
        steps=[
            Step.of("mint", actor="alice", series="series0", quote_in=10**21),
            Step.of("warp", seconds=3600),
            Step.of("set_price", price=1900 * 10**18),
            Step.of("rebalance", actor="bob", series="series0"),
        ],
        origin="manual",
        description="a fall then a rebalance",
    )


def test_round_trip(tmp_path) -> None:
    sc = sample()
    path = tmp_path / "s.json"
    path.write_text(dumps(sc))
    back = load(path)
    assert back.steps == sc.steps
    assert back.params == BUNDLED
    assert back.actors == sc.actors
    assert eval(repr(sc.steps[0]), {"Step": Step}) == sc.steps[0]  # repr is valid Python


def test_readable_numbers_and_partial_params() -> None:
    raw = json.loads(dumps(sample()))
    raw["params"] = {"floor_bps": 2000}
    raw["steps"][0]["quote_in"] = "1.5e21"
    sc = loads(json.dumps(raw))
    assert sc.steps[0].args["quote_in"] == 1_500 * 10**18
    assert sc.params.floor_bps == 2000 and sc.params.pool_fee_bps == BUNDLED.pool_fee_bps


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.update(format_version=FORMAT_VERSION + 1), "format version"),
        (lambda r: r.pop("format"), "not a levcheck scenario"),
        (lambda r: r["steps"].append({"action": "teleport"}), "unknown action"),
        (lambda r: r["steps"].append({"action": "mint", "series": "series0"}), "missing"),
        (lambda r: r["steps"][0].update(quote_in="1.5"), "whole number"),
        (lambda r: r["params"].update(floor_bps=20_000), "InvalidFloor"),
    ],
)
def test_bad_files_are_refused_with_a_reason(mutate, message) -> None:
    raw = json.loads(dumps(sample()))
    mutate(raw)
    with pytest.raises(ScenarioError, match=message):
        loads(json.dumps(raw))


def test_not_json_and_missing_file(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="not valid JSON"):
        loads("{nope")
    with pytest.raises(ScenarioError, match="does not exist"):
        load(tmp_path / "missing.json")
