"""The parameter portfolio `check`'s fuzz campaign covers: the bundled set, a market whose reserve
floor binds, and sets drawn from the seed inside the validated domain.

Why: with the bundled set the floor cannot bind (a series borrows only idle funds, so equity stays
far above 10 % of the series' value) and every other field sits at one value, so a comparison
against a parameter is only ever seen at that value. The drawn sets differ from the bundled one in
every field (and mint fee != redeem fee, long != short), and between them sit exactly on each
constructor limit the validated domain contains (`LIMITS`). Deterministic: the same seed gives the
same sets (a string-seeded `random.Random`, independent of the interpreter's hash seed).
"""
from __future__ import annotations

import dataclasses
import random

from .arith import BPS, WAD
from .params import (
    BUNDLED,
    MAX_MINT_REDEEM_FEE_BPS,
    MAX_POOL_FEE_BPS,
    MIN_FALLBACK_SECONDS,
    MarketParams,
    SeriesParams,
    max_safe_cap_bps,
)

# A market whose reserve floor can bind: 1.5x series (value up to twice the loan), a reserve of 100k
# QUOTE, a 100% floor, and a pool deep enough (1M BASE) that 250k mints fill within the 40 bps cap at a 30 bps fee (notes/issue-4.md).
_LEV15 = dict(target_lev=15 * WAD // 10, min_lev=12 * WAD // 10, max_lev=18 * WAD // 10, ripcord_lev=25 * WAD // 10)
TIGHT_FLOOR = dataclasses.replace(
    BUNDLED,
    floor_bps=10_000,
    pool_base=1_000_000 * WAD,
    reserve_base=10 * WAD,
    reserve_quote=100_000 * WAD,
    series=(dataclasses.replace(BUNDLED.series[0], **_LEV15), dataclasses.replace(BUNDLED.series[1], **_LEV15)),
)

# Constructor limits inside the validated domain, and the drawn set that sits on each ("lo" / "hi").
# Outside it, so on no set: pool_fee_bps 0 and slippage_cap_bps 1000 (`validate_economics` refuses a
# cap above ~1.5 x the pool fee: no cap is safe at a 0 fee, and 1000 bps needs a fee the constructor
# refuses), and the strict `min < target < max` (a band of a few wei). checkpoint_interval is a
# contract constant (3600 s), not a parameter: it is the one field no set varies.
LIMITS = {
    "pool_fee_bps = 100 (max)": "hi",
    "protocol_share_bps = 0 / 10000": "lo / hi",
    "floor_bps = 0 / 10000": "lo / hi",
    "min_lev = 1x (min)": "lo",
    "ripcord_lev = max_lev + 1 wei (strictly above)": "hi",
    "slippage_cap_bps = 1 (min) / the economic max at the pool fee": "lo / hi",
    "mint_fee_bps, redeem_fee_bps = 0 / 500": "lo (mint 0, redeem 500) / hi (mint 500, redeem 0)",
    "fallback_interval = 3600 s (min)": "lo",
    "keeper_fee = 1 wei (min)": "lo",
}


def _other(r: random.Random, lo: int, hi: int, avoid: int) -> int:
    """A draw in [lo, hi] that differs from `avoid` (the bundled value)."""
    while True:
        v = r.randint(lo, hi)
        if v != avoid:
            return v


def _series(r: random.Random, is_long: bool, edge: str, pool_fee: int) -> SeriesParams:
    b = BUNDLED.series[0 if is_long else 1]
    step, off = WAD // 10, 3 * WAD // 100  # leverages at 0.03 past a tenth: never a bundled value
    if edge == "lo":
        min_lev = WAD  # the constructor's lower limit
        target = min_lev + r.randint(5, 18) * step + off
        max_lev = target + r.randint(4, 10) * step
        ripcord = max_lev + r.randint(5, 15) * step
        cap, mint_fee, redeem_fee = 1, 0, MAX_MINT_REDEEM_FEE_BPS
        fallback, keeper_fee = MIN_FALLBACK_SECONDS, 1
    else:
        min_lev = r.randint(12, 28) * step + off
        target = min_lev + r.randint(3, 8) * step
        max_lev = target + r.randint(3, 8) * step
        ripcord = max_lev + 1  # strictly above max_lev: one wei
        cap, mint_fee, redeem_fee = max_safe_cap_bps(pool_fee), MAX_MINT_REDEEM_FEE_BPS, 0
        fallback, keeper_fee = _other(r, 2 * 3_600, 7 * 86_400, b.fallback_interval), _other(r, 1, 50, 5) * WAD
    return SeriesParams(is_long, target, min_lev, max_lev, ripcord, fallback, cap, mint_fee, redeem_fee, keeper_fee)


def drawn(seed: int, edge: str) -> MarketParams:
    """A set drawn from (seed, edge) inside the validated domain; `edge` "lo" or "hi" says which
    constructor limits it sits on (`LIMITS`). Differs from BUNDLED in every field but the constant
    checkpoint_interval."""
    r = random.Random(f"levcheck-portfolio:{seed}:{edge}")
    b = BUNDLED
    pool_fee = MAX_POOL_FEE_BPS if edge == "hi" else _other(r, 5, 80, b.pool_fee_bps)
    long_, short = _series(r, True, edge, pool_fee), _series(r, False, edge, pool_fee)
    if edge == "hi":  # long and short differ in every drawn field too (the fees sit on the limits in both)
        short = dataclasses.replace(short, target_lev=short.target_lev + WAD // 20, max_lev=short.max_lev + WAD // 10,
                                    ripcord_lev=short.max_lev + WAD // 10 + 1)
    params = MarketParams(
        pool_fee_bps=pool_fee,
        protocol_share_bps=0 if edge == "lo" else BPS,
        floor_bps=0 if edge == "lo" else BPS,
        fee_period=_other(r, 3_600, 7 * 86_400, b.fee_period),
        oracle_max_age=_other(r, 600, 7_200, b.oracle_max_age),
        checkpoint_interval=b.checkpoint_interval,
        initial_price=_other(r, 100, 20_000, 2_000) * WAD,
        pool_base=_other(r, 20_000, 400_000, 100_000) * WAD,
        reserve_base=_other(r, 1, 5_000, 500) * WAD,
        reserve_quote=_other(r, 10_000, 5_000_000, 1_000_000) * WAD,
        series=(long_, short),
    )
    params.validate()
    params.validate_economics()
    return params


def portfolio(seed: int) -> list[tuple[str, MarketParams]]:
    """(name, params) of every set `check` fuzzes, in a fixed order: bundled first."""
    return [("bundled", BUNDLED), ("tight-floor", TIGHT_FLOOR), ("drawn-lo", drawn(seed, "lo")), ("drawn-hi", drawn(seed, "hi"))]
