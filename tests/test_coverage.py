"""Contract coverage (levcheck.chain.instrument, levcheck.chain.coverage, levcheck.report.coverage):
the instrumented sources keep every line where it was, a tiny replay marks exactly the lines it ran
(reverted transactions included, a Panic counted apart), and an lcov.info the real LCOV reads."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from levcheck.chain.build import build_contracts
from levcheck.chain.coverage import Coverage, InstrumentedBuild, replay_coverage
from levcheck.chain.instrument import HUB_UNIT, LIST_FUNCTION, Probes, instrument_sources
from levcheck.report.coverage import blind_spots, markdown, summary_info, write_html, write_lcov
from levcheck.specs.scenario import DEFAULT_ACTORS, DEFAULT_FUNDING, Step


@pytest.fixture(scope="module")
def build() -> InstrumentedBuild:
    return InstrumentedBuild.of(build_contracts())


def test_probes_sit_on_the_line_they_count_and_the_abi_is_unchanged(build):
    """A statement's probe is inserted on the statement's own line (no new lines): line numbers are
    the original ones. (An arm's probe counts for the `if`'s line, a function's for its first line.)
    The instrumented contracts keep every function and event (only view/pure are gone); each deployed
    contract gains the re-run list's reader."""
    original = build_contracts()
    for path, text in original.sources.items():
        inst = build.artifacts.sources[path]
        assert inst.count("\n") == text.count("\n"), path
        lines = inst.splitlines()
        for p in build.probes.by_id.values():
            if p.path == path:
                assert f"sstore({p.id}," in (lines[p.line - 1] if p.kind == "line" else inst), (path, p)
    for name, art in original.items():
        sig = lambda a: sorted((e["type"], e.get("name", ""), tuple(i["type"] for i in e.get("inputs", []))) for e in a.abi
                               if e.get("name") != LIST_FUNCTION.removesuffix("()"))
        assert sig(build.artifacts[name]) == sig(art), name
        deployed = name in ("TestToken", "PriceOracle", "SpotPool", "ReservePool", "LeveragedToken")  # not libraries, bases
        assert any(e.get("name") == LIST_FUNCTION.removesuffix("()") for e in build.artifacts[name].abi) == deployed, name
    assert HUB_UNIT in build.artifacts.sources
    # a bytecode carries the probes of its own source and of the library code inlined into it
    assert {build.probes.by_id[i].path for i in build.compiled["PriceOracle"]} == {"contracts/PriceOracle.sol"}
    assert "contracts/FixedPointMath.sol" in {build.probes.by_id[i].path for i in build.compiled["LeveragedToken"]}


def test_an_if_without_else_gets_an_empty_else_and_single_statements_are_wrapped():
    """Every shape the rewriter meets: a single-statement arm (wrapped in braces), an `else if` chain,
    an `if` without `else` inside another one, and a loop body without braces."""
    src = ("pragma solidity 0.8.28;\ncontract C {\n    uint256 x;\n    function f(uint256 a) external view returns (uint256) {\n"
           "        if (a == 1) return 1;\n        else if (a == 2) { return 2; }\n        if (a > 3) if (a > 4) return 4;\n"
           "        for (uint256 i = 0; i < a; i++) a -= 1;\n        return x;\n    }\n}\n")
    from levcheck.chain.build import compile_output

    _, out, _ = compile_output({"C.sol": src})
    text, probes = instrument_sources({"C.sol": src}, {"C.sol": out["sources"]["C.sol"]["ast"]})
    assert text["C.sol"].count("\n") == src.count("\n") and " view " not in text["C.sol"]
    compile_output(text)  # it compiles (a CompileError otherwise)
    kinds = sorted(p.kind for p in probes.by_id.values())
    assert kinds.count("true") == kinds.count("false") == 4 and kinds.count("function") == 1


def test_a_dump_decodes_and_anything_else_is_not_one():
    from levcheck.chain.instrument import MAGIC

    data = MAGIC + (4).to_bytes(32, "big") + b"".join(x.to_bytes(32, "big") for x in (7, 9, 7, 7))  # the ids hit, in order
    assert Probes.decode(data) == {7: 3, 9: 1}
    assert Probes.decode(bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")) is None  # Panic(0x11)


def _line(source: str, text: str) -> int:
    """The line of the one occurrence of `text` in `source` (lines found by content, not hard-coded)."""
    hits = [i for i, ln in enumerate(source.splitlines(), start=1) if text in ln]
    assert len(hits) == 1, f"{text!r} occurs on lines {hits}"
    return hits[0]


@pytest.fixture(scope="module")
def tiny() -> Coverage:
    """One example of one step: alice pushes a price (refused: NotKeeper)."""
    from levcheck.specs.params import BUNDLED

    artifacts = build_contracts()
    return replay_coverage([(BUNDLED, [[Step.of("set_price", "alice", price=10**18)]])], artifacts, DEFAULT_ACTORS, dict(DEFAULT_FUNDING), 32)


def test_a_tiny_example_marks_exactly_the_lines_it_ran(tiny):
    path = "contracts/PriceOracle.sol"
    src = tiny.index.text[path]
    lines = tiny.lines[path]
    guard = _line(src, "if (msg.sender != keeper) revert NotKeeper();")
    # the deployment's setPrice ran the whole function once; alice's push stopped at the guard
    assert lines[guard] == 2
    assert lines[_line(src, "if (newPrice == 0) revert ZeroPrice();")] == 1
    assert lines[_line(src, "latestPrice = newPrice;")] == 1
    assert lines[_line(src, "emit PriceUpdated(newPrice, block.timestamp);")] == 1
    # comments, signatures and braces are not instrumented
    assert _line(src, "/// @notice Push a new mark price.") not in lines
    assert _line(src, "function setPrice(uint256 newPrice) external {") not in lines
    # the guard's decision went both ways (deployer passes, alice is refused); the zero-price one one way
    (guard_pair,) = [pair for (ln, _, _), pair in tiny.branches[path].items() if ln == guard]
    assert guard_pair[0] > 0 and guard_pair[1] > 0
    (zero_pair,) = [pair for (ln, _, _), pair in tiny.branches[path].items() if ln == guard + 1]
    assert sorted(zero_pair)[0] == 0 and sorted(zero_pair)[1] == 1
    fns = {f.name: n for f, n in tiny.functions.items()}
    assert fns["PriceOracle.setPrice"] == 2 and fns["PriceOracle.constructor"] == 1


def test_a_revert_deep_in_a_call_counts_what_ran_and_a_panic_is_counted_apart():
    """A mint whose QUOTE pull fails in the token (InsufficientBalance, two contracts deep) reverts
    the whole transaction, probes included: its re-run hands them back, so the series' `mint` and the
    token's guard count it. A faucet past 2**256-1 reverts Panic(0x11) in the compiler's own check:
    nothing of it can be attributed, and it is counted apart."""
    from levcheck.specs.params import BUNDLED

    def replay(*steps: Step) -> Coverage:
        return replay_coverage([(BUNDLED, [[Step.of("warp", seconds=1), *steps]])], build_contracts(), DEFAULT_ACTORS,
                               dict(DEFAULT_FUNDING), 32)

    base = replay()
    deep = replay(Step.of("mint", "alice", series="series0", quote_in=10**40))
    fns = lambda c: {f.name: n for f, n in c.functions.items()}
    assert fns(deep)["LeveragedToken.mint"] - fns(base)["LeveragedToken.mint"] == 1
    src = deep.index.text["contracts/ERC20Base.sol"]
    guard = src.splitlines().index(next(ln for ln in src.splitlines() if "revert InsufficientBalance(bal, amount)" in ln)) + 1
    arm = lambda c: next(pair for (line, _, _), pair in c.branches["contracts/ERC20Base.sol"].items() if line == guard)
    assert arm(deep)[0] - arm(base)[0] == 1  # the guard's true arm: the revert
    assert deep.reruns > base.reruns and deep.unattributed == base.unattributed
    panic = replay(Step.of("faucet", "alice", token="QUOTE", amount=2**256 - 1))
    assert panic.unattributed - base.unattributed == 1
    assert "reverted in a check the compiler adds" in "\n".join(markdown(summary_info(panic)))


def test_an_unreached_function_is_missed_line_by_line(tiny):
    path = "contracts/LeveragedToken.sol"
    (ripcord,) = [f for f in tiny.functions if f.name == "LeveragedToken.ripcord"]
    assert tiny.functions[ripcord] == 0
    body = {ln: n for ln, n in tiny.lines[path].items() if ripcord.line <= ln <= ripcord.end_line}
    assert body and set(body.values()) == {0}
    spots = {s["function"]: s for s in blind_spots(tiny)}
    assert spots["LeveragedToken.ripcord"]["missed_lines"] == sorted(body)
    assert "LeveragedToken.ripcord" in "\n".join(markdown(summary_info(tiny)))


def test_lcov_info_reads_in_the_real_lcov_and_genhtml(tiny, tmp_path):
    if shutil.which("lcov") is None or shutil.which("genhtml") is None:
        pytest.fail("lcov is not installed: run ./levcheck.sh setup (as root it installs Debian's lcov)")
    info = tmp_path / "lcov.info"
    write_lcov(tiny, info)
    out = subprocess.run(["lcov", "--summary", str(info), "--rc", "lcov_branch_coverage=1"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    totals = tiny.totals()
    for kind, word in (("lines", "lines"), ("functions", "functions"), ("branches", "branches")):
        m = re.search(rf"{kind}\.+: [\d.]+% \((\d+) of (\d+) {word}\)", text)
        assert m, text
        assert (int(m.group(1)), int(m.group(2))) == totals[kind]
    html = subprocess.run(["genhtml", "-q", "--branch-coverage", "-o", str(tmp_path / "html"), str(info)], capture_output=True, text=True)
    assert html.returncode == 0, html.stderr
    assert (tmp_path / "html" / "index.html").is_file()


def test_the_html_page_colours_each_instrumented_line(tiny, tmp_path):
    page = tmp_path / "coverage.html"
    write_html(tiny, page)
    text = page.read_text()
    assert "<script" not in text and "src=" not in text and "<link" not in text  # self-contained: nothing to fetch
    assert "contracts/PriceOracle.sol" in text
    assert text.count("<tr class='miss'>") == sum(1 for ls in tiny.lines.values() for n in ls.values() if n == 0)


def test_a_campaign_that_recorded_nothing_is_an_error():
    from levcheck.errors import LevcheckError
    from levcheck.specs.params import BUNDLED

    with pytest.raises(LevcheckError, match="recorded no executed example"):
        replay_coverage([(BUNDLED, [])], build_contracts(), DEFAULT_ACTORS, dict(DEFAULT_FUNDING), 32)


def test_a_recorded_campaign_replays_every_step_it_ran(tmp_path):
    """record_examples keeps each generated example's steps; the replay runs all of them."""
    from levcheck.fuzz.api import FuzzConfig, run_fuzz
    from levcheck.report.coverage import campaign_coverage

    cfg = FuzzConfig(seed=11, examples=2, steps_per_example=2, out_dir=None, record_examples=True)
    res = run_fuzz(cfg)
    assert len(res.executed) == res.examples == 2
    assert sum(len(e) for e in res.executed) == res.steps
    assert run_fuzz(FuzzConfig(seed=11, examples=2, steps_per_example=2, out_dir=None)).executed == []  # opt-in
    cov = campaign_coverage([(cfg.params, res.executed)], build_contracts(), tmp_path)
    assert (cov.examples, cov.examples_total, cov.steps) == (2, 2, res.steps)
    assert (tmp_path / "lcov.info").read_text().count("end_of_record") >= 5
    assert (tmp_path / "coverage.html").is_file()


def test_fuzz_coverage_flag_writes_the_reports(tmp_path, capsys):
    from levcheck.cli import main

    out = tmp_path / "cov"
    assert main(["fuzz", "--seed", "2", "--examples", "1", "--steps", "1", "--no-progress", "--out", str(tmp_path / "f"),
                 "--coverage", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"contract coverage: lines [\d.]+% \(\d+/\d+\), branches", printed)
    assert (out / "lcov.info").is_file() and (out / "coverage.html").is_file()


def test_fuzz_coverage_refuses_shards(capsys):
    from levcheck.cli import main

    assert main(["fuzz", "--seed", "2", "--examples", "2", "--workers", "2", "--coverage", "x"]) == 2
    assert "levcheck fuzz: error: --coverage replays one campaign" in capsys.readouterr().err


def test_check_writes_coverage_into_its_run_folder_and_summary(tmp_path, monkeypatch):
    """`check`'s fuzz stage records its examples and replays them: lcov.info and coverage.html in the
    run folder, the figures in summary.json, the figures and the blind spots in summary.md."""
    import json

    from levcheck.cli import main
    from levcheck.fuzz import engine
    from levcheck.specs.params import BUNDLED

    monkeypatch.setattr(engine, "default_workers", lambda: 1)  # one set, in this process
    params = tmp_path / "params.json"
    params.write_text(json.dumps(BUNDLED.to_dict()))
    cfg = tmp_path / "levcheck.toml"
    cfg.write_text(f'fuzz_profile = "dev"\nfuzz_examples = 1\nparams = "{params}"\n')
    out = tmp_path / "out"
    assert main(["check", "--config", str(cfg), "--only", "fuzz", "--seed", "4", "--out", str(out)]) == 0
    run = out / "latest"
    assert (run / "lcov.info").is_file() and (run / "coverage.html").is_file()
    fuzz = next(s for s in json.loads((run / "summary.json").read_text())["stages"] if s["name"] == "fuzz")
    cov = fuzz["info"]["contract coverage"]
    assert 0 < cov["lines"]["percent"] < 100 and cov["replayed"] == {**cov["replayed"], "examples": 1, "of": 1}
    md = (run / "summary.md").read_text()
    assert "## Contract coverage (fuzz)" in md and f"lines **{cov['lines']['percent']}%**" in md
    first = cov["uncovered"][0]
    assert f"| {first['function']} | `{first['file']}:{first['line']}` |" in md


def test_check_skips_coverage_rather_than_let_it_cut_the_stage(tmp_path, monkeypatch):
    """Coverage is a figure: when the budget left is less than the replay needs (about what the
    campaign took, plus a margin), the stage passes and says coverage was not measured, and why."""
    import json

    from levcheck import checkrun
    from levcheck.cli import main
    from levcheck.fuzz import engine
    from levcheck.specs.params import BUNDLED

    monkeypatch.setattr(engine, "default_workers", lambda: 1)
    monkeypatch.setattr(checkrun, "COVERAGE_MARGIN_SECONDS", 10**6)  # more than any budget leaves
    params = tmp_path / "params.json"
    params.write_text(json.dumps(BUNDLED.to_dict()))
    cfg = tmp_path / "levcheck.toml"
    cfg.write_text(f'fuzz_profile = "dev"\nfuzz_examples = 1\nparams = "{params}"\n')
    assert main(["check", "--config", str(cfg), "--only", "fuzz", "--seed", "4", "--out", str(tmp_path / "out")]) == 0
    run = tmp_path / "out" / "latest"
    fuzz = next(s for s in json.loads((run / "summary.json").read_text())["stages"] if s["name"] == "fuzz")
    assert fuzz["status"] == "pass" and "raise --budget" in fuzz["info"]["contract coverage"]["not measured"]
    assert not (run / "lcov.info").exists()
