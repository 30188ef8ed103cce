// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title FixedPointMath
/// @notice The protocol's only rounding primitives (SPEC.md "Units and rounding"): the rounding
///         direction is in every name. Amounts paid out round down; amounts charged or owed round up.
/// @dev mulDiv keeps the full 512-bit product (the algorithm of OpenZeppelin's Math.mulDiv, after
///      Remco Bloemen), so `a * b` may exceed 2**256 as long as the quotient fits.
library FixedPointMath {
    /// @notice A division by zero was requested.
    error DivisionByZero();
    /// @notice The quotient does not fit in 256 bits.
    error MulDivOverflow();
    /// @notice A uint256 is too large to be represented as an int256.
    error IntOverflow();

    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;

    /// @notice floor(a * b / c) with a 512-bit intermediate.
    function mulDivDown(uint256 a, uint256 b, uint256 c) internal pure returns (uint256 result) {
        if (c == 0) revert DivisionByZero();
        uint256 prod0;
        uint256 prod1;
        assembly ("memory-safe") {
            // [prod1 prod0] = a * b as a 512-bit number (Chinese remainder theorem on mod 2**256 and 2**256 - 1).
            let mm := mulmod(a, b, not(0))
            prod0 := mul(a, b)
            prod1 := sub(sub(mm, prod0), lt(mm, prod0))
        }
        if (prod1 == 0) {
            // The product fits in 256 bits: a plain division, which truncates (floors).
            unchecked {
                return prod0 / c;
            }
        }
        if (c <= prod1) revert MulDivOverflow();
        assembly ("memory-safe") {
            // Subtract the remainder so the 512-bit division below is exact: this is the floor.
            let remainder := mulmod(a, b, c)
            prod1 := sub(prod1, gt(remainder, prod0))
            prod0 := sub(prod0, remainder)
            // Factor the largest power of two out of c and shift [prod1 prod0] right by it.
            let twos := and(c, sub(0, c))
            c := div(c, twos)
            prod0 := div(prod0, twos)
            twos := add(div(sub(0, twos), twos), 1)
            prod0 := or(prod0, mul(prod1, twos))
            // c is now odd: invert it modulo 2**256 by Newton-Raphson (4 correct bits, doubled 6 times).
            let inv := xor(mul(3, c), 2)
            inv := mul(inv, sub(2, mul(c, inv)))
            inv := mul(inv, sub(2, mul(c, inv)))
            inv := mul(inv, sub(2, mul(c, inv)))
            inv := mul(inv, sub(2, mul(c, inv)))
            inv := mul(inv, sub(2, mul(c, inv)))
            inv := mul(inv, sub(2, mul(c, inv)))
            // The division is exact, so multiplying by the inverse gives the quotient.
            result := mul(prod0, inv)
        }
    }

    /// @notice ceil(a * b / c) with a 512-bit intermediate.
    function mulDivUp(uint256 a, uint256 b, uint256 c) internal pure returns (uint256 result) {
        result = mulDivDown(a, b, c);
        // mulDivDown already rejected c == 0, so mulmod is safe. Round up when there is a remainder.
        if (mulmod(a, b, c) != 0) {
            if (result == type(uint256).max) revert MulDivOverflow();
            unchecked {
                result += 1;
            }
        }
    }

    /// @notice floor(sqrt(x)).
    function sqrtDown(uint256 x) internal pure returns (uint256) {
        if (x == 0) return 0;
        unchecked {
            // Start from 2**(floor(log2 x) / 2), within a factor 2 of the root; 7 Newton steps then
            // give full precision (quadratic convergence from 1 correct bit), as in OpenZeppelin's sqrt.
            uint256 r = 1 << (_log2(x) >> 1);
            // Each x / r rounds down; the final min() picks the floor of the true root.
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            r = (r + x / r) >> 1;
            uint256 other = x / r;
            return r < other ? r : other;
        }
    }

    /// @notice min(a, b).
    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @notice uint256 -> int256, reverting with IntOverflow() when it does not fit.
    function toInt(uint256 x) internal pure returns (int256) {
        if (x > uint256(type(int256).max)) revert IntOverflow();
        return int256(x);
    }

    function _log2(uint256 x) private pure returns (uint256 r) {
        unchecked {
            if (x >> 128 != 0) {
                x >>= 128;
                r += 128;
            }
            if (x >> 64 != 0) {
                x >>= 64;
                r += 64;
            }
            if (x >> 32 != 0) {
                x >>= 32;
                r += 32;
            }
            if (x >> 16 != 0) {
                x >>= 16;
                r += 16;
            }
            if (x >> 8 != 0) {
                x >>= 8;
                r += 8;
            }
            if (x >> 4 != 0) {
                x >>= 4;
                r += 4;
            }
            if (x >> 2 != 0) {
                x >>= 2;
                r += 2;
            }
            if (x >> 1 != 0) {
                r += 1;
            }
        }
    }
}
