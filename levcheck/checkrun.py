"""`levcheck check`: build, analyze, prove, fuzz and replay, in that order, within one time budget.

Each stage is a function `(ctx) -> StageResult` that calls the stage's in-process API and turns its
typed results into `Case`s; the report writers only ever see `Case`s. A stage that cannot run, or
that checked nothing, is an error, never a pass; an interrupted run still writes its summary with
what finished. Every run writes into a fresh folder `<out>/<UTC timestamp>-seed<N>/` and points
`<out>/latest` at it, so two runs never overwrite each other and no stale file sits beside a new
verdict. Each stage runs under the remaining budget: an alarm ends it a few seconds past it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import __version__
from .chain import project
from .chain.build import PROJECT, ROOT, Artifacts
from .chain.verified import build_verified
from .errors import LevcheckError
from .report.locate import ACTION_FUNCTION, FAMILY_FUNCTION, function_location
from .report.progress import Progress  # the one progress renderer (stage lines, the fuzz campaign's line)
from .report.results import Case, CheckSummary, Location, StageResult, Status, stage_status

STAGES = ("build", "analyze", "prove", "fuzz", "replay")
REGRESSION_DIR = project.BUNDLED_SCENARIOS  # tests/scenarios in a checkout; shipped in the wheel
COVERAGE_MARGIN_SECONDS = 15.0  # the instrumented compile (cached after the first) and the engine's round trips
GRACE_SECONDS = 3.0  # how far past the budget a stage may run before the alarm stops it
FUZZ_PROFILES = ("dev", "ci", "nightly")


class BudgetExhausted(BaseException):
    """Raised by the budget alarm inside a stage. A BaseException so that no stage's `except
    Exception` (Hypothesis, Slither) mistakes it for a result."""


@dataclass
class CheckConfig:
    """Defaults < [tool.levcheck] in pyproject.toml < the command line."""

    contracts: str = "contracts"
    out: str = "levcheck-out"
    budget: float = 240.0
    backend: str = "pyrevm"
    seed: int | None = None
    fuzz_examples: int | None = None  # the bound of the fuzz stage (default: the profile's examples)
    fuzz_seconds: float = 180.0  # only an outer guard against a runaway campaign: the examples decide (the ci profile runs ~80 s here)
    fuzz_profile: str = "ci"
    proof_timeout: float = 60.0  # wall-clock guard per obligation; Z3 resource units decide (proofs/solve.py)
    # contract coverage: every example of the campaign replayed on the instrumented build (figures, no verdict)
    coverage: bool = True
    params: str | None = None
    scenarios: str = str(REGRESSION_DIR)
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    @classmethod
    def from_pyproject(cls, path: Path | None = None) -> "CheckConfig":
        """Read `path` (a pyproject.toml's [tool.levcheck], or a levcheck.toml's top level, same keys);
        None: the project's own config (chain/project.py: find_config). Relative paths in it are the
        project's: run from a sub-folder, they still name the same folders and output goes to the project."""
        cfg = cls()
        if path is not None and not Path(path).is_file():
            raise LevcheckError(f"{path}: no such config file (a levcheck.toml, or a pyproject.toml with [tool.levcheck])")
        path = Path(path) if path is not None else project.find_config()
        if path is None:
            return cfg
        table = "[tool.levcheck]" if path.name == "pyproject.toml" else "levcheck settings"
        section = project.config_section(path)
        known = set(cls.__dataclass_fields__)
        unknown = set(k.replace("-", "_") for k in section) - known
        if unknown:
            raise LevcheckError(f"{path}: unknown {table} key(s) {sorted(unknown)}; known: {sorted(known)}")
        for key, value in section.items():
            key = key.replace("-", "_")
            setattr(cfg, key, tuple(value) if key in ("only", "skip") and isinstance(value, list) else value)
        cfg.validate(f"{path}: {table} " if table.startswith("[") else f"{path}: ")
        root = path.resolve().parent
        if root != Path.cwd().resolve():
            for key in ("contracts", "out", "scenarios", "params"):
                value = getattr(cfg, key)
                if value and not Path(value).is_absolute() and (key == "out" or (root / value).exists()):
                    setattr(cfg, key, str(root / value))
        return cfg

    def validate(self, where: str = "") -> None:
        """Types and ranges, with the key to fix: a string budget must not become a traceback later."""
        def bad(key: str, want: str) -> LevcheckError:
            return LevcheckError(f"{where}{key} must be {want}, got {getattr(self, key)!r}")

        def number(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool)

        for key in ("contracts", "out", "backend", "scenarios"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key):
                raise bad(key, "a non-empty string")
        if self.params is not None and not isinstance(self.params, str):
            raise bad("params", "a file name (string)")
        if not number(self.budget) or self.budget < 0:
            raise bad("budget", "a number of seconds >= 0")
        if not isinstance(self.coverage, bool):
            raise bad("coverage", "true or false")
        for key in ("fuzz_seconds", "proof_timeout"):
            if not number(getattr(self, key)) or not getattr(self, key) > 0:
                raise bad(key, "a positive number of seconds")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0):
            raise bad("seed", "a non-negative integer")
        if self.fuzz_examples is not None and (not isinstance(self.fuzz_examples, int) or isinstance(self.fuzz_examples, bool)
                                               or self.fuzz_examples < 1):
            raise bad("fuzz_examples", "an integer >= 1")
        if self.fuzz_profile not in FUZZ_PROFILES:
            raise bad("fuzz_profile", f"one of {', '.join(FUZZ_PROFILES)}")
        for key in ("only", "skip"):
            value = getattr(self, key)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise bad(key, f"a list of stage names ({', '.join(STAGES)})")

    def stages(self) -> list[str]:
        for name in (*self.only, *self.skip):
            if name not in STAGES:
                raise LevcheckError(f"unknown stage {name!r}: stages are {', '.join(STAGES)}")
        chosen = [s for s in STAGES if (not self.only or s in self.only) and s not in self.skip]
        if not chosen:
            raise LevcheckError(f"--only/--skip leave no stage to run (only {list(self.only)}, skip {list(self.skip)})")
        return chosen


@dataclass
class Context:
    config: CheckConfig
    out: Path  # this run's own folder
    deadline: float
    seed: int = 0
    artifacts: Artifacts | None = None
    analysis_sarif: dict | None = None
    scenario_files: list[str] = field(default_factory=list)  # counterexample files written by this run
    progress: Any = None  # report.progress.Progress: stage lines, the fuzz campaign's live line
    partial: list[Case] = field(default_factory=list)  # the running stage's finished cases, kept if it is cut
    # a failure the running stage has already written (the fuzz stage's unminimised counterexample):
    # its result if the stage is cut, so a cut never turns a found failure into a timeout
    found: StageResult | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def built(self) -> Artifacts:
        """The contracts the user named: built here when the build stage did not run (--only fuzz),
        never the bundled contracts/ by default."""
        if self.artifacts is None:
            self.artifacts = build_verified(self.config.contracts)
        return self.artifacts


# ------------------------------------------------------------------------------------------ stages


def stage_build(ctx: Context) -> StageResult:
    ctx.artifacts = build_verified(ctx.config.contracts)  # 0 contracts, a missing spec contract: an error
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
    for e in res.stale:  # reported, not failed: the finding it accepted is gone (fixed, or its contract removed)
        fn = f".{e.function}" if e.function else ""
        cases.append(Case(f"triage#{e.index}:{e.detector}:{e.contract}{fn}", "triage", Status.SKIPPED,
                          f"stale triage entry #{e.index} matches no finding: remove it from the triage file"))
    info = {"detectors": len(res.detectors), "open findings": len(res.open), "accepted": len(res.accepted),
            "stale triage entries": len(res.stale)}
    msg = f"{len(res.open)} open finding(s) from {len(flagged)} detector(s)" if res.open else "no open findings"
    return StageResult("analyze", stage_status(cases), cases=cases, message=msg, info=info)


def stage_prove(ctx: Context) -> StageResult:
    from levcheck.proofs.core import Status as ProofStatus
    from levcheck.proofs.registry import iter_proofs
    from .report.foundry import export_beside
    from levcheck.specs.params import params_or_bundled

    params = params_or_bundled(ctx.config.params)
    mapping = {
        ProofStatus.PROVED: Status.PASS,
        ProofStatus.COUNTEREXAMPLE: Status.FAIL,
    }
    cases = ctx.partial  # an interrupt or the budget alarm keeps the obligations already decided
    for r in iter_proofs(params, timeout_s=ctx.config.proof_timeout, scenario_dir=ctx.out / "counterexamples",
                         deadline=ctx.deadline):
        status = mapping.get(r.status, Status.TIMEOUT if r.status.value in ("unknown", "timeout") else Status.FAIL)
        contract, function = FAMILY_FUNCTION.get(r.family, ("LeveragedToken", "rebalance"))
        loc = function_location(ctx.artifacts, contract, function) if ctx.artifacts and status is not Status.PASS else None
        message = r.status.value + (f": {r.reason}" if r.reason else "") + (f" — values {r.values}" if r.values else "")
        cases.append(Case(r.id, "obligation", status, message, seconds=r.seconds, location=loc,
                          details={"statement": r.statement, "family": r.family, "domain": r.domain, "encoding": r.encoding},
                          artifact=r.scenario_file))
        if r.scenario_file:
            ctx.scenario_files.append(r.scenario_file)
            _emit(ctx, export_beside(r.scenario_file, ctx.built(), ctx.config.contracts))  # its Foundry test beside it
    total = sum(c.seconds for c in cases)
    return StageResult("prove", stage_status(cases), cases=cases,
                       message=f"{sum(c.status is Status.PASS for c in cases)}/{len(cases)} proved",
                       info={"obligations": len(cases), "solver seconds": round(total, 2)})


def stage_fuzz(ctx: Context) -> StageResult:
    """One JUnit case per invariant of specs/invariants.py (`accounting.differential` is the model/EVM
    agreement, views included). An invariant passes only if some step exercised it (reached the action
    it watches with its premise true: `FuzzResult.exercised`); exercised 0 times it is skipped as "not
    exercised", never passed. Bounded by examples; time is a guard. The campaign covers a parameter
    portfolio (specs/portfolio.py: bundled, a binding floor, sets drawn from the seed), one unit per set
    on the Dask engine, the examples split between them; a `params` file is fuzzed alone instead.
    Every SPEC comparison's count per side is reported (specs/edges.py): a side never reached is a gap."""
    import contextlib

    from levcheck.fuzz import engine as fuzz_engine
    from levcheck.fuzz.api import PROFILES, FuzzConfig
    from levcheck.fuzz.shards import run_portfolio
    from levcheck.specs import edges as E
    from levcheck.specs.portfolio import portfolio
    from levcheck.specs.params import params_or_bundled

    from .report.coverage import coverage_info

    seed = ctx.seed
    # the examples bound the stage (the profile's unless --fuzz-examples): the verdict must not depend on
    # the machine's speed; with only the time guard given, run_fuzz would run until the guard
    examples = ctx.config.fuzz_examples or PROFILES[ctx.config.fuzz_profile].examples
    _emit(ctx, f"levcheck check: fuzz seed {seed} (reproduce with --seed {seed})")
    guard = max(1.0, min(ctx.config.fuzz_seconds, ctx.remaining() - 5.0))
    sets = [("given", params_or_bundled(ctx.config.params))] if ctx.config.params else portfolio(seed)
    workers = min(fuzz_engine.default_workers(), len(sets))
    rounds = -(-len(sets) // workers)  # units run `workers` at a time: each gets its share of the guard
    cfg = FuzzConfig(seed=seed, profile=ctx.config.fuzz_profile, examples=examples, seconds=max(1.0, guard / rounds),
                     backend="pyrevm", artifacts=ctx.built(), out_dir=ctx.out / "counterexamples",
                     record_examples=ctx.config.coverage)

    def found(p, minimised: bool = False) -> None:
        """A failure's scenario is written (first unminimised, then minimised): the stage's verdict if it
        is cut from now on (the minimisation, the coverage replay), a fail with that file, never a timeout."""
        cases, scenario = _fuzz_cases(ctx, p, seed, early=True)
        reproduce = next(u.reproduce for u in p.units if u.name == p.failing_set)
        ctx.found = StageResult("fuzz", stage_status(cases), cases=cases,
                                message=f"seed {seed}: counterexample {scenario} (parameter set {p.failing_set})"
                                        + ("" if minimised else ", not minimised"),
                                info={"seed": seed, "counterexample from": f"parameter set {p.failing_set}", "reproduce": reproduce})

    with fuzz_engine.open_engine(workers) if workers > 1 else contextlib.nullcontext() as engine:
        port = run_portfolio(cfg, sets, engine, params_dir=ctx.out / "portfolio",
                             on_progress=ctx.progress.for_fuzz("fuzz") if ctx.progress else None, on_unminimised=found)
        if port.failed:
            found(port, minimised=True)
        # contract coverage: every example replayed on the instrumented build (report/coverage.py), the
        # parameter sets on the engine's workers; lcov.info and coverage.html in the run folder. It is a
        # figure, not a verdict: it must not cut the stage, so it runs only if the budget left covers
        # what the campaign took (the replay costs less: `levcheck bench --coverage`)
        needed = port.merged.seconds + COVERAGE_MARGIN_SECONDS
        if ctx.config.coverage and ctx.remaining() < needed:
            coverage = {"not measured": f"{max(ctx.remaining(), 0):.0f} s of the budget left, the replay needs about "
                                        f"{needed:.0f} s (the campaign's {port.merged.seconds:.0f} s and a margin): raise --budget"}
        elif ctx.config.coverage:
            _emit(ctx, "levcheck check: contract coverage (the campaign's examples replayed on the instrumented build)")
            coverage = coverage_info([(u.params, u.shard.result.executed) for u in port.units], ctx.built(), ctx.out,
                                     engine.map if engine is not None else None)
        else:
            coverage = {"not measured": "coverage is off (--no-coverage, or coverage = false)"}
    res = port.merged
    cases, scenario = _fuzz_cases(ctx, port, seed)
    info = {"seed": seed, "profile": res.profile, "examples": res.examples, "steps": res.steps,
            "steps/s": round(res.steps_per_second), "seconds": round(res.seconds, 1),
            "engine": f"{port.engine}, {workers} worker(s)" + (f", up in {port.startup_seconds:.1f} s" if engine else ""),
            "views compared": f"on {res.views_read} steps",
            # rendered as tables by report/writers.py (not "Figures")
            "portfolio": [{"set": u.name, "seed": u.shard.seed, "status": u.shard.result.status, "examples": u.shard.result.examples,
                           "steps": u.shard.result.steps, "cpu_seconds": round(u.shard.result.cpu_seconds, 1),
                           "reproduce": u.reproduce} for u in port.units],
            "comparisons": E.table(res.edges), "comparison gaps": E.gaps(res.edges)}
    if res.steps_to_failure is not None:
        info["steps to failure"] = res.steps_to_failure
    info["contract coverage"] = coverage
    # one command that runs this stage's campaign again; for a failure, the failing set's unit alone
    info["reproduce"] = f"levcheck check --only fuzz --seed {seed} --fuzz-examples {examples}"
    if port.failing_set is not None:
        info["counterexample from"] = f"parameter set {port.failing_set}"
        # the minimisation's work, in replays (fuzz/shards.py: _minimise), or why the file is left unminimised
        info["minimisation"] = "; ".join(n for n in res.notes + port.notes if "minimised" in n) or "not minimised"
        info["reproduce"] = next(u.reproduce for u in port.units if u.name == port.failing_set)
    cut = ""
    if res.cut_by_time:
        again = "; ".join(u.reproduce for u in port.units if u.shard.result.cut_by_time)
        info["cut by time"] = f"after {res.examples} examples (guard {guard:.0f} s)"
        cut = f"; cut by the time guard after {res.examples} examples, reproduce with `{again}`"
        _emit(ctx, f"levcheck check: fuzz cut by time after {res.examples} examples; reproduce exactly with: {again}")
    msg = (f"seed {seed}: {res.examples} examples over {len(sets)} parameter set(s), {res.steps} differential steps" + cut
           + (f"; counterexample {scenario} (parameter set {port.failing_set})" if scenario else ""))
    status = stage_status(cases)
    if res.cut_by_time and status is Status.PASS:
        status = Status.TIMEOUT  # fewer examples than asked for: not the full verdict
    return StageResult("fuzz", status, cases=cases, message=msg, info=info)


def _fuzz_cases(ctx: Context, port, seed: int, early: bool = False) -> tuple[list[Case], str | None]:
    """The fuzz stage's cases from a portfolio result, and its counterexample file (relative). `early`:
    the failure's unminimised scenario, before the minimisation (for `ctx.found`): no lines printed and
    no Foundry test written (the final result does both)."""
    from levcheck.specs.invariants import INVARIANTS

    from .report.foundry import export_beside
    from .report.results_lines import failed_invariants, results_lines

    res = port.merged
    failures = failed_invariants(res)  # the one derivation: the [FAIL] lines and these cases agree
    failed_ids, step = failures.reasons, failures.step
    if not early:
        _emit(ctx, *results_lines(res))  # forge-like lines and the action table, on stderr (stdout: --json)
    loc = None
    if step is not None and step.step.action in ACTION_FUNCTION and ctx.artifacts:
        loc = function_location(ctx.artifacts, *ACTION_FUNCTION[step.step.action])
    scenario = _rel(res.scenario_path) if res.scenario_path else None
    if scenario and scenario not in ctx.scenario_files:
        ctx.scenario_files.append(scenario)
    if scenario and not early:
        _emit(ctx, export_beside(res.scenario_path, ctx.built(), ctx.config.contracts))  # its Foundry test beside it
    cases = []
    for inv in INVARIANTS:
        n = res.exercised.get(inv.id, 0)
        details = {"statement": inv.statement, "seed": seed, "exercised": n, "premise": inv.exercise}
        if inv.id in failed_ids:
            where = f" at step {res.replay.first_failure} ({step.step.describe()})" if step is not None and res.replay else ""
            cases.append(Case(inv.id, "fuzz", Status.FAIL, failed_ids[inv.id] + where, location=loc, artifact=scenario,
                              details={**details, "parameter set": port.failing_set}))
        elif n > 0:
            cases.append(Case(inv.id, "fuzz", Status.PASS, f"exercised by {n} step(s): {inv.statement}", details=details))
        else:
            cases.append(Case(inv.id, "fuzz", Status.SKIPPED,
                              f"not exercised: no step was {inv.exercise}, so it checked nothing", details=details))
    for pid in sorted(set(failed_ids) - {inv.id for inv in INVARIANTS}):  # a violation of something not listed still fails
        cases.append(Case(pid, "fuzz", Status.FAIL, failed_ids[pid], location=loc, artifact=scenario))
    return cases, scenario


def stage_replay(ctx: Context) -> StageResult:
    """Every *.json under the scenarios folder, sub-folders included. A missing or empty folder is
    an error; a bad file is an error case and the others still replay."""
    from levcheck.chain.session import replay_scenario
    from levcheck.specs.scenario import ScenarioError, load

    folder = Path(ctx.config.scenarios)
    if not folder.is_dir():
        raise LevcheckError(f"scenarios folder {folder} does not exist: fix `scenarios` in [tool.levcheck] or skip the stage (--skip replay)")
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise LevcheckError(f"no scenario files (*.json) in {folder} or its sub-folders: nothing to replay (--skip replay if intended)")
    artifacts = ctx.built()
    cases = []
    for path in files:
        t0 = time.perf_counter()
        rel = _rel(path)
        try:
            sc = load(path)
            res = replay_scenario(sc, backend=ctx.config.backend, artifacts=artifacts)
        except (ScenarioError, LevcheckError) as exc:
            cases.append(Case(rel, "replay", Status.ERROR, str(exc), seconds=time.perf_counter() - t0, artifact=rel))
            continue
        except Exception as exc:  # one broken file must not hide the verdict of the others
            cases.append(Case(rel, "replay", Status.ERROR, f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0, artifact=rel))
            continue
        status = Status.FAIL if res.failed else Status.PASS
        loc = None
        if res.failed and res.first_failure is not None:
            action = sc.steps[res.first_failure].action
            if action in ACTION_FUNCTION:
                loc = function_location(artifacts, *ACTION_FUNCTION[action])
        cases.append(Case(rel, "replay", status, res.message, seconds=time.perf_counter() - t0, location=loc, artifact=rel))
    # the constructors refuse exactly what the spec refuses, at every limit (the campaigns deploy only valid sets)
    from levcheck.chain.conformance import constructor_conformance

    t0 = time.perf_counter()
    conf = constructor_conformance(artifacts, backend=ctx.config.backend)
    wrong = [c for c in conf if not c.ok]
    cases.append(Case("constructor limits", "replay", Status.FAIL if wrong else Status.PASS,
                      "; ".join(c.describe() for c in wrong) if wrong else
                      f"{len(conf)} parameter sets on and one past every constructor limit: deployed or refused as the spec says",
                      seconds=time.perf_counter() - t0))
    bad = sum(c.status is Status.ERROR for c in cases)
    msg = (f"{len(files)} regression scenario(s) from {_rel(folder)}, {len(conf)} constructor-limit deployments"
           + (f"; {bad} could not be replayed" if bad else ""))
    return StageResult("replay", stage_status(cases), cases=cases, message=msg)


STAGE_FUNCS: dict[str, Callable[[Context], StageResult]] = {
    "build": stage_build, "analyze": stage_analyze, "prove": stage_prove, "fuzz": stage_fuzz, "replay": stage_replay,
}


def _emit(ctx: Context, *lines: str) -> None:
    """Lines on stderr, through the progress line when there is one (it must not overwrite them)."""
    if ctx.progress is not None:
        ctx.progress.emit(*lines)
    else:
        print("\n".join(lines), file=sys.stderr, flush=True)


def _rel(p: Path | str) -> str:
    """Relative to the project, else to levcheck's own files (the bundled scenarios)."""
    path = Path(p).resolve()
    base = next((b for b in (PROJECT, ROOT) if path.is_relative_to(b)), None)
    return path.relative_to(base).as_posix() if base else str(p)


# ------------------------------------------------------------------------------------------ the run


def make_run_folder(out: Path, seed: int) -> Path:
    """A fresh `<out>/<UTC timestamp>-seed<N>[-k]/` and `<out>/latest` pointing at it. An existing
    folder is never reused, so nothing of an earlier run can sit beside this run's verdict."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for k in range(1, 1000):
            run = out / (f"{stamp}-seed{seed}" + (f"-{k}" if k > 1 else ""))
            try:
                run.mkdir()
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover
            raise LevcheckError(f"{out}: could not make a fresh run folder")
        latest = out / "latest"
        tmp = out / f".latest.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(run.name, target_is_directory=True)
        tmp.replace(latest)  # atomic: a concurrent run sees the old or the new link, never none
    except OSError as exc:
        raise LevcheckError(f"cannot write the run folder under {out} ({exc.strerror or exc}): pass --out to a writable folder") from None
    return run


def run_check(config: CheckConfig, progress: Progress | None = None) -> CheckSummary:
    import random

    from .report.plots import plot_counterexamples
    from .report.writers import write_json, write_junit, write_markdown, write_sarif

    config.validate()
    chosen = config.stages()
    progress = progress or Progress()
    seed = config.seed if config.seed is not None else random.SystemRandom().randrange(2**32)
    out = make_run_folder(Path(config.out), seed)
    print(f"levcheck check: run folder {out} (seed {seed})", file=sys.stderr, flush=True)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    ctx = Context(config, out, t0 + config.budget, seed=seed, progress=progress)
    results: list[StageResult] = []
    interrupted = False
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if main_thread else None
    try:
        for name in STAGES:
            if name not in chosen:
                results.append(StageResult(name, Status.SKIPPED, message="not selected (--only/--skip)"))
                continue
            if interrupted:
                results.append(StageResult(name, Status.SKIPPED, message="not run: the check was interrupted"))
                continue
            if ctx.remaining() <= 0:
                results.append(StageResult(name, Status.TIMEOUT, message=f"not run: the {config.budget:g} s budget was exhausted"))
                continue
            if name != "build" and any(r.name == "build" and r.status is Status.ERROR for r in results):
                results.append(StageResult(name, Status.SKIPPED, message="not run: the build failed"))
                continue
            progress.start(name)
            s0 = time.monotonic()
            fired = {"alarm": False}
            ctx.partial, ctx.found = [], None
            try:
                with _budget_alarm(ctx.remaining() + GRACE_SECONDS, fired, main_thread):
                    res = STAGE_FUNCS[name](ctx)
            except BudgetExhausted:
                res = _cut_stage(ctx, name, "the budget ran out", f"stopped: the {config.budget:g} s budget ran out during the stage")
            except KeyboardInterrupt:
                interrupted = True
                res = _cut_stage(ctx, name, "interrupted", "interrupted before it finished")
            except LevcheckError as exc:
                res = StageResult(name, Status.ERROR, message=str(exc), cases=[Case(name, "stage", Status.ERROR, str(exc))])
            except Exception as exc:  # a stage that crashed is an error, never a pass
                if fired["alarm"]:  # the alarm hit inside a library that turned it into its own error
                    res = _cut_stage(ctx, name, "the budget ran out", f"stopped: the {config.budget:g} s budget ran out during the stage",
                                     keep_partial=False)
                else:
                    res = StageResult(name, Status.ERROR, message=f"{type(exc).__name__}: {exc}",
                                      cases=[Case(name, "stage", Status.ERROR, f"{type(exc).__name__}: {exc}")])
            res.seconds = time.monotonic() - s0
            results.append(res)
            progress.finish(res)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    status = Status.worst([r.status for r in results])
    if status is Status.SKIPPED:  # pragma: no cover - stages() refuses an empty selection
        status = Status.ERROR
    if interrupted and status is Status.PASS:
        status = Status.TIMEOUT
    summary = CheckSummary(__version__, started, time.monotonic() - t0, config.budget, status, int(status.exit_code),
                           interrupted, results, run_folder=str(out), seed=seed)
    try:
        plots = plot_counterexamples(summary, out / "plots", config)
    except Exception as exc:  # plots are a convenience; the reports below are the verdict
        plots = {}
        print(f"levcheck check: plots not drawn ({type(exc).__name__}: {exc})", file=sys.stderr)
    write_json(summary, out / "summary.json")
    write_junit(summary, out / "junit.xml")
    write_sarif(summary, out / "levcheck.sarif", ctx.analysis_sarif)
    write_markdown(summary, out / "summary.md", plots)
    return summary


def _cut_stage(ctx: Context, name: str, why: str, message: str, keep_partial: bool = True) -> StageResult:
    """The result of a stage cut by the budget or an interrupt: the failure it had already written
    (`ctx.found`, a fail with its scenario file, saying it was not minimised), else a timeout with the
    cases it finished (`keep_partial`) and a timeout case for the rest."""
    if ctx.found is not None:
        f = ctx.found
        return StageResult(name, f.status, cases=f.cases, info=f.info,
                           message=f"{f.message} ({why} before the stage finished; the file replays as it is)")
    return StageResult(name, Status.TIMEOUT, cases=_cut(ctx.partial, why) if keep_partial else [], message=message)


def _cut(finished: list[Case], why: str) -> list[Case]:
    """A cut stage keeps the cases it finished, plus one timeout case saying the rest did not run."""
    rest = Case("unfinished", "stage", Status.TIMEOUT, f"{why} after {len(finished)} finished case(s): the rest did not run")
    return [*finished, rest]


@contextlib.contextmanager
def _budget_alarm(seconds: float, fired: dict, enabled: bool) -> Iterator[None]:
    """Raise BudgetExhausted in the stage once `seconds` have passed (SIGALRM: main thread only;
    Z3 and solc run in C or a child process, and their own timeouts are capped by the deadline)."""
    if not enabled or not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        fired["alarm"] = True
        raise BudgetExhausted

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
