"""Which contract lines, branches and functions a fuzz campaign executed.

The campaign itself runs untraced. Afterwards the steps of every example it ran (`Recorder.executed`)
are replayed on a *tracing* EVM and each executed program counter is mapped to source through the
solc source maps of the one build (`Artifact.srcmap` / `deployed_srcmap`, the AST of each unit).

The tracing EVM is a private anvil (the project's `anvil` backend binary) asked for geth-style struct
logs (`debug_traceCall`, `debug_traceTransaction`): pyrevm 0.3.7's `tracing=True` writes every JSON
fragment of its EIP-3155 trace through a freshly compiled Python `print` (measured 6.5 ms per opcode,
~150 opcodes/s: a single mint takes minutes), so it cannot replay a campaign.

The replay drives the EVM with the fuzzer's own step -> transaction table (`driver.Chain`) and reads
the views when the campaign read them (every `VIEWS_EVERY`-th step and at the end of an example); the
model is not involved: what executed on the EVM is what is counted, whether or not it agrees.

Items, in the spirit of forge coverage (AST items, instructions anchored to them):
  - a *line* is the first line of a statement in a function or modifier body; its count is the most
    times any instruction anchored to that statement (innermost enclosing statement) ran;
  - a *function* is a FunctionDefinition / ModifierDefinition with a body; its count is the most times
    an instruction mapped to the whole definition (its entry and exit jumps) ran;
  - a *branch* is a JUMPI mapped to a decision of the source (an `if`, a loop, `?:`, `require`/`assert`,
    a short-circuit `&&`/`||`), with both outcomes counted: taken (0) and fall-through (1). JUMPIs the
    compiler adds for checked arithmetic, ABI decoding or call-value checks are not branches of the
    source and are left out.
"""
from __future__ import annotations

import bisect
import json
import socket
import time as wallclock
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..errors import LevcheckError, ToolchainError
from .build import Artifact, Artifacts
from .evm.base import EVM

TX_GAS = 20_000_000
CALLS = {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"}
CREATES = {"CREATE", "CREATE2"}
STATEMENTS = {
    "ExpressionStatement", "VariableDeclarationStatement", "Return", "EmitStatement", "RevertStatement",
    "IfStatement", "ForStatement", "WhileStatement", "DoWhileStatement", "Break", "Continue",
    "InlineAssembly", "TryStatement", "UncheckedBlock", "PlaceholderStatement",
}
DECISIONS = {"IfStatement", "ForStatement", "WhileStatement", "DoWhileStatement", "Conditional"}


# ---------------------------------------------------------------------------------- source maps


def decode_srcmap(srcmap: str) -> list[tuple[int, int, int, str]]:
    """solc's compressed source map -> one (start, length, file index, jump) per instruction.
    Entries are `s:l:f:j:m` separated by `;`; an empty field repeats the previous entry's."""
    out: list[tuple[int, int, int, str]] = []
    cur = [0, 0, -1, "-"]
    for entry in srcmap.split(";") if srcmap else []:
        for i, v in enumerate(entry.split(":")[:4]):
            if v:
                cur[i] = v if i == 3 else int(v)
        out.append((cur[0], cur[1], cur[2], cur[3]))
    return out


def instruction_pcs(code: bytes) -> list[int]:
    """The program counter of each instruction, in order (PUSH1..PUSH32 carry 1..32 bytes of data)."""
    pcs, pc = [], 0
    while pc < len(code):
        pcs.append(pc)
        op = code[pc]
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return pcs


def _walk(node: Any, parents: tuple = ()) -> Iterable[tuple[dict, tuple]]:
    if isinstance(node, dict):
        if "nodeType" in node:
            yield node, parents
            parents = parents + (node,)
        for v in node.values():
            yield from _walk(v, parents)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, parents)


def _src(node: dict) -> tuple[int, int, int]:
    s, l, f = node["src"].split(":")
    return int(s), int(l), int(f)


@dataclass(frozen=True)
class Function:
    path: str
    name: str  # "Contract.function" ("Contract.constructor", "Contract.fallback", a modifier by its name)
    line: int
    end_line: int
    src: tuple[int, int, int]


@dataclass
class SourceIndex:
    """Per source file: its lines, statements (anchors for line hits), functions and decisions."""

    paths: dict[int, str]  # solc source id -> source unit name
    text: dict[str, str]
    line_starts: dict[str, list[int]]
    statements: dict[int, list[tuple[int, int, int]]]  # file id -> (start, end, line), sorted by start
    functions: list[Function]
    decisions: set[tuple[int, int, int]]  # (start, length, file) of every decision node

    @classmethod
    def of(cls, artifacts: Artifacts) -> "SourceIndex":
        paths: dict[int, str] = {}
        for art in artifacts.values():
            if art.ast.get("src"):
                paths[_src(art.ast)[2]] = art.source_path
        text = {p: artifacts.sources[p] for p in paths.values()}
        # solc counts `src` offsets in bytes of the UTF-8 source
        line_starts = {p: [0] + [i + 1 for i, b in enumerate(t.encode()) if b == 0x0A] for p, t in text.items()}
        idx = cls(paths, text, line_starts, {}, [], set())
        for fid, path in paths.items():
            unit = next(a.ast for a in artifacts.values() if a.source_path == path)
            idx._index_unit(fid, path, unit)
        return idx

    def line_of(self, path: str, offset: int) -> int:
        return bisect.bisect_right(self.line_starts[path], offset)

    def _index_unit(self, fid: int, path: str, unit: dict) -> None:
        stmts = []
        for node, parents in _walk(unit):
            kind = node["nodeType"]
            if kind in ("FunctionDefinition", "ModifierDefinition") and node.get("body"):
                s, l, f = _src(node)
                contract = next((p.get("name") for p in reversed(parents) if p["nodeType"] == "ContractDefinition"), "")
                name = node.get("name") or node.get("kind", "function")
                self.functions.append(Function(path, f"{contract}.{name}" if contract else name,
                                               self.line_of(path, s), self.line_of(path, s + l), (s, l, f)))
            elif kind in STATEMENTS and any(p["nodeType"] in ("FunctionDefinition", "ModifierDefinition") for p in parents):
                s, l, _ = _src(node)
                stmts.append((s, s + l, self.line_of(path, s)))
            if kind in DECISIONS or (kind == "BinaryOperation" and node.get("operator") in ("&&", "||")):
                self.decisions.add(_src(node))
            elif kind == "FunctionCall" and node.get("expression", {}).get("name") in ("require", "assert"):
                self.decisions.add(_src(node))
                # solc maps a require's JUMPI to its condition (the first argument)
                if node.get("arguments"):
                    self.decisions.add(_src(node["arguments"][0]))
        self.statements[fid] = sorted(stmts)

    def statement_at(self, fid: int, start: int, end: int) -> tuple[str, int] | None:
        """(path, line) of the innermost statement containing [start, end)."""
        best = None
        for s, e, line in self.statements.get(fid, ()):
            if s > start:
                break
            if e >= end and (best is None or e - s < best[0]):
                best = (e - s, line)
        return None if best is None else (self.paths[fid], best[1])


@dataclass
class CodeMap:
    """One bytecode (a contract's runtime or creation code): what each pc is, in source terms."""

    name: str
    line: dict[int, tuple[str, int]]  # pc -> (path, statement line)
    function: dict[int, Function]  # pc -> the function whose whole range it maps to (entry/exit)
    branch: dict[int, tuple[str, int]]  # JUMPI pc that is a decision -> (path, line)

    @classmethod
    def of(cls, name: str, code: bytes, srcmap: str, idx: SourceIndex) -> "CodeMap":
        by_range = {f.src: f for f in idx.functions}
        m = cls(name, {}, {}, {})
        for pc, (s, l, f, _) in zip(instruction_pcs(code), decode_srcmap(srcmap)):
            if f not in idx.paths:
                continue  # compiler-generated code (f = -1) or a generated Yul source
            at = idx.statement_at(f, s, s + l)
            if at is not None:
                m.line[pc] = at
            if (s, l, f) in by_range:
                m.function[pc] = by_range[(s, l, f)]
            if code[pc] == 0x57 and (s, l, f) in idx.decisions:
                m.branch[pc] = (idx.paths[f], idx.line_of(idx.paths[f], s))
        return m


# ---------------------------------------------------------------------------------- hits


@dataclass
class Coverage:
    """What executed, by source: the LCOV data of `levcheck.report.coverage`."""

    index: SourceIndex
    lines: dict[str, dict[int, int]] = field(default_factory=dict)  # path -> line -> count (0: missed)
    functions: dict[Function, int] = field(default_factory=dict)
    branches: dict[str, dict[tuple[int, str, int], list[int]]] = field(default_factory=dict)  # path -> (line, code, pc) -> [taken, not]
    examples: int = 0  # examples replayed
    examples_total: int = 0  # examples the campaign recorded
    steps: int = 0
    transactions: int = 0  # traced EVM executions (transactions, deploys and view calls)
    opcodes: int = 0
    seconds: float = 0.0

    @staticmethod
    def pct(hit: int, total: int) -> float:
        return 100.0 * hit / total if total else 100.0

    def totals(self) -> dict[str, tuple[int, int]]:
        """{"lines" | "branches" | "functions": (hit, found)} over every file."""
        lh = sum(1 for ls in self.lines.values() for c in ls.values() if c)
        lf = sum(len(ls) for ls in self.lines.values())
        outcomes = [c for bs in self.branches.values() for pair in bs.values() for c in pair]
        fh = sum(1 for c in self.functions.values() if c)
        return {"lines": (lh, lf), "branches": (sum(1 for c in outcomes if c), len(outcomes)),
                "functions": (fh, len(self.functions))}

    def uncovered(self, path: str | None = None) -> dict[Function, list[int]]:
        """Per function with a missed line: its missed lines (the fuzzer's blind spots)."""
        out: dict[Function, list[int]] = {}
        for fn in sorted(self.functions, key=lambda f: (f.path, f.line, f.name)):
            if path is not None and fn.path != path:
                continue
            missed = [ln for ln, c in sorted(self.lines.get(fn.path, {}).items()) if not c and fn.line <= ln <= fn.end_line]
            if missed:
                out[fn] = missed
        return out


class _Counter:
    """Folds struct logs into per-code pc counts and JUMPI outcomes."""

    def __init__(self) -> None:
        self.pcs: dict[str, dict[int, int]] = {}
        self.jumps: dict[str, dict[int, list[int]]] = {}
        self.opcodes = 0

    def fold(self, logs: list[dict], top: str | None, callees: list[str | None]) -> None:
        """`callees`: the code key of each frame the logs enter, in order (the call tree, depth first)."""
        frames: list[str | None] = [top]
        enter = iter(callees)
        self.opcodes += len(logs)
        pdepth = 1
        for i, log in enumerate(logs):
            depth = log["depth"]
            if depth > pdepth:  # entered the frame the previous op called
                frames.append(next(enter, None))
            elif depth < pdepth:
                del frames[len(frames) - (pdepth - depth):]
            pdepth = depth
            key = frames[-1]
            if key is not None:
                counts = self.pcs.setdefault(key, {})
                pc = log["pc"]
                counts[pc] = counts.get(pc, 0) + 1
                if log["op"] == "JUMPI" and i + 1 < len(logs) and logs[i + 1]["depth"] == depth:
                    pair = self.jumps.setdefault(key, {}).setdefault(pc, [0, 0])
                    pair[0 if logs[i + 1]["pc"] != pc + 1 else 1] += 1


def _callees(call: dict, code_of: dict[str, str]) -> list[str | None]:
    """callTracer's tree -> the code key of every sub-call that runs code, depth first (a call to an
    account without code, or to a precompile, opens no frame in the struct logs)."""
    out: list[str | None] = []
    for sub in call.get("calls", ()):
        if sub.get("type") in CREATES:
            out.append(None)
        elif (sub.get("to") or "").lower() in code_of:
            out.append(code_of[sub["to"].lower()])
        out += _callees(sub, code_of)
    return out


# ---------------------------------------------------------------------------------- the tracing EVM


class TracingEVM(EVM):
    """A private anvil driven over raw JSON-RPC; every execution is traced once.

    Each transaction and each view is traced with `debug_traceCall` on the pending block at
    `evm.time`; a transaction is then mined (a reverting one too: anvil mines it with status 0 and
    nothing it did stays), and a trace whose outcome differs from the mined one is an error."""

    name = "anvil-traced"
    # the stack would tell each CALL's target, but it is most of the JSON: the targets come from a
    # second, small callTracer trace of the same call instead
    TRACE = {"disableStorage": True, "disableMemory": True, "disableStack": True, "enableReturnData": False}
    CALL_TRACE = {"tracer": "callTracer"}

    def __init__(self, counter: _Counter, initcode: list[tuple[bytes, str]]) -> None:
        super().__init__()
        from .evm.web3_backend import start_anvil

        self.node = start_anvil()
        host, port = self.node.url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.counter = counter
        self.code_of: dict[str, str] = {}  # address (lower) -> code key (runtime)
        self.initcode = initcode  # (creation bytecode, code key), longest first
        self.executions = 0
        self._id = 0
        self._last_set: int | None = None
        latest = int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        if latest >= self.time:
            raise ToolchainError(f"the tracing anvil started at {latest}, past levcheck's clock {self.time}")

    def rpc(self, method: str, params: list) -> Any:
        # One keep-alive HTTP/1.1 connection written by hand: http.client costs ~1.1 ms a round trip
        # here, this ~0.25 ms (a replay makes thousands).
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params}).encode()
        self.sock.sendall(b"POST / HTTP/1.1\r\nHost: anvil\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        resp = json.loads(self._response())
        if "error" in resp:
            raise ToolchainError(f"anvil: {method} failed: {resp['error']}")
        return resp["result"]

    def _response(self) -> bytes:
        status = self.reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise ToolchainError(f"anvil answered {status.strip()!r}")
        length, chunked = None, False
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return self.reader.read(length or 0)
        parts = []
        while (size := int(self.reader.readline().split(b";")[0], 16)) > 0:
            parts.append(self.reader.read(size))
            self.reader.readline()
        self.reader.readline()
        return b"".join(parts)

    def _at_time(self) -> None:
        if self._last_set != self.time:
            self.rpc("evm_setNextBlockTimestamp", [self.time])
            self._last_set = self.time

    def _fund(self, address: str, label: str) -> None:
        self.rpc("anvil_setBalance", [address, hex(10**24)])
        self.rpc("anvil_impersonateAccount", [address])

    def _mine(self, tx: dict, top: str | None) -> tuple[bool, Any, list]:
        # anvil keeps no steps of a mined transaction (without --steps-tracing), so the transaction is
        # traced as a call on the pending block (same state, same timestamp) and then mined
        self._at_time()
        tx.update(gas=hex(TX_GAS), gasPrice="0x0")
        trace = self._trace(tx, top)
        h = self.rpc("eth_sendTransaction", [tx])
        self._last_set = None
        receipt = self.rpc("eth_getTransactionReceipt", [h])
        for _ in range(2000):  # anvil answers eth_sendTransaction a moment before the block is in
            if receipt is not None:
                break
            wallclock.sleep(0.001)
            receipt = self.rpc("eth_getTransactionReceipt", [h])
        else:
            raise ToolchainError(f"anvil did not mine a transaction to {tx.get('to')} at {self.time}")
        ok = receipt["status"] == "0x1"
        if ok == bool(trace.get("failed")):
            raise ToolchainError(f"anvil: the traced call and the mined transaction to {tx.get('to')} at {self.time} disagree")
        out = bytes.fromhex(trace.get("returnValue", "").removeprefix("0x"))
        if not ok:
            return False, out, []
        logs = [(lg["address"], [bytes.fromhex(t[2:]) for t in lg["topics"]], bytes.fromhex(lg["data"][2:])) for lg in receipt["logs"]]
        return True, receipt.get("contractAddress") or out, logs

    def _trace(self, tx: dict, top: str | None) -> dict:
        trace = self.rpc("debug_traceCall", [tx, "pending", self.TRACE])
        logs = trace.get("structLogs", [])
        callees: list[str | None] = []
        if any(log["depth"] > 1 for log in logs):
            callees = _callees(self.rpc("debug_traceCall", [tx, "pending", self.CALL_TRACE]), self.code_of)
        self.executions += 1
        self.counter.fold(logs, top, callees)
        return trace

    def _deploy(self, sender: str, initcode: bytes):
        top = next((key for code, key in self.initcode if initcode.startswith(code)), None)
        ok, address, logs = self._mine({"from": sender, "data": "0x" + initcode.hex()}, top)
        if ok and top is not None:
            self.code_of[address.lower()] = top.removesuffix(":init")  # what its calls run from now on
        return ok, address, logs

    def _transact(self, sender: str, to: str, data: bytes):
        return self._mine({"from": sender, "to": to, "data": "0x" + data.hex()}, self.code_of.get(to.lower()))

    def _call(self, sender: str, to: str, data: bytes):
        self._at_time()
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(TX_GAS), "gasPrice": "0x0"}
        trace = self._trace(tx, self.code_of.get(to.lower()))
        return not trace.get("failed"), bytes.fromhex(trace.get("returnValue", "").removeprefix("0x"))

    def _snapshot(self) -> Any:
        return self.rpc("evm_snapshot", [])

    def _revert(self, snap: Any) -> None:
        if not self.rpc("evm_revert", [snap]):
            raise ToolchainError("anvil: evm_revert refused a snapshot")
        self._last_set = None

    def storage(self, address: str, slot: int) -> int:
        return int(self.rpc("eth_getStorageAt", [address, hex(slot), "latest"]), 16)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()
        self.node.close()


# ---------------------------------------------------------------------------------- the replay


def replay_coverage(
    groups: Sequence[tuple[Any, Sequence[Sequence[Any]]]],
    artifacts: Artifacts,
    actors: tuple[str, ...],
    funding: dict[str, int],
    views_every: int,
    seconds: float | None = None,
) -> Coverage:
    """Replay each group's examples (lists of scenario `Step`s, each from the freshly deployed market
    of the group's `MarketParams`) on a tracing EVM, as the campaign ran them, and map what executed
    to source. Groups are the parameter sets of a portfolio campaign: each gets a fresh anvil (same
    clock as its campaign) and an equal share of `seconds`, after which it stops between examples
    (`Coverage.examples` then says how many of `examples_total` were replayed)."""
    import time

    groups = [(params, [list(e) for e in examples if e]) for params, examples in groups]
    total = sum(len(examples) for _, examples in groups)
    if not total:
        raise LevcheckError("coverage: the campaign recorded no executed example (was it run with record_examples?)")
    idx = SourceIndex.of(artifacts)
    maps: dict[str, CodeMap] = {}
    initcode: list[tuple[bytes, str]] = []
    for art in artifacts.values():
        if art.bytecode:
            maps[f"{art.name}:init"] = CodeMap.of(f"{art.name}:init", art.bytecode, art.srcmap, idx)
            maps[art.name] = CodeMap.of(art.name, art.deployed_bytecode, art.deployed_srcmap, idx)
            initcode.append((art.bytecode, f"{art.name}:init"))
    initcode.sort(key=lambda x: -len(x[0]))  # the longest prefix wins
    counter = _Counter()
    cov = Coverage(idx)
    started = time.perf_counter()
    share = None if seconds is None else seconds / len([g for g in groups if g[1]])
    for params, examples in groups:
        if examples:
            _replay_group(params, examples, artifacts, actors, funding, views_every, share, initcode, counter, cov)
    cov.seconds = time.perf_counter() - started
    cov.examples_total, cov.opcodes = total, counter.opcodes
    _fill(cov, maps, counter)
    return cov


def _replay_group(params: Any, examples: list[list[Any]], artifacts: Artifacts, actors: tuple[str, ...], funding: dict[str, int],
                  views_every: int, seconds: float | None, initcode: list[tuple[bytes, str]], counter: _Counter, cov: Coverage) -> None:
    import time

    from .deploy import deploy_market
    from .driver import Chain

    evm = TracingEVM(counter, initcode)
    started = time.perf_counter()
    try:
        market = deploy_market(evm, params, artifacts=artifacts)
        chain = Chain(market, actors, fast=False)
        chain.setup_actors(funding)
        base = evm.snapshot()
        for n, steps_of in enumerate(examples):
            if seconds is not None and n and time.perf_counter() - started > seconds:
                break
            evm.revert(base)
            base = evm.snapshot()  # anvil's snapshots are single-use
            for i, step in enumerate(steps_of):
                chain.apply(step)
                cov.steps += 1
                if i % views_every == 0:
                    chain.read_views()
            if len(steps_of) % views_every != 1:  # the machine's teardown reads them once more
                chain.read_views()
            cov.examples += 1
    finally:
        cov.transactions += evm.executions
        evm.close()


def _fill(cov: Coverage, maps: dict[str, CodeMap], counter: _Counter) -> None:
    # instrumented: a statement line or function some instruction of some deployed bytecode is
    # anchored to (an `unchecked {` line, or an internal function the compiler left out, is not)
    idx = cov.index
    for path in idx.text:
        cov.lines[path] = {}
        cov.branches[path] = {}
    for m in maps.values():
        for path, line in m.line.values():
            cov.lines[path][line] = 0
        for fn in m.function.values():
            cov.functions[fn] = 0
    for key, m in sorted(maps.items()):
        # within one bytecode an item ran as often as its most-run instruction; a library function
        # inlined into several contracts ran the sum of its copies' counts
        counts = counter.pcs.get(key, {})
        lines: dict[tuple[str, int], int] = {}
        for pc, at in m.line.items():
            lines[at] = max(lines.get(at, 0), counts.get(pc, 0))
        for (path, line), n in lines.items():
            cov.lines[path][line] += n
        fns: dict[Function, int] = {}
        for pc, fn in m.function.items():
            fns[fn] = max(fns.get(fn, 0), counts.get(pc, 0))
        for fn, n in fns.items():
            cov.functions[fn] += n
        jumps = counter.jumps.get(key, {})
        for pc, (path, line) in sorted(m.branch.items()):
            # one decision compiled into several bytecodes is one LCOV block per copy
            cov.branches[path][(line, key, pc)] = list(jumps.get(pc, [0, 0]))
