"""Source instrumentation for contract coverage: a probe before every statement, at every function
entry and in both arms of every `if`, counted while the instrumented build replays what a campaign
executed on pyrevm, untraced (tracing every opcode costs ~50x the campaign).

A probe is one inline-assembly statement inserted on the line of what it counts, so line numbers are
those of the original sources. It runs in one of two modes, chosen per execution by the block's
coinbase (which the protocol never reads):

  - coinbase 0 (every execution): `sstore(id, add(sload(id), 1))` in the running contract's own
    storage. The ids are 10-byte numbers, far from the layout's slots and from any mapping's hashed
    slots. Python reads the counters after each example (`InstrumentedEVM`).
  - coinbase `REPLAY_MARK` (the re-run of an execution that reverted: a revert rolls its counters
    back): each probe appends its id to a list in the contract's own storage (`LIST_LEN`, `LIST_AT`);
    every `revert` statement first has the hub contract at `HUB` collect the lists of all deployed
    contracts (each gains a reader, `LIST_FUNCTION`) and reverts with them as its revert data
    (`MAGIC`, n, the n ids hit), which bubbles up unchanged (the protocol catches no revert). The
    re-run runs in a snapshot that is then reverted, so the lists are empty again for the next one.
    What an execution reverted by the compiler's own checks (Panic: checked arithmetic, division by
    zero; ABI decoding) ran is lost: `Probes.decode` returns None for it and it is counted apart.
    (A call to the hub per probe, the first design, cost ~4x more: a call frame each.)

Probes write storage in any function, so the instrumented copy drops every `view` and `pure` keyword
(replaced by spaces: every AST offset still holds). Storage layout, events, control flow, results and
revert reasons are unchanged; gas is not, which the protocol never reads. The ids carry a 6-byte prefix
("levcov"), so the ids compiled into a bytecode are found by scanning it: a statement of an internal
function the compiler left out is not counted as a line (as forge coverage does).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Iterable

from eth_utils import keccak

HUB = "0x000000000000000000000000000000006c657663"  # "levc": no precompile, no derived account
REPLAY_MARK = "0x000000000000000000000000000000006c657664"  # the coinbase of a re-run: probes keep a list
ID_PREFIX = int.from_bytes(b"levcov", "big") << 32
MAGIC = keccak(text="levcheck coverage dump")
LIST_LEN = int.from_bytes(b"levcovlen", "big")  # a contract's re-run list: its length here,
LIST_AT = LIST_LEN << 64  # its ids from here (neither meets a probe id, the layout or a mapping's hash)
LIST_FUNCTION = "levcov_list_9d41()"  # added to every deployed contract: its re-run list, raw words
LIST_SELECTOR = keccak(text=LIST_FUNCTION)[:4]
HUB_UNIT = "levcheck-coverage/LevcovHub.sol"
HUB_SOURCE = f"""// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Collects the re-run lists. Calldata: word 1 then addresses (register the contracts, once, at setup),
/// or word 0 (collect: MAGIC, n, then the n ids every registered contract's list holds).
contract LevcovHub {{
    fallback() external {{
        assembly {{
            switch calldataload(0)
            case 0 {{
                let p := mload(0x40)
                mstore(p, {"0x" + MAGIC.hex()})
                let total := 0
                for {{ let i := 0 }} lt(i, sload(1)) {{ i := add(i, 1) }} {{
                    mstore(0, {"0x" + LIST_SELECTOR.hex()}{"00" * 28})
                    pop(call(gas(), sload(add(2, i)), 0, 0, 4, 0, 0))
                    returndatacopy(add(add(p, 64), mul(total, 32)), 0, returndatasize())
                    total := add(total, div(returndatasize(), 32))
                }}
                mstore(add(p, 32), total)
                return(p, add(64, mul(total, 32)))
            }}
            default {{
                let n := div(sub(calldatasize(), 32), 32)
                sstore(1, n)
                for {{ let i := 0 }} lt(i, n) {{ i := add(i, 1) }} {{
                    sstore(add(2, i), calldataload(add(32, mul(i, 32))))
                }}
            }}
        }}
    }}
}}
"""
_MUTABILITY = re.compile(rb"\b(view|pure)\b")


@dataclass(frozen=True)
class Probe:
    id: int
    kind: str  # "line" | "function" | "true" | "false" (the arms of an `if`)
    path: str
    line: int
    src: tuple[int, int, int]  # (start, length, file) of the statement, function or `if` it counts


def src_of(node: dict) -> tuple[int, int, int]:
    """(start, length, file id) of an AST node; solc counts in bytes of the UTF-8 source."""
    s, l, f = node["src"].split(":")
    return int(s), int(l), int(f)


def line_starts(raw: bytes) -> list[int]:
    """The byte offset where each line starts: `bisect_right(starts, offset)` is an offset's line."""
    return [0] + [i + 1 for i, b in enumerate(raw) if b == 0x0A]


def ast_nodes(node: Any, parents: tuple = ()) -> Iterable[tuple[dict, tuple]]:
    """Every AST node under `node`, with the nodes enclosing it (outermost first)."""
    if isinstance(node, dict):
        if "nodeType" in node:
            yield node, parents
            parents = parents + (node,)
        for v in node.values():
            yield from ast_nodes(v, parents)
    elif isinstance(node, list):
        for v in node:
            yield from ast_nodes(v, parents)


def _hit(pid: int) -> bytes:
    return (b"assembly{switch coinbase() case 0 {sstore(%d,add(sload(%d),1))} default {let levcov_n := sload(%d) "
            b"sstore(add(%d,levcov_n),%d) sstore(%d,add(levcov_n,1))}}" % (pid, pid, LIST_LEN, LIST_AT, pid, LIST_LEN))


# in a re-run, a `revert` statement reverts with every contract's list (the hub collects them)
_DUMP = (b"assembly{if coinbase() {mstore(0,0) pop(call(gas(),%s,0,0,32,0,0)) "
         b"returndatacopy(0,0,returndatasize()) revert(0,returndatasize())}}" % HUB.encode())

# the list's reader, added before the closing brace of every contract that is deployed
_LIST = ("function %s external {assembly{let n := sload(%d) for {let i := 0} lt(i, n) {i := add(i, 1)} "
         "{mstore(mul(i, 32), sload(add(%d, i)))} return(0, mul(n, 32))}}" % (LIST_FUNCTION, LIST_LEN, LIST_AT)).encode()

_SKIP_LINE = {"Block", "UncheckedBlock"}  # their statements carry the probes


class _Unit:
    """One source file being instrumented: insertions at byte offsets, in a stable order."""

    def __init__(self, path: str, text: str, probes: list[Probe]) -> None:
        self.path = path
        self.raw = text.encode()
        self.line_starts = line_starts(self.raw)
        self.probes = probes
        self.inserts: list[tuple[int, int, bytes]] = []  # (offset, order, text)
        self.blank: list[tuple[int, int]] = []  # byte ranges whose view/pure keywords become spaces

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def probe(self, kind: str, node: dict, at: int | None = None) -> bytes:
        s, l, f = src_of(node)
        p = Probe(ID_PREFIX | (len(self.probes) + 1), kind, self.path, self.line(s if at is None else at), (s, l, f))
        self.probes.append(p)
        return _hit(p.id)

    def add(self, offset: int, order: int, text: bytes) -> None:
        self.inserts.append((offset, order, text))

    def statement(self, node: dict) -> None:
        """Probes before a statement of a block (a `revert` dumps after its probe)."""
        if node["nodeType"] in _SKIP_LINE:
            return
        s = src_of(node)[0]
        self.add(s, 3, self.probe("line", node))
        if node["nodeType"] == "RevertStatement":
            self.add(s, 4, _DUMP)

    def body(self, node: dict, depth: int, first: bytes = b"") -> None:
        """A statement that is the body of an `if` arm or a loop: a block gets `first` after its
        `{`; a single statement is wrapped in braces so the probes can precede it. Closings at one
        offset go innermost first (`_closing`)."""
        s, l, _ = src_of(node)
        if node["nodeType"] == "Block":
            if first:
                self.add(s + 1, 1, first)
            return
        self.add(s, 1, b"{" + first)
        self.statement(node)
        self.add(self.end(node), _closing(depth, "wrap"), b"}")

    def end(self, node: dict) -> int:
        """Where a statement ends, its `;` included (solc's `src` of a simple statement stops before it)."""
        s, l, _ = src_of(node)
        i = s + l
        while i < len(self.raw) and self.raw[i] in b" \t\r\n":
            i += 1
        return i + 1 if i < len(self.raw) and self.raw[i] == 0x3B else s + l

    def text(self) -> str:
        raw = bytearray(self.raw)
        for a, b in self.blank:
            raw[a:b] = _MUTABILITY.sub(lambda m: b" " * len(m.group(0)), bytes(raw[a:b]))
        out, pos = [], 0
        for offset, _, ins in sorted(self.inserts, key=lambda x: (x[0], x[1])):
            out += [bytes(raw[pos:offset]), ins]
            pos = offset
        out.append(bytes(raw[pos:]))
        return b"".join(out).decode()


def _closing(depth: int, what: str) -> int:
    """The order of a closing insertion: deeper nodes first; an `if`'s added `else` before the brace
    that wraps the `if` itself. Negative: before any opening at the same offset."""
    return -2 * depth - (1 if what == "else" else 0)


def instrument_unit(path: str, text: str, ast: dict, probes: list[Probe], leaves: set[int]) -> str:
    """The instrumented text of one source unit (probes appended to `probes`); the contracts whose AST
    id is in `leaves` (no other contract derives from them) get the re-run list's reader."""
    u = _Unit(path, text, probes)
    for node, parents in ast_nodes(ast):
        depth = len(parents)
        kind = node["nodeType"]
        if kind == "ContractDefinition" and node["id"] in leaves:
            s, l, _ = src_of(node)
            u.add(s + l - 1, 0, _LIST)  # before its closing brace
        elif kind == "FunctionDefinition":
            s, l, _ = src_of(node)
            body = node.get("body")
            u.blank.append((s, src_of(body)[0] if body else s + l))  # the header only
            if body:
                u.add(src_of(body)[0] + 1, 2, u.probe("function", node))
        elif kind == "ModifierDefinition" and node.get("body"):
            u.add(src_of(node["body"])[0] + 1, 2, u.probe("function", node))
        elif kind in ("Block", "UncheckedBlock"):
            for st in node.get("statements") or ():
                u.statement(st)
        elif kind == "IfStatement":
            u.body(node["trueBody"], depth + 1, u.probe("true", node, at=src_of(node)[0]))
            if node.get("falseBody"):
                u.body(node["falseBody"], depth + 1, u.probe("false", node, at=src_of(node)[0]))
            else:
                u.add(u.end(node["trueBody"]), _closing(depth, "else"), b"else{" + u.probe("false", node, at=src_of(node)[0]) + b"}")
        elif kind in ("ForStatement", "WhileStatement", "DoWhileStatement") and node.get("body"):
            u.body(node["body"], depth + 1)
        elif kind == "FunctionTypeName":
            s, l, _ = src_of(node)
            u.blank.append((s, s + l))
    return u.text()


@dataclass
class Probes:
    """The probes of one instrumented build, by id."""

    by_id: dict[int, Probe]

    def compiled(self, *codes: bytes) -> set[int]:
        """The probe ids these bytecodes carry (PUSH data starting with the 6-byte prefix)."""
        prefix = (ID_PREFIX >> 32).to_bytes(6, "big")
        found: set[int] = set()
        for code in codes:
            i = code.find(prefix)
            while i >= 0:
                pid = int.from_bytes(code[i : i + 10], "big")
                if pid in self.by_id:
                    found.add(pid)
                i = code.find(prefix, i + 1)
        return found

    @staticmethod
    def decode(data: bytes) -> dict[int, int] | None:
        """A re-run's revert data ({id: hits}), or None when it is not one (a revert the compiler raised)."""
        if data[:32] != MAGIC:
            return None
        n = int.from_bytes(data[32:64], "big")
        out: dict[int, int] = {}
        for at in range(64, 64 + 32 * n, 32):
            pid = int.from_bytes(data[at : at + 32], "big")
            out[pid] = out.get(pid, 0) + 1
        return out


def instrument_sources(sources: dict[str, str], asts: dict[str, dict]) -> tuple[dict[str, str], Probes]:
    """Every source unit with an AST instrumented, plus the hub's unit."""
    contracts = [n for ast in asts.values() for n, _ in ast_nodes(ast) if n["nodeType"] == "ContractDefinition"]
    bases = {b for c in contracts for b in c.get("linearizedBaseContracts", ())[1:]}
    leaves = {c["id"] for c in contracts if c.get("contractKind") == "contract" and not c.get("abstract") and c["id"] not in bases}
    probes: list[Probe] = []
    out = {}
    for path, text in sorted(sources.items()):
        out[path] = instrument_unit(path, text, asts[path], probes, leaves) if asts.get(path) else text
    out[HUB_UNIT] = HUB_SOURCE
    return out, Probes({p.id: p for p in probes})
