"""TestToken, PriceOracle and SpotPool on the EVM (pyrevm): every external function, success and
named-revert paths, with swap amounts checked against `specs.formulas`."""
from __future__ import annotations

import math

import pytest

from levcheck.chain.deploy import MAX_UINT, deploy_market
from levcheck.chain.evm import open_backend
from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, WAD
from levcheck.specs.params import BUNDLED

from .evm_helpers import only, reverts

FEE, SHARE = BUNDLED.pool_fee_bps, BUNDLED.protocol_share_bps


@pytest.fixture(scope="module")
def world():
    evm = open_backend("pyrevm")
    m = deploy_market(evm)
    alice, bob = evm.account("alice"), evm.account("bob")
    for who in (alice, bob):
        m.fund(who, base=1_000 * WAD, quote=2_000_000 * WAD)
    return m, alice, bob


@pytest.fixture
def w(world):
    snap = world[0].evm.snapshot()
    yield world
    world[0].evm.revert(snap)


# ---------------------------------------------------------------------------------------------- TestToken


def test_test_token_erc20(w):
    m, alice, bob = w
    t = m.artifacts["TestToken"]
    tok = m.evm.deploy(t, "Tok", "TOK", sender=alice)
    assert (tok.call("name"), tok.call("symbol"), tok.call("decimals"), tok.call("totalSupply")) == ("Tok", "TOK", 18, 0)
    r = tok.transact("mint", alice, 100, sender=bob)  # open mint: test asset
    assert only(r, "Transfer") == {"from": "0x" + "0" * 40, "to": alice, "amount": 100}
    assert tok.call("totalSupply") == 100
    assert tok.transact("transfer", bob, 30, sender=alice).value is True
    assert reverts("InsufficientBalance", tok.transact, "transfer", bob, 71, sender=alice) == (70, 71)
    r = tok.transact("approve", bob, 50, sender=alice)
    assert only(r, "Approval") == {"owner": alice, "spender": bob, "amount": 50}
    assert reverts("InsufficientAllowance", tok.transact, "transferFrom", alice, bob, 51, sender=bob) == (50, 51)
    tok.transact("transferFrom", alice, bob, 20, sender=bob)
    assert tok.call("allowance", alice, bob) == 30
    tok.transact("approve", bob, MAX_UINT, sender=alice)
    tok.transact("transferFrom", alice, bob, 20, sender=bob)
    assert tok.call("allowance", alice, bob) == MAX_UINT  # an infinite allowance is not decremented
    assert reverts("InsufficientBalance", tok.transact, "transferFrom", alice, bob, 31, sender=bob) == (30, 31)
    assert (tok.call("balanceOf", alice), tok.call("balanceOf", bob)) == (30, 70)


# ---------------------------------------------------------------------------------------------- PriceOracle


def test_oracle_set_price_and_freshness(w):
    m, alice, _ = w
    reverts("ZeroAddress", m.evm.deploy, m.artifacts["PriceOracle"], "0x" + "0" * 40, 100, sender=alice)
    o = m.evm.deploy(m.artifacts["PriceOracle"], m.oracle_keeper, 100, sender=alice)
    assert (o.call("keeper"), o.call("maxAge"), o.call("latestPrice")) == (m.oracle_keeper, 100, 0)
    reverts("ZeroPrice", o.call, "price")
    reverts("NotKeeper", o.transact, "setPrice", 5, sender=alice)
    reverts("ZeroPrice", o.transact, "setPrice", 0, sender=m.oracle_keeper)
    r = o.transact("setPrice", 7 * WAD, sender=m.oracle_keeper)
    assert only(r, "PriceUpdated") == {"price": 7 * WAD, "updatedAt": r.timestamp}
    assert (o.call("latestPrice"), o.call("updatedAt"), o.call("price")) == (7 * WAD, r.timestamp, 7 * WAD)
    m.evm.set_time(r.timestamp + 100)
    assert o.call("price") == 7 * WAD  # exactly maxAge old: still fresh
    m.evm.set_time(r.timestamp + 101)
    assert reverts("StalePrice", o.call, "price") == (r.timestamp, r.timestamp + 101)


# ---------------------------------------------------------------------------------------------- SpotPool


def test_pool_constructor_and_fee_recipient(w):
    m, alice, _ = w
    art, b, q = m.artifacts["SpotPool"], m.base.address, m.quote.address
    reverts("InvalidFee", m.evm.deploy, art, b, q, 101, 0, sender=alice)
    reverts("InvalidFee", m.evm.deploy, art, b, q, 30, 10_001, sender=alice)
    reverts("InvalidToken", m.evm.deploy, art, b, b, 30, 0, sender=alice)
    reverts("InvalidToken", m.evm.deploy, art, "0x" + "0" * 40, q, 30, 0, sender=alice)
    pool = m.evm.deploy(art, b, q, 100, 10_000, sender=alice)  # the maxima are allowed
    assert (pool.call("base"), pool.call("quote"), pool.call("feeBps"), pool.call("deployer")) == (b, q, 100, alice)
    reverts("NotDeployer", pool.transact, "setFeeRecipient", alice, sender=m.deployer)
    reverts("ZeroAddress", pool.transact, "setFeeRecipient", "0x" + "0" * 40, sender=alice)
    r = pool.transact("setFeeRecipient", m.deployer, sender=alice)
    assert only(r, "FeeRecipientSet") == {"recipient": m.deployer}
    reverts("AlreadySet", pool.transact, "setFeeRecipient", alice, sender=alice)
    assert m.pool.call("feeRecipient") == m.reserve.address


def test_bundled_pool_is_seeded_at_the_initial_price(w):
    m, _, _ = w
    rb, rq = m.pool.call("reserveBase"), m.pool.call("reserveQuote")
    assert (rb, rq) == (BUNDLED.pool_base, BUNDLED.pool_base * BUNDLED.initial_price // WAD)
    assert m.pool.call("spotPrice") == BUNDLED.initial_price
    assert m.pool.call("totalShares") == math.isqrt(rb * rq) == m.pool.call("sharesOf", m.deployer)


@pytest.mark.parametrize("sell_base", [True, False], ids=["base-in", "quote-in"])
def test_swap_exact_in_matches_the_formula_and_books_the_protocol_fee(w, sell_base):
    m, alice, bob = w
    token_in, token_out = (m.base, m.quote) if sell_base else (m.quote, m.base)
    amount = 3 * WAD if sell_base else 7_000 * WAD
    rb, rq = m.pool.call("reserveBase"), m.pool.call("reserveQuote")
    r_in, r_out = (rb, rq) if sell_base else (rq, rb)
    out = F.amount_out(INT, amount, r_in, r_out, FEE)
    assert m.pool.call("getAmountOut", amount, r_in, r_out) == out
    pfee = F.protocol_fee(INT, F.fee_up(INT, amount, FEE), SHARE)
    reverts("InsufficientOutput", m.pool.transact, "swapExactIn", token_in.address, amount, out + 1, bob, sender=alice)
    bob_out = token_out.call("balanceOf", bob)
    r = m.pool.transact("swapExactIn", token_in.address, amount, out, bob, sender=alice)
    assert r.value == out and token_out.call("balanceOf", bob) - bob_out == out
    assert only(r, "Swap") == {"sender": alice, "tokenIn": token_in.address, "amountIn": amount, "amountOut": out,
                              "protocolFee": pfee}
    new_in = r_in + amount - pfee
    new_out = r_out - out
    assert new_in * new_out >= r_in * r_out  # k never falls
    got = (m.pool.call("reserveBase"), m.pool.call("reserveQuote"))
    assert got == ((new_in, new_out) if sell_base else (new_out, new_in))
    pending = (m.pool.call("pendingFeeBase"), m.pool.call("pendingFeeQuote"))
    assert pending == ((pfee, 0) if sell_base else (0, pfee))
    # The pool's token balances cover reserves plus pending fees exactly.
    assert m.base.call("balanceOf", m.pool.address) == m.pool.call("reserveBase") + m.pool.call("pendingFeeBase")
    assert m.quote.call("balanceOf", m.pool.address) == m.pool.call("reserveQuote") + m.pool.call("pendingFeeQuote")


@pytest.mark.parametrize("buy_base", [True, False], ids=["base-out", "quote-out"])
def test_swap_exact_out_matches_the_formula(w, buy_base):
    m, alice, _ = w
    token_in = m.quote if buy_base else m.base
    token_out = m.base if buy_base else m.quote
    amount_out = 2 * WAD if buy_base else 5_000 * WAD
    rb, rq = m.pool.call("reserveBase"), m.pool.call("reserveQuote")
    r_in, r_out = (rq, rb) if buy_base else (rb, rq)
    need = F.amount_in(INT, amount_out, r_in, r_out, FEE)
    assert m.pool.call("getAmountIn", amount_out, r_in, r_out) == need
    assert reverts("ExcessiveInput", m.pool.transact, "swapExactOut", token_in.address, amount_out, need - 1, alice,
                   sender=alice) == (need, need - 1)
    before = token_out.call("balanceOf", alice), token_in.call("balanceOf", alice)
    r = m.pool.transact("swapExactOut", token_in.address, amount_out, need, alice, sender=alice)
    assert r.value == need
    assert token_out.call("balanceOf", alice) - before[0] == amount_out
    assert before[1] - token_in.call("balanceOf", alice) == need
    pfee = F.protocol_fee(INT, F.fee_up(INT, need, FEE), SHARE)
    assert only(r, "Swap")["protocolFee"] == pfee
    assert (r_in + need - pfee) * (r_out - amount_out) >= r_in * r_out


def test_swap_reverts(w):
    m, alice, _ = w
    b, q = m.base.address, m.quote.address
    reverts("InvalidToken", m.pool.transact, "swapExactIn", m.pool.address, WAD, 0, alice, sender=alice)
    reverts("InvalidToken", m.pool.transact, "swapExactOut", alice, WAD, MAX_UINT, alice, sender=alice)
    reverts("ZeroAmount", m.pool.transact, "swapExactIn", b, 0, 0, alice, sender=alice)
    reverts("ZeroAmount", m.pool.transact, "swapExactOut", q, 0, MAX_UINT, alice, sender=alice)
    assert reverts("InsufficientOutput", m.pool.transact, "swapExactIn", q, 100, 0, alice, sender=alice) == (0, 0)
    rb = m.pool.call("reserveBase")
    reverts("InsufficientLiquidity", m.pool.transact, "swapExactOut", q, rb, MAX_UINT, alice, sender=alice)
    reverts("InsufficientLiquidity", m.pool.call, "getAmountIn", 0, 1, 1)
    assert m.pool.call("getAmountOut", 1, 0, 5) == 0  # nothing reaches an empty curve
    poor = m.evm.account("poor")
    reverts("InsufficientAllowance", m.pool.transact, "swapExactIn", b, WAD, 0, poor, sender=poor)


def test_add_and_remove_liquidity(w):
    m, alice, _ = w
    rb, rq, ts = m.pool.call("reserveBase"), m.pool.call("reserveQuote"), m.pool.call("totalShares")
    base_amt, quote_amt = 10 * WAD, 25_000 * WAD  # more QUOTE than the ratio: the excess stays with the LPs
    want = min(INT.mul_div_down(base_amt, ts, rb), INT.mul_div_down(quote_amt, ts, rq))
    assert reverts("InsufficientShares", m.pool.transact, "addLiquidity", base_amt, quote_amt, want + 1,
                   sender=alice) == (want, want + 1)
    assert reverts("InsufficientShares", m.pool.transact, "addLiquidity", 0, quote_amt, 0, sender=alice) == (0, 0)
    r = m.pool.transact("addLiquidity", base_amt, quote_amt, want, sender=alice)
    assert r.value == want == m.pool.call("sharesOf", alice)
    assert only(r, "LiquidityAdded") == {"provider": alice, "baseAmount": base_amt, "quoteAmount": quote_amt,
                                         "shares": want}
    assert (m.pool.call("reserveBase"), m.pool.call("reserveQuote"), m.pool.call("totalShares")) == (
        rb + base_amt, rq + quote_amt, ts + want)

    rb, rq, ts = m.pool.call("reserveBase"), m.pool.call("reserveQuote"), m.pool.call("totalShares")
    out_b, out_q = INT.mul_div_down(rb, want, ts), INT.mul_div_down(rq, want, ts)
    reverts("ZeroAmount", m.pool.transact, "removeLiquidity", 0, 0, 0, sender=alice)
    assert reverts("InsufficientBalance", m.pool.transact, "removeLiquidity", want + 1, 0, 0, sender=alice) == (
        want, want + 1)
    assert reverts("InsufficientOutput", m.pool.transact, "removeLiquidity", want, out_b + 1, 0, sender=alice) == (
        out_b, out_b + 1)
    assert reverts("InsufficientOutput", m.pool.transact, "removeLiquidity", want, 0, out_q + 1, sender=alice) == (
        out_q, out_q + 1)
    r = m.pool.transact("removeLiquidity", want, out_b, out_q, sender=alice)
    assert r.value == (out_b, out_q)
    assert only(r, "LiquidityRemoved") == {"provider": alice, "baseAmount": out_b, "quoteAmount": out_q, "shares": want}
    assert m.pool.call("sharesOf", alice) == 0 and m.pool.call("totalShares") == ts - want


def test_first_deposit_into_an_empty_pool_mints_sqrt_shares(w):
    m, alice, _ = w
    pool = m.evm.deploy(m.artifacts["SpotPool"], m.base.address, m.quote.address, 30, 2_000, sender=alice)
    m.base.transact("approve", pool.address, MAX_UINT, sender=alice)
    m.quote.transact("approve", pool.address, MAX_UINT, sender=alice)
    r = pool.transact("addLiquidity", 3 * WAD, 7 * WAD, 0, sender=alice)
    assert r.value == math.isqrt(21 * WAD * WAD) == pool.call("totalShares")
    assert pool.call("spotPrice") == 7 * WAD // 3
    # Removing every share empties the curve.
    pool.transact("removeLiquidity", r.value, 0, 0, sender=alice)
    assert (pool.call("reserveBase"), pool.call("reserveQuote"), pool.call("spotPrice")) == (0, 0, 0)


def test_collect_protocol_fees_only_by_the_recipient(w):
    m, alice, _ = w
    m.pool.transact("swapExactIn", m.quote.address, 10_000 * WAD, 0, alice, sender=alice)
    reverts("NotFeeRecipient", m.pool.transact, "collectProtocolFees", sender=alice)
    pending = m.pool.call("pendingFeeQuote")
    assert pending == F.protocol_fee(INT, F.fee_up(INT, 10_000 * WAD, FEE), SHARE) > 0
    r = m.reserve.transact("allocateFees", sender=alice)  # the reserve is the recipient
    assert only(r, "ProtocolFeesCollected") == {"recipient": m.reserve.address, "baseAmount": 0, "quoteAmount": pending}
    assert (m.pool.call("pendingFeeBase"), m.pool.call("pendingFeeQuote")) == (0, 0)
