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


def sell_exact_in(ar: Arith, claim: Claim, name: str, min_out: Any, fill: Any, oracle_ok: Any) -> Any:
    """An exact-input protocol swap (SPEC swaps + "Dust"): skipped when its oracle minimum rounds to
    0 (returns True: the input stays, the fill is 0); otherwise the pool's output is at least the
    minimum (the pool also reverts a zero output, implied as min_out >= 1) and no better than the
    oracle. Adds the premises; returns the symbolic "dust" condition."""
    dust = ar.le(min_out, 0)
    claim.premise(f"{name}: fill>=minOut unless dust", ar.or_(dust, ar.ge(fill, min_out)))
    claim.premise(f"{name}: dust -> no fill", ar.or_(ar.not_(dust), ar.le(fill, 0)))
    claim.premise(f"{name}: fill<=oracle", oracle_ok)
    return dust


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


def rebalance(ar: Arith, sp: SeriesParams, v: dict[str, Any], increase: bool, claim: Claim, F: Any = F) -> Rebalanced:
    """SPEC `rebalance()` step 5 for one branch (E* > E when `increase`), with the pool's fill
    `v["fill"]` as a free variable; adds the branch condition and the fill's limits as premises."""
    P, b, q, d, fill = v["P"], v["b"], v["q"], v["d"], v["fill"]
    L, c = sp.is_long, sp.slippage_cap_bps
    v0 = F.series_value(ar, L, b, q, d, P)
    e0 = F.exposure(ar, L, b, d, P)
    claim.premise("value>=V_MIN", ar.ge(v0, V_MIN))
    if not L:  # reachable shorts hold no BASE between trades (SPEC: surplus BASE is sold); see note
        claim.premise("short: b<=d", ar.le(b, d))
    lev0 = F.leverage(ar, e0, v0)
    te = F.target_exposure(ar, sp.target_lev, v0)
    claim.premise("branch", ar.gt(te, e0) if increase else ar.lt(te, e0))
    zero: Any = 0
    if L and increase:  # borrow E*-E QUOTE, buy BASE (both skipped when the purchase is dust)
        amt = te - e0
        dust = sell_exact_in(ar, claim, "buy", F.min_out_quote_to_base(ar, amt, P, c), fill, ar.le(fill * P, amt * WAD))
        amt = ar.ite(dust, zero, amt)
        b1, q1, d1 = b + fill, q, d + amt
        notional, borrowed, ib_out, iq_out = amt, amt, zero, amt
    elif L:  # sell BASE, repay min(proceeds, d)
        sell = F.quote_to_base_down(ar, e0 - te, P)
        claim.premise("sell<=b", ar.le(sell, b))
        dust = sell_exact_in(ar, claim, "sell", F.min_out_base_to_quote(ar, sell, P, c), fill, ar.le(fill * WAD, sell * P))
        sell = ar.ite(dust, zero, sell)
        repay = ar.min(fill, d)
        b1, q1, d1 = b - sell, q + fill - repay, d - repay
        notional, borrowed, ib_out, iq_out = ar.ite(dust, zero, e0 - te), zero, zero, zero - repay
    elif increase:  # short: borrow BASE, sell it for QUOTE (both skipped when the sale is dust)
        amt = F.quote_to_base_down(ar, te - e0, P)
        dust = sell_exact_in(ar, claim, "sell", F.min_out_base_to_quote(ar, amt, P, c), fill, ar.le(fill * WAD, amt * P))
        amt = ar.ite(dust, zero, amt)
        b1, q1, d1 = b, q + fill, d + amt
        notional, borrowed, ib_out, iq_out = ar.ite(dust, zero, te - e0), F.debt_quote(ar, False, amt, P), amt, zero
    else:  # short: buy exact BASE with QUOTE (fill = QUOTE spent), repay it
        buy = ar.min(F.quote_to_base_down(ar, e0 - te, P), d)
        claim.premise("fill<=maxIn", ar.le(fill, F.max_in_quote_for_base(ar, buy, P, c)))
        claim.premise("fill>=oracle", ar.ge(fill * WAD, buy * P))
        claim.premise("fill<=q", ar.le(fill, q))  # else the swap cannot be paid and reverts
        b1, q1, d1 = b, q - fill, d - buy
        notional, borrowed, ib_out, iq_out = e0 - te, zero, zero - buy, zero
    v1 = F.series_value(ar, L, b1, q1, d1, P)
    e1 = F.exposure(ar, L, b1, d1, P)
    return Rebalanced(v0, e0, lev0, te, b1, q1, d1, v1, e1, notional, borrowed, ib_out, iq_out)


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
