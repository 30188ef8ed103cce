"""`levcheck analyze`: each project detector fires on its trigger fixture and stays silent on the
no-trigger ones; the bundled protocol passes (everything fixed or triaged); SARIF validates."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from levcheck.analysis import run_analysis
from levcheck.analysis.detectors import PROJECT_DETECTORS
from levcheck.analysis.sarif import to_sarif
from levcheck.analysis.triage import TriageError, load_triage
from levcheck.cli import main
from levcheck.exitcodes import ExitCode

FIX = Path(__file__).resolve().parent / "fixtures" / "analysis"
PROJECT_IDS = [d.ARGUMENT for d in PROJECT_DETECTORS]

# fixture, detector, the (contract, function) pairs it must name
TRIGGERS = [
    ("ImmutableBad.sol", "lev-immutable-thresholds", {("LeveragedToken", None), ("LeveragedToken", "setBand")}),
    (
        "WriteSetsBad.sol",
        "lev-write-sets",
        {
            ("LeveragedToken", "sync"),
            ("LeveragedToken", "poke"),
            ("LeveragedToken", "settleInsolvency"),
            ("ReservePool", "borrow"),
        },
    ),
    ("GuardsBad.sol", "lev-rebalance-guards", {("LeveragedToken", "rebalance"), ("LeveragedToken", "ripcord")}),
    ("MinOutBad.sol", "lev-swap-min-out", {("LeveragedToken", "rebalance"), ("LeveragedToken", "mint")}),
    ("EventsBad.sol", "lev-events-emitted", {("LeveragedToken", "rebalance")}),
    ("KeeperBad.sol", "lev-keeper-fee", {("LeveragedToken", "rebalance"), ("LeveragedToken", "ripcord")}),
    ("CallOrderBad.sol", "lev-call-order", {("LeveragedToken", "rebalance"), ("LeveragedToken", "redeem")}),
    ("NamesBad.sol", "lev-spec-names", {("LeveragedToken", None)}),
]

NO_TRIGGERS = [
    ("Good.sol", PROJECT_IDS),
    ("WriteSetsOk.sol", ["lev-write-sets"]),
    ("CallOrderOk.sol", ["lev-call-order"]),
]


def test_every_project_detector_has_a_trigger_fixture():
    assert {d for _, d, _ in TRIGGERS} == set(PROJECT_IDS)


@pytest.mark.parametrize("fixture,detector,expected", TRIGGERS, ids=[t[1] for t in TRIGGERS])
def test_detector_fires_on_its_trigger_fixture(fixture, detector, expected):
    result = run_analysis(FIX / fixture, only=[detector], triage=None)
    assert result.exit_code == ExitCode.FAILED
    assert {f.detector for f in result.open} == {detector}
    assert {(f.contract, f.function) for f in result.open} == expected
    for f in result.open:
        assert f.file == f"tests/fixtures/analysis/{fixture}" and isinstance(f.line, int) and f.line > 0


@pytest.mark.parametrize("fixture,detectors", NO_TRIGGERS, ids=[n[0] for n in NO_TRIGGERS])
def test_detectors_silent_on_no_trigger_fixture(fixture, detectors):
    result = run_analysis(FIX / fixture, only=detectors, triage=None)
    assert result.open == [], [f"{f.detector} {f.where} {f.message}" for f in result.open]
    assert result.exit_code == ExitCode.PASS


def test_keeper_fee_fires_on_a_payment_without_the_work_done_check(tmp_path):
    """Issue 12: Good.sol without its NothingToRebalance check pays a keeper for a trade of nothing."""
    src = (FIX / "Good.sol").read_text()
    check = "if (_trade(p) == 0) revert NothingToRebalance();"
    assert check in src
    (tmp_path / "Good.sol").write_text(src.replace(check, "_trade(p);"))
    (f,) = run_analysis(tmp_path / "Good.sol", only=["lev-keeper-fee"], triage=None).open
    assert (f.detector, f.function) == ("lev-keeper-fee", "rebalance") and "work done (NothingToRebalance)" in f.message


def test_trigger_messages_say_what_is_wrong():
    guards = run_analysis(FIX / "GuardsBad.sol", only=["lev-rebalance-guards"], triage=None).open
    by_fn = {f.function: f.message for f in guards}
    assert "reserve floor" in by_fn["rebalance"] and "trigger" not in by_fn["rebalance"]
    assert "ripcord level" in by_fn["ripcord"]
    minout = {f.function: f.message for f in run_analysis(FIX / "MinOutBad.sol", only=["lev-swap-min-out"], triage=None).open}
    assert "the constant 0" in minout["rebalance"] and "not derived from the oracle" in minout["mint"]
    order = {f.function: f.message for f in run_analysis(FIX / "CallOrderBad.sol", only=["lev-call-order"], triage=None).open}
    assert "lastRebalance" in order["rebalance"] and "balanceOf" in order["redeem"]


@pytest.fixture(scope="module")
def bundled():
    return run_analysis("contracts")


def test_bundled_protocol_passes_with_triage(bundled):
    assert bundled.open == [], [f"{f.detector} {f.where} {f.message}" for f in bundled.open]
    # A stale entry is reported (and should be removed) but does not fail the run: no assertion here.
    assert bundled.exit_code == ExitCode.PASS
    assert {"LeveragedToken", "ReservePool", "SpotPool", "PriceOracle", "TestToken"} <= set(bundled.contracts)
    ran = {d.id for d in bundled.detectors}
    assert set(PROJECT_IDS) <= ran and "reentrancy-no-eth" in ran
    assert all(f.accepted for f in bundled.findings)


def test_bundled_protocol_passes_every_project_detector_untriaged():
    """Only the one triaged shape finding (ripcord's infeasible borrow branch) may remain."""
    result = run_analysis("contracts", only=PROJECT_IDS, triage=None)
    assert [(f.detector, f.contract, f.function) for f in result.open] == [("lev-write-sets", "LeveragedToken", "ripcord")]


def test_warm_run_reuses_the_compile_cache(bundled):
    # Speed is measured by `levcheck bench`, not asserted here; what a test can assert is the cache hit.
    again = run_analysis("contracts")
    assert again.compile_cached
    assert sorted(f.fingerprint for f in again.findings) == sorted(f.fingerprint for f in bundled.findings)


def _validator():
    schema = json.loads((FIX / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_with_accepted_findings(bundled):
    doc = to_sarif(bundled)
    _validator().validate(doc)
    results = doc["runs"][0]["results"]
    assert results and all(r["suppressions"][0]["kind"] == "external" for r in results)


def test_sarif_validates_with_open_findings_and_names_the_location(tmp_path):
    out = tmp_path / "out.sarif"
    rc = main(["analyze", str(FIX / "KeeperBad.sol"), "--project-only", "--no-triage", "--sarif", str(out)])
    assert rc == ExitCode.FAILED
    doc = json.loads(out.read_text())
    _validator().validate(doc)
    res = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "lev-keeper-fee"]
    assert res and "suppressions" not in res[0]
    loc = res[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "tests/fixtures/analysis/KeeperBad.sol" and loc["region"]["startLine"] > 0


def test_sarif_schema_rejects_a_broken_document():
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate({"version": "2.1.0", "runs": [{"results": []}]})  # no tool


@pytest.mark.parametrize("fixture,detector,expected", TRIGGERS, ids=[t[1] for t in TRIGGERS])
def test_cli_exits_1_naming_detector_contract_function_line(fixture, detector, expected, capsys):
    rc = main(["analyze", str(FIX / fixture), "--detectors", detector, "--no-triage"])
    out = capsys.readouterr().out
    assert rc == ExitCode.FAILED
    contract, function = sorted(expected, key=lambda e: e[1] or "")[-1]
    name = f"{contract}.{function}" if function else contract
    assert f"[{detector}]" in out and f"tests/fixtures/analysis/{fixture}:" in out and f" {name}:" in out


def test_cli_json_and_exit_0_on_the_bundled_protocol(capsys):
    rc = main(["analyze", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == ExitCode.PASS and doc["exit_code"] == 0 and doc["open"] == [] and doc["accepted"]


def test_cli_exits_2_on_a_compile_error(tmp_path, capsys):
    bad = tmp_path / "Broken.sol"
    bad.write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract Broken { function f( }\n")
    rc = main(["analyze", str(bad), "--project-only"])
    err = capsys.readouterr().err
    assert rc == ExitCode.ERROR and "Broken.sol:3" in err


def test_triage_accepts_and_reports_stale(tmp_path):
    triage = tmp_path / "triage.toml"
    triage.write_text(
        '[[accepted]]\ndetector = "lev-events-emitted"\ncontract = "LeveragedToken"\nfunction = "rebalance"\n'
        'reason = "fixture: the early return is the point"\n\n'
        '[[accepted]]\ndetector = "lev-events-emitted"\ncontract = "LeveragedToken"\nfunction = "mint"\n'
        'reason = "matches nothing"\n'
    )
    result = run_analysis(FIX / "EventsBad.sol", only=["lev-events-emitted"], triage=triage)
    assert result.open == [] and result.exit_code == ExitCode.PASS
    assert [f.accepted for f in result.accepted] == ["fixture: the early return is the point"]
    assert [(e.function, e.index) for e in result.stale] == [("mint", 2)]


def test_triage_needs_a_reason(tmp_path):
    triage = tmp_path / "triage.toml"
    triage.write_text('[[accepted]]\ndetector = "timestamp"\ncontract = "PriceOracle"\n')
    with pytest.raises(TriageError, match="reason"):
        load_triage(triage)


def test_checked_in_triage_has_a_reason_for_every_entry():
    entries = load_triage(Path(__file__).resolve().parent.parent / "slither-triage.toml")
    assert entries and all(e.reason for e in entries)


def test_every_sarif_log_comes_from_one_writer(bundled):
    """analyze's log and check's log: one $schema, a real informationUri on every tool, and a
    partialFingerprints entry on every result, stable from run to run."""
    from levcheck import sarif
    from levcheck.report.results import Case, CheckSummary, Location, StageResult, Status
    from levcheck.report.writers import sarif_run

    loc = Location("contracts/LeveragedToken.sol", 10, "LeveragedToken", "rebalance")
    fuzz = StageResult("fuzz", Status.FAIL, cases=[Case("band.restoration", "fuzz", Status.FAIL, "missed by 3 wei", location=loc)])
    summary = CheckSummary("0", "now", 1.0, 10.0, Status.FAIL, 1, False, [fuzz])
    runs = to_sarif(bundled)["runs"] + [sarif_run(summary)]
    assert to_sarif(bundled)["$schema"] == sarif.SCHEMA
    for run in runs:
        uri = run["tool"]["driver"]["informationUri"]
        assert uri.startswith("https://") and "example" not in uri
        assert run["results"] and all(sarif.FINGERPRINT_KEY in r["partialFingerprints"] for r in run["results"])
    again = sarif_run(CheckSummary("0", "later", 2.0, 10.0, Status.FAIL, 1, False, [
        StageResult("fuzz", Status.FAIL, cases=[Case("band.restoration", "fuzz", Status.FAIL, "missed by 9 wei", location=loc)])]))
    assert again["results"][0]["partialFingerprints"] == runs[-1]["results"][0]["partialFingerprints"]
    _validator().validate(sarif.log(runs))
