"""Proof budgets are counted in Z3 resource units, not seconds: the verdict of an obligation is a
function of its query and its rlimit, whatever the machine's speed or load; wall time only guards."""
from __future__ import annotations

from levcheck.proofs.core import Status
from levcheck.proofs.registry import obligations
from levcheck.proofs.solve import RLIMIT, check
from levcheck.specs.params import BUNDLED

HARD = "fees.others_nav.redeem.short"  # the bundled set's costliest obligation (two encodings)


def _ob(id: str):
    return next(o for o in obligations(BUNDLED) if o.id == id)


def test_a_starved_budget_is_unknown_and_says_why() -> None:
    res = check(_ob(HARD), rlimit=20_000)
    assert res.status is Status.UNKNOWN
    assert "resource limit" in res.reason and "wall-clock" not in res.reason


def test_the_default_budget_proves_and_the_verdict_does_not_depend_on_the_wall_clock() -> None:
    fast = check(_ob(HARD), rlimit=RLIMIT)
    assert fast.status is Status.PROVED
    # the same budget under another wall guard gives the same verdict by the same encoding
    again = check(_ob(HARD), rlimit=RLIMIT, timeout_s=max(10 * fast.seconds, 5.0))
    assert again.status is Status.PROVED and again.encoding == fast.encoding


def test_the_wall_guard_still_stops_a_runaway_query() -> None:
    res = check(_ob(HARD), rlimit=10**12, timeout_s=0.3)
    assert res.status is not Status.PROVED
    assert "guard" in res.reason or "canceled" in res.reason
