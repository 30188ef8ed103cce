"""One definition, two checks: a procedure of `specs.procedures` weakened once is caught by the
proofs AND by the differential replay, because both run that very procedure (issue 10).

The weakening trades a fraction of the way to target (too little, or too far): the obligation
`band.restore.long.down` no longer proves, and the model's rebalance no longer matches the EVM's.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from levcheck.chain.session import replay_scenario
from levcheck.proofs.core import Status
from levcheck.proofs.registry import obligations
from levcheck.proofs.solve import check
from levcheck.specs import procedures
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import load

TOUR = Path(__file__).parent / "scenarios" / "tour-every-action.json"
REBALANCE_STEP = 4  # the tour's first rebalance: series0 (3x long) delevers after a price fall
OBLIGATION = "band.restore.long.down"


def _obligation() -> Any:
    return next(ob for ob in obligations(BUNDLED) if ob.id == OBLIGATION)


def _tour_to_first_rebalance() -> Any:
    sc = load(TOUR)
    return dataclasses.replace(sc, steps=sc.steps[: REBALANCE_STEP + 1])


def _trading(fraction: Fraction):
    """`plan_trade` aiming at E + fraction x (E* - E) instead of E*."""
    original = procedures.plan_trade

    def weakened(ar: Any, sp: Any, pos: Any, d: Any, price: Any, increase: bool, F: Any = procedures._formulas) -> Any:
        gap = pos.target_e - pos.e if increase else pos.e - pos.target_e  # > 0 on the branch
        moved = ar.mul_div_down(gap, fraction.numerator, fraction.denominator)
        aim = pos.e + moved if increase else pos.e - moved
        return original(ar, sp, SimpleNamespace(v=pos.v, e=pos.e, target_e=aim, lev=pos.lev), d, price, increase, F)

    return weakened


def test_the_intact_procedure_proves_and_replays() -> None:
    """The fixture that must not trigger: unweakened, the obligation proves and the tour agrees."""
    assert check(_obligation()).status is Status.PROVED
    r = replay_scenario(_tour_to_first_rebalance())
    assert r.status == "passed", r.render()


@pytest.mark.parametrize("fraction", [Fraction(1, 2), Fraction(3, 2)], ids=["too-little", "too-far"])
def test_a_weakened_trade_to_target_fails_the_proof_and_the_replay(monkeypatch, fraction: Fraction) -> None:
    monkeypatch.setattr(procedures, "plan_trade", _trading(fraction))
    res = check(_obligation())
    assert res.status in (Status.COUNTEREXAMPLE, Status.POTENTIAL), (res.status, res.reason)
    if res.status is Status.COUNTEREXAMPLE:
        assert "|L1-T|<=tol" in res.failed_goals, res.failed_goals
    r = replay_scenario(_tour_to_first_rebalance())
    assert r.status == "diverged", r.render()
    assert r.first_failure == REBALANCE_STEP
    assert any("series0" in d for d in r.steps[REBALANCE_STEP].differences), r.render()


def test_a_weakened_trade_to_target_fails_a_fuzz_campaign(monkeypatch, tmp_path: Path) -> None:
    """The same weakening, found by a short differential campaign on its own (no scenario given)."""
    from levcheck.fuzz.api import FuzzConfig, run_fuzz

    monkeypatch.setattr(procedures, "plan_trade", _trading(Fraction(1, 2)))
    res = run_fuzz(FuzzConfig(seed=1, examples=30, out_dir=tmp_path, shrink=False))
    assert res.failed, res.to_json()
    assert res.replay is not None and res.replay.status == "diverged"
