"""Only the entry points the spec allows write the position, the debt, the reserve's balances and
accounting and the last-rebalance time; only they call the reserve's debt-moving functions; and the
single-caller functions check msg.sender before any effect. The sets live in specs/write_sets.py."""
from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.slithir.operations import Operation

from levcheck.specs.write_sets import CALL_SETS, CALLER, CALLER_CHECKED, WRITE_SETS

from .base import HIGH, LevcheckDetector
from .flow import MUST, Flow
from .ir import (
    Dependencies,
    contracts_named,
    entry_named,
    entry_points,
    guard_conditions,
    guard_holds,
    high_level_named,
    is_lock_modifier,
    is_state_changing_call,
    nodes_where,
    state_written,
)


class WriteSets(LevcheckDetector):
    ARGUMENT = "lev-write-sets"
    HELP = "A function outside the spec's write set writes the position, debt, reserve accounting or lastRebalance"
    IMPACT = HIGH
    CONFIDENCE = HIGH
    WIKI_TITLE = "Write outside the allowed write set"
    WIKI_DESCRIPTION = (
        "specs/write_sets.py declares, for each protected state variable, the entry points allowed to "
        "write it (directly, through internal calls or modifiers); for each reserve function that moves "
        "debt or balances, the series entry points allowed to call it; and the entry points that must "
        "check msg.sender on every path before any state write or external call."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "A helper `sync()` added for convenience rewrites `baseHeld` from the token balance; anyone can "
        "donate BASE and call it to move the series' leverage and force a rebalance."
    )
    WIKI_RECOMMENDATION = "Move the write into an allowed function, or change SPEC.md and specs/write_sets.py together."

    def _detect(self):
        results = []
        for contract in contracts_named(self.contracts, WRITE_SETS.keys() | CALL_SETS.keys()):
            writes = WRITE_SETS.get(contract.name, {})
            calls = CALL_SETS.get(contract.name, {})
            for f in entry_points(contract):
                for var in sorted(f.all_state_variables_written(), key=lambda v: v.name):
                    if var.name in writes and f.name not in writes[var.name]:
                        node = self._first(f, lambda ir, v=var: state_written(ir) is v) or f
                        results.append(
                            self.generate_result(
                                [f, f" writes {var.name}, which only {_names(writes[var.name])} may write: ", node, "\n"]
                            )
                        )
                for called, allowed in sorted(calls.items()):
                    if f.name in allowed:
                        continue
                    node = self._first(f, lambda ir, c=called: high_level_named(ir, (c,)))
                    if node is not None:
                        results.append(
                            self.generate_result(
                                [f, f" calls {called}(), which only {_names(allowed)} may call: ", node, "\n"]
                            )
                        )
        for contract in contracts_named(self.contracts, CALLER_CHECKED):
            for name in CALLER_CHECKED[contract.name]:
                f = entry_named(contract, name)
                if f is None:
                    continue  # lev-spec-names reports missing names
                for node in _unchecked_effects(f):
                    results.append(
                        self.generate_result(
                            [f, " may be called by anyone (no msg.sender check before this effect): ", node, "\n"]
                        )
                    )
                    break
        return results

    @staticmethod
    def _first(f: Function, predicate) -> Node | None:
        nodes = nodes_where(f, predicate)
        return min(nodes, key=lambda n: (n.source_mapping.start)) if nodes else None


def _names(allowed: tuple[str, ...]) -> str:
    return ", ".join(f"{a}()" for a in allowed)


def _unchecked_effects(f: Function) -> list[Node]:
    """Nodes that write state or call out before a caller check holds on every path."""
    deps = Dependencies(f)
    bad: dict[Node, None] = {}
    checked = "caller"

    def step(fn: Function, node: Node, ir: Operation, facts):
        if is_lock_modifier(fn):
            return facts  # a re-entrancy lock's own flag is no effect of the call
        if checked not in facts and (state_written(ir) is not None or is_state_changing_call(ir)):
            bad[node] = None
        for g_ir, value, errors in guard_conditions(node):
            if g_ir is ir and guard_holds(node, ir, value, errors, CALLER, deps):
                return facts | {checked}
        return facts

    Flow(step, MUST).run(f)
    return list(bad)
