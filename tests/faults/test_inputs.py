"""Loaders validate: uint256 bounds, signs, real booleans, known actors and series, config types.
Each bad input is exit 2 with one line naming the field; never a traceback, never exit 1."""
from __future__ import annotations

import pytest

from .helpers import run, scenario_with

UINT256 = 2**256


def step0(**fields):
    def edit(raw):
        raw["steps"][0].update(fields)
    return edit


@pytest.mark.parametrize("edit, message", [
    (step0(quote_in=UINT256), "does not fit in a uint256"),
    (step0(quote_in=-5), "is negative"),
    (step0(actor="mallory"), "unknown actor 'mallory'"),
    (step0(series="series7"), "unknown series 'series7'"),
], ids=["amount-2**256", "negative-amount", "unknown-actor", "unknown-series"])
def test_bad_scenario_is_one_line_exit_2(tmp_path, capsys, edit, message):
    path = scenario_with(tmp_path, steps=edit)
    code, _, err = run(capsys, "replay", str(path))
    assert code == 2
    assert err.startswith("levcheck replay: error: ") and message in err and "Traceback" not in err


def test_scenario_parameter_out_of_range(tmp_path, capsys):
    path = scenario_with(tmp_path, steps=lambda raw: raw["params"].update(pool_base=UINT256))
    code, _, err = run(capsys, "replay", str(path))
    assert code == 2 and "pool_base" in err and "uint256" in err


def write(tmp_path, text, name="params.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_is_long_string_false_is_refused_not_read_as_long(tmp_path, capsys):
    code, _, err = run(capsys, "prove", "--params", write(tmp_path, '[[series]]\nis_long = "false"\n'), "--only", "band.drift.long")
    assert code == 2 and "is_long must be true or false" in err and "'false'" in err


def test_empty_series_list_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "prove", "--params", write(tmp_path, "series = []\n"), "--only", "band.drift.long")
    assert code == 2 and "series is empty" in err


def test_params_out_of_uint256_range(tmp_path, capsys):
    code, _, err = run(capsys, "prove", "--params", write(tmp_path, f"reserve_quote = {UINT256}\n"), "--only", "band.drift.long")
    assert code == 2 and "reserve_quote must be a uint256" in err
    code, _, err = run(capsys, "prove", "--params", write(tmp_path, "pool_base = -1\n"), "--only", "band.drift.long")
    assert code == 2 and "pool_base must be a uint256" in err


@pytest.mark.parametrize("line, message", [
    ('budget = "fast"', "budget must be a number of seconds"),
    ("seed = -3", "seed must be a non-negative integer"),
    ('only = "fuzz"', "only must be a list of stage names"),
    ('fuzz_profile = "turbo"', "fuzz_profile must be one of dev, ci, nightly"),
    ("fuzz_examples = 0", "fuzz_examples must be an integer >= 1"),
    ("coverage = 30", "coverage must be true or false, got 30"),
], ids=["budget-str", "seed-negative", "only-str", "profile-unknown", "examples-zero", "coverage-not-bool"])
def test_tool_levcheck_wrong_types(tmp_path, capsys, line, message):
    cfg = write(tmp_path, f"[tool.levcheck]\n{line}\n", "pyproject.toml")
    code, _, err = run(capsys, "check", "--config", cfg, "--out", str(tmp_path / "out"))
    assert code == 2 and err.startswith("levcheck check: error: ") and message in err


@pytest.mark.parametrize("argv, message", [
    (["fuzz", "--examples", "0"], "--examples must be at least 1"),
    (["fuzz", "--examples", "-5"], "--examples must be at least 1"),
    (["fuzz", "--seconds", "1e-6"], "ran 0 differential steps"),
    (["fuzz", "--seconds", "0"], "--seconds must be positive"),
], ids=["examples-0", "examples-negative", "seconds-tiny", "seconds-0"])
def test_fuzz_that_would_run_nothing_is_an_error(capsys, argv, message):
    code, out, err = run(capsys, *argv, "--seed", "1")
    assert code == 2 and message in err and "passed" not in out


def test_prove_only_typo_selects_nothing(capsys):
    code, _, err = run(capsys, "prove", "--only", "band.restor_typo")
    assert code == 2 and "selects none of the" in err and "prove --list" in err


def test_prove_list_only_typo(capsys):
    code, _, err = run(capsys, "prove", "--list", "--only", "nope")
    assert code == 2 and "selects no obligation" in err


@pytest.mark.parametrize("argv, message", [
    (["prove", "--timeout", "0"], "must be a positive number of seconds"),
    (["tables", "--paths", "0"], "must be at least 1"),
    (["check", "--budget", "-1"], "must be a number of seconds >= 0"),
    (["bench", "--seconds", "0"], "must be positive"),
], ids=["prove-timeout-0", "tables-paths-0", "check-budget-negative", "bench-seconds-0"])
def test_option_values_that_mean_nothing(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and f"levcheck {argv[0]}: error: argument" in err and message in err
