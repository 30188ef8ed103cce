"""LeveragedToken on the EVM (pyrevm): constructor checks, mint/redeem, rebalance triggers, ripcord,
insolvency settlement, the Rebalanced event's values and every named revert."""
from __future__ import annotations

import pytest

from levcheck.chain.deploy import deploy_market, series_ctor_args
from levcheck.chain.evm import open_backend
from levcheck.specs import formulas as F
from levcheck.specs import procedures
from levcheck.specs.arith import BPS, INT, WAD
from levcheck.specs.params import BUNDLED, MarketParams, SeriesParams

from .evm_helpers import reverts

P0 = BUNDLED.initial_price
BAND, FALLBACK, RIPCORD = 0, 1, 2


def events(result, name):
    return [e for e in result.logs if e.name == name]


@pytest.fixture(scope="module")
def world():
    evm = open_backend("pyrevm")
    m = deploy_market(evm)
    alice, bob, keeper = evm.account("alice"), evm.account("bob"), evm.account("keeper")
    for who in (alice, bob):
        m.fund(who, quote=10_000_000 * WAD)
    return m, alice, bob, keeper


@pytest.fixture
def w(world):
    m = world[0]
    snap = m.evm.snapshot()
    yield world
    m.evm.revert(snap)


def reprice(m, price):
    """Move the oracle and the pool together (an arbitrageur follows the mark)."""
    m.move_pool_to(price)
    m.set_price(price)


def state(s):
    return {k: s.call(k) for k in ("baseHeld", "quoteHeld", "debt", "totalSupply", "lastRebalance")}


# ---------------------------------------------------------------------------------------------- constructor


@pytest.mark.parametrize(
    "change, error",
    [
        (dict(min_lev=35 * WAD // 10, max_lev=25 * WAD // 10), "InvalidBand"),  # inverted
        (dict(min_lev=3 * WAD, max_lev=3 * WAD), "InvalidBand"),  # empty
        (dict(target_lev=4 * WAD), "InvalidBand"),  # target above the band
        (dict(target_lev=2 * WAD), "InvalidBand"),  # target below the band
        (dict(min_lev=WAD // 2, target_lev=WAD), "InvalidBand"),  # below 1x
        (dict(ripcord_lev=3 * WAD), "InvalidRipcord"),  # inside the band
        (dict(ripcord_lev=35 * WAD // 10), "InvalidRipcord"),  # at the band edge
        (dict(slippage_cap_bps=0), "InvalidSlippageCap"),
        (dict(slippage_cap_bps=1_001), "InvalidSlippageCap"),
        (dict(mint_fee_bps=501), "InvalidFee"),
        (dict(redeem_fee_bps=501), "InvalidFee"),
        (dict(fallback_interval=3_599), "InvalidFallback"),
        (dict(keeper_fee=0), "InvalidKeeperFee"),
    ],
)
def test_constructor_rejects_unsafe_parameters(w, change, error):
    m = w[0]
    sp = SeriesParams(is_long=True, **change)
    with pytest.raises(Exception):
        sp.validate()  # the Python validator agrees
    reverts(error, m.evm.deploy, m.artifacts["LeveragedToken"], *series_ctor_args(m.reserve.address, sp), sender=m.deployer)


def test_constructor_rejects_a_zero_reserve(w):
    m = w[0]
    args = series_ctor_args("0x" + "0" * 40, SeriesParams(is_long=True))
    reverts("ZeroAddress", m.evm.deploy, m.artifacts["LeveragedToken"], *args, sender=m.deployer)


def test_constructor_records_every_parameter_as_immutable(w):
    m = w[0]
    for s, sp in zip(m.series, m.params.series):
        assert s.call("isLong") == sp.is_long
        assert (s.call("targetLev"), s.call("minLev"), s.call("maxLev"), s.call("ripcordLev")) == (
            sp.target_lev, sp.min_lev, sp.max_lev, sp.ripcord_lev)
        assert (s.call("fallbackInterval"), s.call("slippageCapBps"), s.call("mintFeeBps"), s.call("redeemFeeBps"),
                s.call("keeperFee")) == (sp.fallback_interval, sp.slippage_cap_bps, sp.mint_fee_bps, sp.redeem_fee_bps,
                                         sp.keeper_fee)
        assert (s.call("base"), s.call("quote"), s.call("oracle"), s.call("pool"), s.call("reserve")) == (
            m.base.address, m.quote.address, m.oracle.address, m.pool.address, m.reserve.address)
        assert s.call("decimals") == 18 and s.call("symbol") in ("BASE3L", "BASE3S")
    names = {i["name"] for i in m.artifacts["LeveragedToken"].abi if i["type"] == "function"}
    assert not names & {"setTargetLev", "setMinLev", "setMaxLev", "setKeeperFee", "setSlippageCapBps"}
    # Immutables live in code, not storage: no per-series parameter appears in the storage layout.
    slots = {v["label"] for v in m.artifacts["LeveragedToken"].storage_layout["storage"]}
    assert not slots & {"targetLev", "minLev", "maxLev", "ripcordLev", "keeperFee", "slippageCapBps", "isLong"}


# ---------------------------------------------------------------------------------------------- mint / redeem


@pytest.mark.parametrize("idx", [0, 1], ids=["long", "short"])
def test_first_mint_opens_the_target_shape_and_prices_shares_on_realised_value(w, idx):
    m, alice, _, _ = w
    s = m.series[idx]
    quote_in = 10_000 * WAD
    r = s.transact("mint", quote_in, 0, sender=alice)
    fee = INT.mul_div_up(quote_in, 10, BPS)
    (minted,) = events(r, "Minted")
    assert minted.args["account"] == alice and minted.args["quoteIn"] == quote_in and minted.args["fee"] == fee
    v = s.call("value")
    assert r.value == minted.args["shares"] == v == s.call("totalSupply") == s.call("balanceOf", alice)
    assert v < quote_in - fee  # the minter paid the swap cost, not later holders
    lev = s.call("leverage")
    assert 3 * WAD <= lev < 305 * WAD // 100  # rounding and slippage only push leverage up a little
    assert s.call("navPerToken") == WAD
    assert m.reserve.call("feesReceived") == fee
    # Recorded holdings equal the actual token balances.
    assert s.call("baseHeld") == m.base.call("balanceOf", s.address)
    assert s.call("quoteHeld") == m.quote.call("balanceOf", s.address)


@pytest.mark.parametrize("idx", [0, 1], ids=["long", "short"])
def test_second_mint_scales_pro_rata_without_diluting_the_first_holder(w, idx):
    m, alice, bob, _ = w
    s = m.series[idx]
    s.transact("mint", 10_000 * WAD, 0, sender=alice)
    nav0, lev0 = s.call("navPerToken"), s.call("leverage")
    r = s.transact("mint", 25_000 * WAD, 0, sender=bob)
    assert r.value == s.call("balanceOf", bob) > 0
    assert s.call("navPerToken") >= nav0 - 1  # bob's swap cost is bob's
    # The minter's swap cost comes out of its value but not its exposure: leverage drifts up a little.
    assert lev0 <= s.call("leverage") < min(lev0 + WAD // 10, 35 * WAD // 10)


@pytest.mark.parametrize("idx", [0, 1], ids=["long", "short"])
def test_mint_then_redeem_returns_less_than_was_put_in(w, idx):
    m, alice, _, _ = w
    s = m.series[idx]
    before = m.quote.call("balanceOf", alice)
    shares = s.transact("mint", 20_000 * WAD, 0, sender=alice).value
    r = s.transact("redeem", shares, 0, sender=alice)
    after = m.quote.call("balanceOf", alice)
    assert after < before
    (red,) = events(r, "Redeemed")
    assert red.args == {"account": alice, "shares": shares, "quoteOut": r.value, "fee": red.args["fee"]}
    assert after - (before - 20_000 * WAD) == r.value
    assert red.args["fee"] == INT.mul_div_up(r.value + red.args["fee"], 10, BPS)
    # The last holder out leaves nothing behind.
    assert (s.call("totalSupply"), s.call("baseHeld"), s.call("quoteHeld"), s.call("debt")) == (0, 0, 0, 0)


@pytest.mark.parametrize("idx", [0, 1], ids=["long", "short"])
def test_partial_redeem_unwinds_the_pro_rata_slice(w, idx):
    m, alice, bob, _ = w
    s = m.series[idx]
    s.transact("mint", 10_000 * WAD, 0, sender=alice)
    s.transact("mint", 10_000 * WAD, 0, sender=bob)
    st, supply = state(s), s.call("totalSupply")
    nav = s.call("navPerToken")
    shares = s.call("balanceOf", alice) // 3
    s.transact("redeem", shares, 0, sender=alice)
    after = state(s)
    assert after["baseHeld"] == st["baseHeld"] - INT.mul_div_down(st["baseHeld"], shares, supply)
    assert after["quoteHeld"] == st["quoteHeld"] - INT.mul_div_down(st["quoteHeld"], shares, supply)
    assert after["debt"] == st["debt"] - INT.mul_div_up(st["debt"], shares, supply)
    assert s.call("navPerToken") >= nav - 1  # the redeemer's swap cost stays with the redeemer


def test_mint_and_redeem_reverts(w):
    m, alice, bob, _ = w
    s = m.long
    reverts("ZeroAmount", s.transact, "mint", 0, 0, sender=alice)
    reverts("ZeroShares", s.transact, "mint", 1, 0, sender=alice)  # the fee takes the whole wei
    got, want = reverts("InsufficientShares", s.transact, "mint", 1_000 * WAD, 10**30, sender=alice)
    assert want == 10**30 and 0 < got < 1_000 * WAD
    shares = s.transact("mint", 1_000 * WAD, 0, sender=alice).value
    reverts("ZeroAmount", s.transact, "redeem", 0, 0, sender=alice)
    assert reverts("InsufficientBalance", s.transact, "redeem", 1, 0, sender=bob) == (0, 1)
    assert reverts("InsufficientBalance", s.transact, "redeem", shares + 1, 0, sender=alice) == (shares, shares + 1)
    out, minimum = reverts("InsufficientOutput", s.transact, "redeem", shares, 1_000 * WAD, sender=alice)
    assert minimum == 1_000 * WAD and out < 1_000 * WAD
    # The minter needs the QUOTE and the allowance.
    poor = m.evm.account("poor")
    reverts("InsufficientAllowance", s.transact, "mint", WAD, 0, sender=poor)


def test_mint_that_would_borrow_more_than_the_reserve_holds_idle_reverts(w):
    m, alice, _, _ = w
    idle = m.reserve.call("idleQuote")
    fee = INT.mul_div_up(600_000 * WAD, 10, BPS)  # deposited before the borrow
    amount, have = reverts("InsufficientLiquidity", m.long.transact, "mint", 600_000 * WAD, 0, sender=alice)
    assert have == idle + fee and amount == INT.mul_div_down(600_000 * WAD - fee, 2 * WAD, WAD)


def test_stale_oracle_blocks_mint_redeem_and_rebalance(w):
    m, alice, _, keeper = w
    s = m.long
    shares = s.transact("mint", 1_000 * WAD, 0, sender=alice).value
    updated = m.oracle.call("updatedAt")
    m.evm.set_time(updated + 3_601)
    for args in (("mint", WAD, 0), ("redeem", shares, 0)):
        assert reverts("StalePrice", s.transact, *args, sender=alice)[0] == updated
    reverts("StalePrice", s.transact, "rebalance", sender=keeper)
    reverts("StalePrice", s.transact, "ripcord", sender=keeper)
    reverts("StalePrice", s.call, "navPerToken")


# ---------------------------------------------------------------------------------------------- rebalance


def _mint(m, s, who, amount=20_000 * WAD):
    return s.transact("mint", amount, 0, sender=who).value


def test_rebalance_of_an_empty_series_reverts(w):
    m, _, _, keeper = w
    reverts("EmptySeries", m.long.transact, "rebalance", sender=keeper)
    reverts("EmptySeries", m.short.transact, "ripcord", sender=keeper)


def test_rebalance_in_band_before_the_fallback_is_not_triggered(w):
    m, alice, _, keeper = w
    _mint(m, m.long, alice)
    lev = m.long.call("leverage")
    assert reverts("NotTriggered", m.long.transact, "rebalance", sender=keeper) == (lev,)


def _exit_price(is_long, lev0, lev_edge, nudge):
    """The exact price at which leverage reaches lev_edge from lev0 (formulas.band_exit_ratio), nudged."""
    from fractions import Fraction

    x = F.band_exit_ratio(is_long, Fraction(lev0, WAD), Fraction(lev_edge, WAD))
    return int(P0 * x * (1 + Fraction(nudge)))


def test_band_exit_moves_match_the_corrected_article():
    from fractions import Fraction

    long_x = F.band_exit_ratio(True, Fraction(3), Fraction(7, 2))
    short_x = F.band_exit_ratio(False, Fraction(3), Fraction(7, 2))
    assert round(float(long_x - 1), 4) == -0.0667 and round(float(short_x - 1), 4) == 0.0370


@pytest.mark.parametrize("is_long", [True, False], ids=["long-falls", "short-rises"])
def test_leaving_the_band_in_the_right_direction_triggers_a_band_rebalance(w, is_long):
    """A 3x long goes above 3.5x on a fall of ~6.67%; a 3x short on a rise of ~3.70%."""
    m, alice, _, keeper = w
    s = m.long if is_long else m.short
    _mint(m, s, alice)
    lev0 = s.call("leverage")
    inside = _exit_price(is_long, lev0, 35 * WAD // 10, "0.002" if is_long else "-0.002")
    outside = _exit_price(is_long, lev0, 35 * WAD // 10, "-0.002" if is_long else "0.002")
    assert (outside < P0) == is_long  # the direction the article gets wrong
    assert abs(outside / P0 - 1 - (-0.0667 if is_long else 0.0370)) < 0.004

    snap = m.evm.snapshot()
    reprice(m, inside)
    lev_in = s.call("leverage")
    assert lev0 < lev_in <= 35 * WAD // 10
    reverts("NotTriggered", s.transact, "rebalance", sender=keeper)
    m.evm.revert(snap)

    reprice(m, outside)
    before, lev_before, nav_before = state(s), s.call("leverage"), s.call("navPerToken")
    assert lev_before > 35 * WAD // 10
    keeper_q = m.quote.call("balanceOf", keeper)
    r = s.transact("rebalance", sender=keeper)
    after = state(s)
    (ev,) = events(r, "Rebalanced")
    a = ev.args
    assert (a["trigger"], a["increase"]) == (BAND, False)
    assert (a["levBefore"], a["navBefore"]) == (lev_before, nav_before)
    assert (a["levAfter"], a["navAfter"]) == (s.call("leverage"), s.call("navPerToken"))
    assert abs(a["levAfter"] - 3 * WAD) < WAD // 100 and 25 * WAD // 10 <= a["levAfter"] <= 35 * WAD // 10
    assert a["navAfter"] <= a["navBefore"]  # slippage and fees cost the holders a little
    assert a["navBefore"] - a["navAfter"] < a["navBefore"] // 100
    if is_long:  # sold BASE, repaid QUOTE debt with the proceeds
        assert before["baseHeld"] - after["baseHeld"] == a["baseAmount"] > 0
        assert before["debt"] - after["debt"] == a["quoteAmount"] > 0
    else:  # bought BASE back with QUOTE, repaid BASE debt
        assert before["debt"] - after["debt"] == a["baseAmount"] > 0
        assert before["quoteHeld"] - after["quoteHeld"] == a["quoteAmount"] > 0
    assert after["totalSupply"] == before["totalSupply"]  # balances never change on a rebalance
    assert after["lastRebalance"] == r.timestamp
    # the entitled fee: min(keeperFee, 1 % of the BASE moved at the oracle); a 60k-QUOTE trade earns the cap
    fee = procedures.keeper_fee_entitled(INT, s.call("keeperFee"), procedures.trade_notional(INT, a["baseAmount"], outside))
    assert fee == s.call("keeperFee")
    assert m.quote.call("balanceOf", keeper) - keeper_q == fee == m.reserve.call("keeperPaid")
    (paid,) = events(r, "KeeperPaid")
    assert paid.args == {"series": s.address, "keeper": keeper, "amount": fee}
    assert [e.name for e in r.logs][-1] == "Rebalanced"  # one event, after the keeper payment


@pytest.mark.parametrize("is_long, quote_in", [(True, 1_000), (False, 600)], ids=["long", "short"])
def test_a_rebalance_that_trades_nothing_reverts_and_pays_nothing(w, is_long, quote_in):
    """Issue 12 finding 1: a dust first mint leaves the series at 0x, out of band, with a trade to target
    that is dust. The rebalance reverts NothingToRebalance, however often it is called: no keeper fee."""
    m, alice, _, keeper = w
    s = m.long if is_long else m.short
    _mint(m, s, alice, quote_in)
    assert s.call("leverage") == 0 and s.call("baseHeld") == s.call("debt") == 0
    keeper_q = m.quote.call("balanceOf", keeper)
    for _ in range(3):
        reverts("NothingToRebalance", s.transact, "rebalance", sender=keeper)
    assert m.quote.call("balanceOf", keeper) == keeper_q and m.reserve.call("keeperPaid") == 0


def test_a_small_rebalance_pays_one_percent_of_its_notional(w):
    """The keeper fee scales with the work: a 100-QUOTE long, out of band after a 7% fall, delevers a few
    dozen QUOTE of BASE and earns 1 % of that, not the 5-QUOTE cap."""
    m, alice, _, keeper = w
    s = m.long
    _mint(m, s, alice, 100 * WAD)
    price = P0 * 93 // 100
    reprice(m, price)
    keeper_q = m.quote.call("balanceOf", keeper)
    r = s.transact("rebalance", sender=keeper)
    (ev,) = events(r, "Rebalanced")
    notional = ev.args["baseAmount"] * price // WAD
    fee = notional * procedures.KEEPER_FEE_MAX_BPS // BPS
    assert 0 < fee < s.call("keeperFee")
    assert m.quote.call("balanceOf", keeper) - keeper_q == fee == m.reserve.call("keeperPaid")
    assert events(r, "KeeperPaid")[0].args["amount"] == fee


@pytest.mark.parametrize("is_long", [True, False], ids=["long-rises", "short-falls"])
def test_leaving_the_band_below_triggers_an_increase(w, is_long):
    """A 3x long drops below 2.5x on a rise of ~11.1%; a 3x short on a fall of ~4.76%."""
    m, alice, _, keeper = w
    s = m.long if is_long else m.short
    _mint(m, s, alice)
    price = _exit_price(is_long, s.call("leverage"), 25 * WAD // 10, "0.003" if is_long else "-0.003")
    reprice(m, price)
    before = state(s)
    r = s.transact("rebalance", sender=keeper)
    (ev,) = events(r, "Rebalanced")
    assert (ev.args["trigger"], ev.args["increase"]) == (BAND, True)
    assert ev.args["levBefore"] < 25 * WAD // 10 and abs(ev.args["levAfter"] - 3 * WAD) < WAD // 100
    after = state(s)
    if is_long:  # borrowed QUOTE and bought BASE
        assert after["debt"] - before["debt"] == ev.args["quoteAmount"] > 0
        assert after["baseHeld"] - before["baseHeld"] == ev.args["baseAmount"] > 0
    else:  # borrowed BASE and sold it
        assert after["debt"] - before["debt"] == ev.args["baseAmount"] > 0
        assert after["quoteHeld"] - before["quoteHeld"] == ev.args["quoteAmount"] > 0


@pytest.mark.parametrize("idx", [0, 1], ids=["long", "short"])
def test_fallback_rebalance_after_24h_with_leverage_in_band(w, idx):
    m, alice, _, keeper = w
    s = m.series[idx]
    _mint(m, s, alice)
    reprice(m, P0 * 101 // 100)  # a small move: leverage stays in band
    lev = s.call("leverage")
    assert 25 * WAD // 10 <= lev <= 35 * WAD // 10
    due = s.call("lastRebalance") + 86_400
    m.evm.set_time(due - 2)
    m.set_price(P0 * 101 // 100)  # runs at due - 2
    reverts("NotTriggered", s.transact, "rebalance", sender=keeper)  # runs at due - 1
    r = s.transact("rebalance", sender=keeper)  # runs at due exactly
    (ev,) = events(r, "Rebalanced")
    assert ev.args["trigger"] == FALLBACK and r.timestamp == due
    assert abs(ev.args["levAfter"] - 3 * WAD) < abs(lev - 3 * WAD) + WAD // 1000
    # The fallback clock restarts.
    reverts("NotTriggered", s.transact, "rebalance", sender=keeper)


def test_rebalance_against_a_pool_worse_than_the_slippage_cap_reverts(w):
    m, alice, _, keeper = w
    _mint(m, m.long, alice)
    # The oracle falls 7% (the long leaves its band and must sell BASE) but the pool sits 10% down:
    # it pays ~3% less than the oracle implies, beyond the 1% cap, so the swap and the rebalance fail.
    m.move_pool_to(P0 * 90 // 100)
    m.set_price(P0 * 93 // 100)
    assert m.long.call("leverage") > 35 * WAD // 10
    out, minimum = reverts("InsufficientOutput", m.long.transact, "rebalance", sender=keeper)
    assert out < minimum


# ---------------------------------------------------------------------------------------------- floor and ripcord


def low_leverage_market(evm):
    """A 1.2x long on a thin reserve with a 100% floor: holders' value outgrows the reserve's equity."""
    sp = SeriesParams(is_long=True, target_lev=12 * WAD // 10, min_lev=11 * WAD // 10, max_lev=13 * WAD // 10,
                      ripcord_lev=14 * WAD // 10)
    params = MarketParams(floor_bps=10_000, reserve_base=0, reserve_quote=20_000 * WAD, series=(sp,))
    return deploy_market(evm, params)


def test_rebalance_is_refused_below_the_floor_and_ripcord_stays_open():
    evm = open_backend("pyrevm")
    m = low_leverage_market(evm)
    alice, keeper = evm.account("alice"), evm.account("keeper")
    m.fund(alice, quote=1_000_000 * WAD)
    s = m.series[0]
    s.transact("mint", 100_000 * WAD, 0, sender=alice)
    equity, floor = m.reserve.call("equityQuote"), m.reserve.call("floorQuote")
    assert equity < floor and not m.reserve.call("isAboveFloor")
    assert reverts("BelowFloor", s.transact, "rebalance", sender=keeper) == (equity, floor)
    assert reverts("NotAboveRipcord", s.transact, "ripcord", sender=keeper) == (s.call("leverage"),)

    # A 45% fall takes the 1.2x long past its 1.4x ripcord; the reserve is still below its floor.
    price = P0 * 55 // 100
    reprice(m, price)
    lev = s.call("leverage")
    assert lev > 14 * WAD // 10 and not m.reserve.call("isAboveFloor")
    reverts("BelowFloor", s.transact, "rebalance", sender=keeper)
    nav_before = s.call("navPerToken")
    keeper_q = m.quote.call("balanceOf", keeper)
    r = s.transact("ripcord", sender=keeper)
    (ev,) = events(r, "Rebalanced")
    assert (ev.args["trigger"], ev.args["increase"], ev.args["levBefore"], ev.args["navBefore"]) == (
        RIPCORD, False, lev, nav_before)
    assert ev.args["levAfter"] == s.call("leverage") and abs(ev.args["levAfter"] - 12 * WAD // 10) < WAD // 100
    assert ev.args["baseAmount"] > 0 and ev.args["quoteAmount"] > 0
    assert not events(r, "KeeperPaid") and m.quote.call("balanceOf", keeper) == keeper_q  # no keeper fee
    assert s.call("lastRebalance") == r.timestamp
    reverts("NotAboveRipcord", s.transact, "ripcord", sender=keeper)


def test_ripcord_on_the_bundled_short_after_a_sharp_rise(w):
    m, alice, _, keeper = w
    s = m.short
    _mint(m, s, alice)
    price = _exit_price(False, s.call("leverage"), 45 * WAD // 10, "0.003")  # past 4.5x (~+7.4%)
    reprice(m, price)
    assert s.call("leverage") > 45 * WAD // 10
    r = s.transact("ripcord", sender=keeper)
    (ev,) = events(r, "Rebalanced")
    # Buying BASE back through the pool costs value, so the short lands a little above its target.
    assert ev.args["trigger"] == RIPCORD and 3 * WAD <= ev.args["levAfter"] < 3 * WAD + WAD // 20


# ---------------------------------------------------------------------------------------------- insolvency


def test_insolvent_series_is_settled_into_bad_debt(w):
    m, alice, _, keeper = w
    s = m.long
    _mint(m, s, alice)
    reverts("NotInsolvent", s.transact, "settleInsolvency", sender=keeper)
    price = P0 * 60 // 100  # -40% wipes out a 3x long
    m.set_price(price)
    assert s.call("value") < 0 and s.call("navPerToken") == 0
    reverts("SeriesInsolvent", s.call, "leverage")
    reverts("SeriesInsolvent", s.transact, "rebalance", sender=keeper)
    reverts("SeriesInsolvent", s.transact, "ripcord", sender=keeper)
    reverts("SeriesInsolvent", s.transact, "mint", 1_000 * WAD, 0, sender=alice)
    b, q, d = s.call("baseHeld"), s.call("quoteHeld"), s.call("debt")
    idle_b, idle_q = m.reserve.call("idleBase"), m.reserve.call("idleQuote")
    r = s.transact("settleInsolvency", sender=keeper)
    shortfall = d - (b * price // WAD + q)
    (bad,) = events(r, "BadDebtRecognized")
    assert bad.args == {"series": s.address, "shortfall": shortfall} and shortfall > 0
    assert m.reserve.call("badDebt") == shortfall
    assert (m.reserve.call("idleBase"), m.reserve.call("idleQuote")) == (idle_b + b, idle_q + q)
    assert (s.call("baseHeld"), s.call("quoteHeld"), s.call("debt"), s.call("value")) == (0, 0, 0, 0)
    reverts("NotInsolvent", s.transact, "settleInsolvency", sender=keeper)  # nothing left to settle
    reverts("SeriesInsolvent", s.transact, "mint", 1_000 * WAD, 0, sender=alice)
    assert s.transact("redeem", s.call("balanceOf", alice), 0, sender=alice).value == 0  # worth nothing


# ---------------------------------------------------------------------------------------------- ERC-20 and views


def test_series_token_transfers_and_allowances(w):
    m, alice, bob, _ = w
    s = m.long
    shares = _mint(m, s, alice, 1_000 * WAD)
    r = s.transact("transfer", bob, 10, sender=alice)
    assert r.value is True and events(r, "Transfer")[0].args == {"from": alice, "to": bob, "amount": 10}
    assert reverts("InsufficientBalance", s.transact, "transfer", alice, 11, sender=bob) == (10, 11)
    s.transact("approve", bob, 5, sender=alice)
    assert s.call("allowance", alice, bob) == 5
    assert reverts("InsufficientAllowance", s.transact, "transferFrom", alice, bob, 6, sender=bob) == (5, 6)
    s.transact("transferFrom", alice, bob, 5, sender=bob)
    assert s.call("allowance", alice, bob) == 0
    assert s.call("balanceOf", bob) == 15 and s.call("balanceOf", alice) == shares - 15
    assert s.call("totalSupply") == shares


def test_views_agree_with_the_spec_formulas(w):
    m, alice, _, _ = w
    for s, sp in zip(m.series, m.params.series):
        _mint(m, s, alice, 5_000 * WAD)
        b, q, d, supply = s.call("baseHeld"), s.call("quoteHeld"), s.call("debt"), s.call("totalSupply")
        p = m.oracle.call("price")
        v = F.series_value(INT, sp.is_long, b, q, d, p)
        e = F.exposure(INT, sp.is_long, b, d, p)
        assert s.call("value") == v and s.call("exposure") == e
        assert s.call("leverage") == F.leverage(INT, e, v)
        assert s.call("navPerToken") == F.nav_per_token(INT, v, supply)
        assert d == m.reserve.call("debtOf", s.address)


# ---------------------------------------------------------------------------------------------- backends


def _scenario(evm):
    """Deploy, mint both series, move the market 7% down and rebalance the long: every value observed."""
    m = deploy_market(evm)
    alice, keeper = evm.account("alice"), evm.account("keeper")
    m.fund(alice, quote=100_000 * WAD)
    seen = [m.long.transact("mint", 10_000 * WAD, 0, sender=alice).value,
            m.short.transact("mint", 10_000 * WAD, 0, sender=alice).value]
    reprice(m, P0 * 93 // 100)
    r = m.long.transact("rebalance", sender=keeper)
    seen.append([(e.name, e.args) for e in r.logs])
    seen.append([state(s) for s in m.series] + [m.reserve.call("health")])
    return seen


def test_the_fixture_and_a_rebalance_agree_on_pyrevm_and_web3():
    """Same transactions, same timestamps, same results on revm and on py-evm through web3."""
    fast = _scenario(open_backend("pyrevm"))
    slow = _scenario(open_backend("web3", labels=("alice", "keeper", "arbitrageur")))
    assert fast == slow
