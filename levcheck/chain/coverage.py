"""Which contract lines, branches and functions a fuzz campaign executed.

The campaign itself runs untraced. Afterwards the steps of every example it ran (`Recorder.executed`)
are replayed on an *instrumented* build of the same sources (`levcheck.chain.instrument`: a probe
before every statement, at every function entry and in both arms of every `if`, a counter in the
contract's own storage; a reverted execution is re-run to recover what it ran), on pyrevm, untraced,
through the fuzzer's own step -> transaction table (`driver.Chain`); the views are read when the
campaign read them (every `VIEWS_EVERY`-th step and at the end of an example). The model is not involved: what executed on the EVM is what is counted, whether or not it
agreed with the model. (Tracing every opcode instead cost ~50x the campaign: pyrevm's tracer prints
each JSON fragment through a fresh Python compile, and anvil's struct logs are ~100 bytes an opcode.)

Items, in the spirit of forge coverage (AST items):
  - a *line* is the first line of a statement in a function or modifier body that some bytecode
    carries (an internal function the compiler left out is not counted); its count is the most times
    any statement starting on it ran;
  - a *function* is a FunctionDefinition / ModifierDefinition with a body; its count is its entries;
  - a *branch* is an `if` with its two arms counted: the condition true (0) and false (1); an `if`
    without `else` counts its false arm as an empty `else`.
A transaction reverted by the compiler's own checks (Panic: checked arithmetic, division by zero) or
by a failed ABI decode rolls its probes back with it: those executions are counted apart
(`Coverage.unattributed`); every `revert` statement of the sources hands its probes back.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from eth_utils import keccak

from ..errors import LevcheckError
from .build import Artifacts, build_sources
from .evm.pyrevm_backend import BlockEnv, PyrevmEVM, _revert_data
from .instrument import HUB, HUB_UNIT, REPLAY_MARK, Probe, Probes, ast_nodes, instrument_sources, line_starts, src_of

ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class Function:
    path: str
    name: str  # "Contract.function" ("Contract.constructor", "Contract.fallback", a modifier by its name)
    line: int
    end_line: int
    src: tuple[int, int, int]


@dataclass
class SourceIndex:
    """Per source file: its text, lines and functions."""

    paths: dict[int, str]  # solc source id -> source unit name
    text: dict[str, str]
    line_starts: dict[str, list[int]]
    functions: list[Function]

    @classmethod
    def of(cls, artifacts: Artifacts) -> "SourceIndex":
        paths: dict[int, str] = {}
        for art in artifacts.values():
            if art.ast.get("src"):
                paths[src_of(art.ast)[2]] = art.source_path
        text = {p: artifacts.sources[p] for p in paths.values()}
        # solc counts `src` offsets in bytes of the UTF-8 source
        starts = {p: line_starts(t.encode()) for p, t in text.items()}
        idx = cls(paths, text, starts, [])
        for path in paths.values():
            unit = next(a.ast for a in artifacts.values() if a.source_path == path)
            for node, parents in ast_nodes(unit):
                if node["nodeType"] in ("FunctionDefinition", "ModifierDefinition") and node.get("body"):
                    s, l, f = src_of(node)
                    contract = next((p.get("name") for p in reversed(parents) if p["nodeType"] == "ContractDefinition"), "")
                    name = node.get("name") or node.get("kind", "function")
                    idx.functions.append(Function(path, f"{contract}.{name}" if contract else name,
                                                  idx.line_of(path, s), idx.line_of(path, s + l), (s, l, f)))
        return idx

    def line_of(self, path: str, offset: int) -> int:
        return bisect.bisect_right(self.line_starts[path], offset)


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
    transactions: int = 0  # EVM executions replayed (transactions, deploys and view calls)
    reruns: int = 0  # of which reverted and were run again for their probes
    unattributed: int = 0  # of which reverted by the compiler's checks: what they ran is not counted
    probes: int = 0  # probe hits counted
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


# ---------------------------------------------------------------------------------- the instrumented EVM


class InstrumentedEVM(PyrevmEVM):
    """pyrevm running an instrumented build (`levcheck.chain.instrument`). Executions run as usual and
    their probes count in each contract's own storage (`read_counts`); one that reverted is run
    again in a reverted snapshot with the re-run coinbase, and the ids it hands back as its revert
    data (every contract's re-run list, collected by the hub) are added to `extra`. Views run as
    plain calls, kept (their probes' counts are all they write). Gas is not what the protocol's
    transactions cost (the probes pay for their storage): the gas limit and the code size limit are
    raised."""

    gas_limit = 2**50
    code_size_limit = 2**20  # the probes make LeveragedToken larger than EIP-170's 24,576 bytes
    name = "pyrevm"  # the driver's fast transport, as in the campaign

    def __init__(self, hub_code: bytes, extra: dict[int, int]) -> None:
        from pyrevm import AccountInfo

        self._coinbase = ZERO
        super().__init__()
        self.vm.insert_account_info(HUB, AccountInfo(balance=0, nonce=1, code_hash=keccak(hub_code), code=hub_code))
        self.extra = extra
        self._reader = self.account("levcheck-coverage")
        self.executions = 0
        self.reruns = 0
        self.unattributed = 0

    def _block(self) -> None:
        self.vm.set_block_env(BlockEnv(number=self.block_number, timestamp=self.time, gas_limit=self.gas_limit, basefee=0,
                                       coinbase=self._coinbase))

    def _rerun(self, run: Callable[[], Any]) -> None:
        """Run a reverted execution again with the probes listing their ids; count what it hands back."""
        self.reruns += 1
        snap = self.vm.snapshot()
        self._coinbase = REPLAY_MARK
        self._block()
        try:
            run()
            hits = None  # it did not revert this time: nothing to attribute (and the snapshot undoes it)
        except RuntimeError as err:
            hits = Probes.decode(_revert_data(err))
        finally:
            self._coinbase = ZERO
            self.vm.revert(snap)
            self._block()
        if hits is None:
            self.unattributed += 1
        for pid, n in (hits or {}).items():
            self.extra[pid] = self.extra.get(pid, 0) + n

    def _deploy(self, sender: str, initcode: bytes):
        self.executions += 1
        ok, out, logs = super()._deploy(sender, initcode)
        if not ok:
            self._rerun(lambda: self.vm.deploy(sender, initcode, gas=self.gas_limit))
        return ok, out, logs

    def _transact(self, sender: str, to: str, data: bytes):
        self.executions += 1
        ok, out, logs = super()._transact(sender, to, data)
        if not ok:
            self._rerun(lambda: self.vm.message_call(sender, to, data, gas=self.gas_limit))
        return ok, out, logs

    def _call(self, sender: str, to: str, data: bytes):
        return self.static_calls(sender, [(to, data)])[0]

    def static_calls(self, sender: str, calls: list[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        self._block()
        out = []
        for to, data in calls:
            self.executions += 1
            try:
                out.append((True, bytes(self.vm.message_call(sender, to, data, gas=self.gas_limit))))
            except RuntimeError as err:
                out.append((False, _revert_data(err)))
                self._rerun(lambda: self.vm.message_call(sender, to, data, gas=self.gas_limit))
        return out

    def register(self, addresses: list[str]) -> None:
        """Tell the hub whose re-run lists to collect (the deployed contracts)."""
        data = (1).to_bytes(32, "big") + b"".join(int(a, 16).to_bytes(32, "big") for a in addresses)
        self.vm.message_call(self._reader, HUB, data, gas=self.gas_limit)

    def read_counts(self, slots: list[tuple[str, int]]) -> list[int]:
        """The counters at (address, probe id): what the probes counted in each contract's storage."""
        reader = self.vm.storage
        return [reader(a, pid) for a, pid in slots]


@dataclass
class InstrumentedBuild:
    """The artifacts of the instrumented sources (same contract names), the hub and the probes."""

    artifacts: Artifacts
    hub_code: bytes
    probes: Probes
    compiled: dict[str, set[int]]  # contract name -> the probe ids its creation and runtime code carry

    @classmethod
    def of(cls, artifacts: Artifacts) -> "InstrumentedBuild":
        asts = {a.source_path: a.ast for a in artifacts.values()}
        sources, probes = instrument_sources(dict(artifacts.sources), asts)
        remappings = tuple(artifacts.std_input.get("settings", {}).get("remappings", ()))
        built = build_sources(sources, remappings)
        hub = next(a for a in built.values() if a.source_path == HUB_UNIT)
        compiled = {a.name: probes.compiled(a.bytecode, a.deployed_bytecode) for a in built.values() if a.source_path != HUB_UNIT}
        return cls(built, hub.deployed_bytecode, probes, compiled)


# ---------------------------------------------------------------------------------- the replay


@dataclass
class GroupCounts:
    """What one parameter set's replay counted (picklable: it may run on an engine's worker)."""

    counts: dict[int, int]  # probe id -> hits
    examples: int = 0
    steps: int = 0
    executions: int = 0
    reruns: int = 0
    unattributed: int = 0


Mapper = Callable[[Callable[..., Any], list[tuple]], list[Any]]  # fn, [args] -> [fn(*args)] (e.g. Engine.map)


def replay_coverage(
    groups: Sequence[tuple[Any, Sequence[Sequence[Any]]]],
    artifacts: Artifacts,
    actors: tuple[str, ...],
    funding: dict[str, int],
    views_every: int,
    mapper: Mapper | None = None,
) -> Coverage:
    """Replay each group's examples (lists of scenario `Step`s, each from the freshly deployed market
    of the group's `MarketParams`) on the instrumented build, as the campaign ran them, and count
    what executed by source. Groups are the parameter sets of a portfolio campaign; `mapper` runs
    them in parallel (an engine's workers), else one after the other here. Every example is
    replayed: the cost is about that of the campaign's EVM work (`levcheck bench --coverage`)."""
    import time

    groups = [(params, [list(e) for e in examples if e]) for params, examples in groups]
    groups = [(params, examples) for params, examples in groups if examples]
    total = sum(len(examples) for _, examples in groups)
    if not total:
        raise LevcheckError("coverage: the campaign recorded no executed example (was it run with record_examples?)")
    started = time.perf_counter()
    build = InstrumentedBuild.of(artifacts)  # compiled once, here: the workers get the artifacts
    calls = [(params, examples, build, actors, funding, views_every) for params, examples in groups]
    parts = mapper(replay_group, calls) if mapper is not None else [replay_group(*c) for c in calls]
    cov = Coverage(SourceIndex.of(artifacts), examples_total=total)
    counts: dict[int, int] = {}
    for part in parts:
        for pid, n in part.counts.items():
            counts[pid] = counts.get(pid, 0) + n
        cov.examples += part.examples
        cov.steps += part.steps
        cov.transactions += part.executions
        cov.reruns += part.reruns
        cov.unattributed += part.unattributed
    _fill(cov, build, counts)
    cov.seconds = time.perf_counter() - started
    return cov


def replay_group(params: Any, examples: list[list[Any]], build: InstrumentedBuild, actors: tuple[str, ...],
                 funding: dict[str, int], views_every: int) -> GroupCounts:
    """One parameter set: its market deployed on an `InstrumentedEVM`, every example replayed from
    the same post-setup snapshot, the probe counters read after each."""
    from .deploy import deploy_market
    from .driver import Chain

    extra: dict[int, int] = {}
    evm = InstrumentedEVM(build.hub_code, extra)
    out = GroupCounts({})
    try:
        market = deploy_market(evm, params, artifacts=build.artifacts)
        chain = Chain(market, actors)
        evm.register([c.address for c in chain.contracts.values()])
        chain.setup_actors(funding)
        # every probe counter of every deployed contract: its own storage, read after each example
        slots = [(c.address, pid) for c in chain.contracts.values() for pid in sorted(build.compiled[c.artifact.name])]
        base_counts = evm.read_counts(slots)  # the deployment and the actors' setup, counted once
        totals = list(base_counts)
        base = evm.snapshot()
        for steps_of in examples:
            evm.revert(base)
            base = evm.snapshot()
            for i, step in enumerate(steps_of):
                chain.apply(step)
                out.steps += 1
                if i % views_every == 0:
                    chain.read_views()
            if len(steps_of) % views_every != 1:  # the machine's teardown reads them once more
                chain.read_views()
            for k, (now, was) in enumerate(zip(evm.read_counts(slots), base_counts)):
                totals[k] += now - was
            out.examples += 1
        for (_, pid), n in zip(slots, totals):
            out.counts[pid] = out.counts.get(pid, 0) + n
        for pid, n in extra.items():
            out.counts[pid] = out.counts.get(pid, 0) + n
    finally:
        out.executions, out.reruns, out.unattributed = evm.executions, evm.reruns, evm.unattributed
        evm.close()
    return out


def _fill(cov: Coverage, build: InstrumentedBuild, counts: dict[int, int]) -> None:
    by_src = {f.src: f for f in cov.index.functions}
    for path in cov.index.text:
        cov.lines[path] = {}
        cov.branches[path] = {}
    arms: dict[tuple[str, int, tuple], list[int]] = {}
    for pid in sorted(set().union(*build.compiled.values())):
        p: Probe = build.probes.by_id[pid]
        n = counts.get(pid, 0)
        cov.probes += n
        if p.kind == "line":
            # several statements on one line: the line ran as often as the most-run of them
            cov.lines[p.path][p.line] = max(cov.lines[p.path].get(p.line, 0), n)
        elif p.kind == "function":
            cov.functions[by_src[p.src]] = n
        else:
            arms.setdefault((p.path, p.line, p.src), [0, 0])[0 if p.kind == "true" else 1] = n
    for (path, line, src), pair in arms.items():
        cov.branches[path][(line, "if", src[0])] = pair
