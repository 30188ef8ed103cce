import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The project's solc must shadow solc-select's `solc` from the venv for anything that looks it up on PATH.
os.environ["PATH"] = f"{ROOT / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def counter_artifacts():
    from levcheck.chain.build import build_contracts

    return build_contracts(FIXTURES / "evm")


@pytest.fixture(scope="session")
def broken_contracts(tmp_path_factory):
    """A copy of contracts/ with the mint fee sent to the pool instead of the reserve (a broken variant
    every campaign finds): for the tests of what check and its reports say about a failure."""
    import shutil

    from levcheck.fuzz.mutants import by_name

    folder = tmp_path_factory.mktemp("broken") / "contracts"
    shutil.copytree(ROOT / "contracts", folder)
    mutant = by_name("mint-fee-to-pool")
    (folder / Path(mutant.path).name).write_text(mutant.sources()[mutant.path])
    return folder
