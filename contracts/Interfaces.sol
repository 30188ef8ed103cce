// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The ERC-20 subset the protocol uses.
interface IERC20Like {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
    function balanceOf(address account) external view returns (uint256);
}

/// @notice The mark-price source every consumer reads (reverts on a zero or stale price).
interface IPriceOracle {
    function price() external view returns (uint256);
}

/// @notice The SpotPool entry points the protocol calls.
interface ISpotPool {
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut, address to) external returns (uint256);
    function swapExactOut(address tokenIn, uint256 amountOut, uint256 maxIn, address to) external returns (uint256);
    function collectProtocolFees() external returns (uint256 baseAmount, uint256 quoteAmount);
}

/// @notice The ReservePool as a series sees it.
interface IReservePool {
    function base() external view returns (address);
    function quote() external view returns (address);
    function oracle() external view returns (address);
    function pool() external view returns (address);
    function debtOf(address series) external view returns (uint256);
    function equityQuote() external view returns (uint256);
    function floorQuote() external view returns (uint256);
    function borrow(uint256 amount) external;
    function repay(uint256 amount) external;
    function depositFee(uint256 amount) external;
    function payKeeper(address keeper, uint256 amount) external returns (uint256 paid);
    function absorbBadDebt(uint256 baseIn, uint256 quoteIn) external;
}

/// @notice A series as the ReservePool sees it (its recorded holdings and fixed parameters).
interface ILeveragedSeries {
    function reserve() external view returns (address);
    function isLong() external view returns (bool);
    function keeperFee() external view returns (uint256);
    function baseHeld() external view returns (uint256);
    function quoteHeld() external view returns (uint256);
}
