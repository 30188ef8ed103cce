"""`levcheck bench`: its figures are printed, never asserted; what is tested is its input handling and
that `--against` measures the other commit's own code (not this checkout's, via the editable install)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from levcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "levcheck" / "commands" / "throughput_probe.py"


def test_against_an_unknown_commit_is_a_one_line_error_before_any_measurement(capsys) -> None:
    assert main(["bench", "--against", "no-such-rev-xyz"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"levcheck bench: error: --against no-such-rev-xyz: no such commit in {ROOT}"]


def test_the_probe_imports_only_the_tree_it_runs_in(tmp_path: Path) -> None:
    # a tree with the pre-redesign layout (a top-level `fuzz` package, no levcheck/chain): the probe must
    # take the old layout and fail on it, rather than borrow levcheck.chain from this checkout
    (tmp_path / "levcheck").mkdir()
    (tmp_path / "levcheck" / "__init__.py").write_text("")
    (tmp_path / "fuzz").mkdir()
    (tmp_path / "fuzz" / "__init__.py").write_text("")
    (tmp_path / "fuzz" / "api.py").write_text("raise ImportError('the old tree of this test')\n")
    done = subprocess.run([sys.executable, str(PROBE), "campaign", "1", "1"], cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path)), capture_output=True, text=True)
    assert done.returncode != 0
    assert "the old tree of this test" in done.stderr


def test_the_probe_replays_a_recorded_workload_in_this_tree(tmp_path: Path) -> None:
    work = tmp_path / "work.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rec = subprocess.run([sys.executable, str(PROBE), "record", "1", "1", str(work)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert rec.returncode == 0, rec.stderr[-2000:]
    recorded = json.loads(rec.stdout.strip().splitlines()[-1])
    rep = subprocess.run([sys.executable, str(PROBE), "replay", str(work)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert rep.returncode == 0, rep.stderr[-2000:]
    replayed = json.loads(rep.stdout.strip().splitlines()[-1])
    assert replayed["steps"] == recorded["steps"] > 0 and replayed["failing_steps"] == 0


def test_bench_coverage_prints_the_replay_against_the_campaign(capsys) -> None:
    from levcheck.commands.bench import coverage_figures

    row = coverage_figures(seed=4, seconds=1.0)
    printed = capsys.readouterr().out
    assert row["examples"] >= 1 and row["replay_cpu_seconds"] > 0 and row["ratio"] > 0
    assert f"instrumented replay of all {row['examples']} examples" in printed and "x the campaign" in printed
