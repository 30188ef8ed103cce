"""`levcheck export --foundry` and check's reproducers, run for real with forge (npm `@foundry-rs/forge-linux-amd64`).

Two temporary Foundry projects (forge-std from node_modules, the ds-test stand-in of tests/fixtures/foundry):
one holds the broken variant's contracts (the conftest fixture: the mint fee sent to the pool), one the
bundled ones. The reproducer `check` wrote for the variant's counterexample must FAIL forge on the first
with the differential's message, and PASS on the second; the tour of every action compiles and passes;
a spec-level counterexample (the model itself breaks econ.profit) fails with the invariant's id.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from levcheck.chain.build import ROOT, SOLC, build_contracts
from levcheck.cli import main
from levcheck.report.foundry import contract_name, export_foundry
from levcheck.specs.scenario import ACTIONS, load

FORGE = ROOT / "node_modules" / ".bin" / "forge"
FORGE_STD = ROOT / "node_modules" / "forge-std"
DS_TEST = Path(__file__).parent / "fixtures" / "foundry" / "ds-test" / "src"
SCENARIOS = Path(__file__).parent / "scenarios"


def forge_project(root: Path, contracts: Path) -> Path:
    """A Foundry project: contracts/ (copied), test/, and the foundry.toml levcheck's toolchain needs
    (offline, the project's solc-js wrapper, paris)."""
    if not FORGE.is_file() or not (FORGE_STD / "Test.sol").is_file():
        pytest.fail(f"forge or forge-std is not installed in {ROOT / 'node_modules'}: run `npm ci` there (./levcheck.sh setup)")
    shutil.copytree(contracts, root / "contracts")
    (root / "test").mkdir()
    (root / "foundry.toml").write_text(
        "[profile.default]\n"
        'src = "contracts"\ntest = "test"\nout = "out"\nlibs = []\n'
        f'offline = true\nauto_detect_solc = false\nsolc = "{SOLC}"\nevm_version = "paris"\n'
        f'remappings = ["forge-std/={FORGE_STD}/", "ds-test/={DS_TEST}/"]\n'
    )
    return root


def forge_test(project: Path) -> dict[str, str]:
    """`forge test` once: {contract name: its test's verdict line}."""
    run = subprocess.run([str(FORGE), "test", "--root", str(project)], capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    verdicts = {}
    for m in re.finditer(r"Ran \d+ tests? for test/[^:]+:(\w+)\n(\[(?:PASS|FAIL)[^\n]*)", out):
        verdicts[m.group(1)] = m.group(2)
    assert verdicts, out[-3000:]
    return verdicts


@pytest.fixture(scope="module")
def check_repro(broken_contracts, tmp_path_factory) -> Path:
    """`levcheck check` on the broken variant: it writes the counterexample and a .t.sol beside it."""
    out = tmp_path_factory.mktemp("check")
    code = main(["check", "--contracts", str(broken_contracts), "--out", str(out), "--only", "build", "--only", "fuzz",
                 "--seed", "3", "--fuzz-seconds", "60", "--budget", "200", "--no-coverage"])
    assert code == 1
    scenarios = sorted((out / "latest" / "counterexamples").glob("*.json"))
    assert scenarios, "check wrote no counterexample"
    sol = scenarios[0].with_suffix(".t.sol")
    assert sol.is_file(), f"check wrote no Foundry reproducer beside {scenarios[0].name}"
    return sol


def test_check_writes_a_reproducer_beside_its_counterexample(check_repro: Path, broken_contracts: Path) -> None:
    text = check_repro.read_text()
    stem = check_repro.name.removesuffix(".t.sol")
    assert 'import {Test} from "forge-std/Test.sol";' in text and f"contract {contract_name(stem)} is Test" in text
    assert contract_name("failure-seed3") == "LevcheckRepro_failure_seed3"
    scenario = check_repro.name.removesuffix(".t.sol") + ".json"
    assert re.search(rf"levcheck replay \S+/counterexamples/{scenario} --contracts {broken_contracts}\n", text)
    assert re.search(r"//   origin: .*seed[= ]3\b", text), text[:600]  # the campaign's seed, however check words it
    # the failing step is checked against the model's outcome, then the model's state, diverging values first
    assert "levcheck's replay stops here" in text and "accounting.differential" in text
    first = next(line for line in text.splitlines() if line.strip().startswith("assertEq(") and "after step" in line)
    assert "reserve.idleQuote()" in first or "reserve.feesReceived()" in first or "quote.balanceOf" in first, first


@pytest.mark.slow  # two forge runs (~20 s each: solc-js compiles the contracts and forge-std)
def test_reproducers_fail_on_the_broken_variant_and_pass_on_the_fixed_contracts(check_repro, broken_contracts, tmp_path):
    broken = forge_project(tmp_path / "broken", broken_contracts)
    fixed = forge_project(tmp_path / "fixed", ROOT / "contracts")
    for project in (broken, fixed):
        shutil.copy(check_repro, project / "test" / check_repro.name)
    # (b) every action of the scenario format, exported from the bundled contracts, where it replays clean
    tour = load(SCENARIOS / "tour-every-action.json")
    assert {s.action for s in tour.steps} == set(ACTIONS)  # a new action joins the tour
    exp = export_foundry(tour, build_contracts(), fixed / "test", "tour-every-action", str(SCENARIOS / "tour-every-action.json"))
    assert exp.result.status == "passed"
    text = exp.path.read_text()
    assert "vm.expectRevert(abi.encodeWithSignature(\"StalePrice(uint256,uint256)\"" in text  # the model's reverts
    assert "// the model's state at the end" in text
    # approve / transferFrom, the allowance used up then exceeded by one wei, and every compared view
    assert "series0.approve(CAROL, 5e19);" in text and "series0.transferFrom(BOB, CAROL, 5e19);" in text
    assert 'vm.expectRevert(abi.encodeWithSignature("InsufficientAllowance(uint256,uint256)", uint256(0), uint256(1)));' in text
    for view in ("pool.spotPrice()", "reserve.seriesCount()", "series0.value()", "series1.exposure()"):
        assert f"{view};" in text or f"assertEq({view}," in text, view

    name = contract_name(check_repro.name.removesuffix(".t.sol"))
    on_broken = forge_test(broken)
    assert on_broken[name].startswith("[FAIL: accounting.differential: "), on_broken
    assert re.search(r"\(contracts != model\): \d+ != \d+\]", on_broken[name]), on_broken[name]
    on_fixed = forge_test(fixed)
    assert on_fixed[name].startswith("[PASS]"), on_fixed
    assert on_fixed[exp.contract].startswith("[PASS]"), on_fixed


def test_a_spec_level_counterexample_ends_in_the_invariants_condition(tmp_path) -> None:
    """The model itself breaks econ.profit (a self-sandwich on unsafe parameters, from prove): the
    contracts agree with the model, so the test asserts the invariant's condition on levcheck's numbers."""
    from levcheck.proofs import econ_sandwich as E
    from levcheck.proofs.solve import check
    from levcheck.specs.params import load_params

    params = load_params(Path(__file__).parent / "fixtures" / "params" / "self-sandwich-fee5.toml", economic=False)
    ob = E.NoSelfSandwich(params.series[0], params, True)
    ob.params = params
    res = check(ob, scenario_dir=tmp_path)
    exp = export_foundry(load(res.scenario_file), build_contracts(), tmp_path / "test", "sandwich", res.scenario_file)
    assert exp.result.status == "violated"
    text = exp.path.read_text()
    assert re.search(r"int256 allowed = \d+; int256 gain = \d+;\n\s+assertTrue\(gain <= allowed, \"econ\.profit: step \d+: keeper1", text)


def test_export_command_and_its_errors(tmp_path, capsys) -> None:
    scenario = SCENARIOS / "restoration-dust-series.json"
    assert main(["export", str(scenario), "--foundry", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'restoration-dust-series.t.sol'}" in out and "LevcheckRepro_restoration_dust_series" in out
    assert "// the model's state at the end" in (tmp_path / "restoration-dust-series.t.sol").read_text()
    assert main(["export", str(scenario), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "levcheck export: error: say what to export to: --foundry (a forge-std Test) is the one format so far"
    assert main(["export", str(tmp_path / "missing.json"), "--foundry"]) == 2
    assert "levcheck export: error: scenario file" in capsys.readouterr().err
