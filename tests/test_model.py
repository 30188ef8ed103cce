"""The reference model on its own: deployment, mint/redeem/rebalance flows, reverts, atomicity, invariants."""
from __future__ import annotations

import pytest

from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, WAD
from levcheck.specs.invariants import INVARIANTS, Outcome, check_all
from levcheck.specs.model import MAX_UINT, Model, ModelRevert, model_state
from levcheck.specs.params import BUNDLED

T0 = 1_700_000_000
HOLDERS = ("alice", "bob", "oracle-keeper", "deployer", "pool", "reserve", "series0", "series1")


@pytest.fixture()
def m() -> Model:
    m = Model.deploy(BUNDLED, T0)
    t = m.next_time
    for who in ("alice", "bob"):
        m.token_mint(who, "QUOTE", who, 10**7 * WAD, t)
        m.token_mint(who, "BASE", who, 10**4 * WAD, t)
        for spender in ("series0", "series1", "pool", "reserve"):
            m.approve(who, "QUOTE", spender, MAX_UINT, t)
            m.approve(who, "BASE", spender, MAX_UINT, t)
    return m


def state(m: Model, t: int):
    return model_state(m, t, HOLDERS)


def test_deploy_matches_parameters() -> None:
    m = Model.deploy(BUNDLED, T0)
    assert m.pool.reserve_base == BUNDLED.pool_base
    assert m.pool.reserve_quote == BUNDLED.pool_base * BUNDLED.initial_price // WAD
    assert (m.reserve.idle_base, m.reserve.idle_quote) == (BUNDLED.reserve_base, BUNDLED.reserve_quote)
    assert m.oracle.updated_at == T0 + 3  # QUOTE, BASE, oracle, then setPrice
    assert list(m.reserve.series) == ["series0", "series1"]
    assert check_all(state(m, m.next_time)) == []


@pytest.mark.parametrize("series", ["series0", "series1"])
def test_first_mint_lands_near_target_and_minter_pays_the_swap(m: Model, series: str) -> None:
    t = m.next_time
    shares = m.mint("alice", series, 1_000 * WAD, 0, t)
    lev = m.leverage(series, t)
    assert abs(lev - 3 * WAD) < WAD // 20
    # NAV per token starts at 1 (shares == realised dV) and the minter got less value than paid.
    assert m.nav_per_token(series, t) == WAD
    assert shares < 1_000 * WAD
    names = [e.name for e in m.last_events]
    assert names[-1] == "Minted" and "Swap" in names


def test_revert_is_atomic_and_named(m: Model) -> None:
    t = m.next_time
    before = state(m, t)
    with pytest.raises(ModelRevert) as exc:
        m.mint("alice", "series0", 1_000 * WAD, 10**30, t)
    assert exc.value.name == "InsufficientShares"
    assert state(m, t) == before
    assert m.last_events == []
    with pytest.raises(ModelRevert) as exc:
        m.rebalance("bob", "series0", t)
    assert exc.value.name == "EmptySeries"
    with pytest.raises(ModelRevert) as exc:
        m.set_price("alice", WAD, t)
    assert exc.value.name == "NotKeeper"


def test_stale_price_blocks_mint(m: Model) -> None:
    t = m.oracle.updated_at + BUNDLED.oracle_max_age + 1
    with pytest.raises(ModelRevert) as exc:
        m.mint("alice", "series0", WAD, 0, t)
    assert (exc.value.name, exc.value.values) == ("StalePrice", (m.oracle.updated_at, t))


def test_band_trigger_directions_and_rebalance_restores(m: Model) -> None:
    t = m.next_time
    m.mint("alice", "series0", 10_000 * WAD, 0, t)
    m.mint("alice", "series1", 10_000 * WAD, 0, t + 1)
    t += 2
    with pytest.raises(ModelRevert) as exc:
        m.rebalance("bob", "series0", t)
    assert exc.value.name == "NotTriggered"
    # -7% : the long leaves the band from above (leverage rises in a fall), the short from below.
    m.set_price("oracle-keeper", BUNDLED.initial_price * 93 // 100, t)
    assert m.leverage("series0", t) > 35 * WAD // 10
    assert m.leverage("series1", t) < 25 * WAD // 10
    prev = state(m, t + 1)
    trig = m.rebalance("bob", "series0", t + 1)
    assert trig == 0
    ev = next(e for e in m.last_events if e.name == "Rebalanced")
    assert ev.args["increase"] is False and m.last_events[-1].name == "Rebalanced"
    after = state(m, t + 2)
    assert 25 * WAD // 10 <= m.leverage("series0", t + 2) <= 35 * WAD // 10
    outcome = Outcome("rebalance", "bob", {"series": "series0"}, events=tuple(e.key() for e in m.last_events))
    assert check_all(after, prev, outcome) == []
    assert m.tokens["QUOTE"].balance("bob") == 10**7 * WAD + BUNDLED.series[0].keeper_fee


def test_mint_then_redeem_never_profits(m: Model) -> None:
    t = m.next_time
    m.mint("bob", "series1", 5_000 * WAD, 0, t)
    q0 = m.tokens["QUOTE"].balance("alice")
    shares = m.mint("alice", "series1", 777 * WAD, 0, t + 1)
    out = m.redeem("alice", "series1", shares, 0, t + 2)
    assert out < 777 * WAD
    assert m.tokens["QUOTE"].balance("alice") == q0 - 777 * WAD + out


def test_insolvency_settles_as_bad_debt(m: Model) -> None:
    t = m.next_time
    m.mint("alice", "series0", 1_000 * WAD, 0, t)
    m.set_price("oracle-keeper", BUNDLED.initial_price * 60 // 100, t + 1)  # -40% on a 3x long: V < 0
    price = m.oracle.price
    v = m._value("series0", price)
    assert v < 0
    with pytest.raises(ModelRevert) as exc:
        m.mint("bob", "series0", WAD, 0, t + 2)
    assert exc.value.name == "SeriesInsolvent"
    prev = state(m, t + 2)
    m.settle_insolvency("bob", "series0", t + 2)
    assert m.reserve.bad_debt == -v
    assert m.debt("series0") == 0
    outcome = Outcome("settle_insolvency", "bob", {"series": "series0"}, events=tuple(e.key() for e in m.last_events))
    assert check_all(state(m, t + 3), prev, outcome) == []


def test_allocate_fees_and_checkpoint_rate_limits(m: Model) -> None:
    t = m.next_time
    m.swap_exact_in("alice", "QUOTE", 50_000 * WAD, 0, "alice", t)
    base, quote = m.allocate_fees("bob", t + 1)
    assert base == 0 and quote == F.protocol_fee(INT, F.fee_up(INT, 50_000 * WAD, 30), 2_000) > 0
    with pytest.raises(ModelRevert) as exc:
        m.allocate_fees("bob", t + 2)
    assert exc.value.name == "TooEarly" and exc.value.values == (t + 1 + BUNDLED.fee_period,)
    m.checkpoint("bob", t + 3)
    with pytest.raises(ModelRevert):
        m.checkpoint("bob", t + 4)


def test_invariants_catch_planted_accounting_error(m: Model) -> None:
    t = m.next_time
    m.mint("alice", "series0", 1_000 * WAD, 0, t)
    m.series["series0"].base_held += 1  # a recorded holding that no token balance backs
    found = check_all(state(m, t + 1))
    assert {v.invariant for v in found} == {"accounting.holdings"}
    (v,) = found  # typed: the series and the numbers by name, not only a message to parse back
    assert v.series == "series0"
    assert v.values["recorded"] == v.values["actual"] + 1 and v.values["donated"] == 0
    assert str(v).startswith("accounting.holdings: series0 records ")


def test_every_invariant_is_stated_once_with_a_family() -> None:
    ids = [i.id for i in INVARIANTS]
    assert len(ids) == len(set(ids))
    assert {i.family for i in INVARIANTS} == {"band", "floor", "fees", "accounting", "econ"}
    assert all(i.statement.endswith(".") or i.statement.endswith(")") for i in INVARIANTS)


def test_model_state_matches_the_fuzzers_snapshot() -> None:
    """specs.model.model_state and the fuzzer's raw-order snapshot are the same state."""
    from levcheck.chain.driver import state_from_raw
    from levcheck.chain.modelside import model_raw

    m = Model.deploy(BUNDLED, T0)
    t = m.next_time
    m.token_mint("alice", "QUOTE", "alice", 10**6 * WAD, t)
    m.approve("alice", "QUOTE", "series1", MAX_UINT, t + 1)
    m.mint("alice", "series1", 100 * WAD, 0, t + 2)
    series = ("series0", "series1")
    a = model_state(m, t + 3, HOLDERS)
    b = state_from_raw(model_raw(m, series, HOLDERS), BUNDLED, series, HOLDERS, t + 3, ())
    assert a == b
