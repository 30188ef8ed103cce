// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Like} from "./Interfaces.sol";

/// @title TokenTransfer
/// @notice Checked ERC-20 moves: a token that returns false reverts with TransferFailed(token).
/// @dev Pulls always come from msg.sender (internal library calls keep the caller's msg.sender).
///      A move of zero is skipped (no call, no Transfer event): SPEC.md "Units and rounding".
library TokenTransfer {
    /// @notice The token refused a transfer, transferFrom or approve.
    error TransferFailed(address token);

    function pullFromSender(address token, uint256 amount) internal {
        if (amount == 0) return;
        if (!IERC20Like(token).transferFrom(msg.sender, address(this), amount)) revert TransferFailed(token);
    }

    function push(address token, address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!IERC20Like(token).transfer(to, amount)) revert TransferFailed(token);
    }

    function approveMax(address token, address spender) internal {
        if (!IERC20Like(token).approve(spender, type(uint256).max)) revert TransferFailed(token);
    }
}
