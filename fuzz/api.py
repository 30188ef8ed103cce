"""In-process entry points for the `check` stage and the CLI: `run_fuzz(config) -> FuzzResult` and
`replay_file(path, backend) -> ReplayResult`.

A campaign is a sequence of Hypothesis runs ("batches") of the differential state machine, each with
a seed derived from (seed, batch number), no example database and derandomized generation, so the
same seed gives the same run. `examples` bounds the total number of examples; `seconds` stops after
the batch in which the time ran out (either may be given; the profile supplies the default).
The first failure is shrunk by Hypothesis, written as a scenario file and replayed from that file to
produce the numbered step list and the model-vs-EVM diff.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from hypothesis import HealthCheck, Phase, seed as hyp_seed, settings
from hypothesis.stateful import get_state_machine_test

from levcheck.chain.build import Artifacts, build_contracts
from levcheck.specs.params import BUNDLED, MarketParams

from .machine import MACHINE_ACTORS, DifferentialFailure, Recorder, make_machine
from .minimize import minimize
from levcheck.chain.session import ReplayResult, Session, replay_scenario
from levcheck.specs.scenario import DEFAULT_FUNDING, Scenario, dump, load


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # total examples of the campaign
    steps_per_example: int  # Hypothesis stateful_step_count: rules per example (each runs 8 actions)
    batch: int  # examples per Hypothesis run


PROFILES = {  # rules per example x 8 actions per rule = differential steps per example (about)
    "dev": Profile("dev", 60, 15, 30),
    "ci": Profile("ci", 300, 25, 50),
    "nightly": Profile("nightly", 20_000, 60, 200),
}


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
    shrink: bool = True


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
    notes: list[str] = field(default_factory=list)
    coverage: dict[tuple[str, str], int] = field(default_factory=dict)  # (action, "ok" | revert error) -> steps

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

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
            "coverage": {f"{a} {o}": n for (a, o), n in sorted(self.coverage.items())},
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
    with _no_local_constants():
        return _run_fuzz(config)


def _run_fuzz(config: FuzzConfig) -> FuzzResult:
    prof = PROFILES[config.profile]
    total = config.examples if config.examples is not None else (None if config.seconds else prof.examples)
    steps_per_example = config.steps_per_example or prof.steps_per_example
    artifacts = config.artifacts or build_contracts(extra_sources=config.sources)
    funding = dict(DEFAULT_FUNDING)
    session = Session(config.params, MACHINE_ACTORS, funding, config.backend, artifacts)
    recorder = Recorder()
    machine = make_machine(session, recorder)
    start = time.perf_counter()
    cpu_start = time.process_time()
    recorder.started = start
    recorder.deadline = start + config.seconds if config.seconds is not None else None
    batches = 0
    try:
        while True:
            done = recorder.examples
            if total is not None and done >= total:
                break
            if config.seconds is not None and time.perf_counter() - start >= config.seconds:
                break
            n = prof.batch if total is None else min(prof.batch, total - done)
            # A time-bounded run skips Hypothesis's shrinking (unbounded in time) and relies on the
            # deterministic, capped concrete-step minimizer; rules turn into no-ops at the deadline.
            shrink = config.shrink and config.seconds is None
            phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]
            s = settings(
                max_examples=n,
                stateful_step_count=steps_per_example,
                deadline=None,
                database=None,
                derandomize=False,
                phases=phases,
                suppress_health_check=list(HealthCheck),
                print_blob=False,
                report_multiple_bugs=False,
            )
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
    finally:
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    result = FuzzResult(
        seed=config.seed,
        profile=prof.name,
        status="failed" if recorder.failing_steps is not None else "passed",
        examples=recorder.examples,
        steps=recorder.steps_total,
        seconds=elapsed,
        steps_to_failure=recorder.steps_to_first_failure,
        seconds_to_failure=recorder.seconds_to_first_failure,
        cpu_seconds=cpu,
        batches=batches,
        coverage=dict(recorder.coverage),
    )
    if recorder.failing_steps is not None:
        steps, replays = minimize(session, list(recorder.failing_steps))
        result.notes.append(f"minimized {len(recorder.failing_steps)} -> {len(steps)} step(s) in {replays} replay(s)")
        sc = Scenario(
            params=config.params,
            steps=steps,
            actors=MACHINE_ACTORS,
            funding=funding,
            origin=f"hypothesis seed={config.seed} profile={prof.name}",
            description="shrunk counterexample from levcheck fuzz",
        )
        replay = replay_scenario(sc, config.backend, artifacts=artifacts)
        sc.expect = {"status": replay.status, "step": replay.first_failure}
        result.scenario, result.replay = sc, replay
        if config.out_dir is not None:
            result.scenario_path = dump(sc, Path(config.out_dir) / f"failure-seed{config.seed}.json")
    session.close()
    return result


def replay_file(path: str | Path, backend: str = "pyrevm", artifacts: Artifacts | None = None, sources: dict[str, str] | None = None) -> ReplayResult:
    """Load a scenario file (raises `ScenarioError` on a bad or incompatible file) and replay it."""
    return replay_scenario(load(path), backend, artifacts=artifacts, sources=sources)
