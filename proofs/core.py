"""Proof obligations: the object every invariant becomes, its typed result, and the arithmetics.

An obligation never writes a formula of its own. Its one method, `claim(ar, v)`, composes the
definitions of `specs.formulas` over an `Arith` and a dict of variables, and returns named
premises and named goals. The same method is run twice:
  * on Z3 terms (a `specs.arith` Z3 arithmetic): the solver looks for premises true and a goal false;
  * on the concretised model values with exact arithmetic (`specs.arith.INT` for integral
    obligations, `ExactArith` for real closed forms): the replay that turns a Z3 model into a
    counterexample, or leaves it "potential" when the concrete point does not violate the goal.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import copy
import types

from levcheck.specs import formulas as _formulas
from levcheck.specs.arith import Arith, IntArith, Z3RealArith


@enum.unique
class Status(str, enum.Enum):
    PROVED = "proved"
    COUNTEREXAMPLE = "counterexample"  # a Z3 model that replayed concretely
    POTENTIAL = "potential"  # a Z3 model that did not replay (relaxation artefact or boundary)
    UNKNOWN = "unknown"  # solver unknown or timeout: never reported as proved


@enum.unique
class Domain(str, enum.Enum):
    """How the obligation's variables and divisions are encoded."""

    REAL = "real"  # closed forms over exact reals; replay with exact fractions
    ROUNDED = "rounded"  # integer semantics relaxed to reals, each rounding a bounded error term
    INT = "int"  # exact Z3 integers (small queries only); replay with ints


@dataclass(frozen=True)
class Var:
    """A universally quantified variable and its domain bounds (inclusive; None = unbounded)."""

    name: str
    lo: int | Fraction | None = None
    hi: int | Fraction | None = None
    doc: str = ""


@dataclass
class Claim:
    """What an obligation states: if every premise holds, every goal holds."""

    premises: list[tuple[str, Any]] = field(default_factory=list)
    goals: list[tuple[str, Any]] = field(default_factory=list)

    def premise(self, name: str, expr: Any) -> None:
        self.premises.append((name, expr))

    def goal(self, name: str, expr: Any) -> None:
        self.goals.append((name, expr))


class Obligation:
    """One proof obligation. Subclasses set the metadata and implement `variables` and `claim`."""

    id: str = ""
    family: str = ""  # band | floor | fees | decay
    invariants: tuple[str, ...] = ()  # the `specs.invariants` ids (checked per step by the fuzzer) it proves
    statement: str = ""  # the claim in words
    assumptions: tuple[str, ...] = ()  # the domain in words (bounds are also in `variables`)
    relaxation: str | None = None  # stated whenever the encoding is not exact integer semantics
    domain: Domain = Domain.ROUNDED
    pin: tuple[str, ...] = ("P", "S")  # scale variables fixed when searching for an integral model
    # Goals weakened by `margin` (0 when proving). If the relaxation's model does not replay, the search
    # is repeated with margin = search_margin: a model that violates the goal by that much usually still
    # violates it after rounding to integers, and any such model is a counterexample of the margin-0 goal.
    margin: int = 0
    search_margin: int | None = None
    params: Any = None  # the MarketParams the obligation was instantiated from (set by the registry)
    F: Any = _formulas  # the definitions the claim is built from; tests substitute weakened ones

    def with_formulas(self, **overrides: Any) -> "Obligation":
        """A copy whose claim uses `specs.formulas` with some definitions replaced (for tests that
        show an obligation catches a deliberately weakened definition)."""
        clone = copy.copy(self)
        clone.F = types.SimpleNamespace(**{**vars(_formulas), **overrides})
        return clone

    def variables(self) -> list[Var]:
        raise NotImplementedError

    def claim(self, ar: Arith, v: dict[str, Any]) -> Claim:
        raise NotImplementedError

    def scenario(self, values: dict[str, Any]) -> Any:
        """The counterexample as a deployable `levcheck.specs.scenario.Scenario` (a market and the steps that
        reach the violation), if the obligation can map its values to one; else None (the values are then
        written as a counterexample file that replays on the obligation's formulas)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


@dataclass
class ObligationResult:
    id: str
    family: str
    statement: str
    status: Status
    seconds: float
    domain: str
    encoding: str = ""  # the encoding that decided it (real / rounded / int)
    invariants: tuple[str, ...] = ()  # the specs.invariants ids it proves
    assumptions: tuple[str, ...] = ()
    relaxation: str | None = None
    reason: str = ""  # solver reason for unknown, replay verdict for potential
    failed_goals: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # concretised counterexample (as strings)
    core: list[str] = field(default_factory=list)  # premises the proof used (unsat core)
    scenario_file: str | None = None
    smt_file: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.PROVED

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["status"] = self.status.value
        return d


# ---------------------------------------------------------------- arithmetics used only here


class ExactArith(IntArith):
    """Exact rational arithmetic for replaying real closed forms (no rounding anywhere)."""

    name = "exact"

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:
        return Fraction(a) * Fraction(b) / Fraction(c)

    mul_div_up = mul_div_down


class Z3RoundedArith(Z3RealArith):
    """Integer rounding over the real relaxation: floor(a*b/c) is a*b/c - e and ceil(a*b/c) is
    a*b/c + e with a fresh e in [0, 1). Every integer execution is one of these real executions,
    so a proof here holds for the integers (sound); a model may not be integral (hence replay)."""

    name = "z3-rounded"

    def __init__(self) -> None:
        super().__init__()
        self.side: list[tuple[str, Any]] = []

    def _err(self, kind: str, like: Any) -> Any:
        e = self.z3.Real(f"rnd{len(self.side)}_{kind}", like.ctx)  # in the query's own context
        self.side.append((f"rounding:{e}", self.z3.And(e >= 0, e < 1, like.ctx)))
        return e

    def _sign(self, a: Any, b: Any, r: Any, up: bool) -> None:
        """Integer facts the relaxation would lose, sound for the formulas' domain (a, b >= 0):
        floor(x) >= 0; ceil(x) >= 1 when x > 0; both are 0 when x == 0."""
        z3, n, ctx = self.z3, len(self.side), r.ctx
        ab = a * b
        nonneg = z3.And(a >= 0, b >= 0, ctx)
        positive = z3.Implies(ab > 0, r >= 1, ctx) if up else z3.BoolVal(True, ctx)
        fact = z3.And(r >= 0, z3.Implies(ab == 0, r == 0, ctx), positive, ctx)
        self.side.append((f"rounding:int-facts{n}", z3.Implies(nonneg, fact, ctx)))

    @staticmethod
    def _concrete(*xs: Any) -> bool:
        return all(isinstance(x, int) for x in xs)

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:
        if self._concrete(a, b, c):  # parameters only: the exact integer result, no error term
            return IntArith().mul_div_down(a, b, c)
        x = a * b / c
        r = x - self._err("down", x)
        self._sign(a, b, r, False)
        return r

    def mul_div_up(self, a: Any, b: Any, c: Any) -> Any:
        if self._concrete(a, b, c):
            return IntArith().mul_div_up(a, b, c)
        x = a * b / c
        r = x + self._err("up", x)
        self._sign(a, b, r, True)
        return r
