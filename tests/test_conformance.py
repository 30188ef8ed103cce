"""The constructors refuse exactly what `specs.params.validate()` refuses, at every limit."""
from __future__ import annotations

import re
from pathlib import Path

from levcheck.chain.build import build_contracts
from levcheck.chain.conformance import constructor_conformance
from levcheck.specs.params import BUNDLED, constructor_boundaries


def test_every_constructor_limit_is_deployed_or_refused_as_the_spec_says() -> None:
    conf = constructor_conformance(build_contracts())
    assert [c.describe() for c in conf if not c.ok] == []
    # both sides of every limit, and every constructor error of the contracts' parameter checks
    assert {c.expected for c in conf} == {None, "InvalidFee", "InvalidFloor", "InvalidBand", "InvalidRipcord",
                                          "InvalidSlippageCap", "InvalidFallback", "InvalidKeeperFee"}
    assert sum(c.expected is None for c in conf) == sum(c.expected is not None for c in conf)


def test_the_boundaries_are_on_and_one_past_each_limit() -> None:
    names = [b.name for b in constructor_boundaries()]
    assert "series0.slippage_cap_bps=1000" in names and "series0.slippage_cap_bps=1001" in names
    assert all(b.params.series[1:] == BUNDLED.series[1:] for b in constructor_boundaries())


def test_a_guard_off_by_one_at_its_limit_fires_the_case_at_that_limit() -> None:
    src = (Path(__file__).resolve().parent.parent / "contracts" / "LeveragedToken.sol").read_text()
    broken, n = re.subn(r"slippageCapBps_ > MAX_SLIPPAGE_CAP_BPS", "slippageCapBps_ >= MAX_SLIPPAGE_CAP_BPS", src)
    assert n == 1
    conf = constructor_conformance(build_contracts(extra_sources={"contracts/LeveragedToken.sol": broken}))
    assert [c.describe() for c in conf if not c.ok] == [
        "series0.slippage_cap_bps=1000: the spec says it deploys; the contracts reverted InvalidSlippageCap in LeveragedToken.constructor"]
