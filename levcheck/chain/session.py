"""Model and EVM side by side: deploy both, apply each step to both, compare, check the invariants.

`Session` is the engine shared by the Hypothesis state machine (`fuzz.machine`) and the replayer
(`replay_scenario`): after every step it compares the revert reason, the return value, every event
and every state variable exactly, and (every `views_every`-th step of a scenario) every view the
contracts publish with the spec's value; then it checks every invariant of `specs.invariants` (once
when the two sides agree, on each side with its own state and outcome otherwise: an EVM revert the
model did not make is judged too). It counts, per invariant, the steps that exercised it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from levcheck.chain.build import Artifacts, build_contracts
from levcheck.chain.deploy import deploy_market
from levcheck.chain.evm import open_backend
from levcheck.specs.invariants import Outcome, Violation, check_all
from levcheck.specs.model import Model
from levcheck.specs.params import MarketParams
from levcheck.specs.state import SystemState, diff

from . import modelside
from .driver import Chain, actor_of, state_from_raw
from ..specs.scenario import DEFAULT_ACTORS, DEFAULT_FUNDING, Scenario, Step


@dataclass
class StepReport:
    index: int
    step: Step
    model: Outcome
    chain: Outcome
    differences: list[str] = field(default_factory=list)  # model-vs-EVM
    found: list[tuple[str, Violation]] = field(default_factory=list)  # (side: "both" | "model" | "EVM", violation)

    @property
    def violations(self) -> list[str]:
        """The violations as text, "side: invariant: message" (read the fields from `found`)."""
        return [f"{side}: {v}" for side, v in self.found]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.violations

    def render(self) -> str:
        lines = [f"{self.index:3d}. {self.step.describe()}  ->  {_summary(self.model)}"]
        if _summary(self.chain) != _summary(self.model):
            lines[0] += f"   (EVM: {_summary(self.chain)})"
        lines += [f"       DIFF {d}" for d in self.differences]
        lines += [f"       VIOLATION {v}" for v in self.violations]
        return "\n".join(lines)


def _summary(o: Outcome) -> str:
    if o.reverted:
        return f"revert {o.reverted}({', '.join(map(str, o.revert_args))})"
    return "ok" + (f" {o.result}" if o.result not in (None, ()) else "")


def compare_outcomes(m: Outcome, c: Outcome) -> list[str]:
    out = []
    if (m.reverted, tuple(m.revert_args)) != (c.reverted, tuple(c.revert_args)):
        out.append(f"revert: model {m.reverted}{tuple(m.revert_args)} vs EVM {c.reverted}{tuple(c.revert_args)}")
    if m.reverted is None and c.reverted is None and m.result != c.result:
        out.append(f"return value: model {m.result} vs EVM {c.result}")
    if m.events == c.events:
        return out
    # ERC-20 Transfers as what they do: the net balance change per (token, account) in the step
    mt, ct = _net_transfers(m.events), _net_transfers(c.events)
    for token, account in sorted(set(mt) | set(ct)):
        if mt.get((token, account), 0) != ct.get((token, account), 0):
            out.append(f"net {token} transfer to {account!r}: model {mt.get((token, account), 0)} vs EVM {ct.get((token, account), 0)}")
    # every other event by emitter, name and named arguments: in order per emitter, in any order across them
    me, ce = _by_emitter(m.events), _by_emitter(c.events)
    for emitter in sorted(set(me) | set(ce)):
        a, b = me.get(emitter, []), ce.get(emitter, [])
        for i in range(max(len(a), len(b))):
            x, y = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
            if x != y:
                out.append(f"{emitter} event #{i}: model {_ev(emitter, x)} vs EVM {_ev(emitter, y)}")
                break
        if len(a) != len(b):
            out.append(f"{emitter} event count: model {len(a)} vs EVM {len(b)}")
    return out


def _net_transfers(events: tuple) -> dict[tuple[str, str], int]:
    net: dict[tuple[str, str], int] = {}
    for token, name, args in events:
        if name == "Transfer":
            net[(token, args["from"])] = net.get((token, args["from"]), 0) - args["amount"]
            net[(token, args["to"])] = net.get((token, args["to"]), 0) + args["amount"]
    return {k: v for k, v in net.items() if v}


def _by_emitter(events: tuple) -> dict[str, list[tuple[str, dict]]]:
    out: dict[str, list[tuple[str, dict]]] = {}
    for emitter, name, args in events:
        if name != "Transfer":
            out.setdefault(emitter, []).append((name, args))
    return out


def _ev(emitter: str, e: tuple[str, dict] | None) -> str:
    return "none" if e is None else f"{emitter}.{e[0]}({', '.join(f'{k}={v}' for k, v in e[1].items())})"


def compare_views(expected: dict[str, object], got: dict[str, object]) -> list[str]:
    """The contracts' views against the spec's values (`modelside.expected_views`)."""
    return [f"view {name}: model {expected.get(name)} vs EVM {got.get(name)}"
            for name in sorted(set(expected) | set(got)) if expected.get(name) != got.get(name)]


# Reading the views (`driver.view_names`) costs ~1 ms on pyrevm (static calls; the reserve's walk
# every series), two steps' worth: a campaign reads them on every VIEWS_EVERY-th step of an example
# (by the step's index, so a replay of the same steps reads them at the same steps; ~4% of a
# campaign's CPU at 32, 3x slower at 1); a replay (`replay_scenario`) reads them on every step.
VIEWS_EVERY = 32


def compare_states(ms: SystemState, cs: SystemState) -> list[str]:
    if ms == cs:
        return []
    return [f"state {path}: model {a} vs EVM {b}" for path, a, b in diff(ms, cs)]


class Session:
    """One deployment on the model and on an EVM backend, stepped together."""

    def __init__(
        self,
        params: MarketParams,
        actors: tuple[str, ...] = DEFAULT_ACTORS,
        funding: dict[str, int] | None = None,
        backend: str = "pyrevm",
        artifacts: Artifacts | None = None,
        sources: dict[str, str] | None = None,
        fast: bool | None = None,
        views_every: int = 1,
    ) -> None:
        funding = dict(DEFAULT_FUNDING if funding is None else funding)
        self.params, self.actors, self.backend = params, tuple(actors), backend
        if artifacts is None:
            artifacts = build_contracts(extra_sources=sources)
        if backend in ("web3", "eth-tester"):
            self.evm = open_backend(backend, labels=self.actors)
        else:
            self.evm = open_backend(backend)
        start = self.evm.time
        market = deploy_market(self.evm, params, artifacts=artifacts)
        self.model = Model.deploy(params, start)
        if self.model.next_time != self.evm.time:
            raise RuntimeError(
                f"deployment sequence mismatch: the model expects the next transaction at {self.model.next_time}, "
                f"the EVM is at {self.evm.time} (levcheck/chain/deploy.py and specs/model.py Model.deploy must agree)"
            )
        self.chain = Chain(market, self.actors, fast)
        self.chain.setup_actors(funding)
        end = modelside.setup_actors(self.model, self.actors, funding, start + (self.model.next_time - start))
        if end != self.evm.time:
            raise RuntimeError(f"actor setup mismatch: model at {end}, EVM at {self.evm.time}")
        self.holders = self.chain.holders
        self.donated: dict[tuple[str, str], int] = {}
        self.steps_run = 0
        self.views_every = views_every
        self.exercised: dict[str, int] = {}  # invariant id -> steps that exercised it (whole session)
        self.views_read = 0  # steps whose views were compared
        self.prev_state = self.model_state()
        self._base = self._save()

    # ------------------------------------------------------------------ snapshots (one per example)

    def _save(self) -> Any:
        return (self.evm.snapshot(), self.model.clone(), dict(self.donated), self.prev_state)

    def reset(self) -> None:
        """Back to the freshly deployed and funded market (cheap: an EVM snapshot and a model clone)."""
        snap, model, donated, prev = self._base
        self.evm.revert(snap)
        self._base = (self.evm.snapshot(), model, donated, prev)
        self.model, self.donated, self.prev_state = model.clone(), dict(donated), prev

    def close(self) -> None:
        self.evm.close()

    # ------------------------------------------------------------------ stepping

    def _donated(self) -> tuple:
        return tuple(sorted((h, t, a) for (h, t), a in self.donated.items() if a))

    def model_state(self, raw: list[int] | None = None) -> SystemState:
        if raw is None:
            raw = modelside.model_raw(self.model, self.chain.series_labels, self.holders)
        return state_from_raw(raw, self.params, self.chain.series_labels, self.holders, self.evm.time, self._donated())

    def chain_state(self, raw: list[int] | None = None) -> SystemState:
        """The EVM side's snapshot, the same shape as `model_state`."""
        return self.chain.state(self._donated(), raw)

    def step(self, index: int, step: Step) -> StepReport:
        now = self.evm.time
        m_out, n_tx = modelside.apply(self.model, step, now)
        c_out = self.chain.apply(step)
        if (step.action in ("transfer", "transfer_from") and m_out.reverted is None and step.arg("to") in self.chain.contracts
                and step.arg("token") in ("BASE", "QUOTE")):
            key = (step.arg("to"), step.arg("token"))
            self.donated[key] = self.donated.get(key, 0) + step.arg("amount")
        self.steps_run += 1
        report = StepReport(index, step, m_out, c_out)
        report.differences = compare_outcomes(m_out, c_out)
        if step.action in ("approve", "transfer_from"):
            report.differences += self._compare_allowance(step)
        if step.action != "warp" and self.evm.time != now + n_tx:
            report.differences.append(f"clock: the model took {n_tx} transaction(s), the EVM {self.evm.time - now}")
        prev = self.prev_state
        counts = self.exercised
        counts["accounting.differential"] = counts.get("accounting.differential", 0) + 1  # compared above
        single_tx = step.action != "mint_redeem"  # a composite step can revert after changing state
        if (step.action == "warp" or (single_tx and m_out.reverted and c_out.reverted)) and not report.differences:
            # Nothing ran, or both sides reverted with the same reason (an EVM revert undoes everything,
            # and so does the model's transaction): the state is the previous one at a later time, and
            # the two outcomes are equal. Transition invariants still judge it (why was it refused?).
            ms = prev.at_time(self.evm.time)
            self._compare_views(index, ms, report)
            report.found = [("both", v) for v in check_all(ms, prev, m_out, counts)]
            self.prev_state = ms
            return report
        m_raw = modelside.model_raw(self.model, self.chain.series_labels, self.holders)
        c_raw = self.chain.read_raw()
        ms = self.model_state(m_raw)
        self._compare_views(index, ms, report)
        if m_raw == c_raw and not report.differences:  # one state, one outcome: invariants checked once
            report.found = [("both", v) for v in check_all(ms, prev, m_out, counts)]
        else:
            # The sides disagree: each is judged on its own state with its own outcome, so an EVM-only
            # revert (or another revert reason) meets the liveness invariants even when storage agrees.
            cs = ms if m_raw == c_raw else self.chain_state(c_raw)
            if cs is not ms:
                report.differences += compare_states(ms, cs)
            report.found = [("model", v) for v in check_all(ms, prev, m_out, counts)] + [("EVM", v) for v in check_all(cs, prev, c_out)]
        self.prev_state = ms
        return report

    def _compare_allowance(self, step: Step) -> list[str]:
        """The allowance the step set or spent, on both sides: allowances are not in the compared state
        (every owner x spender x token would be ~180 reads a step), so the one a step touches is read."""
        who = actor_of(step)
        owner, spender = (who, step.arg("spender")) if step.action == "approve" else (step.arg("owner"), who)
        token = step.arg("token")
        want = self.model.tokens[token].allowance(owner, spender)
        got = self.chain.contracts[token].call("allowance", self.chain.addr[owner], self.chain.addr[spender])
        return [] if want == got else [f"{token}.allowance({owner}, {spender}) (model != contracts): {want} != {got}"]

    def _compare_views(self, index: int, ms: SystemState, report: StepReport) -> None:
        if index % self.views_every:
            return
        report.differences += self.views_now(ms)

    def views_now(self, ms: SystemState | None = None) -> list[str]:
        """Compare every view now (a campaign also does it at the end of each example, so that a wrong
        view is found, and shrunk, in an example of any length)."""
        self.views_read += 1
        return compare_views(modelside.expected_views(ms or self.prev_state), self.chain.read_views())


@dataclass
class ReplayResult:
    """What a replay found: `status` is "passed", "diverged" (model vs EVM) or "violated" (an invariant)."""

    status: str
    backend: str
    steps: list[StepReport]
    first_failure: int | None = None
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status != "passed"

    def signature(self) -> tuple:
        """What must be identical between two replays of the same file."""
        f = self.steps[self.first_failure] if self.first_failure is not None else None
        return (self.status, self.first_failure, tuple(f.differences) if f else (), tuple(f.violations) if f else ())

    def render(self) -> str:
        lines = [s.render() for s in self.steps]
        lines.append(self.message)
        return "\n".join(lines)


def replay_scenario(
    sc: Scenario,
    backend: str = "pyrevm",
    artifacts: Artifacts | None = None,
    sources: dict[str, str] | None = None,
    session: Session | None = None,
) -> ReplayResult:
    """Replay a scenario on the model and on `backend`, stopping at the first divergence or violation."""
    own = session is None
    s = session or Session(sc.params, sc.actors, sc.funding, backend, artifacts, sources)
    try:
        reports: list[StepReport] = []
        for i, step in enumerate(sc.steps):
            r = s.step(i, step)
            reports.append(r)
            if r.differences:
                return ReplayResult("diverged", backend, reports, i, f"step {i}: model and EVM diverge ({len(r.differences)} difference(s))")
            if r.violations:
                return ReplayResult("violated", backend, reports, i, f"step {i}: invariant violated: {r.violations[0]}")
        return ReplayResult("passed", backend, reports, None, f"all {len(reports)} steps agree; no invariant violated")
    finally:
        if own:
            s.close()
