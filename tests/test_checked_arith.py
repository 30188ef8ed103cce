"""Solidity 0.8's checked arithmetic in the model (issue 12): `IntArith.add/sub/mul/sub_int/to_int`
raise only while checking, the Z3 arithmetics keep the plain terms, `Model._tx` turns the errors into
the contracts' reverts, the views expect them, and the fuzzer's amounts reach the top of uint256.
The end-to-end cases (both sides revert Panic(0x11)) are the scenarios
tests/scenarios/checked-sums-beyond-uint256-panic.json and lp-first-deposit-product-beyond-uint256.json."""
from __future__ import annotations

import pytest

from levcheck.chain import modelside
from levcheck.specs import formulas as F
from levcheck.specs.arith import (
    INT, PANIC_ARITHMETIC, CheckedOverflow, IntArith, IntOverflow, Z3IntArith, Z3RealArith,
)
from levcheck.specs.model import Model, ModelRevert, model_state
from levcheck.specs.params import BUNDLED

M = 2**256 - 1


def checking() -> IntArith:
    ar = IntArith()
    ar.checking = True
    return ar


def test_int_arith_is_exact_when_not_checking() -> None:
    ar = IntArith()
    assert ar.add(M, 1) == 2**256 and ar.sub(0, 1) == -1 and ar.mul(2**128, 2**128) == 2**256
    assert ar.sub_int(2**255 - 1, -2) == 2**255 + 1 and ar.to_int(2**255) == 2**255


@pytest.mark.parametrize("op,args", [
    ("add", (M, 1)), ("add", (2**255, 2**255)),
    ("sub", (0, 1)), ("sub", (5, 6)),
    ("mul", (2**128, 2**128)), ("mul", (M, 2)),
    ("sub_int", (2**255 - 1, -1)), ("sub_int", (-(2**255), 1)),
])
def test_checked_operators_raise_only_while_checking(op: str, args: tuple) -> None:
    with pytest.raises(CheckedOverflow):
        getattr(checking(), op)(*args)
    getattr(IntArith(), op)(*args)  # the same operation, not checking: exact


@pytest.mark.parametrize("op,args,want", [
    ("add", (M - 1, 1), M), ("sub", (1, 1), 0), ("mul", (2**128, 2**128 - 1), 2**256 - 2**128),
    ("sub_int", (2**255 - 1, 0), 2**255 - 1), ("sub_int", (-(2**255) + 1, 1), -(2**255)), ("to_int", (2**255 - 1,), 2**255 - 1),
])
def test_checked_operators_at_their_limits(op: str, args: tuple, want: int) -> None:
    assert getattr(checking(), op)(*args) == want


def test_to_int_raises_int_overflow_while_checking() -> None:
    with pytest.raises(IntOverflow):
        checking().to_int(2**255)


def test_z3_arithmetics_keep_the_plain_terms() -> None:
    import z3

    a, b = z3.Ints("a b")
    for ar in (Z3IntArith(), Z3RealArith()):
        assert ar.add(a, b).eq(a + b) and ar.sub(a, b).eq(a - b) and ar.mul(a, b).eq(a * b)
        assert ar.sub_int(a, b).eq(a - b) and ar.to_int(a).eq(a)


def test_reserve_valuation_is_equity_and_floor_of_the_separate_formulas() -> None:
    p = 2_000 * 10**18
    series = [(True, 7 * 10**18, 3 * 10**21, 10**22), (False, 2 * 10**18, 5 * 10**22, 9 * 10**18), (True, 0, 1, 10**20)]
    equity, floor, lent, idle = F.reserve_valuation(INT, 1_000, 10**20, 3 * 10**22, p, series)
    loans = [F.loan_value_quote(INT, *s, p) for s in series]
    assert equity == F.reserve_equity_quote(INT, 10**20, 3 * 10**22, p, loans)
    assert floor == F.floor_quote(INT, 1_000, [F.series_value(INT, *s, p) for s in series])
    assert lent == sum(loans) and idle == F.reserve_idle_quote(INT, 10**20, 3 * 10**22, p)


# ---------------------------------------------------------------- the model's transactions


def fresh() -> Model:
    return Model.deploy(BUNDLED, 1_000)


def test_a_faucet_past_the_supply_reverts_panic_and_changes_nothing() -> None:
    m = fresh()
    m.token_mint("alice", "QUOTE", "alice", M - m.tokens["QUOTE"].total_supply, 0)
    before = m.tokens["QUOTE"].clone()
    with pytest.raises(ModelRevert) as exc:
        m.token_mint("alice", "QUOTE", "alice", 1, 0)
    assert (exc.value.name, exc.value.values) == ("Panic", (PANIC_ARITHMETIC,)) and m.last_events == []
    assert m.tokens["QUOTE"] == before and INT.checking is False


def test_a_borrow_beyond_the_series_holding_reverts_panic_before_the_idle_check() -> None:
    """LeveragedToken._borrow adds the loan to the series' holding before ReservePool.borrow checks
    its idle funds: with both exceeded the contract panics; with the holding small it is InsufficientLiquidity."""
    m = fresh()
    idle = m.reserve.idle_quote
    with pytest.raises(ModelRevert) as exc:
        m._tx(m._borrow, "series0", idle + 1, M - idle)
    assert exc.value.name == "Panic" and exc.value.values == (0x11,)
    with pytest.raises(ModelRevert) as exc:
        m._tx(m._borrow, "series0", idle + 1, 0)
    assert exc.value.name == "InsufficientLiquidity"


def test_a_series_value_beyond_int256_reverts_int_overflow() -> None:
    m = fresh()
    m.series["series0"].quote_held = 2**255  # recorded holdings whose value toInt refuses
    with pytest.raises(ModelRevert) as exc:
        m.settle_insolvency("keeper1", "series0", m.next_time)
    assert exc.value.name == "IntOverflow" and m.series["series0"].quote_held == 2**255


def test_the_views_expect_the_contracts_reverts() -> None:
    m = fresh()
    now = m.next_time
    holders = ("alice",)
    views = modelside.expected_views(model_state(m, now, holders))
    assert all(not (isinstance(v, tuple) and v[:1] == ("revert",)) or v == ("revert", "SeriesInsolvent") for v in views.values())
    m.reserve.idle_quote = M  # idle BASE valued + idle QUOTE: a checked sum
    views = modelside.expected_views(model_state(m, now, holders))
    assert views["reserve.equityQuote"] == views["reserve.health"] == ("revert", "Panic")
    m.reserve.idle_quote, m.reserve.idle_base = 0, M  # idle BASE x price / WAD beyond uint256
    assert modelside.expected_views(model_state(m, now, holders))["reserve.floorQuote"] == ("revert", "MulDivOverflow")
    m.reserve.idle_base = 0
    m.series["series1"].quote_held = 2**255
    views = modelside.expected_views(model_state(m, now, holders))
    assert views["series1.navPerToken"] == views["series1.leverage"] == ("revert", "IntOverflow")
    assert views["reserve.equityQuote"] != ("revert", "IntOverflow")  # the reserve's valuation has no toInt


# ---------------------------------------------------------------- the fuzzer's amounts


def test_huge_draws_span_the_top_of_uint256() -> None:
    from levcheck.fuzz.machine import Draw, huge

    draws = [huge(Draw(c)) for c in range(4_000)]
    assert all(2**100 <= x <= M for x in draws)
    assert any(x > 2**250 for x in draws) and any(x >= 2**255 for x in draws)
    assert {M, M - 1, M - 2, M - 3} <= set(draws)
    assert {2**100, 2**255} <= set(draws)  # exact powers of two at both ends


def test_amount_draws_reach_above_2_250() -> None:
    from levcheck.fuzz.machine import Draw

    draws = [Draw(c).amount() for c in range(20_000)]
    assert max(draws) > 2**250 and max(draws) <= M
