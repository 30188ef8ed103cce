"""Fee obligations: conservation, mint-then-redeem, other holders' NAV, rebalance dilution."""
from __future__ import annotations

from typing import Any

from levcheck.specs import procedures
from levcheck.specs.arith import BPS, WAD, Arith
from levcheck.specs.params import MarketParams, SeriesParams

from .core import Claim, Domain, Obligation, Var
from .floor import ROUNDED_RELAXATION
from .position import AMOUNT_MAX, POSITION_ASSUMPTIONS, V_MIN, fill_premises, position_vars, rebalance, rebalance_lev_hi

_side = {True: "long", False: "short"}
FILL_ASSUMPTION = "every swap fills no better than the oracle price and within the slippage cap (else it reverts)"


class Conservation(Obligation):
    invariants = ('fees.conserved',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, mp: MarketParams, exact_out: bool) -> None:
        self.mp, self.exact_out = mp, exact_out
        kind = "swapExactOut" if exact_out else "swapExactIn"
        self.id = f"fees.conservation.{kind}"
        self.statement = (f"SpotPool.{kind} ({mp.pool_fee_bps} bps fee, {mp.protocol_share_bps} bps protocol share): "
                          "every token paid in lands in the reserves or in the pending protocol fee (none created or "
                          "lost), protocol fee <= fee <= amount in, the output is less than the reserve, and k never falls")
        self.assumptions = (f"reserves and amounts in [1, {AMOUNT_MAX}] wei",
                            "exact out: 0 < amountOut < reserveOut")

    def variables(self) -> list[Var]:
        return [Var("rin", 1, AMOUNT_MAX), Var("rout", 1, AMOUNT_MAX), Var("amt", 1, AMOUNT_MAX), Var("pending", 0, AMOUNT_MAX)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F, m = Claim(), self.F, self.mp
        rin, rout, amt, pending = v["rin"], v["rout"], v["amt"], v["pending"]
        if self.exact_out:
            c.premise("0<out<rOut", ar.lt(amt, rout))
            out, ain = amt, F.amount_in(ar, amt, rin, rout, m.pool_fee_bps)
        else:
            ain = amt
            out = F.amount_out(ar, amt, rin, rout, m.pool_fee_bps)
        sw = procedures.pool_swap(ar, m.pool_fee_bps, m.protocol_share_bps, ain, out, F)
        fee, pf = sw.fee, sw.protocol_fee
        rin1, pending1, rout1 = rin + sw.to_reserve_in, pending + pf, rout - sw.out
        c.goal("0<=protocolFee<=fee<=amountIn", ar.and_(ar.ge(pf, 0), ar.le(pf, fee), ar.le(fee, ain)))
        c.goal("0<=out<rOut", ar.and_(ar.ge(out, 0), ar.lt(out, rout)))
        c.goal("tokens in = reserve + pending deltas", (rin1 + pending1) - (rin + pending) == ain)
        c.goal("k never falls", ar.ge(rin1 * rout1, rin * rout))
        return c


def mint(ar: Arith, F: Any, sp: SeriesParams, v: dict[str, Any], c: Claim, bootstrap: bool) -> dict[str, Any]:
    """SPEC mint() as `specs.procedures` mint_payment / plan_mint / settle_mint, with the fill `f1`
    free within its limits. Returns the state after."""
    price, f1, L = v["P"], v["f1"], sp.is_long
    b, q, d, S = (0, 0, 0, 0) if bootstrap else (v["b"], v["q"], v["d"], v["S"])
    pay = procedures.mint_payment(ar, sp, v["x"], F)
    plan = procedures.plan_mint(ar, sp, bootstrap, b, q, d, price, pay.net, F)
    if not bootstrap:
        c.premise("V0>=V_MIN", ar.ge(plan.v0, V_MIN))
        if not L:
            c.premise("short: b<=d", ar.le(b, d))
    fill_premises(ar, c, "mint swap", plan.swap, f1, price)
    st = procedures.settle_mint(ar, sp, plan, b, q, d, S, price, f1, F)
    c.premise("shares>0 (else ZeroShares)", ar.gt(st.shares, 0))
    return dict(b=st.b, q=st.q, d=st.d, S=S + st.shares, shares=st.shares, v0=plan.v0, v1=st.v1, S0=S)


def redeem_slices(ar: Arith, F: Any, st: dict[str, Any], shares: Any) -> dict[str, Any]:
    """The series after a redeem of `shares`: holdings minus `procedures.redeem_slices`. (A
    dust sale would leave the redeemer's BASE in the series, which only raises the others' NAV: taking
    the whole slice out is the worst case for them.)"""
    b, q, d, S = st["b"], st["q"], st["d"], st["S"]
    sl = procedures.redeem_slices(ar, b, q, d, S, shares, F)
    return dict(b=b - sl.db, q=q - sl.dq, d=d - sl.dd, S=S - shares)


def redeem(ar: Arith, F: Any, sp: SeriesParams, st: dict[str, Any], shares: Any, v: dict[str, Any], c: Claim) -> dict[str, Any]:
    """SPEC redeem() as `specs.procedures` plan_redeem / settle_redeem: the sale's fill f2 (long) or
    the buy's QUOTE cost f2 and the surplus sale's fill f3 (short), free within their limits."""
    price = v["P"]
    b, q, d, S = st["b"], st["q"], st["d"], st["S"]
    plan = procedures.plan_redeem(ar, sp, b, q, d, S, shares, price, F)
    if plan.buy is None:  # long: sell the BASE slice, f2 = QUOTE proceeds
        sold, spent = v["f2"], 0
        fill_premises(ar, c, "redeem sell", plan.sell, sold, price)
    else:  # short: buy the missing BASE exactly (f2 QUOTE spent); sell any surplus BASE (f3 QUOTE in)
        sold, spent = v["f3"], v["f2"]
        fill_premises(ar, c, "redeem buy", plan.buy, spent, price)
        fill_premises(ar, c, "redeem sell", plan.sell, sold, price)
    st1 = procedures.settle_redeem(ar, sp, plan, b, q, d, sold, spent)
    c.premise("solvent (else SeriesInsolvent)", st1.solvent)
    pay = procedures.redeem_payout(ar, sp, st1.gross, F)
    return dict(b=st1.b, q=st1.q, d=st1.d, S=S - shares, out=pay.out, gross=st1.gross)


def _flow_vars() -> list[Var]:
    return [Var("x", 1, AMOUNT_MAX, "QUOTE paid in"), Var("S", 1, AMOUNT_MAX, "supply"),
            Var("f1", 0, 10**40), Var("f2", 0, 10**40), Var("f3", 0, 10**40)]


class MintRedeemNoProfit(Obligation):
    invariants = ('fees.round_trip',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams, bootstrap: bool) -> None:
        self.sp, self.bootstrap = sp, bootstrap
        self.id = f"fees.mint_redeem.{_side[sp.is_long]}{'.first' if bootstrap else ''}"
        self.statement = (f"{sp.name}: {'the first mint of an empty series' if bootstrap else 'a mint'} followed by "
                          "redeeming the shares it returned, at the same price, never pays out more QUOTE than was paid in")
        self.assumptions = POSITION_ASSUMPTIONS[:2] + (FILL_ASSUMPTION, "the series is solvent (V > 0)")

    def variables(self) -> list[Var]:
        return position_vars() + _flow_vars()

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F = Claim(), self.F
        st = mint(ar, F, self.sp, v, c, self.bootstrap)
        out = redeem(ar, F, self.sp, st, st["shares"], v, c)["out"]
        c.goal("quoteOut <= quoteIn", ar.lt(out, v["x"] + 1))  # <=> out <= x on integers
        return c


def mint_slack(sp: SeriesParams) -> int:
    """Wei of value a mint can gain by rounding: 0 for a long (QUOTE debt is exact); 1 for a short, whose
    BASE holdings (floor) and BASE debt (ceil) are valued with opposite roundings."""
    return 0 if sp.is_long else 1


class MintValueLemma(Obligation):
    """Lemma for the pro-rata mint: the realised value change never exceeds the net deposit, and the
    shares are at most S * dV / V0."""

    invariants = ('fees.round_trip', 'fees.no_dilution')
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams) -> None:
        self.sp = sp
        self.id = f"fees.mint_redeem.{_side[sp.is_long]}.lemma_mint"
        self.statement = (f"{sp.name}: a pro-rata mint raises V by at most the net deposit + {mint_slack(sp)} wei, and "
                          "shares * V0 <= S * dV")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION,)

    def variables(self) -> list[Var]:
        return position_vars() + _flow_vars()

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F = Claim(), self.F
        st = mint(ar, F, self.sp, v, c, False)
        net = procedures.mint_payment(ar, self.sp, v["x"], F).net
        k = mint_slack(self.sp)
        c.goal(f"dV <= net + {k}", ar.lt(st["v1"] - st["v0"], net + k + 1))  # <=> dV <= net + k on integers
        c.goal("shares*V0 <= S*dV", ar.le(st["shares"] * st["v0"], v["S"] * (st["v1"] - st["v0"])))
        return c


class RedeemValueLemma(Obligation):
    """Lemma for any redeem: the gross QUOTE paid is at most the slice's share of V plus 2 wei."""

    invariants = ('fees.round_trip',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION

    def __init__(self, sp: SeriesParams) -> None:
        self.sp = sp
        self.id = f"fees.mint_redeem.{_side[sp.is_long]}.lemma_redeem"
        self.statement = f"{sp.name}: redeeming s of S tokens pays gross QUOTE (before fee) <= (V + 2) * s / S"
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION, "0 < s <= S")

    def variables(self) -> list[Var]:
        return position_vars() + _flow_vars() + [Var("s", 1, AMOUNT_MAX, "shares redeemed")]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F, sp = Claim(), self.F, self.sp
        val = F.series_value(ar, sp.is_long, v["b"], v["q"], v["d"], v["P"])
        c.premise("V>=V_MIN", ar.ge(val, V_MIN))
        c.premise("s<=S", ar.le(v["s"], v["S"]))
        st = dict(b=v["b"], q=v["q"], d=v["d"], S=v["S"])
        out = redeem(ar, F, sp, st, v["s"], v, c)
        gross = out["gross"]
        c.goal("gross*S <= (V+2)*s", ar.le(gross * v["S"], (val + 2) * v["s"]))
        c.goal("fee<=gross", ar.ge(out["out"], 0))
        return c


class MintRedeemComposed(Obligation):
    """Mint then redeem, closed from the two lemmas: only the lemmas' conclusions are assumed about
    the trades, so this query is small; it is proved only if both lemmas are."""

    invariants = ('fees.round_trip',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION + "; the trades enter only through the two lemmas' conclusions"

    def __init__(self, sp: SeriesParams) -> None:
        self.sp = sp
        self.lemmas = [MintValueLemma(sp), RedeemValueLemma(sp)]
        self.id = f"fees.mint_redeem.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: a mint followed by redeeming the shares it returned, at the same price, never "
                          "pays out more QUOTE than was paid in (from lemma_mint and lemma_redeem)")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION,)

    def variables(self) -> list[Var]:
        return [Var("x", 1, AMOUNT_MAX), Var("V0", V_MIN, AMOUNT_MAX), Var("S", 1, AMOUNT_MAX),
                Var("dV", -AMOUNT_MAX, AMOUNT_MAX), Var("gross", 0, AMOUNT_MAX)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F, sp = Claim(), self.F, self.sp
        x, V0, S, dV, gross = v["x"], v["V0"], v["S"], v["dV"], v["gross"]
        net = procedures.mint_payment(ar, sp, x, F).net
        shares = F.mint_shares(ar, S, dV, V0)
        c.premise("shares>0", ar.gt(shares, 0))
        c.premise("lemma_mint: dV<=net+k", ar.le(dV, net + mint_slack(sp)))
        c.premise("lemma_redeem: gross*S1 <= (V1+2)*shares", ar.le(gross * (S + shares), (V0 + dV + 2) * shares))
        out = procedures.redeem_payout(ar, sp, gross, F).out
        c.goal("quoteOut <= quoteIn", ar.lt(out, x + 1))
        return c


class OthersNav(Obligation):
    """Another holder's mint or redeem never lowers my NAV per token beyond one unit of rounding."""

    invariants = ('fees.no_dilution',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION
    MIN_LEFT = 2 * WAD  # supply left after a redeem (see statement)

    def __init__(self, sp: SeriesParams, action: str) -> None:
        self.sp, self.action = sp, action
        self.id = f"fees.others_nav.{action}.{_side[sp.is_long]}"
        tail = f" while at least {self.MIN_LEFT // WAD} tokens remain" if action == "redeem" else ""
        self.statement = (f"{sp.name}: another holder's {action} never lowers NAV per token by more than 1 wei"
                          f" (one unit of rounding){tail}")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION,)

    def variables(self) -> list[Var]:
        return position_vars() + _flow_vars() + [Var("s", 1, AMOUNT_MAX, "shares redeemed")]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F, sp, P = Claim(), self.F, self.sp, v["P"]
        st0 = dict(b=v["b"], q=v["q"], d=v["d"], S=v["S"])
        nav0 = F.nav_per_token(ar, F.series_value(ar, sp.is_long, v["b"], v["q"], v["d"], P), v["S"])
        if self.action == "mint":
            st1 = mint(ar, F, sp, v, c, False)
        else:
            c.premise("V0>=V_MIN", ar.ge(F.series_value(ar, sp.is_long, v["b"], v["q"], v["d"], P), V_MIN))
            c.premise("supply left >= MIN_LEFT", ar.ge(v["S"] - v["s"], self.MIN_LEFT))
            # What stays in the series is the holdings minus the redeemer's slices, whatever the
            # redeemer's swaps fill (they trade only the slice): no fill variables needed.
            st1 = redeem_slices(ar, F, st0, v["s"])
        nav1 = F.nav_per_token(ar, F.series_value(ar, sp.is_long, st1["b"], st1["q"], st1["d"], P), st1["S"])
        # On integers nav1 >= nav0 - 1 <=> nav1 > nav0 - 2; the strict form survives the relaxation.
        c.goal("nav1 >= nav0 - 1", ar.gt(nav1, nav0 - 2))
        return c


class OthersNavMint(Obligation):
    """Another holder's mint never lowers my NAV per token by more than 1 wei: closed from
    lemma_mint's "shares * V0 <= S * dV" (the only fact about the trades it needs)."""

    invariants = ('fees.no_dilution',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION + "; the trades enter only through lemma_mint's conclusion"

    def __init__(self, sp: SeriesParams, lemma: MintValueLemma | None = None) -> None:
        self.sp = sp
        self.lemmas = [lemma or MintValueLemma(sp)]
        self.id = f"fees.others_nav.mint.{_side[sp.is_long]}"
        self.statement = (f"{sp.name}: another holder's mint never lowers NAV per token by more than 1 wei (one unit "
                          "of rounding) (from lemma_mint)")
        self.assumptions = POSITION_ASSUMPTIONS + (FILL_ASSUMPTION,)

    def variables(self) -> list[Var]:
        return [Var("V0", V_MIN, AMOUNT_MAX), Var("S", 1, AMOUNT_MAX), Var("dV", -AMOUNT_MAX, AMOUNT_MAX)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, F = Claim(), self.F
        V0, S, dV = v["V0"], v["S"], v["dV"]
        shares = F.mint_shares(ar, S, dV, V0)
        c.premise("shares>0", ar.gt(shares, 0))
        c.premise("lemma_mint: shares*V0 <= S*dV", ar.le(shares * V0, S * dV))
        nav0, nav1 = F.nav_per_token(ar, V0, S), F.nav_per_token(ar, V0 + dV, S + shares)
        c.goal("nav1 >= nav0 - 1", ar.gt(nav1, nav0 - 2))  # <=> nav1 >= nav0 - 1 on integers
        return c


class RebalanceDilution(Obligation):
    invariants = ('fees.rebalance_dilution',)
    family = "fees"
    domain = Domain.ROUNDED
    relaxation = ROUNDED_RELAXATION
    SLACK = 2  # wei

    def __init__(self, sp: SeriesParams, increase: bool) -> None:
        self.sp, self.increase = sp, increase
        self.id = f"fees.rebalance_dilution.{_side[sp.is_long]}.{'up' if increase else 'down'}"
        self.statement = (f"{sp.name}: a rebalance that {'raises' if increase else 'lowers'} exposure lowers V (and "
                          f"so NAV per token, supply unchanged) by at most cap x traded notional "
                          f"({sp.slippage_cap_bps} bps) + the keeper fee charged to the series (0: the reserve pays "
                          f"it) + rounding of 2 wei of BASE at P + {self.SLACK} wei")
        self.assumptions = POSITION_ASSUMPTIONS + ("the pool fills no better than the oracle and within the cap",
                                                   "pre-rebalance leverage <= the ripcord plus its distance from target")

    def variables(self) -> list[Var]:
        return position_vars() + [Var("fill", 0, 10**40)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, sp = Claim(), self.sp
        r = rebalance(ar, sp, v, self.increase, c, self.F)
        c.premise("lev0<=hi", ar.le(r.lev0, rebalance_lev_hi(sp)))
        bound = ar.mul_div_up(ar.max(r.notional, 0), sp.slippage_cap_bps, BPS)
        # an integral BASE amount is off the oracle-exact one by < 1 wei on each side: 2 wei of BASE at P
        base_wei = ar.mul_div_up(2, v["P"], WAD)
        # integers: a <= b <=> a < b + 1 (the strict form survives the relaxation)
        c.goal("V0 - V1 <= cap*notional", ar.lt(r.v0 - r.v1, bound + base_wei + self.SLACK + 1))
        return c


__all__ = ["OthersNavMint", "Conservation", "MintRedeemNoProfit", "MintRedeemComposed", "MintValueLemma", "RedeemValueLemma", "OthersNav", "RebalanceDilution", "mint", "redeem"]
