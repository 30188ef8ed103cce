"""Quality: the fuzzer must catch every deliberately broken variant of the contracts within a fixed
budget, and the unmodified contracts must pass the very same budget (Hypothesis's tests/quality idea).

Budget: seed 0, 120 examples of the `dev` profile (25 rules each) per variant. Measured
steps-to-failure per variant are in notes/issue-4.md (`levcheck bench --variants`)."""
from __future__ import annotations

import pytest

from levcheck.fuzz.api import FuzzConfig, run_fuzz
from levcheck.fuzz.mutants import MUTANTS, TIGHT_FLOOR, Mutant
from levcheck.chain.build import build_contracts
from levcheck.specs.params import BUNDLED

BUDGET = dict(seed=0, examples=120, profile="dev", out_dir=None)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_broken_variant_is_caught(mutant: Mutant) -> None:
    artifacts = build_contracts(extra_sources=mutant.sources())
    r = run_fuzz(FuzzConfig(params=mutant.params, artifacts=artifacts, **BUDGET))
    assert r.failed, f"{mutant.name} ({mutant.description}) survived {r.examples} examples / {r.steps} steps"
    assert r.replay is not None and r.replay.failed  # the minimised scenario reproduces it from the file
    # minimised to a fixed point within the replay cap: no single step can be removed (fuzz/minimize.py);
    # concrete steps only, so a reserve drain keeps its mints and the swaps that priced them
    # (keeper-payment-reverts: 119 -> 51 steps, each one needed for the same divergence)
    assert len(r.scenario.steps) <= 60 and not any("(the cap" in n for n in r.notes), r.notes


@pytest.mark.parametrize("params", [BUNDLED, TIGHT_FLOOR], ids=["bundled", "tight-floor"])
def test_unmodified_contracts_pass_the_same_budget(params) -> None:
    r = run_fuzz(FuzzConfig(params=params, **BUDGET))
    assert r.status == "passed", r.replay.render() if r.replay else ""


def test_ci_profile_passes_on_the_unmodified_protocol() -> None:
    # The CI budget: the whole `ci` profile (300 examples x 25 rules x 8 actions, ~78k differential
    # steps, ~36 s on an idle machine) on the bundled protocol, seed 0.
    r = run_fuzz(FuzzConfig(seed=0, profile="ci", out_dir=None))
    assert r.status == "passed", r.replay.render() if r.replay else ""
    assert r.examples == 300 and r.steps > 50_000
