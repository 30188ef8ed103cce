"""The build step: compiles offline through bin/solc, caches, and reports errors as file:line."""
import json
import os
import subprocess
import sys

import pytest

from levcheck.chain.build import ROOT, SOLC, build_contracts
from levcheck.cli import main
from levcheck.errors import CompileError

from .conftest import FIXTURES


def test_solc_wrapper_answers_like_native_solc():
    out = subprocess.run([str(SOLC), "--version"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "solc, the solidity compiler commandline interface"
    assert out[1].startswith("Version: 0.8.28+commit.") and out[1].endswith(".Linux.g++")


def test_solc_wrapper_standard_json_is_not_truncated():
    # A large output must come through whole on a pipe (the 64 KiB process.exit pitfall).
    src = "pragma solidity 0.8.28; contract Big {" + "".join(f"function f{i}() external pure returns (uint) {{ return {i}; }}" for i in range(300)) + "}"
    std = {"language": "Solidity", "sources": {"Big.sol": {"content": src}},
           "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}}
    proc = subprocess.run([str(SOLC), "--standard-json"], input=json.dumps(std), capture_output=True, text=True, check=True)
    assert len(proc.stdout) > 65536
    assert len(json.loads(proc.stdout)["contracts"]["Big.sol"]["Big"]["abi"]) == 300


def test_build_compiles_and_caches(tmp_path):
    (tmp_path / "Counter.sol").write_text((FIXTURES / "evm" / "Counter.sol").read_text())
    first = build_contracts(tmp_path)
    assert not first.from_cache or first["Counter"].bytecode  # may be cached by an earlier run
    second = build_contracts(tmp_path)
    assert second.from_cache
    art = second["Counter"]
    assert art.bytecode[:2] == bytes.fromhex("6080") and art.deployed_bytecode
    assert {f["name"] for f in art.abi if f["type"] == "function"} >= {"set", "x", "boom"}
    assert art.storage_layout["storage"][0]["label"] == "x"
    assert art.ast["nodeType"] == "SourceUnit"


def test_syntax_error_reports_file_and_line(tmp_path):
    (tmp_path / "Bad.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\n\ncontract Bad {\n  uint x = ;\n}\n")
    with pytest.raises(CompileError) as err:
        build_contracts(tmp_path)
    assert "Bad.sol:5: ParserError" in str(err.value)


def test_cli_build_exit_codes(tmp_path, capsys):
    (tmp_path / "Bad.sol").write_text("pragma solidity 0.8.28; contract Bad { function }")
    assert main(["build", "--contracts", str(tmp_path)]) == 2
    assert "Bad.sol:1:" in capsys.readouterr().err
    assert main(["build", "--contracts", str(tmp_path / "missing")]) == 2
    assert main(["build", "--contracts", str(FIXTURES / "evm")]) == 0


def test_missing_node_is_a_clear_error(tmp_path):
    (tmp_path / "C.sol").write_text("pragma solidity 0.8.28; contract C { uint256 public y = %d; }" % os.getpid())
    env = {k: v for k, v in os.environ.items()}
    env["PATH"] = str(tmp_path)  # no node here
    proc = subprocess.run(
        [sys.executable, "-m", "levcheck.cli", "build", "--contracts", str(tmp_path), "--no-cache"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "node was not found" in proc.stderr and "install Node.js" in proc.stderr


def test_help_lists_subcommands_and_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "build" in out and "exit codes: 0 pass; 1 counterexample or finding; 2 error" in out


def test_build_and_analyze_share_one_cache_entry(tmp_path):
    """One compile, one cache: after `build`, Slither's compile is a cache hit on the same entry."""
    from levcheck.analysis.compile import crytic_compile_for
    from levcheck.chain.build import CACHE_DIR, collect_sources, compile_output

    import uuid

    (tmp_path / "C.sol").write_text("pragma solidity 0.8.28; contract C { uint256 public z = 0x%s; }" % uuid.uuid4().hex)
    before = set(CACHE_DIR.glob("*.json")) if CACHE_DIR.is_dir() else set()
    art = build_contracts(tmp_path)
    assert not art.from_cache
    entries = set(CACHE_DIR.glob("*.json")) - before
    assert len(entries) == 1
    _, cached = crytic_compile_for(tmp_path)
    assert cached, "analyze recompiled what build had cached"
    assert set(CACHE_DIR.glob("*.json")) - before == entries
    assert compile_output(collect_sources(tmp_path))[2]


@pytest.mark.parametrize("content", ["{}", '{"sources": {}, "contracts": {}}', "{torn"])
def test_a_cache_entry_that_does_not_cover_every_source_is_recompiled(tmp_path, content):
    from levcheck.chain.build import CACHE_DIR

    import uuid

    # a source no earlier run compiled, so its cache entry is the one new file
    (tmp_path / "D.sol").write_text("pragma solidity 0.8.28; contract D { uint256 public w = 0x%s; }" % uuid.uuid4().hex)
    before = set(CACHE_DIR.glob("*.json")) if CACHE_DIR.is_dir() else set()
    assert not build_contracts(tmp_path).from_cache
    (entry,) = set(CACHE_DIR.glob("*.json")) - before
    entry.write_text(content)
    art = build_contracts(tmp_path)
    assert not art.from_cache and list(art) == ["D"]
