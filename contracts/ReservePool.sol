// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "./FixedPointMath.sol";
import {IPriceOracle, IReservePool, ISpotPool, ILeveragedSeries} from "./Interfaces.sol";
import {ReentrancyLock} from "./ReentrancyLock.sol";
import {SeriesMath} from "./SeriesMath.sol";
import {TokenTransfer} from "./TokenTransfer.sol";

/// @title ReservePool
/// @notice One per BASE market, shared by all its series: lends QUOTE to long series and BASE to
///         short series, pays keepers, receives fees and injections, absorbs bad debt and publishes
///         its health. SPEC.md "ReservePool".
contract ReservePool is IReservePool, ReentrancyLock {
    using FixedPointMath for uint256;

    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    /// @notice Minimum spacing of health checkpoints.
    uint256 public constant CHECKPOINT_INTERVAL = 3600;

    /// @notice floorBps above 100%.
    error InvalidFloor();
    /// @notice Only the admin may register series.
    error NotAdmin();
    /// @notice The series is already registered.
    error AlreadyRegistered();
    /// @notice The series was built for another reserve.
    error SeriesMismatch();
    /// @notice Only a registered series may call.
    error NotSeries();
    /// @notice Not enough idle liquidity of the asset asked for.
    error InsufficientLiquidity(uint256 amount, uint256 idle);
    /// @notice A repayment above the series' debt.
    error RepayExceedsDebt(uint256 amount, uint256 debt);
    /// @notice A periodic action called before `nextAllowed`.
    error TooEarly(uint256 nextAllowed);
    /// @notice An injection of nothing.
    error ZeroAmount();
    /// @notice A zero address among the constructor arguments.
    error ZeroAddress();

    event SeriesRegistered(address indexed series, bool isLong, uint256 keeperFee);
    event Borrowed(address indexed series, uint256 amount);
    event Repaid(address indexed series, uint256 amount);
    event FeeReceived(address indexed series, uint256 amount);
    event KeeperPaid(address indexed series, address indexed keeper, uint256 amount);
    event BadDebtRecognized(address indexed series, uint256 shortfall);
    event FeesAllocated(uint256 baseAmount, uint256 quoteAmount);
    event Injected(address indexed from, uint256 baseAmount, uint256 quoteAmount);
    event HealthCheckpoint(uint256 equityBase, uint256 floorBase, uint256 utilizationWad, uint256 bufferDepth);

    address public immutable base;
    address public immutable quote;
    address public immutable oracle;
    address public immutable pool;
    /// @notice Floor ratio in bps of the total positive value of all series.
    uint256 public immutable floorBps;
    /// @notice Minimum spacing of allocateFees() calls, in seconds.
    uint256 public immutable feePeriod;
    address public immutable admin;

    uint256 public idleBase;
    uint256 public idleQuote;
    mapping(address => uint256) public debtOf;
    address[] public series;
    mapping(address => bool) public isSeries;
    mapping(address => bool) public seriesIsLong;
    /// @notice The largest keeper fee of any registered series (buffer depth's unit).
    uint256 public maxKeeperFee;
    uint256 public lastAllocation;
    uint256 public lastCheckpoint;

    // Cumulative counters: the only flows that move the reserve.
    uint256 public feesReceived;
    uint256 public allocatedBase;
    uint256 public allocatedQuote;
    uint256 public injectedBase;
    uint256 public injectedQuote;
    uint256 public keeperPaid;
    uint256 public badDebt;

    constructor(
        address base_,
        address quote_,
        address oracle_,
        address pool_,
        uint256 floorBps_,
        uint256 feePeriod_,
        address admin_
    ) {
        if (
            base_ == address(0) || quote_ == address(0) || oracle_ == address(0) || pool_ == address(0)
                || admin_ == address(0)
        ) revert ZeroAddress();
        if (floorBps_ > BPS) revert InvalidFloor();
        base = base_;
        quote = quote_;
        oracle = oracle_;
        pool = pool_;
        floorBps = floorBps_;
        feePeriod = feePeriod_;
        admin = admin_;
    }

    modifier onlySeries() {
        if (!isSeries[msg.sender]) revert NotSeries();
        _;
    }

    // ------------------------------------------------------------------ series management

    /// @notice Register a series built for this reserve. Only the admin (NotAdmin); once
    ///         (AlreadyRegistered); its `reserve()` must be this contract (SeriesMismatch).
    function registerSeries(address s) external nonReentrant {
        if (msg.sender != admin) revert NotAdmin();
        if (isSeries[s]) revert AlreadyRegistered();
        if (ILeveragedSeries(s).reserve() != address(this)) revert SeriesMismatch();
        bool long = ILeveragedSeries(s).isLong();
        uint256 fee = ILeveragedSeries(s).keeperFee();
        isSeries[s] = true;
        seriesIsLong[s] = long;
        series.push(s);
        if (fee > maxKeeperFee) maxKeeperFee = fee;
        emit SeriesRegistered(s, long, fee);
    }

    /// @notice Number of registered series.
    function seriesCount() external view returns (uint256) {
        return series.length;
    }

    // ------------------------------------------------------------------ lending

    /// @notice Lend `amount` of the caller's debt asset (QUOTE to a long, BASE to a short).
    ///         Only a series (NotSeries); reverts InsufficientLiquidity(amount, idle).
    function borrow(uint256 amount) external nonReentrant onlySeries {
        bool long = seriesIsLong[msg.sender];
        uint256 idle = long ? idleQuote : idleBase;
        if (amount > idle) revert InsufficientLiquidity(amount, idle);
        if (long) idleQuote = idle - amount;
        else idleBase = idle - amount;
        debtOf[msg.sender] += amount;
        TokenTransfer.push(long ? quote : base, msg.sender, amount);
        emit Borrowed(msg.sender, amount);
    }

    /// @notice Repay `amount` of the caller's debt (pulled). Only a series; RepayExceedsDebt(amount, debt).
    function repay(uint256 amount) external nonReentrant onlySeries {
        uint256 owed = debtOf[msg.sender];
        if (amount > owed) revert RepayExceedsDebt(amount, owed);
        bool long = seriesIsLong[msg.sender];
        debtOf[msg.sender] = owed - amount;
        if (long) idleQuote += amount;
        else idleBase += amount;
        TokenTransfer.pullFromSender(long ? quote : base, amount);
        emit Repaid(msg.sender, amount);
    }

    /// @notice Receive a mint or redeem fee in QUOTE (pulled). Only a series.
    function depositFee(uint256 amount) external nonReentrant onlySeries {
        idleQuote += amount;
        feesReceived += amount;
        TokenTransfer.pullFromSender(quote, amount);
        emit FeeReceived(msg.sender, amount);
    }

    /// @notice Pay a rebalance keeper up to `amount` QUOTE: what the reserve holds idle, never more.
    ///         Only a series. Never reverts for lack of funds (the shortfall is forfeited, not owed), so
    ///         no rebalance is blocked by the reserve's inability to pay its keeper. Nothing moves and
    ///         nothing is emitted when it pays 0.
    /// @return paid min(amount, idleQuote).
    function payKeeper(address keeper, uint256 amount) external nonReentrant onlySeries returns (uint256 paid) {
        uint256 idle = idleQuote;
        paid = FixedPointMath.min(amount, idle);
        if (paid == 0) return 0;
        idleQuote = idle - paid;
        keeperPaid += paid;
        TokenTransfer.push(quote, keeper, paid);
        emit KeeperPaid(msg.sender, keeper, paid);
    }

    /// @notice Take over an insolvent series' remaining assets (pulled) and write its debt off,
    ///         recording the shortfall (debt value up minus asset value down, at the mark) as bad debt.
    ///         Only a series. Reverts on a stale price.
    function absorbBadDebt(uint256 baseIn, uint256 quoteIn) external nonReentrant onlySeries {
        uint256 p = IPriceOracle(oracle).price();
        bool long = seriesIsLong[msg.sender];
        uint256 owedQuote = SeriesMath.debtQuote(long, debtOf[msg.sender], p);
        uint256 assets = SeriesMath.assetsQuote(baseIn, quoteIn, p);
        uint256 shortfall = owedQuote > assets ? owedQuote - assets : 0;
        debtOf[msg.sender] = 0;
        idleBase += baseIn;
        idleQuote += quoteIn;
        badDebt += shortfall;
        TokenTransfer.pullFromSender(base, baseIn);
        TokenTransfer.pullFromSender(quote, quoteIn);
        emit BadDebtRecognized(msg.sender, shortfall);
    }

    // ------------------------------------------------------------------ inflows

    /// @notice Move the SpotPool's pending protocol fees into the reserve. Permissionless, at most once
    ///         per `feePeriod` (TooEarly(nextAllowed)); the first call is always allowed.
    function allocateFees() external nonReentrant returns (uint256 baseAmount, uint256 quoteAmount) {
        uint256 last = lastAllocation;
        if (last != 0 && block.timestamp < last + feePeriod) revert TooEarly(last + feePeriod);
        lastAllocation = block.timestamp;
        (baseAmount, quoteAmount) = ISpotPool(pool).collectProtocolFees();
        idleBase += baseAmount;
        idleQuote += quoteAmount;
        allocatedBase += baseAmount;
        allocatedQuote += quoteAmount;
        emit FeesAllocated(baseAmount, quoteAmount);
    }

    /// @notice Add capital (pulled from the caller). Anyone; ZeroAmount() if both amounts are zero.
    function inject(uint256 baseAmount, uint256 quoteAmount) external nonReentrant {
        if (baseAmount == 0 && quoteAmount == 0) revert ZeroAmount();
        idleBase += baseAmount;
        idleQuote += quoteAmount;
        injectedBase += baseAmount;
        injectedQuote += quoteAmount;
        TokenTransfer.pullFromSender(base, baseAmount);
        TokenTransfer.pullFromSender(quote, quoteAmount);
        emit Injected(msg.sender, baseAmount, quoteAmount);
    }

    // ------------------------------------------------------------------ health

    /// @notice Equity in QUOTE at the mark: idle BASE (down) + idle QUOTE + each loan at no more than
    ///         its series can repay. Reverts on a stale price.
    function equityQuote() external view returns (uint256 equity) {
        (equity,,,) = _valuation(IPriceOracle(oracle).price());
    }

    /// @notice The floor in QUOTE: floorBps of the sum of max(V, 0) over all series (rounded up).
    function floorQuote() external view returns (uint256 floor_) {
        (, floor_,,) = _valuation(IPriceOracle(oracle).price());
    }

    /// @notice equityQuote() >= floorQuote().
    function isAboveFloor() external view returns (bool) {
        (uint256 equity, uint256 floor_,,) = _valuation(IPriceOracle(oracle).price());
        return equity >= floor_;
    }

    /// @notice (equityBase, floorBase, utilizationWad, bufferDepth) at the mark; SPEC.md "health()".
    function health()
        public
        view
        returns (uint256 equityBase, uint256 floorBase, uint256 utilizationWad, uint256 bufferDepth)
    {
        uint256 p = IPriceOracle(oracle).price();
        (uint256 equity, uint256 floor_, uint256 lent, uint256 idle) = _valuation(p);
        // Published equity rounds down and the floor up: health is never overstated.
        equityBase = equity.mulDivDown(WAD, p);
        floorBase = floor_.mulDivUp(WAD, p);
        // Informational ratio: rounds down.
        utilizationWad = lent + idle == 0 ? 0 : lent.mulDivDown(WAD, lent + idle);
        // Whole keeper payments covered: rounds down (never promises a payment it cannot fund).
        bufferDepth = (equity > floor_ && maxKeeperFee > 0) ? (equity - floor_) / maxKeeperFee : 0;
    }

    /// @notice Emit HealthCheckpoint with health(). Permissionless, at most once per
    ///         CHECKPOINT_INTERVAL (TooEarly(nextAllowed)); the first call is always allowed.
    function checkpoint() external nonReentrant {
        uint256 last = lastCheckpoint;
        if (last != 0 && block.timestamp < last + CHECKPOINT_INTERVAL) revert TooEarly(last + CHECKPOINT_INTERVAL);
        lastCheckpoint = block.timestamp;
        (uint256 equityBase, uint256 floorBase, uint256 utilizationWad, uint256 bufferDepth) = health();
        emit HealthCheckpoint(equityBase, floorBase, utilizationWad, bufferDepth);
    }

    /// @dev One pass over the series: equity, floor, lent value and idle value, all in QUOTE.
    function _valuation(uint256 p)
        private
        view
        returns (uint256 equity, uint256 floor_, uint256 lent, uint256 idle)
    {
        idle = SeriesMath.assetsQuote(idleBase, idleQuote, p);
        uint256 positiveValue = 0;
        uint256 n = series.length;
        for (uint256 i = 0; i < n; ++i) {
            address s = series[i];
            uint256 assets = SeriesMath.assetsQuote(ILeveragedSeries(s).baseHeld(), ILeveragedSeries(s).quoteHeld(), p);
            uint256 owed = SeriesMath.debtQuote(seriesIsLong[s], debtOf[s], p);
            // A loan counts at no more than its series can repay; V = assets - owed counts when positive.
            if (assets >= owed) {
                lent += owed;
                positiveValue += assets - owed;
            } else {
                lent += assets;
            }
        }
        equity = idle + lent;
        // The floor is charged against the reserve: rounds up.
        floor_ = floorBps.mulDivUp(positiveValue, BPS);
    }
}
