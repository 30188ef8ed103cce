"""A failing unit is minimised within a replay cap, deterministically, and written first unminimised:
`check` reports FAIL with a scenario that replays as failing, even when the minimisation is cut.
Budgets here are examples and replays, never seconds (notes/issue-12-shrink.md)."""
from __future__ import annotations

import json

import pytest

from levcheck import checkrun
from levcheck.chain.build import build_contracts
from levcheck.chain.session import VIEWS_EVERY, Session
from levcheck.cli import main
from levcheck.errors import LevcheckError
from levcheck.fuzz import shards
from levcheck.fuzz.api import FuzzConfig, run_fuzz
from levcheck.fuzz.minimize import MAX_REPLAYS
from levcheck.fuzz.machine import MACHINE_ACTORS
from levcheck.fuzz.minimize import failure_key, minimize, replay_on
from levcheck.fuzz.mutants import by_name
from levcheck.fuzz.shards import run_portfolio
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import DEFAULT_FUNDING


@pytest.fixture(scope="module")
def debt_mutant():
    """A variant whose first failing example is long (seed 3: 159 steps) and minimises to a few."""
    return build_contracts(extra_sources=by_name("redeem-debt-rounds-down").sources())


def _raw_failure(art) -> list:
    r = run_fuzz(FuzzConfig(seed=3, profile="ci", examples=40, artifacts=art, out_dir=None, shrink=False))
    assert r.failed and len(r.scenario.steps) > 20
    return r.scenario.steps


def test_the_minimiser_stops_at_its_replay_cap_with_steps_that_still_fail(debt_mutant) -> None:
    steps = _raw_failure(debt_mutant)
    session = Session(BUNDLED, MACHINE_ACTORS, dict(DEFAULT_FUNDING), "pyrevm", debt_mutant, views_every=VIEWS_EVERY)
    key = failure_key(replay_on(session, steps))
    short, used = minimize(session, list(steps), max_replays=4)
    assert used == 4 and len(short) <= len(steps)  # capped: stopped after 4 replays
    assert failure_key(replay_on(session, short)) == key  # what it kept fails the same way
    shortest, free = minimize(session, list(steps), max_replays=10_000)  # its own fixed point, well below that
    assert 4 < free < 10_000 and len(shortest) < len(short)
    assert failure_key(replay_on(session, shortest)) == key


def test_same_seed_gives_the_same_minimised_scenario_byte_for_byte(debt_mutant, tmp_path) -> None:
    """Two portfolio runs (one unit, in this process) with the same seed: the same file, step for step."""
    texts = []
    for k in range(2):
        cfg = FuzzConfig(seed=3, profile="ci", examples=40, artifacts=debt_mutant, out_dir=tmp_path / str(k))
        port = run_portfolio(cfg, [("bundled", BUNDLED)])
        assert port.failed and port.merged.scenario_path is not None
        raw = json.loads(port.merged.scenario_path.read_text())
        texts.append(json.dumps(raw["steps"], sort_keys=True))
        note = next(n for n in port.merged.notes if n.startswith("minimised "))
        n, k_steps = int(note.split()[1]), int(note.split()[3])
        assert k_steps < n and f"of at most {cfg.minimise_replays}" in note
    assert texts[0] == texts[1]


def test_the_unminimised_scenario_is_written_before_the_minimisation(debt_mutant, tmp_path) -> None:
    seen = {}

    def on_unminimised(port) -> None:
        seen["file"] = json.loads(port.merged.scenario_path.read_text())

    cfg = FuzzConfig(seed=3, profile="ci", examples=40, artifacts=debt_mutant, out_dir=tmp_path)
    port = run_portfolio(cfg, [("bundled", BUNDLED)], on_unminimised=on_unminimised)
    assert "not minimised" in seen["file"]["description"] and seen["file"]["expect"]["status"] in ("diverged", "violated")
    final = json.loads(port.merged.scenario_path.read_text())
    assert len(final["steps"]) < len(seen["file"]["steps"]) and "minimised from" in final["description"]


def _check(broken, tmp_path, capsys, *extra: str) -> tuple[int, dict]:
    """`check --only fuzz` on one parameter set (the bundled one, as a --params file): one unit, in this
    process (no engine to start), 16 examples."""
    out, params = tmp_path / "out", tmp_path / "bundled.json"
    params.write_text(json.dumps(BUNDLED.to_dict()))
    code = main(["check", "--contracts", str(broken), "--out", str(out), "--only", "fuzz", "--seed", "3",
                 "--params", str(params), "--fuzz-examples", "16", *(extra or ["--no-coverage"])])
    summary = json.loads((out / "latest" / "summary.json").read_text())
    capsys.readouterr()
    return code, summary


def _replays_failing(path, broken, capsys) -> bool:
    code = main(["replay", str(path), "--contracts", str(broken), "--json"])
    out = json.loads(capsys.readouterr().out)
    return code == 1 and out["status"] in ("diverged", "violated")


def test_check_on_a_broken_variant_fails_with_a_minimised_scenario_that_replays(broken_contracts, tmp_path, capsys) -> None:
    code, s = _check(broken_contracts, tmp_path, capsys)
    fuzz = next(st for st in s["stages"] if st["name"] == "fuzz")
    assert code == 1 and fuzz["status"] == "fail"
    failing = [c for c in fuzz["cases"] if c["status"] == "fail"]
    path = tmp_path / "out" / "latest" / "counterexamples" / f"failure-seed3-{fuzz['info']['counterexample from'].split()[-1]}.json"
    assert failing and all(c["artifact"] for c in failing) and path.is_file()
    assert "minimised from" in json.loads(path.read_text())["description"]
    assert fuzz["info"]["minimisation"].startswith("minimised ") and f"replay(s) of at most {MAX_REPLAYS}" in fuzz["info"]["minimisation"]
    assert _replays_failing(path, broken_contracts, capsys)


@pytest.mark.parametrize("cut", [KeyboardInterrupt, checkrun.BudgetExhausted], ids=["ctrl-c", "budget"])
def test_a_cut_minimisation_still_reports_fail_with_the_unminimised_scenario(broken_contracts, tmp_path, capsys, monkeypatch, cut) -> None:
    def interrupted(*args, **kwargs):
        raise cut

    monkeypatch.setattr(shards, "minimise_scenario", interrupted)
    code, s = _check(broken_contracts, tmp_path, capsys)
    fuzz = next(st for st in s["stages"] if st["name"] == "fuzz")
    assert code == 1 and s["status"] == "fail" and fuzz["status"] == "fail"
    assert "not minimised" in fuzz["message"] and "before the stage finished" in fuzz["message"]
    assert s["interrupted"] is (cut is KeyboardInterrupt)
    failing = [c for c in fuzz["cases"] if c["status"] == "fail"]
    files = list((tmp_path / "out" / "latest" / "counterexamples").glob("failure-seed3-*.json"))
    assert len(files) == 1 and failing and all(c["artifact"].endswith(files[0].name) for c in failing)
    assert "not minimised" in json.loads(files[0].read_text())["description"]
    assert _replays_failing(files[0], broken_contracts, capsys)


def test_a_minimised_scenario_that_does_not_fail_afresh_is_not_kept(tmp_path, monkeypatch) -> None:
    """`fuzz` alone: if the minimised steps pass on a fresh session, the unminimised failure is written."""
    import levcheck.fuzz.api as api

    art = build_contracts(extra_sources=by_name("mint-fee-to-pool").sources())
    monkeypatch.setattr(api, "minimize", lambda session, steps, cap: ([], 1))
    r = run_fuzz(FuzzConfig(seed=3, examples=40, artifacts=art, out_dir=tmp_path))
    assert r.failed and r.replay.failed and r.scenario.steps and "not minimised" in r.scenario.description
    assert any("do not fail on a fresh session" in n for n in r.notes)


def test_a_units_minimised_scenario_that_does_not_fail_afresh_is_not_kept(tmp_path, monkeypatch) -> None:
    art = build_contracts(extra_sources=by_name("mint-fee-to-pool").sources())
    monkeypatch.setattr(shards, "minimise_scenario", lambda sc, backend, artifacts, cap: (sc.__class__(params=sc.params, steps=[], actors=sc.actors), 1))
    port = run_portfolio(FuzzConfig(seed=3, examples=8, artifacts=art, out_dir=tmp_path), [("bundled", BUNDLED)])
    assert port.failed and port.merged.scenario.steps and "not minimised" in port.merged.scenario.description
    assert any("do not fail on a fresh session" in n for n in port.notes)


def test_a_unit_whose_steps_did_not_fail_on_replay_is_left_unminimised(tmp_path) -> None:
    """The worker's own replay of its failing steps passed (nondeterminism): said, not minimised."""
    import dataclasses

    art = build_contracts(extra_sources=by_name("mint-fee-to-pool").sources())
    cfg = FuzzConfig(seed=3, examples=8, artifacts=art, out_dir=tmp_path)
    unit = shards.run_one_shard(shards.ShardTask(3, 0, 8, cfg), art)
    assert unit.result.failed
    unit.result.replay = dataclasses.replace(unit.result.replay, status="passed", first_failure=None)
    out = shards._merge(cfg, art, [unit], [], 0.0, None)
    assert "did not fail when replayed on its worker" in out.notes[0] and "not minimised" in out.merged.scenario.description


def test_a_replay_cap_below_one_is_refused() -> None:
    with pytest.raises(LevcheckError, match="minimise_replays must be at least 1"):
        run_fuzz(FuzzConfig(seed=1, examples=1, minimise_replays=0, out_dir=None))


def test_a_cut_after_the_minimisation_reports_fail_with_the_minimised_scenario(broken_contracts, tmp_path, capsys, monkeypatch) -> None:
    """The budget runs out in the coverage replay, after the minimised file was written: still a fail."""
    from levcheck.report import coverage

    def cut(*args, **kwargs):
        raise checkrun.BudgetExhausted

    monkeypatch.setattr(coverage, "coverage_info", cut)
    code, s = _check(broken_contracts, tmp_path, capsys, "--fuzz-seconds", "60")  # coverage on (the default)
    fuzz = next(st for st in s["stages"] if st["name"] == "fuzz")
    assert code == 1 and fuzz["status"] == "fail" and "before the stage finished" in fuzz["message"]
    assert "not minimised" not in fuzz["message"]
    files = list((tmp_path / "out" / "latest" / "counterexamples").glob("failure-seed3-*.json"))
    assert len(files) == 1 and "minimised from" in json.loads(files[0].read_text())["description"]
    assert _replays_failing(files[0], broken_contracts, capsys)
