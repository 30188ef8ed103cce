"""Shrink a failing step list further, on concrete steps (after Hypothesis, or instead of it).

Hypothesis shrinks the *choices*; a rule draws several actions at once, so its minimal example can
still carry steps that do not matter. This pass removes chunks of steps (halves, quarters, ... single
steps, from the end backwards) and keeps a removal when the replay still fails *the same way*: the
same status and, for a violation, the same invariants. Replays are deterministic and the number of
replays is capped, so the result is a function of the input: same seed, same scenario file.

This is the only minimiser of a campaign's failure (`fuzz.api.run_fuzz`, and a sharded or portfolio
unit's in `fuzz.shards`): Hypothesis's shrinker is not used, because nothing bounds its work (see
`minimise_scenario`).
"""
from __future__ import annotations

import dataclasses

from levcheck.chain.session import VIEWS_EVERY, ReplayResult, Session
from levcheck.specs.scenario import Scenario, Step

# The replay cap of a failure's minimisation: work, not seconds. A replay runs at most the failing
# example's steps (a `ci` example: 25 rules x 8 actions), so a minimisation costs at most
# MAX_REPLAYS x that many steps. Measured (notes/issue-12-shrink.md): the 120-step econ.profit failure of
# seed 2446247871 (set drawn-hi, before its fix) reaches its fixed point, 52 steps, in 152 replays (~11 s);
# the keeper-payment-reverts variant's 119-step drain (tests/test_fuzz_quality.py), 51 steps in 220.
MAX_REPLAYS = 300


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


def minimize(session: Session, steps: list[Step], max_replays: int = MAX_REPLAYS) -> tuple[list[Step], int]:
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
    while used < max_replays:  # sweeps until one removes nothing: a removal can free other steps
        before = len(steps)
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
        if len(steps) == before:
            break
    return steps, used


def minimisation_note(before: int, after: int, used: int, cap: int) -> str:
    """What a minimisation did, as the campaign's note (and check's "minimisation" figure)."""
    capped = " (the cap: it may shorten further)" if used >= cap else ""
    return f"minimised {before} -> {after} step(s) in {used} replay(s) of at most {cap}{capped}"


def minimise_scenario(sc: Scenario, backend: str, artifacts, max_replays: int = MAX_REPLAYS) -> tuple[Scenario, int]:
    """`sc` (a campaign's failing example, concrete steps) with steps removed by `minimize`, at most
    `max_replays` replays on a session of its own; returns (the shorter scenario, replays used).

    Why not Hypothesis's shrinker (a failing unit used to be re-run with its shrink phase on): no
    setting bounds its work. Its limits are internal (500 *successful* shrinks, and 300 s of wall time
    for the whole shrink: `MAX_SHRINKS`, `MAX_SHRINKING_SECONDS` in hypothesis.internal.conjecture.engine,
    kept out of the settings on purpose, HypothesisWorks/hypothesis#3400), and failed attempts are not
    counted at all. A failure whose attempts are slow shrinks until that clock stops it: the result
    then depends on the machine's speed, and in `check` it ran past the stage's budget (seed 2446247871:
    TIMEOUT, the failure found but not reported). Removing concrete steps costs a counted number of
    deterministic replays: same steps in, same steps out, on any machine. What is lost: Hypothesis
    also lowered the action codes (smaller amounts, first menu choices); this pass only removes steps."""
    session = Session(sc.params, sc.actors, sc.funding, backend, artifacts, views_every=VIEWS_EVERY)
    try:
        steps, used = minimize(session, list(sc.steps), max_replays)
    finally:
        session.close()
    return dataclasses.replace(sc, steps=steps), used
