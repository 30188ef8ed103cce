"""ReservePool on the EVM (pyrevm): registration, lending, fees, injections, bad debt, valuation and
the health checkpoint, success and named-revert paths.

The series-only entry points are driven by `ProbeSeries`, a test double compiled in through
`build_contracts(extra_sources=...)`: it stands in for the *caller* (a series), never for the reserve
under test, so repayments above the debt and arbitrary holdings can be exercised directly."""
from __future__ import annotations

import pytest

from levcheck.chain.build import build_contracts
from levcheck.chain.deploy import MAX_UINT, deploy_market
from levcheck.chain.evm import open_backend
from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, WAD
from levcheck.specs.params import BUNDLED

from .evm_helpers import only, reverts

PROBE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Like, IReservePool} from "./Interfaces.sol";

/// Test double of a series: forwards calls to the reserve and reports settable holdings.
contract ProbeSeries {
    address public reserve;
    bool public isLong;
    uint256 public keeperFee;
    uint256 public baseHeld;
    uint256 public quoteHeld;

    constructor(address reserve_, bool isLong_, uint256 keeperFee_, address base_, address quote_) {
        reserve = reserve_;
        isLong = isLong_;
        keeperFee = keeperFee_;
        IERC20Like(base_).approve(reserve_, type(uint256).max);
        IERC20Like(quote_).approve(reserve_, type(uint256).max);
    }

    function setHeld(uint256 b, uint256 q) external { baseHeld = b; quoteHeld = q; }
    function borrow(uint256 a) external { IReservePool(reserve).borrow(a); }
    function repay(uint256 a) external { IReservePool(reserve).repay(a); }
    function depositFee(uint256 a) external { IReservePool(reserve).depositFee(a); }
    function payKeeper(address k, uint256 a) external { IReservePool(reserve).payKeeper(k, a); }
    function absorbBadDebt(uint256 b, uint256 q) external { IReservePool(reserve).absorbBadDebt(b, q); }
}
"""

P0 = BUNDLED.initial_price


@pytest.fixture(scope="module")
def world():
    arts = build_contracts(extra_sources={"contracts/ProbeSeries.sol": PROBE})
    evm = open_backend("pyrevm")
    m = deploy_market(evm, artifacts=arts)
    alice = evm.account("alice")
    m.fund(alice, base=1_000 * WAD, quote=2_000_000 * WAD)
    probes = {}
    for is_long, fee in ((True, 7 * WAD), (False, 3 * WAD)):
        p = evm.deploy(arts["ProbeSeries"], m.reserve.address, is_long, fee, m.base.address, m.quote.address,
                       sender=alice)
        m.reserve.transact("registerSeries", p.address, sender=m.deployer)
        probes[is_long] = p
    return m, alice, probes[True], probes[False]


@pytest.fixture
def w(world):
    snap = world[0].evm.snapshot()
    yield world
    world[0].evm.revert(snap)


def test_constructor_rejects_a_floor_above_100_percent(w):
    m, alice, _, _ = w
    args = (m.base.address, m.quote.address, m.oracle.address, m.pool.address)
    reverts("InvalidFloor", m.evm.deploy, m.artifacts["ReservePool"], *args, 10_001, 86_400, alice, sender=alice)
    for i in range(4):
        bad = list(args)
        bad[i] = "0x" + "0" * 40
        reverts("ZeroAddress", m.evm.deploy, m.artifacts["ReservePool"], *bad, 1_000, 86_400, alice, sender=alice)
    reverts("ZeroAddress", m.evm.deploy, m.artifacts["ReservePool"], *args, 1_000, 86_400, "0x" + "0" * 40,
            sender=alice)
    r = m.evm.deploy(m.artifacts["ReservePool"], *args, 10_000, 86_400, alice, sender=alice)
    assert (r.call("floorBps"), r.call("feePeriod"), r.call("admin"), r.call("oracle")) == (10_000, 86_400, alice,
                                                                                             m.oracle.address)


def test_register_series(w):
    m, alice, long_p, short_p = w
    assert m.reserve.call("seriesCount") == 4
    assert [m.reserve.call("series", i) for i in range(4)] == [*(s.address for s in m.series), long_p.address,
                                                               short_p.address]
    assert m.reserve.call("isSeries", long_p.address) and m.reserve.call("seriesIsLong", long_p.address)
    assert not m.reserve.call("seriesIsLong", short_p.address)
    assert m.reserve.call("maxKeeperFee") == 7 * WAD  # the largest keeper fee registered
    reverts("NotAdmin", m.reserve.transact, "registerSeries", long_p.address, sender=alice)
    reverts("AlreadyRegistered", m.reserve.transact, "registerSeries", m.series[0].address, sender=m.deployer)
    stray = m.evm.deploy(m.artifacts["ProbeSeries"], alice, True, WAD, m.base.address, m.quote.address, sender=alice)
    reverts("SeriesMismatch", m.reserve.transact, "registerSeries", stray.address, sender=m.deployer)
    fresh = m.evm.deploy(m.artifacts["ProbeSeries"], m.reserve.address, False, 9 * WAD, m.base.address,
                         m.quote.address, sender=alice)
    r = m.reserve.transact("registerSeries", fresh.address, sender=m.deployer)
    assert only(r, "SeriesRegistered") == {"series": fresh.address, "isLong": False, "keeperFee": 9 * WAD}
    assert m.reserve.call("maxKeeperFee") == 9 * WAD


def test_series_only_entry_points_refuse_anyone_else(w):
    m, alice, _, _ = w
    for fn, args in (("borrow", (1,)), ("repay", (1,)), ("depositFee", (1,)), ("payKeeper", (alice, 1)),
                     ("absorbBadDebt", (0, 0))):
        reverts("NotSeries", m.reserve.transact, fn, *args, sender=alice)


@pytest.mark.parametrize("is_long", [True, False], ids=["long-borrows-quote", "short-borrows-base"])
def test_borrow_and_repay_move_the_series_debt_asset(w, is_long):
    m, alice, long_p, short_p = w
    p = long_p if is_long else short_p
    asset, idle_name = (m.quote, "idleQuote") if is_long else (m.base, "idleBase")
    idle = m.reserve.call(idle_name)
    assert reverts("InsufficientLiquidity", p.transact, "borrow", idle + 1, sender=alice) == (idle + 1, idle)
    r = p.transact("borrow", 40 * WAD, sender=alice)
    assert only(r, "Borrowed") == {"series": p.address, "amount": 40 * WAD}
    assert m.reserve.call("debtOf", p.address) == 40 * WAD and m.reserve.call(idle_name) == idle - 40 * WAD
    assert asset.call("balanceOf", p.address) == 40 * WAD
    assert reverts("RepayExceedsDebt", p.transact, "repay", 40 * WAD + 1, sender=alice) == (40 * WAD + 1, 40 * WAD)
    r = p.transact("repay", 15 * WAD, sender=alice)
    assert only(r, "Repaid") == {"series": p.address, "amount": 15 * WAD}
    assert m.reserve.call("debtOf", p.address) == 25 * WAD and m.reserve.call(idle_name) == idle - 25 * WAD
    assert asset.call("balanceOf", m.reserve.address) == m.reserve.call(idle_name)


def test_fees_and_keeper_payments(w):
    m, alice, long_p, _ = w
    m.quote.transact("transfer", long_p.address, 100 * WAD, sender=alice)
    idle = m.reserve.call("idleQuote")
    r = long_p.transact("depositFee", 100 * WAD, sender=alice)
    assert only(r, "FeeReceived") == {"series": long_p.address, "amount": 100 * WAD}
    assert m.reserve.call("feesReceived") == 100 * WAD and m.reserve.call("idleQuote") == idle + 100 * WAD
    keeper = m.evm.account("keeper")
    r = long_p.transact("payKeeper", keeper, 5 * WAD, sender=alice)
    assert only(r, "KeeperPaid") == {"series": long_p.address, "keeper": keeper, "amount": 5 * WAD}
    assert m.quote.call("balanceOf", keeper) == 5 * WAD == m.reserve.call("keeperPaid")
    # more than it holds idle: pays what it holds, never reverts (the shortfall is forfeited, not owed)
    idle, paid = m.reserve.call("idleQuote"), m.reserve.call("keeperPaid")
    r = long_p.transact("payKeeper", keeper, idle + 1, sender=alice)
    assert only(r, "KeeperPaid") == {"series": long_p.address, "keeper": keeper, "amount": idle}
    assert m.reserve.call("idleQuote") == 0 and m.reserve.call("keeperPaid") == paid + idle
    assert m.quote.call("balanceOf", keeper) == 5 * WAD + idle
    # with nothing idle it pays 0: no transfer, no event, no revert
    r = long_p.transact("payKeeper", keeper, 5 * WAD, sender=alice)
    assert r.logs == []
    assert m.quote.call("balanceOf", keeper) == 5 * WAD + idle and m.reserve.call("keeperPaid") == paid + idle


def test_absorb_bad_debt_records_the_shortfall(w):
    m, alice, _, short_p = w
    short_p.transact("borrow", 10 * WAD, sender=alice)  # owes 10 BASE
    m.quote.transact("transfer", short_p.address, 15_000 * WAD, sender=alice)
    m.set_price(P0 + 1)  # an odd price makes the debt's rounding visible
    idle_b, idle_q = m.reserve.call("idleBase"), m.reserve.call("idleQuote")
    r = short_p.transact("absorbBadDebt", 2 * WAD, 15_000 * WAD, sender=alice)
    owed = INT.mul_div_up(10 * WAD, P0 + 1, WAD)
    assets = F.assets_quote(INT, 2 * WAD, 15_000 * WAD, P0 + 1)
    assert only(r, "BadDebtRecognized") == {"series": short_p.address, "shortfall": owed - assets}
    assert m.reserve.call("badDebt") == owed - assets
    assert m.reserve.call("debtOf", short_p.address) == 0
    assert (m.reserve.call("idleBase"), m.reserve.call("idleQuote")) == (idle_b + 2 * WAD, idle_q + 15_000 * WAD)


def test_allocate_fees_at_most_once_per_period(w):
    m, alice, _, _ = w
    m.pool.transact("swapExactIn", m.base.address, 5 * WAD, 0, alice, sender=alice)
    m.pool.transact("swapExactIn", m.quote.address, 9_000 * WAD, 0, alice, sender=alice)
    pend = (m.pool.call("pendingFeeBase"), m.pool.call("pendingFeeQuote"))
    assert all(x > 0 for x in pend)
    idle = (m.reserve.call("idleBase"), m.reserve.call("idleQuote"))
    r = m.reserve.transact("allocateFees", sender=alice)  # the first call is always allowed
    assert r.value == pend and only(r, "FeesAllocated") == {"baseAmount": pend[0], "quoteAmount": pend[1]}
    assert (m.reserve.call("idleBase"), m.reserve.call("idleQuote")) == (idle[0] + pend[0], idle[1] + pend[1])
    assert (m.reserve.call("allocatedBase"), m.reserve.call("allocatedQuote")) == pend
    assert m.reserve.call("lastAllocation") == r.timestamp
    assert reverts("TooEarly", m.reserve.transact, "allocateFees", sender=alice) == (r.timestamp + 86_400,)
    m.evm.set_time(r.timestamp + 86_400)
    assert m.reserve.transact("allocateFees", sender=alice).value == (0, 0)


def test_inject(w):
    m, alice, _, _ = w
    reverts("ZeroAmount", m.reserve.transact, "inject", 0, 0, sender=alice)
    ib, iq = m.reserve.call("injectedBase"), m.reserve.call("injectedQuote")
    assert (ib, iq) == (BUNDLED.reserve_base, BUNDLED.reserve_quote)
    r = m.reserve.transact("inject", 0, 123, sender=alice)
    assert only(r, "Injected") == {"from": alice, "baseAmount": 0, "quoteAmount": 123}
    assert not [e for e in r.logs if e.name == "Transfer" and e.args["amount"] == 0]  # zero moves are skipped
    assert (m.reserve.call("injectedBase"), m.reserve.call("injectedQuote")) == (ib, iq + 123)


def expected_health(m, price):
    """equity, floor and health() from specs.formulas over the reserve's recorded state."""
    n = m.reserve.call("seriesCount")
    loans, values, lent = [], [], 0
    for i in range(n):
        s = m.evm.at(m.reserve.call("series", i), m.artifacts["LeveragedToken"])
        is_long = m.reserve.call("seriesIsLong", s.address)
        b, q, d = s.call("baseHeld"), s.call("quoteHeld"), m.reserve.call("debtOf", s.address)
        loans.append(F.loan_value_quote(INT, is_long, b, q, d, price))
        values.append(F.series_value(INT, is_long, b, q, d, price))
    lent = sum(loans)
    idle = F.reserve_idle_quote(INT, m.reserve.call("idleBase"), m.reserve.call("idleQuote"), price)
    equity = F.reserve_equity_quote(INT, m.reserve.call("idleBase"), m.reserve.call("idleQuote"), price, loans)
    floor = F.floor_quote(INT, m.reserve.call("floorBps"), values)
    health = (
        F.quote_to_base_down(INT, equity, price),
        F.quote_to_base_up(INT, floor, price),
        F.utilization_wad(INT, lent, idle),
        F.buffer_depth(INT, equity, floor, m.reserve.call("maxKeeperFee")),
    )
    return equity, floor, health


def test_valuation_counts_each_loan_at_no_more_than_its_series_can_repay(w):
    m, alice, long_p, short_p = w
    m.series[0].transact("mint", 10_000 * WAD, 0, sender=alice)
    m.series[1].transact("mint", 10_000 * WAD, 0, sender=alice)
    long_p.transact("borrow", 50_000 * WAD, sender=alice)
    long_p.transact("setHeld", 10 * WAD, 1_000 * WAD, sender=alice)  # worth 21k against a 50k loan: underwater
    short_p.transact("borrow", 5 * WAD, sender=alice)
    short_p.transact("setHeld", 0, 30_000 * WAD, sender=alice)  # solvent short
    for price in (P0, P0 * 97 // 100 + 7):
        m.set_price(price)
        equity, floor, health = expected_health(m, price)
        assert m.reserve.call("equityQuote") == equity and m.reserve.call("floorQuote") == floor
        assert m.reserve.call("isAboveFloor") == (equity >= floor)
        assert m.reserve.call("health") == health
        assert 0 < health[2] < WAD and health[3] > 0


def test_checkpoint_emits_health_at_most_hourly(w):
    m, alice, _, _ = w
    m.series[0].transact("mint", 10_000 * WAD, 0, sender=alice)
    r = m.reserve.transact("checkpoint", sender=alice)
    _, _, health = expected_health(m, P0)
    assert tuple(only(r, "HealthCheckpoint").values()) == health
    assert reverts("TooEarly", m.reserve.transact, "checkpoint", sender=alice) == (r.timestamp + 3_600,)
    m.evm.set_time(r.timestamp + 3_600)
    m.set_price(P0)  # fresh oracle (runs at +3600)
    r2 = m.reserve.transact("checkpoint", sender=alice)
    assert r2.timestamp == r.timestamp + 3_601 and m.reserve.call("lastCheckpoint") == r2.timestamp


def test_valuations_revert_on_a_stale_price(w):
    m, alice, _, _ = w
    m.evm.set_time(m.oracle.call("updatedAt") + 3_601)
    for view in ("equityQuote", "floorQuote", "isAboveFloor", "health"):
        reverts("StalePrice", m.reserve.call, view)
    reverts("StalePrice", m.reserve.transact, "checkpoint", sender=alice)


def test_health_of_a_reserve_without_series(w):
    m, alice, _, _ = w
    args = (m.base.address, m.quote.address, m.oracle.address, m.pool.address, 1_000, 86_400, alice)
    r = m.evm.deploy(m.artifacts["ReservePool"], *args, sender=alice)
    assert r.call("health") == (0, 0, 0, 0) and r.call("isAboveFloor")
    m.quote.transact("approve", r.address, MAX_UINT, sender=alice)
    r.transact("inject", 0, 4_000 * WAD, sender=alice)
    assert r.call("health") == (2 * WAD, 0, 0, 0)  # no series: no keeper fee to count in
