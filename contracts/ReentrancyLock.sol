// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ReentrancyLock
/// @notice A simple non-reentrancy lock for every state-changing entry point of the protocol's contracts.
abstract contract ReentrancyLock {
    /// @notice A locked entry point was re-entered.
    error Reentrancy();

    uint256 private _lockState = 1;

    modifier nonReentrant() {
        if (_lockState != 1) revert Reentrancy();
        _lockState = 2;
        _;
        _lockState = 1;
    }
}
