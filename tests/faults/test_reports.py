"""Reports count honestly, and runs do not clobber each other."""
from __future__ import annotations


import pytest

from levcheck.fuzz.api import FuzzConfig, run_fuzz

from .helpers import run, stage, summary


def suites(junit):
    return {s.get("name"): s for s in junit.iter("testsuite")}


def counted(suite):
    cases = list(suite.iter("testcase"))
    return {"tests": len(cases), "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases), "skipped": sum(c.find("skipped") is not None for c in cases)}


def test_junit_timed_out_and_skipped_stages_are_counted(tmp_path, capsys):
    code, _, _ = run(capsys, "check", "--only", "build", "--budget", "0", "--out", str(tmp_path / "out"))
    s, junit = summary(tmp_path / "out")
    assert code == 3 and stage(s, "build")["status"] == "timeout"
    by_name = suites(junit)
    assert by_name["build"].get("errors") == "1" and "budget was exhausted" in by_name["build"].find("testcase/error").get("message")
    assert by_name["prove"].get("skipped") == "1" and by_name["prove"].find("testcase/skipped").get("message") == "not selected (--only/--skip)"
    for suite in by_name.values():  # the attributes equal the cases inside, for every suite
        assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == counted(suite)


def test_invariants_not_exercised_are_skipped_not_passed(tmp_path, capsys):
    # one example per parameter set of the portfolio (fewer is an error: a set would be fuzzed by none)
    code, _, _ = run(capsys, "check", "--only", "fuzz", "--fuzz-examples", "4", "--seed", "2", "--out", str(tmp_path / "out"),
                     "--no-coverage")
    s, junit = summary(tmp_path / "out")
    cases = stage(s, "fuzz")["cases"]
    skipped = [c for c in cases if c["status"] == "skipped"]
    assert code == 0 and skipped, "one example per set cannot reach every watched action"
    assert all(c["message"].startswith("not exercised:") for c in skipped)
    assert stage(s, "fuzz")["info"]["contract coverage"] == {"not measured": "coverage is off (--no-coverage, or coverage = false)"}
    suite = suites(junit)["fuzz"]
    assert int(suite.get("skipped")) == len(skipped) and counted(suite)["skipped"] == len(skipped)


def test_failing_campaign_fails_accounting_differential(broken_contracts, tmp_path, capsys):
    """Model and EVM diverge: the agreement invariant fails (it used to return nothing and pass), and
    fuzz builds --contracts itself with --only fuzz."""
    code, _, _ = run(capsys, "check", "--contracts", str(broken_contracts), "--only", "fuzz", "--fuzz-examples", "40", "--seed", "3", "--no-coverage",
                     "--out", str(tmp_path / "out"))
    s, junit = summary(tmp_path / "out")
    by_id = {c["id"]: c for c in stage(s, "fuzz")["cases"]}
    assert code == 1 and by_id["accounting.differential"]["status"] == "fail"
    info = stage(s, "fuzz")["info"]  # the failing parameter set's campaign, alone
    assert info["reproduce"].startswith("levcheck fuzz --seed ") and info["counterexample from"].startswith("parameter set ")
    suite = suites(junit)["fuzz"]
    assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == counted(suite)


def test_two_runs_with_the_same_out_do_not_clobber(tmp_path, capsys):
    out = tmp_path / "out"
    stale = out / "plots" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    for _ in range(2):
        assert run(capsys, "check", "--only", "build", "--seed", "9", "--out", str(out))[0] == 0
    runs = sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and p.name != "plots")
    assert len(runs) == 2 and all(r.name.split("-", 1)[1].startswith("seed9") for r in runs)
    assert (out / "latest").resolve() == runs[-1].resolve() and not (runs[-1] / "plots" / "old.png").exists()
    assert all((r / "summary.json").is_file() for r in runs)


def test_unwritable_out_is_one_line_exit_2(tmp_path, capsys):
    """A read-only checkout, stood in for by an --out under a regular file (root ignores permissions)."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(capsys, "check", "--only", "build", "--out", str(blocker / "out"))
    assert code == 2 and err.startswith("levcheck check: error: cannot write the run folder") and "writable" in err


def test_time_bounded_fuzz_is_reproduced_by_seed_and_examples():
    timed = run_fuzz(FuzzConfig(seed=11, profile="ci", seconds=1.0, out_dir=None))
    assert timed.cut_by_time and timed.examples >= 1
    assert timed.reproduce == f"levcheck fuzz --seed 11 --profile ci --examples {timed.examples}"
    again = run_fuzz(FuzzConfig(seed=11, profile="ci", examples=timed.examples, out_dir=None))
    assert (again.examples, again.steps, again.coverage) == (timed.examples, timed.steps, timed.coverage)
