"""Every swap the protocol makes passes a non-zero limit (minOut / maxIn) derived from the oracle price."""
from __future__ import annotations

from slither.slithir.operations import HighLevelCall
from slither.slithir.variables import Constant

from levcheck.specs.write_sets import ORACLE_PRICE_CALL, SWAP_FUNCTIONS, SWAP_LIMIT_ARG

from .base import HIGH, MEDIUM, LevcheckDetector
from .ir import Dependencies, calls_in, call_tree, entry_points, high_level_named

_MAX = 2**256 - 1


class SwapMinOut(LevcheckDetector):
    ARGUMENT = "lev-swap-min-out"
    HELP = "A protocol swap's minimum out (or maximum in) is zero or not derived from the oracle price"
    IMPACT = HIGH
    CONFIDENCE = MEDIUM
    WIKI_TITLE = "Swap without an oracle-derived limit"
    WIKI_DESCRIPTION = (
        "SPEC.md: every swap from the protocol carries a minimum out (exact-in) or maximum in "
        "(exact-out) computed from the oracle price and the series' slippage cap. The limit argument "
        "of every swapExactIn/swapExactOut call must not be a literal 0 (or max uint) and must be "
        "data-dependent on a call to the oracle's `price()`, through locals, internal helpers and "
        "their parameters."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "rebalance() swaps with minOut = 0; a searcher sandwiches the keeper's transaction and takes "
        "the series' value through the pool's curve."
    )
    WIKI_RECOMMENDATION = "Compute the limit with the spec's min_out/max_in from oracle.price() and the slippage cap."

    def _detect(self):
        results = []
        reported: set[int] = set()
        for contract in self.contracts:
            if contract.is_interface or contract.is_library:
                continue
            for f in entry_points(contract):
                deps: Dependencies | None = None
                for g in call_tree(f):
                    for node in g.nodes:
                        for ir in node.irs:
                            if not (isinstance(ir, HighLevelCall) and high_level_named(ir, SWAP_FUNCTIONS)):
                                continue
                            if id(ir) in reported:
                                continue
                            idx = SWAP_LIMIT_ARG[str(ir.function_name)]
                            if idx >= len(ir.arguments):
                                continue
                            limit = ir.arguments[idx]
                            deps = deps or Dependencies(f)
                            problem = _problem(limit, deps)
                            if problem:
                                reported.add(id(ir))
                                results.append(
                                    self.generate_result(
                                        [f, f" swaps ({ir.function_name}) with a limit that is {problem}: ", node, "\n"]
                                    )
                                )
        return results


def _problem(limit, deps: Dependencies) -> str | None:
    if isinstance(limit, Constant) and limit.value in (0, _MAX):
        return f"the constant {limit.value}"
    sources = deps.sources(limit)
    if not calls_in(sources, (ORACLE_PRICE_CALL,)):
        consts = [s for s in sources if isinstance(s, Constant)]
        if consts and len(consts) == len(sources) and all(c.value in (0, _MAX) for c in consts):
            return f"the constant {consts[0].value}"
        return "not derived from the oracle price"
    return None
