"""Issue 12: the economic obligations (proofs/econ.py) prove on the bundled parameters and are refuted,
with a counterexample that replays, when the procedure they are about is weakened to reopen a hole."""
from __future__ import annotations

import dataclasses

import pytest

from levcheck.proofs import econ
from levcheck.proofs.core import Var
from levcheck.proofs.registry import obligations
from levcheck.specs import formulas as F
from levcheck.specs import procedures
from levcheck.specs.arith import WAD
from levcheck.specs.params import BUNDLED

from .test_proofs import proved, refuted

LONG, SHORT = BUNDLED.series
SIDES = pytest.mark.parametrize("sp", [LONG, SHORT], ids=["long", "short"])


def test_the_econ_obligations_are_registered_and_proved_on_the_bundled_set() -> None:
    keepers = ["econ.rebalance_idempotent.long", "econ.keeper_bounded_by_work.long",
               "econ.rebalance_idempotent.short", "econ.keeper_bounded_by_work.short", "econ.keeper_never_blocks"]
    econ = [ob for ob in obligations(BUNDLED) if ob.family == "econ" and not ob.id.startswith("econ.no_self_sandwich.")]
    assert [ob.id for ob in econ] == keepers  # (finding 3's obligations: tests/test_self_sandwich.py)
    for ob in econ:
        proved(ob)


def _at_one_quote_per_base(ob):
    """The obligation on the price P = 1 QUOTE/BASE only: a narrower domain, so a counterexample here is
    one of the whole claim, and a dust sale (1 wei of BASE) has an integral solution the solver finds fast."""
    every = ob.variables()
    ob.variables = lambda: [Var("P", WAD, WAD, "oracle price") if x.name == "P" else x for x in every]
    return ob


def _goals(res) -> set[str]:
    return {g.split(": ", 1)[1] for g in res.failed_goals}


@SIDES
def test_idempotence_refuted_when_the_fallback_ignores_its_interval(sp) -> None:
    """A fallback due as soon as the last rebalance happened: the same call can be repeated forever."""
    def no_interval(ar, lev, lo, hi, now, last, interval, above, fresh):  # (with_formulas replaces names, not
        return ar.and_(ar.or_(F.out_of_band(ar, lev, lo, hi), ar.ge(now, last)), above, fresh)  # their callers)

    ob = econ.RebalanceIdempotent(sp).with_formulas(rebalance_allowed=no_interval)
    res = refuted(_at_one_quote_per_base(ob))
    assert res.id == f"econ.rebalance_idempotent.{'long' if sp.is_long else 'short'}"
    assert _goals(res) == {"in band -> not triggered"}


@SIDES
def test_idempotence_refuted_when_a_skipped_sale_reports_its_amount(sp, monkeypatch) -> None:
    """The event (and so the contract's `baseAmount == 0` check) reports a dust sale's planned amount:
    a skipped trade would then pass as work."""
    original = procedures.settle_trade

    def weakened(ar, sp_, plan, b, q, d, fill):
        st = original(ar, sp_, plan, b, q, d, fill)
        return dataclasses.replace(st, base_amount=plan.swap.amount) if plan.swap.token_in == "BASE" else st

    monkeypatch.setattr(procedures, "settle_trade", weakened)
    res = refuted(_at_one_quote_per_base(econ.RebalanceIdempotent(sp)))
    assert res.id.startswith("econ.rebalance_idempotent.") and _goals(res) == {"skipped <-> no BASE moved"}


@SIDES
def test_keeper_bound_refuted_by_the_old_flat_fee(sp, monkeypatch) -> None:
    """Finding 1's rule: the whole keeper fee for any rebalance, whatever it traded."""
    monkeypatch.setattr(procedures, "keeper_fee_entitled", lambda ar, keeper_fee, notional: keeper_fee)
    res = refuted(econ.KeeperBoundedByWork(sp))
    assert res.id == f"econ.keeper_bounded_by_work.{'long' if sp.is_long else 'short'}"
    assert "paid <= 1% of notional" in _goals(res)


def test_keeper_never_blocks_refuted_by_a_payment_beyond_idle(monkeypatch) -> None:
    """Finding 2's rule: the reserve owes the whole fee whatever it holds (payKeeper would revert)."""
    monkeypatch.setattr(procedures, "pay_keeper", lambda ar, fee, notional, idle: procedures.KeeperPayment(
        procedures.keeper_fee_entitled(ar, fee, notional), procedures.keeper_fee_entitled(ar, fee, notional)))
    res = refuted(econ.KeeperNeverBlocks())
    assert res.id == "econ.keeper_never_blocks" and res.failed_goals == ["0 <= paid <= idleQuote"]


def test_keeper_never_blocks_refuted_by_a_delever_that_borrows(monkeypatch) -> None:
    original = procedures.plan_trade

    def weakened(ar, sp, pos, d, price, increase, F=procedures._formulas):
        plan = original(ar, sp, pos, d, price, increase, F)
        return plan if plan.increase else dataclasses.replace(plan, borrow=plan.swap.amount)

    monkeypatch.setattr(procedures, "plan_trade", weakened)
    res = refuted(econ.KeeperNeverBlocks())
    assert res.id == "econ.keeper_never_blocks"
    assert set(res.failed_goals) <= {"long delever borrows nothing", "short delever borrows nothing"} and res.failed_goals
