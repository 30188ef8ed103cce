"""Sharded fuzzing: one campaign split into N deterministic shards run on the engine (fuzz/engine.py).

Shard K of a campaign with seed S is an ordinary campaign (`api.run_fuzz`, no shrinking) with seed
`shard_seed(S, K)` and `shard_examples(total, N, K)` examples, so

* the sharded run is a function of (S, N, the budget): same seed, same shards, same verdict;
* `levcheck fuzz --seed S --shard K` runs shard K alone, in this process. A campaign's first k
  examples do not depend on its budget (every batch has the same settings and seed), so a failure a
  shard found at its j-th example is found again by the shard alone with any budget >= j; with the
  printed `--examples` the shard alone is the very same run, step for step.

The first failure across shards (the lowest shard index among the failing ones: which shard finishes
first must not decide the verdict) is written as a scenario at once, from the failing example's
concrete steps the shard sent back, then minimised here within a replay cap (`_minimise`) and
written again. The merged result sums examples, steps, CPU time and every count dict of
`FuzzResult` (coverage, per-invariant exercise counts...).

A worker that dies while it runs a shard (killed, out of memory) is rescheduled by Dask; the
scheduler's own event log names the shard and the dead worker (`Engine.lost`), and the result
reports it beside the worker the shard finished on, so a re-run is never silent. A shard that kills
every worker it lands on fails the campaign with an error (Dask's KilledWorker after 3 tries).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from levcheck.chain.build import Artifacts, build_contracts
from levcheck.errors import LevcheckError
from levcheck.specs.params import MarketParams
from levcheck.chain.session import replay_scenario
from levcheck.specs.scenario import dump

from .api import PROFILES, FuzzConfig, FuzzResult, ProgressInfo, check_budget, run_fuzz
from .engine import Engine, LostWorker
from .minimize import minimisation_note, minimise_scenario


def shard_seed(seed: int, shard: int) -> int:
    """The seed of shard `shard` of campaign `seed`. Shard 0 keeps the campaign's own seed, so a
    one-shard run is exactly `levcheck fuzz --seed S`; shard K > 0 takes the first 31 bits of
    sha256("levcheck-shard:S:K") (independent of the number of shards, unrelated to seed S+K)."""
    if shard < 0:
        raise LevcheckError(f"--shard must be at least 0, got {shard}")
    if shard == 0:
        return seed
    return int.from_bytes(hashlib.sha256(f"levcheck-shard:{seed}:{shard}".encode()).digest()[:4], "big") >> 1


def shard_examples(total: int, shards: int, shard: int) -> int:
    """Shard `shard`'s share of `total` examples: equal parts, the first `total % shards` one more."""
    return total // shards + (1 if shard < total % shards else 0)


@dataclass(frozen=True)
class ShardTask:
    """What a worker needs to run one shard (picklable; the artifacts travel once, scattered)."""

    campaign_seed: int
    shard: int
    examples: int
    config: FuzzConfig  # profile, steps, params, backend, time guard; seed/examples/artifacts are set here


@dataclass
class ShardResult:
    shard: int
    seed: int  # shard_seed(campaign seed, shard)
    result: FuzzResult
    worker: str  # where it finished: host:pid
    reproduce: str


@dataclass
class ShardedResult:
    seed: int
    profile: str
    workers: int  # shards (one per worker)
    shards: list[ShardResult]
    merged: FuzzResult  # the totals; its scenario/replay are the minimised first failure
    lost: list[LostWorker] = field(default_factory=list)  # workers that died holding a shard
    failing_shard: int | None = None
    engine: str = "in-process"
    startup_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.merged.failed

    @property
    def reruns(self) -> list[str]:
        """One line per re-run shard: which shard, which worker died, where it finished."""
        by_key = {s.shard: s for s in self.shards}
        out = []
        for lw in self.lost:
            k = _shard_of(lw.key)
            done = by_key[k].worker if k in by_key else "?"
            how = "left the cluster" if lw.expected else "died"
            out.append(f"shard {k}: worker {lw.worker}{f' (pid {lw.pid})' if lw.pid else ''} {how} while running it; "
                       f"re-run and finished on {done}")
        return out

    @property
    def reproduce(self) -> str:
        m = self.merged
        steps = "" if m.steps_per_example == PROFILES[self.profile].steps_per_example else f" --steps {m.steps_per_example}"
        return f"levcheck fuzz --seed {self.seed} --workers {self.workers} --profile {self.profile} --examples {m.examples}{steps}"

    def to_json(self) -> dict:
        out = self.merged.to_json()
        out.update({
            "reproduce": self.reproduce,
            "workers": self.workers,
            "engine": self.engine,
            "engine_startup_seconds": round(self.startup_seconds, 3),
            "failing_shard": self.failing_shard,
            "shards": [{"shard": s.shard, "seed": s.seed, "status": s.result.status, "examples": s.result.examples,
                        "steps": s.result.steps, "cpu_seconds": round(s.result.cpu_seconds, 3), "worker": s.worker,
                        "reproduce": s.reproduce} for s in self.shards],
            "reruns": self.reruns,
            "notes": self.merged.notes + self.notes,
        })
        return out


def shard_reproduce(seed: int, shard: int, examples: int, cfg: FuzzConfig) -> str:
    steps = "" if cfg.steps_per_example in (None, PROFILES[cfg.profile].steps_per_example) else f" --steps {cfg.steps_per_example}"
    return f"levcheck fuzz --seed {seed} --shard {shard} --profile {cfg.profile} --examples {examples}{steps}"


def run_one_shard(task: ShardTask, artifacts: Artifacts | None = None) -> ShardResult:
    """Run one shard (on a worker, or here for `--shard K`); no shrinking, no file written."""
    seed = shard_seed(task.campaign_seed, task.shard)
    cfg = dataclasses.replace(task.config, seed=seed, examples=task.examples, shrink=False, out_dir=None,
                              artifacts=artifacts if artifacts is not None else task.config.artifacts)
    res = run_fuzz(cfg)
    return ShardResult(task.shard, seed, res, f"{socket.gethostname()}:{os.getpid()}",
                       shard_reproduce(task.campaign_seed, task.shard, task.examples, task.config))


class ShardProgress:
    """A shard's `FuzzConfig.progress` on a worker: the campaign's ProgressInfo as a scheduler event
    (Worker.log_event: batched, fire-and-forget, never waits in the campaign's loop), at most once a
    second of the campaign's own clock (no clock read of its own) and at the end. The client sums
    them (`_run_tasks`' `on_progress`). Off a worker it does nothing."""

    def __init__(self, topic: str, shard: int, every: float = 1.0) -> None:
        self.topic, self.shard, self.every, self.last = topic, shard, every, float("-inf")

    def __call__(self, info: ProgressInfo) -> None:
        if not info.done and info.elapsed - self.last < self.every:
            return
        self.last = info.elapsed
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):
            return
        worker.log_event(self.topic, {"shard": self.shard, **dataclasses.asdict(info)})


def _summing(tasks: list[ShardTask], on_progress: Callable[[ProgressInfo], None]) -> Callable[[int, ProgressInfo], None]:
    """`merge(shard, info)`: keeps each task's latest progress and hands `on_progress` their sum."""
    seed, total, guard, t0 = tasks[0].campaign_seed, sum(t.examples for t in tasks), tasks[0].config.seconds, time.perf_counter()
    latest: dict[int, ProgressInfo] = {}

    def merge(shard: int, info: ProgressInfo) -> None:
        latest[shard] = info
        infos = list(latest.values())
        on_progress(ProgressInfo(seed, sum(i.examples for i in infos), total, sum(i.steps for i in infos),
                                 time.perf_counter() - t0, guard, any(i.shrinking for i in infos)))

    return merge


def _task_key(run_id: str, shard: int) -> str:
    return f"levcheck-shard-{run_id}-{shard}"


def _shard_of(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def run_sharded(config: FuzzConfig, workers: int, engine: Engine | None = None,
                on_shard: Callable[[ShardResult, int, int], None] | None = None,
                on_progress: Callable[[ProgressInfo], None] | None = None) -> ShardedResult:
    """Run `config`'s campaign as `workers` shards on `engine` (in this process, one after another,
    when there is no engine), minimise the first failure and merge; see the module docstring.
    `on_shard(shard, done, total)` is called as each shard finishes, in completion order;
    `on_progress(info)` with the shards' summed progress while they run (on an engine: about once a
    second per shard, from the client's event loop thread)."""
    if workers < 1:
        raise LevcheckError(f"--workers must be at least 1, got {workers}")
    prof = PROFILES[config.profile]
    check_budget(config)  # the campaign's own refusals first (0 examples, a tiny --seconds): one message for them
    total = config.examples if config.examples is not None else prof.examples
    if total < workers:
        raise LevcheckError(f"{total} example(s) cannot make {workers} shards: every shard needs at least one "
                            "(raise --examples or lower --workers)")
    artifacts = config.artifacts or build_contracts(extra_sources=config.sources)
    # no progress callback on the workers: it is not picklable, and its stream is here
    base = dataclasses.replace(config, artifacts=None, sources=None, examples=total, progress=None)
    tasks = [ShardTask(config.seed, k, shard_examples(total, workers, k), base) for k in range(workers)]
    t0 = time.perf_counter()
    shards, lost = _run_tasks(tasks, artifacts, engine, on_shard, on_progress)
    seconds = time.perf_counter() - t0
    return _merge(config, artifacts, shards, lost, seconds, engine)


def _run_tasks(tasks: list[ShardTask], artifacts: Artifacts, engine: Engine | None,
               on_shard: Callable[[ShardResult, int, int], None] | None,
               on_progress: Callable[[ProgressInfo], None] | None = None) -> tuple[list[ShardResult], list[LostWorker]]:
    """Every task on the engine (here, one after another, without one); the results in task order.
    `on_progress` gets the tasks' summed progress: on an engine each task reports through the
    scheduler's event stream (ShardProgress) and the client's handler sums them; here, directly."""
    if on_progress is not None:
        merge = _summing(tasks, on_progress)
        if engine is None:
            tasks = [dataclasses.replace(t, config=dataclasses.replace(t.config, progress=functools.partial(merge, t.shard)))
                     for t in tasks]
            return _run_tasks(tasks, artifacts, engine, on_shard)
        topic = f"levcheck-progress-{uuid.uuid4().hex[:12]}"
        tasks = [dataclasses.replace(t, config=dataclasses.replace(t.config, progress=ShardProgress(topic, t.shard)))
                 for t in tasks]
        names = [f.name for f in dataclasses.fields(ProgressInfo)]  # the event also carries the scheduler's "worker"
        engine.client.subscribe_topic(topic, lambda ev: merge(ev[1]["shard"], ProgressInfo(**{k: ev[1][k] for k in names})))
        try:
            return _run_tasks(tasks, artifacts, engine, on_shard)
        finally:
            engine.client.unsubscribe_topic(topic)
    lost: list[LostWorker] = []
    if engine is None:
        shards = []
        for t in tasks:
            shards.append(run_one_shard(t, artifacts))
            if on_shard is not None:
                on_shard(shards[-1], len(shards), len(tasks))
    else:
        run_id = uuid.uuid4().hex[:12]
        keys = [_task_key(run_id, t.shard) for t in tasks]
        art = engine.client.scatter(artifacts, broadcast=True, hash=False)
        futures = [engine.client.submit(run_one_shard, t, art, key=k, pure=False) for t, k in zip(tasks, keys)]
        try:
            if on_shard is not None:  # completion order, for the lines only; the merge is by shard index
                from distributed import as_completed

                for done, fut in enumerate(as_completed(futures), 1):
                    on_shard(fut.result(), done, len(tasks))
            shards = engine.client.gather(futures)
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                raise LevcheckError(f"a shard killed every worker it ran on ({exc}); "
                                    "run it alone with --shard to see why (memory?)") from exc
            raise
        lost = engine.lost(set(keys))
        del futures, art
    return shards, lost


def _merge(config: FuzzConfig, artifacts: Artifacts, shards: list[ShardResult], lost: list[LostWorker],
           seconds: float, engine: Engine | None) -> ShardedResult:
    shards = sorted(shards, key=lambda s: s.shard)
    failing = next((s for s in shards if s.result.failed), None)
    merged = _summed(config, [s.result for s in shards], seconds, failing is not None)
    out = ShardedResult(config.seed, config.profile, len(shards), shards, merged, lost,
                        engine="in-process" if engine is None else engine.address,
                        startup_seconds=0.0 if engine is None else engine.startup_seconds)
    if failing is not None:
        out.failing_shard = failing.shard
        merged.steps_to_failure = failing.result.steps_to_failure
        merged.seconds_to_failure = failing.result.seconds_to_failure
        _minimise(config, artifacts, failing, out)
    return out


def _summed(config: FuzzConfig, results: list[FuzzResult], seconds: float, failed: bool) -> FuzzResult:
    merged = FuzzResult(
        seed=config.seed,
        profile=config.profile,
        status="failed" if failed else "passed",
        examples=sum(r.examples for r in results),
        steps=sum(r.steps for r in results),
        seconds=seconds,
        cpu_seconds=sum(r.cpu_seconds for r in results),
        batches=sum(r.batches for r in results),
        cut_by_time=any(r.cut_by_time for r in results),
        steps_per_example=results[0].steps_per_example,
        views_read=sum(r.views_read for r in results),
    )
    # Every count dict of FuzzResult (coverage, and any per-invariant counts) is summed key by key.
    for f in dataclasses.fields(FuzzResult):
        values = [getattr(r, f.name) for r in results]
        if values and all(isinstance(v, dict) for v in values) and all(isinstance(n, int) for v in values for n in v.values()):
            total: dict = {}
            for v in values:
                for k, n in v.items():
                    total[k] = total.get(k, 0) + n
            setattr(merged, f.name, total)
    return merged


def _minimise(config: FuzzConfig, artifacts: Artifacts, failing: ShardResult, out: "ShardedResult | PortfolioResult",
              label: str | None = None, on_unminimised: "Callable[[ShardedResult | PortfolioResult], None] | None" = None) -> None:
    """The failing unit's counterexample, bounded in work and the same on any machine:

    1. the failing example's concrete steps, as the unit recorded them on its worker (it ran without
       minimising and replayed them there), become the scenario and are written at once: a budget
       or a Ctrl-C during step 2 still leaves a failure that `levcheck replay` reproduces;
       `on_unminimised(out)` is called then (check keeps that result as its verdict if it is cut);
    2. `minimise_scenario` removes steps, at most `config.minimise_replays` replays here, and the
       file is written again. The unit is not re-run: its steps are already here, and Hypothesis's
       shrinker, which a re-run used, has no bound on its work (minimise_scenario's docstring).

    `config` is the failing unit's campaign (its parameter set); `label` names the portfolio set."""
    src = failing.result
    what = f"shard {failing.shard}" if label is None else f"parameter set {label}"
    m = out.merged
    m.scenario, m.replay = src.scenario, src.replay
    m.notes.extend(src.notes)
    if m.scenario is None:  # pragma: no cover - a failed campaign always carries its steps
        return
    origin = f"levcheck fuzz --seed {config.seed} --shard {failing.shard}" if label is None else failing.reproduce
    m.scenario = dataclasses.replace(m.scenario, origin=origin,
                                     description=f"counterexample from a sharded levcheck fuzz ({what}), not minimised")
    path = None
    if config.out_dir is not None:
        path = Path(config.out_dir) / f"failure-seed{out.seed}-{f'shard{failing.shard}' if label is None else label}.json"
        m.scenario_path = dump(m.scenario, path)
    if on_unminimised is not None:
        on_unminimised(out)
    if src.replay is None or not src.replay.failed:
        out.notes.append(f"{what}'s failing steps did not fail when replayed on its worker: nondeterminism; "
                         "the scenario is left unminimised")
        return
    short, used = minimise_scenario(m.scenario, config.backend, artifacts, config.minimise_replays)
    replay = replay_scenario(short, config.backend, artifacts=artifacts)
    n, k = len(m.scenario.steps), len(short.steps)
    if not replay.failed:
        out.notes.append(f"{what}: the minimised steps ({k}) do not fail on a fresh session: nondeterminism; "
                         "the scenario is left unminimised")
        return
    m.notes.append(minimisation_note(n, k, used, config.minimise_replays))
    short.expect = {"status": replay.status, "step": replay.first_failure}
    m.scenario = dataclasses.replace(short, description=f"counterexample from a sharded levcheck fuzz ({what}), "
                                                         f"minimised from {n} steps")
    m.replay = replay
    if path is not None:
        m.scenario_path = dump(m.scenario, path)


# ------------------------------------------------------------------------------------ parameter portfolio


@dataclass
class PortfolioUnit:
    """One parameter set of a portfolio campaign: a shard whose campaign runs on its own market."""

    name: str
    params: MarketParams
    shard: ShardResult
    params_file: Path | None = None  # written for `--params`, so `reproduce` runs the set alone

    @property
    def reproduce(self) -> str:
        return self.shard.reproduce


@dataclass
class PortfolioResult:
    seed: int
    profile: str
    units: list[PortfolioUnit]
    merged: FuzzResult  # every set's counts summed; scenario/replay: the first failing set's, minimised
    lost: list[LostWorker] = field(default_factory=list)
    failing_set: str | None = None
    engine: str = "in-process"
    startup_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.merged.failed


def run_portfolio(config: FuzzConfig, sets: list[tuple[str, MarketParams]], engine: Engine | None = None,
                  params_dir: Path | None = None,
                  on_shard: Callable[[ShardResult, int, int], None] | None = None,
                  on_progress: Callable[[ProgressInfo], None] | None = None,
                  on_unminimised: Callable[[PortfolioResult], None] | None = None) -> PortfolioResult:
    """`config`'s campaign over several parameter sets: set i is unit i, a campaign of seed
    `shard_seed(seed, i)` (set 0 keeps the seed) on its own market with its share of the examples
    (`shard_examples`), run as shards on `engine`. The first failing set (lowest index) is minimised
    with its own parameters; its scenario carries them. Each set's parameters are written to
    `params_dir` (if given) so that its printed `reproduce` runs it alone with `levcheck fuzz --params`.
    `on_unminimised(result)`: called once the failure's unminimised scenario is written, before it is
    minimised (`_minimise`)."""
    prof = PROFILES[config.profile]
    check_budget(config)
    total = config.examples if config.examples is not None else prof.examples
    if total < len(sets):
        raise LevcheckError(f"{total} example(s) cannot cover {len(sets)} parameter sets: every set needs at least one "
                            "(raise --fuzz-examples)")
    artifacts = config.artifacts or build_contracts(extra_sources=config.sources)
    base = dataclasses.replace(config, artifacts=None, sources=None, progress=None)
    tasks = [ShardTask(config.seed, i, shard_examples(total, len(sets), i), dataclasses.replace(base, params=p))
             for i, (_, p) in enumerate(sets)]
    t0 = time.perf_counter()
    shards, lost = _run_tasks(tasks, artifacts, engine, on_shard, on_progress)
    shards = sorted(shards, key=lambda s: s.shard)
    units = []
    for (name, params), sh in zip(sets, shards):
        pfile = None
        if params_dir is not None:
            pfile = Path(params_dir) / f"{name}.json"
            pfile.parent.mkdir(parents=True, exist_ok=True)
            pfile.write_text(json.dumps(params.to_dict(), indent=1) + "\n")
        steps = "" if config.steps_per_example in (None, prof.steps_per_example) else f" --steps {config.steps_per_example}"
        sh.reproduce = (f"levcheck fuzz --seed {sh.seed} --profile {config.profile} --examples {sh.result.examples}{steps}"
                        + (f" --params {pfile}" if pfile else "" if name == "bundled" else f" (parameters of set {name})"))
        units.append(PortfolioUnit(name, params, sh, pfile))
    failing = next((u for u in units if u.shard.result.failed), None)
    merged = _summed(config, [u.shard.result for u in units], time.perf_counter() - t0, failing is not None)
    out = PortfolioResult(config.seed, config.profile, units, merged, lost,
                          engine="in-process" if engine is None else engine.address,
                          startup_seconds=0.0 if engine is None else engine.startup_seconds)
    if failing is not None:
        out.failing_set = failing.name
        merged.steps_to_failure = failing.shard.result.steps_to_failure
        merged.seconds_to_failure = failing.shard.result.seconds_to_failure
        _minimise(dataclasses.replace(config, params=failing.params), artifacts, failing.shard, out, label=failing.name,
                  on_unminimised=on_unminimised)
    return out
