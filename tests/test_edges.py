"""Edges on purpose (issue 12): each edge action of the fuzz machine lands exactly on the SPEC comparison
it aims at, or one wei (second) either side, on the model's state; and the comparison counter
(specs/edges.py) counts each side on a constructed state. Every step runs on both sides (a divergence
or a violated invariant raises), so these also show the edges replay clean."""
import dataclasses

import pytest

from levcheck.chain.session import Session
from levcheck.fuzz.machine import MACHINE_ACTORS, Draw, Recorder, make_machine
from levcheck.specs import edges as E
from levcheck.specs.arith import WAD
from levcheck.specs.invariants import Outcome
from levcheck.specs.params import BUNDLED
from levcheck.specs.portfolio import TIGHT_FLOOR
from levcheck.specs.scenario import DEFAULT_FUNDING

SIDE = {-1: "below", 0: "equal", 1: "above"}
OFFS = (-1, 0, 1)


@pytest.fixture(scope="module")
def sessions():
    made = {name: Session(p, MACHINE_ACTORS, dict(DEFAULT_FUNDING), "pyrevm") for name, p in (("bundled", BUNDLED), ("tight", TIGHT_FLOOR))}
    yield made
    for s in made.values():
        s.close()


def machine(sessions, market="bundled"):
    """A fresh machine on a freshly deployed market, and the recorder its steps count into."""
    rec = Recorder()
    return make_machine(sessions[market], rec)(), rec


def counted(rec, cid):
    return {side: n for (c, side), n in rec.edges.items() if c == cid}


@pytest.mark.parametrize("off", OFFS)
@pytest.mark.parametrize("top", [False, True], ids=["min", "max"])
def test_band_edge_lands_on_the_edge(sessions, top, off):
    m, rec = machine(sessions)
    series = "series0" if top else "series1"
    p = m.m.series[series].p
    edge = p.max_lev if top else p.min_lev
    assert m.ensure_live(series)
    m.price_to(series, edge + off)
    st = m.s.prev_state
    assert st.leverage(st.series_state(series)) == edge + off
    m.run(m.steps[0].of("rebalance", "keeper1", series=series))
    assert counted(rec, "band.max" if top else "band.min") == {SIDE[off]: 1}


@pytest.mark.parametrize("off", OFFS)
def test_ripcord_edge_lands_on_the_ripcord(sessions, off):
    m, rec = machine(sessions)
    m.ripcord_edge("series1", off)
    assert counted(rec, "ripcord") == {SIDE[off]: 1}
    assert m.last.model.reverted == ("NotAboveRipcord" if off <= 0 else None)


@pytest.mark.parametrize("off", OFFS)
def test_floor_edge_puts_equity_exactly_at_the_floor(sessions, off):
    m, rec = machine(sessions, "tight")
    m.ensure_live("series0")
    m.floor_edge(off)
    assert E.floor_gap(m.s.prev_state) == off  # equity - floor, in QUOTE wei
    m.rebalance_live("series0")
    assert counted(rec, "floor") == {SIDE[off]: 1}
    assert (m.last.model.reverted == "BelowFloor") == (off < 0)


@pytest.mark.parametrize("off", OFFS)
@pytest.mark.parametrize("which", ["fallback", "oracle", "fee_period", "checkpoint"])
def test_deadline_edge_runs_the_step_at_the_deadline(sessions, which, off):
    m, rec = machine(sessions)
    cid = {"fallback": "fallback", "oracle": "oracle.max_age", "fee_period": "fee_period", "checkpoint": "checkpoint_interval"}[which]
    assert m.ensure_live("series0")  # (its mint reads the oracle too: counted before)
    before = counted(rec, cid)
    m.deadline_edge(which, "series0", off)
    after = counted(rec, cid)
    assert {sd: after.get(sd, 0) - before.get(sd, 0) for sd in E.SIDES} == {sd: int(sd == SIDE[off]) for sd in E.SIDES}
    last = m.steps[-1]
    assert last.action == {"fallback": "rebalance", "oracle": "rebalance", "fee_period": "allocate_fees", "checkpoint": "checkpoint"}[which]


@pytest.mark.parametrize("off", OFFS)
def test_idle_quote_at_the_keeper_payment_is_the_fee_plus_off(sessions, off):
    m, rec = machine(sessions)
    m.keeper_idle_edge(off, Draw(0))
    assert counted(rec, "keeper.idle") == {SIDE[off]: 1}
    paid = [e["amount"] for e in m.last.model.events_named("KeeperPaid")]
    assert m.m.reserve.idle_quote == (1 if off == 1 else 0)  # the reserve paid min(fee, idle): all it had, or all but 1 wei
    assert paid and paid[0] > 0


@pytest.mark.parametrize("off", OFFS)
def test_empty_reserve_borrows_exactly_the_idle_quote(sessions, off):
    m, rec = machine(sessions)
    m.empty_reserve("series0", off)
    assert m.steps[-1].action == "mint"
    if off == 0:
        assert m.m.reserve.idle_quote == 0 and m.last.model.reverted is None
        assert counted(rec, "borrow.idle").get("equal") == 1
    elif off == -1:
        assert m.m.reserve.idle_quote == 1 and m.last.model.reverted is None
    else:  # the borrow is one wei more than the idle QUOTE (mint fee included)
        assert m.last.model.reverted == "InsufficientLiquidity"
        borrow, idle = m.last.model.revert_args
        assert borrow == idle + 1 and counted(rec, "borrow.idle").get("above") == 1


def test_a_series_worth_one_wei(sessions):
    m, rec = machine(sessions)
    m.one_wei_series("series0", follow=False)
    st = m.s.prev_state
    s = st.series_state("series0")
    assert st.value(s) == 1 and s.total_supply == 1
    m.one_wei_series("series1")  # then a rebalance (nothing to trade) and a second minter: both sides agree
    assert m.m.tokens["series1"].total_supply > 1


def test_ripcord_above_the_ripcord_while_the_reserve_is_below_its_floor(sessions):
    m, rec = machine(sessions, "tight")
    m.ripcord_under_floor("series1")
    rebalance, ripcord = m.steps[-2], m.steps[-1]
    assert (rebalance.action, ripcord.action) == ("rebalance", "ripcord")
    assert rec.edges.get(("floor", "below")) == 1 and rec.edges.get(("ripcord", "above")) == 1
    assert m.last.model.reverted is None  # the ripcord runs below the floor


def test_crash_under_the_floor_and_an_empty_pool(sessions):
    m, rec = machine(sessions, "tight")
    m.ensure_live("series0")
    m.floor_edge(-1 - 10**6)
    assert E.floor_gap(m.s.prev_state) == -1 - 10**6
    m.crash("series0", Draw(7))
    assert {s.action for s in m.steps} >= {"ripcord", "settle_insolvency"}
    m.empty_pool(Draw(3))
    # every LP left, then a first deposit: shares = sqrtDown(base * quote)
    add = m.steps[-1]
    assert add.action == "add_liquidity" and m.m.pool.total_shares == __import__("math").isqrt(add.args["base"] * add.args["quote"])


def test_the_comparison_counter_counts_each_side_on_a_constructed_state(sessions):
    m, _ = machine(sessions)
    assert m.ensure_live("series0")
    st0 = m.s.prev_state
    s = st0.series_state("series0")
    p = s.params
    o = Outcome("rebalance", "keeper1", {"series": "series0"}, reverted="NotTriggered")
    price = E.price_for_leverage(st0, s, p.max_lev)
    for dt, side in ((-1, "below"), (0, "equal"), (1, "above")):
        st = dataclasses.replace(st0, price=price, time=s.last_rebalance + p.fallback_interval + dt, updated_at=s.last_rebalance + p.fallback_interval + dt)
        got = dict(E.evaluated(BUNDLED, st, st, o))
        assert got["fallback"] == side and got["band.max"] == "equal" and got["band.min"] == "above"
        assert got["floor"] == "above" and got["oracle.max_age"] == "below" and got["series.solvent"] == "above"
    stale = dataclasses.replace(st0, time=st0.updated_at + st0.max_age + 1)
    assert E.evaluated(BUNDLED, stale, stale, o) == [("oracle.max_age", "above")]  # a stale price stops there
    counts: dict = {}
    for st in (st0, dataclasses.replace(st0, price=price * 2)):
        E.count(counts, BUNDLED, st, st, o)
    assert E.table(counts)["band.max"] == {"below": 1, "equal": 0, "above": 0} or E.table(counts)["band.min"]["below"] == 1
    gaps = E.gaps(counts)
    assert gaps["ripcord"] == "never below nor above" and "oracle.max_age" in gaps
    assert E.gaps({(c, sd): 1 for c in E.IDS for sd in E.SIDES}) == {}
    assert E.gaps({(c, sd): 1 for c in E.IDS for sd in ("below", "above")}) == {c: "equality never reached" for c in E.IDS}
    assert E.side(WAD, WAD) == "equal"
