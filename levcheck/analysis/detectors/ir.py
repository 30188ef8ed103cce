"""Small SlithIR helpers shared by the project detectors: reverts, guards, calls and a flow-insensitive
data-dependency graph over an entry point's whole internal call tree."""
from __future__ import annotations

from collections.abc import Iterator

from slither.core.cfg.node import Node, NodeType
from slither.core.declarations import Contract, Function, Modifier, SolidityVariableComposed
from slither.core.variables.state_variable import StateVariable
from slither.slithir.operations import (
    Assignment,
    Binary,
    BinaryType,
    Condition,
    Index,
    LibraryCall,
    Member,
    EventCall,
    HighLevelCall,
    InternalCall,
    LowLevelCall,
    Operation,
    OperationWithLValue,
    Return,
    Send,
    SolidityCall,
    Transfer,
)
from slither.slithir.variables import Constant, ReferenceVariable, TemporaryVariable

from levcheck.specs.write_sets import Guard


def contracts_named(contracts: list[Contract], names) -> Iterator[Contract]:
    """The concrete (non-interface) contracts whose name the spec uses."""
    for c in contracts:
        if c.name in names and not c.is_interface and not c.is_library:
            yield c


def is_constructor_like(f: Function) -> bool:
    return f.is_constructor or f.is_constructor_variables


def entry_points(c: Contract) -> list[Function]:
    """External/public functions that can change state (views cannot write or pay)."""
    return [f for f in c.functions_entry_points if not is_constructor_like(f)]


def entry_named(c: Contract, name: str) -> Function | None:
    for f in c.functions_entry_points:
        if f.name == name and not is_constructor_like(f):
            return f
    return None


def cfg_order(f: Function) -> list[Node]:
    """Nodes reachable from the entry point, in depth-first order (node ids are not CFG order)."""
    if f.entry_point is None:
        return []
    seen: dict[Node, None] = {}
    stack = [f.entry_point]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen[n] = None
        stack.extend(reversed(n.sons))
    return list(seen)


def _solidity_name(ir: SolidityCall) -> str:
    return ir.function.name


def is_revert_node(node: Node) -> bool:
    """The node always reverts: a `revert ...` statement (a revert expression inside `require` does not)."""
    calls = [_solidity_name(ir) for ir in node.irs if isinstance(ir, SolidityCall)]
    if any(c.startswith("require") or c.startswith("assert") for c in calls):
        return False
    return any(c.startswith("revert") for c in calls) or node.type == NodeType.THROW


def revert_error_names(node: Node) -> set[str]:
    names = set()
    for ir in node.irs:
        if isinstance(ir, SolidityCall) and _solidity_name(ir).startswith("revert "):
            names.add(_solidity_name(ir)[len("revert ") :].split("(")[0])
    return names


def branch_errors(node: Node, limit: int = 40) -> set[str] | None:
    """For an IF node: the custom errors reverted on one of its branches before the branches merge,
    or None if no branch reverts (an IF whose failure does not revert is no guard)."""
    found: set[str] | None = None
    stack = list(node.sons)
    seen: set[Node] = set()
    while stack and len(seen) < limit:
        n = stack.pop()
        if n in seen or (n.type == NodeType.ENDIF and len(n.fathers) > 1 and n not in node.sons):
            continue
        seen.add(n)
        if is_revert_node(n):
            found = (found or set()) | revert_error_names(n)
            continue
        if n.type in (NodeType.ENDIF,) and len(n.fathers) > 1:
            continue
        stack.extend(n.sons)
    return found


def guard_conditions(node: Node) -> tuple[tuple[Operation, object, set[str]], ...]:
    """(ir, condition value, errors on failure) for each guarding condition in the node: a `require`,
    or an IF whose failing branch reverts."""
    key = id(node)
    hit = _GUARD_CACHE.get(key)
    if hit is None or hit[0] is not node:
        hit = (node, tuple(_guard_conditions(node)))
        _GUARD_CACHE[key] = hit
    return hit[1]


_GUARD_CACHE: dict[int, tuple[Node, tuple]] = {}


def _guard_conditions(node: Node) -> Iterator[tuple[Operation, object, set[str]]]:
    for ir in node.irs:
        if isinstance(ir, SolidityCall):
            name = _solidity_name(ir)
            if (name.startswith("require") or name.startswith("assert")) and ir.arguments:
                yield ir, ir.arguments[0], revert_error_names(node) if len(ir.arguments) > 1 else set()
        elif isinstance(ir, Condition) and node.type == NodeType.IF:
            errors = branch_errors(node)
            if errors is not None:
                yield ir, ir.value, errors


def callee(ir: Operation) -> Function | None:
    """The function an IR runs in this contract's context: an internal call, a modifier, or an
    internal library function (inlined by the compiler)."""
    if isinstance(ir, InternalCall) and isinstance(ir.function, Function):
        return ir.function
    if isinstance(ir, LibraryCall) and _internal(ir.function):
        return ir.function
    return None


def _internal(fn: object) -> bool:
    return isinstance(fn, Function) and fn.visibility in ("internal", "private")


def is_state_changing_call(ir: Operation) -> bool:
    """An external call the callee could use to re-enter: not a view/pure (staticcall) call."""
    if isinstance(ir, (LowLevelCall, Transfer, Send)):
        return True
    if isinstance(ir, HighLevelCall):
        fn = ir.function
        if isinstance(ir, LibraryCall) and _internal(fn):
            return False
        if isinstance(fn, Function) and (fn.view or fn.pure):
            return False
        if isinstance(fn, StateVariable):  # a public getter
            return False
        return True
    return False


def high_level_named(ir: Operation, names) -> bool:
    return isinstance(ir, HighLevelCall) and str(ir.function_name) in names


def state_written(ir: Operation) -> StateVariable | None:
    """The state variable an IR writes (directly or through a mapping/array/struct reference)."""
    if not isinstance(ir, OperationWithLValue) or ir.lvalue is None or isinstance(ir, (Index, Member)):
        return None  # Index/Member only make a reference; the write is the IR that assigns to it
    lv = ir.lvalue
    while isinstance(lv, ReferenceVariable):
        lv = lv.points_to_origin
    return lv if isinstance(lv, StateVariable) else None


def is_event(ir: Operation, name: str) -> bool:
    return isinstance(ir, EventCall) and str(ir.name) == name


def call_tree(f: Function) -> list[Function]:
    """f and every function/modifier it reaches through internal calls."""
    out: dict[Function, None] = {}
    stack = [f]
    while stack:
        g = stack.pop()
        if g in out:
            continue
        out[g] = None
        for n in g.nodes:
            for ir in n.irs:
                c = callee(ir)
                if c is not None:
                    stack.append(c)
    return list(out)


class Dependencies:
    """Flow-insensitive data dependencies over an entry point's internal call tree.

    `sources(v)` returns the leaves a value is computed from: constants, msg.sender & co., the
    HighLevelCall IRs whose results it uses, and (when `through_state` is False) state variables.
    Parameters of internal callees are linked to the arguments at every call site in the tree, and a
    state variable read to every write of it in the tree, so `baseHeld = baseHeld + out` makes later
    readers of `baseHeld` depend on the swap that returned `out`.
    """

    def __init__(self, entry: Function):
        self.defs: dict[object, list[list[object]]] = {}
        self.call_of: dict[object, HighLevelCall] = {}
        self.functions = call_tree(entry)
        for g in self.functions:
            for n in g.nodes:
                for ir in n.irs:
                    self._add(ir)

    def _def(self, var: object, reads: list[object]) -> None:
        self.defs.setdefault(var, []).append(reads)

    def _add(self, ir: Operation) -> None:
        c = callee(ir)
        if c is not None:
            for param, arg in zip(c.parameters, ir.arguments):
                self._def(param, [arg])
            if ir.lvalue is not None:
                returns = [v for n in c.nodes for r in n.irs if isinstance(r, Return) for v in r.values]
                self._def(ir.lvalue, returns)
            return
        if isinstance(ir, HighLevelCall):
            if ir.lvalue is not None:
                self.call_of[ir.lvalue] = ir
                self._def(ir.lvalue, [ir])
            return
        if isinstance(ir, OperationWithLValue) and ir.lvalue is not None:
            reads = list(ir.read)
            self._def(ir.lvalue, reads)
            lv = ir.lvalue
            while isinstance(lv, ReferenceVariable) and lv.points_to is not None:
                lv = lv.points_to
                self._def(lv, reads)

    def closure(self, value: object) -> list[object]:
        """Every variable and call the value is computed from (intermediates included)."""
        seen: dict[int, object] = {}
        stack = [value]
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen[id(v)] = v
            if isinstance(v, (HighLevelCall, Constant, SolidityVariableComposed)):
                continue
            for reads in self.defs.get(v, ()):
                stack.extend(reads)
        return list(seen.values())

    def sources(self, value: object) -> set[object]:
        out: set[object] = set()
        seen: set[int] = set()
        stack = [value]
        while stack:
            v = stack.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            if isinstance(v, HighLevelCall):
                out.add(v)
                continue
            if isinstance(v, (Constant, SolidityVariableComposed)):
                out.add(v)
                continue
            if isinstance(v, StateVariable):
                out.add(v)
            for reads in self.defs.get(v, ()):
                stack.extend(reads)
        return out


def calls_in(sources: set[object], names) -> list[HighLevelCall]:
    return [s for s in sources if isinstance(s, HighLevelCall) and str(s.function_name) in names]


def guard_holds(
    node: Node, ir: Operation, value: object, errors: set[str], guard: Guard, deps: Dependencies
) -> bool:
    """Does this guarding condition check `guard`? By the spec's error name, or by what it reads."""
    if errors & set(guard.errors):
        return True
    src = deps.sources(value)
    if guard.state_vars and any(isinstance(s, StateVariable) and s.name in guard.state_vars for s in src):
        return True
    if guard.call_results and calls_in(src, guard.call_results):
        return True
    if guard.reads_sender and any(isinstance(s, SolidityVariableComposed) and s.name == "msg.sender" for s in src):
        return True
    return False


def node_line(node: Node) -> int:
    lines = node.source_mapping.lines
    return lines[0] if lines else 0


def is_modifier(f: Function) -> bool:
    return isinstance(f, Modifier)


def nodes_where(entry: Function, predicate) -> list[Node]:
    """Nodes in entry's internal call tree holding an IR that satisfies predicate(ir)."""
    found = []
    for g in call_tree(entry):
        for n in g.nodes:
            if any(predicate(ir) for ir in n.irs):
                found.append(n)
    return found


# ----------------------------------------------------------------------------- constant arguments
# Enough constant folding to see that `_restore(Trigger.Ripcord, ...)` never takes the
# `if (trigger != Trigger.Ripcord)` branch: constants, enum members, == / != and parameters bound to
# constant arguments at the call site.
_DEFS: dict[int, tuple[Function, dict]] = {}


def _single_defs(f: Function) -> dict:
    hit = _DEFS.get(id(f))
    if hit is None or hit[0] is not f:
        defs = {}
        for n in f.nodes:
            for ir in n.irs:
                if isinstance(ir, OperationWithLValue) and isinstance(ir.lvalue, (TemporaryVariable, ReferenceVariable)):
                    defs[ir.lvalue] = ir
        hit = (f, defs)
        _DEFS[id(f)] = hit
    return hit[1]


def const_value(v: object, f: Function, consts: dict) -> tuple | None:
    if isinstance(v, Constant):
        return ("const", v.value)
    if v in consts:
        return consts[v]
    ir = _single_defs(f).get(v) if isinstance(v, (TemporaryVariable, ReferenceVariable)) else None
    if isinstance(ir, Member) and type(ir.variable_left).__name__.startswith("Enum"):
        return ("enum", str(ir.variable_left), str(ir.variable_right))
    if isinstance(ir, Assignment):
        return const_value(ir.rvalue, f, consts)
    if isinstance(ir, Binary) and ir.type in (BinaryType.EQUAL, BinaryType.NOT_EQUAL):
        a, b = const_value(ir.variable_left, f, consts), const_value(ir.variable_right, f, consts)
        if a is not None and b is not None:
            return ("const", (a == b) == (ir.type == BinaryType.EQUAL))
    return None


def decided_branch(node: Node, f: Function, consts: dict) -> bool | None:
    """For an IF node: True/False when its condition is a known constant, else None."""
    if node.type != NodeType.IF or not consts:
        return None
    for ir in node.irs:
        if isinstance(ir, Condition):
            val = const_value(ir.value, f, consts)
            if val is not None and val[0] == "const" and isinstance(val[1], bool):
                return val[1]
    return None


def is_lock_modifier(m: Function) -> bool:
    """A modifier that checks a state variable in a reverting condition and writes it: a lock."""
    if not is_modifier(m):
        return False
    checked: set = set()
    written: set = set()
    for g in call_tree(m):
        for node in g.nodes:
            if guard_conditions(node):
                checked |= set(node.state_variables_read)
            written |= set(node.state_variables_written)
    return bool(checked & written)
