"""Arithmetic interfaces: the same formulas run on Python ints (the model) and on Z3 terms (proofs).

Every formula in `specs.formulas` takes an `Arith` as its first argument and uses only its methods
and `+ - *` on the values, so the reference model and the Z3 encodings cannot drift apart.
"""
from __future__ import annotations

from typing import Any

WAD = 10**18
BPS = 10_000


class Arith:
    """Operations whose meaning differs between concrete ints and symbolic terms."""

    name = "abstract"

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:  # floor(a*b/c): amounts paid out
        raise NotImplementedError

    def mul_div_up(self, a: Any, b: Any, c: Any) -> Any:  # ceil(a*b/c): amounts charged or owed
        raise NotImplementedError

    def ite(self, cond: Any, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def lt(self, a: Any, b: Any) -> Any:
        return a < b

    def le(self, a: Any, b: Any) -> Any:
        return a <= b

    def gt(self, a: Any, b: Any) -> Any:
        return a > b

    def ge(self, a: Any, b: Any) -> Any:
        return a >= b

    def and_(self, *xs: Any) -> Any:
        raise NotImplementedError

    def or_(self, *xs: Any) -> Any:
        raise NotImplementedError

    def not_(self, x: Any) -> Any:
        raise NotImplementedError

    def min(self, a: Any, b: Any) -> Any:
        return self.ite(self.lt(a, b), a, b)

    def max(self, a: Any, b: Any) -> Any:
        return self.ite(self.gt(a, b), a, b)


class MulDivOverflow(ArithmeticError):
    """A mulDiv whose result does not fit in a uint256: the contracts' FixedPointMath reverts
    `MulDivOverflow()` (its 512-bit intermediate product may exceed 2**256; only the result may not)."""


UINT256_MAX = 2**256 - 1


class IntArith(Arith):
    """Exact EVM-style integer arithmetic on Python ints (arguments must be non-negative). While
    `checking` is set (the model's transactions: `Model._tx`) a mulDiv result beyond uint256 raises
    `MulDivOverflow`, as the contracts' primitive reverts; elsewhere (invariants, views of a snapshot)
    values are exact."""

    name = "int"
    checking = False

    def mul_div_down(self, a: int, b: int, c: int) -> int:
        assert a >= 0 and b >= 0 and c > 0, (a, b, c)
        r = a * b // c
        if self.checking and r > UINT256_MAX:
            raise MulDivOverflow(a, b, c)
        return r

    def mul_div_up(self, a: int, b: int, c: int) -> int:
        assert a >= 0 and b >= 0 and c > 0, (a, b, c)
        r = -(-(a * b) // c)
        if self.checking and r > UINT256_MAX:
            raise MulDivOverflow(a, b, c)
        return r

    def ite(self, cond: bool, a: Any, b: Any) -> Any:
        return a if cond else b

    def and_(self, *xs: bool) -> bool:
        return all(xs)

    def or_(self, *xs: bool) -> bool:
        return any(xs)

    def not_(self, x: bool) -> bool:
        return not x


class Z3IntArith(Arith):
    """Z3 integer terms with the same rounding as IntArith (Z3's `/` on Int is floor for c > 0)."""

    name = "z3-int"

    def __init__(self) -> None:
        import z3

        self.z3 = z3

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:
        return (a * b) / c

    def mul_div_up(self, a: Any, b: Any, c: Any) -> Any:
        return (a * b + c - 1) / c

    def ite(self, cond: Any, a: Any, b: Any) -> Any:
        return self.z3.If(cond, a, b)

    def and_(self, *xs: Any) -> Any:
        return self.z3.And(*xs)

    def or_(self, *xs: Any) -> Any:
        return self.z3.Or(*xs)

    def not_(self, x: Any) -> Any:
        return self.z3.Not(x)


class Z3RealArith(Z3IntArith):
    """The real relaxation: divisions are exact. A proof in this domain says nothing about rounding;
    the obligations that use it state so, and the rounding gap is proved separately."""

    name = "z3-real"

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:
        return a * b / c

    def mul_div_up(self, a: Any, b: Any, c: Any) -> Any:
        return a * b / c


INT = IntArith()


def isqrt_down(x: int) -> int:
    """floor(sqrt(x)) for the pool's first LP shares."""
    import math

    return math.isqrt(x)
