"""levcheck mutate: the spec-aware operators, dropping identical mutants, the triage file (stale
entries), and a small run through the CLI on a real 2-worker LocalCluster."""
from __future__ import annotations

import json
import re
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


def test_no_mutant_is_obviously_broken_before_the_battery() -> None:
    """Dropped before the battery, not counted invalid after an 18 s compile: a payment redirected to a
    name the file does not declare, a write to a local that shadows nothing. Counted in: writes to
    mappings, to immutables (solc >= 0.8.21 compiles one left unassigned, as zero) and lines with a
    trailing comment."""
    src = {"contracts/C.sol": (
        "contract C {\n"
        "    address public immutable reserve;\n"
        "    uint256 public constant K = 1;\n"
        "    uint256 public held;\n"
        "    mapping(address => uint256) public debtOf;\n"
        "    constructor(address r) {\n"
        "        reserve = r;\n"
        "    }\n"
        "    function f(address to, uint256 a) external {\n"
        "        debtOf[to] += a; // a loan\n"
        "        held = a;\n"
        "        TokenTransfer.push(quote, msg.sender, a);\n"
        "    }\n"
        "}\n")}
    ms, _ = generate(src, slither=False)
    dropped = sorted(m.old.strip() for m in ms if m.operator == "lev-write-dropped")
    assert dropped == ["debtOf[to] += a; // a loan", "held = a;", "reserve = r;"], dropped
    assert sorted(m.new for m in ms if m.operator == "lev-payment-recipient") == ["address(this)", "reserve"]
    # the bundled contracts: every dropped write is to a declared state variable, no payment to an undeclared name
    for m in generate(SOURCES, slither=False)[0]:
        text = SOURCES[m.file]
        if m.operator == "lev-write-dropped":
            name = m.old.strip().split()[0].split("[")[0]
            assert re.search(rf"^    [^;\n]*\b{name}(?: = [^;\n]+)?;", text, re.M), m.summary
        if m.operator == "lev-payment-recipient" and m.new in ("reserve", "pool"):
            assert re.search(rf"\baddress\b[^;\n]*\b{m.new};", text), m.summary


def test_malformed_slither_patches_are_dropped() -> None:
    """slither-mutate 0.11's ROR rewrites a different span than the comparison it replaces in a compound
    condition (the run's first invalid mutant: `feeBps_ > MAX_FEE_BPS` -> `feeBps_ >= MAX_FEE_BPS ||
    protocolShareBps_`), and its CR comments out the rest of a line inside an open parenthesis: such
    patches are dropped before the battery; a true operator swap and a whole-statement comment stay."""
    from levcheck.mutate.generate import _malformed, _mutant

    text = "contract P {\n    uint256 public held;\n    function f(uint a, uint b) external nonReentrant {\n        if (a > 5 || b > 7) revert E();\n        x = a - b;\n        uint256 d = a;\n    }\n}\n"
    src = {"contracts/P.sol": text}
    at = lambda s: (text.index(s), text.index(s) + len(s))  # noqa: E731
    cases = [("ROR", "a > 5", "a >= 5 || b", True), ("ROR", "a > 5", "a >= 5", False), ("AOR", "a - b", "a + b", False),
             ("CR", "a > 5 || b > 7) revert E();", "//a > 5 || b > 7) revert E();", True),
             ("CR", "x = a - b;", "//x = a - b;", False), ("CR", "revert E();", "//revert E();", True),
             ("CR", "uint256 public held;", "//uint256 public held;", True), ("RR", "nonReentrant", "revert()", True),
             ("RR", "x = a - b;", "revert();", False), ("RR", "uint256 d = a;", "revert();", True),
             ("CR", "uint256 d = a;", "//uint256 d = a;", True)]
    for op, old, new, broken in cases:
        m = _mutant(src, "contracts/P.sol", *at(old), new, op, "slither-mutate")
        assert _malformed(m, text) is broken, (op, old, new)
    ms, dropped = generate(SOURCES, only=["SpotPool.sol"], slither=False)
    assert not any(_malformed(m, SOURCES[m.file]) for m in ms)  # levcheck's own operators are never dropped so


def test_mutant_ids_select_exactly_the_named_mutants() -> None:
    """`--mutant ID` re-runs named survivors; an id that names no mutant (or several) is an error
    before any battery runs (no engine is touched: engine=None)."""
    from levcheck.errors import LevcheckError
    from levcheck.mutate.run import run_mutation

    for bad, why in (("zzzz", "--mutant zzzz: no generated mutant"), ("", "--mutant : \\d+ generated mutant")):
        with pytest.raises(LevcheckError, match=why):
            run_mutation(None, slither=False, ids=[bad])


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
