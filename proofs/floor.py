"""Reserve-floor obligations: no rebalance below the floor, the reserve's flows, one keeper fee,
ripcord below the floor.

The reserve holds idle BASE/QUOTE, one loan to the series under study and the loans of all other
series (summed: `lo`, valued in QUOTE); the floor counts this series' V and the others' (summed: `vo`).
"""
from __future__ import annotations

from typing import Any

from levcheck.specs import procedures
from levcheck.specs.arith import WAD, Arith
from levcheck.specs.params import MarketParams, SeriesParams

from .core import Claim, Domain, Obligation, Var
from .position import AMOUNT_MAX, POSITION_ASSUMPTIONS, P_MAX, P_MIN, position_vars, rebalance, rebalance_lev_hi

_side = {True: "long", False: "short"}
ROUNDED_RELAXATION = "integers relaxed to reals, every mulDiv a bounded rounding error in [0, 1) (sound)"
RESERVE_ASSUMPTIONS = (
    f"reserve idle BASE/QUOTE and other series' loans in [0, {AMOUNT_MAX}] wei; other series' value any sign",
)


def reserve_vars() -> list[Var]:
    return [Var("ib", 0, AMOUNT_MAX, "idle BASE"), Var("iq", 0, AMOUNT_MAX, "idle QUOTE"),
            Var("lo", 0, AMOUNT_MAX, "other series' loans (QUOTE value)"),
            Var("vo", -AMOUNT_MAX, AMOUNT_MAX, "other series' value V (QUOTE)")]


def equity_and_floor(F: Any, ar: Arith, is_long: bool, floor_bps: int, v: dict[str, Any],
                     b: Any, q: Any, d: Any, ib: Any, iq: Any) -> tuple[Any, Any]:
    P = v["P"]
    loan = F.loan_value_quote(ar, is_long, b, q, d, P)
    equity = F.reserve_equity_quote(ar, ib, iq, P, [loan, v["lo"]])
    floor = F.floor_quote(ar, floor_bps, [F.series_value(ar, is_long, b, q, d, P), v["vo"]])
    return equity, floor


class NoRebalanceBelowFloor(Obligation):
    invariants = ('floor.no_rebalance_below',)
    family = "floor"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams, mp: MarketParams) -> None:
        self.sp, self.mp = sp, mp
        self.id = f"floor.no_rebalance_below.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: whenever the trigger rule allows a rebalance, reserve equity >= "
                          f"{mp.floor_bps} bps x the total value of all series on the pool")
        self.assumptions = POSITION_ASSUMPTIONS + RESERVE_ASSUMPTIONS

    def variables(self) -> list[Var]:
        return position_vars() + reserve_vars() + [Var("now", 0), Var("last", 0)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp, F = Claim(), self.sp, self.F
        b, q, d, P = v["b"], v["q"], v["d"], v["P"]
        val = F.series_value(ar, sp.is_long, b, q, d, P)
        c.premise("V>0", ar.gt(val, 0))
        lev = F.leverage(ar, F.exposure(ar, sp.is_long, b, d, P), val)
        equity, floor = equity_and_floor(F, ar, sp.is_long, self.mp.floor_bps, v, b, q, d, v["ib"], v["iq"])
        trigger = procedures.rebalance_trigger(ar, sp, lev, v["now"], v["last"], ar.ge(equity, floor), True, F)
        c.premise("rebalance allowed", trigger.allowed)
        c.goal("equity>=floor", ar.ge(equity, floor))
        return c


class KeeperFeeBelowFloor(Obligation):
    """A rebalance starts at/above the floor and pays one keeper fee; slippage lowers V (and so the
    floor) and borrowing is equity-neutral, so the reserve ends at most one keeper fee below."""

    invariants = ('floor.keeper_bound',)
    family = "floor"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION
    SLACK = 3  # wei of rounding (BASE valuations of the short side)

    def __init__(self, sp: SeriesParams, mp: MarketParams, increase: bool) -> None:
        self.sp, self.mp, self.increase = sp, mp, increase
        self.id = f"floor.one_keeper_fee.{_side[sp.is_long]}.{'up' if increase else 'down'}"
        self.statement = (f"{sp.name}: a rebalance that {'raises' if increase else 'lowers'} exposure, started "
                          f"at/above the floor, leaves reserve equity >= floor - keeper fee ({sp.keeper_fee / WAD:g} "
                          f"QUOTE) - {self.SLACK} wei")
        self.assumptions = POSITION_ASSUMPTIONS + RESERVE_ASSUMPTIONS + (
            "the pool fills no better than the oracle price and no worse than the cap",
            "pre-rebalance leverage <= the ripcord plus its distance from target (6x for 3x/4.5x)",
            "the reserve has the idle liquidity for the loan and the keeper fee (else the rebalance reverts)")

    def variables(self) -> list[Var]:
        return position_vars() + reserve_vars() + [Var("fill", 0, 10**40)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp, F, k = Claim(), self.sp, self.F, self.sp.keeper_fee
        r = rebalance(ar, sp, v, self.increase, c, F)
        c.premise("lev0<=hi", ar.le(r.lev0, rebalance_lev_hi(sp)))
        eq0, fl0 = equity_and_floor(F, ar, sp.is_long, self.mp.floor_bps, v, v["b"], v["q"], v["d"], v["ib"], v["iq"])
        c.premise("at/above floor", ar.ge(eq0, fl0))
        ib1, iq1 = v["ib"] - r.idle_base_out, v["iq"] - r.idle_quote_out - k
        c.premise("idle covers loan and fee", ar.and_(ar.ge(ib1, 0), ar.ge(iq1, 0)))
        eq1, fl1 = equity_and_floor(F, ar, sp.is_long, self.mp.floor_bps, v, r.b1, r.q1, r.d1, ib1, iq1)
        # integers: eq1 >= fl1 - k - SLACK <=> eq1 > fl1 - k - SLACK - 1 (the strict form survives the relaxation)
        c.goal("equity1 >= floor1 - keeperFee", ar.gt(eq1, fl1 - k - self.SLACK - 1))
        return c


class RipcordBelowFloor(Obligation):
    invariants = ('floor.ripcord_open',)
    family = "floor"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams, mp: MarketParams) -> None:
        self.sp, self.mp = sp, mp
        self.id = f"floor.ripcord_available.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: with the reserve below its floor and leverage above the ripcord "
                          f"({sp.ripcord_lev / WAD:g}x) at a fresh price, ripcord() is allowed, and its trade only "
                          "reduces exposure (it never borrows from the reserve; no keeper fee)")
        self.assumptions = POSITION_ASSUMPTIONS + RESERVE_ASSUMPTIONS + ("any oracle age within maxAge",)

    def variables(self) -> list[Var]:
        return position_vars() + reserve_vars() + [Var("now", 0), Var("updated", 0)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp, F = Claim(), self.sp, self.F
        b, q, d, P = v["b"], v["q"], v["d"], v["P"]
        pos = procedures.position(ar, sp, b, q, d, P, F)
        c.premise("V>0", ar.gt(pos.v, 0))
        lev = pos.lev
        equity, floor = equity_and_floor(F, ar, sp.is_long, self.mp.floor_bps, v, b, q, d, v["ib"], v["iq"])
        c.premise("below floor", ar.lt(equity, floor))
        c.premise("above ripcord", ar.gt(lev, sp.ripcord_lev))
        fresh = ar.le(v["now"], v["updated"] + self.mp.oracle_max_age)
        c.premise("fresh", fresh)
        c.goal("ripcord allowed", procedures.ripcord_trigger(ar, sp, lev, fresh, F))
        c.goal("trade only delevers", procedures.branch(ar, pos, False))
        return c


class ReserveFlow(Obligation):
    """One reserve entry point: idle balances stay >= 0 and equity moves by exactly the listed flow
    (fees in, injections in, keeper payments out; lending, repaying and absorbing a bad debt move
    value between idle and loans only), up to `SLACK` wei of rounding."""

    invariants = ('floor.flows', 'floor.bad_debt')
    family = "floor"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION
    SLACK = 3
    ACTIONS = ("borrow", "repay", "deposit_fee", "pay_keeper", "inject", "allocate_fees", "absorb_bad_debt")

    def __init__(self, action: str, is_long: bool) -> None:
        assert action in self.ACTIONS
        self.action, self.is_long = action, is_long
        self.id = f"floor.flows.{action}.{_side[is_long]}"
        self.statement = (f"ReservePool.{action} (with a {_side[is_long]} series): idle balances stay >= 0 and "
                          f"equity changes by exactly the listed flow (+-{self.SLACK} wei of rounding)")
        self.assumptions = (f"P in [{P_MIN}, {P_MAX}]", "amounts in [0, 1e36] wei", "the entry point's own guards hold")

    def variables(self) -> list[Var]:
        return position_vars() + reserve_vars() + [Var("a", 0, AMOUNT_MAX, "amount"), Var("a2", 0, AMOUNT_MAX)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F, L, act = Claim(), self.F, self.is_long, self.action
        P, b, q, d, ib, iq, a, a2 = (v[k] for k in ("P", "b", "q", "d", "ib", "iq", "a", "a2"))
        b1, q1, d1, ib1, iq1 = b, q, d, ib, iq
        expected: Any = 0
        if act == "borrow":  # the asset goes to the series (QUOTE to a long, BASE to a short)
            c.premise("amount<=idle", ar.le(a, iq if L else ib))
            d1 = d + a
            q1, iq1 = (q + a, iq - a) if L else (q, iq)
            b1, ib1 = (b, ib) if L else (b + a, ib - a)
        elif act == "repay":
            c.premise("amount<=debt", ar.le(a, d))
            c.premise("series holds it", ar.le(a, q if L else b))
            d1 = d - a
            q1, iq1 = (q - a, iq + a) if L else (q, iq)
            b1, ib1 = (b, ib) if L else (b - a, ib + a)
        elif act == "deposit_fee":
            iq1, expected = iq + a, a
        elif act == "pay_keeper":
            c.premise("amount<=idleQuote", ar.le(a, iq))
            iq1, expected = iq - a, 0 - a
        elif act == "inject":
            ib1, iq1 = ib + a, iq + a2
            expected = F.reserve_idle_quote(ar, a, a2, P)
        elif act == "allocate_fees":  # pending pool fees (a BASE, a2 QUOTE) move into idle
            ib1, iq1 = ib + a, iq + a2
            expected = F.reserve_idle_quote(ar, a, a2, P)
        else:  # absorb_bad_debt: the insolvent series hands over everything; debt written off
            ins = procedures.plan_insolvency(ar, L, b, q, d, P, F)
            c.premise("insolvent", ar.lt(ins.assets, ins.owed))
            ib1, iq1, b1, q1, d1 = ib + b, iq + q, 0, 0, 0
            c.goal("bad debt recognised > 0", ar.gt(ins.shortfall, 0))
        eq0 = F.reserve_equity_quote(ar, ib, iq, P, [F.loan_value_quote(ar, L, b, q, d, P), v["lo"]])
        eq1 = F.reserve_equity_quote(ar, ib1, iq1, P, [F.loan_value_quote(ar, L, b1, q1, d1, P), v["lo"]])
        c.goal("idle>=0", ar.and_(ar.ge(ib1, 0), ar.ge(iq1, 0)))
        c.goal("equity moves by the flow only", ar.and_(ar.lt(eq1 - eq0, expected + self.SLACK + 1),  # strict forms:
                                                         ar.gt(eq1 - eq0, expected - self.SLACK - 1)))  # same on ints
        return c
