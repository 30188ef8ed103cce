"""One error boundary: the unexpected is one line and exit 2 (the traceback with --debug), and
`check` still writes its summary. The RPC guard looks at the real hostname."""
from __future__ import annotations

import pytest

from levcheck.chain.evm import require_loopback
from levcheck.errors import ToolchainError

from .helpers import GOOD_SCENARIO, run, stage, summary


@pytest.fixture
def deep_json(tmp_path):
    """A parameter file that makes the JSON decoder itself fail (RecursionError): a genuinely unexpected
    error. The nesting is 5x the recursion limit, held at Python's default for the test: far deeper
    nesting under a raised limit overflows the C stack instead (a segfault, seen in the full suite)."""
    import sys

    p = tmp_path / "deep.json"
    p.write_text("[" * 5_000 + "]" * 5_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000)
    try:
        yield str(p)
    finally:
        sys.setrecursionlimit(limit)


def test_unexpected_error_is_one_line_exit_2(deep_json, capsys):
    code, _, err = run(capsys, "prove", "--params", deep_json)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and err.startswith("levcheck prove: error: unexpected RecursionError")
    assert "--debug" in err


def test_debug_prints_the_traceback(deep_json, capsys):
    code, _, err = run(capsys, "prove", "--params", deep_json, "--debug")
    assert code == 2 and "Traceback (most recent call last)" in err and "levcheck prove: error: unexpected RecursionError" in err


def test_check_writes_its_summary_when_a_stage_crashes(deep_json, tmp_path, capsys):
    code, _, _ = run(capsys, "check", "--only", "prove", "--params", deep_json, "--out", str(tmp_path / "out"))
    s, junit = summary(tmp_path / "out")
    assert code == 2 and stage(s, "prove")["status"] == "error" and "RecursionError" in stage(s, "prove")["message"]
    assert next(x for x in junit.iter("testsuite") if x.get("name") == "prove").get("errors") == "1"


@pytest.mark.parametrize("url", ["http://127.0.0.1:1@example.invalid/", "http://example.invalid/", "http://localhost.example.invalid:8545/",
                                 "http://user@127.0.0.1:8545/", "file:///etc/passwd"])
def test_rpc_guard_refuses_a_remote_host(url):
    with pytest.raises(ToolchainError, match="refusing RPC URL"):
        require_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8545", "http://localhost:8545/", "http://[::1]:8545/", "http://127.0.0.2:1/"])
def test_rpc_guard_accepts_loopback(url):
    assert require_loopback(url)


def test_replay_refuses_a_disguised_remote_backend(capsys):
    code, _, err = run(capsys, "replay", str(GOOD_SCENARIO), "--backend", "http://127.0.0.1:1@example.invalid/")
    assert code == 2 and "levcheck replay: error: refusing RPC URL" in err and "'example.invalid'" in err


def test_only_and_skip_leaving_nothing(tmp_path, capsys):
    code, _, err = run(capsys, "check", "--only", "fuzz", "--skip", "fuzz", "--out", str(tmp_path / "out"))
    assert code == 2 and "leave no stage to run" in err
