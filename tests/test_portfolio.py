"""The parameter portfolio of `check`'s fuzz stage (specs/portfolio.py, fuzz/shards.py: run_portfolio)
and amounts across the uint256 range (a regression scenario whose products pass 2**256)."""
import dataclasses

from levcheck.chain.build import ROOT
from levcheck.chain.session import replay_scenario
from levcheck.fuzz.api import FuzzConfig
from levcheck.fuzz.shards import run_portfolio, shard_seed
from levcheck.specs.arith import WAD
from levcheck.specs.params import (BUNDLED, MAX_MINT_REDEEM_FEE_BPS, MAX_POOL_FEE_BPS, MIN_FALLBACK_SECONDS,
                                   max_safe_cap_bps)
from levcheck.specs.portfolio import TIGHT_FLOOR, drawn, portfolio
from levcheck.specs.scenario import load


def test_the_portfolio_is_a_function_of_the_seed():
    assert portfolio(11) == portfolio(11)
    assert portfolio(11) != portfolio(12)
    names = [n for n, _ in portfolio(11)]
    assert names == ["bundled", "tight-floor", "drawn-lo", "drawn-hi"]
    assert portfolio(11)[0][1] == BUNDLED and portfolio(11)[1][1] == TIGHT_FLOOR


def test_drawn_sets_are_valid_and_differ_from_the_bundled_set_in_every_field():
    for seed in range(20):
        for edge in ("lo", "hi"):
            p = drawn(seed, edge)
            p.validate()
            p.validate_economics()
            for f in dataclasses.fields(p):
                if f.name in ("series", "checkpoint_interval"):  # the interval is a contract constant
                    continue
                assert getattr(p, f.name) != getattr(BUNDLED, f.name), (seed, edge, f.name)
            for s, b in zip(p.series, BUNDLED.series):
                assert s.is_long == b.is_long and s.mint_fee_bps != s.redeem_fee_bps
                for f in dataclasses.fields(s):
                    if f.name != "is_long":
                        assert getattr(s, f.name) != getattr(b, f.name), (seed, edge, f.name)


def test_between_them_the_drawn_sets_sit_on_every_constructor_limit_of_the_validated_domain():
    lo, hi = drawn(5, "lo"), drawn(5, "hi")
    assert hi.pool_fee_bps == MAX_POOL_FEE_BPS
    assert {lo.protocol_share_bps, hi.protocol_share_bps} == {0, 10_000}
    assert {lo.floor_bps, hi.floor_bps} == {0, 10_000}
    for s in lo.series:
        assert s.min_lev == WAD and s.slippage_cap_bps == 1 and s.fallback_interval == MIN_FALLBACK_SECONDS and s.keeper_fee == 1
        assert (s.mint_fee_bps, s.redeem_fee_bps) == (0, MAX_MINT_REDEEM_FEE_BPS)
    for s in hi.series:
        assert s.ripcord_lev == s.max_lev + 1 and s.slippage_cap_bps == max_safe_cap_bps(hi.pool_fee_bps)
        assert (s.mint_fee_bps, s.redeem_fee_bps) == (MAX_MINT_REDEEM_FEE_BPS, 0)


def test_a_small_portfolio_campaign_exercises_the_floor_and_merges_every_set(tmp_path):
    sets = portfolio(3)
    res = run_portfolio(FuzzConfig(seed=3, profile="dev", examples=32, out_dir=None), sets, params_dir=tmp_path)
    m = res.merged
    assert not res.failed, m.replay.render() if m.replay else m.notes
    assert [u.name for u in res.units] == [n for n, _ in sets]
    assert [u.shard.seed for u in res.units] == [shard_seed(3, i) for i in range(len(sets))] and res.units[0].shard.seed == 3
    assert [u.shard.result.examples for u in res.units] == [8, 8, 8, 8] and m.examples == 32
    assert m.steps == sum(u.shard.result.steps for u in res.units)
    assert m.exercised["floor.no_rebalance_below"] > 0  # the tight-floor set makes the floor bind
    assert m.edges[("floor", "below")] > 0 and m.edges[("floor", "above")] > 0
    for u in res.units:  # each set's parameter file reproduces it alone
        assert u.params_file.is_file() and f"--params {u.params_file}" in u.reproduce and f"--seed {u.shard.seed}" in u.reproduce


def test_huge_amounts_agree_on_both_sides():
    sc = load(ROOT / "tests" / "scenarios" / "huge-amounts-512-bit-muldiv.json")
    swap = next(s for s in sc.steps if s.action == "swap_exact_in")
    # the pool's output mulDivDown(reserveBase, net, reserveQuote + net) multiplies past 2**256
    assert BUNDLED.pool_base * swap.args["amount_in"] * (10_000 - BUNDLED.pool_fee_bps) // 10_000 > 2**256
    res = replay_scenario(sc)
    assert res.status == "passed", res.render()
    outcomes = [r.model.reverted for r in res.steps]
    assert outcomes.count(None) >= 10 and "InsufficientLiquidity" in outcomes


def test_the_rounding_a_leaving_lp_leaves_in_the_pool_is_not_the_other_lps_profit():
    """LP moves are in the campaign's mix now: a removal's outputs round down, and the wei of BASE left
    behind (worth ~2,000 QUOTE wei) raised the deployer's seed LP shares; econ.profit counted that as
    the idle deployer's profit (found by the tight-floor quality budget). It is a gift from the sender."""
    from levcheck.specs.scenario import Scenario, Step

    sc = Scenario(TIGHT_FLOOR, [Step.of("add_liquidity", "trader", base=4 * 10**17, quote=100_000 * WAD, min_shares=0),
                                Step.of("set_price", price=2000099199960320015871),
                                Step.of("remove_liquidity", "trader", shares=17888543819998317571)])
    res = replay_scenario(sc)
    assert res.status == "passed", res.render()
    assert res.steps[-1].model.result == (399999999999999999, 800039679984128006336)  # 1 wei of BASE left behind
