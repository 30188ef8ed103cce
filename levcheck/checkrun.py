"""`levcheck check`: build, analyze, prove, fuzz and replay, in that order, within one time budget.

Each stage is a function `(ctx) -> StageResult` that calls the stage's in-process API and turns its
typed results into `Case`s; the report writers only ever see `Case`s. A stage that cannot run is an
error, never a pass; an interrupted run still writes its summary with what finished.
"""
from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .chain.build import ROOT, Artifacts, build_contracts
from .errors import LevcheckError
from .report.locate import ACTION_FUNCTION, FAMILY_FUNCTION, function_location
from .report.results import Case, CheckSummary, Location, StageResult, Status, stage_status

STAGES = ("build", "analyze", "prove", "fuzz", "replay")
REGRESSION_DIR = ROOT / "tests" / "scenarios"


@dataclass
class CheckConfig:
    """Defaults < [tool.levcheck] in pyproject.toml < the command line."""

    contracts: str = "contracts"
    out: str = "levcheck-out"
    budget: float = 240.0
    backend: str = "pyrevm"
    seed: int | None = None
    fuzz_seconds: float = 60.0
    fuzz_profile: str = "ci"
    proof_timeout: float = 10.0
    params: str | None = None
    scenarios: str = str(REGRESSION_DIR)
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    @classmethod
    def from_pyproject(cls, path: Path = ROOT / "pyproject.toml") -> "CheckConfig":
        cfg = cls()
        if not path.is_file():
            return cfg
        section = tomllib.loads(path.read_text()).get("tool", {}).get("levcheck", {})
        known = set(cls.__dataclass_fields__)
        unknown = set(k.replace("-", "_") for k in section) - known
        if unknown:
            raise LevcheckError(f"{path}: unknown [tool.levcheck] key(s) {sorted(unknown)}; known: {sorted(known)}")
        for key, value in section.items():
            key = key.replace("-", "_")
            setattr(cfg, key, tuple(value) if key in ("only", "skip") else value)
        return cfg

    def stages(self) -> list[str]:
        for name in (*self.only, *self.skip):
            if name not in STAGES:
                raise LevcheckError(f"unknown stage {name!r}: stages are {', '.join(STAGES)}")
        chosen = [s for s in STAGES if (not self.only or s in self.only) and s not in self.skip]
        return chosen


@dataclass
class Context:
    config: CheckConfig
    out: Path
    deadline: float
    artifacts: Artifacts | None = None
    analysis_sarif: dict | None = None
    scenario_files: list[str] = field(default_factory=list)  # counterexample files written by this run

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


# ------------------------------------------------------------------------------------------ stages


def stage_build(ctx: Context) -> StageResult:
    ctx.artifacts = build_contracts(ctx.config.contracts)
    case = Case("compile", "build", Status.PASS, f"{len(ctx.artifacts)} contracts from {len(ctx.artifacts.sources)} files"
                + (" (cache)" if ctx.artifacts.from_cache else ""))
    return StageResult("build", Status.PASS, cases=[case], message=case.message)


def stage_analyze(ctx: Context) -> StageResult:
    from .analysis import run_analysis
    from .analysis.sarif import to_sarif

    res = run_analysis(ctx.config.contracts)
    ctx.analysis_sarif = to_sarif(res)
    cases = []
    for f in res.findings:
        loc = Location(f.file or "", f.line or 0, f.contract or "", f.function or "") if f.file else None
        status = Status.PASS if f.accepted else Status.FAIL
        msg = f"{f.impact}/{f.confidence}: {f.message}" + (f" (accepted: {f.accepted})" if f.accepted else "")
        cases.append(Case(f"{f.detector}:{f.contract}.{f.function}", "detector", status, msg, location=loc,
                          details={"fingerprint": f.fingerprint, "project_detector": f.project}))
    flagged = {f.detector for f in res.findings if not f.accepted}
    found = {f.detector for f in res.findings}
    for d in res.detectors:  # a detector that found nothing is a passing case of its own
        if d.id not in found:
            cases.append(Case(d.id, "detector", Status.PASS, d.help))
    info = {"detectors": len(res.detectors), "open findings": len(res.open), "accepted": len(res.accepted),
            "stale triage entries": len(res.stale)}
    msg = f"{len(res.open)} open finding(s) from {len(flagged)} detector(s)" if res.open else "no open findings"
    return StageResult("analyze", stage_status(cases), cases=cases, message=msg, info=info)


def stage_prove(ctx: Context) -> StageResult:
    from levcheck.proofs.core import Status as ProofStatus
    from levcheck.proofs.registry import run_proofs
    from levcheck.specs.params import params_or_bundled

    params = params_or_bundled(ctx.config.params)
    results = run_proofs(params, timeout_s=ctx.config.proof_timeout, scenario_dir=ctx.out / "counterexamples")
    mapping = {
        ProofStatus.PROVED: Status.PASS,
        ProofStatus.COUNTEREXAMPLE: Status.FAIL,
    }
    cases = []
    for r in results:
        status = mapping.get(r.status, Status.TIMEOUT if r.status.value in ("unknown", "timeout") else Status.FAIL)
        contract, function = FAMILY_FUNCTION.get(r.family, ("LeveragedToken", "rebalance"))
        loc = function_location(ctx.artifacts, contract, function) if ctx.artifacts and status is not Status.PASS else None
        message = r.status.value + (f": {r.reason}" if r.reason else "") + (f" — values {r.values}" if r.values else "")
        cases.append(Case(r.id, "obligation", status, message, seconds=r.seconds, location=loc,
                          details={"statement": r.statement, "family": r.family, "domain": r.domain, "encoding": r.encoding},
                          artifact=r.scenario_file))
        if r.scenario_file:
            ctx.scenario_files.append(r.scenario_file)
    total = sum(c.seconds for c in cases)
    return StageResult("prove", stage_status(cases), cases=cases,
                       message=f"{sum(c.status is Status.PASS for c in cases)}/{len(cases)} proved",
                       info={"obligations": len(cases), "solver seconds": round(total, 2)})


def stage_fuzz(ctx: Context) -> StageResult:
    """One JUnit case per fuzz property: model/EVM agreement plus every invariant of specs/invariants.py."""
    import random

    from levcheck.fuzz.api import FuzzConfig, run_fuzz
    from levcheck.specs.invariants import INVARIANTS
    from levcheck.specs.params import params_or_bundled

    seed = ctx.config.seed if ctx.config.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"levcheck check: fuzz seed {seed} (reproduce with --seed {seed})", file=sys.stderr, flush=True)
    seconds = max(5.0, min(ctx.config.fuzz_seconds, ctx.remaining() - 20.0))
    params = params_or_bundled(ctx.config.params)
    res = run_fuzz(FuzzConfig(seed=seed, profile=ctx.config.fuzz_profile, seconds=seconds, params=params,
                              backend="pyrevm", artifacts=ctx.artifacts, out_dir=ctx.out / "counterexamples"))
    failed_ids: dict[str, str] = {}
    step = None
    if res.failed:
        rep = res.replay
        step = rep.steps[rep.first_failure] if rep and rep.first_failure is not None else None
        if step is None or step.differences:
            failed_ids["model-evm-agreement"] = "; ".join(step.differences[:3]) if step else (res.notes[0] if res.notes else "failed")
        for v in (step.violations if step else []):
            side, _, rest = v.partition(": ")
            inv_id, _, msg = rest.partition(": ")
            failed_ids.setdefault(inv_id, f"{side}: {msg}")
    loc = None
    if step is not None and step.step.action in ACTION_FUNCTION and ctx.artifacts:
        loc = function_location(ctx.artifacts, *ACTION_FUNCTION[step.step.action])
    scenario = _rel(res.scenario_path) if res.scenario_path else None
    if scenario:
        ctx.scenario_files.append(scenario)
    props = [("model-evm-agreement", "the model and the EVM agree on every state variable, event and revert")]
    props += [(inv.id, inv.statement) for inv in INVARIANTS]
    cases = []
    for pid, statement in props:
        if pid in failed_ids:
            where = f" at step {res.replay.first_failure} ({step.step.describe()})" if step is not None else ""
            cases.append(Case(pid, "fuzz", Status.FAIL, failed_ids[pid] + where, location=loc, artifact=scenario,
                              details={"statement": statement, "seed": seed}))
        else:
            cases.append(Case(pid, "fuzz", Status.PASS, statement))
    for pid in set(failed_ids) - {p for p, _ in props}:  # a violation of something not in the list still fails
        cases.append(Case(pid, "fuzz", Status.FAIL, failed_ids[pid], location=loc, artifact=scenario))
    info = {"seed": seed, "profile": res.profile, "examples": res.examples, "steps": res.steps,
            "steps/s": round(res.steps_per_second), "seconds": round(res.seconds, 1)}
    if res.steps_to_failure is not None:
        info["steps to failure"] = res.steps_to_failure
    msg = f"seed {seed}: {res.examples} examples, {res.steps} differential steps" + (f"; counterexample {scenario}" if scenario else "")
    return StageResult("fuzz", stage_status(cases), cases=cases, message=msg, info=info)


def stage_replay(ctx: Context) -> StageResult:
    from levcheck.chain.session import replay_scenario
    from levcheck.specs.scenario import ScenarioError, load

    folder = Path(ctx.config.scenarios)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    cases = []
    for path in files:
        t0 = time.perf_counter()
        rel = _rel(path)
        try:
            sc = load(path)
            res = replay_scenario(sc, backend=ctx.config.backend, artifacts=ctx.artifacts)
        except ScenarioError as exc:
            cases.append(Case(rel, "replay", Status.ERROR, str(exc), seconds=time.perf_counter() - t0))
            continue
        status = Status.FAIL if res.failed else Status.PASS
        loc = None
        if res.failed and res.first_failure is not None and ctx.artifacts:
            action = sc.steps[res.first_failure].action
            if action in ACTION_FUNCTION:
                loc = function_location(ctx.artifacts, *ACTION_FUNCTION[action])
        cases.append(Case(rel, "replay", status, res.message, seconds=time.perf_counter() - t0, location=loc, artifact=rel))
    msg = f"{len(files)} regression scenario(s) from {_rel(folder)}" if files else f"no scenarios in {_rel(folder)}"
    return StageResult("replay", stage_status(cases), cases=cases, message=msg)


STAGE_FUNCS: dict[str, Callable[[Context], StageResult]] = {
    "build": stage_build, "analyze": stage_analyze, "prove": stage_prove, "fuzz": stage_fuzz, "replay": stage_replay,
}


def _rel(p: Path | str) -> str:
    try:
        return Path(p).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(p)


# ------------------------------------------------------------------------------------------ the run


class Progress:
    """A live line in a terminal; plain start/finish lines elsewhere (CI logs)."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, stage: str) -> None:
        if not self.live:
            print(f"levcheck check: {stage} ...", file=self.stream, flush=True)
            return
        self._stop.clear()
        t0 = time.monotonic()

        def spin() -> None:
            frames = "|/-\\"
            i = 0
            while not self._stop.wait(0.2):
                self.stream.write(f"\r  {frames[i % 4]} {stage:<8} {time.monotonic() - t0:6.1f}s")
                self.stream.flush()
                i += 1

        self._thread = threading.Thread(target=spin, daemon=True)
        self._thread.start()

    def finish(self, result: StageResult) -> None:
        if self._thread:
            self._stop.set()
            self._thread.join()
            self._thread = None
            self.stream.write("\r" + " " * 40 + "\r")
        print(f"levcheck check: {result.name:<8} {result.status.value.upper():<8} {result.seconds:6.1f}s  {result.message}",
              file=self.stream, flush=True)


def run_check(config: CheckConfig, progress: Progress | None = None) -> CheckSummary:
    from .report.plots import plot_counterexamples
    from .report.writers import write_json, write_junit, write_markdown, write_sarif

    progress = progress or Progress()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    ctx = Context(config, out, t0 + config.budget)
    chosen = config.stages()
    results: list[StageResult] = []
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        for name in STAGES:
            if name not in chosen:
                results.append(StageResult(name, Status.SKIPPED, message="not selected (--only/--skip)"))
                continue
            if interrupted:
                results.append(StageResult(name, Status.SKIPPED, message="not run: the check was interrupted"))
                continue
            if ctx.remaining() <= 0:
                results.append(StageResult(name, Status.TIMEOUT, message=f"not run: the {config.budget:.0f} s budget was exhausted"))
                continue
            if name != "build" and any(r.name == "build" and r.status is Status.ERROR for r in results):
                results.append(StageResult(name, Status.SKIPPED, message="not run: the build failed"))
                continue
            progress.start(name)
            s0 = time.monotonic()
            try:
                res = STAGE_FUNCS[name](ctx)
            except KeyboardInterrupt:
                interrupted = True
                res = StageResult(name, Status.TIMEOUT, message="interrupted before it finished")
            except LevcheckError as exc:
                res = StageResult(name, Status.ERROR, message=str(exc), cases=[Case(name, "stage", Status.ERROR, str(exc))])
            except Exception as exc:  # a stage that crashed is an error, never a pass
                res = StageResult(name, Status.ERROR, message=f"{type(exc).__name__}: {exc}",
                                  cases=[Case(name, "stage", Status.ERROR, f"{type(exc).__name__}: {exc}")])
            res.seconds = time.monotonic() - s0
            results.append(res)
            progress.finish(res)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    status = stage_status([Case(r.name, "stage", r.status) for r in results if r.status is not Status.SKIPPED])
    if interrupted and status is Status.PASS:
        status = Status.TIMEOUT
    summary = CheckSummary(__version__, started, time.monotonic() - t0, config.budget, status, int(status.exit_code),
                           interrupted, results)
    plots = plot_counterexamples(summary, out / "plots", config)
    write_json(summary, out / "summary.json")
    write_junit(summary, out / "junit.xml")
    write_sarif(summary, out / "levcheck.sarif", ctx.analysis_sarif)
    write_markdown(summary, out / "summary.md", plots)
    return summary


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
