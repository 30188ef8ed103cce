"""Deliberately broken contract variants: the fuzzer's quality bar (tests/test_fuzz_quality.py) and
the benchmark's time-to-failure targets (`levcheck bench`).

Each variant is a textual patch of one source file, compiled with `build_contracts(extra_sources=...)`
(nothing is written to `contracts/`). A patch whose anchor text is missing raises `MutantError`, so
a contract refactor cannot silently turn a quality test into a no-op.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from levcheck.chain.build import ROOT
from levcheck.specs.params import BUNDLED, MarketParams
from levcheck.specs.portfolio import TIGHT_FLOOR  # noqa: F401  (the floor-binding market; defined with the portfolio)

LT = "contracts/LeveragedToken.sol"
RP = "contracts/ReservePool.sol"


class MutantError(RuntimeError):
    """The anchor text of a patch is not in the source any more."""


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    path: str  # source unit name, relative to the repo root
    old: str
    new: str
    params: MarketParams = BUNDLED

    def sources(self, root: Path = ROOT) -> dict[str, str]:
        text = (root / self.path).read_text()
        if text.count(self.old) < 1:
            raise MutantError(f"{self.name}: anchor not found in {self.path}: {self.old!r}")
        return {self.path: text.replace(self.old, self.new, 1)}


# issue 12 finding 2 restored: the reserve reverts a keeper payment it cannot fund in full (and so blocks
# the rebalance). A campaign reaches idle QUOTE below one keeper fee with the edge actions of issue 12
# (keeper_idle, empty_reserve): seed 0 of the quality budget catches it at example 3 (1,013 steps,
# shrunk to 6); tests/test_econ.py also replays the finding's scenarios on it.
KEEPER_PAYMENT_REVERTS = Mutant(
    "keeper-payment-reverts",
    "ReservePool.payKeeper reverts InsufficientLiquidity when it holds less idle QUOTE than the fee",
    RP,
    "paid = FixedPointMath.min(amount, idle);",
    "if (amount > idle) revert InsufficientLiquidity(amount, idle);\n        paid = amount;",
)

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "trigger-inverted-short",
        "the band trigger inverted for short series (fires inside the band, not outside it)",
        LT,
        "if (lev >= minLev && lev <= maxLev) {",
        "if (isLong ? (lev >= minLev && lev <= maxLev) : (lev < minLev || lev > maxLev)) {",
    ),
    Mutant(
        "redeem-debt-rounds-down",
        "a rounding direction flipped: the redeemer's debt slice rounds down (in the redeemer's favour)",
        LT,
        "FixedPointMath.min(d.mulDivUp(shares, supply), d)",
        "FixedPointMath.min(d.mulDivDown(shares, supply), d)",
    ),
    Mutant(
        "missing-floor-check",
        "rebalance() without the reserve floor check",
        LT,
        "if (equity < floor_) revert BelowFloor(equity, floor_);",
        "",
        TIGHT_FLOOR,
    ),
    Mutant(
        "mint-fee-to-pool",
        "the mint fee sent to the SpotPool instead of the ReservePool",
        LT,
        "TokenTransfer.pullFromSender(quote, quoteIn);\n        if (fee > 0) IReservePool(reserve).depositFee(fee);",
        "TokenTransfer.pullFromSender(quote, quoteIn);\n        if (fee > 0) TokenTransfer.push(quote, pool, fee);",
    ),
    Mutant(
        "rebalance-mints-shares",
        "a rebalance changes token balances (mints the caller a 0.1% share bonus)",
        LT,
        "lastRebalance = block.timestamp;\n        // Only a keeper",
        "lastRebalance = block.timestamp;\n        _mint(msg.sender, totalSupply / 1000 + 1);\n        // Only a keeper",
    ),
    Mutant(
        "nav-view-rounds-up",
        "a wrong view: navPerToken() rounds up (overstates what a token is worth); no state changes",
        LT,
        "return _nav(_value(_price()));",
        "int256 v = _value(_price());\n        return totalSupply == 0 || v <= 0 ? 0 : uint256(v).mulDivUp(WAD, totalSupply);",
    ),
    Mutant(
        "keeper-paid-for-nothing",
        "issue 12 finding 1 restored: a rebalance whose trade is skipped (dust) succeeds and pays the whole keeper fee",
        LT,
        "if (baseAmount == 0) revert NothingToRebalance();\n        lastRebalance = block.timestamp;\n"
        "        // Only a keeper-triggered rebalance pays the keeper; the ripcord pays nothing.\n"
        "        if (trigger != Trigger.Ripcord) IReservePool(reserve).payKeeper(msg.sender, _keeperFeeEntitled(baseAmount, p));",
        "lastRebalance = block.timestamp;\n"
        "        if (trigger != Trigger.Ripcord) IReservePool(reserve).payKeeper(msg.sender, baseAmount == 0 ? keeperFee : _keeperFeeEntitled(baseAmount, p));",
    ),
    KEEPER_PAYMENT_REVERTS,
)

def by_name(name: str) -> Mutant:
    for m in MUTANTS:
        if m.name == name:
            return m
    raise KeyError(f"no mutant {name!r}; known: {', '.join(m.name for m in MUTANTS)}")
