"""FixedPointMath against exact Python integers (through a harness contract compiled in with
`extra_sources`), and the non-reentrancy lock of SpotPool, ReservePool and LeveragedToken (through a
market deployed with a TestToken patched to call back on transferFrom)."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levcheck.chain.build import build_contracts
from levcheck.chain.deploy import deploy_market
from levcheck.chain.evm import Reverted, open_backend
from levcheck.specs.arith import WAD

MAX = 2**256 - 1

HARNESS = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "./FixedPointMath.sol";

contract MathHarness {
    function mulDivDown(uint256 a, uint256 b, uint256 c) external pure returns (uint256) {
        return FixedPointMath.mulDivDown(a, b, c);
    }
    function mulDivUp(uint256 a, uint256 b, uint256 c) external pure returns (uint256) {
        return FixedPointMath.mulDivUp(a, b, c);
    }
    function sqrtDown(uint256 x) external pure returns (uint256) {
        return FixedPointMath.sqrtDown(x);
    }
    function toInt(uint256 x) external pure returns (int256) {
        return FixedPointMath.toInt(x);
    }
}
"""


@pytest.fixture(scope="module")
def math_c():
    arts = build_contracts(extra_sources={"contracts/MathHarness.sol": HARNESS})
    evm = open_backend("pyrevm")
    return evm.deploy(arts["MathHarness"], sender=evm.account("deployer"))


def check_muldiv(h, a, b, c):
    """The contract's result or named revert equals exact integer arithmetic's, both rounding modes."""
    down, up = a * b // c if c else None, -(-(a * b) // c) if c else None
    for fn, want in (("mulDivDown", down), ("mulDivUp", up)):
        if c == 0 or want > MAX:
            with pytest.raises(Reverted) as exc:
                h.call(fn, a, b, c)
            assert exc.value.error.name == ("DivisionByZero" if c == 0 else "MulDivOverflow")
        else:
            assert h.call(fn, a, b, c) == want, (fn, a, b, c)


EDGES = [0, 1, 2, 3, 10**18, 2**128 - 1, 2**128, 2**255, MAX - 1, MAX]


def test_mul_div_edges(math_c):
    for a in EDGES:
        for b in EDGES:
            for c in (0, 1, 3, 10**18, 2**128 + 1, MAX):
                check_muldiv(math_c, a, b, c)
    # A product far beyond 2**256 with a quotient that fits: the 512-bit path.
    check_muldiv(math_c, MAX, MAX, MAX)
    check_muldiv(math_c, MAX - 5, 2**200 + 7, 2**201 + 3)
    # Rounding up at the very top overflows instead of wrapping.
    check_muldiv(math_c, MAX, 3, 3)
    check_muldiv(math_c, MAX, 2, 2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.integers(0, MAX), b=st.integers(0, MAX), c=st.integers(1, MAX))
def test_mul_div_matches_exact_arithmetic(math_c, a, b, c):
    check_muldiv(math_c, a, b, c)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=st.one_of(st.integers(0, 2**64), st.integers(0, MAX)))
def test_sqrt_down_is_the_integer_square_root(math_c, x):
    assert math_c.call("sqrtDown", x) == math.isqrt(x)


def test_sqrt_edges_and_int_cast(math_c):
    for x in (0, 1, 2, 3, 4, 15, 16, 17, 2**255, MAX, (2**128 - 1) ** 2, (2**128 - 1) ** 2 - 1):
        assert math_c.call("sqrtDown", x) == math.isqrt(x)
    assert math_c.call("toInt", 2**255 - 1) == 2**255 - 1
    with pytest.raises(Reverted) as exc:
        math_c.call("toInt", 2**255)
    assert exc.value.error.name == "IntOverflow"


# ---------------------------------------------------------------------------------------------- reentrancy

HOOK_TOKEN = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20Base} from "./ERC20Base.sol";

/// TestToken patched to call `hookTarget` once from inside transferFrom (a hostile token).
contract TestToken is ERC20Base {
    address public hookTarget;
    bytes public hookData;

    constructor(string memory name_, string memory symbol_) ERC20Base(name_, symbol_) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        address target = hookTarget;
        if (target != address(0)) {
            hookTarget = address(0);
            (bool ok, bytes memory ret) = target.call(hookData);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        return super.transferFrom(from, to, amount);
    }
}
"""


@pytest.fixture(scope="module")
def hooked():
    evm = open_backend("pyrevm")
    m = deploy_market(evm, sources={"contracts/TestToken.sol": HOOK_TOKEN})
    alice = evm.account("alice")
    m.fund(alice, base=100 * WAD, quote=1_000_000 * WAD)
    return m, alice


def _reenter(m, token, target, fn, args, alice):
    token.transact("arm", target.address, target.fn(fn).encode(args), sender=alice)


def test_pool_swap_cannot_be_reentered(hooked):
    m, alice = hooked
    _reenter(m, m.base, m.pool, "swapExactIn", (m.base.address, WAD, 0, alice), alice)
    with pytest.raises(Reverted) as exc:
        m.pool.transact("swapExactIn", m.base.address, WAD, 0, alice, sender=alice)
    assert exc.value.error.name == "Reentrancy"


def test_reserve_inject_cannot_be_reentered(hooked):
    m, alice = hooked
    _reenter(m, m.quote, m.reserve, "inject", (0, 1), alice)
    with pytest.raises(Reverted) as exc:
        m.reserve.transact("inject", 0, WAD, sender=alice)
    assert exc.value.error.name == "Reentrancy"


def test_series_mint_cannot_be_reentered(hooked):
    m, alice = hooked
    _reenter(m, m.quote, m.long, "redeem", (1, 0), alice)
    with pytest.raises(Reverted) as exc:
        m.long.transact("mint", 1_000 * WAD, 0, sender=alice)
    assert exc.value.error.name == "Reentrancy"
    # Disarmed, the same mint goes through.
    m.quote.transact("arm", "0x" + "0" * 40, b"", sender=alice)
    assert m.long.transact("mint", 1_000 * WAD, 0, sender=alice).value > 0
