"""Per-series thresholds are immutable (or constant) and nothing writes them after construction."""
from __future__ import annotations

from levcheck.specs.write_sets import IMMUTABLE

from .base import HIGH, LevcheckDetector
from .ir import contracts_named, entry_points


class ImmutableThresholds(LevcheckDetector):
    ARGUMENT = "lev-immutable-thresholds"
    HELP = "A per-series threshold (target, band, ripcord, fallback, fees, slippage cap) is mutable"
    IMPACT = HIGH
    CONFIDENCE = HIGH
    WIKI_TITLE = "Mutable series threshold"
    WIKI_DESCRIPTION = (
        "SPEC.md fixes every threshold of a series at deployment (no setter): target, band, ripcord, "
        "fallback interval, slippage cap, mint/redeem and keeper fees, and the oracle's max age. "
        "The variables named in specs/write_sets.py IMMUTABLE must be `immutable` or `constant`, "
        "and no function but the constructor may write them."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "A refactor turns `maxLev` into a storage variable with an owner setter; the owner widens the "
        "band so that no rebalance ever triggers while a long slides towards liquidation."
    )
    WIKI_RECOMMENDATION = "Declare the threshold `immutable`, set it in the constructor, and remove any setter."

    def _detect(self):
        results = []
        for contract in contracts_named(self.contracts, IMMUTABLE):
            wanted = set(IMMUTABLE[contract.name])
            for var in contract.state_variables:
                if var.name not in wanted:
                    continue
                if not (var.is_immutable or var.is_constant):
                    results.append(
                        self.generate_result(
                            [var, f" is a per-series threshold but is neither immutable nor constant ({contract.name})\n"]
                        )
                    )
            for f in entry_points(contract):
                for var in f.all_state_variables_written():
                    if var.name in wanted:
                        results.append(
                            self.generate_result([f, f" writes the threshold {var.name} after construction\n"])
                        )
        return results
