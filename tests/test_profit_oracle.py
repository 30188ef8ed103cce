"""econ.profit, the profit oracle (issue 12): it fires on a keeper paid for a rebalance that traded
nothing, names the actor and the numbers, and stays silent on entitled fees, gifts, arbitrage, a price
change and a clean differential campaign.

The pairs of states are built from the real reference model's deployment snapshot, changed field by
field the way a step would change them; the campaign runs the real contracts on pyrevm.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from levcheck.specs import invariants as I
from levcheck.specs import procedures as P
from levcheck.specs.arith import INT, WAD
from levcheck.specs.invariants import Outcome, by_id
from levcheck.specs.model import Model, model_state
from levcheck.specs.params import BUNDLED
from levcheck.specs.state import SystemState

HOLDERS = ("alice", "bob", "carol", "trader", "keeper1", "deployer", "oracle-keeper", "pool", "reserve", "series0", "series1")
FEE = BUNDLED.series[0].keeper_fee
PROFIT = by_id("econ.profit")


@pytest.fixture
def deployed() -> SystemState:
    m = Model.deploy(BUNDLED, 1_000)
    for who in ("alice", "keeper1", "trader"):
        m.token_mint(who, "QUOTE", who, 1_000_000 * WAD, m.next_time)
    return model_state(m, m.next_time, HOLDERS)


def _pay(st: SystemState, who: str, amount: int, token: str = "QUOTE", frm: str = "reserve") -> SystemState:
    """`st` after `amount` of `token` moved from `frm` to `who` (balances only, and the reserve's books)."""
    bal = {(t, h): a for t, h, a in st.balances}
    bal[(token, who)] = bal.get((token, who), 0) + amount
    bal[(token, frm)] = bal.get((token, frm), 0) - amount
    new = dataclasses.replace(st, balances=tuple(sorted((t, h, a) for (t, h), a in bal.items() if a)))
    if frm == "reserve":
        new = dataclasses.replace(new, idle_quote=st.idle_quote - amount, keeper_paid=st.keeper_paid + amount)
    return new


def _rebalance(base_amount: int, who: str = "keeper1") -> Outcome:
    ev = ("series0", "Rebalanced", {"trigger": 0, "increase": True, "baseAmount": base_amount, "quoteAmount": 0,
                                    "levBefore": 0, "levAfter": 0, "navBefore": 0, "navAfter": 0})
    return Outcome("rebalance", who, {"series": "series0"}, events=(ev,))


def test_fires_on_a_keeper_paid_for_a_rebalance_that_traded_nothing(deployed: SystemState) -> None:
    after = _pay(deployed, "keeper1", FEE)
    found = PROFIT.check(after, deployed, _rebalance(0))
    assert [(v.invariant, v.actor) for v in found] == [("econ.profit", "keeper1")]
    v = found[0].values
    assert v["gain"] == FEE and v["entitled"] == 0 and v["arbitrage"] == 0 and v["received"] == 0
    assert v["allowed"] == v["tolerance"] and v["gain"] > v["allowed"]
    assert (v["first_step"], v["last_step"]) == (0, 0)
    assert "keeper1" in found[0].message
    # through check_all too, beside the other invariants
    assert [x.invariant for x in I.check_all(after, deployed, _rebalance(0)) if x.actor == "keeper1"] == ["econ.profit"]


def test_silent_when_the_fee_is_entitled(deployed: SystemState) -> None:
    base = 10 * WAD  # 10 BASE at 2,000: 1 % of the notional (200 QUOTE) exceeds the keeper fee
    assert P.keeper_fee_entitled(INT, FEE, P.trade_notional(INT, base, deployed.price)) == FEE
    assert PROFIT.check(_pay(deployed, "keeper1", FEE), deployed, _rebalance(base)) == []


def test_fires_on_the_part_of_the_fee_above_one_percent_of_the_notional(deployed: SystemState) -> None:
    base = WAD // 10  # 0.1 BASE = 200 QUOTE: entitled to 2 QUOTE of a 5 QUOTE fee
    found = PROFIT.check(_pay(deployed, "keeper1", FEE), deployed, _rebalance(base))
    assert [(v.invariant, v.actor) for v in found] == [("econ.profit", "keeper1")]
    assert found[0].values["entitled"] == 2 * WAD and found[0].values["gain"] == FEE


def test_a_gift_between_accounts_is_not_a_profit(deployed: SystemState) -> None:
    after = _pay(deployed, "bob", 7 * WAD, frm="alice")
    gift = Outcome("transfer", "alice", {"token": "QUOTE", "to": "bob", "amount": 7 * WAD},
                   events=(("QUOTE", "Transfer", {"from": "alice", "to": "bob", "amount": 7 * WAD}),))
    assert PROFIT.check(after, deployed, gift) == []
    # the same gain with no transfer behind it (bob paid by the reserve) fires, for bob
    taken = Outcome("transfer", "alice", {"token": "QUOTE", "to": "bob", "amount": 7 * WAD})
    assert [v.actor for v in PROFIT.check(_pay(deployed, "bob", 7 * WAD), deployed, taken)] == ["bob"]


def test_arbitrage_the_pool_offered_is_not_a_profit(deployed: SystemState) -> None:
    # the oracle moved 10 %: the pool (still at the old price) offers A to anyone; a trader takes part of it
    moved = dataclasses.replace(deployed, price=deployed.price * 11 // 10)
    opened = by_id("econ.profit")
    assert opened.check(moved, deployed, Outcome("set_price", "oracle-keeper", {"price": moved.price})) == []
    a = moved.arbitrage_value()
    assert a > 0
    after = _pay(moved, "trader", a // 2, frm="pool")
    swap = Outcome("swap_exact_in", "trader", {"token_in": "BASE"})
    assert PROFIT.check(after, moved, swap) == []
    more = _pay(moved, "trader", a + 10**6, frm="pool")
    assert [(v.invariant, v.actor) for v in PROFIT.check(more, moved, swap)] == [("econ.profit", "trader")]


def test_a_price_change_closes_the_window(deployed: SystemState) -> None:
    # a keeper fee paid in one window and an oracle move: the new window starts from the richer keeper
    paid = _pay(deployed, "keeper1", FEE)
    assert PROFIT.check(paid, deployed, _rebalance(0))  # fires in its window
    moved = dataclasses.replace(paid, price=paid.price + WAD)
    price = Outcome("set_price", "oracle-keeper", {"price": moved.price})
    assert PROFIT.check(moved, paid, price) == []
    w = I.profit_window(moved, paid, price)
    assert (w.first, w.last, w.price, w.closed_active) == (2, 1, moved.price, True)
    assert not PROFIT.applies(moved, paid, price)  # nobody active yet in the new window: not exercised
    assert PROFIT.applies(paid, deployed, _rebalance(0))


def test_the_window_survives_a_step_that_both_sides_reverted(deployed: SystemState) -> None:
    paid = _pay(deployed, "keeper1", FEE)
    PROFIT.check(paid, deployed, _rebalance(0))
    same = paid.at_time(paid.time + 1)  # what the session passes on when both sides reverted
    refused = Outcome("rebalance", "keeper1", {"series": "series0"}, reverted="NotTriggered")
    found = PROFIT.check(same, paid, refused)
    assert [v.actor for v in found] == ["keeper1"]
    assert (found[0].values["first_step"], found[0].values["last_step"]) == (0, 1)


def test_silent_on_a_clean_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A differential campaign with every actor of the machine (the adversaries included) on a market
    whose keeper fee is 1 wei, so that finding 1 (a fee for a trade of nothing) stays within the
    rounding tolerance: econ.profit alone is judged, and never fires."""
    from levcheck.fuzz.api import FuzzConfig, run_fuzz

    params = dataclasses.replace(BUNDLED, series=tuple(dataclasses.replace(s, keeper_fee=1) for s in BUNDLED.series))
    exercised: list[int] = []
    real = PROFIT.premise
    assert real is not None
    counted = dataclasses.replace(PROFIT, premise=lambda st, prev, o: _count(exercised, real(st, prev, o)))
    monkeypatch.setattr(I, "INVARIANTS", [counted])
    res = run_fuzz(FuzzConfig(seed=3, examples=4, params=params, out_dir=tmp_path, shrink=False))
    assert not res.failed, res.to_json().get("failure")
    assert res.steps > 500 and sum(exercised) > 100


def _count(into: list[int], applies: bool) -> bool:
    if applies:
        into.append(1)
    return applies


def test_rounding_another_holders_redeem_leaves_in_the_series_is_not_a_profit() -> None:
    """Found by a default `check` (seed 485382186): bob redeems a dust position; the rounding and fee he
    pays stay in the series, so carol's tokens are worth more. That is value bob sent her (SPEC: rounding
    against the user, for the protocol), not value she took: silent, with the accrual credited to her."""
    m = Model.deploy(BUNDLED, 1_000)
    t = m.next_time
    for who in ("bob", "carol"):
        m.token_mint(who, "QUOTE", who, 10**24, t)
        m.approve(who, "QUOTE", "series1", 2**256 - 1, t)
    m.mint("carol", "series1", 51 * WAD, 0, t)
    shares = m.mint("bob", "series1", 200_000, 0, t)  # a dust position: its rounding is large relative to it
    before = model_state(m, t, HOLDERS)
    got = m.redeem("bob", "series1", shares, 0, t)
    after = model_state(m, t, HOLDERS)
    o = Outcome("redeem", "bob", {"series": "series1", "shares": shares, "min_quote_out": 0}, None, (), (got,),
                tuple((e.address, e.name, e.args) for e in m.last_events))
    carol = lambda st: st.wealth()["carol"]  # noqa: E731
    gain = carol(after) - carol(before)
    w = I.profit_window(after, before, o)
    assert gain > I._profit_tolerance(after, w), "the redeem must raise carol's wealth past the rounding tolerance"
    assert w.gifts.get("carol", 0) + I._profit_tolerance(after, w) >= gain  # the accrual, to the wei of rounding
    assert PROFIT.check(after, before, o) == []
