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
    actor: str | None = None  # the account it concerns (econ.profit), None: not about one account


def _found(message: str, series: str | None = None, **values: int | None) -> Found:
    return Found(message, series, values)


@dataclass(frozen=True)
class Violation:
    invariant: str  # the `Invariant.id`
    message: str
    series: str | None = None  # the series label, or None for a system-wide property
    values: dict[str, int | None] = field(default_factory=dict, hash=False)  # the numbers, by name
    actor: str | None = None  # the account it concerns (econ.profit), None: not about one account

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
# What a step must be for an invariant to say something about it (beyond `transition` and `actions`):
# a step where it holds *exercised* the invariant. Campaigns count these per invariant, so one never
# exercised is reported as such, never as passed. The check runs only where the premise holds.
Premise = Callable[[SystemState, "SystemState | None", "Outcome | None"], bool]


@dataclass(frozen=True)
class Invariant:
    id: str
    family: str  # band | floor | fees | accounting | econ
    statement: str
    _check: Check = field(repr=False, compare=False)
    transition: bool = False  # needs prev and outcome
    actions: frozenset[str] | None = None  # the step actions it can say anything about (None: every step)
    premise: Premise | None = field(default=None, repr=False, compare=False)
    exercise: str = "any step"  # the premise in words (what "exercised" means for it)

    def applies(self, state: SystemState, prev: SystemState | None = None, outcome: Outcome | None = None) -> bool:
        """Does this step exercise the invariant (its action watched, its premise true)?"""
        if self.transition and (prev is None or outcome is None):
            return False
        if self.actions is not None and (outcome is None or outcome.action not in self.actions):
            return False
        return self.premise is None or self.premise(state, prev, outcome)

    def check(self, state: SystemState, prev: SystemState | None = None, outcome: Outcome | None = None) -> list[Violation]:
        if not self.applies(state, prev, outcome):
            return []
        return [Violation(self.id, f.message, f.series, dict(f.values), f.actor) for f in self._check(state, prev, outcome)]


INVARIANTS: list[Invariant] = []


def _invariant(id: str, family: str, statement: str, transition: bool = False, actions: tuple[str, ...] | None = None,
               premise: Premise | None = None, exercise: str | None = None) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        words = exercise or (" or ".join(sorted(actions)) if actions else "any step")
        INVARIANTS.append(Invariant(id, family, statement, fn, transition, frozenset(actions) if actions else None, premise, words))
        return fn

    return register


def check_all(state: SystemState, prev: SystemState | None = None, outcome: Outcome | None = None,
              exercised: dict[str, int] | None = None) -> list[Violation]:
    """Every invariant on one step; `exercised` (if given) counts, per id, the invariants the step exercised."""
    out: list[Violation] = []
    for inv in _watching(outcome.action if outcome is not None else None, prev is not None and outcome is not None):
        if inv.premise is not None and not inv.premise(state, prev, outcome):
            continue
        if exercised is not None:
            exercised[inv.id] = exercised.get(inv.id, 0) + 1
        out.extend(Violation(inv.id, f.message, f.series, dict(f.values), f.actor) for f in inv._check(state, prev, outcome))
    return out


_WATCHING: dict[Any, Any] = {}


def _watching(action: str | None, transition_ok: bool) -> tuple[Invariant, ...]:
    """The invariants a step with `action` can exercise (`Invariant.applies` before its premise), in
    registration order: looked up once per (action, kind of step) instead of testing all of them on
    every step of a campaign. Rebuilt when the list changes (tests replace or extend it)."""
    snapshot = tuple(INVARIANTS)
    if _WATCHING.get("of") != snapshot:
        _WATCHING.clear()
        _WATCHING["of"] = snapshot
    key = (action, transition_ok)
    found = _WATCHING.get(key)
    if found is None:
        found = _WATCHING[key] = tuple(
            inv for inv in snapshot
            if (transition_ok or not inv.transition) and (inv.actions is None or (action is not None and action in inv.actions)))
    return found


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
    premise=lambda st, prev, o: o.reverted is None,
    exercise="a successful rebalance",
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


# The pool's refusals when it cannot fill a protocol swap within the oracle-derived limit (SpotPool's
# InsufficientLiquidity() has no arguments; the reserve's has two and is judged below).
_POOL_REFUSALS = frozenset({"InsufficientOutput", "ExcessiveInput"})


def trade_plan(prev: SystemState, s: SeriesState) -> P.TradePlan | None:
    """The trade to target of `specs.procedures` from the state just before (None: no branch, V <= 0);
    the invariants and the comparison counter (`specs.edges`) both use this one."""
    if prev.value(s) <= 0:
        return None
    pos = P.position(INT, s.params, s.base_held, s.quote_held, s.debt, prev.price)
    for increase in (True, False):
        if P.branch(INT, pos, increase):
            return P.plan_trade(INT, s.params, pos, s.debt, prev.price, increase)
    return None


def _refusal(prev: SystemState, s: SeriesState, o: Outcome, ripcord: bool) -> Iterable[Found]:
    """A rebalance / ripcord refusal whose reason does not hold just before the step is a liveness
    failure (keepers are refused work the spec allows). Each reason with the condition that makes it true."""
    r, args, lbl = o.reverted, tuple(o.revert_args), s.label
    if r == "NotTriggered" and not ripcord:
        t = _trigger(prev, s)
        if t.out_of_band:
            yield _found(f"{lbl} refused NotTriggered at {_fmt_lev(t.lev)}, outside the band", lbl, lev=t.lev)
        if t.fallback_due:
            yield _found(f"{lbl} refused NotTriggered although the fallback was due", lbl,
                         time=prev.time, last_rebalance=s.last_rebalance)
        return
    if r == "NotAboveRipcord" and ripcord:
        lev = prev.leverage(s)
        if lev is not None and P.ripcord_trigger(INT, s.params, lev, prev.fresh):
            yield _found(f"ripcord on {lbl} refused at {_fmt_lev(lev)} above ripcord {_fmt_lev(s.params.ripcord_lev)}", lbl,
                         lev=lev, ripcord_lev=s.params.ripcord_lev)
        return
    if r == "BelowFloor":
        if ripcord:
            yield _found(f"ripcord on {lbl} reverted BelowFloor", lbl, equity=prev.equity_quote(), floor=prev.floor_quote())
        elif prev.fresh and prev.above_floor():
            yield _found(f"{lbl} refused BelowFloor with equity {prev.equity_quote()} >= floor {prev.floor_quote()}", lbl,
                         equity=prev.equity_quote(), floor=prev.floor_quote())
        return
    plan = trade_plan(prev, s)
    holds = {
        "ZeroPrice": prev.price == 0,
        "StalePrice": not prev.fresh,
        "EmptySeries": s.total_supply == 0,
        "SeriesInsolvent": prev.value(s) <= 0,
        # A's rule (issue 12): a trade to target that is skipped (nothing, or dust) is refused
        "NothingToRebalance": plan is None or bool(plan.swap.skipped),
        # the reserve lends only what it holds idle: a refusal only for the borrow of an increase
        "InsufficientLiquidity": len(args) == 0 or (plan is not None and plan.increase and args[0] == plan.borrow),
        # SPEC's domain (amounts up to 2**256 - 1): a valuation or a sum of the step that leaves uint256
        # reverts on both sides (the model raises these only on a real overflow; the differential
        # compares them), e.g. a reserve holding 2**250 BASE cannot value itself at the price
        "Panic": args == (0x11,),
        "IntOverflow": True,
        "MulDivOverflow": True,
    }
    if r in _POOL_REFUSALS or holds.get(r, False):
        return
    what = "ripcord on " + lbl if ripcord else lbl
    yield _found(f"{what} refused {r}{args} when that reason does not hold (stale {not prev.fresh}, supply {s.total_supply}, "
                 f"value {prev.value(s)}, trade {'none' if plan is None else ('increase' if plan.increase else 'decrease')}"
                 f"{'' if plan is None else f' borrowing {plan.borrow}'})", lbl,
                 value=prev.value(s), borrow=None if plan is None else plan.borrow, idle_quote=prev.idle_quote, idle_base=prev.idle_base)


@_invariant(
    "band.trigger_complete",
    "band",
    "A rebalance is refused only for a reason that holds just before it: NotTriggered (in band, fallback "
    "not due), BelowFloor (reserve below its floor), StalePrice / ZeroPrice, EmptySeries, SeriesInsolvent, "
    "NothingToRebalance (the trade to target is skipped as dust), the reserve's InsufficientLiquidity only "
    "for the borrow of an increasing trade, the pool's errors (no fill within the oracle cap), an arithmetic "
    "overflow of the step (Panic(0x11), IntOverflow, MulDivOverflow: outside SPEC's uint256 domain). Any other "
    "refusal (e.g. the reserve unable to pay its keeper) is a liveness failure.",
    transition=True,
    actions=("rebalance",),
    premise=lambda st, prev, o: o.reverted is not None,
    exercise="a refused rebalance",
)
def _trigger_complete(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None and o.reverted is not None
    s = _series_of(o, prev)
    assert s is not None
    yield from _refusal(prev, s, o, ripcord=False)


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
    premise=lambda st, prev, o: _restoration_domain(st, o),
    exercise="a successful, non-dust rebalance or ripcord filled within the cap, from L0 inside the restoration domain",
)
def _restoration(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert o is not None
    s = _series_of(o, state)
    assert s is not None
    ev = o.events_named("Rebalanced", s.label)
    lev0 = ev[0]["levBefore"] if ev else None
    lev = state.leverage(s)
    if lev is None:
        yield _found(f"{s.label} insolvent right after its {o.action}", s.label, value=state.value(s))
    elif F.out_of_band(INT, lev, s.params.min_lev, s.params.max_lev):
        yield _found(f"{s.label} left at {_fmt_lev(lev)} after its {o.action}, outside the band", s.label,
                     lev=lev, lev_before=lev0, min_lev=s.params.min_lev, max_lev=s.params.max_lev)


def _restoration_domain(state: SystemState, o: Outcome | None) -> bool:
    """band.restoration's premise: the step succeeded, traded (not dust), within the cap on the adverse
    side, from an L0 whose delevering cost still lands inside the band."""
    if o is None or o.reverted is not None:
        return False
    s = _series_of(o, state)
    if s is None:
        return False
    ev = o.events_named("Rebalanced", s.label)
    if ev and ev[0]["baseAmount"] == 0 and ev[0]["quoteAmount"] == 0:
        return False  # the trade was dust and skipped (SPEC "Dust"): nothing was restored, by design
    if ev and ev[0]["baseAmount"] > 0 and ev[0]["quoteAmount"] > 0:
        base_amt, quote_amt = ev[0]["baseAmount"], ev[0]["quoteAmount"]
        fair = base_amt * state.price // WAD  # the oracle value of the BASE traded
        cap = s.params.slippage_cap_bps
        if quote_amt * BPS > fair * (BPS + cap) + BPS or quote_amt * BPS < fair * (BPS - cap) - BPS:
            return False  # executed outside the cap in the series' favour: exempt (see the statement)
    p = s.params
    lev0 = ev[0]["levBefore"] if ev else None
    # Delevering from L0 costs up to cap x (L0 - T) x V, so L after can reach T / (1 - cap (L0 - T)):
    # inside the band only while cap (L0 - T) <= 1 - T / maxLev (L0 <= ~17x for the bundled set).
    return not (lev0 is not None and p.slippage_cap_bps * (lev0 - p.target_lev) * p.max_lev > BPS * (p.max_lev - p.target_lev) * WAD)


@_invariant(
    "band.drift_direction",
    "band",
    "With no trade, a price rise lowers a debt-financed long's leverage (q <= d) and raises a short's; a "
    "fall does the reverse (up to the rounding of V by ROUNDING_WEI).",
    transition=True,
    actions=("set_price",),
    premise=lambda st, prev, o: o.reverted is None and prev is not None and st.price != prev.price,
    exercise="a price change (set_price to another price)",
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
    premise=lambda st, prev, o: prev is not None and not prev.above_floor(),
    exercise="a rebalance attempted with reserve equity below the floor",
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
    premise=lambda st, prev, o: o.reverted is None and o.action not in ("warp", "settle_insolvency"),
    exercise="a transaction that ran (not settle_insolvency)",
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
    premise=lambda st, prev, o: o.reverted is None,
    exercise="a successful rebalance",
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
    "Ripcord is refused only for a reason that holds just before it: NotAboveRipcord (leverage at or below "
    "ripcordLev), StalePrice / ZeroPrice, EmptySeries, SeriesInsolvent, NothingToRebalance (dust), the "
    "pool's errors. Never BelowFloor, never the reserve's InsufficientLiquidity (delevering never borrows).",
    transition=True,
    actions=("ripcord",),
    premise=lambda st, prev, o: o.reverted is not None,
    exercise="a refused ripcord",
)
def _ripcord_open(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None and o.reverted is not None
    s = _series_of(o, prev)
    assert s is not None
    yield from _refusal(prev, s, o, ripcord=True)


@_invariant(
    "floor.bad_debt",
    "floor",
    "Settling an insolvent series records exactly its deficit -V as bad debt and clears its debt; bad debt "
    "never decreases.",
    transition=True,
    premise=lambda st, prev, o: (o.action == "settle_insolvency" and o.reverted is None) or st.bad_debt != prev.bad_debt,
    exercise="a successful settle_insolvency (or any change of bad debt)",
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
    premise=lambda st, prev, o: o.reverted is None and (o.action == "allocate_fees" or any(
        n in ("Swap", "Minted", "Redeemed") for _, n, _ in o.events)),
    exercise="a step that charged a swap, mint or redeem fee, or allocated fees",
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


def pool_edge(state: SystemState, o: Outcome, trader: str) -> int:
    """What `trader`'s swaps in one step got from the pool beyond the oracle price P: for each `Swap`
    it sent, the value out minus the value in, both at P (a gain rounded down, a cost rounded up).
    Positive only where the pool was priced away from the oracle in the trader's favour."""
    edge = 0
    for args in o.events_named("Swap", "pool"):
        if args.get("sender") != trader:
            continue
        if args["tokenIn"] == "BASE":  # sold BASE for QUOTE
            edge += args["amountOut"] - -(-args["amountIn"] * state.price // WAD)
        else:  # bought BASE with QUOTE
            edge += args["amountOut"] * state.price // WAD - args["amountIn"]
    return edge


@_invariant(
    "fees.round_trip",
    "fees",
    "A mint immediately followed by the redeem of the shares it gave never returns more QUOTE than was "
    "paid, plus what the series' own swaps in the round trip got from a pool priced away from the oracle "
    "(their value out minus value in at P, when positive: the pool's arbitrage, paid by its LPs, not by "
    "the other holders). With the pool at the oracle price a round trip never gains.",
    transition=True,
    actions=("mint_redeem",),
    premise=lambda st, prev, o: o.reverted is None and o.result is not None,
    exercise="a completed mint-then-redeem",
)
def _round_trip(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert o is not None
    if o.action == "mint_redeem" and o.reverted is None and o.result is not None:
        paid, got = o.result
        edge = max(0, pool_edge(state, o, o.args.get("series", "")))
        if got > paid + edge:
            yield _found(f"mint of {paid} then redeem returned {got} (the pool's edge to the series' swaps: {edge})",
                         o.args.get("series"), paid=paid, got=got, pool_edge=edge)


@_invariant(
    "fees.no_dilution",
    "fees",
    "Another holder's mint or redeem never lowers NAV per token (same price) by more than the rounding of "
    "ROUNDING_WEI of value over the remaining supply.",
    transition=True,
    actions=("mint", "redeem"),
    premise=lambda st, prev, o: (o.reverted is None and st.price == prev.price
                                 and prev.series_state(o.args["series"]).total_supply > 0
                                 and st.series_state(o.args["series"]).total_supply > 0),
    exercise="a mint or redeem into a series with holders before and after",
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
    premise=lambda st, prev, o: o.reverted is None,
    exercise="a successful rebalance or ripcord",
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
    "The model and the EVM agree exactly on every state variable, every event, every revert reason and "
    "every view the contracts publish (equityQuote, floorQuote, isAboveFloor, health, navPerToken, "
    "leverage, value, exposure), judged on each step by the differential session "
    "(levcheck.chain.session: compare_outcomes, compare_states, compare_views).",
    premise=lambda st, prev, o: False,  # a property of two runs, not of one state: never judged here
    exercise="a step run on both sides (counted by the session)",
)
def _differential(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    return ()  # never called (premise False): the session reports it, as StepReport.differences


# ============================================================================== 5. economics: the profit oracle


@dataclass(frozen=True)
class ProfitWindow:
    """`econ.profit`'s bookkeeping for the window a snapshot ends: a maximal run of steps at one oracle
    price. Carried from snapshot to snapshot (`SystemState.attach`), so the model's and the EVM's states,
    and a replay, each derive it from the previous state alone. Per account, by name."""

    price: int
    first: int  # index of the window's first step (the step after the price was set)
    last: int  # index of the step that produced the snapshot (first - 1: no step yet)
    start: dict[str, int]  # wealth at the window's start (LP shares included)
    arbitrage: int  # A at the window's start: what the pool offered anyone
    entitled: dict[str, int]  # keeper fees the account was entitled to in the window
    gifts: dict[str, int]  # value other accounts sent it (transfers between accounts, faucet mints, and
    # the rounding another holder's mint or redeem left in a series it holds)
    added: int  # pool value (at P) that steps added, in total ...
    added_by: dict[str, int]  # ... and by each account's own steps (the rest is on offer to it)
    active: frozenset[str]  # accounts that sent a successful step in the window
    lp: dict[str, int]  # pool LP shares per account since deployment (from LiquidityAdded/Removed)
    closed_active: bool = False  # this step's price change closed a window with an account active in it

    @property
    def steps(self) -> int:
        return self.last - self.first + 1

    def lp_value(self, st: SystemState, account: str) -> int:
        shares = self.lp.get(account, 0)
        return shares * st.pool_value() // st.pool_total_shares if shares and st.pool_total_shares else 0

    def wealth(self, st: SystemState) -> dict[str, int]:
        if not self.lp:
            return st.wealth()  # the snapshot's memo: read, never written
        w = dict(st.wealth())
        for a in self.lp:
            w[a] = w.get(a, 0) + self.lp_value(st, a)
        return w

    def credit(self, account: str) -> int:
        """What `account` may have gained without taking it from anyone (before the rounding tolerance)."""
        return (self.arbitrage + self.entitled.get(account, 0) + self.gifts.get(account, 0)
                + self.added - self.added_by.get(account, 0))


_WINDOW = "econ.profit.window"


def _opened(st: SystemState, index: int, lp: dict[str, int], closed_active: bool = False) -> ProfitWindow:
    w = ProfitWindow(st.price, index + 1, index, {}, st.arbitrage_value(), {}, {}, 0, {}, frozenset(), lp, closed_active)
    return dataclasses.replace(w, start=w.wealth(st))


def _add(d: dict[str, int], key: str, amount: int) -> dict[str, int]:
    return {**d, key: d.get(key, 0) + amount} if amount else d


def profit_window(state: SystemState, prev: SystemState, o: Outcome) -> ProfitWindow:
    """The window `state` ends, from the one `prev` ended (none yet: a window opens at `prev`)."""
    w = state.attached(_WINDOW)
    if w is not None:
        return w
    # the pool's seed liquidity is the deployer's (deployment adds it, before any step)
    before = prev.attached(_WINDOW) or _opened(prev, -1, {"deployer": prev.pool_total_shares} if prev.pool_total_shares else {})
    index = before.last + 1
    lp = before.lp
    for args in o.events_named("LiquidityAdded", "pool"):
        lp = _add(lp, args["provider"], args["shares"])
    for args in o.events_named("LiquidityRemoved", "pool"):
        lp = _add(lp, args["provider"], -args["shares"])
    if state.price != before.price:  # the oracle moved: the window closes at `prev`, a new one opens here
        w = _opened(state, index, lp, closed_active=bool(before.active))
    else:
        # one new window built from `before` (a campaign runs this on every step: no chain of copies)
        who = o.actor or ""
        ok = o.reverted is None
        active, entitled, gifts, added, added_by = before.active, before.entitled, before.gifts, before.added, before.added_by
        if ok and o.action not in ("warp", "set_price") and who not in active and state.is_account(who):
            active = active | {who}
        if o.action == "rebalance" and ok:
            label = o.args["series"]
            ev = o.events_named("Rebalanced", label)
            notional = P.trade_notional(INT, ev[0]["baseAmount"] if ev else 0, prev.price)
            entitled = _add(entitled, who, P.keeper_fee_entitled(INT, prev.series_state(label).params.keeper_fee, notional))
        for token, name, args in o.events:
            if name != "Transfer":
                continue
            frm, to = args.get("from"), args.get("to")
            if to != frm and state.is_account(to or "") and (state.is_account(frm or "") or o.action == "faucet"):
                gifts = _add(gifts, to, state.token_value(token, args["amount"]))
        grew = state.pool_value() - prev.pool_value()
        if grew > 0:  # value someone put into the pool is on offer to everyone else
            added, added_by = added + grew, _add(added_by, who, grew)
        if ok and o.action == "remove_liquidity":
            # the rounding a leaving LP's outputs leave in the pool (paid out: rounded down, up to a wei
            # of BASE, worth P / WAD QUOTE wei) raises the other LPs' shares: a gift from the sender
            for holder, shares in lp.items():
                if holder != who and shares and state.pool_total_shares and prev.pool_total_shares:
                    rise = shares * state.pool_value() // state.pool_total_shares - shares * prev.pool_value() // prev.pool_total_shares
                    if rise > 0:
                        gifts = _add(gifts, holder, rise + 1)
        if ok and o.action in ("mint", "redeem", "mint_redeem"):
            # the rounding and fees a minter or redeemer pays stay in the series (SPEC: rounding against
            # the user, for the protocol): its other holders' tokens are worth more, a gift from the sender
            # (valued exactly, shares x V / S on each side: NAV per token rounds to WAD precision, which
            # a large supply turns into 0 while the holder's stake grew by thousands of wei)
            label = o.args["series"]
            for holder, shares in state.series_state(label).balances:
                if holder != who and state.is_account(holder):
                    rise = state.token_value(label, shares) - prev.token_value(label, prev.balance(label, holder))
                    if rise > 0:
                        gifts = _add(gifts, holder, rise + 1)
        w = ProfitWindow(price=before.price, first=before.first, last=index, start=before.start, arbitrage=before.arbitrage,
                         entitled=entitled, gifts=gifts, added=added, added_by=added_by, active=active, lp=lp,
                         closed_active=before.closed_active)
    state.attach(_WINDOW, w)
    return w


def _profit_tolerance(state: SystemState, w: ProfitWindow) -> int:
    # each valuation term rounds down once at each end, and every step's own rounding (mint/redeem
    # shares, pro-rata slices, pool outputs) may hand a holder up to ROUNDING_WEI per series
    return ROUNDING_WEI * (len(state.series) + 2) * (w.steps + 1)


@_invariant(
    "econ.profit",
    "econ",
    "No account ends a window (a maximal run of steps at one oracle price P; every step is a possible "
    "end) richer, in QUOTE + BASE x P + series tokens x NAV + pool LP shares at P, than it started it by "
    "more than: the keeper fees it was entitled to (keeper_fee_entitled of specs.procedures, per "
    "rebalance it sent), the arbitrage the pool offered at the window's start (y0 + x0 P - 2 sqrt(x0 y0 "
    "P)), the pool value that other accounts' steps added in the window, what other accounts sent it, "
    "and ROUNDING_WEI x (series + 2) per step. A richer account took value from someone else.",
    transition=True,
    premise=lambda st, prev, o: bool(profit_window(st, prev, o).active),  # type: ignore[arg-type]
    exercise="a window (ending at the step) with an account active in it",
)
def _profit(state: SystemState, prev: SystemState | None, o: Outcome | None) -> Iterable[Found]:
    assert prev is not None and o is not None
    w = profit_window(state, prev, o)
    now, tol = w.wealth(state), _profit_tolerance(state, w)
    for account in sorted(set(now) | set(w.start)):
        gain = now.get(account, 0) - w.start.get(account, 0)
        allowed = w.credit(account) + tol
        if gain > allowed:
            yield Found(
                f"{account} ended steps {w.first}..{w.last} (price {w.price}) richer by {gain} than it started them: "
                f"more than entitled keeper fees {w.entitled.get(account, 0)} + pool arbitrage {w.arbitrage} + added "
                f"by others {w.added - w.added_by.get(account, 0)} + received {w.gifts.get(account, 0)} + rounding {tol}",
                None,
                dict(gain=gain, allowed=allowed, entitled=w.entitled.get(account, 0), arbitrage=w.arbitrage,
                     added_by_others=w.added - w.added_by.get(account, 0), received=w.gifts.get(account, 0),
                     tolerance=tol, wealth_start=w.start.get(account, 0), wealth_end=now.get(account, 0),
                     first_step=w.first, last_step=w.last, price=w.price),
                account,
            )



# ============================================================================== 5. economics: keepers paid for work, rebalancing live


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
