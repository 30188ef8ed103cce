"""Issue 12: the economics of the spec itself (SYSTEM.md 5). The regression scenarios of findings 1
and 2 and the invariant each one violates on the protocol that had the hole; the econ invariants fire
on a constructed outcome and stay silent on the correct one."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from levcheck.chain.build import build_contracts
from levcheck.fuzz.api import replay_file
from levcheck.fuzz.mutants import KEEPER_PAYMENT_REVERTS, by_name
from levcheck.specs import procedures
from levcheck.specs.arith import INT, WAD
from levcheck.specs.invariants import Outcome, by_id

SCENARIOS = Path(__file__).parent / "scenarios"
# scenario -> (the hole that reopens it, the step that then fails, the invariant it violates). The
# holes are the old protocol's rules as patches of today's contracts (fuzz/mutants.py); the model keeps
# the fixed rule, so the EVM side diverges there and its invariant check names the hole.
# scenario -> (the hole reopened, the failing step, the invariant written for it, every invariant that
# fires there on the EVM side: the profit oracle and the trigger's liveness judge see the same holes)
FINDINGS = {
    "keeper-farming-dust-long": ("keeper-paid-for-nothing", 1, "econ.keeper_entitled", {"econ.keeper_entitled", "econ.profit"}),
    "keeper-farming-dust-short": ("keeper-paid-for-nothing", 1, "econ.keeper_entitled", {"econ.keeper_entitled", "econ.profit"}),
    "keeper-farming-redeem-to-dust": ("keeper-paid-for-nothing", 2, "econ.keeper_entitled", {"econ.keeper_entitled"}),
    "keeper-blocks-delever-short": ("keeper-payment-reverts", 4, "econ.rebalance_live", {"econ.rebalance_live", "band.trigger_complete"}),
    "keeper-blocks-relever-short": ("keeper-payment-reverts", 4, "econ.rebalance_live", {"econ.rebalance_live", "band.trigger_complete"}),
}
_HOLES = {"keeper-paid-for-nothing": by_name("keeper-paid-for-nothing"), "keeper-payment-reverts": KEEPER_PAYMENT_REVERTS}


@pytest.fixture(scope="module")
def hole_artifacts():
    return {name: build_contracts(extra_sources=m.sources()) for name, m in _HOLES.items()}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_finding_scenario_passes_on_the_fixed_protocol(name: str) -> None:
    r = replay_file(SCENARIOS / f"{name}.json")
    assert r.status == "passed", r.render()


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_finding_scenario_fails_with_its_invariant_when_the_hole_is_reopened(name: str, hole_artifacts) -> None:
    hole, step, invariant, every = FINDINGS[name]
    r = replay_file(SCENARIOS / f"{name}.json", artifacts=hole_artifacts[hole])
    assert r.failed and r.first_failure == step, r.render()
    assert ("EVM", invariant) in [(side, v.invariant) for side, v in r.steps[step].found], r.render()
    assert {(side, v.invariant) for side, v in r.steps[step].found} == {("EVM", i) for i in every}, r.render()


# ---------------------------------------------------------------------------------------------- the invariants


def _series0_at(quote_in: int, price_pct: int):
    """A model state with `quote_in` minted into the 3x long and the oracle moved to price_pct % (the
    pool left alone): (state, price)."""
    from levcheck.specs.model import Model, model_state
    from levcheck.specs.params import BUNDLED

    m = Model.deploy(BUNDLED, 1_000)
    t = m.next_time
    m.token_mint("alice", "QUOTE", "alice", 10**30, t)
    m.approve("alice", "QUOTE", "series0", 2**256 - 1, t)
    m.mint("alice", "series0", quote_in, 0, t)
    price = BUNDLED.initial_price * price_pct // 100
    m.set_price("oracle-keeper", price, t)
    return model_state(m, t, ("alice",)), price


def _refused(error: str, *args: int) -> Outcome:
    return Outcome("rebalance", "keeper1", {"series": "series0"}, reverted=error, revert_args=args)


def test_rebalance_live_fires_on_a_refusal_the_rule_does_not_allow() -> None:
    st, _ = _series0_at(1_000 * WAD, 93)  # 3x long after a 7 % fall: ~3.5x, a real delevering trade
    live = by_id("econ.rebalance_live")
    (v,) = live.check(st, st, _refused("NothingToRebalance"))
    assert v.invariant == "econ.rebalance_live" and v.series == "series0" and v.values["amount"] > 0
    (v,) = live.check(st, st, _refused("InsufficientLiquidity", 5 * WAD, 3 * WAD))  # delevering borrows nothing
    assert v.invariant == "econ.rebalance_live" and (v.values["amount"], v.values["idle"]) == (5 * WAD, 3 * WAD)
    # silent: the pool's own InsufficientLiquidity() (no arguments), and a refusal the rule allows
    assert live.check(st, st, _refused("InsufficientLiquidity")) == []
    dust, _ = _series0_at(1_000, 100)  # the dust first mint of finding 1: its trade is skipped
    assert live.check(dust, dust, _refused("NothingToRebalance")) == []


def test_keeper_entitled_fires_above_one_percent_of_the_notional_and_is_silent_at_it() -> None:
    st, price = _series0_at(1_000 * WAD, 93)
    base_amount = 10**16  # 0.01 BASE: notional 18.6 QUOTE, entitled to 0.186 QUOTE
    entitled = procedures.keeper_fee_entitled(INT, 5 * WAD, procedures.trade_notional(INT, base_amount, price))
    ev = (("series0", "Rebalanced", {"baseAmount": base_amount}),)
    done = Outcome("rebalance", "keeper1", {"series": "series0"}, events=ev)
    inv = by_id("econ.keeper_entitled")
    assert inv.check(dataclasses.replace(st, keeper_paid=entitled), st, done) == []
    (v,) = inv.check(dataclasses.replace(st, keeper_paid=entitled + 1), st, done)
    assert v.invariant == "econ.keeper_entitled" and (v.values["paid"], v.values["entitled"]) == (entitled + 1, entitled)
    ripcord = dataclasses.replace(done, action="ripcord")  # a ripcord is entitled to nothing
    (v,) = inv.check(dataclasses.replace(st, keeper_paid=1), st, ripcord)
    assert v.values["entitled"] == 0
