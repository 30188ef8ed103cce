"""A forward data-flow walk over Slither's CFG, IR by IR, through internal calls and modifiers.

Facts are frozensets. With `meet=MUST` a fact holds at a point only if it holds on every
non-reverting path to it (guards, emitted events); with `meet=MAY` on some path (external calls made).
Reverting nodes end their path: what follows a `revert` is not a path the transaction survives.
"""
from __future__ import annotations

from collections.abc import Callable

from slither.core.cfg.node import Node, NodeType
from slither.core.declarations import Function
from slither.slithir.operations import Operation

from .ir import callee, cfg_order, const_value, decided_branch, is_modifier, is_revert_node

Facts = frozenset
Step = Callable[[Function, Node, Operation, Facts], Facts]


def MUST(a: Facts, b: Facts) -> Facts:
    return a & b


def MAY(a: Facts, b: Facts) -> Facts:
    return a | b


class Flow:
    def __init__(self, step: Step, meet: Callable[[Facts, Facts], Facts] = MUST, max_depth: int = 12):
        self.step = step
        self.meet = meet
        self.max_depth = max_depth
        self._memo: dict[tuple, Facts] = {}
        self._active: set[Function] = set()

    def run(self, f: Function, entry: Facts = frozenset(), consts: dict | None = None) -> Facts:
        """Walk f; return the facts at its normal exits (at `_` for a modifier). `consts` binds
        parameters to constant arguments, so branches they decide are followed one way only."""
        consts = consts or {}
        key = (f, entry, frozenset(consts.items()))
        if key in self._memo:
            return self._memo[key]
        if f in self._active or len(self._active) >= self.max_depth:
            return entry  # recursion: assume the call changes nothing
        self._active.add(f)
        try:
            out = self._walk(f, entry, consts)
        finally:
            self._active.discard(f)
        self._memo[key] = out
        return out

    def exits(self, f: Function, entry: Facts = frozenset()) -> dict[Node, Facts]:
        """The facts at each normal exit node of f (a return, or the end of the body)."""
        return self._walk_nodes(f, entry, {})[0]

    def _walk(self, f: Function, entry: Facts, consts: dict) -> Facts:
        exits, placeholder = self._walk_nodes(f, entry, consts)
        found = list(exits.values())
        if is_modifier(f):
            found = placeholder or found
        if not found:
            return entry  # never returns normally
        out = found[0]
        for e in found[1:]:
            out = self.meet(out, e)
        return out

    def _walk_nodes(self, f: Function, entry: Facts, consts: dict) -> tuple[dict[Node, Facts], list[Facts]]:
        nodes = cfg_order(f)
        exits: dict[Node, Facts] = {}
        placeholder: list[Facts] = []
        if not nodes:
            return exits, placeholder
        inn: dict[Node, Facts] = {nodes[0]: entry}
        work = [nodes[0]]
        while work:
            node = work.pop()
            facts = inn[node]
            if node.type == NodeType.PLACEHOLDER:
                placeholder.append(facts)
            for ir in node.irs:
                facts = self.step(f, node, ir, facts)
                c = callee(ir)
                if c is not None:
                    bound = {}
                    for param, arg in zip(c.parameters, ir.arguments):
                        val = const_value(arg, f, consts)
                        if val is not None:
                            bound[param] = val
                    facts = self.run(c, facts, bound)
            if is_revert_node(node):
                continue
            if not node.sons:
                exits[node] = facts
            sons = node.sons
            decided = decided_branch(node, f, consts)
            if decided is not None and node.son_true is not None and node.son_false is not None:
                sons = [node.son_true if decided else node.son_false]
            for son in sons:
                new = facts if son not in inn else self.meet(inn[son], facts)
                if son not in inn or new != inn[son]:
                    inn[son] = new
                    work.append(son)
        return exits, placeholder
