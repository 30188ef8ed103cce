"""Shrink a failing step list further, on concrete steps (after Hypothesis, or instead of it).

Hypothesis shrinks the *choices*; a rule draws several actions at once, so its minimal example can
still carry steps that do not matter. This pass removes chunks of steps (halves, quarters, ... single
steps, from the end backwards) and keeps a removal when the replay still fails *the same way*: the
same status and, for a violation, the same invariants. Replays are deterministic and the number of
replays is capped, so the result is a function of the input: same seed, same scenario file.
"""
from __future__ import annotations

from levcheck.chain.session import ReplayResult, Session
from levcheck.specs.scenario import Scenario, Step


def failure_key(r: ReplayResult) -> tuple:
    if not r.failed or r.first_failure is None:
        return ("passed",)
    if r.status == "violated":
        f = r.steps[r.first_failure]
        return ("violated", tuple(sorted({v.invariant for _, v in f.found})))
    return ("diverged",)


def replay_on(session: Session, steps: list[Step]) -> ReplayResult:
    from levcheck.chain.session import replay_scenario

    session.reset()
    return replay_scenario(Scenario(params=session.params, steps=steps, actors=session.actors), session.backend, session=session)


def minimize(session: Session, steps: list[Step], max_replays: int = 300) -> tuple[list[Step], int]:
    """Returns (shorter failing steps, replays used). `steps` must fail on `session`. Replays compare
    the views on every step, as a replay of the written file does (a campaign reads them sparsely):
    a shorter candidate is judged by what the file will show."""
    every, session.views_every = session.views_every, 1
    try:
        return _minimize(session, steps, max_replays)
    finally:
        session.views_every = every


def _minimize(session: Session, steps: list[Step], max_replays: int) -> tuple[list[Step], int]:
    base = replay_on(session, steps)
    key = failure_key(base)
    if key == ("passed",):
        return steps, 1
    steps = steps[: base.first_failure + 1]
    used = 1
    chunk = max(len(steps) // 2, 1)
    while chunk >= 1 and used < max_replays:
        i = len(steps) - chunk
        while i >= 0 and used < max_replays:
            cand = steps[:i] + steps[i + chunk :]
            if cand:
                r = replay_on(session, cand)
                used += 1
                if failure_key(r) == key:
                    steps = cand[: r.first_failure + 1]
                    i = min(i, len(steps))
            i -= chunk
        chunk //= 2
    return steps, used
