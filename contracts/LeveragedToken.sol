// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20Base} from "./ERC20Base.sol";
import {FixedPointMath} from "./FixedPointMath.sol";
import {ILeveragedSeries, IPriceOracle, IReservePool, ISpotPool} from "./Interfaces.sol";
import {ReentrancyLock} from "./ReentrancyLock.sol";
import {SeriesMath} from "./SeriesMath.sol";
import {TokenTransfer} from "./TokenTransfer.sol";

/// @title LeveragedToken
/// @notice One leveraged series (long or short) on a BASE market: an ERC-20 whose balances never
///         change on a rebalance; holders gain and lose through NAV per token. It holds BASE and
///         QUOTE and owes its debt to the ReservePool. Every parameter is immutable. SPEC.md
///         "LeveragedToken".
contract LeveragedToken is ILeveragedSeries, ERC20Base, ReentrancyLock {
    using FixedPointMath for uint256;

    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 public constant MAX_SLIPPAGE_CAP_BPS = 1_000;
    uint256 public constant MAX_FEE_BPS = 500;
    uint256 public constant MIN_FALLBACK_INTERVAL = 3_600;
    /// @notice A keeper earns at most this share of its trade's oracle notional (1 %), capped at keeperFee.
    uint256 public constant KEEPER_FEE_MAX_BPS = 100;

    enum Trigger {
        Band,
        Fallback,
        Ripcord
    }

    /// @notice Not 1x <= minLev < targetLev < maxLev (an inverted or empty band, or the target outside it).
    error InvalidBand();
    /// @notice The ripcord level is not above the band.
    error InvalidRipcord();
    /// @notice The slippage cap is zero or above MAX_SLIPPAGE_CAP_BPS.
    error InvalidSlippageCap();
    /// @notice A mint or redeem fee above MAX_FEE_BPS.
    error InvalidFee();
    /// @notice A fallback interval below MIN_FALLBACK_INTERVAL.
    error InvalidFallback();
    /// @notice A zero keeper fee.
    error InvalidKeeperFee();
    /// @notice A zero amount where a positive one is needed.
    error ZeroAmount();
    /// @notice The series' value is not positive (or a redemption cannot cover its debt slice).
    error SeriesInsolvent();
    /// @notice A mint whose realised value increase is worth no shares.
    error ZeroShares();
    /// @notice Fewer shares than the minter's minimum.
    error InsufficientShares(uint256 shares, uint256 minShares);
    /// @notice Less QUOTE than the redeemer's minimum.
    error InsufficientOutput(uint256 quoteOut, uint256 minQuoteOut);
    /// @notice The series has no supply.
    error EmptySeries();
    /// @notice The reserve is below its floor: rebalancing is suspended.
    error BelowFloor(uint256 equityQuote, uint256 floorQuote);
    /// @notice Leverage in band and the fallback interval not yet passed.
    error NotTriggered(uint256 leverage);
    /// @notice Leverage not above the ripcord level.
    error NotAboveRipcord(uint256 leverage);
    /// @notice A rebalance or ripcord whose trade to target is skipped (nothing, or dust): no work, no pay.
    error NothingToRebalance();
    /// @notice settleInsolvency() on a series with positive value or no debt.
    error NotInsolvent();
    /// @notice A zero reserve address.
    error ZeroAddress();

    event Minted(address indexed account, uint256 quoteIn, uint256 fee, uint256 shares);
    event Redeemed(address indexed account, uint256 shares, uint256 quoteOut, uint256 fee);
    event Rebalanced(
        Trigger trigger,
        bool increase,
        uint256 baseAmount,
        uint256 quoteAmount,
        uint256 levBefore,
        uint256 levAfter,
        uint256 navBefore,
        uint256 navAfter
    );
    event InsolvencySettled(uint256 baseOut, uint256 quoteOut);

    address public immutable base;
    address public immutable quote;
    address public immutable oracle;
    address public immutable pool;
    address public immutable reserve;
    bool public immutable isLong;
    /// @notice Target, band edges and ripcord level, WAD leverage.
    uint256 public immutable targetLev;
    uint256 public immutable minLev;
    uint256 public immutable maxLev;
    uint256 public immutable ripcordLev;
    /// @notice Seconds after the last rebalance at which an in-band rebalance is allowed.
    uint256 public immutable fallbackInterval;
    /// @notice Max shortfall of a protocol swap against the oracle-implied amount, bps.
    uint256 public immutable slippageCapBps;
    uint256 public immutable mintFeeBps;
    uint256 public immutable redeemFeeBps;
    /// @notice The most QUOTE a rebalance() pays its caller: it earns min(keeperFee, 1 % of the trade's
    ///         oracle notional), from the reserve's idle QUOTE.
    uint256 public immutable keeperFee;

    /// @notice Recorded BASE holdings (b).
    uint256 public baseHeld;
    /// @notice Recorded QUOTE holdings (q).
    uint256 public quoteHeld;
    /// @notice Timestamp of the last rebalance or ripcord (the deployment time before the first).
    uint256 public lastRebalance;

    /// @param reserve_ the market's ReservePool; base, quote, oracle and pool are read from it.
    /// @param levels_ [targetLev, minLev, maxLev, ripcordLev] in WAD (an array keeps the ABI decoder's
    ///        stack within limits; the fixture passes them in this order).
    constructor(
        string memory name_,
        string memory symbol_,
        address reserve_,
        bool isLong_,
        uint256[4] memory levels_,
        uint256 fallbackInterval_,
        uint256 slippageCapBps_,
        uint256 mintFeeBps_,
        uint256 redeemFeeBps_,
        uint256 keeperFee_
    ) ERC20Base(name_, symbol_) {
        if (reserve_ == address(0)) revert ZeroAddress();
        _validate(levels_, fallbackInterval_, slippageCapBps_, mintFeeBps_, redeemFeeBps_, keeperFee_);
        reserve = reserve_;
        isLong = isLong_;
        targetLev = levels_[0];
        minLev = levels_[1];
        maxLev = levels_[2];
        ripcordLev = levels_[3];
        fallbackInterval = fallbackInterval_;
        slippageCapBps = slippageCapBps_;
        mintFeeBps = mintFeeBps_;
        redeemFeeBps = redeemFeeBps_;
        keeperFee = keeperFee_;
        base = IReservePool(reserve_).base();
        quote = IReservePool(reserve_).quote();
        oracle = IReservePool(reserve_).oracle();
        pool = IReservePool(reserve_).pool();
        lastRebalance = block.timestamp;
        _approveMarket(reserve_);
    }

    /// @dev The constructor's parameter checks (SPEC.md "LeveragedToken": constructor errors).
    function _validate(
        uint256[4] memory levels_,
        uint256 fallbackInterval_,
        uint256 slippageCapBps_,
        uint256 mintFeeBps_,
        uint256 redeemFeeBps_,
        uint256 keeperFee_
    ) private pure {
        (uint256 targetLev_, uint256 minLev_, uint256 maxLev_, uint256 ripcordLev_) =
            (levels_[0], levels_[1], levels_[2], levels_[3]);
        if (!(WAD <= minLev_ && minLev_ < targetLev_ && targetLev_ < maxLev_)) revert InvalidBand();
        if (ripcordLev_ <= maxLev_) revert InvalidRipcord();
        if (slippageCapBps_ == 0 || slippageCapBps_ > MAX_SLIPPAGE_CAP_BPS) revert InvalidSlippageCap();
        if (mintFeeBps_ > MAX_FEE_BPS || redeemFeeBps_ > MAX_FEE_BPS) revert InvalidFee();
        if (fallbackInterval_ < MIN_FALLBACK_INTERVAL) revert InvalidFallback();
        if (keeperFee_ == 0) revert InvalidKeeperFee();
    }

    /// @dev Standing approvals: the pool pulls swap inputs, the reserve pulls repayments and fees.
    function _approveMarket(address reserve_) private {
        address base_ = IReservePool(reserve_).base();
        address quote_ = IReservePool(reserve_).quote();
        address pool_ = IReservePool(reserve_).pool();
        TokenTransfer.approveMax(base_, pool_);
        TokenTransfer.approveMax(quote_, pool_);
        TokenTransfer.approveMax(base_, reserve_);
        TokenTransfer.approveMax(quote_, reserve_);
    }

    // ------------------------------------------------------------------ ERC-20 (locked like every entry point)

    /// @notice ERC-20 transfer.
    function transfer(address to, uint256 amount) public override nonReentrant returns (bool) {
        return super.transfer(to, amount);
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) public override nonReentrant returns (bool) {
        return super.approve(spender, amount);
    }

    /// @notice ERC-20 transferFrom.
    function transferFrom(address from, address to, uint256 amount) public override nonReentrant returns (bool) {
        return super.transferFrom(from, to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice The series' debt to the reserve (QUOTE for a long, BASE for a short).
    function debt() public view returns (uint256) {
        return IReservePool(reserve).debtOf(address(this));
    }

    /// @notice V at the oracle price, in QUOTE (signed). Reverts on a stale price.
    function value() external view returns (int256) {
        return _value(_price());
    }

    /// @notice E at the oracle price, in QUOTE. Reverts on a stale price.
    function exposure() external view returns (uint256) {
        return SeriesMath.exposure(isLong, baseHeld, debt(), _price());
    }

    /// @notice L = E / V (WAD) at the oracle price; SeriesInsolvent() when V <= 0.
    function leverage() external view returns (uint256) {
        uint256 p = _price();
        int256 v = _value(p);
        if (v <= 0) revert SeriesInsolvent();
        return _leverageAt(p, uint256(v));
    }

    /// @notice NAV per token (WAD QUOTE) at the oracle price; 0 for an empty or insolvent series.
    function navPerToken() external view returns (uint256) {
        return _nav(_value(_price()));
    }

    // ------------------------------------------------------------------ mint / redeem

    /// @notice Mint tokens for `quoteIn` QUOTE (pulled): the fee goes to the reserve, the rest scales
    ///         the position pro rata (target shape on the first mint) and shares are priced on the
    ///         realised value increase, so the minter pays the swap cost.
    /// @dev Reverts ZeroAmount, stale/zero price, SeriesInsolvent (S > 0, V <= 0), the reserve's
    ///      InsufficientLiquidity, the pool's InsufficientOutput, ZeroShares, InsufficientShares.
    function mint(uint256 quoteIn, uint256 minShares) external nonReentrant returns (uint256 shares) {
        if (quoteIn == 0) revert ZeroAmount();
        uint256 p = _price();
        // Fee charged: rounds up, in favour of the reserve.
        uint256 fee = quoteIn.mulDivUp(mintFeeBps, BPS);
        uint256 net = quoteIn - fee;
        TokenTransfer.pullFromSender(quote, quoteIn);
        if (fee > 0) IReservePool(reserve).depositFee(fee);

        uint256 supply = totalSupply;
        int256 v0 = _value(p);
        if (supply > 0 && v0 <= 0) revert SeriesInsolvent();
        quoteHeld += net;
        if (supply == 0) _scaleBootstrap(net, p);
        else _scaleProRata(net, uint256(v0), p);

        int256 dv = _value(p) - v0;
        if (dv <= 0) revert ZeroShares();
        // Shares issued: round down, in favour of the existing holders.
        shares = supply == 0 ? uint256(dv) : supply.mulDivDown(uint256(dv), uint256(v0));
        if (shares == 0) revert ZeroShares();
        if (shares < minShares) revert InsufficientShares(shares, minShares);
        _mint(msg.sender, shares);
        emit Minted(msg.sender, quoteIn, fee, shares);
    }

    /// @notice Redeem `shares` for QUOTE: unwinds the fraction shares/S of the holdings and the debt,
    ///         repays the reserve, takes the redeem fee and pays the rest out.
    /// @dev Reverts ZeroAmount, InsufficientBalance, stale/zero price, the pool's errors,
    ///      SeriesInsolvent (the slice cannot cover its debt), InsufficientOutput(quoteOut, min).
    function redeem(uint256 shares, uint256 minQuoteOut) external nonReentrant returns (uint256 quoteOut) {
        if (shares == 0) revert ZeroAmount();
        uint256 bal = balanceOf[msg.sender];
        if (bal < shares) revert InsufficientBalance(bal, shares);
        uint256 p = _price();
        uint256 supply = totalSupply;
        uint256 d = debt();
        // Holdings paid out round down; the debt slice owed rounds up (capped at the debt).
        uint256 db = baseHeld.mulDivDown(shares, supply);
        uint256 dq = quoteHeld.mulDivDown(shares, supply);
        uint256 dd = FixedPointMath.min(d.mulDivUp(shares, supply), d);

        uint256 gross;
        if (isLong) {
            uint256 cash = dq + _sellBase(db, p);
            if (cash < dd) revert SeriesInsolvent();
            _repay(dd);
            gross = cash - dd;
        } else {
            gross = dq;
            if (db > dd) {
                gross += _sellBase(db - dd, p);
            } else if (dd > db) {
                uint256 spent = _buyBaseExact(dd - db, p);
                if (gross < spent) revert SeriesInsolvent();
                gross -= spent;
            }
            _repay(dd);
        }
        // Fee charged: rounds up, in favour of the reserve.
        uint256 fee = gross.mulDivUp(redeemFeeBps, BPS);
        quoteOut = gross - fee;
        if (quoteOut < minQuoteOut) revert InsufficientOutput(quoteOut, minQuoteOut);
        quoteHeld -= gross;
        _burn(msg.sender, shares);
        if (fee > 0) IReservePool(reserve).depositFee(fee);
        TokenTransfer.push(quote, msg.sender, quoteOut);
        emit Redeemed(msg.sender, shares, quoteOut, fee);
    }

    // ------------------------------------------------------------------ rebalancing

    /// @notice Trade back to the target leverage through the pool (permissionless: keepers).
    ///         Allowed only out of band or when the fallback interval has passed, with the reserve
    ///         at/above its floor and a fresh oracle; pays the caller its entitled keeper fee
    ///         (min(keeperFee, 1 % of the trade's oracle notional)) from the reserve's idle QUOTE.
    /// @dev Reverts stale/zero price, EmptySeries, SeriesInsolvent, BelowFloor, NotTriggered,
    ///      NothingToRebalance (the trade is skipped), the pool's errors and the reserve's loan errors.
    function rebalance() external nonReentrant {
        uint256 p = _price();
        (int256 v, uint256 lev) = _solventState(p);
        uint256 equity = IReservePool(reserve).equityQuote();
        uint256 floor_ = IReservePool(reserve).floorQuote();
        if (equity < floor_) revert BelowFloor(equity, floor_);
        // Out of band -> Band; in band -> Fallback if due, else not triggered.
        Trigger trigger = Trigger.Band;
        if (lev >= minLev && lev <= maxLev) {
            if (block.timestamp < lastRebalance + fallbackInterval) revert NotTriggered(lev);
            trigger = Trigger.Fallback;
        }
        _restore(trigger, p, v, lev);
    }

    /// @notice Delever to the target when leverage exceeds the ripcord level (permissionless). Open even
    ///         below the reserve floor; pays no keeper fee.
    /// @dev Reverts stale/zero price, EmptySeries, SeriesInsolvent, NotAboveRipcord(L), NothingToRebalance,
    ///      the pool's errors.
    function ripcord() external nonReentrant {
        uint256 p = _price();
        (int256 v, uint256 lev) = _solventState(p);
        if (lev <= ripcordLev) revert NotAboveRipcord(lev);
        _restore(Trigger.Ripcord, p, v, lev);
    }

    /// @notice Hand an insolvent series' assets to the reserve, which writes its debt off as bad debt
    ///         (permissionless). Reverts NotInsolvent() unless V <= 0 with debt outstanding.
    function settleInsolvency() external nonReentrant {
        uint256 p = _price();
        if (_value(p) > 0 || debt() == 0) revert NotInsolvent();
        uint256 b = baseHeld;
        uint256 q = quoteHeld;
        baseHeld = 0;
        quoteHeld = 0;
        IReservePool(reserve).absorbBadDebt(b, q);
        emit InsolvencySettled(b, q);
    }

    // ------------------------------------------------------------------ internals: position changes

    /// @dev First mint: open the target shape. Long borrows net(T - 1) QUOTE and buys BASE with
    ///      everything; short borrows netT/P BASE and sells it. A dust trade (oracle minimum 0) is skipped
    ///      together with its borrow.
    function _scaleBootstrap(uint256 net, uint256 p) private {
        if (isLong) {
            // Borrowed by the series: rounds down (never borrows beyond the target).
            uint256 borrowQ = net.mulDivDown(targetLev - WAD, WAD);
            if (_minOutQuoteToBase(net + borrowQ, p) == 0) return;
            _borrow(borrowQ);
            _sellQuote(net + borrowQ, p);
        } else {
            // Borrowed BASE: both steps round down (never beyond the target).
            uint256 borrowB = net.mulDivDown(targetLev, WAD).mulDivDown(WAD, p);
            if (_minOutBaseToQuote(borrowB, p) == 0) return;
            _borrow(borrowB);
            _sellBase(borrowB, p);
        }
    }

    /// @dev Later mints: scale b, q and d by net/V0 (slices round down). A dust trade is skipped
    ///      together with its borrow.
    function _scaleProRata(uint256 net, uint256 v0, uint256 p) private {
        uint256 d = debt();
        uint256 dd = d.mulDivDown(net, v0);
        if (isLong) {
            uint256 dq = (quoteHeld - net).mulDivDown(net, v0);
            if (net + dd <= dq) {
                _borrow(dd);
                return;
            }
            uint256 spend = net + dd - dq;
            if (_minOutQuoteToBase(spend, p) == 0) return;
            _borrow(dd);
            _sellQuote(spend, p);
        } else {
            uint256 db = baseHeld.mulDivDown(net, v0);
            if (dd <= db) {
                _borrow(dd);
                return;
            }
            if (_minOutBaseToQuote(dd - db, p) == 0) return;
            _borrow(dd);
            _sellBase(dd - db, p);
        }
    }

    /// @dev Trade to E* = T V, record lastRebalance, pay the keeper its entitled fee (not on a ripcord)
    ///      and emit Rebalanced (SPEC rebalance steps 5-7). A skipped trade moved no BASE: no work, so
    ///      the call reverts and nothing is paid.
    function _restore(Trigger trigger, uint256 p, int256 v, uint256 lev) private {
        uint256 navBefore = _nav(v);
        (bool increase, uint256 baseAmount, uint256 quoteAmount) = _tradeToTarget(p, v);
        if (baseAmount == 0) revert NothingToRebalance();
        lastRebalance = block.timestamp;
        // Only a keeper-triggered rebalance pays the keeper; the ripcord pays nothing.
        if (trigger != Trigger.Ripcord) IReservePool(reserve).payKeeper(msg.sender, _keeperFeeEntitled(baseAmount, p));
        int256 vAfter = _value(p);
        uint256 levAfter = vAfter > 0 ? _leverageAt(p, uint256(vAfter)) : 0;
        emit Rebalanced(trigger, increase, baseAmount, quoteAmount, lev, levAfter, navBefore, _nav(vAfter));
    }

    /// @dev The trades of SPEC rebalance step 5; a dust trade (oracle minimum 0) is skipped with its borrow.
    function _tradeToTarget(uint256 p, int256 v)
        private
        returns (bool increase, uint256 baseAmount, uint256 quoteAmount)
    {
        uint256 d = debt();
        uint256 e = SeriesMath.exposure(isLong, baseHeld, d, p);
        // Target exposure: rounds down.
        uint256 eStar = targetLev.mulDivDown(uint256(v), WAD);
        increase = eStar > e;
        if (increase) {
            if (isLong) {
                quoteAmount = eStar - e;
                if (_minOutQuoteToBase(quoteAmount, p) == 0) return (true, 0, 0);
                _borrow(quoteAmount);
                baseAmount = _sellQuote(quoteAmount, p);
            } else {
                // BASE to borrow and sell: rounds down (never overshoots the target).
                baseAmount = (eStar - e).mulDivDown(WAD, p);
                if (_minOutBaseToQuote(baseAmount, p) == 0) return (true, 0, 0);
                _borrow(baseAmount);
                quoteAmount = _sellBase(baseAmount, p);
            }
        } else if (eStar < e) {
            // BASE to sell or buy back: rounds down (never overshoots the target).
            baseAmount = (e - eStar).mulDivDown(WAD, p);
            if (isLong) {
                quoteAmount = _sellBase(baseAmount, p);
                if (quoteAmount == 0) return (false, 0, 0);
                _repay(FixedPointMath.min(quoteAmount, d));
            } else {
                baseAmount = FixedPointMath.min(baseAmount, d);
                quoteAmount = _buyBaseExact(baseAmount, p);
                _repay(baseAmount);
            }
        }
    }

    function _borrow(uint256 amount) private {
        if (amount == 0) return;
        if (isLong) quoteHeld += amount;
        else baseHeld += amount;
        IReservePool(reserve).borrow(amount);
    }

    function _repay(uint256 amount) private {
        if (amount == 0) return;
        if (isLong) quoteHeld -= amount;
        else baseHeld -= amount;
        IReservePool(reserve).repay(amount);
    }

    /// @dev Sell exactly `amountIn` BASE for QUOTE with the oracle minimum; a dust sale (minimum 0) is skipped.
    function _sellBase(uint256 amountIn, uint256 p) private returns (uint256 out) {
        uint256 minOut = _minOutBaseToQuote(amountIn, p);
        if (minOut == 0) return 0;
        baseHeld -= amountIn;
        out = ISpotPool(pool).swapExactIn(base, amountIn, minOut, address(this));
        quoteHeld += out;
    }

    /// @dev Sell exactly `amountIn` QUOTE for BASE with the oracle minimum; a dust sale (minimum 0) is skipped.
    function _sellQuote(uint256 amountIn, uint256 p) private returns (uint256 out) {
        uint256 minOut = _minOutQuoteToBase(amountIn, p);
        if (minOut == 0) return 0;
        quoteHeld -= amountIn;
        out = ISpotPool(pool).swapExactIn(quote, amountIn, minOut, address(this));
        baseHeld += out;
    }

    /// @dev Buy exactly `amountOut` BASE with QUOTE, paying at most the oracle maximum.
    function _buyBaseExact(uint256 amountOut, uint256 p) private returns (uint256 spent) {
        if (amountOut == 0) return 0;
        // Maximum input charged: both steps round up (the cap is never tighter than stated).
        uint256 maxIn = amountOut.mulDivUp(p, WAD).mulDivUp(BPS + slippageCapBps, BPS);
        spent = ISpotPool(pool).swapExactOut(quote, amountOut, maxIn, address(this));
        if (spent > quoteHeld) revert SeriesInsolvent();
        quoteHeld -= spent;
        baseHeld += amountOut;
    }

    /// @dev min(keeperFee, 1 % of the BASE moved at the oracle price): both steps round down (a payment).
    ///      The BASE amount, not the pool's QUOTE amount, which a sandwich of the rebalance can inflate.
    function _keeperFeeEntitled(uint256 baseAmount, uint256 p) private view returns (uint256) {
        return FixedPointMath.min(keeperFee, baseAmount.mulDivDown(p, WAD).mulDivDown(KEEPER_FEE_MAX_BPS, BPS));
    }

    // ------------------------------------------------------------------ internals: valuation

    function _price() private view returns (uint256) {
        return IPriceOracle(oracle).price();
    }

    function _value(uint256 p) private view returns (int256) {
        return SeriesMath.value(isLong, baseHeld, quoteHeld, debt(), p);
    }

    /// @dev NAV per token: rounds down (never overstates what a token is worth).
    function _nav(int256 v) private view returns (uint256) {
        uint256 supply = totalSupply;
        if (supply == 0 || v <= 0) return 0;
        return uint256(v).mulDivDown(WAD, supply);
    }

    /// @dev (V, L) for rebalance/ripcord: EmptySeries when S == 0, SeriesInsolvent when V <= 0.
    function _solventState(uint256 p) private view returns (int256 v, uint256 lev) {
        if (totalSupply == 0) revert EmptySeries();
        v = _value(p);
        if (v <= 0) revert SeriesInsolvent();
        lev = _leverageAt(p, uint256(v));
    }

    /// @dev L at price p for a known positive V.
    function _leverageAt(uint256 p, uint256 v) private view returns (uint256) {
        return SeriesMath.leverage(SeriesMath.exposure(isLong, baseHeld, debt(), p), v);
    }

    /// @dev Oracle-implied minimum for selling BASE: both steps round down (the minimum is never overstated).
    function _minOutBaseToQuote(uint256 amountIn, uint256 p) private view returns (uint256) {
        return amountIn.mulDivDown(p, WAD).mulDivDown(BPS - slippageCapBps, BPS);
    }

    /// @dev Oracle-implied minimum for selling QUOTE: both steps round down.
    function _minOutQuoteToBase(uint256 amountIn, uint256 p) private view returns (uint256) {
        return amountIn.mulDivDown(WAD, p).mulDivDown(BPS - slippageCapBps, BPS);
    }
}
