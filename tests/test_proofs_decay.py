"""Volatility decay of the reference formulas against Avellaneda-Zhang (2010).

Daily rebalancing of a 3x long / short on 2,000 one-year GBM paths (daily prices). Per path the
statistic is log(NAV_model / NAV_AZ) at the horizon, where NAV_AZ = (S_T/S_0)^beta exp(-(beta^2 -
beta)/2 sigma^2 T). A daily-rebalanced NAV is the product of (1 + beta R_i); the continuous form
drops the O(sigma^3 dt^1.5) terms of log(1 + beta R), so the two differ in expectation by a known
discretisation bias, computed independently by Gauss-Hermite quadrature (`discretisation_bias`).
The test asserts the sample mean is within 4 standard errors of that bias (a false alarm rate of
6e-5 for a correct model; the seed is fixed, so the run is deterministic), and that the bias itself
is small next to the decay the formula predicts, so the match is not vacuous.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from levcheck.proofs import decay_sim as D
from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, WAD


@pytest.mark.parametrize("is_long", [True, False], ids=["long", "short"])
@pytest.mark.parametrize("sigma", [0.2, 0.8])
def test_daily_rebalancing_matches_avellaneda_zhang(is_long, sigma):
    c = D.az_check(is_long, sigma=sigma, paths=2_000, seed=11)
    assert c.paths >= 1_990  # (almost) no path wiped out
    assert abs(c.mean_log_ratio - c.bias) <= 4 * c.std_err, c
    decay = (c.beta**2 - c.beta) / 2 * sigma**2  # what A-Z predicts the volatility costs in a year
    assert abs(c.bias) < 0.25 * decay


def test_a_wrong_exponent_is_rejected():
    """The statistic has power: NAV against (S_T/S_0)^beta without the variance term is far off."""
    prices = D.gbm(2_000, 365, 1 / 365, 0.8, 0.0, 11)
    nav, _ = D.simulate(prices, True, 3.0, 86_400, D.DAILY, band=(0.0, 1e9))
    wrong = np.log(nav[:, -1]) - 3.0 * np.log(prices[:, -1] / prices[:, 0])
    assert abs(wrong.mean()) > 20 * wrong.std(ddof=1) / math.sqrt(len(wrong))


def test_float_simulation_agrees_with_the_integer_formulas():
    """The vectorised float arithmetic runs the same formulas as the integer model: one path, compared."""
    prices = D.gbm(1, 30, 1 / 365, 0.5, 0.0, 3)
    nav, _ = D.simulate(prices, True, 3.0, 86_400, D.DAILY, band=(0.0, 1e9))
    p0 = int(prices[0, 0])
    b, q, d = 3 * 1_000 * WAD * WAD // p0, 0, 2 * 1_000 * WAD
    for i in range(1, 31):
        p = int(prices[0, i])
        v = F.series_value(INT, True, b, q, d, p)
        e = F.exposure(INT, True, b, d, p)
        te = F.target_exposure(INT, 3 * WAD, v)
        if te > e:
            b, d = b + (te - e) * WAD // p, d + (te - e)
        else:
            sell = F.quote_to_base_down(INT, e - te, p)
            proceeds = sell * p // WAD
            b, d = b - sell, d - proceeds
        assert abs(F.series_value(INT, True, b, q, d, p) / (1_000 * WAD) - nav[0, i]) < 1e-9


def test_band_triggered_rebalancing_trades_less_than_daily_at_low_volatility():
    rows = {(r.label, r.sigma, r.policy): r for r in D.compare_policies(sigmas=(0.2,), paths=40, days=60)}
    assert rows[("3x Long", 0.2, "band only")].rebalances < rows[("3x Long", 0.2, "daily")].rebalances / 5
