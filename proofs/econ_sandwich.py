"""econ.no_self_sandwich: a keeper gains nothing by trading around its own rebalance (SYSTEM.md 5).

The attacker (the keeper) front-runs the series' rebalance swap in the same direction (any size,
0 included), lets the rebalance fill within the series' oracle limit, then trades back the other way
(any size: unwinding its front-run and/or selling its own inventory into the pool the rebalance
pushed off the oracle). Its profit is valued at the oracle price P, in QUOTE:
    profit = QUOTE received - QUOTE paid + (BASE received - BASE paid) x P.
The keeper fee is left out: it is owed for the rebalance anyway (`keeper_fee_entitled`).

Why a parameter condition decides it (real arithmetic, no rounding; c = slippage cap, f = pool fee,
g = 1 - f). Take a long buying BASE (the other branches are mirror images). The front-run leaves the
pool's marginal price at p1 >= P. The series' fill, fee included, averages at most P / (1 - c); on
a constant-product curve the pre-fee average of a trade is the geometric mean of the marginal prices
before and after it, so the price after the rebalance is p2 <= g^2 P^2 / ((1 - c)^2 p1) <= g^2 P /
(1 - c)^2. Every BASE unit the attacker then sells earns at most g p2, and every unit it bought
cost at least P / g. Both legs lose at the oracle price once g p2 <= P, i.e. when
    (1 - c)^2 >= (1 - f)^3,            first order: c <= 1.5 f,
which `specs.params.self_sandwich_safe` states (with a margin for the LP fee the pool keeps in its
input reserve, which lifts p2 by at most a factor 1 + f (c - f) / (1 - c)). Above it, a rebalance
whose notional is a large enough fraction of the pool's depth is profitable to sandwich: the
bundled set of issue 12 (30 bps fee, 100 bps cap) let a keeper take ~600 QUOTE around one
140k QUOTE rebalance on the bundled pool, which is why SPEC's bundled cap changed.

The pool starts at the oracle price (its QUOTE reserve is the oracle value of its BASE reserve, to
the wei): a pool off the oracle offers its arbitrage to anyone, which the fuzzer's `econ.profit`
invariant credits to every account; this obligation is about the value a keeper can take from its
own rebalance. Only a same-direction front-run is modelled (an opposite one only improves the
series' fill, so the attacker's loss at P is the pool's and the series' gain); a single swap each
way (splitting a swap only raises its cost on a constant-product pool with the fee in the reserve).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from levcheck.specs import formulas as _F
from levcheck.specs import procedures
from levcheck.specs.arith import BPS, INT, WAD, Arith
from levcheck.specs.params import MarketParams, SeriesParams

from .core import Claim, Domain, Obligation, Var
from .position import AMOUNT_MAX, P_MAX, P_MIN

_side = {True: "long", False: "short"}
POOL_MIN = WAD  # at least one whole BASE in the pool
TRADE_MIN = 10**12  # wei on each side of the rebalance's trade: below it, wei rounding is the cap
PRICE_SLACK = 10**9  # the pool's marginal price may pass the no-arbitrage bound by 1e-9 of itself (rounding)


class NoSelfSandwich(Obligation):
    invariants = ("econ.profit",)
    family = "econ"
    domain = Domain.ROUNDED
    relaxation = "integers relaxed to reals, every mulDiv a bounded rounding error in [0, 1) (sound)"
    pin = ("P", "x")

    def __init__(self, sp: SeriesParams, mp: MarketParams, increase: bool) -> None:
        self.sp, self.mp, self.increase = sp, mp, increase
        self.id = f"econ.no_self_sandwich.{_side[sp.is_long]}.{'up' if increase else 'down'}"
        self.statement = (
            f"{sp.name}: after a same-direction front-run and the rebalance that "
            f"{'raises' if increase else 'lowers'} exposure (pool fee {mp.pool_fee_bps} bps, slippage cap "
            f"{sp.slippage_cap_bps} bps), trading back on the pool pays no better than the oracle price: the "
            f"keeper's front-run + back-run gain nothing at P (keeper fee aside)")
        self.assumptions = (
            f"oracle price P in [{P_MIN}, {P_MAX}] wei; pool BASE reserve x in [{POOL_MIN}, {AMOUNT_MAX}] wei",
            "the pool starts at the oracle price; the front-run (same direction as the rebalance, any size) "
            "leaves it anywhere on that side of the oracle (x, y: any reserves priced there)",
            f"the rebalance's trade: in [{TRADE_MIN}, {AMOUNT_MAX}] wei in and its oracle minimum out >= {TRADE_MIN} "
            "wei; not dust; fills within the series' oracle limit (else it reverts)",
            f"no-arbitrage bound up to 1/{PRICE_SLACK} of the price (wei rounding of the reserves)",
        )

    @property
    def _buys_base(self) -> bool:
        return self.sp.is_long == self.increase  # long up / short down buy BASE on the pool

    def variables(self) -> list[Var]:
        return [Var("P", P_MIN, P_MAX, "oracle price"), Var("x", POOL_MIN, AMOUNT_MAX, "pool BASE reserve after the front-run"),
                Var("y", 0, AMOUNT_MAX, "pool QUOTE reserve after the front-run"),
                Var("t", 0, AMOUNT_MAX, "rebalance order amount")]

    def after_rebalance(self, ar: Arith, v: dict[str, Any], c: Claim | None = None) -> tuple[Any, Any, Any]:
        """The rebalance's swap on a pool (x BASE, y QUOTE), SPEC's pool arithmetic: the reserves
        after it and the order (`c` collects the premises: not dust, filled within the cap)."""
        F, mp, sp = self.F, self.mp, self.sp
        fee, share, P, t = mp.pool_fee_bps, mp.protocol_share_bps, v["P"], v["t"]
        x, y = v["x"], v["y"]
        if self._buys_base and not sp.is_long:  # short down: buy exact t BASE, at most the oracle maximum
            order = procedures.buy_base_order(ar, t, P, sp.slippage_cap_bps, F)
            if c is not None:
                c.premise("rebalance: 0 < out < pool BASE", ar.and_(ar.gt(t, 0), ar.lt(t, x)))
            paid = F.amount_in(ar, t, y, x, fee)
            x2, y2 = x - t, y + procedures.pool_swap(ar, fee, share, paid, t, F).to_reserve_in
            filled = ar.le(paid, order.limit)
            sizes = (t, order.limit)
        elif self._buys_base:  # long up: sell t QUOTE for BASE
            order = procedures.sell_order(ar, "QUOTE", t, P, sp.slippage_cap_bps, F)
            out = F.amount_out(ar, t, y, x, fee)
            x2, y2 = x - out, y + procedures.pool_swap(ar, fee, share, t, out, F).to_reserve_in
            filled = ar.and_(ar.gt(out, 0), ar.ge(out, order.limit))
            sizes = (t, order.limit)
        else:  # long down / short up: sell t BASE for QUOTE
            order = procedures.sell_order(ar, "BASE", t, P, sp.slippage_cap_bps, F)
            out = F.amount_out(ar, t, x, y, fee)
            x2, y2 = x + procedures.pool_swap(ar, fee, share, t, out, F).to_reserve_in, y - out
            filled = ar.and_(ar.gt(out, 0), ar.ge(out, order.limit))
            sizes = (t, order.limit)
        if c is not None:
            c.premise(f"rebalance trade >= {TRADE_MIN} wei each side", ar.and_(*(ar.ge(z, TRADE_MIN) for z in sizes)))
            c.premise("rebalance not dust", ar.not_(order.skipped))
            c.premise("rebalance fills within the cap", filled)
        return x2, y2, order

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c, P, x, y = Claim(), v["P"], v["x"], v["y"]
        g = BPS - self.mp.pool_fee_bps
        # the front-run moved the pool from the oracle price towards the rebalance's fill (or not at all)
        if self._buys_base:
            c.premise("front-run: pool price >= oracle", ar.ge(y * WAD, x * P))
        else:
            c.premise("front-run: pool price <= oracle", ar.le(y * WAD, x * P))
        x2, y2, _ = self.after_rebalance(ar, v, c)
        if self._buys_base:  # selling BASE back earns at most g x (marginal price) <= P per BASE
            c.goal("back-run sale earns <= oracle", ar.le(g * y2 * WAD * PRICE_SLACK, BPS * x2 * P * (PRICE_SLACK + 1)))
        else:  # buying BASE back costs at least (marginal price) / g >= P per BASE
            c.goal("back-run buy costs >= oracle", ar.ge(BPS * y2 * WAD * (PRICE_SLACK + 1), g * x2 * P * PRICE_SLACK))
        return c

    def scenario(self, values: dict[str, Any]) -> Any:
        return sandwich_scenario(self, values)


def obligations(mp: MarketParams) -> list[Obligation]:
    return [NoSelfSandwich(sp, mp, inc) for sp in mp.series for inc in (True, False)]


# ---------------------------------------------------------------------------------------------- the attack as a scenario

KEEPER = "keeper1"


def sandwich_scenario(ob: NoSelfSandwich, values: dict[str, Any]) -> Any:
    """A replayed counterexample as the attack itself, on the obligation's parameter set (the
    counterexample's pool is any pool priced there; the scenario uses the deployed one): a mint, a price
    move out of the band, a trader re-aligning the pool to the oracle, a one-wei price tick (a new
    profit window with nothing to arbitrage), then the keeper's swap / rebalance / swap, sized on the
    reference model to maximise its gain at the oracle price. Kept only if that gain exceeds the
    keeper fee it is entitled to by more than 1 QUOTE (None otherwise: the JSON file is written)."""
    from levcheck.specs import scenario as S

    sp, mp = ob.sp, ob.mp
    label = f"series{list(mp.series).index(sp)}"
    T = Fraction(sp.target_lev, WAD)
    lev0 = Fraction(sp.min_lev, WAD) - Fraction(3, 10) if ob.increase else Fraction(sp.max_lev, WAD) + Fraction(3, 10)
    price = int(mp.initial_price * _F.band_exit_ratio(sp.is_long, T, lev0))
    depth = mp.pool_base * mp.initial_price // WAD  # the pool's QUOTE side
    room = Fraction(sp.slippage_cap_bps - mp.pool_fee_bps, BPS)
    best = None
    for share in (Fraction(8, 10), Fraction(5, 10), Fraction(3, 10)):  # the mint's trade (~3x net) within the cap
        quote_in = int(depth * room * share / 3)
        setup = [S.Step.of("mint", "alice", series=label, quote_in=quote_in), S.Step.of("set_price", price=price)]
        m = _run(mp, setup)
        if m is None:
            continue
        setup += [_align(m, price), S.Step.of("set_price", price=price + 1)]
        found = _best_attack(mp, setup, label, ob._buys_base, price + 1)
        if found and (best is None or found[0] > best[0]):
            best = found
    if best is None or best[0] <= WAD:
        return None
    gain, steps = best
    return S.Scenario(
        params=mp, steps=steps, origin=f"z3 {ob.id}",
        description=(f"{ob.statement}. Refuted: Z3 counterexample {values} (a pool state after a front-run where the "
                     f"rebalance leaves a profitable back-run). The attack on the reference model: {KEEPER} front-runs, "
                     f"rebalances {label}, and trades back, ending {gain / WAD:.2f} QUOTE richer at the oracle price "
                     f"than the keeper fee it was entitled to; econ.profit flags it at the last step"),
        expect={"status": "violated", "step": len(steps) - 1},
    )


def _run(mp: MarketParams, steps: list) -> Any:
    from .scenario import _model_run

    m, ok = _model_run(mp, steps)
    return m if ok else None


def _align(m: Any, price: int) -> Any:
    """The trader's swap that brings the pool's spot price to `price` (constant product, fee aside)."""
    from levcheck.specs import scenario as S

    rb, rq = m.pool.reserve_base, m.pool.reserve_quote
    nb = math.isqrt(rb * rq * WAD // price)
    if nb < rb:
        return S.Step.of("swap_exact_out", "trader", token_in="QUOTE", amount_out=rb - nb)
    return S.Step.of("swap_exact_in", "trader", token_in="BASE", amount_in=max(nb - rb, 1))


def _keeper_gain(mp: MarketParams, setup: list, attack: list, price: int, label: str) -> int | None:
    """The keeper's gain over the attack at `price` (QUOTE + BASE x P), less its entitled fee; None if
    a step reverts."""
    from levcheck.specs.procedures import keeper_fee_entitled

    m0, m1 = _run(mp, setup), _run(mp, setup + attack)
    if m0 is None or m1 is None:
        return None

    def wealth(m: Any) -> int:
        return m.tokens["QUOTE"].balance(KEEPER) + m.tokens["BASE"].balance(KEEPER) * price // WAD

    ev = [e for e in m1.last_events if e.name == "Rebalanced"] if hasattr(m1, "last_events") else []
    sp = mp.series[int(label[len("series"):])]
    fee = sp.keeper_fee
    if ev:
        fee = keeper_fee_entitled(INT, sp.keeper_fee, ev[0].args["baseAmount"] * price // WAD)
    return wealth(m1) - wealth(m0) - fee


def _best_attack(mp: MarketParams, setup: list, label: str, buys_base: bool, price: int) -> tuple[int, list] | None:
    """Front-run size (largest the rebalance still fills after, and fractions of it) and back-run
    size (ternary search), on the reference model."""
    from levcheck.specs import scenario as S

    front_tok, back_tok = ("QUOTE", "BASE") if buys_base else ("BASE", "QUOTE")

    def attack(a: int, k: int) -> list:
        steps = [S.Step.of("swap_exact_in", KEEPER, token_in=front_tok, amount_in=a)] if a else []
        steps.append(S.Step.of("rebalance", KEEPER, series=label))
        if k:
            steps.append(S.Step.of("swap_exact_in", KEEPER, token_in=back_tok, amount_in=k))
        return steps

    m = _run(mp, setup)
    if m is None or _run(mp, setup + attack(0, 0)) is None:
        return None
    depth = m.pool.reserve_quote if front_tok == "QUOTE" else m.pool.reserve_base
    lo, hi = 0, depth // 10  # the largest front-run after which the rebalance still fills within its cap
    while hi - lo > max(depth >> 40, 1):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _run(mp, setup + attack(mid, 0)) is not None else (lo, mid)
    best: tuple[int, list] | None = None
    back_depth = m.pool.reserve_base if back_tok == "BASE" else m.pool.reserve_quote
    for a in (lo, lo * 3 // 4, lo // 2, 0):
        def gain(k: int) -> int:
            g = _keeper_gain(mp, setup, attack(a, k), price, label)
            return -(10**60) if g is None else g

        klo, khi = 0, back_depth // 20
        for _ in range(60):
            m1, m2 = klo + (khi - klo) // 3, khi - (khi - klo) // 3
            klo, khi = (m1, khi) if gain(m1) < gain(m2) else (klo, m2)
        g = gain(klo)
        if best is None or g > best[0]:
            best = (g, setup + attack(a, klo))
    return best
