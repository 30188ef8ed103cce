// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20Base} from "./ERC20Base.sol";

/// @title TestToken
/// @notice The QUOTE and BASE assets of a test market: a plain ERC-20 with an open mint.
contract TestToken is ERC20Base {
    constructor(string memory name_, string memory symbol_) ERC20Base(name_, symbol_) {}

    /// @notice Create `amount` tokens for `to` (anyone may call: test asset only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
