// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ERC20Base
/// @notice A plain 18-decimal ERC-20 shared by the test assets and the leveraged tokens.
///         An allowance of type(uint256).max is never decremented.
abstract contract ERC20Base {
    /// @notice The sender (or `from`) holds less than the amount moved or burnt.
    error InsufficientBalance(uint256 have, uint256 need);
    /// @notice The spender's allowance is below the amount moved.
    error InsufficientAllowance(uint256 have, uint256 need);

    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    uint8 public constant decimals = 18;
    string public name;
    string public symbol;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    /// @notice Move `amount` of the caller's tokens to `to`.
    /// @dev Reverts InsufficientBalance(have, need).
    function transfer(address to, uint256 amount) public virtual returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @notice Let `spender` move up to `amount` of the caller's tokens.
    function approve(address spender, uint256 amount) public virtual returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice Move `amount` from `from` to `to` using the caller's allowance.
    /// @dev Reverts InsufficientAllowance(have, need), then InsufficientBalance(have, need).
    function transferFrom(address from, address to, uint256 amount) public virtual returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(allowed, amount);
            unchecked {
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    function _transfer(address from, address to, uint256 amount) internal {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(bal, amount);
        unchecked {
            balanceOf[from] = bal - amount;
        }
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _mint(address to, uint256 amount) internal {
        totalSupply += amount;
        unchecked {
            balanceOf[to] += amount; // cannot overflow: bounded by totalSupply
        }
        emit Transfer(address(0), to, amount);
    }

    function _burn(address from, uint256 amount) internal {
        uint256 bal = balanceOf[from];
        if (bal < amount) revert InsufficientBalance(bal, amount);
        unchecked {
            balanceOf[from] = bal - amount;
            totalSupply -= amount; // cannot underflow: totalSupply >= bal >= amount
        }
        emit Transfer(from, address(0), amount);
    }
}
