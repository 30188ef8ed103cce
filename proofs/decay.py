"""Volatility decay: an up-then-down round trip back to the start price loses value."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from levcheck.specs.arith import Arith

from .core import Claim, Domain, Obligation, Var


class RoundTripDecay(Obligation):
    invariants = ()
    family = "decay"
    domain = Domain.REAL
    relaxation = "exact reals (a closed form; no rounding)"

    def __init__(self, is_long: bool, lev_min: int | Fraction | None = None) -> None:
        self.is_long = is_long
        self.lev_min = (1 if is_long else 0) if lev_min is None else lev_min  # tests widen the domain
        if is_long:
            self.id = "decay.round_trip.long"
            self.statement = ("for L >= 1 and any move r > -1 then back to the start price, a series rebalanced to L "
                              "keeps (1 + L r)(1 - L r / (1 + r)) <= 1 of its value")
            self.assumptions = ("L >= 1", "r > -1")
        else:
            self.id = "decay.round_trip.short"
            self.statement = ("the short analogue (exposure -L): (1 - L r)(1 + L r / (1 + r)) <= 1 for L >= 0 and "
                              "r > -1, i.e. round_trip_value(-L, r) <= 1")
            self.assumptions = ("L >= 0", "r > -1")

    def variables(self) -> list[Var]:
        return [Var("L", self.lev_min), Var("r", -1)]

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        c = Claim()
        c.premise("r>-1", ar.gt(v["r"], -1))
        lev = v["L"] if self.is_long else 0 - v["L"]
        c.goal("round trip <= 1", ar.le(self.F.round_trip_value(lev, v["r"]), 1))
        return c
