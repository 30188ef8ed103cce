"""Every path of rebalance() (and ripcord()) that reaches a swap has checked its guards first:
the trigger rule, the reserve floor and the oracle's freshness (ripcord: its level and the oracle)."""
from __future__ import annotations

from levcheck.specs.write_sets import GUARDED_SWAPS, SWAP_FUNCTIONS

from .base import HIGH, MEDIUM, LevcheckDetector
from .guards import unguarded
from .ir import contracts_named, entry_named, high_level_named


class RebalanceGuards(LevcheckDetector):
    ARGUMENT = "lev-rebalance-guards"
    HELP = "A rebalance/ripcord path reaches a swap before the trigger, floor or oracle-freshness check"
    IMPACT = HIGH
    CONFIDENCE = MEDIUM
    WIKI_TITLE = "Swap reachable before the rebalance guards"
    WIKI_DESCRIPTION = (
        "SPEC.md allows a rebalance only when leverage is out of band or the fallback interval has "
        "passed, the reserve is at or above its floor and the oracle is fresh. On every CFG path from "
        "the entry to a swap (through internal calls and modifiers) each guard of specs/write_sets.py "
        "GUARDED_SWAPS must have been checked: a condition whose failing branch reverts with the spec's "
        "error or reads the spec's variables, or (freshness) a call to the oracle's reverting `price()`."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "A refactor moves the floor check below an early-return fast path; keepers then rebalance, and "
        "collect keeper fees, while the reserve is under its floor."
    )
    WIKI_RECOMMENDATION = "Check every guard at the top of the function, before any trade."

    def _detect(self):
        results = []
        for (cname, fname), guards in sorted(GUARDED_SWAPS.items()):
            for contract in contracts_named(self.contracts, (cname,)):
                f = entry_named(contract, fname)
                if f is None:
                    continue
                for node, missing in unguarded(f, guards, lambda ir: high_level_named(ir, SWAP_FUNCTIONS)):
                    results.append(
                        self.generate_result(
                            [f, f" reaches a swap without checking {', '.join(missing)} first: ", node, "\n"]
                        )
                    )
        return results
