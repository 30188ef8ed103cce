"""Every quantity of the protocol, defined once over an `Arith` (see SPEC.md for the prose).

Integers are WAD-scaled and signed where a value can be negative (series value V). The reference
model calls these with `arith.INT`; the proofs call them with Z3 arithmetics. `is_long` is structural
(a Python bool), never symbolic: a series' direction is fixed at deployment.

`ar.add` / `ar.sub_int` / `ar.to_int` mark the contracts' checked operations that can leave uint256
(or int256) with amounts up to 2**256 - 1: in the model's transactions they revert `Panic(0x11)` /
`IntOverflow()` as the contracts do (`specs/arith.py`); a plain `+ -` is one the contracts cannot
overflow (a difference after a comparison, a share of an amount).
"""
from __future__ import annotations

from typing import Any, Sequence

from .arith import BPS, WAD, Arith

# ---------------------------------------------------------------- fees and swaps (SpotPool)


def fee_up(ar: Arith, amount: Any, fee_bps: Any) -> Any:
    """A fee charged on `amount`: rounds up, in favour of whoever collects it."""
    return ar.mul_div_up(amount, fee_bps, BPS)


def protocol_fee(ar: Arith, swap_fee: Any, share_bps: Any) -> Any:
    """The protocol's share of a swap fee: rounds down, in favour of the pool's LPs."""
    return ar.mul_div_down(swap_fee, share_bps, BPS)


def spot_price(ar: Arith, reserve_quote: Any, reserve_base: Any) -> Any:
    """SpotPool.spotPrice: QUOTE per BASE in WAD, rounded down; 0 for an empty pool (informational:
    the protocol prices with the oracle). Concrete values only: no obligation reads it."""
    return 0 if reserve_base == 0 else ar.mul_div_down(reserve_quote, WAD, reserve_base)


def amount_out(ar: Arith, amount_in: Any, r_in: Any, r_out: Any, fee_bps: Any) -> Any:
    """Constant-product output for an exact input; the output rounds down (favours the pool)."""
    net = amount_in - fee_up(ar, amount_in, fee_bps)
    return ar.mul_div_down(r_out, net, ar.add(r_in, net))  # SpotPool: `reserveIn + net` is checked


def amount_in(ar: Arith, amount_out_: Any, r_in: Any, r_out: Any, fee_bps: Any) -> Any:
    """Input needed for an exact output (requires 0 < amount_out_ < r_out); rounds up, plus one
    unit so that the fee's own rounding can never let k fall."""
    net = ar.mul_div_up(r_in, amount_out_, r_out - amount_out_)
    return ar.add(ar.mul_div_up(net, BPS, BPS - fee_bps), 1)  # checked: Panic when the mulDiv gives 2**256 - 1


# ---------------------------------------------------------------- oracle-derived swap limits


def min_out_base_to_quote(ar: Arith, base_in: Any, price: Any, cap_bps: Any) -> Any:
    return ar.mul_div_down(ar.mul_div_down(base_in, price, WAD), BPS - cap_bps, BPS)


def min_out_quote_to_base(ar: Arith, quote_in: Any, price: Any, cap_bps: Any) -> Any:
    return ar.mul_div_down(ar.mul_div_down(quote_in, WAD, price), BPS - cap_bps, BPS)


def max_in_quote_for_base(ar: Arith, base_out: Any, price: Any, cap_bps: Any) -> Any:
    return ar.mul_div_up(ar.mul_div_up(base_out, price, WAD), BPS + cap_bps, BPS)


# ---------------------------------------------------------------- a series' position


def assets_quote(ar: Arith, b: Any, q: Any, price: Any) -> Any:
    """What a series holds, valued in QUOTE; rounds down (assets are never overstated)."""
    return ar.add(ar.mul_div_down(b, price, WAD), q)  # SeriesMath.assetsQuote: a checked sum


def debt_quote(ar: Arith, is_long: bool, d: Any, price: Any) -> Any:
    """What a series owes, valued in QUOTE; a BASE debt rounds up (liabilities never understated)."""
    return d if is_long else ar.mul_div_up(d, price, WAD)


def series_value(ar: Arith, is_long: bool, b: Any, q: Any, d: Any, price: Any) -> Any:
    """V: assets minus debt in QUOTE (signed). long V = bP + q - d; short V = q + bP - dP.
    SeriesMath.value: each side through FixedPointMath.toInt (`IntOverflow()` above 2**255 - 1)."""
    return ar.to_int(assets_quote(ar, b, q, price)) - ar.to_int(debt_quote(ar, is_long, d, price))


def exposure(ar: Arith, is_long: bool, b: Any, d: Any, price: Any) -> Any:
    """E: long bP; short (d - b)P, zero when the short holds more BASE than it owes."""
    if is_long:
        return ar.mul_div_down(b, price, WAD)
    return ar.ite(ar.ge(d, b), ar.mul_div_down(ar.max(d - b, 0), price, WAD), 0)


def leverage(ar: Arith, e: Any, v: Any) -> Any:
    """L = E / V in WAD, rounded down; only defined for V > 0."""
    return ar.mul_div_down(e, WAD, v)


def nav_per_token(ar: Arith, v: Any, supply: Any) -> Any:
    """NAV per token in WAD (0 for an empty or insolvent series)."""
    return ar.ite(ar.and_(ar.gt(supply, 0), ar.gt(v, 0)), ar.mul_div_down(ar.max(v, 0), WAD, ar.max(supply, 1)), 0)


def target_exposure(ar: Arith, target_lev: Any, v: Any) -> Any:
    return ar.mul_div_down(target_lev, v, WAD)


# ---------------------------------------------------------------- trigger rule


def out_of_band(ar: Arith, lev: Any, min_lev: Any, max_lev: Any) -> Any:
    return ar.or_(ar.lt(lev, min_lev), ar.gt(lev, max_lev))


def fallback_due(ar: Arith, now: Any, last_rebalance: Any, interval: Any) -> Any:
    return ar.ge(now, last_rebalance + interval)


def rebalance_allowed(
    ar: Arith, lev: Any, min_lev: Any, max_lev: Any, now: Any, last: Any, interval: Any, above_floor: Any, fresh: Any
) -> Any:
    """The trigger rule, kept exactly from the article: out of band or fallback due, and the reserve
    at/above its floor, and a fresh oracle. (Slippage within the cap is enforced by the swap itself.)"""
    return ar.and_(ar.or_(out_of_band(ar, lev, min_lev, max_lev), fallback_due(ar, now, last, interval)), above_floor, fresh)


def ripcord_allowed(ar: Arith, lev: Any, ripcord_lev: Any, fresh: Any) -> Any:
    """Ripcord: above the ripcord level with a fresh oracle; no floor condition."""
    return ar.and_(ar.gt(lev, ripcord_lev), fresh)


# ---------------------------------------------------------------- mint / redeem


def mint_shares(ar: Arith, supply: Any, d_value: Any, v0: Any) -> Any:
    """Shares for a realised value increase dV: 1:1 on the first mint, else floor(S * dV / V0)."""
    return ar.ite(ar.gt(supply, 0), ar.mul_div_down(supply, ar.max(d_value, 0), ar.max(v0, 1)), d_value)


def pro_rata_down(ar: Arith, amount: Any, shares: Any, supply: Any) -> Any:
    """A redeemer's slice of a holding: paid out, rounds down."""
    return ar.mul_div_down(amount, shares, supply)


def pro_rata_up(ar: Arith, amount: Any, shares: Any, supply: Any) -> Any:
    """A redeemer's slice of the debt: owed, rounds up (capped at the whole debt)."""
    return ar.min(ar.mul_div_up(amount, shares, supply), amount)


# ---------------------------------------------------------------- reserve pool


def loan_value_quote(ar: Arith, is_long: bool, b: Any, q: Any, d: Any, price: Any) -> Any:
    """A loan counts at no more than the borrowing series can repay."""
    return ar.min(debt_quote(ar, is_long, d, price), assets_quote(ar, b, q, price))


def reserve_idle_quote(ar: Arith, idle_base: Any, idle_quote: Any, price: Any) -> Any:
    return assets_quote(ar, idle_base, idle_quote, price)  # ReservePool: SeriesMath.assetsQuote of the idle funds


def reserve_equity_quote(ar: Arith, idle_base: Any, idle_quote: Any, price: Any, loan_values: Sequence[Any]) -> Any:
    total = reserve_idle_quote(ar, idle_base, idle_quote, price)
    for lv in loan_values:
        total = ar.add(total, lv)
    return total


def floor_quote(ar: Arith, floor_bps: Any, series_values: Sequence[Any]) -> Any:
    """floor = floor ratio x sum of max(V, 0) over all series; rounds up (the floor is never understated)."""
    total: Any = 0
    for v in series_values:
        total = ar.add(total, ar.max(v, 0))
    return ar.mul_div_up(floor_bps, total, BPS)


def reserve_valuation(ar: Arith, floor_bps: Any, idle_base: Any, idle_quote: Any, price: Any,
                      series: Sequence[tuple[bool, Any, Any, Any]]) -> tuple[Any, Any, Any, Any]:
    """(equity, floor, lent, idle) in QUOTE: `reserve_equity_quote`, `floor_quote`, the lent value and
    `reserve_idle_quote` in one pass over `series` ((is_long, b, q, d) each), in ReservePool._valuation's
    order (idle first, then each series' assets, debt and checked sums), so that a transaction of the
    model reverts with the contract's error when several operations would overflow. The values are
    those of the separate formulas (tests/test_checked_arith.py)."""
    idle = reserve_idle_quote(ar, idle_base, idle_quote, price)
    lent: Any = 0
    positive: Any = 0
    for is_long, b, q, d in series:
        assets = assets_quote(ar, b, q, price)
        owed = debt_quote(ar, is_long, d, price)
        lent = ar.add(lent, ar.min(owed, assets))
        positive = ar.add(positive, ar.max(assets - owed, 0))
    return ar.add(idle, lent), ar.mul_div_up(floor_bps, positive, BPS), lent, idle


def utilization_wad(ar: Arith, lent: Any, idle: Any) -> Any:
    return ar.ite(ar.gt(lent + idle, 0), ar.mul_div_down(lent, WAD, ar.max(lent + idle, 1)), 0)


def buffer_depth(ar: Arith, equity_q: Any, floor_q: Any, max_keeper_fee: Any) -> Any:
    """How many maximal keeper payments the equity above the floor funds (0 at/below the floor)."""
    return ar.ite(
        ar.and_(ar.gt(equity_q, floor_q), ar.gt(max_keeper_fee, 0)),
        ar.mul_div_down(ar.max(equity_q - floor_q, 0), 1, ar.max(max_keeper_fee, 1)),
        0,
    )


def quote_to_base_down(ar: Arith, quote: Any, price: Any) -> Any:
    return ar.mul_div_down(quote, WAD, price)


def quote_to_base_up(ar: Arith, quote: Any, price: Any) -> Any:
    return ar.mul_div_up(quote, WAD, price)


# ---------------------------------------------------------------- closed forms (real arithmetic)
# Used by the proofs and the band-exit / liquidation tables; `x` is the price ratio P1/P0 and L0 the
# leverage at P0, for a position that does not trade while the price moves.


def leverage_after_move(is_long: bool, lev0: Any, x: Any) -> Any:
    """Long: L' = L0 x / (1 + L0 (x - 1)). Short: L' = L0 x / (1 - L0 (x - 1))."""
    if is_long:
        return lev0 * x / (1 + lev0 * (x - 1))
    return lev0 * x / (1 - lev0 * (x - 1))


def value_ratio_after_move(is_long: bool, lev0: Any, x: Any) -> Any:
    """V1/V0 after a price move x with no trade: 1 + L0 (x - 1) for a long, 1 - L0 (x - 1) for a short."""
    return 1 + lev0 * (x - 1) if is_long else 1 - lev0 * (x - 1)


def band_exit_ratio(is_long: bool, lev0: Any, lev_edge: Any) -> Any:
    """The price ratio x at which leverage reaches `lev_edge` starting from `lev0`.
    Long: x = Le (L0 - 1) / (L0 (Le - 1)). Short: x = Le (1 + L0) / (L0 (1 + Le))."""
    if is_long:
        return lev_edge * (lev0 - 1) / (lev0 * (lev_edge - 1))
    return lev_edge * (1 + lev0) / (lev0 * (1 + lev_edge))


def liquidation_ratio(is_long: bool, lev0: Any) -> Any:
    """The price ratio at which V reaches zero from leverage L0: 1 - 1/L0 (long), 1 + 1/L0 (short)."""
    return 1 - 1 / lev0 if is_long else 1 + 1 / lev0


def round_trip_value(lev: Any, r: Any) -> Any:
    """Value factor of a series rebalanced to `lev` over an up-move r then the move back to the
    start price (-r/(1+r)): (1 + L r)(1 - L r / (1 + r)). Volatility decay says it is <= 1 for L >= 1."""
    return (1 + lev * r) * (1 - lev * r / (1 + r))
