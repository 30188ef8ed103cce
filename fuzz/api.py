"""In-process entry points for the `check` stage and the CLI: `run_fuzz(config) -> FuzzResult` and
`replay_file(path, backend) -> ReplayResult`.

A campaign is a sequence of Hypothesis runs ("batches") of the differential state machine, each with
an explicit seed derived from (seed, batch number) and no example database, so the same seed gives
the same run. The budgets are Hypothesis settings profiles (`levcheck-dev`, `levcheck-ci`,
`levcheck-nightly`: total examples and rules per example), chosen with `--profile` or, by default,
with the `HYPOTHESIS_PROFILE` environment variable (`levcheck-ci` or `ci`). Every batch runs with the same settings (the profile's batch size);
the campaign is cut at an example boundary, after `examples` examples or when `seconds` run out
(either may be given; both: the examples bound the run and the time is only an outer guard). A
run cut by time records how many examples it ran, and `--seed N --examples K` replays exactly those
examples (`FuzzResult.reproduce`). A campaign that ran no differential step is an error.
The first failure ends the campaign. Its example's concrete steps are written as a scenario file at
once (failing, not yet minimised: an interrupted minimisation still leaves a replayable failure),
then minimised by removing steps within a replay cap (`fuzz.minimize`; Hypothesis's shrinker is not
used: nothing bounds its work) and written again, and replayed to produce the numbered step list
and the model-vs-EVM diff.
"""
from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from hypothesis import HealthCheck, Phase, seed as hyp_seed, settings
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test

from levcheck.chain.build import Artifacts, build_contracts
from levcheck.errors import LevcheckError
from levcheck.specs.edges import table as edge_table
from levcheck.specs.invariants import INVARIANTS
from levcheck.specs.params import BUNDLED, MarketParams

from .machine import MACHINE_ACTORS, DifferentialFailure, Recorder, make_machine
from .minimize import MAX_REPLAYS, minimisation_note, minimize
from levcheck.chain.session import VIEWS_EVERY, ReplayResult, Session, replay_scenario
from levcheck.specs.scenario import DEFAULT_FUNDING, Scenario, dump, load


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # total examples of the campaign (the settings profile's max_examples)
    steps_per_example: int  # Hypothesis stateful_step_count: rules per example (each runs 8 actions)
    batch: int  # examples per Hypothesis run (a levcheck notion: the campaign is run in batches)


# name -> (examples, rules per example, batch); rules x 8 actions = differential steps per example (about)
_BUDGETS = {"dev": (60, 15, 30), "ci": (300, 25, 50), "nightly": (20_000, 60, 200)}
for _name, (_examples, _steps, _) in _BUDGETS.items():
    settings.register_profile(
        f"levcheck-{_name}",
        max_examples=_examples,
        stateful_step_count=_steps,
        deadline=None,
        database=None,  # a failure becomes a scenario file, not an entry in .hypothesis/
        derandomize=False,  # the campaign seeds every batch itself
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
    )


def _profile(name: str) -> Profile:
    s = settings.get_profile(f"levcheck-{name}")
    return Profile(name, s.max_examples, s.stateful_step_count, _BUDGETS[name][2])


PROFILES = {name: _profile(name) for name in _BUDGETS}


def default_profile(environ: dict[str, str] | None = None) -> str:
    """The profile `HYPOTHESIS_PROFILE` names (`levcheck-ci` or `ci`), else `dev`."""
    import os

    env = (os.environ if environ is None else environ).get("HYPOTHESIS_PROFILE", "")
    name = env.removeprefix("levcheck-")
    if env and name not in PROFILES:
        raise LevcheckError(f"HYPOTHESIS_PROFILE={env!r} names no levcheck profile: use one of "
                            f"{', '.join('levcheck-' + n for n in PROFILES)} (or unset it)")
    return name or "dev"


@dataclass(frozen=True)
class ProgressInfo:
    """Where a campaign is, handed to `FuzzConfig.progress` at every example boundary (and once at the
    end). Read-only and built from counters the campaign keeps anyway: reporting it draws nothing and
    changes nothing, so a run with progress is the same run as one without."""

    seed: int
    examples: int  # examples generated so far (during shrinking: counts the shrinker's replays too)
    budget: int | None  # the example bound (None: bounded by the time guard only)
    steps: int  # differential steps so far
    elapsed: float  # seconds since the campaign started
    guard: float | None  # the time guard (--seconds), if any
    shrinking: bool = False  # a failure was seen and is being shrunk
    done: bool = False  # the last call: the campaign has ended

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class FuzzConfig:
    seed: int = 0
    profile: str = "dev"
    examples: int | None = None
    seconds: float | None = None
    steps_per_example: int | None = None
    params: MarketParams = BUNDLED
    backend: str = "pyrevm"
    sources: dict[str, str] | None = None  # patched contract sources (quality tests)
    artifacts: Artifacts | None = None
    out_dir: Path | None = Path("levcheck-out/fuzz")  # where a failing scenario is written
    shrink: bool = True  # minimise the failure (concrete steps, at most minimise_replays replays); never Hypothesis's shrinker
    minimise_replays: int = MAX_REPLAYS
    record_examples: bool = False  # keep every example's steps (FuzzResult.executed) for a coverage replay
    # called at each example boundary with a ProgressInfo (levcheck/report/progress.py renders it);
    # not picklable in general: a sharded run sends its shards a config without it
    progress: Callable[[ProgressInfo], None] | None = None


@dataclass
class FuzzResult:
    seed: int
    profile: str
    status: str  # "passed" | "failed"
    examples: int
    steps: int  # differential steps executed (model + EVM + comparison + invariants)
    seconds: float
    steps_to_failure: int | None = None  # differential steps run before the first failure was seen
    seconds_to_failure: float | None = None  # wall time to the first failure (before shrinking)
    cpu_seconds: float = 0.0  # process CPU time of the campaign (fair on a shared machine)
    scenario_path: Path | None = None
    scenario: Scenario | None = None
    replay: ReplayResult | None = None
    batches: int = 0
    cut_by_time: bool = False  # the time guard ended the campaign before its example bound
    steps_per_example: int = 0
    notes: list[str] = field(default_factory=list)
    coverage: dict[tuple[str, str], int] = field(default_factory=dict)  # (action, "ok" | revert error) -> steps
    # invariant id -> steps that exercised it (its action reached with its premise true), every
    # registered invariant listed (0: never exercised); shrinking replays not counted
    exercised: dict[str, int] = field(default_factory=dict)
    views_read: int = 0  # steps whose published views were compared with the spec's
    executed: list[list] = field(default_factory=list)  # each generated example's steps (record_examples only)
    # (SPEC comparison id, "below" | "equal" | "above") -> steps that evaluated it so (specs/edges.py)
    edges: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def reproduce(self) -> str:
        """The command that replays exactly the examples this campaign ran (time plays no part)."""
        steps = "" if self.steps_per_example == PROFILES[self.profile].steps_per_example else f" --steps {self.steps_per_example}"
        return f"levcheck fuzz --seed {self.seed} --profile {self.profile} --examples {self.examples}{steps}"

    def to_json(self) -> dict:
        out = {
            "seed": self.seed,
            "profile": self.profile,
            "status": self.status,
            "examples": self.examples,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "steps_per_second": round(self.steps_per_second, 1),
            "steps_to_failure": self.steps_to_failure,
            "seconds_to_failure": None if self.seconds_to_failure is None else round(self.seconds_to_failure, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "scenario": str(self.scenario_path) if self.scenario_path else None,
            "batches": self.batches,
            "cut_by_time": self.cut_by_time,
            "reproduce": self.reproduce,
            "coverage": {f"{a} {o}": n for (a, o), n in sorted(self.coverage.items())},
            "exercised": dict(self.exercised),
            "views_read": self.views_read,
            "edges": edge_table(self.edges),
        }
        if self.replay is not None and self.replay.first_failure is not None:
            f = self.replay.steps[self.replay.first_failure]
            out["failure"] = {
                "status": self.replay.status,
                "step": self.replay.first_failure,
                "differences": f.differences,
                "violations": f.violations,
                "steps": [s.step.describe() for s in self.replay.steps],
            }
        return out


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis 6.170 sometimes draws "local constants" harvested from every module loaded so far,
    so the same seed would give different runs from the CLI and from pytest. Within a campaign, draw
    from no local constants (internal API: if it moves, runs stay valid but only seed-reproducible
    within one entry point)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        yield
        return
    saved_fn = getattr(providers, "_get_local_constants", None)
    saved_cache = getattr(providers, "CONSTANTS_CACHE", None)
    if saved_fn is None or saved_cache is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE = type(saved_cache)(1024)  # a fresh cache: no constants from earlier runs
    try:
        yield
    finally:
        providers._get_local_constants = saved_fn
        providers.CONSTANTS_CACHE = saved_cache


def run_fuzz(config: FuzzConfig) -> FuzzResult:
    """Run a differential fuzz campaign; see the module docstring."""
    with _no_local_constants(), _collector_tuned():
        return _run_fuzz(config)


@contextlib.contextmanager
def _collector_tuned() -> Iterator[None]:
    """A step allocates many short-lived containers (model snapshots, events, typed results); with the
    default gen-0 threshold (700) the cyclic collector runs every few steps and its older passes walk
    the whole heap (Hypothesis's, the model's, the artifacts): measured at about a fifth of a
    campaign's CPU. For the campaign, the objects alive before it are frozen out of the collector and
    gen 0 runs every 100,000 allocations; cycles are still collected."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def check_budget(config: FuzzConfig) -> None:
    """Refuse a budget that would check nothing (one place: a campaign and its shards both ask)."""
    if config.examples is not None and config.examples < 1:
        raise LevcheckError(f"--examples must be at least 1, got {config.examples}: 0 examples would check nothing")
    if config.seconds is not None and not config.seconds > 0:
        raise LevcheckError(f"--seconds must be positive, got {config.seconds}")
    if config.steps_per_example is not None and config.steps_per_example < 1:
        raise LevcheckError(f"--steps must be at least 1, got {config.steps_per_example}")
    if config.minimise_replays < 1:
        raise LevcheckError(f"minimise_replays must be at least 1, got {config.minimise_replays}: "
                            "a failure must be replayed once to be written")


def _run_fuzz(config: FuzzConfig) -> FuzzResult:
    prof = PROFILES[config.profile]
    check_budget(config)
    total = config.examples if config.examples is not None else (None if config.seconds else prof.examples)
    steps_per_example = config.steps_per_example or prof.steps_per_example
    artifacts = config.artifacts or build_contracts(extra_sources=config.sources)
    funding = dict(DEFAULT_FUNDING)
    session = Session(config.params, MACHINE_ACTORS, funding, config.backend, artifacts, views_every=VIEWS_EVERY)
    recorder = Recorder(record=config.record_examples)
    start = time.perf_counter()
    deadline = start + config.seconds if config.seconds is not None else None
    cut = {"time": False, "done": False}
    generated: dict[str, int | None] = {"to_failure": None}  # examples generated up to the first failure
    base = make_machine(session, recorder)

    def tick(now: float, done: bool = False) -> None:
        if config.progress is not None:
            config.progress(ProgressInfo(config.seed, recorder.examples, total, recorder.steps_total, now - start,
                                         config.seconds, recorder.failing_steps is not None, done))

    class Bounded(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            if recorder.failing_steps is not None and generated["to_failure"] is None:
                generated["to_failure"] = recorder.examples  # the failing one was the last generated
            now = time.perf_counter() if deadline is not None or config.progress is not None else 0.0  # once per example
            tick(now)
            # The cut is decided before an example starts, so "examples" counts whole examples only.
            # A cut example (and every later one) runs no step: the machine's rules are no-ops once
            # recorder.deadline has passed, and Hypothesis finishes the batch quickly. (Raising here
            # instead would make Hypothesis report flaky data generation.) While a failure is being
            # shrunk (failing_steps set) the machine ignores the deadline, so shrinking is unaffected.
            if not cut["done"] and recorder.failing_steps is None:
                if total is not None and recorder.examples >= total:
                    cut["done"] = True
                elif deadline is not None and now >= deadline:
                    cut["done"] = cut["time"] = True
            if cut["done"] and recorder.failing_steps is None:
                recorder.deadline = float("-inf")
                RuleBasedStateMachine.__init__(self)  # not the base's: no session reset, not counted
                self.s = session
                self.steps = []
                return
            super().__init__()

    machine = Bounded
    cpu_start = time.process_time()
    recorder.started = start
    recorder.deadline = None  # rules never turn into no-ops: a cut example would not replay from its seed
    batches = 0
    try:
        while True:
            done = recorder.examples
            if total is not None and done >= total:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                cut["time"] = True
                break
            # The same settings for every batch (a smaller last batch would draw other examples). No
            # shrink phase: its work has no bound (fuzz/minimize.py: minimise_scenario says why).
            s = settings(settings.get_profile(f"levcheck-{prof.name}"), max_examples=prof.batch,
                         stateful_step_count=steps_per_example, phases=[Phase.generate])
            test = hyp_seed(config.seed * 1_000_003 + batches)(get_state_machine_test(machine, settings=s))
            batches += 1
            try:
                test()
            except DifferentialFailure:
                break
            except AssertionError:
                if recorder.failing_steps is None:
                    raise
                break
            if cut["done"] or recorder.examples == done:  # cut, or Hypothesis ran nothing: stop rather than spin
                break
    finally:
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    if recorder.failing_steps is not None and generated["to_failure"] is None:
        generated["to_failure"] = recorder.examples
    tick(start + elapsed, done=True)
    result = FuzzResult(
        seed=config.seed,
        profile=prof.name,
        status="failed" if recorder.failing_steps is not None else "passed",
        # generated examples (shrinking replays are not examples): what `reproduce` passes to --examples
        examples=generated["to_failure"] if generated["to_failure"] is not None else recorder.examples,
        steps=recorder.steps_total,
        seconds=elapsed,
        steps_to_failure=recorder.steps_to_first_failure,
        seconds_to_failure=recorder.seconds_to_first_failure,
        cpu_seconds=cpu,
        batches=batches,
        coverage=dict(recorder.coverage),
        exercised={inv.id: session.exercised.get(inv.id, 0) for inv in INVARIANTS},
        views_read=session.views_read,
        edges=dict(recorder.edges),
        cut_by_time=cut["time"] and recorder.failing_steps is None,
        steps_per_example=steps_per_example,
        executed=recorder.executed,
    )
    if recorder.steps_total == 0 and recorder.failing_steps is None:
        session.close()
        raise LevcheckError(
            f"the fuzz campaign ran 0 differential steps ({recorder.examples} example(s) in {elapsed:.2f}s): nothing was checked; "
            "give it more --examples or --seconds")
    try:
        if recorder.failing_steps is not None:
            _write_failure(config, result, session, list(recorder.failing_steps), funding, artifacts, prof.name)
    finally:
        session.close()
    return result


def _write_failure(config: FuzzConfig, result: FuzzResult, session: Session, steps: list, funding: dict,
                   artifacts: Artifacts, profile: str) -> None:
    """The failing example's steps as a scenario, written first as they are (an interrupt during the
    minimisation leaves that replayable failure), then, with `config.shrink`, minimised within
    `config.minimise_replays` replays and written again (shrink=False: a shard, whose caller minimises)."""
    def scenario(steps: list, description: str) -> tuple[Scenario, ReplayResult]:
        sc = Scenario(params=config.params, steps=steps, actors=MACHINE_ACTORS, funding=funding,
                      origin=f"hypothesis seed={config.seed} profile={profile}", description=description)
        replay = replay_scenario(sc, config.backend, artifacts=artifacts)
        sc.expect = {"status": replay.status, "step": replay.first_failure}
        return sc, replay

    path = Path(config.out_dir) / f"failure-seed{config.seed}.json" if config.out_dir is not None else None
    result.scenario, result.replay = scenario(steps, "counterexample from levcheck fuzz, not minimised")
    if path is not None:
        result.scenario_path = dump(result.scenario, path)
    if not config.shrink:
        return
    short, replays = minimize(session, steps, config.minimise_replays)
    result.notes.append(minimisation_note(len(steps), len(short), replays, config.minimise_replays))
    shorter = scenario(short, f"counterexample from levcheck fuzz, minimised from {len(steps)} steps")
    if not shorter[1].failed:  # minimize judged it on the campaign's session: a fresh one must agree
        result.notes.append("the minimised steps do not fail on a fresh session (state leaks between examples?): "
                            "the scenario is the unminimised failure")
        return
    result.scenario, result.replay = shorter
    if path is not None:
        result.scenario_path = dump(result.scenario, path)


def replay_file(path: str | Path, backend: str = "pyrevm", artifacts: Artifacts | None = None, sources: dict[str, str] | None = None) -> ReplayResult:
    """Load a scenario file (raises `ScenarioError` on a bad or incompatible file) and replay it."""
    return replay_scenario(load(path), backend, artifacts=artifacts, sources=sources)
