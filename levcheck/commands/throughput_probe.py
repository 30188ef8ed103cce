"""The throughput probe `levcheck bench --against REV` runs in a tree of each commit (its own process).

Run as a script (`python throughput_probe.py MODE ...`), never imported by levcheck: it must work on
commits from before the redesign too, whose packages were `fuzz`, `specs` and `levcheck` side by side,
so it imports whichever layout the tree on PYTHONPATH has. It prints one JSON line.

  campaign SEEDS EXAMPLES       each tree's own fuzzer: `dev` campaigns of EXAMPLES examples per seed
  record SEEDS EXAMPLES FILE    the same campaigns, and every example's steps written to FILE
  replay FILE [IDS]             those very steps, example by example, on this tree's differential
                                session (the same steps on both trees); with IDS (comma-separated
                                invariant ids, e.g. the other tree's) only those invariants are checked
                                and no views are read: the same checks too, so the engine alone is compared
  ids                           this tree's invariant ids

CPU seconds of this process are what is compared (fair on a shared machine); the collector is set up
as the campaigns set it (`_collector_tuned`) for the replay too.
"""
from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

# Only the tree on PYTHONPATH: an editable install's finder would fill in modules the tree lacks from
# the installed checkout (an old tree has no levcheck/chain: it must not get this tree's).
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
# nor this script's folder (levcheck/commands/ has a fuzz.py that would shadow an old tree's `fuzz`)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REDESIGNED = (Path.cwd() / "levcheck" / "chain" / "session.py").is_file()  # the probe runs in the tree


def _api():
    if REDESIGNED:
        from levcheck.fuzz import api
    else:  # before the redesign
        from fuzz import api  # type: ignore[no-redef]
    return api


def _session_parts():
    if REDESIGNED:
        from levcheck.chain.session import Session
        from levcheck.fuzz.api import VIEWS_EVERY
        from levcheck.specs.params import BUNDLED
        from levcheck.specs.scenario import DEFAULT_FUNDING, Step
        return Session, Step, DEFAULT_FUNDING, BUNDLED, {"views_every": VIEWS_EVERY}
    else:  # before the redesign
        from fuzz.runner import Session  # type: ignore[no-redef]
        from fuzz.scenario import DEFAULT_FUNDING, Step  # type: ignore[no-redef]
        from specs.params import BUNDLED  # type: ignore[no-redef]
        return Session, Step, DEFAULT_FUNDING, BUNDLED, {}


def campaign(seeds: list[int], examples: int, record: str | None = None) -> dict:
    api = _api()
    executed: list[list[dict]] = []
    if record:
        session_mod = sys.modules[api.Session.__module__]
        cls = session_mod.Session
        reset, step = cls.reset, cls.step

        def recording_reset(self):  # an example starts
            executed.append([])
            return reset(self)

        def recording_step(self, i, st):
            executed[-1].append(st.to_json())
            return step(self, i, st)

        cls.reset, cls.step = recording_reset, recording_step
    steps = 0
    cpu = 0.0
    for seed in seeds:
        r = api.run_fuzz(api.FuzzConfig(seed=seed, profile="dev", examples=examples, out_dir=None))
        steps += r.steps
        cpu += r.cpu_seconds
    if record:
        params = api.BUNDLED if hasattr(api, "BUNDLED") else None
        with open(record, "w") as f:
            json.dump({"actors": list(api.MACHINE_ACTORS), "params": params.to_dict() if params else None,
                       "examples": [e for e in executed if e]}, f)
    return {"steps": steps, "cpu_seconds": cpu}


def _invariants_module():
    if REDESIGNED:
        from levcheck.specs import invariants
    else:  # before the redesign
        import specs.invariants as invariants  # type: ignore[no-redef]
    return invariants


def replay(path: str, only: set[str] | None = None) -> dict:
    Session, Step, funding, bundled, kwargs = _session_parts()
    if only is not None:
        inv = _invariants_module()
        inv.INVARIANTS[:] = [i for i in inv.INVARIANTS if i.id in only]
        if "views_every" in kwargs:
            kwargs["views_every"] = 1 << 62  # no tree before the redesign read the views
    with open(path) as f:
        work = json.load(f)
    params = type(bundled).from_dict(work["params"]) if work.get("params") else bundled
    session = Session(params, tuple(work["actors"]), dict(funding), "pyrevm", **kwargs)
    examples = [[Step(d.pop("action"), d.pop("actor", None), d) for d in map(dict, e)] for e in work["examples"]]
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    steps = failing = 0
    start = time.process_time()
    for example in examples:
        session.reset()
        for i, st in enumerate(example):
            report = session.step(i, st)
            steps += 1
            failing += bool(report.differences or report.violations)
    cpu = time.process_time() - start
    return {"steps": steps, "cpu_seconds": cpu, "failing_steps": failing}


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode in ("campaign", "record"):
        seeds = [int(s) for s in rest[0].split(",")]
        out = campaign(seeds, int(rest[1]), rest[2] if mode == "record" else None)
    elif mode == "replay":
        out = replay(rest[0], set(rest[1].split(",")) if len(rest) > 1 else None)
    elif mode == "ids":
        out = {"ids": [i.id for i in _invariants_module().INVARIANTS]}
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(out))
