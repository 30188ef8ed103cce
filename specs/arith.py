"""Arithmetic interfaces: the same formulas run on Python ints (the model) and on Z3 terms (proofs).

Every formula in `specs.formulas` takes an `Arith` as its first argument and uses only its methods
and `+ - *` on the values, so the reference model and the Z3 encodings cannot drift apart.

Checked arithmetic (Solidity 0.8 outside `unchecked {}`): `add`, `sub`, `mul` are the contracts'
plain uint256 operators, `sub_int` their int256 subtraction and `to_int` FixedPointMath.toInt. They
are methods of the interface (not a wrapper type around the values) because one call site must mean
"this is where the contract computes a checked operation" on every arithmetic: on Python ints they
are exact and, while `IntArith.checking` is set (the model's transactions), a result outside
0 .. 2**256 - 1 raises `CheckedOverflow` (the model reverts `Panic(0x11)`) and `to_int` beyond
2**255 - 1 raises `IntOverflow` (`IntOverflow()`); on Z3 terms they are the plain operators, so a
proof's terms are exactly what they were before (the proofs state their bounds as premises). The
formulas keep plain `+ - *` wherever the contract's operation cannot leave uint256 (a difference
guarded by a comparison, a sum bounded by a token's supply) or is not computed by the contracts at
all (invariants and closed forms).
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

    # checked uint256 / int256 operators (module docstring): plain operators unless overridden
    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def sub(self, a: Any, b: Any) -> Any:
        return a - b

    def mul(self, a: Any, b: Any) -> Any:
        return a * b

    def sub_int(self, a: Any, b: Any) -> Any:
        return a - b

    def to_int(self, x: Any) -> Any:
        return x

    def max(self, a: Any, b: Any) -> Any:
        return self.ite(self.gt(a, b), a, b)


UINT256_MAX = 2**256 - 1
INT256_MAX = 2**255 - 1
INT256_MIN = -(2**255)
PANIC_ARITHMETIC = 0x11  # Panic(uint256) code of a checked operation's overflow/underflow


class ContractArithmeticError(ArithmeticError):
    """An operation the contracts compute left its type: they revert with `error` (name, args), and
    so do the model's transactions (`Model._tx`) and the expected views (`modelside.expected_views`)."""

    error: tuple[str, tuple] = ("", ())


class MulDivOverflow(ContractArithmeticError):
    """A mulDiv whose result does not fit in a uint256: the contracts' FixedPointMath reverts
    `MulDivOverflow()` (its 512-bit intermediate product may exceed 2**256; only the result may not)."""

    error = ("MulDivOverflow", ())


class CheckedOverflow(ContractArithmeticError):
    """A checked `+ - *` whose result leaves uint256 (or int256 for `sub_int`): Solidity 0.8 reverts
    `Panic(0x11)` (arithmetic overflow/underflow)."""

    error = ("Panic", (PANIC_ARITHMETIC,))


class IntOverflow(ContractArithmeticError):
    """FixedPointMath.toInt of a value above 2**255 - 1: the contracts revert `IntOverflow()`."""

    error = ("IntOverflow", ())


class IntArith(Arith):
    """Exact EVM-style integer arithmetic on Python ints (arguments must be non-negative). While
    `checking` is set (the model's transactions: `Model._tx`) a mulDiv result beyond uint256 raises
    `MulDivOverflow`, as the contracts' primitive reverts, and the checked operators raise
    `CheckedOverflow` / `IntOverflow` (module docstring); elsewhere (invariants, views of a snapshot)
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

    def add(self, a: int, b: int) -> int:
        r = a + b
        if r > UINT256_MAX and self.checking:
            raise CheckedOverflow("add", a, b)
        return r

    def sub(self, a: int, b: int) -> int:
        r = a - b
        if r < 0 and self.checking:
            raise CheckedOverflow("sub", a, b)
        return r

    def mul(self, a: int, b: int) -> int:
        r = a * b
        if r > UINT256_MAX and self.checking:
            raise CheckedOverflow("mul", a, b)
        return r

    def sub_int(self, a: int, b: int) -> int:
        r = a - b
        if (r > INT256_MAX or r < INT256_MIN) and self.checking:
            raise CheckedOverflow("sub_int", a, b)
        return r

    def to_int(self, x: int) -> int:
        if x > INT256_MAX and self.checking:
            raise IntOverflow(x)
        return x

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
