"""Every invariant fires: for each id of `specs.invariants.INVARIANTS`, a case that makes it fire (a
state pair built from a real deployment with one thing broken, or a broken contract variant replayed
on the EVM) and asserts WHICH invariant fired, on which series and with which numbers; and a silent
case on correct data. `test_every_invariant_has_a_firing_case` fails when an invariant is registered
without one, so an invariant that cannot fire cannot enter the suite unnoticed.

Also here: the per-invariant exercise counts (premises), the views comparison and the EVM-only revert
judged by the liveness invariants (issue 12, "nothing on the EVM side goes unchecked").
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

from levcheck.chain.build import build_contracts
from levcheck.chain.session import Session, replay_scenario
from levcheck.fuzz.mutants import Mutant, by_name
from levcheck.specs.arith import WAD
from levcheck.specs.invariants import INVARIANTS, Outcome, Violation, by_id, check_all
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import Scenario, Step
from levcheck.specs.state import SeriesState, SystemState

LONG, SHORT = "series0", "series1"
P0 = BUNDLED.initial_price


# ------------------------------------------------------------------------------------ a real state


@pytest.fixture(scope="module")
def base() -> SystemState:
    """The bundled market after alice minted 1,000 QUOTE into each series (both at ~3x, in band)."""
    s = Session(BUNDLED)
    try:
        for i, lbl in enumerate((LONG, SHORT)):
            r = s.step(i, Step.of("mint", "alice", series=lbl, quote_in=1_000 * WAD, min_shares=0))
            assert r.ok, r.render()
        return s.prev_state
    finally:
        s.close()


def series(st: SystemState, label: str, **change: int) -> SystemState:
    """`st` with one series' fields changed."""
    new = tuple(dataclasses.replace(x, **change) if x.label == label else x for x in st.series)
    return dataclasses.replace(st, series=new)


def ss(st: SystemState, label: str) -> SeriesState:
    return st.series_state(label)


def rebalanced(label: str, base_amt: int, quote_amt: int, lev_before: int, reverted: str | None = None, args: tuple = (),
               action: str = "rebalance") -> Outcome:
    ev = () if reverted else ((label, "Rebalanced", {"trigger": 0, "increase": False, "baseAmount": base_amt,
                                                     "quoteAmount": quote_amt, "levBefore": lev_before, "levAfter": 0,
                                                     "navBefore": 0, "navAfter": 0}),)
    return Outcome(action, "keeper1", {"series": label}, reverted, args, None if reverted else (), ev)


def fired(state: SystemState, prev: SystemState | None, o: Outcome | None) -> dict[str, list[Violation]]:
    out: dict[str, list[Violation]] = {}
    for v in check_all(state, prev, o):
        out.setdefault(v.invariant, []).append(v)
    return out


# ------------------------------------------------------------------------------------ one case per id
# Each returns (state, prev, outcome, series the violation names (or None), {value name: expected}).

Case = Callable[[SystemState], tuple]


def _trigger_sound(b: SystemState) -> tuple:
    prev = series(b, LONG, last_rebalance=b.time)  # ~3x, in band, fallback not due
    lev = prev.leverage(ss(prev, LONG))
    return prev, prev, rebalanced(LONG, 0, 0, lev), LONG, {"lev": lev, "last_rebalance": b.time}


def _trigger_complete(b: SystemState) -> tuple:
    # refused for a reason that does not hold: the reserve "cannot pay its keeper" on a delevering trade
    prev = series(b, LONG, base_held=ss(b, LONG).base_held * 9 // 10, last_rebalance=b.time)  # ~3.9x: a delevering trade
    o = rebalanced(LONG, 0, 0, 0, reverted="InsufficientLiquidity", args=(5 * WAD, 4 * WAD))
    return prev, prev, o, LONG, {"borrow": 0, "idle_quote": prev.idle_quote}


def _restoration(b: SystemState) -> tuple:
    s = ss(b, LONG)
    after = series(b, LONG, base_held=s.base_held * 3 // 2)  # left far above the band after the trade
    lev = after.leverage(ss(after, LONG))
    return after, b, rebalanced(LONG, 10**15, 10**15 * P0 // WAD, 4 * WAD), LONG, {"lev": lev, "lev_before": 4 * WAD}


def _drift(b: SystemState) -> tuple:
    up = dataclasses.replace(b, price=P0 * 11 // 10, updated_at=b.time)
    after = series(up, LONG, base_held=ss(b, LONG).base_held * 8 // 10)  # a price rise that *raised* the long's leverage
    l0, l1 = b.leverage(ss(b, LONG)), after.leverage(ss(after, LONG))
    return after, b, Outcome("set_price", "oracle-keeper", {"price": up.price}, None, (), (), ()), LONG, {"lev_before": l0, "lev_after": l1}


def _below_floor(b: SystemState) -> tuple:
    # a reserve with nothing idle that lent the long almost nothing: equity (its loans) < 100% of sum V
    prev = series(dataclasses.replace(b, floor_bps=10_000, idle_quote=0, idle_base=0), LONG, debt=1)
    assert not prev.above_floor()
    return prev, prev, rebalanced(LONG, 0, 0, 4 * WAD), LONG, {"equity": prev.equity_quote(), "floor": prev.floor_quote()}


def _flows(b: SystemState) -> tuple:
    after = dataclasses.replace(b, idle_quote=b.idle_quote + 7)  # QUOTE appeared in the reserve, no counter says why
    return after, b, Outcome("checkpoint", "keeper1", {}, None, (), (), ()), None, {"moved": 7, "explained": 0}


def _keeper_bound(b: SystemState) -> tuple:
    fee = ss(b, LONG).params.keeper_fee
    after = dataclasses.replace(b, idle_quote=b.idle_quote - 3 * fee, keeper_paid=b.keeper_paid + 3 * fee)
    bound = fee + 4 * len(b.series)
    return after, b, rebalanced(LONG, 0, 0, 4 * WAD), LONG, {"drop": 3 * fee, "bound": bound}


def _ripcord_open(b: SystemState) -> tuple:
    o = rebalanced(LONG, 0, 0, 0, reverted="BelowFloor", args=(1, 2), action="ripcord")
    return b, b, o, LONG, {"equity": b.equity_quote(), "floor": b.floor_quote()}


def _bad_debt(b: SystemState) -> tuple:
    prev = dataclasses.replace(b, bad_debt=5)
    after = dataclasses.replace(b, bad_debt=4)
    return after, prev, Outcome("checkpoint", "keeper1", {}, None, (), (), ()), None, {"before": 5, "after": 4}


def _fees_conserved(b: SystemState) -> tuple:
    o = Outcome("mint", "alice", {"series": LONG}, None, (), (1,), ((LONG, "Minted", {"fee": 11}),))
    return b, b, o, LONG, {"charged": 11, "grew": 0}


def _round_trip(b: SystemState) -> tuple:
    o = Outcome("mint_redeem", "alice", {"series": LONG, "quote_in": 100}, None, (), (100, 101), ())
    return b, b, o, LONG, {"paid": 100, "got": 101}


def _no_dilution(b: SystemState) -> tuple:
    after = series(b, LONG, base_held=ss(b, LONG).base_held * 9 // 10)  # a mint that took a tenth of the holders' BASE
    n0, n1 = b.nav(ss(b, LONG)), after.nav(ss(after, LONG))
    return after, b, Outcome("mint", "bob", {"series": LONG}, None, (), (1,), ()), LONG, {"nav_before": n0, "nav_after": n1}


def _rebalance_dilution(b: SystemState) -> tuple:
    after = series(b, LONG, base_held=ss(b, LONG).base_held * 9 // 10)  # a 1-wei trade that cost a tenth of the BASE
    drop = b.value(ss(b, LONG)) - after.value(ss(after, LONG))
    return after, b, rebalanced(LONG, 1, 1, 4 * WAD), LONG, {"drop": drop, "traded": P0 // WAD}  # 1 wei of BASE at P


def _supply(b: SystemState) -> tuple:
    s = ss(b, LONG)
    after = series(b, LONG, balances=tuple((h, a + 1) for h, a in s.balances))  # a balance with no supply behind it
    return after, None, None, LONG, {"balances": s.total_supply + 1, "total_supply": s.total_supply}


def _holdings(b: SystemState) -> tuple:
    after = series(b, SHORT, quote_held=ss(b, SHORT).quote_held + 1)  # books 1 wei it does not hold
    actual = b.balance("QUOTE", SHORT)
    return after, None, None, SHORT, {"recorded": actual + 1, "actual": actual}


def _profit(b: SystemState) -> tuple:
    # keeper1 ends a window at one price 1,000 QUOTE richer with no fee or arbitrage to explain it
    bal = tuple((t, h, a + (1_000 * WAD if (t, h) == ("QUOTE", "keeper1") else 0)) for t, h, a in b.balances)
    sup = tuple((t, n + (1_000 * WAD if t == "QUOTE" else 0)) for t, n in b.supplies)
    after = dataclasses.replace(b, balances=bal, supplies=sup)
    return after, b, Outcome("checkpoint", "keeper1", {}, None, (), (), ()), None, {"gain": 1_000 * WAD}


def _keeper_entitled(b: SystemState) -> tuple:
    # finding 1: a rebalance that moved no BASE, and the reserve paid its keeper the whole fee anyway
    fee = ss(b, LONG).params.keeper_fee
    after = dataclasses.replace(b, idle_quote=b.idle_quote - fee, keeper_paid=b.keeper_paid + fee)
    return after, b, rebalanced(LONG, 0, 0, 4 * WAD), LONG, {"paid": fee, "entitled": 0, "notional": 0}


def _rebalance_live(b: SystemState) -> tuple:
    # finding 2: a delevering rebalance (it borrows nothing) refused for the reserve's idle QUOTE
    prev = series(b, LONG, base_held=ss(b, LONG).base_held * 9 // 10, last_rebalance=b.time)  # ~3.9x
    o = rebalanced(LONG, 0, 0, 0, reverted="InsufficientLiquidity", args=(5 * WAD, 4 * WAD))
    return prev, prev, o, LONG, {"amount": 5 * WAD, "idle": 4 * WAD}


CASES: dict[str, Case] = {
    "band.trigger_sound": _trigger_sound,
    "band.trigger_complete": _trigger_complete,
    "band.restoration": _restoration,
    "band.drift_direction": _drift,
    "floor.no_rebalance_below": _below_floor,
    "floor.flows": _flows,
    "floor.keeper_bound": _keeper_bound,
    "floor.ripcord_open": _ripcord_open,
    "floor.bad_debt": _bad_debt,
    "fees.conserved": _fees_conserved,
    "fees.round_trip": _round_trip,
    "fees.no_dilution": _no_dilution,
    "fees.rebalance_dilution": _rebalance_dilution,
    "accounting.supply": _supply,
    "accounting.holdings": _holdings,
    "econ.profit": _profit,
    "econ.keeper_entitled": _keeper_entitled,
    "econ.rebalance_live": _rebalance_live,
}
# Judged by the session, not on one state: fired by broken contract variants below.
ON_THE_EVM = {"accounting.differential": "test_differential_fires_on_a_wrong_view"}


def test_every_invariant_has_a_firing_case() -> None:
    registered = {inv.id for inv in INVARIANTS}
    assert not registered - set(CASES) - set(ON_THE_EVM), f"without a firing case: {sorted(registered - set(CASES) - set(ON_THE_EVM))}"


@pytest.mark.parametrize("inv_id", sorted(CASES))
def test_invariant_fires(base: SystemState, inv_id: str) -> None:
    if inv_id not in {i.id for i in INVARIANTS}:
        pytest.skip(f"{inv_id} is not registered in this tree")
    state, prev, o, label, values = CASES[inv_id](base)
    found = by_id(inv_id).check(state, prev, o)
    assert found, f"{inv_id} did not fire"
    assert {v.invariant for v in found} == {inv_id}
    v = found[0]
    assert v.series == label, v
    for k, want in values.items():
        assert v.values.get(k) == want, (k, v.values)
    assert by_id(inv_id).applies(state, prev, o)  # a firing step is an exercising step
    assert inv_id in fired(state, prev, o)  # and check_all reports it under its id


@pytest.mark.parametrize("inv_id", sorted(CASES))
def test_invariant_is_silent_on_correct_data(base: SystemState, inv_id: str) -> None:
    """The same step shape on unbroken data (the deployment's own state, a correct outcome)."""
    if inv_id not in {i.id for i in INVARIANTS}:
        pytest.skip(f"{inv_id} is not registered in this tree")
    state, prev, o, _, _ = CASES[inv_id](base)
    honest: dict[str, Callable[[], tuple]] = {
        "band.trigger_sound": lambda: (base, series(base, LONG, last_rebalance=0), o),  # fallback long due
        "band.trigger_complete": lambda: (base, base, rebalanced(LONG, 0, 0, 0, reverted="NotTriggered", args=(3 * WAD,))),
        "floor.ripcord_open": lambda: (base, base, rebalanced(LONG, 0, 0, 0, reverted="NotAboveRipcord", args=(3 * WAD,), action="ripcord")),
        "floor.bad_debt": lambda: (prev, prev, o),
        "fees.conserved": lambda: (base, base, dataclasses.replace(o, events=())),
        "fees.round_trip": lambda: (base, base, dataclasses.replace(o, result=(100, 99))),
        "band.drift_direction": lambda: (dataclasses.replace(base, price=P0 * 11 // 10, updated_at=base.time), base, o),
        "econ.rebalance_live": lambda: (base, base, rebalanced(LONG, 0, 0, 0, reverted="NotTriggered", args=(3 * WAD,))),
    }
    # default: the unbroken deployment state before and after the same outcome (a restoration that
    # left ~3x, a rebalance above the floor that cost nothing, a mint that moved nothing...)
    case = honest.get(inv_id, lambda: (base, base if prev is not None else None, o))()
    assert by_id(inv_id).check(*case) == []


# ------------------------------------------------------------------------------------ on the EVM


def _replay(mutant: Mutant, steps: list[Step]):
    return replay_scenario(Scenario(params=mutant.params, steps=steps), artifacts=build_contracts(extra_sources=mutant.sources()))


CRASH_LONG = [
    Step.of("mint", "alice", series=LONG, quote_in=1_000 * WAD, min_shares=0),
    Step.of("set_price", price=P0 * 85 // 100),  # 3x long -> ~4.6x, above the 4.5x ripcord
    Step.of("ripcord", "keeper1", series=LONG),
]


def test_differential_fires_on_a_wrong_view() -> None:
    """navPerToken() rounding up changes no state variable and no event: only the views comparison
    sees it, as a model-vs-EVM difference (accounting.differential) naming the view."""
    r = _replay(by_name("nav-view-rounds-up"), CRASH_LONG[:2])
    assert r.status == "diverged", r.render()
    diffs = r.steps[r.first_failure].differences
    assert diffs and all(d.startswith(f"view {LONG}.navPerToken: model ") for d in diffs), diffs
    assert r.first_failure == 1  # after the price move (at 1:1 right after the first mint NAV is exact)


def test_views_agree_on_the_correct_contracts() -> None:
    r = replay_scenario(Scenario(params=BUNDLED, steps=CRASH_LONG + [Step.of("warp", seconds=10**6), Step.of("rebalance", "keeper1", series=LONG)]))
    assert r.status == "passed", r.render()  # including every view reverting StalePrice after the warp


RIPCORD_REFUSES = Mutant("ripcord-refuses-below-2x", "ripcord refuses NotAboveRipcord up to twice ripcordLev",
                         "contracts/LeveragedToken.sol", "if (lev <= ripcordLev) revert NotAboveRipcord(lev);",
                         "if (lev <= 2 * ripcordLev) revert NotAboveRipcord(lev);")


def test_an_evm_only_revert_is_judged_by_the_liveness_invariant() -> None:
    """The model delevers, the EVM refuses NotAboveRipcord at 4.6x: besides the difference, the EVM's
    own outcome violates floor.ripcord_open (the side is named)."""
    r = _replay(RIPCORD_REFUSES, CRASH_LONG)
    assert r.status == "diverged" and r.first_failure == 2, r.render()
    f = r.steps[2]
    assert f.chain.reverted == "NotAboveRipcord" and f.model.reverted is None
    evm = [v for side, v in f.found if side == "EVM"]
    assert [v.invariant for v in evm] == ["floor.ripcord_open"], f.render()
    assert evm[0].series == LONG and evm[0].values["lev"] > BUNDLED.series[0].ripcord_lev


# ------------------------------------------------------------------------------------ exercise counts


def test_premises_decide_what_counts_as_exercised(base: SystemState) -> None:
    counts: dict[str, int] = {}
    ok = rebalanced(LONG, 10**15, 10**15 * P0 // WAD, 3 * WAD)
    check_all(base, base, ok, counts)  # a successful, traded rebalance inside the restoration domain
    assert {"band.trigger_sound", "band.restoration", "floor.keeper_bound", "fees.rebalance_dilution"} <= set(counts)
    assert "band.trigger_complete" not in counts and "floor.no_rebalance_below" not in counts  # not refused, above the floor
    counts = {}
    check_all(base, base, rebalanced(LONG, 0, 0, 3 * WAD), counts)  # a dust-skipped trade restores nothing
    assert "band.restoration" not in counts
    counts = {}
    check_all(base, base, rebalanced(LONG, 0, 0, 0, reverted="NotTriggered", args=(3 * WAD,)), counts)
    assert "band.trigger_complete" in counts and "band.trigger_sound" not in counts


def test_campaign_reports_exercise_counts_per_invariant() -> None:
    from levcheck.fuzz.api import FuzzConfig, run_fuzz

    r = run_fuzz(FuzzConfig(seed=1, profile="dev", examples=2, steps_per_example=3, out_dir=None, shrink=False))
    assert set(r.exercised) == {inv.id for inv in INVARIANTS}  # every invariant listed, 0 included
    assert r.exercised["accounting.differential"] == r.exercised["accounting.supply"] > 0
    assert all(n <= r.exercised["accounting.differential"] for n in r.exercised.values())
    assert r.views_read >= r.examples  # step 0 of every example reads the views
    assert r.to_json()["exercised"] == r.exercised


# ------------------------------------------------------------------------------------ round trip


def _swap(sender: str, token_in: str, amount_in: int, amount_out: int) -> tuple:
    return ("pool", "Swap", {"sender": sender, "tokenIn": token_in, "amountIn": amount_in, "amountOut": amount_out, "protocolFee": 0})


def test_round_trip_allows_only_the_edge_a_mispriced_pool_gave_the_series_own_swaps(base: SystemState) -> None:
    # A short's redeem buys back BASE; with the pool selling BASE at half the oracle price, buying 1e15 BASE
    # for P0/2 * 1e15 / WAD QUOTE gains the round trip P0/2 * 1e15 / WAD at P: the pool's arbitrage (its LPs
    # pay it), not the other holders'. Found by the portfolio campaign on the tight-floor set (a dust mint
    # whose sale was skipped, then a redeem that bought BASE in a pool pushed far below the oracle).
    b = base
    inv = by_id("fees.round_trip")
    cost = P0 // 2 * 10**15 // WAD
    gain = P0 * 10**15 // WAD - cost
    cheap = (_swap(SHORT, "QUOTE", cost, 10**15),)
    ok = Outcome("mint_redeem", "alice", {"series": SHORT, "quote_in": 100}, None, (), (100, 100 + gain), cheap)
    assert inv.check(b, b, ok) == []
    over = dataclasses.replace(ok, result=(100, 101 + gain))
    [v] = inv.check(b, b, over)
    assert (v.invariant, v.values["pool_edge"], v.values["got"]) == ("fees.round_trip", gain, 101 + gain)
    # someone else's swap in the same step is no allowance; nor is a swap at or worse than the oracle
    others = dataclasses.replace(ok, events=(_swap("trader", "QUOTE", cost, 10**15),))
    assert [v.values["pool_edge"] for v in inv.check(b, b, others)] == [0]
    fair = dataclasses.replace(ok, result=(100, 101), events=(_swap(SHORT, "QUOTE", P0 * 10**15 // WAD, 10**15),))
    assert [v.values["pool_edge"] for v in inv.check(b, b, fair)] == [0]
