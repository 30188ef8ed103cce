// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "./Interfaces.sol";

/// @title PriceOracle
/// @notice A keeper-pushed mark price (QUOTE per BASE, WAD) with its timestamp. Consumers read
///         `price()`, which refuses a zero or stale price.
contract PriceOracle is IPriceOracle {
    /// @notice Only the keeper may push prices.
    error NotKeeper();
    /// @notice No price has been pushed, or a zero price was pushed.
    error ZeroPrice();
    /// @notice The last price is older than `maxAge` seconds.
    error StalePrice(uint256 updatedAt, uint256 nowTs);
    /// @notice A zero keeper address.
    error ZeroAddress();

    event PriceUpdated(uint256 price, uint256 updatedAt);

    /// @notice The only account allowed to push prices.
    address public immutable keeper;
    /// @notice Maximum age in seconds of a price that `price()` still serves.
    uint256 public immutable maxAge;
    /// @notice The last pushed price, unchecked (0 before the first push).
    uint256 public latestPrice;
    /// @notice block.timestamp of the last push.
    uint256 public updatedAt;

    constructor(address keeper_, uint256 maxAge_) {
        if (keeper_ == address(0)) revert ZeroAddress();
        keeper = keeper_;
        maxAge = maxAge_;
    }

    /// @notice Push a new mark price. Only the keeper; reverts NotKeeper() or ZeroPrice().
    function setPrice(uint256 newPrice) external {
        if (msg.sender != keeper) revert NotKeeper();
        if (newPrice == 0) revert ZeroPrice();
        latestPrice = newPrice;
        updatedAt = block.timestamp;
        emit PriceUpdated(newPrice, block.timestamp);
    }

    /// @notice The current mark price; reverts ZeroPrice() if unset, StalePrice(updatedAt, now) if
    ///         block.timestamp > updatedAt + maxAge.
    function price() external view returns (uint256) {
        uint256 p = latestPrice;
        if (p == 0) revert ZeroPrice();
        if (block.timestamp > updatedAt + maxAge) revert StalePrice(updatedAt, block.timestamp);
        return p;
    }
}
