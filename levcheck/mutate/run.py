"""A mutation run: generate, sample (`max_mutants`, by seed), run the baseline and every mutant's
battery on the engine, apply the triage, score.

score = killed / (compiled - accepted equivalent); compiled = killed + survived (invalid mutants do
not count). A sample drawn with `max_mutants` is a seeded shuffle of every distinct mutant, so its
score estimates the whole population's and the same seed draws the same sample.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from levcheck.chain.build import ROOT, collect_sources
from levcheck.chain.project import BUNDLED_SCENARIOS
from levcheck.errors import LevcheckError

from . import triage as triage_mod
from .battery import STAGES, Baseline, BatteryConfig, MutantResult, Verdict, run_battery
from .generate import generate


@dataclass
class MutationRun:
    seed: int
    generated: int  # distinct mutants of the selected files
    dropped_identical: int
    results: list[MutantResult]
    stale: list[tuple[triage_mod.Accepted, str]]
    config: BatteryConfig
    seconds: float
    engine: str
    workers: int
    startup_seconds: float
    baseline_seconds: float
    cpu_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def count(self, verdict: Verdict, results: list[MutantResult] | None = None) -> int:
        return sum(r.verdict is verdict for r in (self.results if results is None else results))

    def score_of(self, results: list[MutantResult]) -> float | None:
        killed = self.count(Verdict.KILLED, results)
        compiled = killed + self.count(Verdict.SURVIVED, results)
        accepted = sum(1 for r in results if r.verdict is Verdict.SURVIVED and r.accepted)
        denom = compiled - accepted
        return killed / denom if denom > 0 else None

    @property
    def score(self) -> float | None:
        return self.score_of(self.results)

    @property
    def live(self) -> list[MutantResult]:
        """Survivors nobody accepted as equivalent: the battery's blind spots."""
        return [r for r in self.results if r.verdict is Verdict.SURVIVED and not r.accepted]

    @property
    def mutants_per_minute(self) -> float:
        return 60 * len(self.results) / self.seconds if self.seconds > 0 else 0.0

    def by_file(self) -> dict[str, list[MutantResult]]:
        out: dict[str, list[MutantResult]] = {}
        for r in sorted(self.results, key=lambda r: (r.mutant.file, r.mutant.line)):
            out.setdefault(r.mutant.file, []).append(r)
        return out


def load_scenarios(folder: str | Path) -> tuple:
    from levcheck.specs.scenario import load

    files = sorted(Path(folder).rglob("*.json"))
    if not files:
        raise LevcheckError(f"no scenario files (*.json) in {folder}: the battery's regression stage would check nothing")
    return tuple((f.name, load(f)) for f in files)


def run_mutation(engine, *, contracts: str = "contracts", seed: int = 0, max_mutants: int | None = None,
                 only: list[str] | None = None, fuzz_examples: int = 20, fuzz_steps: int | None = 10,
                 scenarios: str | Path = BUNDLED_SCENARIOS, triage: str | Path = ROOT / triage_mod.DEFAULT,
                 slither_triage: str | Path | None = ROOT / "slither-triage.toml", slither: bool = True,
                 stages: tuple[str, ...] = STAGES, progress=None, ids: list[str] | None = None) -> MutationRun:
    t0 = time.perf_counter()
    sources = collect_sources(contracts)
    mutants, dropped = generate(sources, only, slither=slither)
    if only and not mutants:
        raise LevcheckError(f"--only {' '.join(only)} selects no file with a mutant (files: {', '.join(sorted(sources))})")
    if not mutants:
        raise LevcheckError(f"{contracts}: no mutant generated: nothing to score")
    sample = sorted(mutants, key=lambda m: m.id)
    if ids:  # re-run named mutants (a survivor after a stronger check): each id (or prefix) must name exactly one
        chosen = []
        for i in ids:
            hit = [m for m in sample if m.id.startswith(i)]
            if len(hit) != 1:
                raise LevcheckError(f"--mutant {i}: {'no' if not hit else len(hit)} generated mutant(s) with that id"
                                    + ("" if slither else " (without --no-slither, slither-mutate's are generated too)"))
            chosen += hit
        sample = list(dict.fromkeys(chosen))
    random.Random(seed).shuffle(sample)
    if max_mutants is not None:
        sample = sample[:max_mutants]
    cfg = BatteryConfig(seed, fuzz_examples, fuzz_steps, load_scenarios(scenarios),
                        str(slither_triage) if slither_triage else None, stages)
    client = engine.client
    src = client.scatter(sources, broadcast=True, hash=False)
    tb = time.perf_counter()
    baseline: Baseline = client.submit(run_battery, src, None, cfg, None, pure=False).result()
    baseline_seconds = time.perf_counter() - tb
    run_notes: list[str] = []
    futures = [client.submit(run_battery, src, m, cfg, baseline, pure=False, key=f"levcheck-mutant-{m.id}-{seed}")
               for m in sample]
    from distributed import as_completed

    results: list[MutantResult] = []
    retried: list[str] = []
    pending = as_completed(futures)
    for fut in pending:
        try:
            r = fut.result()
        except LevcheckError as exc:
            # Not the mutant's doing (a toolchain error is raised before any stage runs; a mutant's own
            # failures are verdicts): run it once more rather than lose a long run near its end.
            m = next(x for x in sample if fut.key == f"levcheck-mutant-{x.id}-{seed}")
            if m.id in retried:
                raise
            retried.append(m.id)
            run_notes.append(f"mutant {m.id}: re-run after an error on its worker ({str(exc).splitlines()[0][:160]})")
            pending.add(client.submit(run_battery, src, m, cfg, baseline, pure=False, key=f"levcheck-mutant-{m.id}-{seed}-retry"))
            continue
        results.append(r)
        if progress is not None:
            progress(r, len(results), len(sample))
    lost = engine.lost({f.key for f in futures})
    entries = triage_mod.load(triage)
    accepted = {e.mutant: e.reason for e in entries}
    for r in results:
        if r.verdict is Verdict.SURVIVED and r.mutant.id in accepted:
            r.accepted = accepted[r.mutant.id]
    stale = triage_mod.stale(entries, {m.id: m.file for m in mutants},
                             {r.mutant.id for r in results if r.verdict is Verdict.KILLED})
    results.sort(key=lambda r: (r.mutant.file, r.mutant.line, r.mutant.id))
    run = MutationRun(seed, len(mutants), dropped, results, stale, cfg, time.perf_counter() - t0, engine.address,
                      engine.workers, engine.startup_seconds, baseline_seconds,
                      cpu_seconds=sum(r.cpu_seconds for r in results))
    run.notes += run_notes
    run.notes += [f"mutant {lw.key}: worker {lw.worker} died while running it; re-run" for lw in lost]
    if max_mutants is not None and max_mutants < len(mutants):
        run.notes.append(f"a seeded sample of {len(sample)} of {len(mutants)} distinct mutants (--max-mutants; seed {seed})")
    return run

