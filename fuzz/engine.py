"""The engine that runs shards and mutant batteries: Dask distributed, embedded by default.

`open_engine(workers)` starts a `LocalCluster` in this process (one single-threaded worker process
per core: pyrevm, Z3 and Hypothesis hold the GIL, so threads would not scale); `open_engine(scheduler=
"tcp://HOST:8786")` connects to an existing cluster instead (deployed with dask-kubernetes,
dask-jobqueue, ...; its workers need levcheck installed). Dask schedules, moves data and reschedules
the tasks of a worker that died; levcheck adds nothing to that but the bookkeeping that makes a
re-run *visible* (`Engine.lost`): the scheduler itself logs every worker removal with the tasks that
were processing on it (its "all" event topic), so the client reads that log instead of trusting that
nothing happened.
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from levcheck.chain.build import ROOT
from levcheck.errors import LevcheckError


@dataclass(frozen=True)
class LostWorker:
    """A worker left the cluster while it held one of our tasks (which Dask then re-ran elsewhere)."""

    key: str  # the task
    worker: str  # its address
    pid: int | None  # its process id, when we saw it alive
    expected: bool  # a graceful retirement rather than a death


class Engine:
    def __init__(self, client, cluster, startup_seconds: float) -> None:
        self.client = client
        self.cluster = cluster  # None when connected to an existing scheduler
        self.startup_seconds = startup_seconds  # cluster up and every worker registered
        self.pids: dict[str, int] = {}
        self.refresh_pids()

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def refresh_pids(self) -> dict[str, int]:
        """Worker address -> process id (kept for the ones that later die, to name them)."""
        self.pids.update(self.client.run(os.getpid))
        return self.pids

    def lost(self, keys: set[str]) -> list[LostWorker]:
        """Every removal of a worker that was processing one of `keys`, from the scheduler's log."""
        wanted = sorted(keys)

        def removals(dask_scheduler) -> list:  # runs on the scheduler: a closure, so it needs no levcheck there
            hits = []
            for _, msg in dask_scheduler.get_events("all"):
                if isinstance(msg, dict) and msg.get("action") == "remove-worker":
                    held = {str(k) for k in msg.get("processing-tasks") or ()}
                    hits += [(k, str(msg.get("worker")), bool(msg.get("expected"))) for k in wanted if k in held]
            return hits

        return [LostWorker(k, w, self.pids.get(w), e) for k, w, e in self.client.run_on_scheduler(removals)]

    def map(self, fn: Callable[..., Any], calls: list[tuple]) -> list[Any]:
        """`fn(*args)` for each args tuple on the workers, results in order (each call a task of its
        own: not cached by value, since the same arguments may be meant to run again)."""
        return self.client.gather([self.client.submit(fn, *args, pure=False) for args in calls])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def default_workers() -> int:
    return max(os.cpu_count() or 1, 1)


@contextlib.contextmanager
def open_engine(workers: int | None = None, scheduler: str | None = None) -> Iterator[Engine]:
    """A LocalCluster of `workers` processes (default: all cores), or the cluster at `scheduler`."""
    import dask
    from distributed import Client, LocalCluster

    if workers is not None and workers < 1:
        raise LevcheckError(f"--workers must be at least 1, got {workers}")
    # The project's bin/solc first on PATH for anything a worker compiles (slither, crytic-compile);
    # spawned workers inherit this environment.
    os.environ["PATH"] = f"{ROOT / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    t0 = time.perf_counter()
    # One task per worker thread at a time: a dead worker then held exactly the task it was running.
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise LevcheckError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
            cluster = None
        else:
            n = workers or default_workers()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
            client = Client(cluster)
            client.wait_for_workers(n, timeout=120)
        engine = Engine(client, cluster, time.perf_counter() - t0)
    try:
        if engine.workers < 1:
            raise LevcheckError(f"the Dask cluster at {engine.address} has no workers: nothing would run")
        yield engine
    finally:
        engine.close()
