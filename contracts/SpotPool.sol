// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "./FixedPointMath.sol";
import {ISpotPool} from "./Interfaces.sol";
import {ReentrancyLock} from "./ReentrancyLock.sol";
import {TokenTransfer} from "./TokenTransfer.sol";

/// @title SpotPool
/// @notice A constant-product BASE/QUOTE pool with a swap fee, of which a protocol share accrues as
///         pending protocol fees for the fee recipient (the ReservePool). SPEC.md "SpotPool".
contract SpotPool is ISpotPool, ReentrancyLock {
    using FixedPointMath for uint256;

    uint256 internal constant BPS = 10_000;
    uint256 public constant MAX_FEE_BPS = 100;

    /// @notice feeBps above MAX_FEE_BPS or protocolShareBps above 100%.
    error InvalidFee();
    /// @notice tokenIn is neither BASE nor QUOTE.
    error InvalidToken();
    /// @notice A zero amount where a positive one is needed.
    error ZeroAmount();
    /// @notice A zero address where an account is needed.
    error ZeroAddress();
    /// @notice The output is zero or below the caller's minimum.
    error InsufficientOutput(uint256 out, uint256 minOut);
    /// @notice The input an exact-output swap needs exceeds the caller's maximum.
    error ExcessiveInput(uint256 amountIn, uint256 maxIn);
    /// @notice An exact output of zero, or of the whole reserve or more.
    error InsufficientLiquidity();
    /// @notice LP shares minted are zero or below the caller's minimum.
    error InsufficientShares(uint256 shares, uint256 minShares);
    /// @notice The caller holds fewer LP shares than it tries to remove.
    error InsufficientBalance(uint256 have, uint256 need);
    /// @notice Only the deployer may set the fee recipient.
    error NotDeployer();
    /// @notice The fee recipient is already set.
    error AlreadySet();
    /// @notice Only the fee recipient may collect protocol fees.
    error NotFeeRecipient();

    event Swap(address indexed sender, address indexed tokenIn, uint256 amountIn, uint256 amountOut, uint256 protocolFee);
    event LiquidityAdded(address indexed provider, uint256 baseAmount, uint256 quoteAmount, uint256 shares);
    event LiquidityRemoved(address indexed provider, uint256 baseAmount, uint256 quoteAmount, uint256 shares);
    event FeeRecipientSet(address indexed recipient);
    event ProtocolFeesCollected(address indexed recipient, uint256 baseAmount, uint256 quoteAmount);

    address public immutable base;
    address public immutable quote;
    /// @notice Swap fee in basis points of the input.
    uint256 public immutable feeBps;
    /// @notice Protocol share of the swap fee in basis points.
    uint256 public immutable protocolShareBps;
    address public immutable deployer;

    address public feeRecipient;
    uint256 public reserveBase;
    uint256 public reserveQuote;
    uint256 public pendingFeeBase;
    uint256 public pendingFeeQuote;
    uint256 public totalShares;
    mapping(address => uint256) public sharesOf;

    constructor(address base_, address quote_, uint256 feeBps_, uint256 protocolShareBps_) {
        if (base_ == address(0) || quote_ == address(0) || base_ == quote_) revert InvalidToken();
        if (feeBps_ > MAX_FEE_BPS || protocolShareBps_ > BPS) revert InvalidFee();
        base = base_;
        quote = quote_;
        feeBps = feeBps_;
        protocolShareBps = protocolShareBps_;
        deployer = msg.sender;
    }

    // ------------------------------------------------------------------ admin

    /// @notice Set the protocol-fee recipient once. Only the deployer (NotDeployer), only once
    ///         (AlreadySet), never the zero address (ZeroAddress).
    function setFeeRecipient(address recipient) external nonReentrant {
        if (msg.sender != deployer) revert NotDeployer();
        if (feeRecipient != address(0)) revert AlreadySet();
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    // ------------------------------------------------------------------ quotes

    /// @notice Output of an exact-input swap against reserves (reserveIn, reserveOut).
    /// @dev 0 when nothing reaches the curve (both the input net of fee and reserveIn are zero).
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public view returns (uint256) {
        // Fee charged on the input: rounds up, in favour of the pool.
        uint256 net = amountIn - amountIn.mulDivUp(feeBps, BPS);
        if (reserveIn + net == 0) return 0;
        // Output paid out: rounds down, in favour of the pool.
        return reserveOut.mulDivDown(net, reserveIn + net);
    }

    /// @notice Input an exact-output swap needs; requires 0 < amountOut < reserveOut (InsufficientLiquidity).
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut) public view returns (uint256) {
        if (amountOut == 0 || amountOut >= reserveOut) revert InsufficientLiquidity();
        // Input charged: rounds up, in favour of the pool.
        uint256 net = reserveIn.mulDivUp(amountOut, reserveOut - amountOut);
        // Grossing up for the fee rounds up too; the +1 absorbs the fee's own rounding so k never falls.
        return net.mulDivUp(BPS, BPS - feeBps) + 1;
    }

    /// @notice The pool's marginal price, QUOTE per BASE in WAD (views and tests only; 0 when empty).
    function spotPrice() external view returns (uint256) {
        if (reserveBase == 0) return 0;
        // Informational only: rounds down.
        return reserveQuote.mulDivDown(1e18, reserveBase);
    }

    // ------------------------------------------------------------------ swaps

    /// @notice Swap exactly `amountIn` of `tokenIn` for the other token, sent to `to`.
    /// @dev Reverts InvalidToken, ZeroAmount, InsufficientOutput(out, minOut) when out == 0 or out < minOut.
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut, address to)
        external
        nonReentrant
        returns (uint256 out)
    {
        bool baseIn = _isBase(tokenIn);
        if (amountIn == 0) revert ZeroAmount();
        (uint256 rIn, uint256 rOut) = baseIn ? (reserveBase, reserveQuote) : (reserveQuote, reserveBase);
        out = getAmountOut(amountIn, rIn, rOut);
        if (out == 0 || out < minOut) revert InsufficientOutput(out, minOut);
        _settle(baseIn, tokenIn, amountIn, out, to);
    }

    /// @notice Swap as much `tokenIn` as needed for exactly `amountOut` of the other token, sent to `to`.
    /// @dev Reverts InvalidToken, ZeroAmount, InsufficientLiquidity, ExcessiveInput(amountIn, maxIn).
    function swapExactOut(address tokenIn, uint256 amountOut, uint256 maxIn, address to)
        external
        nonReentrant
        returns (uint256 amountIn)
    {
        bool baseIn = _isBase(tokenIn);
        if (amountOut == 0) revert ZeroAmount();
        (uint256 rIn, uint256 rOut) = baseIn ? (reserveBase, reserveQuote) : (reserveQuote, reserveBase);
        amountIn = getAmountIn(amountOut, rIn, rOut);
        if (amountIn > maxIn) revert ExcessiveInput(amountIn, maxIn);
        _settle(baseIn, tokenIn, amountIn, amountOut, to);
    }

    // ------------------------------------------------------------------ liquidity

    /// @notice Deposit BASE and QUOTE for LP shares. First deposit: sqrtDown(base * quote); later:
    ///         the smaller pro-rata share (any excess over the ratio stays with the existing LPs).
    /// @dev Reverts InsufficientShares(shares, minShares) when shares == 0 or < minShares.
    function addLiquidity(uint256 baseAmount, uint256 quoteAmount, uint256 minShares)
        external
        nonReentrant
        returns (uint256 shares)
    {
        uint256 supply = totalShares;
        if (supply == 0) {
            shares = FixedPointMath.sqrtDown(baseAmount * quoteAmount);
        } else {
            // Shares issued: round down, in favour of the existing LPs.
            shares = FixedPointMath.min(
                baseAmount.mulDivDown(supply, reserveBase), quoteAmount.mulDivDown(supply, reserveQuote)
            );
        }
        if (shares == 0 || shares < minShares) revert InsufficientShares(shares, minShares);
        totalShares = supply + shares;
        sharesOf[msg.sender] += shares;
        reserveBase += baseAmount;
        reserveQuote += quoteAmount;
        TokenTransfer.pullFromSender(base, baseAmount);
        TokenTransfer.pullFromSender(quote, quoteAmount);
        emit LiquidityAdded(msg.sender, baseAmount, quoteAmount, shares);
    }

    /// @notice Burn `shares` LP shares for the pro-rata reserves.
    /// @dev Reverts ZeroAmount, InsufficientBalance(have, need), InsufficientOutput(out, min) per token.
    function removeLiquidity(uint256 shares, uint256 minBase, uint256 minQuote)
        external
        nonReentrant
        returns (uint256 baseOut, uint256 quoteOut)
    {
        if (shares == 0) revert ZeroAmount();
        uint256 have = sharesOf[msg.sender];
        if (have < shares) revert InsufficientBalance(have, shares);
        uint256 supply = totalShares;
        // Paid out: round down, in favour of the remaining LPs.
        baseOut = reserveBase.mulDivDown(shares, supply);
        quoteOut = reserveQuote.mulDivDown(shares, supply);
        if (baseOut < minBase) revert InsufficientOutput(baseOut, minBase);
        if (quoteOut < minQuote) revert InsufficientOutput(quoteOut, minQuote);
        sharesOf[msg.sender] = have - shares;
        totalShares = supply - shares;
        reserveBase -= baseOut;
        reserveQuote -= quoteOut;
        TokenTransfer.push(base, msg.sender, baseOut);
        TokenTransfer.push(quote, msg.sender, quoteOut);
        emit LiquidityRemoved(msg.sender, baseOut, quoteOut, shares);
    }

    /// @notice Send both pending protocol fees to the fee recipient. Only the fee recipient (NotFeeRecipient).
    function collectProtocolFees() external nonReentrant returns (uint256 baseAmount, uint256 quoteAmount) {
        if (msg.sender != feeRecipient) revert NotFeeRecipient();
        baseAmount = pendingFeeBase;
        quoteAmount = pendingFeeQuote;
        pendingFeeBase = 0;
        pendingFeeQuote = 0;
        TokenTransfer.push(base, msg.sender, baseAmount);
        TokenTransfer.push(quote, msg.sender, quoteAmount);
        emit ProtocolFeesCollected(msg.sender, baseAmount, quoteAmount);
    }

    // ------------------------------------------------------------------ internals

    function _isBase(address tokenIn) private view returns (bool) {
        if (tokenIn == base) return true;
        if (tokenIn == quote) return false;
        revert InvalidToken();
    }

    /// @dev Book a swap: the LP part of the fee stays in the curve, the protocol part is set aside.
    function _settle(bool baseIn, address tokenIn, uint256 amountIn, uint256 out, address to) private {
        // Fee charged: up (for the pool); protocol share of it: down (for the LPs).
        uint256 protocolFee = amountIn.mulDivUp(feeBps, BPS).mulDivDown(protocolShareBps, BPS);
        if (baseIn) {
            reserveBase += amountIn - protocolFee;
            pendingFeeBase += protocolFee;
            reserveQuote -= out;
        } else {
            reserveQuote += amountIn - protocolFee;
            pendingFeeQuote += protocolFee;
            reserveBase -= out;
        }
        TokenTransfer.pullFromSender(tokenIn, amountIn);
        TokenTransfer.push(baseIn ? quote : base, to, out);
        emit Swap(msg.sender, tokenIn, amountIn, out, protocolFee);
    }
}
