"""The battery one mutant runs (on an engine worker): compile, then the regression scenarios (and the
constructor-limit deployments of `levcheck.chain.conformance`, as `check`'s replay stage), a fuzz
campaign with a fixed example budget, and the analysis, stopping at the first stage that kills it.

The order is cheapest first (replaying five scenarios takes about a second, the campaign a few, Slither
several): a mutant is "killed by" the first stage that tells it from the original, so the analysis
is credited only with what the dynamic stages miss. Every stage compares with the same stage on the
unmodified tree (`Baseline`), which must pass: a kill means "this stage tells them apart".
"""
from __future__ import annotations

import enum
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from levcheck.chain.build import build_contracts, cache_file
from levcheck.errors import CompileError, LevcheckError
from levcheck.specs.scenario import Scenario

from .generate import Mutant


@enum.unique
class Verdict(str, enum.Enum):
    KILLED = "killed"
    SURVIVED = "survived"
    INVALID = "invalid"  # does not compile


STAGES = ("scenarios", "fuzz", "analyze")


@dataclass(frozen=True)
class BatteryConfig:
    fuzz_seed: int
    fuzz_examples: int
    fuzz_steps: int | None
    scenarios: tuple[tuple[str, Scenario], ...]  # (name, scenario): the regression set
    triage: str | None  # slither-triage.toml for the analysis stage
    stages: tuple[str, ...] = STAGES


@dataclass
class MutantResult:
    mutant: Mutant
    verdict: Verdict
    killed_by: str | None = None  # the stage
    detail: str = ""  # why: the scenario and its first failure, the invariant, the new finding, the compile error
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    worker: str = ""
    accepted: str | None = None  # the triage reason, for an accepted (equivalent) survivor

    def to_json(self) -> dict:
        m = self.mutant
        return {"id": m.id, "file": m.file, "line": m.line, "operator": m.operator, "origin": m.origin,
                "old": m.old, "new": m.new, "verdict": self.verdict.value, "killed_by": self.killed_by,
                "detail": self.detail, "accepted": self.accepted, "seconds": round(self.seconds, 2),
                "cpu_seconds": round(self.cpu_seconds, 2), "worker": self.worker}


@dataclass
class Baseline:
    """The original tree's battery outcome: every stage passes; the analysis' open findings."""

    findings: frozenset[tuple] = field(default_factory=frozenset)
    fuzz_steps: int = 0
    seconds: float = 0.0


def _finding_key(f) -> tuple:
    return (f.detector, f.contract, f.function, f.message)


def _tree(sources: dict[str, str], mutant: Mutant | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="levcheck-mutant-"))
    for key, text in sources.items():
        dest = root / "contracts" / Path(key).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(mutant.apply(text) if mutant is not None and key == mutant.file else text)
    return root / "contracts"


def run_battery(sources: dict[str, str], mutant: Mutant | None, cfg: BatteryConfig,
                baseline: Baseline | None) -> MutantResult | Baseline:
    """Run the battery on `sources` with `mutant` applied (None: the baseline, which must pass)."""
    t0, c0 = time.perf_counter(), time.process_time()
    tree = _tree(sources, mutant)
    entry = None
    try:
        try:
            artifacts = build_contracts(tree)
            entry = cache_file(artifacts.std_input)
        except CompileError as exc:
            if mutant is None:
                raise
            return _done(MutantResult(mutant, Verdict.INVALID, detail=str(exc).splitlines()[0][:300]), t0, c0)
        findings: frozenset = frozenset()
        steps = 0
        for stage in cfg.stages:
            try:
                why, extra = _stage(stage, tree, artifacts, cfg, baseline)
            except Exception as exc:  # noqa: BLE001 - a mutant that breaks the fixture (a deployment revert) is told apart
                if mutant is None:
                    raise
                why, extra = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:400], None
            if stage == "analyze":
                findings = extra
            if stage == "fuzz":
                steps = extra
            if why is not None:
                if mutant is None:
                    raise LevcheckError(f"the battery fails on the unmodified contracts at its {stage} stage ({why}): "
                                       "a mutant's kill would mean nothing; fix that first" + (" (or change --seed)" if stage == "fuzz" else ""))
                return _done(MutantResult(mutant, Verdict.KILLED, stage, why), t0, c0)
        if mutant is None:
            return Baseline(findings, steps, time.perf_counter() - t0)
        return _done(MutantResult(mutant, Verdict.SURVIVED), t0, c0)
    finally:
        shutil.rmtree(tree.parent, ignore_errors=True)
        if entry is not None:  # one-off compile: keep the shared cache small
            entry.unlink(missing_ok=True)


def _done(r: MutantResult, t0: float, c0: float) -> MutantResult:
    import socket

    r.seconds, r.cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    r.worker = f"{socket.gethostname()}:{os.getpid()}"
    return r


def _stage(stage: str, tree: Path, artifacts, cfg: BatteryConfig, baseline: Baseline | None) -> tuple[str | None, object]:
    """(why it tells the mutant apart, or None; what the baseline keeps)."""
    if stage == "scenarios":
        from levcheck.chain.session import replay_scenario

        for name, sc in cfg.scenarios:
            r = replay_scenario(sc, "pyrevm", artifacts=artifacts)
            if r.failed:
                step = r.steps[r.first_failure]
                first = (step.differences or step.violations or [r.message])[0]
                return f"{name}: {r.status} at step {r.first_failure} ({step.step.describe()}): {first}"[:400], None
        from levcheck.chain.conformance import constructor_conformance

        wrong = [c for c in constructor_conformance(artifacts) if not c.ok]
        if wrong:  # a constructor guard off at its limit, or gone: no campaign deploys an invalid set
            return f"constructor limits: {wrong[0].describe()}"[:400], None
        return None, None
    if stage == "fuzz":
        from levcheck.fuzz.api import FuzzConfig, run_fuzz

        res = run_fuzz(FuzzConfig(seed=cfg.fuzz_seed, examples=cfg.fuzz_examples, steps_per_example=cfg.fuzz_steps,
                                  artifacts=artifacts, out_dir=None, shrink=False))
        if res.failed:
            rep = res.replay
            step = rep.steps[rep.first_failure] if rep and rep.first_failure is not None else None
            first = (step.differences or step.violations)[0] if step else "failed"
            return f"seed {cfg.fuzz_seed}, after {res.steps_to_failure} steps: {first}"[:400], res.steps
        return None, res.steps
    if stage == "analyze":
        from levcheck.analysis import run_analysis

        res = run_analysis(tree, triage=cfg.triage)
        keys = frozenset(_finding_key(f) for f in res.open)
        new = sorted(keys - (baseline.findings if baseline else frozenset()), key=str)
        if baseline is not None and new:
            d, c, fn, msg = new[0]
            return f"new finding {d} in {c}.{fn}: {msg}"[:400], keys
        return None, keys  # the baseline's open findings (if any) are what a mutant is compared with
    raise ValueError(f"unknown stage {stage!r}")
