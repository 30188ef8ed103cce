"""Live progress (levcheck/report/progress.py) and the forge-like results (levcheck/report/results_lines.py):
the renderer's two modes on a fake clock, the exact result lines, and real `levcheck fuzz` runs."""
from __future__ import annotations

import io
import json

import pytest

from levcheck.chain.session import ReplayResult, StepReport
from levcheck.cli import main
from levcheck.fuzz.api import FuzzConfig, FuzzResult, ProgressInfo, run_fuzz
from levcheck.report.progress import Progress, StatusLine, describe, is_live
from levcheck.report.results import StageResult, Status
from levcheck.report.results_lines import (AGREEMENT, coverage_table, failed_invariants, invariant_lines,
                                           summary_line)
from levcheck.specs.invariants import INVARIANTS, Outcome, Violation
from levcheck.specs.scenario import Step


class Clock:
    """A clock the test moves: throttling is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def info(examples: int, steps: int, elapsed: float, *, done: bool = False, shrinking: bool = False) -> ProgressInfo:
    return ProgressInfo(seed=7, examples=examples, budget=300, steps=steps, elapsed=elapsed, guard=180.0,
                        shrinking=shrinking, done=done)


# ------------------------------------------------------------------ the renderer


def test_describe_names_examples_budget_steps_rate_time_guard_and_seed():
    assert describe(info(120, 41_234, 28.5)) == \
        "seed 7, 120/300 examples, 41,234 steps, 1,447 steps/s, 28.5s of 180s guard"
    assert describe(ProgressInfo(3, 5, None, 10, 2.0, None), "shard 1") == \
        "shard 1, seed 3, 5 examples, 10 steps, 5 steps/s, 2.0s"
    assert describe(info(310, 50_000, 60.0, shrinking=True)) == \
        "seed 7, shrinking a failure: 310 examples run, 50,000 steps, 60.0s of 180s guard"


def test_live_mode_rewrites_one_line_in_place_throttled_and_ends_it_with_a_newline():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, prog="levcheck fuzz", live=True, clock=clock)
    report = p.for_fuzz()
    report(info(0, 0, 0.0))
    clock.now = 0.1
    report(info(1, 360, 0.1))  # within the 0.25 s interval: held back
    clock.now = 0.3
    report(info(2, 720, 0.3))
    clock.now = 0.4
    report(info(3, 1_000, 0.4, done=True))  # the last figures are always drawn
    text = out.getvalue()
    frames = text.split("\r")[1:]
    assert [f.rstrip() for f in frames] == [
        "levcheck fuzz: seed 7, 0/300 examples, 0 steps, 0 steps/s, 0.0s of 180s guard",
        "levcheck fuzz: seed 7, 2/300 examples, 720 steps, 2,400 steps/s, 0.3s of 180s guard",
        "levcheck fuzz: seed 7, 3/300 examples, 1,000 steps, 2,500 steps/s, 0.4s of 180s guard",
    ]
    assert "1/300" not in text and text.endswith("\n") and text.count("\n") == 1
    p.end()  # idempotent: no second newline
    assert out.getvalue().count("\n") == 1


def test_live_line_is_padded_over_a_longer_previous_one_and_cleared_for_other_output():
    out = io.StringIO()
    line = StatusLine(out, live=True, clock=Clock())
    line.update("a long first line")
    line.update("short", force=True)
    assert out.getvalue() == "\ra long first line" + "\rshort" + " " * 12
    p = Progress(out, live=True, clock=Clock())
    p.line = line
    p.emit("levcheck check: fuzz seed 7")  # blanks the live line first, so the text starts at column 0
    assert out.getvalue().endswith("\r" + " " * 5 + "\r" + "levcheck check: fuzz seed 7\n")


def test_plain_mode_prints_the_first_update_then_at_most_one_line_every_ten_seconds():
    out, clock = io.StringIO(), Clock()
    report = Progress(out, prog="levcheck check", live=False, clock=clock).for_fuzz("fuzz")
    for t in (0.0, 1.0, 5.0, 9.9, 10.0, 12.0, 19.0, 21.0):
        clock.now = t
        report(info(int(t), int(t) * 100, t))
    clock.now = 22.0
    report(info(22, 2_200, 22.0, done=True))  # the end is not forced in a log: the result lines follow
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [ln.split(", ")[2] for ln in lines] == ["0/300 examples", "10/300 examples", "21/300 examples"]
    assert lines[0] == "levcheck check: fuzz, seed 7, 0/300 examples, 0 steps, 0 steps/s, 0.0s of 180s guard"


def test_no_progress_gives_no_callback_and_ci_is_never_live():
    assert Progress(io.StringIO(), live=True, fuzz=False).for_fuzz() is None

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert is_live(Tty(), {}) and not is_live(Tty(), {"CI": "true"}) and not is_live(io.StringIO(), {})


def test_check_stage_lines_carry_the_campaign_progress_and_finish_cleanly():
    out, clock = io.StringIO(), Clock()
    p = Progress(out, live=True, clock=clock)
    p.start("fuzz")  # the spinner thread draws the stage, with the campaign's text in it
    p.for_fuzz("fuzz")(info(5, 500, 2.0))
    assert p.detail == "seed 7, 5/300 examples, 500 steps, 250 steps/s, 180s guard"  # the spinner has the clock
    p.finish(StageResult("fuzz", Status.PASS, seconds=2.0, message="seed 7: 5 examples"))
    assert out.getvalue().endswith("levcheck check: fuzz     PASS        2.0s  seed 7: 5 examples\n")
    plain = io.StringIO()
    q = Progress(plain, live=False)
    q.start("prove")
    q.finish(StageResult("prove", Status.FAIL, seconds=1.25, message="3/4 proved"))
    assert plain.getvalue() == "levcheck check: prove ...\nlevcheck check: prove    FAIL        1.2s  3/4 proved\n"


# ------------------------------------------------------------------ the forge-like lines


def _result(**kw) -> FuzzResult:
    exercised = {inv.id: 10 for inv in INVARIANTS}
    exercised.update(kw.pop("exercised", {}))
    base = dict(seed=7, profile="dev", status="passed", examples=300, steps=110_905, seconds=76.6,
                exercised=exercised, coverage={("rebalance", "ok"): 4, ("rebalance", "NotTriggered"): 25,
                                               ("rebalance", "EmptySeries"): 363, ("warp", "ok"): 1_089})
    base.update(kw)
    return FuzzResult(**base)


def _failing_replay(differences: list[str], found: list[tuple[str, Violation]]) -> ReplayResult:
    step = Step("warp", args={"seconds": 3600})
    report = StepReport(0, step, Outcome("warp"), Outcome("warp"), differences=differences, found=found)
    return ReplayResult("violated", "pyrevm", [report], first_failure=0)


def test_forge_lines_for_a_passed_a_failed_and_a_not_exercised_invariant():
    first, second = INVARIANTS[0].id, INVARIANTS[1].id
    violation = Violation("econ.profit", "keeper +5 QUOTE, entitled 0")
    res = _result(status="failed", exercised={first: 12_345, second: 0, "econ.profit": 3},
                  replay=_failing_replay([], [("model", violation)]))
    lines = invariant_lines(res)
    assert lines[0] == f"[PASS] {first} (exercised 12,345 steps)"
    assert lines[1] == f"[SKIP: not exercised] {second} (0 steps)"
    assert "[FAIL: model: keeper +5 QUOTE, entitled 0] econ.profit (exercised 3 steps)" in lines
    assert len(lines) == len(INVARIANTS)
    assert summary_line(res) == (f"Suite result: FAILED. {len(INVARIANTS) - 2} passed; 1 failed; 1 skipped; "
                                 "finished in 76.6s (300 examples, 110,905 steps, 1,448 steps/s)")


def test_a_divergence_fails_the_agreement_and_an_unlisted_id_still_fails():
    res = _result(status="failed", exercised={AGREEMENT: 1},
                  replay=_failing_replay(["reserve.idle: model 5 != EVM 6"], [("EVM", Violation("x.unlisted", "boom"))]))
    failures = failed_invariants(res)
    assert failures.reasons == {AGREEMENT: "reserve.idle: model 5 != EVM 6", "x.unlisted": "EVM: boom"}
    assert failures.step is res.replay.steps[0]
    lines = invariant_lines(res)
    assert f"[FAIL: reserve.idle: model 5 != EVM 6] {AGREEMENT} (exercised 1 step)" in lines
    assert lines[-1] == "[FAIL: EVM: boom] x.unlisted"
    assert failed_invariants(_result()).reasons == {}  # a pass fails nothing


def test_summary_says_ok_and_when_the_time_guard_cut_the_run():
    res = _result(cut_by_time=True, examples=12)
    assert summary_line(res) == (f"Suite result: ok. {len(INVARIANTS)} passed; 0 failed; 0 skipped; finished in 76.6s "
                                 "(12 examples, 110,905 steps, 1,448 steps/s); cut by the time guard after 12 examples")


def test_coverage_table_rows_are_actions_with_ok_reverted_and_reverts_by_error():
    table = coverage_table(_result())
    assert table == [
        "action        ok  reverted  reverts by error",
        "rebalance      4       388  EmptySeries 363, NotTriggered 25",
        "warp       1,089         0",
        "total      1,093       388",
    ]


# ------------------------------------------------------------------ real runs


def test_progress_does_not_change_the_run():
    calls: list[ProgressInfo] = []
    quiet = run_fuzz(FuzzConfig(seed=1, examples=3, out_dir=None))
    loud = run_fuzz(FuzzConfig(seed=1, examples=3, out_dir=None, progress=calls.append))
    assert (loud.steps, loud.coverage, loud.exercised) == (quiet.steps, quiet.coverage, quiet.exercised)
    assert [c.examples for c in calls[:3]] == [0, 1, 2] and calls[-1].done and calls[-1].steps == loud.steps
    assert all(c.budget == 3 and c.seed == 1 for c in calls)


@pytest.mark.parametrize("extra", [[], ["--json"], ["--no-progress"]])
def test_levcheck_fuzz_prints_forge_lines_the_table_and_progress_on_stderr(extra, capsys, tmp_path):
    code = main(["fuzz", "--seed", "1", "--examples", "3", "--workers", "1", "--out", str(tmp_path), *extra])
    out, err = capsys.readouterr()
    assert code == 0
    progress = [ln for ln in err.splitlines() if ln.startswith("levcheck fuzz: seed 1, ")]
    if "--no-progress" in extra:
        assert progress == []
    else:  # not a terminal under pytest: plain lines, the first one at once
        assert progress and progress[0].startswith("levcheck fuzz: seed 1, 0/3 examples, 0 steps")
    if "--json" in extra:
        doc = json.loads(out)  # stdout is the JSON object alone
        assert doc["examples"] == 3 and "[PASS]" not in out
        return
    assert f"[PASS] {AGREEMENT} (exercised " in out
    assert any(ln.startswith("[SKIP: not exercised] ") and ln.endswith(" (0 steps)") for ln in out.splitlines())
    assert any(ln.startswith("Suite result: ok. ") and "(3 examples, " in ln for ln in out.splitlines())
    assert "action " in out and "reverts by error" in out and "\ntotal " in out
    assert " examples, " not in out.splitlines()[0] and "/3 examples" not in out  # progress never on stdout


def test_sharded_runs_report_each_shard_as_it_finishes_and_the_workers_summed_progress():
    from levcheck.fuzz.engine import open_engine
    from levcheck.fuzz.shards import run_sharded

    cfg = FuzzConfig(seed=1, examples=4, steps_per_example=5, out_dir=None)
    done: list[tuple[int, int, int]] = []
    seen: list[ProgressInfo] = []
    here = run_sharded(cfg, 2, None, on_shard=lambda s, k, n: done.append((s.shard, k, n)), on_progress=seen.append)
    assert done == [(0, 1, 2), (1, 2, 2)]  # no engine: one after another, in order
    assert (seen[-1].examples, seen[-1].steps, seen[-1].budget) == (4, here.merged.steps, 4)  # summed over the shards
    seen.clear()
    done.clear()
    with open_engine(2) as engine:
        res = run_sharded(cfg, 2, engine, on_shard=lambda s, k, n: done.append((s.shard, k, n)), on_progress=seen.append)
    assert sorted(s for s, _, _ in done) == [0, 1] and [k for _, k, _ in done] == [1, 2]
    # every shard sends its first example's figures at once: the client heard from the workers
    assert seen and all(i.budget == 4 and i.seed == 1 and i.examples <= 4 for i in seen)
    assert (res.merged.steps, res.merged.coverage) == (here.merged.steps, here.merged.coverage)  # progress changed nothing
    out = io.StringIO()
    Progress(out, prog="levcheck fuzz", live=False).shard_done(res.shards[1], 2, 2)
    r = res.shards[1].result
    assert out.getvalue() == (f"levcheck fuzz: [2/2] shard 1 done: passed, {r.examples:,} examples, {r.steps:,} steps "
                              f"in {r.seconds:.1f}s on {res.shards[1].worker}\n")


@pytest.mark.parametrize("quiet", [False, True])
def test_check_prints_the_fuzz_results_and_progress_on_stderr_and_keeps_json_on_stdout(quiet, capsys, tmp_path):
    from levcheck.specs.params import BUNDLED

    params = tmp_path / "params.json"  # one parameter set: the campaign runs here, no engine to start
    params.write_text(json.dumps(BUNDLED.to_dict()))
    code = main(["check", "--only", "fuzz", "--fuzz-examples", "2", "--seed", "1", "--out", str(tmp_path / "out"),
                 "--params", str(params), "--json", "--no-coverage", *(["--no-progress"] if quiet else [])])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["status"] == "pass"
    assert any(ln.startswith("Suite result: ok. ") and "(2 examples, " in ln for ln in err.splitlines())
    assert f"[PASS] {AGREEMENT} (exercised " in err and "reverts by error" in err
    progress = [ln for ln in err.splitlines() if ln.startswith("levcheck check: fuzz, seed 1, ")]
    assert progress == [] if quiet else progress[0].startswith("levcheck check: fuzz, seed 1, 0/2 examples, 0 steps")
