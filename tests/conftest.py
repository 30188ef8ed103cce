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
