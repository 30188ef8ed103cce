"""All obligations for a parameter set, and the in-process entry point for `levcheck check`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from levcheck.errors import LevcheckError
from levcheck.specs.params import BUNDLED, MarketParams

from . import band, decay, econ, econ_sandwich, fees, floor
from .core import Obligation, ObligationResult, Status
from .solve import RLIMIT, WALL_GUARD_S, check


def obligations(params: MarketParams = BUNDLED) -> list[Obligation]:
    """Symbolic obligations (any target, band, state) once; concrete ones per series of `params`."""
    obs: list[Obligation] = []
    for is_long in (True, False):
        obs += [band.Drift(is_long), band.BandExit(is_long), band.Liquidation(is_long)]
        obs += [band.RestorationAnyParams(is_long, inc) for inc in (True, False)]
    obs.append(band.FtxCheck())
    for sp in params.series:
        obs += [band.Restoration(sp, True, params), band.Restoration(sp, False, params), band.Trigger(sp, params.oracle_max_age)]
    for sp in params.series:
        obs.append(floor.NoRebalanceBelowFloor(sp, params))
        obs += [floor.KeeperFeeBelowFloor(sp, params, inc) for inc in (True, False)]
        obs.append(floor.RipcordBelowFloor(sp, params))
    for action in floor.ReserveFlow.ACTIONS:
        for is_long in ((True, False) if action in ("borrow", "repay", "absorb_bad_debt") else (True,)):
            obs.append(floor.ReserveFlow(action, is_long))
    obs += [fees.Conservation(params, False), fees.Conservation(params, True)]
    for sp in params.series:
        composed = fees.MintRedeemComposed(sp)
        obs += composed.lemmas + [composed, fees.MintRedeemNoProfit(sp, True)]
        obs += [fees.OthersNavMint(sp, composed.lemmas[0]), fees.OthersNav(sp, "redeem")]
        obs += [fees.RebalanceDilution(sp, inc) for inc in (True, False)]
    obs += [decay.RoundTripDecay(True), decay.RoundTripDecay(False)]
    obs += econ_sandwich.obligations(params)
    obs += econ.obligations(params.series)
    for ob in obs:
        ob.params = params  # recorded in counterexample files
        for lemma in getattr(ob, "lemmas", []):
            lemma.params = params
    return _unique(obs)


def _unique(obs: list[Obligation]) -> list[Obligation]:
    """Two series with the same direction get distinct ids (suffix = position in params.series)."""
    seen: dict[str, int] = {}
    for ob in obs:
        seen[ob.id] = seen.get(ob.id, 0) + 1
    counts: dict[str, int] = {}
    for ob in obs:
        if seen[ob.id] > 1:
            counts[ob.id] = counts.get(ob.id, 0) + 1
            ob.id = f"{ob.id}#{counts[ob.id]}"
    return obs


def run_proofs(*args: Any, **kwargs: Any) -> list[ObligationResult]:
    """Every result of `iter_proofs`, as a list."""
    return list(iter_proofs(*args, **kwargs))


def iter_proofs(
    params: MarketParams = BUNDLED,
    timeout_s: float = WALL_GUARD_S,
    dump_smt: str | Path | None = None,
    scenario_dir: str | Path | None = None,
    only: str | None = None,
    deadline: float | None = None,
    rlimit: int = RLIMIT,
) -> Iterator[ObligationResult]:
    """Decide every obligation for `params` (those whose id starts with `only`, if given), yielding
    each result as soon as it is decided, so that an interrupted run keeps what it finished. Each
    obligation has `rlimit` Z3 resource units (the budget that decides) and `timeout_s` of wall time
    (a guard). An obligation closed from lemmas is proved only if each of its lemmas is. `deadline`
    (a time.monotonic() value) caps each query's guard; obligations left when it passes are UNKNOWN.
    Selecting no obligation is an error: it would "prove" nothing."""
    every = obligations(params)
    obs = [ob for ob in every if only is None or ob.id.startswith(only)]
    if not obs:
        families = sorted({ob.id.split(".")[0] for ob in every})
        raise LevcheckError(f"--only {only!r} selects none of the {len(every)} obligations (ids start with "
                            f"{', '.join(families)}; `levcheck prove --list` lists them)")
    results: dict[int, ObligationResult] = {}
    for ob in obs:
        for dep in [*getattr(ob, "lemmas", []), ob]:
            if id(dep) not in results:
                left = timeout_s if deadline is None else min(timeout_s, deadline - time.monotonic())
                if left <= 0.05:
                    results[id(dep)] = ObligationResult(
                        id=dep.id, family=dep.family, statement=dep.statement, status=Status.UNKNOWN, seconds=0.0,
                        domain=dep.domain.value, assumptions=dep.assumptions, relaxation=dep.relaxation,
                        invariants=dep.invariants, reason="not run: the time budget ran out")
                    continue
                results[id(dep)] = check(dep, timeout_s=left, dump_smt=dump_smt, scenario_dir=scenario_dir, rlimit=rlimit)
        _close(ob, results)
        yield results[id(ob)]


def _close(ob: Obligation, results: dict[int, ObligationResult]) -> None:
    res = results[id(ob)]
    if getattr(ob, "lemmas", None) and res.status is Status.COUNTEREXAMPLE:
        res.status = Status.POTENTIAL  # its variables are the lemmas' abstract quantities, not a state
        res.reason = "the composition step fails at these abstract values (not a protocol state)"
    pending = [results[id(lem)] for lem in getattr(ob, "lemmas", []) if not results[id(lem)].ok]
    if res.ok and pending:
        bad = pending[0]
        res.status = Status.UNKNOWN if bad.status is Status.UNKNOWN else Status.POTENTIAL
        res.reason = f"composition holds but lemma {bad.id} is {bad.status.value}"
