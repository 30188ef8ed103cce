"""`levcheck prove` and `levcheck tables` end to end: exit codes, reports, SMT dumps, scenarios."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from levcheck.cli import main
from levcheck.proofs import tables as T
from levcheck.proofs.core import Status
from levcheck.proofs.registry import run_proofs
from levcheck.specs.params import BUNDLED

UNSAFE = """
# a band of 2.95x-3.05x is too narrow for a 10% slippage cap
[[series]]
is_long = true
min_lev = 2_950_000_000_000_000_000
max_lev = 3_050_000_000_000_000_000
slippage_cap_bps = 1000
"""


@pytest.mark.slow
def test_bundled_parameters_prove_everything():
    results = run_proofs(BUNDLED)
    assert [r.id for r in results if r.status is not Status.PROVED] == []
    assert all(r.seconds > 0 and r.encoding for r in results)


def test_malformed_parameter_files_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("target_lev = 3\n")
    assert main(["prove", "--params", str(bad)]) == 2
    assert "unknown market parameter(s) ['target_lev']" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["prove", "--params", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    inverted = tmp_path / "inverted.toml"
    inverted.write_text("[[series]]\nis_long = true\nmin_lev = 3_600_000_000_000_000_000\n")
    assert main(["prove", "--params", str(inverted)]) == 2
    assert "InvalidBand" in capsys.readouterr().err


def test_unsafe_band_gives_a_concrete_counterexample_and_a_scenario_that_replays(tmp_path, capsys):
    params = tmp_path / "unsafe.toml"
    params.write_text(UNSAFE)
    out = tmp_path / "out"
    code = main(["prove", "--params", str(params), "--only", "band.restore.long.", "--out", str(out), "--json"])
    assert code == 1
    report = {r["id"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    up, down = report["band.restore.long.up"], report["band.restore.long.down"]
    for r in (up, down):
        assert r["status"] == "counterexample" and "L1 in band" in r["failed_goals"]
        assert all(Fraction(v).denominator == 1 for v in r["values"].values())  # concrete integers
    # raising exposure: a deployable scenario that the fuzzer's own band.restoration flags on the model
    assert up["scenario_file"].endswith(".scenario.json")
    from levcheck.specs import scenario as S
    from levcheck.proofs.scenario import _restoration_verdict

    sc = S.load(up["scenario_file"])
    assert sc.origin == "z3 band.restore.long.up" and sc.steps[-1].action == "rebalance"
    lev, violations = _restoration_verdict(sc.params, sc.steps, "series0")
    assert violations and not (sc.params.series[0].min_lev <= lev <= sc.params.series[0].max_lev)
    # lowering exposure: the fuzzer's invariant exempts starting leverages beyond its own premise, so
    # the counterexample is a JSON file that replays on the obligation's formulas
    raw = json.loads(open(down["scenario_file"]).read())
    assert raw["format"] == "levcheck-proof-counterexample" and raw["params"]["series"][0]["max_lev"] == 305 * 10**16


def test_dump_smt_writes_named_queries(tmp_path, capsys):
    assert main(["prove", "--only", "decay", "--dump-smt", str(tmp_path)]) == 0
    text = (tmp_path / "decay.round_trip.long.real.smt2").read_text()
    assert ":named |negated-goal|" in text and ":named |premise:r>-1|" in text and "(check-sat)" in text
    import z3

    s = z3.Solver()
    s.from_string(text)
    assert s.check() == z3.unsat  # an outside reader of the file reaches the same verdict
    assert "2 obligation(s)" in capsys.readouterr().out


def test_list_and_unknown_exit_codes(capsys):
    assert main(["prove", "--list", "--only", "floor.flows.borrow"]) == 0
    assert "floor.flows.borrow.long" in capsys.readouterr().out
    from levcheck.commands.prove import exit_code
    from levcheck.proofs.core import ObligationResult

    def res(status):
        return ObligationResult("x", "band", "s", status, 0.1, "real")

    assert exit_code([res(Status.PROVED), res(Status.UNKNOWN)]) == 3
    assert exit_code([res(Status.UNKNOWN), res(Status.COUNTEREXAMPLE)]) == 1
    assert exit_code([res(Status.PROVED)]) == 0


def test_band_exit_table_matches_the_corrections_and_ftx(capsys):
    rows = {(r.label, float(r.edge)): r for r in T.exit_rows(BUNDLED)}
    assert rows[("3x Long", 2.5)].move == Fraction(1, 9)  # +11.1% takes a 3x long below 2.5x
    assert rows[("3x Long", 3.5)].move == Fraction(-1, 15)  # -6.67% above 3.5x
    assert rows[("3x Short", 3.5)].move == Fraction(1, 27)  # +3.70%
    assert rows[("3x Short", 2.5)].move == Fraction(-1, 21)  # -4.76%
    for label in ("FTX 3x Long", "FTX 3x Short"):
        r = rows[(label, 4.0)]
        assert abs(r.move - r.reference) <= Fraction(5, 10_000)
    liq = {(r.label, r.where): r.move for r in T.liquidation_rows(BUNDLED)}
    assert liq[("3x Long", "band top")] == Fraction(-2, 7) and liq[("3x Short", "ripcord")] == Fraction(2, 9)
    assert main(["tables", "--no-sim"]) == 0
    assert "| 3x Long | 3x | 3.5x (above) | -6.67% |" in capsys.readouterr().out
