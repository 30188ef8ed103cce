"""Interrupts and budgets hold: Ctrl-C stops prove (Z3 swallows SIGINT into `canceled`), the
summary is still written, and each stage stops within a few seconds of the budget."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from levcheck.chain.build import ROOT

LEVCHECK = [sys.executable, "-m", "levcheck.cli"]


def start(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([*LEVCHECK, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def interrupt_after(proc: subprocess.Popen, seconds: float) -> tuple[int, str, str, float]:
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err, time.monotonic() - t0


@pytest.mark.parametrize("after", [1.5, 4.0, 7.0])  # at different queries: an interrupt is never swallowed
def test_ctrl_c_stops_prove(after):
    code, out, err, took = interrupt_after(start("prove"), after)  # mid-way through the obligations
    assert code == 3 and "levcheck prove: interrupted" in err and took < 5
    assert "obligation(s) in" not in out  # no verdict line: it did not pretend to finish
    assert "interrupted:" in out and " proved" in out  # ... and what it had decided is not lost


def test_ctrl_c_in_checks_prove_stage_writes_the_summary(tmp_path):
    out = tmp_path / "out"
    code, _, err, took = interrupt_after(start("check", "--only", "prove", "--out", str(out)), 5.0)
    summary = json.loads((out / "latest" / "summary.json").read_text())
    prove = next(s for s in summary["stages"] if s["name"] == "prove")
    assert code == 3 and summary["interrupted"] is True and prove["status"] == "timeout"
    assert "interrupted" in prove["message"] and took < 5
    # the obligations decided before the interrupt are kept, the rest is one unfinished case
    assert any(c["status"] == "pass" for c in prove["cases"]), prove["cases"]
    assert prove["cases"][-1]["id"] == "unfinished" and prove["cases"][-1]["status"] == "timeout"


def test_budget_stops_a_stage_in_flight(tmp_path):
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = subprocess.run([*LEVCHECK, "check", "--only", "prove", "--budget", "4", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    summary = json.loads((out / "latest" / "summary.json").read_text())
    prove = next(s for s in summary["stages"] if s["name"] == "prove")
    assert proc.returncode == 3 and prove["status"] == "timeout" and took < 4 + 8  # startup + grace, not the 20 s of proofs
    assert any("budget ran out" in c["message"] for c in prove["cases"]) or "budget" in prove["message"]
