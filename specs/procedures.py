"""Every state-changing procedure of SPEC.md, stated once over an `Arith`: what moves where.

`specs.formulas` defines the quantities; this module defines the *procedures* built from them: the
trigger decision, the trade to target of rebalance/ripcord, mint, redeem, insolvency settlement and
the pool's fee split. Each procedure is a *plan* (pure arithmetic before the pool is asked: the
branch, the borrow, the swap order with its oracle limit, whether it is skipped as dust) and a
*settle* (given the pool's fill: the new holdings, debt, repayment, shares or payout).

Two callers, one definition:
- the reference model (`specs.model`) runs plan -> borrow -> a real pool swap -> settle on ints;
- the proof obligations (`proofs/`) run the same plan and settle on Z3 terms with the fill a free
  variable, constrained by premises on the plan's `SwapOrder`.
Branches on the series' direction and on the rebalance branch are structural (`is_long`,
`increase`, `bootstrap`: Python bools); every symbolic condition goes through `ar.ite` / `ar.and_`.
Each function takes `F` (default `specs.formulas`) so that a proof can be run on a deliberately
weakened definition (`Obligation.with_formulas`).
"""
from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any

from . import formulas as _formulas
from .arith import BPS, WAD, Arith


@enum.unique
class Trigger(enum.IntEnum):
    """The `Rebalanced` event's trigger field (SPEC rebalance step 7)."""

    BAND = 0
    FALLBACK = 1
    RIPCORD = 2


# ---------------------------------------------------------------------------------------------- swaps


@dataclass(frozen=True)
class SwapOrder:
    """One protocol swap on the pool, with the oracle-derived limit every protocol swap carries.
    Exact input: `amount` in, at least `limit` out. Exact output: `amount` BASE out, at most `limit`
    QUOTE in. `skipped`: the swap does not run (SPEC "Dust": an exact-input swap whose minimum rounds
    to 0, or nothing to trade); its fill is then 0."""

    token_in: str  # "QUOTE" or "BASE"
    exact_out: bool
    amount: Any
    limit: Any
    skipped: Any


def sell_order(ar: Arith, token_in: str, amount: Any, price: Any, cap_bps: Any, F: Any = _formulas) -> SwapOrder:
    """Sell exactly `amount` of `token_in` with the oracle minimum out; dust when the minimum is 0."""
    if token_in == "BASE":
        min_out = F.min_out_base_to_quote(ar, amount, price, cap_bps)
    else:
        min_out = F.min_out_quote_to_base(ar, amount, price, cap_bps)
    return SwapOrder(token_in, False, amount, min_out, ar.le(min_out, 0))


def buy_base_order(ar: Arith, base_out: Any, price: Any, cap_bps: Any, F: Any = _formulas) -> SwapOrder:
    """Buy exactly `base_out` BASE with QUOTE, paying at most the oracle maximum; nothing when 0."""
    return SwapOrder("QUOTE", True, base_out, F.max_in_quote_for_base(ar, base_out, price, cap_bps), ar.le(base_out, 0))


@dataclass(frozen=True)
class PoolSwap:
    """SpotPool's books for one swap: the fee, the protocol's share of it (kept pending) and what
    joins the input reserve."""

    fee: Any
    protocol_fee: Any
    to_reserve_in: Any  # amountIn - protocolFee: added to the input token's reserve
    out: Any  # taken from the output token's reserve


def pool_swap(ar: Arith, fee_bps: Any, protocol_share_bps: Any, amount_in: Any, out: Any, F: Any = _formulas) -> PoolSwap:
    fee = F.fee_up(ar, amount_in, fee_bps)
    pfee = F.protocol_fee(ar, fee, protocol_share_bps)
    return PoolSwap(fee, pfee, amount_in - pfee, out)


# ---------------------------------------------------------------------------------------------- position


@dataclass(frozen=True)
class Position:
    """A series' derived quantities at price P. Leverage and the rebalance target E* = target x V are
    computed on first use, once (each is one rounding in the proofs), and only mean something for
    V > 0: the model checks first, the proofs add the premise."""

    v: Any
    e: Any
    target_lev: Any
    ar: Arith
    F: Any

    @functools.cached_property
    def lev(self) -> Any:
        return self.F.leverage(self.ar, self.e, self.v)

    @functools.cached_property
    def target_e(self) -> Any:
        return self.F.target_exposure(self.ar, self.target_lev, self.v)


def position(ar: Arith, sp: Any, b: Any, q: Any, d: Any, price: Any, F: Any = _formulas) -> Position:
    v = F.series_value(ar, sp.is_long, b, q, d, price)
    return Position(v, F.exposure(ar, sp.is_long, b, d, price), sp.target_lev, ar, F)


def branch(ar: Arith, pos: Position, increase: bool) -> Any:
    """The condition of rebalance step 5's branch: E* > E (increase) or E* < E (decrease)."""
    return ar.gt(pos.target_e, pos.e) if increase else ar.lt(pos.target_e, pos.e)


# ---------------------------------------------------------------------------------------------- trigger


@dataclass(frozen=True)
class TriggerDecision:
    """SPEC rebalance steps 3-4: may a rebalance run, and which trigger it reports."""

    lev: Any
    out_of_band: Any
    fallback_due: Any
    above_floor: Any
    fresh: Any
    allowed: Any  # (out of band or fallback due) and above the floor and fresh
    kind: Any  # Trigger.BAND when out of band, else Trigger.FALLBACK (meaningful when allowed)


def rebalance_trigger(
    ar: Arith, sp: Any, lev: Any, now: Any, last_rebalance: Any, above_floor: Any, fresh: Any, F: Any = _formulas
) -> TriggerDecision:
    band = F.out_of_band(ar, lev, sp.min_lev, sp.max_lev)
    due = F.fallback_due(ar, now, last_rebalance, sp.fallback_interval)
    allowed = F.rebalance_allowed(ar, lev, sp.min_lev, sp.max_lev, now, last_rebalance, sp.fallback_interval, above_floor, fresh)
    return TriggerDecision(lev, band, due, above_floor, fresh, allowed, ar.ite(band, Trigger.BAND, Trigger.FALLBACK))


def ripcord_trigger(ar: Arith, sp: Any, lev: Any, fresh: Any, F: Any = _formulas) -> Any:
    """ripcord(): allowed above the ripcord leverage at a fresh price (no floor condition)."""
    return F.ripcord_allowed(ar, lev, sp.ripcord_lev, fresh)


# ---------------------------------------------------------------------------------------------- trade to target


@dataclass(frozen=True)
class TradePlan:
    """Rebalance / ripcord step 5, one branch: borrow (debt asset), then the swap."""

    increase: bool
    borrow: Any  # lent by the reserve before the swap (0 when the swap is skipped)
    swap: SwapOrder
    notional: Any  # the trade's oracle value in QUOTE (0 when skipped)


def plan_trade(ar: Arith, sp: Any, pos: Position, d: Any, price: Any, increase: bool, F: Any = _formulas) -> TradePlan:
    """The trade back to E* for the branch `increase` (the caller has established `branch(...)`)."""
    c, zero = sp.slippage_cap_bps, 0
    if sp.is_long and increase:  # borrow E* - E QUOTE and buy BASE with it
        order = sell_order(ar, "QUOTE", pos.target_e - pos.e, price, c, F)
        amt = ar.ite(order.skipped, zero, order.amount)
        return TradePlan(True, amt, order, amt)
    if sp.is_long:  # sell BASE worth E - E*, repay from the proceeds
        order = sell_order(ar, "BASE", F.quote_to_base_down(ar, pos.e - pos.target_e, price), price, c, F)
        return TradePlan(False, zero, order, ar.ite(order.skipped, zero, pos.e - pos.target_e))
    if increase:  # short: borrow BASE worth E* - E and sell it
        order = sell_order(ar, "BASE", F.quote_to_base_down(ar, pos.target_e - pos.e, price), price, c, F)
        return TradePlan(True, ar.ite(order.skipped, zero, order.amount), order, ar.ite(order.skipped, zero, pos.target_e - pos.e))
    # short, decrease: buy back BASE worth E - E* (at most the debt) and repay it
    order = buy_base_order(ar, ar.min(F.quote_to_base_down(ar, pos.e - pos.target_e, price), d), price, c, F)
    return TradePlan(False, zero, order, pos.e - pos.target_e)


@dataclass(frozen=True)
class TradeSettlement:
    b: Any
    q: Any
    d: Any
    repay: Any  # returned to the reserve after the swap
    base_amount: Any  # the Rebalanced event's amounts
    quote_amount: Any
    solvent: Any  # False: the exact-out buy costs more QUOTE than the series holds (SeriesInsolvent)


def settle_trade(ar: Arith, sp: Any, plan: TradePlan, b: Any, q: Any, d: Any, fill: Any) -> TradeSettlement:
    """The position after the pool filled `fill` (the output of a sale, the QUOTE paid for a buy)."""
    o, zero = plan.swap, 0
    if sp.is_long and plan.increase:
        return TradeSettlement(b + fill, q, d + plan.borrow, zero, fill, plan.borrow, True)
    if sp.is_long:
        sold = ar.ite(o.skipped, zero, o.amount)
        repay = ar.min(fill, d)
        return TradeSettlement(b - sold, q + fill - repay, d - repay, repay, sold, fill, True)
    if plan.increase:
        return TradeSettlement(b, q + fill, d + plan.borrow, zero, plan.borrow, fill, True)
    return TradeSettlement(b, q - fill, d - o.amount, o.amount, o.amount, fill, ar.le(fill, q))


# ---------------------------------------------------------------------------------------------- keeper


# A keeper earns at most 1 % of the oracle value of the trade it caused (SYSTEM.md 5: "paid only for a
# rebalance that did real work"): a rebalance that trades nothing is worth nothing, and farming dust
# trades pays less than their pool fee.
KEEPER_FEE_MAX_BPS = 100


def trade_notional(ar: Arith, base_amount: Any, price: Any) -> Any:
    """A rebalance trade's notional: the BASE it moved (the `Rebalanced` event's `baseAmount`) valued at
    the oracle, rounded down. Not the pool's QUOTE amount, which a sandwich can inflate."""
    return ar.mul_div_down(base_amount, price, WAD)


def keeper_fee_entitled(ar: Arith, keeper_fee: Any, notional: Any) -> Any:
    """The keeper payment a rebalance of `notional` QUOTE earns: min(keeperFee, 1 % of notional), so 0
    when nothing traded. A ripcord is entitled to 0 (it pays no keeper)."""
    return ar.min(keeper_fee, ar.mul_div_down(notional, KEEPER_FEE_MAX_BPS, BPS))


@dataclass(frozen=True)
class KeeperPayment:
    """ReservePool.payKeeper: what the keeper receives. The reserve pays what it holds idle, never more
    (the shortfall is forfeited, not owed), so paying a keeper can never block a rebalance."""

    entitled: Any
    paid: Any


def pay_keeper(ar: Arith, keeper_fee: Any, notional: Any, idle_quote: Any) -> KeeperPayment:
    entitled = keeper_fee_entitled(ar, keeper_fee, notional)
    return KeeperPayment(entitled, ar.min(entitled, idle_quote))


# ---------------------------------------------------------------------------------------------- mint


@dataclass(frozen=True)
class MintPayment:
    fee: Any  # to the reserve (charged: rounds up)
    net: Any  # joins the position


def mint_payment(ar: Arith, sp: Any, quote_in: Any, F: Any = _formulas) -> MintPayment:
    fee = F.fee_up(ar, quote_in, sp.mint_fee_bps)
    return MintPayment(fee, quote_in - fee)


@dataclass(frozen=True)
class MintPlan:
    """SPEC mint step 3: scale the position by `net` (bootstrap: the target shape)."""

    net: Any
    v0: Any
    borrow: Any  # lent before the swap (0 when the swap is dust: SPEC "Dust")
    swap: SwapOrder  # skipped when dust or when there is nothing to swap
    dust: Any  # a needed swap skipped as dust, with its borrow


def plan_mint(ar: Arith, sp: Any, bootstrap: bool, b: Any, q: Any, d: Any, price: Any, net: Any, F: Any = _formulas) -> MintPlan:
    """`bootstrap`: S == 0. Otherwise the caller has checked V0 > 0 (the pro-rata slices divide by it)."""
    L, c = sp.is_long, sp.slippage_cap_bps
    v0 = F.series_value(ar, L, b, q, d, price)
    if bootstrap and L:
        dd = ar.mul_div_down(net, sp.target_lev - WAD, WAD)
        amount, needed = ar.add(net, dd), True  # `net + borrowQ`: checked
    elif bootstrap:
        dd = F.quote_to_base_down(ar, ar.mul_div_down(net, sp.target_lev, WAD), price)
        amount, needed = dd, True
    else:  # pro rata: SPEC's db, dq, dd (each side trades with two of them, and computes only those)
        dd = ar.mul_div_down(d, net, v0)
        if L:  # borrow dd QUOTE, buy BASE with what the QUOTE slice does not cover
            dq = ar.mul_div_down(q, net, v0)
            spend = ar.add(net, dd)  # `net + dd`: checked
            amount, needed = ar.max(spend - dq, 0), ar.gt(spend, dq)
        else:  # borrow dd BASE, sell what the BASE slice does not keep
            db = ar.mul_div_down(b, net, v0)
            amount, needed = ar.max(dd - db, 0), ar.gt(dd, db)
    order = sell_order(ar, "QUOTE" if L else "BASE", amount, price, c, F)
    # a needed swap that is dust is skipped with its borrow; with nothing to swap the borrow still happens
    dust = ar.and_(needed, order.skipped)
    return MintPlan(net, v0, ar.ite(dust, 0, dd), order, dust)


@dataclass(frozen=True)
class MintSettlement:
    b: Any
    q: Any
    d: Any
    v1: Any
    shares: Any  # > 0 or ZeroShares


def settle_mint(ar: Arith, sp: Any, plan: MintPlan, b: Any, q: Any, d: Any, supply: Any, price: Any, fill: Any,
                F: Any = _formulas) -> MintSettlement:
    """Shares from the realised value change dV (the minter pays the swap cost). dV = V1 - V0 is the
    contract's checked int256 subtraction. (The holdings' sums cannot overflow here: the series holds
    the tokens they count; the borrow's is checked before the loan, `Model._borrow`.)"""
    spent = ar.ite(plan.dust, 0, plan.swap.amount)  # (the amount is 0 when no swap is needed)
    if sp.is_long:  # QUOTE -> BASE: fill is BASE out
        b1, q1 = b + fill, q + plan.net + plan.borrow - spent
    else:  # BASE -> QUOTE: fill is QUOTE out
        b1, q1 = b + plan.borrow - spent, q + plan.net + fill
    d1 = d + plan.borrow
    v1 = F.series_value(ar, sp.is_long, b1, q1, d1, price)
    return MintSettlement(b1, q1, d1, v1, F.mint_shares(ar, supply, ar.sub_int(v1, plan.v0), plan.v0))


# ---------------------------------------------------------------------------------------------- redeem


@dataclass(frozen=True)
class RedeemSlices:
    """SPEC redeem step 2: the redeemer's fraction shares / S of the holdings and of the debt."""

    db: Any  # BASE slice (paid out: rounds down)
    dq: Any  # QUOTE slice (rounds down)
    dd: Any  # debt slice (owed: rounds up, at most the debt)


def redeem_slices(ar: Arith, b: Any, q: Any, d: Any, supply: Any, shares: Any, F: Any = _formulas) -> RedeemSlices:
    return RedeemSlices(F.pro_rata_down(ar, b, shares, supply), F.pro_rata_down(ar, q, shares, supply),
                        F.pro_rata_up(ar, d, shares, supply))


@dataclass(frozen=True)
class RedeemPlan:
    """SPEC redeem step 3: the swaps that turn the slices into QUOTE."""

    slices: RedeemSlices
    sell: SwapOrder  # long: the BASE slice; short: the BASE beyond the debt slice
    buy: SwapOrder | None  # short: the BASE missing to repay the debt slice


def plan_redeem(ar: Arith, sp: Any, b: Any, q: Any, d: Any, supply: Any, shares: Any, price: Any, F: Any = _formulas) -> RedeemPlan:
    sl = redeem_slices(ar, b, q, d, supply, shares, F)
    c = sp.slippage_cap_bps
    if sp.is_long:
        return RedeemPlan(sl, sell_order(ar, "BASE", sl.db, price, c, F), None)
    buy = buy_base_order(ar, ar.max(sl.dd - sl.db, 0), price, c, F)
    return RedeemPlan(sl, sell_order(ar, "BASE", ar.max(sl.db - sl.dd, 0), price, c, F), buy)


@dataclass(frozen=True)
class RedeemPayout:
    fee: Any  # to the reserve (charged: rounds up)
    out: Any  # to the redeemer


def redeem_payout(ar: Arith, sp: Any, gross: Any, F: Any = _formulas) -> RedeemPayout:
    fee = F.fee_up(ar, gross, sp.redeem_fee_bps)
    return RedeemPayout(fee, gross - fee)


@dataclass(frozen=True)
class RedeemSettlement:
    b: Any
    q: Any
    d: Any
    solvent: Any  # False: the slice cannot repay its debt (SeriesInsolvent)
    gross: Any  # QUOTE for the redeemer before the fee (step 4: `redeem_payout`, once solvent)


def settle_redeem(ar: Arith, sp: Any, plan: RedeemPlan, b: Any, q: Any, d: Any, sold: Any, spent: Any) -> RedeemSettlement:
    """`sold`: QUOTE the sale filled; `spent`: QUOTE the buy cost (0 for a long). A dust sale is
    skipped and its BASE stays in the series."""
    sl = plan.slices
    taken = ar.ite(plan.sell.skipped, sl.db - plan.sell.amount, sl.db)
    if sp.is_long:
        cash = sl.dq + sold
        solvent, gross = ar.ge(cash, sl.dd), cash - sl.dd
    else:
        solvent, gross = ar.ge(sl.dq, spent), sl.dq - spent + sold
    return RedeemSettlement(b - taken, q - sl.dq, d - sl.dd, solvent, gross)


# ---------------------------------------------------------------------------------------------- insolvency


@dataclass(frozen=True)
class Insolvency:
    """settleInsolvency(): all holdings to the reserve, the debt written off, the shortfall recorded."""

    owed: Any  # debt value in QUOTE (rounds up)
    assets: Any  # holdings value in QUOTE (rounds down)
    shortfall: Any  # bad debt recognised: owed - assets, never negative
    d: Any

    @property
    def allowed(self) -> Any:
        """V = assets - owed <= 0 with a debt to write off (else NotInsolvent). Concrete only: the
        proofs state insolvency as a premise on `owed` and `assets`."""
        return self.assets - self.owed <= 0 and self.d > 0


def plan_insolvency(ar: Arith, is_long: bool, b: Any, q: Any, d: Any, price: Any, F: Any = _formulas) -> Insolvency:
    owed = F.debt_quote(ar, is_long, d, price)
    assets = F.assets_quote(ar, b, q, price)
    return Insolvency(owed, assets, ar.max(owed - assets, 0), d)
