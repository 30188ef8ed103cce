"""Which spec guards hold, on every non-reverting path, at the IRs an entry point cares about."""
from __future__ import annotations

from collections.abc import Callable

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.slithir.operations import HighLevelCall, Operation

from levcheck.specs.write_sets import Guard

from .flow import MUST, Flow
from .ir import Dependencies, guard_conditions, guard_holds


def unguarded(
    entry: Function, guards: tuple[Guard, ...], is_target: Callable[[Operation], bool]
) -> list[tuple[Node, tuple[str, ...]]]:
    """(node, missing guard names) for each target IR reached before all `guards` hold."""
    deps = Dependencies(entry)
    missing: dict[Node, set[str]] = {}

    def step(fn: Function, node: Node, ir: Operation, facts):
        if is_target(ir):
            lacking = {g.name for g in guards} - facts
            if lacking:
                missing.setdefault(node, set()).update(lacking)
        added = set()
        for g in guards:
            if isinstance(ir, HighLevelCall) and str(ir.function_name) in g.reverting_calls:
                added.add(g.name)
        for g_ir, value, errors in guard_conditions(node):
            if g_ir is ir:
                added |= {g.name for g in guards if guard_holds(node, ir, value, errors, g, deps)}
        return facts | added if added else facts

    Flow(step, MUST).run(entry)
    order = [g.name for g in guards]
    return [(n, tuple(sorted(m, key=order.index))) for n, m in missing.items()]
