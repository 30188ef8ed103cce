"""A series' position and its rebalance, composed from `specs.formulas` for the obligations.

The pool's fill is a free variable constrained only by the protocol's own limits (the oracle-derived
min-out / max-in of SPEC) and by "no better than the oracle price": this is "any slippage up to the
cap". A fill better than the oracle (a pool priced above the mark) is outside the stated domain.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from levcheck.specs import formulas as F
from levcheck.specs import procedures
from levcheck.specs.arith import BPS, WAD, Arith, Z3RealArith
from levcheck.specs.params import SeriesParams

from .core import Claim, ExactArith, Var

# Domain bounds shared by the position obligations (stated in every obligation's assumptions).
P_MIN, P_MAX = 10**9, 10**30  # 1e-9 .. 1e12 QUOTE per BASE
AMOUNT_MAX = 10**36  # 1e18 whole tokens
V_MIN = WAD  # the series is worth at least 1 QUOTE (dust series are a rounding game, stated separately)

POSITION_ASSUMPTIONS = (
    f"oracle price P in [{P_MIN}, {P_MAX}] wei (1e-9 .. 1e12 QUOTE per BASE)",
    f"holdings b, q and debt d in [0, {AMOUNT_MAX}] wei",
    "series value V >= 1 QUOTE (10^18 wei)",
    "a short holds no more BASE than it owes (b <= d)",
)


def position_vars() -> list[Var]:
    return [
        Var("P", P_MIN, P_MAX, "oracle price"),
        Var("b", 0, AMOUNT_MAX, "BASE held"),
        Var("q", 0, AMOUNT_MAX, "QUOTE held"),
        Var("d", 0, AMOUNT_MAX, "debt (QUOTE for a long, BASE for a short)"),
    ]


def fill_premises(ar: Arith, claim: Claim, name: str, order: procedures.SwapOrder, fill: Any, price: Any) -> None:
    """The pool's fill of one protocol swap (`specs.procedures.SwapOrder`), as premises: within the
    order's oracle limit and no better than the oracle price. An exact-input order skipped as dust
    fills 0 (the pool also reverts a zero output, implied as min_out >= 1); an exact-output buy's
    fill is the QUOTE paid."""
    if order.exact_out:
        claim.premise(f"{name}: fill<=maxIn", ar.le(fill, order.limit))
        claim.premise(f"{name}: fill>=oracle", ar.ge(fill * WAD, order.amount * price))
        return
    claim.premise(f"{name}: fill>=minOut unless dust", ar.or_(order.skipped, ar.ge(fill, order.limit)))
    claim.premise(f"{name}: dust -> no fill", ar.or_(ar.not_(order.skipped), ar.le(fill, 0)))
    if order.token_in == "QUOTE":  # BASE out: fill x P <= QUOTE in x WAD
        claim.premise(f"{name}: fill<=oracle", ar.le(fill * price, order.amount * WAD))
    else:  # QUOTE out: fill x WAD <= BASE in x P
        claim.premise(f"{name}: fill<=oracle", ar.le(fill * WAD, order.amount * price))


def exact_of(ar: Arith) -> Arith:
    """The exact (unrounded) companion of an arithmetic: for comparing the protocol's rounded
    quantities with the mathematics they approximate."""
    return Z3RealArith() if hasattr(ar, "z3") else ExactArith()


@dataclass
class Rebalanced:
    v0: Any
    e0: Any
    lev0: Any
    target_e: Any
    b1: Any
    q1: Any
    d1: Any
    v1: Any
    e1: Any
    notional: Any  # oracle value of the trade, in QUOTE
    borrowed_quote: Any  # what the reserve lent in this step, valued in QUOTE (0 when repaying)
    idle_base_out: Any  # BASE leaving the reserve's idle balance
    idle_quote_out: Any  # QUOTE leaving the reserve's idle balance (negative = flowing in)
    plan: Any = None  # the procedures.TradePlan and TradeSettlement it ran (each rounding is made once)
    settlement: Any = None


def rebalance(ar: Arith, sp: SeriesParams, v: dict[str, Any], increase: bool, claim: Claim, F: Any = F) -> Rebalanced:
    """SPEC `rebalance()` step 5 for one branch (E* > E when `increase`), as `specs.procedures`
    plan_trade / settle_trade with the pool's fill `v["fill"]` a free variable; adds the branch
    condition and the fill's limits as premises."""
    price, b, q, d, fill = v["P"], v["b"], v["q"], v["d"], v["fill"]
    L = sp.is_long
    pos = procedures.position(ar, sp, b, q, d, price, F)
    claim.premise("value>=V_MIN", ar.ge(pos.v, V_MIN))
    if not L:  # reachable shorts hold no BASE between trades (SPEC: surplus BASE is sold); see note
        claim.premise("short: b<=d", ar.le(b, d))
    lev0 = pos.lev
    claim.premise("branch", procedures.branch(ar, pos, increase))
    plan = procedures.plan_trade(ar, sp, pos, d, price, increase, F)
    if L and not increase:
        claim.premise("sell<=b", ar.le(plan.swap.amount, b))
    fill_premises(ar, claim, "buy" if plan.swap.token_in == "QUOTE" else "sell", plan.swap, fill, price)
    st = procedures.settle_trade(ar, sp, plan, b, q, d, fill)
    if st.solvent is not True:
        claim.premise("fill<=q (else SeriesInsolvent)", st.solvent)
    zero: Any = 0
    if increase:  # the reserve lends the debt asset
        borrowed = plan.borrow if L else F.debt_quote(ar, False, plan.borrow, price)
        ib_out, iq_out = (zero, plan.borrow) if L else (plan.borrow, zero)
    else:  # the series repays
        borrowed, (ib_out, iq_out) = zero, ((zero, zero - st.repay) if L else (zero - st.repay, zero))
    v1 = F.series_value(ar, L, st.b, st.q, st.d, price)
    e1 = F.exposure(ar, L, st.b, st.d, price)
    return Rebalanced(pos.v, pos.e, lev0, pos.target_e, st.b, st.q, st.d, v1, e1, plan.notional, borrowed, ib_out, iq_out,
                      plan, st)


def tolerance_closed_form(is_long: bool, increase: bool, c: Any, T: Any, hi: Any) -> Any:
    """The bound on L' - T of one rebalance branch, in plain (unscaled) numbers, for any numeric type
    (fractions here, Z3 reals in `band.restore_any.*`, which proves it for all parameters):
      increase, long:  loss <= c*(E*-E) <= c*T*V, so L' - T <= c*T*(T-1) / (1 - c*T);
      increase, short: E' = E*, V' >= V - c*T*V, so L' - T <= c*T^2 / (1 - c*T);
      decrease:        E' = E*, V' >= V - c*(Lhi-T)*V, so L' - T <= c*T*(Lhi-T) / (1 - c*(Lhi-T))."""
    if increase:
        return c * T * ((T - 1) if is_long else T) / (1 - c * T)
    return c * T * (hi - T) / (1 - c * (hi - T))


def restoration_tolerance(sp: SeriesParams, lev_hi: int) -> int:
    """The stated bound on |L_after - target| (WAD): the larger branch of `tolerance_closed_form` for
    the slippage cap c, target T and highest pre-rebalance leverage Lhi, plus 10^-5 of leverage for
    integer rounding (V >= 1 QUOTE, P <= 1e12 QUOTE/BASE)."""
    c = Fraction(sp.slippage_cap_bps, BPS)
    T, hi = Fraction(sp.target_lev, WAD), Fraction(lev_hi, WAD)
    if c * T >= 1 or c * (hi - T) >= 1:  # a single trade's slippage can wipe the series: no bound
        return 10**9 * WAD
    worst = max(tolerance_closed_form(sp.is_long, inc, c, T, hi) for inc in (True, False))
    return int(worst * WAD) + 1 + 10**13


def rebalance_lev_hi(sp: SeriesParams) -> int:
    """Highest pre-rebalance leverage in the restoration domain: as far above the ripcord as the
    ripcord is above the target (6x for 3x / 4.5x). Beyond it a slippage-capped trade can cost a
    large part of V and no useful bound exists."""
    return 2 * sp.ripcord_lev - sp.target_lev
