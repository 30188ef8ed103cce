"""Issue 12: the economics of the spec itself (SYSTEM.md 5). The regression scenarios of findings 1
and 2 and the invariant each one violates on the protocol that had the hole; the econ invariants fire
on a constructed outcome and stay silent on the correct one."""
from __future__ import annotations

from pathlib import Path

import pytest

from levcheck.fuzz.api import replay_file

SCENARIOS = Path(__file__).parent / "scenarios"
# scenario -> (the step that fails on the old protocol, the invariant it violates)
FINDINGS = {
    "keeper-farming-dust-long": (1, "econ.keeper_entitled"),
    "keeper-farming-dust-short": (1, "econ.keeper_entitled"),
    "keeper-farming-redeem-to-dust": (2, "econ.keeper_entitled"),
    "keeper-blocks-delever-short": (4, "econ.rebalance_live"),
    "keeper-blocks-relever-short": (4, "econ.rebalance_live"),
    # older scenarios whose small rebalances were paid the whole fee, more than 1 % of their notional
    "restoration-dust-series": (3, "econ.keeper_entitled"),
    "drift-long-with-net-cash": (3, "econ.keeper_entitled"),
    "restoration-from-extreme-leverage": (4, "econ.keeper_entitled"),
}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_finding_scenario_fails_on_the_old_protocol_with_its_invariant(name: str) -> None:
    step, invariant = FINDINGS[name]
    r = replay_file(SCENARIOS / f"{name}.json")
    assert r.status == "violated" and r.first_failure == step, r.render()
    assert [v.invariant for _, v in r.steps[step].found] == [invariant], r.render()
