"""The keeper fee is paid only from a successful rebalance that did work: only rebalance() reaches
payKeeper, only after the rebalance guards and the NothingToRebalance check, and the amount is derived
from the series' immutable keeper fee."""
from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.core.variables.state_variable import StateVariable
from slither.slithir.operations import HighLevelCall, Operation

from levcheck.specs.write_sets import GUARDED_SWAPS, KEEPER_FEE_PAYERS, KEEPER_FEE_VAR, KEEPER_PAY_CALL, KEEPER_PAY_GUARDS

from .base import HIGH, MEDIUM, LevcheckDetector
from .guards import unguarded
from .flow import MAY, Flow
from .ir import Dependencies, contracts_named, entry_points, high_level_named

_IS_PAY = lambda ir: high_level_named(ir, (KEEPER_PAY_CALL,))  # noqa: E731


def _reached(f: Function) -> list[Node]:
    """payKeeper calls reachable from f, following constant arguments into branches."""
    seen: dict[Node, None] = {}

    def step(fn: Function, node: Node, ir: Operation, facts):
        if _IS_PAY(ir):
            seen[node] = None
        return facts

    Flow(step, MAY).run(f)
    return list(seen)


class KeeperFee(LevcheckDetector):
    ARGUMENT = "lev-keeper-fee"
    HELP = "The keeper fee can be paid outside a successful, guarded rebalance, or is not the series' keeperFee"
    IMPACT = HIGH
    CONFIDENCE = MEDIUM
    WIKI_TITLE = "Keeper fee paid outside a successful rebalance"
    WIKI_DESCRIPTION = (
        "SPEC.md: the reserve pays the keeper fee of every executed rebalance, and of nothing else "
        "(ripcord pays none). Only the entry points of specs/write_sets.py KEEPER_FEE_PAYERS may reach "
        "reserve.payKeeper; on every path to it the entry point's guards (trigger, floor, oracle) and the "
        "work-done check (NothingToRebalance, issue 12) hold; and the amount is data-dependent on the "
        "immutable keeperFee."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "payKeeper is called before the trigger check and the check returns early instead of reverting; "
        "a bot calls rebalance() every block and drains the reserve one keeper fee at a time."
    )
    WIKI_RECOMMENDATION = "Pay `keeperFee` once, at the end of rebalance(), after all its guards."

    def _detect(self):
        results = []
        for contract in contracts_named(self.contracts, KEEPER_FEE_PAYERS):
            payers = KEEPER_FEE_PAYERS[contract.name]
            for f in entry_points(contract):
                pay_nodes = _reached(f)
                if not pay_nodes:
                    continue
                if f.name not in payers:
                    results.append(
                        self.generate_result(
                            [f, f" pays the keeper fee, which only {', '.join(payers)}() may: ", pay_nodes[0], "\n"]
                        )
                    )
                    continue
                guards = GUARDED_SWAPS.get((contract.name, f.name), ()) + KEEPER_PAY_GUARDS
                for node, missing in unguarded(f, guards, _IS_PAY):
                    results.append(
                        self.generate_result(
                            [f, f" pays the keeper fee before checking {', '.join(missing)}: ", node, "\n"]
                        )
                    )
                deps = Dependencies(f)
                for node in pay_nodes:
                    for ir in node.irs:
                        if not (isinstance(ir, HighLevelCall) and _IS_PAY(ir)) or len(ir.arguments) < 2:
                            continue
                        src = deps.sources(ir.arguments[-1])
                        if not any(isinstance(s, StateVariable) and s.name == KEEPER_FEE_VAR for s in src):
                            results.append(
                                self.generate_result(
                                    [f, f" pays a keeper amount not derived from {KEEPER_FEE_VAR}: ", node, "\n"]
                                )
                            )
        return results
