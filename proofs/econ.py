"""Economics of the spec itself (SYSTEM.md 5, issue 12): what a keeper can earn and whether paying it can
block a rebalance, proved over `specs.procedures` (plan_trade / settle_trade / pay_keeper).

The trade to target has two structural branches (E* > E raises exposure, E* < E lowers it); the
per-series obligations state both in one claim, each branch's premises implying its goals, so one id
covers the whole rebalance of a series. (E* == E plans no trade: NothingToRebalance by SPEC step 5.)
"""
from __future__ import annotations

from typing import Any, Callable

from levcheck.specs import procedures
from levcheck.specs.arith import BPS, WAD, Arith
from levcheck.specs.params import SeriesParams

from .core import Claim, Domain, Obligation, Var
from .floor import ROUNDED_RELAXATION
from .position import AMOUNT_MAX, POSITION_ASSUMPTIONS, V_MIN, Rebalanced, position_vars, rebalance

_side = {True: "long", False: "short"}
FILL_ASSUMPTION = "the pool fills within the order's oracle limit and no better than the oracle price"


def _implies(ar: Arith, p: Any, q: Any) -> Any:
    return ar.or_(ar.not_(p), q)


def _all(ar: Arith, claim: Claim) -> Any:
    exprs = [e for _, e in claim.premises if e is not True]
    return ar.and_(*exprs) if exprs else True


def both_branches(ar: Arith, sp: SeriesParams, v: dict[str, Any], claim: Claim, F: Any,
                  goals: Callable[[Rebalanced, procedures.TradeSettlement, procedures.TradePlan], list[tuple[str, Any]]]) -> None:
    """For each branch of the trade to target: (its premises) implies (its goals), as named goals. On
    concrete values (the replay of a counterexample) only the branch the state takes is evaluated: the
    other's arithmetic would run on negative amounts."""
    concrete = not hasattr(ar, "z3")
    if concrete:
        pos = procedures.position(ar, sp, v["b"], v["q"], v["d"], v["P"], F)
        if pos.v < V_MIN:
            return  # outside the domain (premise value>=V_MIN): nothing to claim
    for increase in (True, False):
        if concrete and not procedures.branch(ar, pos, increase):
            continue
        sub = Claim()
        r = rebalance(ar, sp, v, increase, sub, F)
        when = _all(ar, sub)
        for name, g in goals(r, r.settlement, r.plan):
            claim.goal(f"{'up' if increase else 'down'}: {name}", _implies(ar, when, g))


class _SeriesEcon(Obligation):
    family = "econ"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams) -> None:
        self.sp = sp

    def variables(self) -> list[Var]:
        return position_vars() + [Var("fill", 0, 10**40, "the pool's fill"), Var("iq", 0, AMOUNT_MAX, "reserve idle QUOTE"),
                                  Var("now", 0, None, "block time of the rebalance")]


class RebalanceIdempotent(_SeriesEcon):
    """At a fixed price a rebalance that lands in the band cannot be repeated before the fallback is
    due; and the contract's `baseAmount == 0` check is exactly the procedure's skipped plan."""

    invariants = ("econ.rebalance_live",)

    def __init__(self, sp: SeriesParams) -> None:
        super().__init__(sp)
        self.id = f"econ.rebalance_idempotent.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: after a rebalance that lands in the band [{sp.min_lev / WAD:g}x, {sp.max_lev / WAD:g}x], "
                          "the trigger decision at the same price (lastRebalance = now, so no fallback due) is "
                          "'not triggered'; and the trade is skipped (NothingToRebalance: no change, no keeper "
                          "fee) exactly when it moves no BASE")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION, "reserve at/above its floor, oracle fresh")

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp, F = Claim(), self.sp, self.F

        def goals(r: Rebalanced, st: procedures.TradeSettlement, plan: procedures.TradePlan) -> list[tuple[str, Any]]:
            pos1 = procedures.position(ar, sp, st.b, st.q, st.d, v["P"], F)
            landed = ar.and_(ar.gt(pos1.v, 0), ar.not_(F.out_of_band(ar, pos1.lev, sp.min_lev, sp.max_lev)))
            again = procedures.rebalance_trigger(ar, sp, pos1.lev, v["now"], v["now"], True, True, F)
            return [("in band -> not triggered", _implies(ar, landed, ar.not_(again.allowed))),
                    ("skipped <-> no BASE moved", ar.and_(_implies(ar, plan.swap.skipped, ar.le(st.base_amount, 0)),
                                                          _implies(ar, ar.le(st.base_amount, 0), plan.swap.skipped)))]

        both_branches(ar, sp, v, c, F, goals)
        return c


class KeeperBoundedByWork(_SeriesEcon):
    invariants = ("econ.keeper_entitled",)

    def __init__(self, sp: SeriesParams) -> None:
        super().__init__(sp)
        self.id = f"econ.keeper_bounded_by_work.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: the keeper of a rebalance is paid at most min(keeperFee = {sp.keeper_fee / WAD:g} QUOTE, "
                          f"{procedures.KEEPER_FEE_MAX_BPS} bps of the BASE it moved at the oracle price), and nothing "
                          "when the trade is skipped")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION,)

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp, F, P = Claim(), self.sp, self.F, v["P"]

        def goals(r: Rebalanced, st: procedures.TradeSettlement, plan: procedures.TradePlan) -> list[tuple[str, Any]]:
            pay = procedures.pay_keeper(ar, sp.keeper_fee, procedures.trade_notional(ar, st.base_amount, P), v["iq"])
            # the exact oracle value of the BASE moved: the bound holds before any rounding in the keeper's favour
            work = st.base_amount * P * procedures.KEEPER_FEE_MAX_BPS
            return [("paid <= keeperFee", ar.le(pay.paid, sp.keeper_fee)),
                    ("paid <= 1% of notional", ar.le(pay.paid * WAD * BPS, work)),
                    ("paid >= 0", ar.ge(pay.paid, 0)),
                    ("skipped -> paid 0", _implies(ar, plan.swap.skipped, ar.le(pay.paid, 0)))]

        both_branches(ar, sp, v, c, F, goals)
        return c


class KeeperNeverBlocks(Obligation):
    """payKeeper cannot revert for lack of funds, and delevering needs no reserve liquidity."""

    id = "econ.keeper_never_blocks"
    family = "econ"
    invariants = ("econ.rebalance_live",)
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION
    statement = ("for any keeper fee, notional and idle QUOTE, the reserve's keeper payment is between 0 and its idle "
                 "QUOTE (so payKeeper never reverts and never owes), and the delevering branch of the trade to "
                 "target (E* < E: every ripcord) borrows nothing, long or short: no rebalance or ripcord waits on "
                 "the reserve's liquidity except a relevering loan")
    assumptions = POSITION_ASSUMPTIONS + ("keeper fee in [1, 1e36] wei",)

    def variables(self) -> list[Var]:
        return position_vars() + [Var("k", 1, AMOUNT_MAX, "keeper fee"), Var("n", 0, AMOUNT_MAX, "notional"),
                                  Var("iq", 0, AMOUNT_MAX, "reserve idle QUOTE")]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F = Claim(), self.F
        pay = procedures.pay_keeper(ar, v["k"], v["n"], v["iq"])
        c.goal("0 <= paid <= idleQuote", ar.and_(ar.ge(pay.paid, 0), ar.le(pay.paid, v["iq"])))
        c.goal("paid <= entitled", ar.le(pay.paid, pay.entitled))
        concrete = not hasattr(ar, "z3")
        for is_long in (True, False):
            sp = SeriesParams(is_long=is_long)
            pos = procedures.position(ar, sp, v["b"], v["q"], v["d"], v["P"], F)
            solvent = ar.gt(pos.v, 0)
            if concrete and not (solvent and procedures.branch(ar, pos, False)):
                continue  # the replay evaluates only a delevering state (else negative amounts)
            plan = procedures.plan_trade(ar, sp, pos, v["d"], v["P"], False, F)
            delever = ar.and_(solvent, procedures.branch(ar, pos, False))
            c.goal(f"{_side[is_long]} delever borrows nothing", _implies(ar, delever, ar.le(plan.borrow, 0)))
        return c


def obligations(series: tuple[SeriesParams, ...]) -> list[Obligation]:
    obs: list[Obligation] = []
    for sp in series:
        obs += [RebalanceIdempotent(sp), KeeperBoundedByWork(sp)]
    obs.append(KeeperNeverBlocks())
    return obs
