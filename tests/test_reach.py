"""Issue 12, reach: every external function of every contract is reached by some action in a default
campaign. ERC-20 `approve` / `transferFrom` are scenario actions (`approve`, `transfer_from`), and the
views no comparison read (`SpotPool.spotPrice`, `ReservePool.seriesCount`, `LeveragedToken.value` and
`exposure`) are compared with the model's values (`modelside.expected_views`). Each broken variant
below is caught by the regression scenario tests/scenarios/allowances-approve-transfer-from.json, which
replays clean on the bundled contracts (tests/test_replay.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from levcheck.chain import modelside
from levcheck.chain.build import ROOT, build_contracts
from levcheck.chain.driver import view_names
from levcheck.fuzz.api import replay_file
from levcheck.chain.session import replay_scenario
from levcheck.specs.model import Model, model_state
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import Scenario, ScenarioError, Step, loads, dumps

SCENARIO = Path(__file__).parent / "scenarios" / "allowances-approve-transfer-from.json"
M = 2**256 - 1
WAD = 10**18


def _patched(*patches: tuple[str, str, str]) -> dict[str, str]:
    """{source unit: text} with each (file, old, new) applied once; a missing anchor fails the test."""
    out: dict[str, str] = {}
    for path, old, new in patches:
        text = out.get(path) or (ROOT / path).read_text()
        assert text.count(old) == 1, f"{path}: anchor {old!r} not found once"
        out[path] = text.replace(old, new)
    return out


# ---------------------------------------------------------------- broken variants, replayed


@pytest.mark.parametrize("old,new,step,diff", [
    # the finite allowance kept whole: the first spend leaves it untouched (the session compares the
    # allowance a step set or spent; before that, the spend one wei above the used-up allowance, step 3)
    ("allowance[from][msg.sender] = allowed - amount;", "allowance[from][msg.sender] = allowed;", 1,
     "QUOTE.allowance(alice, bob) (model != contracts): 600000000000000000000 != 1000000000000000000000"),
    # an approval stored one wei short: seen on the approval itself
    ("allowance[msg.sender][spender] = amount;", "allowance[msg.sender][spender] = amount - 1;", 0,
     "QUOTE.allowance(alice, bob) (model != contracts): 1000000000000000000000 != 999999999999999999999"),
    # issue 13's live mutant 58604a49c650 (`<` -> `<=`): spending exactly the allowance left is refused
    ("if (allowed < amount) revert", "if (allowed <= amount) revert", 2,
     "revert: model None() vs EVM InsufficientAllowance(600000000000000000000, 600000000000000000000)"),
], ids=["not-decremented", "approve-short", "allowance-lte"])
def test_a_broken_finite_allowance_is_caught(old: str, new: str, step: int, diff: str) -> None:
    """ERC20Base.transferFrom's finite-allowance path broken: the scenario diverges on the spend that
    meets the broken comparison or decrement, with the model's and the contracts' reverts."""
    artifacts = build_contracts(extra_sources=_patched(("contracts/ERC20Base.sol", old, new)))
    r = replay_file(SCENARIO, artifacts=artifacts)
    assert r.failed and r.first_failure == step, r.render()
    assert r.steps[step].step.action in ("approve", "transfer_from")
    assert diff in r.steps[step].differences, r.render()


def test_wrong_views_are_caught_on_the_first_step() -> None:
    """spotPrice, seriesCount, value and exposure each one off: every one is a view difference as soon
    as the views are read (a replay reads them on every step)."""
    artifacts = build_contracts(extra_sources=_patched(
        ("contracts/SpotPool.sol", "return reserveQuote.mulDivDown(1e18, reserveBase);", "return reserveQuote.mulDivDown(1e18, reserveBase) + 1;"),
        ("contracts/ReservePool.sol", "return series.length;", "return series.length + 1;"),
        ("contracts/LeveragedToken.sol", "return _value(_price());", "return _value(_price()) + 1;"),
        ("contracts/LeveragedToken.sol", "return SeriesMath.exposure(isLong, baseHeld, debt(), _price());",
         "return SeriesMath.exposure(isLong, baseHeld, debt(), _price()) + 1;"),
    ))
    r = replay_file(SCENARIO, artifacts=artifacts)
    assert r.failed and r.first_failure == 0, r.render()
    diffs = r.steps[0].differences
    expected = modelside.expected_views(_state_after_setup())
    for name in ("pool.spotPrice", "reserve.seriesCount", "series0.value", "series0.exposure", "series1.value", "series1.exposure"):
        want = expected[name]
        assert f"view {name}: model {want} vs EVM {want + 1}" in diffs, (name, diffs)
    assert not [d for d in diffs if not d.startswith("view ")], diffs  # nothing but the four views


def _state_after_setup():
    """The model's snapshot after the scenario's first step (an approval: no view changes)."""
    from levcheck.chain.session import Session
    from levcheck.specs.scenario import load

    sc = load(SCENARIO)
    s = Session(sc.params, sc.actors, sc.funding, "pyrevm")
    try:
        s.step(0, sc.steps[0])
        return s.prev_state
    finally:
        s.close()


# ---------------------------------------------------------------- the views, per the contracts


def test_the_compared_views_are_every_computed_view() -> None:
    assert view_names(("series0",)) == ["pool.spotPrice", "reserve.equityQuote", "reserve.floorQuote", "reserve.isAboveFloor",
                                        "reserve.health", "reserve.seriesCount", "series0.navPerToken", "series0.leverage",
                                        "series0.value", "series0.exposure"]


def test_expected_views_spot_price_series_count_value_exposure() -> None:
    m = Model.deploy(BUNDLED, 1)
    now = m.next_time
    st = model_state(m, now, ("alice",))
    v = modelside.expected_views(st)
    assert set(v) == set(view_names(("series0", "series1")))
    assert v["pool.spotPrice"] == m.pool.reserve_quote * WAD // m.pool.reserve_base == BUNDLED.initial_price
    assert v["reserve.seriesCount"] == len(BUNDLED.series) == 2
    assert v["series0.value"] == v["series0.exposure"] == 0  # nothing minted yet
    # an empty pool quotes 0; a quote reserve 2**256 - 1 over 1 wei of BASE: mulDiv's result beyond uint256
    m.pool.reserve_base, m.pool.reserve_quote = 0, 0
    assert modelside.expected_views(model_state(m, now, ("alice",)))["pool.spotPrice"] == 0
    m.pool.reserve_base, m.pool.reserve_quote = 1, M
    assert modelside.expected_views(model_state(m, now, ("alice",)))["pool.spotPrice"] == ("revert", "MulDivOverflow")
    # a long series' BASE x price beyond uint256: value and exposure revert as SeriesMath's mulDiv does
    m.series["series0"].base_held = M
    v = modelside.expected_views(model_state(m, now, ("alice",)))
    assert v["series0.value"] == v["series0.exposure"] == ("revert", "MulDivOverflow")
    # a short owing more BASE than it holds: negative value, exposure (d - b) x P
    m.series["series0"].base_held = 0
    m.reserve.debt_of["series1"] = 5 * WAD
    m.series["series1"].quote_held = 1_000 * WAD
    v = modelside.expected_views(model_state(m, now, ("alice",)))
    p = m.oracle.price
    assert v["series1.value"] == 1_000 * WAD - 5 * p and v["series1.value"] < 0
    assert v["series1.exposure"] == 5 * p


def test_a_stale_price_reverts_only_the_views_that_read_the_oracle() -> None:
    m = Model.deploy(BUNDLED, 1)
    v = modelside.expected_views(model_state(m, m.next_time + BUNDLED.oracle_max_age + 10**6, ("alice",)))
    assert v["pool.spotPrice"] == BUNDLED.initial_price and v["reserve.seriesCount"] == 2
    assert {k: x for k, x in v.items() if k not in ("pool.spotPrice", "reserve.seriesCount")} == dict.fromkeys(
        [n for n in view_names(("series0", "series1")) if n not in ("pool.spotPrice", "reserve.seriesCount")], ("revert", "StalePrice"))


def test_the_spot_price_overflow_agrees_with_the_contracts() -> None:
    """A huge QUOTE swap leaves the pool about 1 wei of BASE: its spot price is beyond uint256 on both
    sides (the replay compares the views after every step)."""
    amount = 2**255
    sc = Scenario(actors=("trader",), steps=[Step.of("faucet", "trader", token="QUOTE", amount=amount),
                                             Step.of("swap_exact_in", "trader", token_in="QUOTE", amount_in=amount)])
    from levcheck.chain.session import Session

    s = Session(sc.params, sc.actors, sc.funding, "pyrevm")
    try:
        r = replay_scenario(sc, session=s)
        assert r.status == "passed", r.render()
        assert s.chain.read_views()["pool.spotPrice"] == modelside.expected_views(s.prev_state)["pool.spotPrice"] == ("revert", "MulDivOverflow")
    finally:
        s.close()


# ---------------------------------------------------------------- the actions in the scenario format


def test_approve_and_transfer_from_steps_name_known_accounts() -> None:
    def one(step: dict) -> str:
        raw = {"format": "levcheck-scenario", "format_version": 1, "actors": ["alice", "bob"], "steps": [step]}
        import json

        with pytest.raises(ScenarioError) as exc:
            loads(json.dumps(raw))
        return str(exc.value)

    assert "unknown spender 'mallory'" in one({"action": "approve", "actor": "alice", "token": "QUOTE", "spender": "mallory", "amount": 1})
    assert "unknown owner 'mallory'" in one({"action": "transfer_from", "actor": "bob", "token": "QUOTE", "owner": "mallory",
                                             "to": "bob", "amount": 1})
    assert "missing ['owner']" in one({"action": "transfer_from", "actor": "bob", "token": "QUOTE", "to": "bob", "amount": 1})
    step = Step.of("transfer_from", "bob", token="series0", owner="alice", to="pool", amount=5)
    assert eval(repr(step), {"Step": Step}) == step  # a step's repr is a Python call
    assert loads(dumps(Scenario(steps=[step]))).steps == [step]
