"""External calls follow the state updates they depend on, or the entry point holds a re-entrancy lock.

A state write that may follow state-changing external calls is accepted only when the written value
depends on one of them: on its result (`baseHeld += out`) or on an amount it was passed
(`quoteHeld += amount` after `borrow(amount)`): such an update records a call's effect and cannot come
before it. A write that depends on none of them could precede them all, and should
(checks-effects-interactions)."""
from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.core.solidity_types import ElementaryType
from slither.core.variables.state_variable import StateVariable
from slither.slithir.operations import HighLevelCall, Operation

from levcheck.specs.write_sets import PROTOCOL_CONTRACTS

from .base import MEDIUM, LevcheckDetector
from .flow import MAY, Flow
from .ir import (
    Dependencies,
    contracts_named,
    entry_points,
    is_lock_modifier,
    is_state_changing_call,
    node_line,
    state_written,
)


class CallOrder(LevcheckDetector):
    ARGUMENT = "lev-call-order"
    HELP = "State written after an external call it does not depend on, without a re-entrancy lock"
    IMPACT = MEDIUM
    CONFIDENCE = MEDIUM
    WIKI_TITLE = "State update after an unrelated external call"
    WIKI_DESCRIPTION = (
        "In the protocol contracts, every state write that can follow a state-changing external call "
        "must depend on that call (its result, or an amount passed to it), or the entry point must hold "
        "a re-entrancy lock (a modifier that checks and sets the same state variable)."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "rebalance() pays the keeper before setting lastRebalance; a keeper contract re-enters "
        "rebalance() from the QUOTE transfer while the fallback timer still reads 'due' and collects "
        "a second fee."
    )
    WIKI_RECOMMENDATION = "Write the state before the call, or add a nonReentrant lock to the entry point."

    def _detect(self):
        results = []
        for contract in contracts_named(self.contracts, PROTOCOL_CONTRACTS):
            for f in entry_points(contract):
                if f.view or f.pure or _locked(f):
                    continue
                for node, var, call_node in _late_writes(f):
                    results.append(
                        self.generate_result(
                            [
                                f,
                                f" writes {var.name} after the external call at line {node_line(call_node)} "
                                "without depending on it: ",
                                node,
                                "\n",
                            ]
                        )
                    )
        return results


def _locked(f: Function) -> bool:
    return any(is_lock_modifier(m) for m in f.modifiers)


def _late_writes(f: Function) -> list[tuple[Node, StateVariable, Node]]:
    deps = Dependencies(f)
    call_nodes: dict[int, Node] = {}
    found: dict[tuple[int, str], tuple[Node, StateVariable, Node]] = {}

    def step(fn: Function, node: Node, ir: Operation, facts):
        var = state_written(ir)
        if var is not None and facts:
            closure = {id(v) for r in ir.read for v in deps.closure(r)}
            # Depending on one earlier call pins the write after it, and so after every call before it.
            if not any(_depends_on(call, closure) for call in facts):
                first = min((call_nodes[id(c)] for c in facts), key=lambda n: n.source_mapping.start)
                found.setdefault((id(node), var.name), (node, var, first))
        if is_state_changing_call(ir):
            call_nodes[id(ir)] = node
            return facts | {ir}
        return facts

    Flow(step, MAY).run(f)
    return list(found.values())


def _depends_on(call: Operation, closure: set[int]) -> bool:
    if id(call) in closure:
        return True
    if isinstance(call, HighLevelCall):
        for arg in call.arguments:
            t = getattr(arg, "type", None)
            if isinstance(t, ElementaryType) and t.name.startswith("uint") and id(arg) in closure:
                return True
    return False
