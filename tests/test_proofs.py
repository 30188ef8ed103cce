"""Every proof obligation: proved on the bundled parameters (see test_proofs_cli for the full run),
and refuted, with a counterexample that replays, by a weakened definition or an unsafe parameter set."""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from levcheck.proofs import band, decay, fees, floor
from levcheck.proofs.core import Status
from levcheck.proofs.registry import obligations
from levcheck.proofs.solve import check, replay
from levcheck.specs import formulas as F
from levcheck.specs.arith import BPS, WAD
from levcheck.specs.params import BUNDLED

LONG, SHORT = BUNDLED.series
SIDES = pytest.mark.parametrize("sp", [LONG, SHORT], ids=["long", "short"])


def refuted(ob, timeout_s: float = 20.0):
    """The obligation has a counterexample, and its concrete values replay on its own formulas."""
    res = check(ob, timeout_s=timeout_s)
    assert res.status is Status.COUNTEREXAMPLE, (ob.id, res.status, res.reason, res.values)
    values = {k: Fraction(v) for k, v in res.values.items()}
    if ob.domain.value != "real":
        values = {k: int(v) for k, v in values.items()}
    assert replay(ob, values) == res.failed_goals
    return res


def proved(ob, timeout_s: float = 20.0):
    res = check(ob, timeout_s=timeout_s)
    assert res.status is Status.PROVED, (ob.id, res.status, res.reason, res.values)
    return res


# ---------------------------------------------------------------- weakened definitions (the article's errors, flipped roundings)


def inverted_leverage(ar, e, v):
    return ar.mul_div_down(v, WAD, e)  # V / E: the drift directions come out reversed


def swapped_exit(is_long, lev0, edge):
    return 1 / F.band_exit_ratio(is_long, lev0, edge)  # the article's error: the trigger on the wrong side of the price


def test_obligation_ids_are_unique_and_described():
    obs = obligations(BUNDLED)
    assert len({o.id for o in obs}) == len(obs)
    assert {o.family for o in obs} == {"band", "floor", "fees", "decay", "econ"}
    for o in obs:
        assert o.statement and o.assumptions and o.id.startswith(o.family + ".")


@pytest.mark.parametrize("is_long", [True, False])
def test_drift_refuted_by_inverted_leverage(is_long):
    proved(band.Drift(is_long))
    refuted(band.Drift(is_long).with_formulas(leverage=inverted_leverage))


@pytest.mark.parametrize("is_long", [True, False])
def test_band_exit_refuted_by_the_articles_direction(is_long):
    refuted(band.BandExit(is_long).with_formulas(band_exit_ratio=swapped_exit))


def test_ftx_check_refuted_by_the_articles_direction():
    res = refuted(band.FtxCheck().with_formulas(band_exit_ratio=swapped_exit))
    assert set(res.failed_goals) == {"long ~ -11.15%", "short ~ +6.7%"}


@pytest.mark.parametrize("is_long", [True, False])
def test_liquidation_refuted_by_a_wrong_distance(is_long):
    refuted(band.Liquidation(is_long).with_formulas(liquidation_ratio=lambda il, L: 1 - 1 / (2 * L) if il else 1 + 1 / (2 * L)))


def unsafe(sp):
    """A band too narrow for the slippage cap: a rebalance cannot land inside it."""
    return dataclasses.replace(sp, min_lev=295 * WAD // 100, max_lev=305 * WAD // 100, slippage_cap_bps=1000)


@SIDES
@pytest.mark.parametrize("increase", [True, False], ids=["up", "down"])
def test_restoration_refuted_by_a_band_too_narrow_for_the_cap(sp, increase):
    res = refuted(band.Restoration(unsafe(sp), increase))
    assert "L1 in band" in res.failed_goals
    assert Fraction(res.values["P"]) > 0


def test_short_restoration_down_refuted_by_a_target_of_zero():
    res = refuted(band.Restoration(SHORT, False).with_formulas(target_exposure=lambda ar, T, v: 0 * v))
    assert "L1 in band" in res.failed_goals


def test_restoration_tolerance_is_the_stated_one():
    ob = band.Restoration(LONG, True)
    # the larger branch: lowering exposure from 6x, c*T*(6-T)/(1-c*(6-T)) = 0.09/0.97, + 1e-5 for rounding
    assert ob.tol == 92783505154639175 + 1 + 10**13
    assert f"{ob.tol / WAD:.5f}" in ob.statement


@SIDES
def test_trigger_refuted_when_the_lower_edge_is_forgotten(sp):
    def upper_edge_only(ar, lev, lo, hi, now, last, interval, above, fresh):  # with_formulas replaces names, not
        return ar.and_(ar.or_(ar.gt(lev, hi), F.fallback_due(ar, now, last, interval)), above, fresh)  # callees

    res = refuted(band.Trigger(sp, 3600).with_formulas(rebalance_allowed=upper_edge_only))
    assert res.failed_goals == ["complete"]


@SIDES
def test_trigger_refuted_when_freshness_is_not_required(sp):
    def no_fresh(ar, lev, lo, hi, now, last, interval, above, fresh):
        return F.rebalance_allowed(ar, lev, lo, hi, now, last, interval, above, True)

    assert refuted(band.Trigger(sp, 3600).with_formulas(rebalance_allowed=no_fresh)).failed_goals == ["sound"]


# ---------------------------------------------------------------- reserve floor


def no_floor(ar, lev, lo, hi, now, last, interval, above, fresh):
    return F.rebalance_allowed(ar, lev, lo, hi, now, last, interval, True, fresh)


@SIDES
def test_no_rebalance_below_floor_refuted_without_the_floor_check(sp):
    refuted(floor.NoRebalanceBelowFloor(sp, BUNDLED).with_formulas(rebalance_allowed=no_floor))


@pytest.mark.parametrize("increase", [True, False], ids=["up", "down"])
def test_one_keeper_fee_refuted_by_a_ripcord_too_high_for_the_cap(increase):
    """From 200x (allowed below a 200x ripcord), a 10%-slippage trade costs more than V: the series
    ends insolvent and the reserve eats the shortfall, far beyond one keeper fee."""
    sp = dataclasses.replace(LONG, ripcord_lev=200 * WAD, slippage_cap_bps=1000)
    if increase:
        pytest.skip("raising exposure starts below target: the loss is bounded by c*T*V whatever the ripcord")
    res = refuted(floor.KeeperFeeBelowFloor(sp, BUNDLED, increase))
    assert res.failed_goals == ["equity1 >= floor1 - keeperFee"]


@SIDES
def test_one_keeper_fee_refuted_by_an_overshooting_target(sp):
    """A rebalance aiming at 10x the target with a 10% cap can lose more than V on the trade."""
    sp = dataclasses.replace(sp, slippage_cap_bps=1000)
    over = lambda ar, T, v: ar.mul_div_down(10 * T, v, WAD)  # noqa: E731
    res = refuted(floor.KeeperFeeBelowFloor(sp, BUNDLED, True).with_formulas(target_exposure=over))
    assert res.failed_goals == ["equity1 >= floor1 - keeperFee"]


@SIDES
def test_ripcord_refuted_by_an_off_by_one_level(sp):
    late = lambda ar, lev, R, fresh: ar.and_(ar.ge(lev, R + WAD), fresh)  # noqa: E731
    assert refuted(floor.RipcordBelowFloor(sp, BUNDLED).with_formulas(ripcord_allowed=late)).failed_goals == ["ripcord allowed"]


def double_idle_quote(ar, ib, iq, P, loans):
    return F.reserve_equity_quote(ar, ib, iq, P, loans) + iq


def loans_ignored(ar, ib, iq, P, loans):
    return F.reserve_idle_quote(ar, ib, iq, P)


@pytest.mark.parametrize("action,is_long", [(a, L) for a in floor.ReserveFlow.ACTIONS for L in (True, False)
                                            if L or a in ("borrow", "repay", "absorb_bad_debt")])
def test_reserve_flow_refuted_by_a_wrong_equity(action, is_long):
    weak = loans_ignored if action in ("borrow", "repay") and not is_long else double_idle_quote
    refuted(floor.ReserveFlow(action, is_long).with_formulas(reserve_equity_quote=weak))


# ---------------------------------------------------------------- fees


def trader_favoured_out(ar, amount_in, r_in, r_out, fee_bps):
    net = amount_in - F.fee_up(ar, amount_in, fee_bps)
    return ar.mul_div_up(r_out, net, r_in + net)  # rounding flipped: the pool pays the trader up


def no_plus_one_in(ar, amount_out_, r_in, r_out, fee_bps):
    net = ar.mul_div_down(r_in, amount_out_, r_out - amount_out_)
    return ar.mul_div_down(net, BPS, BPS - fee_bps)


def test_conservation_refuted_by_flipped_pool_rounding():
    assert "k never falls" in refuted(fees.Conservation(BUNDLED, False).with_formulas(amount_out=trader_favoured_out)).failed_goals
    assert "k never falls" in refuted(fees.Conservation(BUNDLED, True).with_formulas(amount_in=no_plus_one_in)).failed_goals


def rebate(ar, amount, fee_bps):
    return 0 - ar.mul_div_down(amount, fee_bps, BPS)  # a fee with its sign flipped


def shares_up(ar, supply, d_value, v0):
    return ar.ite(ar.gt(supply, 0), ar.mul_div_up(supply, ar.max(d_value, 0), ar.max(v0, 1)) + 1, d_value)


def holdings_up(ar, amount, shares, supply):
    return ar.mul_div_up(amount, shares, supply)  # paid out, but rounded up


def debt_forgotten(ar, amount, shares, supply):
    return 0 * amount  # the redeemer leaves its slice of the debt to the others


@SIDES
def test_mint_lemma_refuted_by_shares_rounded_up(sp):
    refuted(fees.MintValueLemma(sp).with_formulas(mint_shares=shares_up))


@SIDES
def test_redeem_lemma_refuted_by_a_wrong_slice(sp):
    weak = dict(pro_rata_down=holdings_up) if sp.is_long else dict(pro_rata_up=debt_forgotten)
    refuted(fees.RedeemValueLemma(sp).with_formulas(**weak))


@SIDES
def test_mint_redeem_composition_needs_both_lemmas(sp):
    from levcheck.proofs.registry import run_proofs

    ob = fees.MintRedeemComposed(sp)
    proved(ob)
    res = check(ob.with_formulas(fee_up=rebate), timeout_s=20)
    assert res.status is Status.COUNTEREXAMPLE  # the composition itself fails with a rebate
    rs = {r.id: r for r in run_proofs(dataclasses.replace(BUNDLED, series=(sp,)), only=ob.id)}
    assert rs[ob.id].status is Status.PROVED


@SIDES
def test_first_mint_then_redeem_refuted_by_a_fee_rebate(sp):
    refuted(fees.MintRedeemNoProfit(sp, True).with_formulas(fee_up=rebate))


@SIDES
def test_others_nav_on_mint_refuted_by_an_extra_share(sp):
    proved(fees.OthersNavMint(sp))  # the composition step holds whatever mint_shares is, given lemma_mint;
    refuted(fees.MintValueLemma(sp).with_formulas(mint_shares=shares_up))  # the lemma is what breaks,
    refuted(fees.OthersNav(sp, "mint").with_formulas(mint_shares=shares_up))  # as does the whole mint, directly


@SIDES
def test_others_nav_on_redeem_refuted_by_a_flipped_rounding(sp):
    weak = dict(pro_rata_down=holdings_up) if sp.is_long else dict(pro_rata_up=debt_forgotten)
    refuted(fees.OthersNav(sp, "redeem").with_formulas(**weak))


@SIDES
@pytest.mark.parametrize("increase", [True, False], ids=["up", "down"])
def test_rebalance_dilution_refuted_without_the_slippage_limits(sp, increase):
    one = lambda ar, amount, price, cap: 1 + 0 * amount  # noqa: E731  (any nonzero fill accepted)
    weak = dict(min_out_base_to_quote=one, min_out_quote_to_base=one,
                max_in_quote_for_base=lambda ar, amount, price, cap: 10**40)
    refuted(fees.RebalanceDilution(sp, increase).with_formulas(**weak))


# ---------------------------------------------------------------- decay


@pytest.mark.parametrize("is_long", [True, False])
def test_decay_refuted_below_one_x(is_long):
    proved(decay.RoundTripDecay(is_long))
    refuted(decay.RoundTripDecay(is_long, lev_min=Fraction(1, 2) if is_long else Fraction(-1, 2)))


def test_obligations_name_the_fuzzers_invariants():
    """The proofs and the fuzzer share one list of invariants (specs/invariants.py): every id an
    obligation claims exists there, and every non-accounting invariant is covered by some obligation."""
    from levcheck.specs.invariants import INVARIANTS

    known = {i.id for i in INVARIANTS}
    claimed = {inv for o in obligations(BUNDLED) for inv in o.invariants}
    assert claimed <= known
    assert {i.id for i in INVARIANTS if i.family != "accounting"} <= claimed


@pytest.mark.parametrize("is_long", [True, False], ids=["long", "short"])
@pytest.mark.parametrize("increase", [True, False], ids=["up", "down"])
def test_restoration_for_any_parameters_refuted_by_a_halved_tolerance(is_long, increase, monkeypatch):
    proved(band.RestorationAnyParams(is_long, increase))
    from levcheck.proofs.position import tolerance_closed_form

    monkeypatch.setattr(band, "tolerance_closed_form", lambda *a: tolerance_closed_form(*a) / 2)
    assert "L1<=T+tol" in refuted(band.RestorationAnyParams(is_long, increase)).failed_goals
