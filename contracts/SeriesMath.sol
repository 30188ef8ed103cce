// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "./FixedPointMath.sol";

/// @title SeriesMath
/// @notice A series' position valued at a mark price (SPEC.md "Core quantities"), shared by the
///         LeveragedToken and the ReservePool so the two can never value a series differently.
library SeriesMath {
    using FixedPointMath for uint256;

    uint256 internal constant WAD = 1e18;

    /// @notice What a series holds, in QUOTE: bP + q. Rounds down (assets are never overstated).
    function assetsQuote(uint256 b, uint256 q, uint256 p) internal pure returns (uint256) {
        return b.mulDivDown(p, WAD) + q;
    }

    /// @notice What a series owes, in QUOTE: d (long) or dP (short). Rounds up (debt is never understated).
    function debtQuote(bool isLong, uint256 d, uint256 p) internal pure returns (uint256) {
        return isLong ? d : d.mulDivUp(p, WAD);
    }

    /// @notice V = assets - debt, signed.
    function value(bool isLong, uint256 b, uint256 q, uint256 d, uint256 p) internal pure returns (int256) {
        return FixedPointMath.toInt(assetsQuote(b, q, p)) - FixedPointMath.toInt(debtQuote(isLong, d, p));
    }

    /// @notice E: bP for a long, (d - b)P for a short (0 when b >= d). Rounds down.
    function exposure(bool isLong, uint256 b, uint256 d, uint256 p) internal pure returns (uint256) {
        if (isLong) return b.mulDivDown(p, WAD);
        return d >= b ? (d - b).mulDivDown(p, WAD) : 0;
    }

    /// @notice L = E / V in WAD for V > 0. Rounds down.
    function leverage(uint256 e, uint256 v) internal pure returns (uint256) {
        return e.mulDivDown(WAD, v);
    }
}
