"""Sharded fuzzing on a real 2-worker Dask LocalCluster: a broken variant is found and its shard
reproduces alone from (seed, shard); a worker killed mid-campaign has its shard re-run and reported."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from levcheck.chain.build import build_contracts
from levcheck.chain.session import replay_scenario
from levcheck.fuzz.api import FuzzConfig
from levcheck.fuzz.engine import open_engine
from levcheck.fuzz.mutants import by_name
from levcheck.fuzz.shards import ShardTask, run_one_shard, run_sharded, shard_examples, shard_seed


@pytest.fixture(scope="module")
def engine():
    with open_engine(2) as e:
        yield e


def test_shard_seeds_and_budgets_are_documented_functions() -> None:
    assert shard_seed(7, 0) == 7  # one shard is the plain campaign
    assert shard_seed(7, 1) == shard_seed(7, 1) != shard_seed(7, 2) != 8
    assert [shard_examples(11, 3, k) for k in range(3)] == [4, 4, 3]


def test_two_workers_find_a_broken_variant_and_the_shard_reproduces_alone(engine, tmp_path) -> None:
    mutant = by_name("mint-fee-to-pool")
    art = build_contracts(extra_sources=mutant.sources())
    cfg = FuzzConfig(seed=11, examples=20, artifacts=art, out_dir=tmp_path)
    res = run_sharded(cfg, 2, engine)
    assert res.failed and res.failing_shard == min(s.shard for s in res.shards if s.result.failed)
    assert {s.worker for s in res.shards} and len(res.shards) == 2 and not res.lost
    assert res.merged.examples == sum(s.result.examples for s in res.shards)
    assert res.merged.steps == sum(s.result.steps for s in res.shards)
    assert sum(res.merged.coverage.values()) == res.merged.steps
    # the minimised counterexample, written once, replays from the file on the broken contracts only
    assert res.merged.scenario_path.name == f"failure-seed11-shard{res.failing_shard}.json"
    assert replay_scenario(res.merged.scenario, artifacts=art).status == "diverged"
    assert replay_scenario(res.merged.scenario).status == "passed"
    # (seed, shard) alone, in this process: the same examples and the same steps as on the worker
    k = res.failing_shard
    alone = run_one_shard(ShardTask(11, k, shard_examples(20, 2, k), cfg), art)
    on_worker = res.shards[k].result
    assert (alone.result.status, alone.result.examples, alone.result.steps) == (
        on_worker.status, on_worker.examples, on_worker.steps)
    assert alone.result.scenario.steps == on_worker.scenario.steps


def test_a_killed_worker_has_its_shard_rerun_and_reported(engine) -> None:
    cfg = FuzzConfig(seed=5, examples=24, steps_per_example=10, out_dir=None)
    box: dict = {}
    runner = threading.Thread(target=lambda: box.setdefault("res", run_sharded(cfg, 2, engine)))
    runner.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:  # the first worker the scheduler gives a shard
        busy = {w: keys for w, keys in engine.client.processing().items() if any("levcheck-shard" in str(k) for k in keys)}
        victim = next(iter(sorted(busy)), None)
        time.sleep(0.02)
    assert victim is not None, "no shard was ever processing"
    pid = engine.pids[victim]
    os.kill(pid, signal.SIGKILL)
    runner.join(timeout=300)
    res = box["res"]
    assert [lw.worker for lw in res.lost] == [victim] and res.lost[0].pid == pid and not res.lost[0].expected
    rerun = int(res.lost[0].key.rsplit("-", 1)[1])
    assert f"shard {rerun}: worker {victim} (pid {pid}) died" in res.reruns[0]
    assert not res.shards[rerun].worker.endswith(f":{pid}")  # finished elsewhere
    # nothing dropped: both shards reported, and the re-run shard is the very campaign (seed, shard) gives
    assert sorted(s.shard for s in res.shards) == [0, 1]
    alone = run_one_shard(ShardTask(5, rerun, shard_examples(24, 2, rerun), cfg))
    assert (alone.result.examples, alone.result.steps) == (res.shards[rerun].result.examples, res.shards[rerun].result.steps)
    assert res.merged.examples == sum(s.result.examples for s in res.shards)


def test_coverage_on_the_engine_counts_what_it_counts_here(engine) -> None:
    """Two parameter sets replayed on the workers (Engine.map) give the same counts as in this process."""
    from levcheck.chain.build import build_contracts
    from levcheck.chain.coverage import replay_coverage
    from levcheck.specs.params import BUNDLED
    from levcheck.specs.portfolio import TIGHT_FLOOR
    from levcheck.specs.scenario import DEFAULT_ACTORS, DEFAULT_FUNDING, Step

    steps = [Step.of("mint", "alice", series="series0", quote_in=10**21), Step.of("warp", seconds=90_000),
             Step.of("rebalance", "keeper1", series="series0"), Step.of("mint", "bob", series="series1", quote_in=10**40)]
    groups = [(BUNDLED, [steps, steps[:2]]), (TIGHT_FLOOR, [steps[::-1]])]
    args = (build_contracts(), DEFAULT_ACTORS, dict(DEFAULT_FUNDING), 32)
    here, there = replay_coverage(groups, *args), replay_coverage(groups, *args, mapper=engine.map)
    assert (there.lines, there.branches, there.functions) == (here.lines, here.branches, here.functions)
    assert (there.examples, there.steps, there.reruns) == (here.examples, here.steps, here.reruns) == (3, 10, here.reruns)
