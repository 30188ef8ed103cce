"""Places where levcheck used to pass having checked nothing, or the wrong thing."""
from __future__ import annotations

import hashlib
import json
import shutil

from levcheck.chain.build import CACHE_DIR, SOLC_VERSION, collect_sources, standard_json_input

from .helpers import GOOD_SCENARIO, contracts_without, run, scenario_with, stage, summary


def test_check_only_fuzz_builds_the_contracts_named(tmp_path, capsys):
    """--only fuzz used to fuzz the bundled contracts/: on a tree without LeveragedToken it must fail to build."""
    folder = contracts_without(tmp_path, "LeveragedToken.sol")
    code, _, _ = run(capsys, "check", "--contracts", str(folder), "--only", "fuzz", "--fuzz-examples", "1", "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    assert code == 2 and stage(s, "fuzz")["status"] == "error"
    assert "spec contract(s) LeveragedToken not found" in stage(s, "fuzz")["message"]


def test_check_only_replay_builds_the_contracts_named(tmp_path, capsys):
    folder = contracts_without(tmp_path, "LeveragedToken.sol")
    code, _, _ = run(capsys, "check", "--contracts", str(folder), "--only", "replay", "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    assert code == 2 and "LeveragedToken not found" in stage(s, "replay")["message"]


def test_analyze_with_a_spec_contract_deleted(tmp_path, capsys):
    folder = contracts_without(tmp_path, "LeveragedToken.sol")
    code, _, err = run(capsys, "analyze", str(folder), "--project-only")
    assert code == 2 and "spec contract(s) LeveragedToken not found" in err


def test_build_with_a_spec_contract_deleted(tmp_path, capsys):
    """`build` compiles any tree (fixtures too) but says the protocol commands will refuse it."""
    folder = contracts_without(tmp_path, "LeveragedToken.sol")
    code, _, err = run(capsys, "build", "--contracts", str(folder))
    assert code == 0 and "note: spec contract(s) LeveragedToken not in" in err and "will refuse this tree" in err


def test_check_build_stage_with_a_spec_contract_deleted(tmp_path, capsys):
    folder = contracts_without(tmp_path, "LeveragedToken.sol")
    code, _, _ = run(capsys, "check", "--contracts", str(folder), "--only", "build", "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    assert code == 2 and "spec contract(s) LeveragedToken not found" in stage(s, "build")["message"]


def test_spec_shape_detector_with_none_of_its_contracts_is_a_finding(capsys):
    """One file analysed: the shape checks of LeveragedToken found nothing to look at. A finding, and the
    triage entries for the absent contracts are reported stale."""
    code, out, _ = run(capsys, "analyze", "contracts/SpotPool.sol", "--project-only")
    assert code == 1
    assert "lev-keeper-fee checked nothing: none of its contracts (LeveragedToken)" in out
    assert "stale triage entry" in out


def _poison_cache(folder, output: dict):  # the key levcheck.chain.build.compile_output uses
    sources = collect_sources(folder)
    blob = json.dumps(standard_json_input(sources), sort_keys=True).encode()
    path = CACHE_DIR / f"{hashlib.sha256(blob + SOLC_VERSION.encode()).hexdigest()}.json"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(output))
    return path


def test_build_cache_holding_nothing(tmp_path, capsys):
    folder = contracts_without(tmp_path)
    (folder / "TestToken.sol").write_text((folder / "TestToken.sol").read_text() + f"\n// {tmp_path}\n")  # a key of its own
    cache = _poison_cache(folder, {})
    try:
        code, out, err = run(capsys, "build", "--contracts", str(folder))
    finally:
        cache.unlink(missing_ok=True)
    # levcheck.chain.build recompiles an entry that does not cover every source (build_verified would
    # refuse one that got through): never "built 0 contracts"
    assert code == 0 and "built 15 contract(s) from 11 file(s)" in out and "(solc-js)" in out
    assert not cache.exists() or json.loads(cache.read_text()) != {}


def test_build_cache_missing_a_source(tmp_path, capsys):
    folder = contracts_without(tmp_path)
    (folder / "TestToken.sol").write_text((folder / "TestToken.sol").read_text() + f"\n// {tmp_path} partial\n")
    from levcheck.chain.build import run_solc

    output = run_solc(standard_json_input(collect_sources(folder)))
    dropped = next(k for k in output["contracts"] if k.endswith("SpotPool.sol"))
    del output["contracts"][dropped]
    cache = _poison_cache(folder, output)
    try:
        code, _, err = run(capsys, "build", "--contracts", str(folder))
    finally:
        cache.unlink(missing_ok=True)
    assert code == 2 and "no compiled output for" in err and "SpotPool.sol" in err and "from the build cache" in err


def test_artifacts_missing_a_source_are_refused():
    """The second guard, for artifacts that reach a stage however they were made."""
    import pytest

    from levcheck.chain.build import Artifacts, build_contracts
    from levcheck.chain.verified import require_complete
    from levcheck.errors import CompileError

    full = build_contracts()
    partial = Artifacts({k: v for k, v in full.items() if not v.source_path.endswith("SpotPool.sol")}, full.sources, full.std_input, True)
    with pytest.raises(CompileError, match="no compiled output for contracts/SpotPool.sol"):
        require_complete(partial)
    with pytest.raises(CompileError, match="0 contracts compiled"):
        require_complete(Artifacts({}, full.sources, full.std_input, True))


def test_missing_scenarios_folder_is_an_error(tmp_path, capsys):
    code, _, _ = run(capsys, "check", "--only", "replay", "--scenarios", str(tmp_path / "scenarioz"), "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    assert code == 2 and "does not exist" in stage(s, "replay")["message"]


def test_empty_scenarios_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    code, _, _ = run(capsys, "check", "--only", "replay", "--scenarios", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    assert code == 2 and "no scenario files" in stage(s, "replay")["message"]


def test_scenarios_in_sub_folders_are_replayed(tmp_path, capsys):
    (tmp_path / "sc" / "deep" / "er").mkdir(parents=True)
    shutil.copy(GOOD_SCENARIO, tmp_path / "sc" / "deep" / "er" / "tour.json")
    code, _, _ = run(capsys, "check", "--only", "replay", "--scenarios", str(tmp_path / "sc"), "--out", str(tmp_path / "out"))
    s, _ = summary(tmp_path / "out")
    cases = [c for c in stage(s, "replay")["cases"] if c["id"] != "constructor limits"]  # that one is every replay's
    assert code == 0 and len(cases) == 1 and cases[0]["id"].endswith("deep/er/tour.json") and cases[0]["status"] == "pass"


def test_one_bad_scenario_is_an_error_case_and_the_rest_replay(tmp_path, capsys):
    folder = tmp_path / "sc"
    folder.mkdir()
    shutil.copy(GOOD_SCENARIO, folder / "good.json")
    scenario_with(folder, "huge.json", steps=lambda raw: raw["steps"][0].update(quote_in=2**256))
    code, _, _ = run(capsys, "check", "--only", "replay", "--scenarios", str(folder), "--out", str(tmp_path / "out"))
    s, junit = summary(tmp_path / "out")
    by_id = {c["id"].rsplit("/", 1)[-1]: c for c in stage(s, "replay")["cases"]}
    assert code == 2 and by_id["good.json"]["status"] == "pass"
    assert by_id["huge.json"]["status"] == "error" and "does not fit in a uint256" in by_id["huge.json"]["message"]
    suite = next(x for x in junit.iter("testsuite") if x.get("name") == "replay")
    assert suite.get("tests") == "3" and suite.get("errors") == "1"  # the two files and the constructor limits
