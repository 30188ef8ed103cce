"""Every comparison of SPEC.md that decides a branch, evaluated on the model's state at a step, and
the solvers the fuzzer's edge actions use to land exactly on (and one wei or second either side of)
each of them.

`evaluated(prev, state, outcome)` says which comparisons the step's procedure reached and on which
side each fell: "below" / "equal" / "above" for `lhs` versus `rhs` as SPEC writes them (so a `<` and a
`<=` differ only at "equal", counted on its own). It uses the same formulas and procedures the model
runs (`specs.formulas`, `specs.procedures`, `SystemState`'s derived values); campaigns sum the result
per (comparison, side), and `check` lists a comparison not reached from both sides as a gap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import formulas as F
from . import procedures as P
from .arith import BPS, INT
from .invariants import Outcome, trade_plan
from .model import CHECKPOINT_INTERVAL
from .params import MarketParams
from .state import SeriesState, SystemState

SIDES = ("below", "equal", "above")


@dataclass(frozen=True)
class Comparison:
    id: str
    spec: str  # lhs op rhs, in SPEC's words
    where: str  # the step(s) that evaluate it


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("oracle.max_age", "block.timestamp > updatedAt + maxAge -> StalePrice", "every step that reads the price"),
    Comparison("series.solvent", "V <= 0 -> SeriesInsolvent / settleInsolvency allowed (V vs 0)",
               "mint into a live series, rebalance, ripcord, settle_insolvency"),
    Comparison("floor", "equityQuote >= floorQuote (isAboveFloor), else BelowFloor", "rebalance"),
    Comparison("band.min", "L < minLev -> Band trigger", "rebalance above the floor"),
    Comparison("band.max", "L > maxLev -> Band trigger", "rebalance above the floor"),
    Comparison("fallback", "block.timestamp >= lastRebalance + fallbackInterval -> Fallback trigger",
               "rebalance above the floor"),
    Comparison("ripcord", "L > ripcordLev, else NotAboveRipcord", "ripcord"),
    Comparison("dust.trade", "oracle minimum (or BASE bought) of the trade to target vs 1: 0 is skipped -> NothingToRebalance",
               "rebalance / ripcord that reaches its trade"),
    Comparison("dust.mint", "oracle minimum of the mint's swap vs 1: 0 is skipped with its borrow", "mint that swaps"),
    Comparison("borrow.idle", "borrow amount > idle -> InsufficientLiquidity", "mint or rebalance that borrows"),
    Comparison("keeper.cap", "1 % of the trade's oracle notional vs keeperFee (the fee is the smaller)", "successful rebalance"),
    Comparison("keeper.idle", "idle QUOTE at payKeeper vs the entitled fee (pays min of the two)",
               "successful rebalance with a fee due"),
    Comparison("fee_period", "block.timestamp < lastAllocation + feePeriod -> TooEarly", "allocate_fees after the first"),
    Comparison("checkpoint_interval", "block.timestamp < lastCheckpoint + checkpointInterval -> TooEarly",
               "checkpoint after the first"),
)
IDS = tuple(c.id for c in COMPARISONS)


def side(lhs: int, rhs: int) -> str:
    return "below" if lhs < rhs else "equal" if lhs == rhs else "above"


def _dust(order: P.SwapOrder) -> int:
    """What SPEC's dust rule compares with 1: the oracle minimum of an exact input, the BASE bought."""
    return order.amount if order.exact_out else order.limit


def _idle(st: SystemState, s: SeriesState) -> int:
    return st.idle_quote if s.is_long else st.idle_base


def evaluated(mp: MarketParams, prev: SystemState, state: SystemState, o: Outcome) -> list[tuple[str, str]]:
    """(comparison id, side) for every comparison the step reached in market `mp`, from the state just
    before it (`prev`, at the step's block time) and, for the keeper payment, the state after (`state`)."""
    a, out = o.action, []
    if a in ("mint", "redeem", "rebalance", "ripcord", "settle_insolvency", "checkpoint") and prev.price > 0:
        out.append(("oracle.max_age", side(prev.time, prev.updated_at + prev.max_age)))
    if a == "allocate_fees" and prev.last_allocation != 0:
        out.append(("fee_period", side(prev.time, prev.last_allocation + mp.fee_period)))
    if a == "checkpoint" and prev.last_checkpoint != 0 and prev.fresh:
        out.append(("checkpoint_interval", side(prev.time, prev.last_checkpoint + CHECKPOINT_INTERVAL)))
    label = o.args.get("series")
    if label is None or not prev.fresh or a not in ("mint", "rebalance", "ripcord", "settle_insolvency"):
        return out
    s = prev.series_state(label)
    v = prev.value(s)
    if a == "mint":
        return out + _mint(prev, s, v, o)
    if a == "settle_insolvency" or s.total_supply > 0:
        out.append(("series.solvent", side(v, 0)))
    if a == "settle_insolvency" or s.total_supply == 0 or v <= 0:
        return out
    lev = prev.leverage(s)
    assert lev is not None
    p = s.params
    if a == "ripcord":
        out.append(("ripcord", side(lev, p.ripcord_lev)))
        if lev <= p.ripcord_lev:
            return out
    else:
        out.append(("floor", side(prev.equity_quote(), prev.floor_quote())))
        if not prev.above_floor():
            return out
        out += [("band.min", side(lev, p.min_lev)), ("band.max", side(lev, p.max_lev)),
                ("fallback", side(prev.time, s.last_rebalance + p.fallback_interval))]
        if not P.rebalance_trigger(INT, p, lev, prev.time, s.last_rebalance, True, True).allowed:
            return out
    plan = trade_plan(prev, s)
    if plan is None or (a == "ripcord" and plan.increase):
        return out
    out.append(("dust.trade", side(_dust(plan.swap), 1)))
    if plan.borrow > 0:
        out.append(("borrow.idle", side(plan.borrow, _idle(prev, s))))
    ev = o.events_named("Rebalanced", label)
    if a == "rebalance" and o.reverted is None and ev:
        notional = P.trade_notional(INT, ev[0]["baseAmount"], prev.price)
        out.append(("keeper.cap", side(INT.mul_div_down(notional, P.KEEPER_FEE_MAX_BPS, BPS), p.keeper_fee)))
        entitled = P.keeper_fee_entitled(INT, p.keeper_fee, notional)
        if entitled > 0:
            paid = sum(e["amount"] for e in o.events_named("KeeperPaid"))
            out.append(("keeper.idle", side(state.idle_quote + paid, entitled)))
    return out


def _mint(prev: SystemState, s: SeriesState, v: int, o: Outcome) -> list[tuple[str, str]]:
    quote_in = o.args.get("quote_in", 0)
    if quote_in <= 0:
        return []
    out = []
    if s.total_supply > 0:
        out.append(("series.solvent", side(v, 0)))
        if v <= 0:
            return out
    plan = mint_plan(prev, s, quote_in)
    if plan.swap.amount > 0:
        out.append(("dust.mint", side(plan.swap.limit, 1)))
    if plan.borrow > 0:
        out.append(("borrow.idle", side(mint_borrow_over_idle(prev, s, quote_in), 0)))
    return out


def mint_plan(st: SystemState, s: SeriesState, quote_in: int) -> P.MintPlan:
    net = P.mint_payment(INT, s.params, quote_in).net
    return P.plan_mint(INT, s.params, s.total_supply == 0, s.base_held, s.quote_held, s.debt, st.price, net)


def mint_borrow_over_idle(st: SystemState, s: SeriesState, quote_in: int) -> int:
    """A mint's borrow minus the reserve's idle debt asset when it borrows: the mint fee (QUOTE) is
    deposited first (SPEC mint step 1), so a long's borrow meets idle QUOTE plus the fee. Non-decreasing
    in `quote_in` where the plan borrows (the edge actions search it)."""
    plan = mint_plan(st, s, quote_in)
    fee = P.mint_payment(INT, s.params, quote_in).fee if s.is_long else 0
    return plan.borrow - _idle(st, s) - fee


def count(counts: dict[tuple[str, str], int], mp: MarketParams, prev: SystemState, state: SystemState, o: Outcome) -> None:
    for key in evaluated(mp, prev, state, o):
        counts[key] = counts.get(key, 0) + 1


def table(counts: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    """Per comparison id (every one listed): its counts per side."""
    return {c.id: {sd: counts.get((c.id, sd), 0) for sd in SIDES} for c in COMPARISONS}


def gaps(counts: dict[tuple[str, str], int]) -> dict[str, str]:
    """Comparison id -> what is missing: a side never reached (a gap), or only the equality."""
    out = {}
    for cid, n in table(counts).items():
        missing = [sd for sd in ("below", "above") if n[sd] == 0]
        if missing:
            out[cid] = "never " + " nor ".join(missing)
        elif n["equal"] == 0:
            out[cid] = "equality never reached"
    return out


# ---------------------------------------------------------------- solvers for the edge actions


def search(f: Callable[[int], int], lo: int, hi: int, target: int) -> int:
    """The smallest x in [lo, hi] with f(x) >= target for a non-decreasing f (hi if none)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if f(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def leverage_at(s: SeriesState, price: int) -> int | None:
    v = F.series_value(INT, s.is_long, s.base_held, s.quote_held, s.debt, price)
    return F.leverage(INT, F.exposure(INT, s.is_long, s.base_held, s.debt, price), v) if v > 0 else None


def price_for_leverage(st: SystemState, s: SeriesState, target: int, lo: int = 10**9, hi: int = 10**30) -> int | None:
    """An oracle price at which the series' leverage (no trade) is exactly `target`, else the nearest
    one found (the caller reads the side it landed on), or None if the series has no exposure to move.
    Leverage falls as the price rises for a debt-financed long and rises for a short; an insolvent
    price counts as infinite leverage."""
    inf = 2**256
    if s.total_supply == 0 or (s.base_held == 0 and s.debt == 0):
        return None

    def lev(p: int) -> int:
        x = leverage_at(s, p)
        return inf if x is None else x

    if s.is_long:  # non-increasing in the price: the smallest price with L <= target
        return search(lambda p: -lev(p), lo, hi, -target)
    # short: non-decreasing below its insolvency price: the largest price with L <= target
    x = search(lambda p: lev(p), lo, hi, target + 1)
    return max(x - 1, lo)


def floor_gap(st: SystemState) -> int:
    """Reserve equity minus the floor, in QUOTE (isAboveFloor: >= 0)."""
    return st.equity_quote() - st.floor_quote()
