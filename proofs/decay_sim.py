"""Volatility decay under simulated geometric-Brownian prices: the series' NAV computed with the
formulas of `specs.formulas` (vectorised over paths with a float arithmetic), compared with the
Avellaneda-Zhang (2010) form and across rebalancing policies.

Trades fill at the oracle price times (1 -+ cost), so `cost_bps=0` is the frictionless protocol; the
keeper fee is paid by the reserve and does not touch NAV. A path whose V reaches 0 stays at 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from levcheck.specs import formulas as F
from levcheck.specs.arith import WAD, Arith

YEAR = 365 * 86_400


class FloatArith(Arith):
    """Float64 arrays: the same formulas, vectorised over paths (no rounding: a statistical tool)."""

    name = "float"

    def mul_div_down(self, a: Any, b: Any, c: Any) -> Any:
        return a * b / c

    mul_div_up = mul_div_down

    def ite(self, cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)

    def and_(self, *xs: Any) -> Any:
        return np.logical_and.reduce(xs)

    def or_(self, *xs: Any) -> Any:
        return np.logical_or.reduce(xs)

    def not_(self, x: Any) -> Any:
        return np.logical_not(x)


FA = FloatArith()


@dataclass(frozen=True)
class Policy:
    name: str
    daily: bool = False  # rebalance every 24 h regardless of the band
    band: bool = False  # rebalance when leverage leaves [min_lev, max_lev] (checked every step)
    fallback_s: int | None = None  # ... or when this long has passed since the last rebalance


DAILY = Policy("daily", daily=True)
BAND = Policy("band only", band=True)
PROTOCOL = Policy("band + 24h fallback", band=True, fallback_s=86_400)


def gbm(paths: int, steps: int, dt: float, sigma: float, mu: float, seed: int, p0: float = 2_000.0) -> np.ndarray:
    """Prices (paths x steps+1), in WAD."""
    rng = np.random.default_rng(seed)
    x = (mu - sigma**2 / 2) * dt + sigma * math.sqrt(dt) * rng.standard_normal((paths, steps))
    logp = np.concatenate([np.zeros((paths, 1)), np.cumsum(x, axis=1)], axis=1)
    return p0 * WAD * np.exp(logp)


def simulate(prices: np.ndarray, is_long: bool, target: float, step_s: int, policy: Policy,
             band: tuple[float, float] = (2.5, 3.5), cost_bps: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """NAV / NAV0 at every step (paths x steps+1) and the number of rebalances per path."""
    paths, n = prices.shape[0], prices.shape[1] - 1
    T, lo, hi, c = target * WAD, band[0] * WAD, band[1] * WAD, cost_bps / 10_000
    v0 = 1_000.0 * WAD
    p = prices[:, 0]
    b = np.full(paths, T * v0 / WAD / p * WAD) if is_long else np.zeros(paths)
    d = np.full(paths, (T - WAD) * v0 / WAD) if is_long else np.full(paths, T * v0 / WAD / p * WAD)
    q = np.zeros(paths) if is_long else np.full(paths, v0 + T * v0 / WAD)
    nav = np.empty((paths, n + 1))
    nav[:, 0] = 1.0
    last = np.zeros(paths)
    count = np.zeros(paths, dtype=int)
    alive = np.ones(paths, dtype=bool)
    for i in range(1, n + 1):
        p, now = prices[:, i], i * step_s
        v = F.series_value(FA, is_long, b, q, d, p)
        alive &= v > 0
        e = F.exposure(FA, is_long, b, d, p)
        lev = F.leverage(FA, e, np.where(alive, v, 1.0))
        due = np.zeros(paths, dtype=bool)
        if policy.daily:
            due |= now % 86_400 == 0
        if policy.band:
            due |= F.out_of_band(FA, lev, lo, hi)
        if policy.fallback_s is not None:
            due |= F.fallback_due(FA, now, last, policy.fallback_s)
        due &= alive
        te = F.target_exposure(FA, T, v)
        up = te - e  # QUOTE value to add (negative: to remove)
        if is_long:
            buy, sell = np.where(due & (up > 0), up, 0.0), np.where(due & (up < 0), -up, 0.0)
            proceeds = sell * (1 - c)
            repay = np.minimum(proceeds, d)
            b = b + buy * (1 - c) * WAD / p - sell * WAD / p
            d = d + buy - repay
            q = q + proceeds - repay
        else:
            borrow, buyback = np.where(due & (up > 0), up, 0.0), np.where(due & (up < 0), -up, 0.0)
            d = d + borrow * WAD / p - buyback * WAD / p
            q = q + borrow * (1 - c) - buyback * (1 + c)
        last = np.where(due, now, last)
        count += due
        nav[:, i] = np.where(alive, F.series_value(FA, is_long, b, q, d, p) / v0, 0.0)
    return nav, count


def avellaneda_zhang(prices: np.ndarray, beta: float, sigma: float, years: np.ndarray | float) -> np.ndarray:
    """L_t / L_0 = (S_t/S_0)^beta * exp(-((beta^2 - beta)/2) * sigma^2 * t) (no fees)."""
    return (prices / prices[:, :1]) ** beta * np.exp(-(beta**2 - beta) / 2 * sigma**2 * years)


def discretisation_bias(beta: float, sigma: float, mu: float, dt: float, steps: int) -> float:
    """E[log NAV_discrete - log A-Z] after `steps` rebalances at interval dt, by Gauss-Hermite
    quadrature: steps * (E[log(1 + beta (e^X - 1))] - beta E[X]) + (beta^2 - beta)/2 sigma^2 steps dt,
    with X ~ N((mu - sigma^2/2) dt, sigma^2 dt). The continuous form ignores this O(sigma^3 dt^1.5)
    term per step; it is what the statistical test allows on top of sampling error."""
    z, w = np.polynomial.hermite_e.hermegauss(80)
    m, s = (mu - sigma**2 / 2) * dt, sigma * math.sqrt(dt)
    x = m + s * z
    growth = np.log(np.maximum(1 + beta * np.expm1(x), 1e-300))
    e_log = float(np.sum(w * growth) / np.sqrt(2 * np.pi))
    return steps * (e_log - beta * m) + (beta**2 - beta) / 2 * sigma**2 * steps * dt


@dataclass(frozen=True)
class AZCheck:
    beta: float
    sigma: float
    paths: int
    mean_log_ratio: float  # mean over paths of log(NAV_model / NAV_AZ) at the horizon
    std_err: float
    bias: float  # the expected value from discretisation (daily rebalancing)

    @property
    def z(self) -> float:
        return (self.mean_log_ratio - self.bias) / self.std_err if self.std_err > 0 else 0.0


def az_check(is_long: bool, target: float = 3.0, sigma: float = 0.5, mu: float = 0.0, days: int = 365,
             paths: int = 2_000, seed: int = 1) -> AZCheck:
    """Daily rebalancing, daily prices: the model's terminal NAV against Avellaneda-Zhang."""
    prices = gbm(paths, days, 1 / 365, sigma, mu, seed)
    nav, _ = simulate(prices, is_long, target, 86_400, DAILY, band=(0.0, 1e9))
    beta = target if is_long else -target
    az = avellaneda_zhang(prices, beta, sigma, np.arange(days + 1) / 365)
    ok = nav[:, -1] > 0
    ratio = np.log(nav[ok, -1]) - np.log(az[ok, -1])
    return AZCheck(beta, sigma, int(ok.sum()), float(ratio.mean()), float(ratio.std(ddof=1) / math.sqrt(ok.sum())),
                   discretisation_bias(beta, sigma, mu, 1 / 365, days))


@dataclass(frozen=True)
class PolicyRow:
    label: str
    sigma: float
    policy: str
    median_nav: float
    mean_nav: float
    decay_vs_az: float  # median of NAV / (S_T/S_0)^beta, i.e. what the path-independent part lost
    rebalances: float  # mean per path per year
    wiped: float  # share of paths whose NAV hit 0


def compare_policies(sigmas: tuple[float, ...] = (0.2, 1.0), paths: int = 400, days: int = 365, seed: int = 7,
                     cost_bps: float = 0.0, hours_per_step: int = 1) -> list[PolicyRow]:
    """Band-triggered versus daily rebalancing, 3x long and short, band 2.5x-3.5x, hourly prices."""
    rows = []
    step_s = 3_600 * hours_per_step
    steps = days * 86_400 // step_s
    for sigma in sigmas:
        prices = gbm(paths, steps, step_s / YEAR, sigma, 0.0, seed)
        for is_long in (True, False):
            beta = 3.0 if is_long else -3.0
            hold = (prices[:, -1] / prices[:, 0]) ** beta
            for pol in (DAILY, BAND, PROTOCOL):
                nav, count = simulate(prices, is_long, 3.0, step_s, pol, cost_bps=cost_bps)
                rows.append(PolicyRow(f"3x {'Long' if is_long else 'Short'}", sigma, pol.name,
                                      float(np.median(nav[:, -1])), float(nav[:, -1].mean()),
                                      float(np.median(nav[:, -1] / hold)), float(count.mean() * 365 / days),
                                      float((nav[:, -1] <= 0).mean())))
    return rows


def render_policies(rows: list[PolicyRow]) -> str:
    out = ["| series | sigma | rebalancing | median NAV | mean NAV | median NAV / (S_T/S_0)^beta | rebalances/yr | wiped |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r.label} | {r.sigma:.0%} | {r.policy} | {r.median_nav:.4f} | {r.mean_nav:.4f} | "
                   f"{r.decay_vs_az:.4f} | {r.rebalances:.1f} | {r.wiped:.1%} |")
    return "\n".join(out)


def plot_policies(path: str, sigmas: tuple[float, ...] = (0.2, 1.0), paths: int = 200, days: int = 365,
                  seed: int = 7, cost_bps: float = 0.0) -> str:
    """Median NAV over time, 3x long and short, daily vs band-only vs band + 24h fallback (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    step_s = 3_600
    steps = days * 86_400 // step_s
    fig, axes = plt.subplots(len(sigmas), 2, figsize=(11, 3.6 * len(sigmas)), squeeze=False)
    t = np.arange(steps + 1) * step_s / 86_400
    for i, sigma in enumerate(sigmas):
        prices = gbm(paths, steps, step_s / YEAR, sigma, 0.0, seed)
        for j, is_long in enumerate((True, False)):
            ax = axes[i][j]
            beta = 3.0 if is_long else -3.0
            ax.plot(t, np.median((prices / prices[:, :1]) ** beta, axis=0), color="grey", lw=1, label="(S_t/S_0)^beta")
            for pol in (DAILY, BAND, PROTOCOL):
                nav, _ = simulate(prices, is_long, 3.0, step_s, pol, cost_bps=cost_bps)
                ax.plot(t, np.median(nav, axis=0), lw=1.2, label=pol.name)
            ax.set_title(f"3x {'Long' if is_long else 'Short'}, sigma {sigma:.0%}: median NAV")
            ax.set_xlabel("days")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
