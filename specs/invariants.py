"""The invariant families of SYSTEM.md, each stated once as a small object.

An `Invariant` has an `id`, a `family` (band, floor, fees, accounting, econ), a one-sentence `statement`
and `check(state, prev=None, outcome=None) -> list[Violation]`:
- `state` is the `SystemState` after a step (from the model or from the EVM);
- `prev` the state before it and `outcome` what the step did (`Outcome`); transition invariants
  (trigger soundness, reserve flows, fee conservation...) need both and are silent without them.
The fuzzer checks every invariant on both sides after every step; the proofs import the same objects
for their ids and statements. Rounding tolerances are explicit, in wei, and said in the statement.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import formulas as F
from . import procedures as P
from .arith import BPS, INT, WAD
from .state import SeriesState, SystemState

# wei of series value that the four rounding primitives may move in one step (each of b*P, d*P, the
# pro-rata slices and the pool's output rounds by at most one unit).
ROUNDING_WEI = 4


@dataclass(frozen=True)
class Found:
    """What a check yields: a readable message, the series it concerns (None: the whole system) and
    the numbers behind it by name. `Invariant.check` adds the invariant's id."""

    message: str
    series: str | None = None
    values: dict[str, int | None] = field(default_factory=dict, hash=False)


def _found(message: str, series: str | None = None, **values: int | None) -> Found:
    return Found(message, series, values)


@dataclass(frozen=True)
class Violation:
    invariant: str  # the `Invariant.id`
    message: str
    series: str | None = None  # the series label, or None for a system-wide property
    values: dict[str, int | None] = field(default_factory=dict, hash=False)  # the numbers, by name

    def __str__(self) -> str:
        return f"{self.invariant}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """What one step did: the action, its arguments, and its result or revert, and its events."""

    action: str
    actor: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    reverted: str | None = None  # the error name when the step reverted
    revert_args: tuple = ()
    result: Any = None
    events: tuple = ()  # (emitter label, name, {arg name: value})

    def events_named(self, name: str, emitter: str | None = None) -> list[dict[str, Any]]:
        """The arguments of every event called `name` (from `emitter`, if given), in order."""
        return [args for addr, n, args in self.events if n == name and (emitter is None or addr == emitter)]


Check = Callable[[SystemState, "SystemState | None", "Outcome | None"], Iterable[Found]]


@dataclass(frozen=True)
class Invariant:
    id: str
    family: str  # band | floor | fees | accounting | econ
    statement: str
    _check: Check = field(repr=False, compare=False)
    transition: bool = False  # needs prev and outcome
    actions: frozenset[str] | None = None  # the step actions it can say anything about (None: every step)

    def check(self, state: SystemState, prev: SystemState | None = None, outcome: Outcome | None = None) -> list[Violation]:
        if self.transition and (prev is None or outcome is None):
            return []
        if self.actions is not None and (outcome is None or outcome.action not in self.actions):
            return []
        return [Violation(self.id, f.message, f.series, dict(f.values)) for f in self._check(state, prev, outcome)]


INVARIANTS: list[Invariant] = []


def _invariant(id: str, family: str, statement: str, transition: bool = False, actions: tuple[str, ...] | None = None) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        INVARIANTS.append(Invariant(id, family, statement, fn, transition, frozenset(actions) if actions else None))
        return fn

    return register


def check_all(state: SystemState, prev: SystemState | None = None, outcome: Outcome | None = None) -> list[Violation]:
    out: list[Violation] = []
    for inv in INVARIANTS:
        out.extend(inv.check(state, prev, outcome))
    return out


def by_id(id: str) -> Invariant:
    for inv in INVARIANTS:
        if inv.id == id:
            return inv
    raise KeyError(id)


def _series_of(outcome: Outcome, state: SystemState) -> SeriesState | None:
    label = outcome.args.get("series")
    return state.series_state(label) if label is not None else None


def _trigger(st: SystemState, s: SeriesState) -> P.TriggerDecision:
    """The trigger decision of `specs.procedures` (the one the model runs) on a snapshot. An
    insolvent series has no leverage: it is decided as if at target (never out of band)."""
    lev = st.leverage(s)
    t = P.rebalance_trigger(INT, s.params, s.params.target_lev if lev is None else lev, st.time, s.last_rebalance,
                            st.above_floor(), st.fresh)
    return t if lev is not None else dataclasses.replace(t, lev=None)


def _fmt_lev(x: int | None) -> str:
    return "undefined" if x is None else f"{x / WAD:.6f}x"


# ============================================================================== 1. leverage band


@_invariant(
    "band.trigger_sound",
    "band",
    "A rebalance succeeds only if, just before it, leverage was outside [minLev, maxLev] or the fallback "
    "interval had passed since the last rebalance, and the oracle was fresh.",
    transition=True,
    actions=("rebalance",),
)
def _trigger_sound(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action != "rebalance" or o.reverted is not None:
        return
    s = _series_of(o, prev)
    assert s is not None
    t = _trigger(prev, s)
    if not (t.out_of_band or t.fallback_due):
        yield _found(f"{s.label} rebalanced at {_fmt_lev(t.lev)} inside the band with the fallback not due", s.label,
                     lev=t.lev, time=prev.time, last_rebalance=s.last_rebalance)
    if not t.fresh:
        yield _found(f"{s.label} rebalanced on a stale or zero price (updated {prev.updated_at}, now {prev.time})", s.label,
                     price=prev.price, updated_at=prev.updated_at, time=prev.time)


@_invariant(
    "band.trigger_complete",
    "band",
    "A rebalance refused with NotTriggered / BelowFloor / StalePrice had exactly that reason: in band and "
    "not due / reserve below its floor / oracle stale.",
    transition=True,
    actions=("rebalance",),
)
def _trigger_complete(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action != "rebalance" or o.reverted is None:
        return
    s = _series_of(o, prev)
    assert s is not None
    if o.reverted == "NotTriggered":
        t = _trigger(prev, s)
        if t.out_of_band:
            yield _found(f"{s.label} refused NotTriggered at {_fmt_lev(t.lev)}, outside the band", s.label, lev=t.lev)
        if t.fallback_due:
            yield _found(f"{s.label} refused NotTriggered although the fallback was due", s.label,
                         time=prev.time, last_rebalance=s.last_rebalance)
    elif o.reverted == "BelowFloor" and prev.fresh and prev.above_floor():
        yield _found(f"{s.label} refused BelowFloor with equity {prev.equity_quote()} >= floor {prev.floor_quote()}", s.label,
                     equity=prev.equity_quote(), floor=prev.floor_quote())
    elif o.reverted == "StalePrice" and prev.fresh:
        yield _found(f"{s.label} refused StalePrice with a fresh oracle", s.label, updated_at=prev.updated_at, time=prev.time)


@_invariant(
    "band.restoration",
    "band",
    "After a successful rebalance or ripcord whose trade executed within the slippage cap of the oracle "
    "price in both directions and was not skipped as dust, from a leverage L0 with cap x (L0 - target) "
    "<= 1 - target / maxLev (the adverse cost of the trade), leverage at the same price lies inside "
    "[minLev, maxLev]. (The cap bounds "
    "only the adverse side: a pool richer than the oracle hands the series a gain that can leave it below "
    "the band; that case is exempt, and reported by fuzz notes as a limit of the property.)",
    transition=True,
    actions=("rebalance", "ripcord"),
)
def _restoration(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert o is not None
    if o.action not in ("rebalance", "ripcord") or o.reverted is not None:
        return
    s = _series_of(o, state)
    assert s is not None
    ev = o.events_named("Rebalanced", s.label)
    if ev and ev[0]["baseAmount"] == 0 and ev[0]["quoteAmount"] == 0:
        return  # the trade was dust and skipped (SPEC "Dust"): nothing was restored, by design
    if ev and ev[0]["baseAmount"] > 0 and ev[0]["quoteAmount"] > 0:
        base_amt, quote_amt = ev[0]["baseAmount"], ev[0]["quoteAmount"]
        fair = base_amt * state.price // WAD  # the oracle value of the BASE traded
        cap = s.params.slippage_cap_bps
        if quote_amt * BPS > fair * (BPS + cap) + BPS or quote_amt * BPS < fair * (BPS - cap) - BPS:
            return  # executed outside the cap in the series' favour: exempt (see the statement)
    p = s.params
    lev0 = ev[0]["levBefore"] if ev else None
    if lev0 is not None and p.slippage_cap_bps * (lev0 - p.target_lev) * p.max_lev > BPS * (p.max_lev - p.target_lev) * WAD:
        # Delevering from L0 costs up to cap x (L0 - T) x V, so L after can reach T / (1 - cap (L0 - T)):
        # inside the band only while cap (L0 - T) <= 1 - T / maxLev (L0 <= ~17x for the bundled set).
        return
    lev = state.leverage(s)
    if lev is None:
        yield _found(f"{s.label} insolvent right after its {o.action}", s.label, value=state.value(s))
    elif F.out_of_band(INT, lev, s.params.min_lev, s.params.max_lev):
        yield _found(f"{s.label} left at {_fmt_lev(lev)} after its {o.action}, outside the band", s.label,
                     lev=lev, lev_before=lev0, min_lev=s.params.min_lev, max_lev=s.params.max_lev)


@_invariant(
    "band.drift_direction",
    "band",
    "With no trade, a price rise lowers a debt-financed long's leverage (q <= d) and raises a short's; a "
    "fall does the reverse (up to the rounding of V by ROUNDING_WEI).",
    transition=True,
    actions=("set_price",),
)
def _drift(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action != "set_price" or o.reverted is not None or state.price == prev.price:
        return
    up = state.price > prev.price
    for s_new in state.series:
        s_old = prev.series_state(s_new.label)
        l0, l1 = prev.leverage(s_old), state.leverage(s_new)
        if l0 is None or l1 is None:
            continue
        if s_new.is_long and s_new.quote_held > s_new.debt:
            continue  # a long holding net cash (q > d) is not debt-financed: its leverage rises with P
        tol = (max(l0, l1) + WAD) * ROUNDING_WEI // max(state.value(s_new), 1) + 1
        should_fall = up == s_new.is_long
        if should_fall and l1 > l0 + tol or not should_fall and l1 < l0 - tol:
            yield _found(
                f"{s_new.label} ({'long' if s_new.is_long else 'short'}) leverage went {_fmt_lev(l0)} -> {_fmt_lev(l1)} "
                f"on a price {'rise' if up else 'fall'}",
                s_new.label, lev_before=l0, lev_after=l1, price_before=prev.price, price_after=state.price, tolerance=tol,
            )


# ============================================================================== 2. reserve floor


@_invariant(
    "floor.no_rebalance_below",
    "floor",
    "No rebalance succeeds while reserve equity is below floorBps x the sum of the series' positive values.",
    transition=True,
    actions=("rebalance",),
)
def _no_rebalance_below(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action == "rebalance" and o.reverted is None and not prev.above_floor():
        yield _found(f"rebalance ran with equity {prev.equity_quote()} below floor {prev.floor_quote()}", o.args.get("series"),
                     equity=prev.equity_quote(), floor=prev.floor_quote())


@_invariant(
    "floor.flows",
    "floor",
    "The reserve's holdings move only by fees, allocations, injections, keeper payments, loans and "
    "absorbed bad debt: idle + loans changes by exactly the change in the cumulative counters.",
    transition=True,
)
def _flows(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action == "settle_insolvency":
        return  # checked by floor.bad_debt
    def books(st: SystemState) -> tuple[int, int]:
        q = st.idle_quote + sum(s.debt for s in st.series if s.is_long)
        b = st.idle_base + sum(s.debt for s in st.series if not s.is_long)
        return b, q

    (b0, q0), (b1, q1) = books(prev), books(state)
    dq = (state.fees_received - prev.fees_received) + (state.allocated_quote - prev.allocated_quote) + (
        state.injected_quote - prev.injected_quote
    ) - (state.keeper_paid - prev.keeper_paid)
    db = (state.allocated_base - prev.allocated_base) + (state.injected_base - prev.injected_base)
    if q1 - q0 != dq:
        yield _found(f"QUOTE idle+loans moved by {q1 - q0}, counters explain {dq} (step {o.action})", o.args.get("series"),
                     moved=q1 - q0, explained=dq)
    if b1 - b0 != db:
        yield _found(f"BASE idle+loans moved by {b1 - b0}, counters explain {db} (step {o.action})", o.args.get("series"),
                     moved=b1 - b0, explained=db)
    for name in ("fees_received", "allocated_base", "allocated_quote", "injected_base", "injected_quote", "keeper_paid", "bad_debt"):
        if getattr(state, name) < getattr(prev, name):
            yield _found(f"cumulative counter {name} decreased", None, **{"before": getattr(prev, name), "after": getattr(state, name)})


@_invariant(
    "floor.keeper_bound",
    "floor",
    "A rebalance lowers reserve equity (at the same price) by at most its keeper fee, plus the deficit "
    "of the series if the trade left it insolvent (then bad debt), plus ROUNDING_WEI per series; so from "
    "at/above the floor it cannot end below it by more than one keeper fee unless the series' value "
    "(hence the floor) rose or the series became insolvent.",
    transition=True,
    actions=("rebalance",),
)
def _keeper_bound(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action != "rebalance" or o.reverted is not None:
        return
    s = _series_of(o, prev)
    assert s is not None
    drop = prev.equity_quote() - state.equity_quote()
    deficit = max(-state.value(state.series_state(s.label)), 0)
    bound = s.params.keeper_fee + deficit + ROUNDING_WEI * len(state.series)
    if drop > bound:
        yield _found(f"equity fell by {drop} in a rebalance of {s.label}, more than keeper fee + rounding {bound}", s.label,
                     drop=drop, bound=bound)


@_invariant(
    "floor.ripcord_open",
    "floor",
    "Ripcord never reverts for the floor, and with a fresh price, supply and leverage above ripcordLev it "
    "is never refused NotAboveRipcord.",
    transition=True,
    actions=("ripcord",),
)
def _ripcord_open(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action != "ripcord" or o.reverted is None:
        return
    s = _series_of(o, prev)
    assert s is not None
    if o.reverted == "BelowFloor":
        yield _found(f"ripcord on {s.label} reverted BelowFloor", s.label)
    lev = prev.leverage(s)
    if o.reverted == "NotAboveRipcord" and lev is not None and P.ripcord_trigger(INT, s.params, lev, prev.fresh):
        yield _found(f"ripcord on {s.label} refused at {_fmt_lev(lev)} above ripcord {_fmt_lev(s.params.ripcord_lev)}", s.label,
                     lev=lev, ripcord_lev=s.params.ripcord_lev)


@_invariant(
    "floor.bad_debt",
    "floor",
    "Settling an insolvent series records exactly its deficit -V as bad debt and clears its debt; bad debt "
    "never decreases.",
    transition=True,
)
def _bad_debt(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if state.bad_debt < prev.bad_debt:
        yield _found(f"bad debt fell from {prev.bad_debt} to {state.bad_debt}", o.args.get("series"),
                     before=prev.bad_debt, after=state.bad_debt)
    if o.action != "settle_insolvency" or o.reverted is not None:
        return
    s0 = _series_of(o, prev)
    s1 = _series_of(o, state)
    assert s0 is not None and s1 is not None
    deficit = -prev.value(s0)
    if state.bad_debt - prev.bad_debt != deficit:
        yield _found(f"bad debt grew by {state.bad_debt - prev.bad_debt}, deficit was {deficit}", s0.label,
                     growth=state.bad_debt - prev.bad_debt, deficit=deficit)
    if s1.debt != 0 or s1.base_held != 0 or s1.quote_held != 0:
        yield _found(f"{s1.label} still holds or owes something after settlement", s1.label,
                     base_held=s1.base_held, quote_held=s1.quote_held, debt=s1.debt)


# ============================================================================== 3. fees


@_invariant(
    "fees.conserved",
    "fees",
    "Every fee lands in the reserve or stays pending in the pool: protocol swap fees of a step equal the "
    "growth of pending + allocated fees, and mint/redeem fees equal the growth of feesReceived.",
    transition=True,
)
def _fees_conserved(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    swapped = {"BASE": 0, "QUOTE": 0}
    for args in o.events_named("Swap"):
        swapped[args["tokenIn"]] += args["protocolFee"]
    got_b = (state.pool_pending_fee_base + state.allocated_base) - (prev.pool_pending_fee_base + prev.allocated_base)
    got_q = (state.pool_pending_fee_quote + state.allocated_quote) - (prev.pool_pending_fee_quote + prev.allocated_quote)
    if got_b != swapped["BASE"] or got_q != swapped["QUOTE"]:
        yield _found(f"protocol fees charged {swapped}, pending+allocated grew by BASE {got_b} QUOTE {got_q}", None,
                     charged_base=swapped["BASE"], charged_quote=swapped["QUOTE"], grew_base=got_b, grew_quote=got_q)
    charged = sum(a["fee"] for a in o.events_named("Minted")) + sum(a["fee"] for a in o.events_named("Redeemed"))
    if state.fees_received - prev.fees_received != charged:
        yield _found(f"mint/redeem fees charged {charged}, feesReceived grew by {state.fees_received - prev.fees_received}",
                     o.args.get("series"), charged=charged, grew=state.fees_received - prev.fees_received)


@_invariant(
    "fees.round_trip",
    "fees",
    "A mint immediately followed by the redeem of the shares it gave never returns more QUOTE than was paid.",
    transition=True,
    actions=("mint_redeem",),
)
def _round_trip(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert o is not None
    if o.action == "mint_redeem" and o.reverted is None and o.result is not None:
        paid, got = o.result
        if got > paid:
            yield _found(f"mint of {paid} then redeem returned {got}", o.args.get("series"), paid=paid, got=got)


@_invariant(
    "fees.no_dilution",
    "fees",
    "Another holder's mint or redeem never lowers NAV per token (same price) by more than the rounding of "
    "ROUNDING_WEI of value over the remaining supply.",
    transition=True,
    actions=("mint", "redeem"),
)
def _no_dilution(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action not in ("mint", "redeem") or o.reverted is not None or state.price != prev.price:
        return
    s0, s1 = _series_of(o, prev), _series_of(o, state)
    assert s0 is not None and s1 is not None
    if s0.total_supply == 0 or s1.total_supply == 0:
        return
    n0, n1 = prev.nav(s0), state.nav(s1)
    tol = ROUNDING_WEI * WAD // s1.total_supply + 1
    if n1 + tol < n0:
        yield _found(f"{s1.label} NAV/token fell {n0} -> {n1} on a {o.action} (tolerance {tol})", s1.label,
                     nav_before=n0, nav_after=n1, tolerance=tol)


@_invariant(
    "fees.rebalance_dilution",
    "fees",
    "A rebalance lowers the series' value by at most its slippage cap times the traded value (the keeper "
    "fee is the reserve's), plus the oracle minimum's rounding (2 wei of BASE) and ROUNDING_WEI.",
    transition=True,
    actions=("rebalance", "ripcord"),
)
def _rebalance_dilution(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.action not in ("rebalance", "ripcord") or o.reverted is not None:
        return
    s0, s1 = _series_of(o, prev), _series_of(o, state)
    assert s0 is not None and s1 is not None
    ev = o.events_named("Rebalanced", s0.label)
    if not ev:
        yield _found(f"no Rebalanced event from {s0.label}", s0.label)
        return
    base_amt, quote_amt = ev[0]["baseAmount"], ev[0]["quoteAmount"]
    traded = max(quote_amt, -(-base_amt * state.price // WAD))
    # the oracle minimum rounds down twice in BASE units: up to 2 wei of BASE (2P/WAD QUOTE wei) more
    bound = -(-traded * s0.params.slippage_cap_bps // BPS) + 2 * (state.price // WAD + 1) + ROUNDING_WEI
    drop = prev.value(s0) - state.value(s1)
    if drop > bound:
        yield _found(f"{s0.label} lost {drop} of value in a {o.action} trading {traded}: more than the cap allows ({bound})",
                     s0.label, drop=drop, traded=traded, bound=bound)


# ============================================================================== 4. accounting


@_invariant(
    "accounting.supply",
    "accounting",
    "For every token the balances of all holders sum to its total supply.",
)
def _supply(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    totals: dict[str, int] = {}
    for t, _, a in state.balances:
        totals[t] = totals.get(t, 0) + a
    for s in state.series:
        total = sum([a for _, a in s.balances])
        if total != s.total_supply:
            yield _found(f"{s.label}: balances sum to {total}, totalSupply {s.total_supply}", s.label,
                         balances=total, total_supply=s.total_supply)
    for token, supply in state.supplies:
        if totals.get(token, 0) != supply:
            yield _found(f"{token}: balances sum to {totals.get(token, 0)}, totalSupply {supply}", None,
                         balances=totals.get(token, 0), total_supply=supply)


@_invariant(
    "accounting.holdings",
    "accounting",
    "Recorded holdings equal actual ERC-20 balances (plus tokens donated outside the protocol's flows): "
    "each series' baseHeld/quoteHeld, the reserve's idle, and the pool's reserves + pending fees.",
)
def _holdings(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    books = [
        ("pool", "BASE", state.pool_reserve_base + state.pool_pending_fee_base),
        ("pool", "QUOTE", state.pool_reserve_quote + state.pool_pending_fee_quote),
        ("reserve", "BASE", state.idle_base),
        ("reserve", "QUOTE", state.idle_quote),
    ]
    for s in state.series:
        books += [(s.label, "BASE", s.base_held), (s.label, "QUOTE", s.quote_held)]
    for holder, token, recorded in books:
        actual = state.balance(token, holder)
        if recorded + state.donated_to(holder, token) != actual:
            yield _found(f"{holder} records {recorded} {token} (+{state.donated_to(holder, token)} donated), holds {actual}",
                         holder if holder.startswith("series") else None,
                         recorded=recorded, donated=state.donated_to(holder, token), actual=actual)


@_invariant(
    "accounting.differential",
    "accounting",
    "The model and the EVM agree exactly on every state variable, every event and every revert reason "
    "(checked by the fuzzer's comparison, fuzz/compare.py, on pairs of steps).",
)
def _differential(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    return ()  # a property of two runs, not of one state: see fuzz.compare


# ============================================================================== 5. economics of the spec


@_invariant(
    "econ.keeper_entitled",
    "econ",
    "A successful rebalance pays its keeper at most keeper_fee_entitled(keeperFee, notional) of "
    "specs.procedures: min(keeperFee, KEEPER_FEE_MAX_BPS of the BASE the Rebalanced event moved, at the "
    "oracle price), so nothing for a trade of nothing; a ripcord pays no keeper.",
    transition=True,
    actions=("rebalance", "ripcord"),
)
def _keeper_entitled(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.reverted is not None:
        return
    s = _series_of(o, prev)
    assert s is not None
    paid = state.keeper_paid - prev.keeper_paid
    ev = o.events_named("Rebalanced", s.label)
    base_amt = ev[0]["baseAmount"] if ev else 0
    notional = P.trade_notional(INT, base_amt, prev.price)
    entitled = 0 if o.action == "ripcord" else P.keeper_fee_entitled(INT, s.params.keeper_fee, notional)
    if paid > entitled:
        yield _found(f"the keeper of a {o.action} of {s.label} trading {base_amt} BASE (notional {notional}) was paid "
                     f"{paid}, entitled to {entitled}", s.label, paid=paid, entitled=entitled, notional=notional,
                     base_amount=base_amt, keeper_fee=s.params.keeper_fee)


def _planned_trade(st: SystemState, s: SeriesState) -> P.TradePlan | None:
    """The trade to target the procedure plans for `s` in `st` (None: insolvent, or E* == E)."""
    pos = P.position(INT, s.params, s.base_held, s.quote_held, s.debt, st.price)
    if pos.v <= 0:
        return None
    for increase in (True, False):
        if P.branch(INT, pos, increase):
            return P.plan_trade(INT, s.params, pos, s.debt, st.price, increase)
    return None


@_invariant(
    "econ.rebalance_live",
    "econ",
    "A rebalance or ripcord is never refused for the reserve's keeper payment, a delevering trade (which "
    "borrows nothing) is never refused InsufficientLiquidity by the reserve, and NothingToRebalance is "
    "raised only when the planned trade is skipped (nothing, or dust).",
    transition=True,
    actions=("rebalance", "ripcord"),
)
def _rebalance_live(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    if o.reverted is None:
        return
    s = _series_of(o, prev)
    assert s is not None
    plan = _planned_trade(prev, s)
    if o.reverted == "InsufficientLiquidity" and len(o.revert_args) == 2:  # the reserve's (the pool's has none)
        amount, idle = o.revert_args
        if plan is None or not plan.increase:
            yield _found(f"{o.action} of {s.label} refused InsufficientLiquidity({amount}, {idle}) by the reserve "
                         "although its trade delevers and borrows nothing", s.label, amount=amount, idle=idle)
            return
        held = prev.idle_quote if s.is_long else prev.idle_base
        if plan.borrow <= held:  # the loan was fundable: the refusal came from paying the keeper
            yield _found(f"{o.action} of {s.label} refused InsufficientLiquidity({amount}, {idle}) although its loan "
                         f"of {plan.borrow} fits the reserve's {held} idle: the keeper payment blocked it", s.label,
                         amount=amount, idle=idle, borrow=plan.borrow, idle_debt_asset=held)
    elif o.reverted == "NothingToRebalance" and plan is not None and not plan.swap.skipped:
        yield _found(f"{o.action} of {s.label} refused NothingToRebalance although its trade of {plan.swap.amount} "
                     f"{plan.swap.token_in} is not dust", s.label, amount=plan.swap.amount)
