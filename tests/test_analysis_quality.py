"""Quality: the project detectors find bugs planted in a copy of the bundled protocol (one edit each)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from levcheck.analysis import run_analysis

ROOT = Path(__file__).resolve().parent.parent
SERIES = "LeveragedToken.sol"

# name, text in contracts/LeveragedToken.sol, replacement, the detector that must catch it, function.
# Each costs one cold compile of the protocol (~5-20 s here), so three; the fixtures cover the rest.
PLANTED = [
    ("floor check dropped", "revert BelowFloor(equity, floor_);", "{}", "lev-rebalance-guards", "rebalance"),
    (
        "ripcord pays the keeper",
        "if (trigger != Trigger.Ripcord) IReservePool(reserve).payKeeper",
        "IReservePool(reserve).payKeeper",
        "lev-keeper-fee",
        "ripcord",
    ),
    (
        "silent early return",
        "emit Rebalanced(",
        "if (block.timestamp == 0) return;\n        emit Rebalanced(",
        "lev-events-emitted",
        "rebalance",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,anchor,replacement,detector,function", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_bug_is_found(tmp_path, name, anchor, replacement, detector, function):
    src = (ROOT / "contracts" / SERIES).read_text()
    if src.count(anchor) != 1:
        pytest.fail(f"the anchor {anchor!r} is no longer unique in contracts/{SERIES}: update PLANTED in {__file__}")
    for f in (ROOT / "contracts").glob("*.sol"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / SERIES).write_text(src.replace(anchor, replacement))
    result = run_analysis(tmp_path, only=[detector], triage=ROOT / "slither-triage.toml")
    hits = [f for f in result.open if f.contract == "LeveragedToken"]
    assert hits, f"{detector} missed: {name}"
    if function:
        assert function in {f.function for f in hits}
