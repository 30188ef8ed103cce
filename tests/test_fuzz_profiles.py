"""Fuzz budgets are Hypothesis settings profiles, selectable with --profile or HYPOTHESIS_PROFILE."""
from __future__ import annotations

import pytest
from hypothesis import settings

from levcheck.cli import main
from levcheck.errors import LevcheckError
from levcheck.fuzz.api import PROFILES, default_profile


def test_every_budget_is_a_registered_settings_profile() -> None:
    for name, prof in PROFILES.items():
        s = settings.get_profile(f"levcheck-{name}")
        assert (s.max_examples, s.stateful_step_count) == (prof.examples, prof.steps_per_example)
        assert s.database is None and s.deadline is None


@pytest.mark.parametrize("env, want", [({}, "dev"), ({"HYPOTHESIS_PROFILE": "levcheck-ci"}, "ci"),
                                       ({"HYPOTHESIS_PROFILE": "nightly"}, "nightly")])
def test_hypothesis_profile_selects_the_default(env: dict, want: str) -> None:
    assert default_profile(env) == want


def test_an_unknown_hypothesis_profile_is_an_error(monkeypatch, capsys) -> None:
    with pytest.raises(LevcheckError, match="names no levcheck profile"):
        default_profile({"HYPOTHESIS_PROFILE": "fast"})
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "fast")
    assert main(["fuzz", "--seed", "1", "--examples", "1"]) == 2
    assert "HYPOTHESIS_PROFILE='fast' names no levcheck profile" in capsys.readouterr().err


def test_the_environment_profile_is_the_one_that_runs(monkeypatch, capsys) -> None:
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "levcheck-ci")
    assert main(["fuzz", "--seed", "2", "--examples", "1"]) == 0
    assert "profile ci" in capsys.readouterr().out
