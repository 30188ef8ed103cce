"""`levcheck check`: stage order, budget, config precedence, failure handling and report contents."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from levcheck import checkrun
from levcheck.chain.build import ROOT
from levcheck.checkrun import CheckConfig, run_check
from levcheck.cli import main
from levcheck.errors import LevcheckError
from levcheck.report.results import Status


def load(out: Path):
    out = out / "latest" if (out / "latest").exists() else out
    summary = json.loads((out / "summary.json").read_text())
    junit = ET.parse(out / "junit.xml").getroot()
    sarif = json.loads((out / "levcheck.sarif").read_text())
    md = (out / "summary.md").read_text()
    return summary, junit, sarif, md


def stage(summary, name):
    return next(s for s in summary["stages"] if s["name"] == name)


def test_broken_variant_fails_and_every_report_names_it(broken_contracts, tmp_path):
    out = tmp_path / "out"
    code = main(["check", "--contracts", str(broken_contracts), "--out", str(out), "--only", "build", "--only", "fuzz",
                 "--seed", "3", "--fuzz-seconds", "60", "--budget", "200",
                 "--no-coverage"])
    assert code == 1
    summary, junit, sarif, md = load(out)
    assert summary["status"] == "fail" and summary["exit_code"] == 1
    fuzz = stage(summary, "fuzz")
    assert fuzz["status"] == "fail" and fuzz["info"]["seed"] == 3
    failing = [c for c in fuzz["cases"] if c["status"] == "fail"]
    assert failing, fuzz
    case = failing[0]
    assert case["artifact"] and Path(ROOT / case["artifact"]).is_file() or Path(case["artifact"]).is_file()
    assert case["location"]["file"].endswith(".sol") and case["location"]["line"] > 0
    # JUnit: the failing property is a <failure> of the fuzz suite
    suite = next(s for s in junit.iter("testsuite") if s.get("name") == "fuzz")
    failures = [tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert case["id"] in failures and int(suite.get("failures")) == len(failures)
    # SARIF: a levcheck run result for it, located at the contract line it exercises
    run = next(r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "levcheck")
    result = next(r for r in run["results"] if r["ruleId"] == f"levcheck.fuzz.{case['id']}")
    region = result["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == case["location"]["file"] and region["region"]["startLine"] == case["location"]["line"]
    import jsonschema

    jsonschema.validate(sarif, json.loads((ROOT / "tests" / "fixtures" / "analysis" / "sarif-schema-2.1.0.json").read_text()))
    # Markdown names it, with its replay command and its plot
    assert md.startswith("# levcheck check: FAIL") and f"fuzz / {case['id']}" in md and "levcheck replay" in md
    png = Path(case["details"]["plot"])
    assert png.is_file() and png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_build_error_skips_the_rest_and_exits_2(tmp_path):
    bad = tmp_path / "contracts"
    bad.mkdir()
    (bad / "Bad.sol").write_text("pragma solidity 0.8.28;\ncontract Bad { uint x = ; }\n")
    code = main(["check", "--contracts", str(bad), "--out", str(tmp_path / "out"), "--budget", "60"])
    assert code == 2
    summary, junit, _, md = load(tmp_path / "out")
    assert stage(summary, "build")["status"] == "error" and "Bad.sol:2:" in stage(summary, "build")["message"]
    assert all(stage(summary, s)["status"] == "skipped" for s in ("analyze", "prove", "fuzz", "replay"))
    assert any(tc.find("error") is not None for tc in junit.iter("testcase"))
    assert "# levcheck check: ERROR" in md


def test_interrupted_run_still_writes_its_summary(tmp_path, monkeypatch):
    def interrupted(ctx):
        raise KeyboardInterrupt

    monkeypatch.setitem(checkrun.STAGE_FUNCS, "analyze", interrupted)
    cfg = CheckConfig(out=str(tmp_path / "out"), only=("build", "analyze", "prove"))
    summary = run_check(cfg)
    assert summary.interrupted and summary.exit_code == 3
    names = {s.name: s.status for s in summary.stages}
    assert names["build"] is Status.PASS and names["analyze"] is Status.TIMEOUT and names["prove"] is Status.SKIPPED
    assert json.loads((tmp_path / "out" / "latest" / "summary.json").read_text())["interrupted"] is True


def test_exhausted_budget_is_a_timeout_not_a_pass(tmp_path):
    cfg = CheckConfig(out=str(tmp_path / "out"), budget=0.0, only=("build",))
    summary = run_check(cfg)
    assert summary.exit_code == 3 and summary.stages[0].status is Status.TIMEOUT


def test_pyproject_defaults_and_command_line_precedence(tmp_path):
    py = tmp_path / "pyproject.toml"
    py.write_text('[tool.levcheck]\nbudget = 99\nskip = ["fuzz"]\nout = "x"\n')
    cfg = CheckConfig.from_pyproject(py)
    assert cfg.budget == 99 and cfg.skip == ("fuzz",) and cfg.stages() == ["build", "analyze", "prove", "replay"]
    py.write_text("[tool.levcheck]\nbudgett = 1\n")
    with pytest.raises(LevcheckError, match="unknown \\[tool.levcheck\\] key"):
        CheckConfig.from_pyproject(py)
    with pytest.raises(LevcheckError, match="unknown stage 'proof'"):
        CheckConfig(only=("proof",)).stages()


def test_only_analyze_writes_slither_findings_to_sarif(tmp_path):
    out = tmp_path / "out"
    assert main(["check", "--only", "build", "--only", "analyze", "--out", str(out)]) == 0
    summary, junit, sarif, _ = load(out)
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]][-1] == "levcheck"
    analysis = sarif["runs"][0]
    assert analysis["tool"]["driver"]["name"] == "levcheck-analyze"
    rule_ids = {r["id"] for r in analysis["tool"]["driver"]["rules"]}
    assert {"reentrancy-eth", "lev-rebalance-guards"} <= rule_ids  # Slither's detectors and levcheck's
    import jsonschema

    schema = json.loads((ROOT / "tests" / "fixtures" / "analysis" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    assert stage(summary, "analyze")["info"]["open findings"] == 0
    assert len(list(junit.iter("testcase"))) == len(stage(summary, "analyze")["cases"]) + len(stage(summary, "build")["cases"]) + 3


def test_the_fuzz_stage_is_bounded_by_the_profiles_examples_by_default(tmp_path, monkeypatch):
    """Without --fuzz-examples the stage runs the profile's example count, with time only a guard: a
    default check once ran until the guard (848 examples here, fewer on a slower machine) and reported
    a timeout. The campaign itself is replaced by a recorder of what the stage asked for."""
    from levcheck.fuzz import api
    from levcheck.fuzz.api import PROFILES

    asked = []

    def recorded(config):
        asked.append(config)
        return api.FuzzResult(seed=config.seed, profile=config.profile, status="passed", examples=config.examples, steps=1,
                              seconds=0.1, steps_per_example=1)

    from levcheck.fuzz import engine, shards

    monkeypatch.setattr(shards, "run_fuzz", recorded)  # the portfolio's units run in this process:
    monkeypatch.setattr(engine, "default_workers", lambda: 1)  # one worker, no engine to start
    main(["check", "--only", "fuzz", "--out", str(tmp_path / "out"), "--seed", "1", "--no-coverage"])
    # the profile's examples, split between the parameter sets of the portfolio (specs/portfolio.py)
    assert sum(c.examples for c in asked) == PROFILES["ci"].examples and len(asked) == 4
    assert all(c.seconds is not None and c.seconds >= 15 for c in asked)
