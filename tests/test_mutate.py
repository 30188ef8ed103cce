"""levcheck mutate: the spec-aware operators, dropping identical mutants, the triage file (stale
entries), and a small run through the CLI on a real 2-worker LocalCluster."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from levcheck.chain.build import collect_sources
from levcheck.cli import main
from levcheck.mutate import triage
from levcheck.mutate.generate import generate, levcheck_mutants, normalise

SOURCES = collect_sources("contracts")
LT = "contracts/LeveragedToken.sol"


def test_every_spec_aware_operator_yields_mutants_of_the_series() -> None:
    ops = {m.operator for m in levcheck_mutants(SOURCES, LT)}
    assert {"lev-rounding", "lev-off-by-one", "lev-guard-removed", "lev-payment-recipient", "lev-fee-recipient",
            "lev-debt-asset", "lev-write-dropped"} <= ops, ops
    rounding = [m for m in levcheck_mutants(SOURCES, LT) if m.operator == "lev-rounding"]
    assert all({m.old, m.new} == {"mulDivDown(", "mulDivUp("} for m in rounding)


def test_identical_mutants_are_dropped_and_ids_are_stable() -> None:
    src = {"contracts/A.sol": "contract A {\n    uint256 x;\n    function f() external {\n        // a < b\n        x = 1;\n    }\n}\n"}
    assert normalise("a  =  1; // c\n/* d */") == "a=1;"
    ms, dropped = generate(src, slither=False)
    assert [m.operator for m in ms] == ["lev-write-dropped"] and dropped == 0  # the `<` in the comment is not a condition
    again, _ = generate(src, slither=False)
    assert [m.id for m in again] == [m.id for m in ms]
    # two operators producing the same text: the second is dropped
    twice = {"contracts/B.sol": "contract B {\n    function f(uint a) external { if (a < 1) revert E(); if (a < 1) revert E(); }\n}\n"}
    ms2, dropped2 = generate(twice, slither=False)
    assert len({normalise(m.apply(twice[m.file])) for m in ms2}) == len(ms2)


def test_triage_reports_stale_entries(tmp_path: Path) -> None:
    f = tmp_path / "t.toml"
    f.write_text('[[accepted]]\nmutant = "aaa"\nfile = "contracts/X.sol"\nreason = "equivalent: x"\n'
                 '[[accepted]]\nmutant = "bbb"\nfile = "contracts/X.sol"\nreason = "equivalent: y"\n'
                 '[[accepted]]\nmutant = "ccc"\nfile = "contracts/X.sol"\nreason = "equivalent: z"\n')
    entries = triage.load(f)
    out = triage.stale(entries, generated={"aaa": "contracts/X.sol", "bbb": "contracts/X.sol"}, killed={"bbb"})
    assert [(e.mutant, why) for e, why in out] == [("bbb", "this run killed it: it is not equivalent"),
                                                   ("ccc", "no such mutant is generated from the current code")]
    f.write_text('[[accepted]]\nmutant = "aaa"\nfile = "contracts/X.sol"\n')
    with pytest.raises(triage.TriageError, match="`reason` is required"):
        triage.load(f)


@pytest.mark.slow
def test_mutate_prints_a_score_a_table_and_the_live_survivors(tmp_path: Path, capsys) -> None:
    """Four spec-aware mutants of SeriesMath on 2 workers; one stale triage entry is reported."""
    tri = tmp_path / "mutation-triage.toml"
    tri.write_text('[[accepted]]\nmutant = "000000000000"\nfile = "contracts/SeriesMath.sol"\nreason = "gone"\n')
    code = main(["mutate", "--only", "SeriesMath.sol", "--no-slither", "--max-mutants", "4", "--workers", "2",
                 "--fuzz-examples", "6", "--triage", str(tri), "--out", str(tmp_path / "out"), "--min-score", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads((tmp_path / "out" / "mutation.json").read_text())
    assert report["run"] == 4 and report["killed"] + report["survived"] + report["invalid"] == 4
    assert out.startswith("# Mutation score: ") and "| contracts/SeriesMath.sol | 4 |" in out
    assert report["stale_triage"] == [{"entry": 1, "mutant": "000000000000", "file": "contracts/SeriesMath.sol",
                                       "why": "no such mutant is generated from the current code"}]
    for s in report["live_survivors"]:  # each with its diff, in the Markdown and located in the SARIF
        assert s["id"] in out and s["diff"].startswith("--- a/contracts/SeriesMath.sol")
    sarif = json.loads((tmp_path / "out" / "mutation.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(report["live_survivors"])
