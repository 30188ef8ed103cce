"""Deployment parameters: one dataclass per contract family, the bundled set, and validation that
mirrors the constructors' named errors (so a bad set is refused before it ever reaches a chain)."""
from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .arith import BPS, WAD

MAX_MINT_REDEEM_FEE_BPS = 500
MAX_SLIPPAGE_CAP_BPS = 1_000
MAX_POOL_FEE_BPS = 100
MIN_FALLBACK_SECONDS = 3_600
UINT256_MAX = 2**256 - 1


class ParamError(ValueError):
    """A parameter set that the contracts would refuse; the message names the field and the fix."""


@dataclass(frozen=True)
class SeriesParams:
    is_long: bool
    target_lev: int = 3 * WAD
    min_lev: int = 25 * WAD // 10
    max_lev: int = 35 * WAD // 10
    ripcord_lev: int = 45 * WAD // 10
    fallback_interval: int = 86_400
    slippage_cap_bps: int = 40  # <= 1.5 x the bundled 30 bps pool fee: `self_sandwich_safe`
    mint_fee_bps: int = 10
    redeem_fee_bps: int = 10
    keeper_fee: int = 5 * WAD

    @property
    def name(self) -> str:
        return f"{self.target_lev / WAD:g}x {'Long' if self.is_long else 'Short'}"

    def validate(self) -> None:
        """The constructor's checks, with the error the contract would raise and how to fix it."""
        if not (WAD <= self.min_lev < self.target_lev < self.max_lev):
            raise ParamError(
                f"InvalidBand: need 1x <= min_lev < target_lev < max_lev, got min {self.min_lev / WAD:g}x, "
                f"target {self.target_lev / WAD:g}x, max {self.max_lev / WAD:g}x (is the band inverted or empty?)"
            )
        if self.ripcord_lev <= self.max_lev:
            raise ParamError(f"InvalidRipcord: ripcord_lev ({self.ripcord_lev / WAD:g}x) must be above max_lev ({self.max_lev / WAD:g}x)")
        if not (0 < self.slippage_cap_bps <= MAX_SLIPPAGE_CAP_BPS):
            raise ParamError(f"InvalidSlippageCap: slippage_cap_bps must be in 1..{MAX_SLIPPAGE_CAP_BPS}, got {self.slippage_cap_bps}")
        for fee in ("mint_fee_bps", "redeem_fee_bps"):
            if not (0 <= getattr(self, fee) <= MAX_MINT_REDEEM_FEE_BPS):
                raise ParamError(f"InvalidFee: {fee} must be in 0..{MAX_MINT_REDEEM_FEE_BPS}, got {getattr(self, fee)}")
        if self.fallback_interval < MIN_FALLBACK_SECONDS:
            raise ParamError(f"InvalidFallback: fallback_interval must be >= {MIN_FALLBACK_SECONDS} s, got {self.fallback_interval}")
        if self.keeper_fee <= 0:
            raise ParamError("InvalidKeeperFee: keeper_fee must be positive")


@dataclass(frozen=True)
class MarketParams:
    pool_fee_bps: int = 30
    protocol_share_bps: int = 2_000
    floor_bps: int = 1_000
    fee_period: int = 86_400
    oracle_max_age: int = 3_600
    checkpoint_interval: int = 3_600
    initial_price: int = 2_000 * WAD
    pool_base: int = 100_000 * WAD  # deep enough that a 40 bps cap still fills ~200k QUOTE trades
    reserve_base: int = 500 * WAD
    reserve_quote: int = 1_000_000 * WAD
    series: tuple[SeriesParams, ...] = field(
        default_factory=lambda: (SeriesParams(is_long=True), SeriesParams(is_long=False))
    )

    def validate(self) -> None:
        if not (0 <= self.pool_fee_bps <= MAX_POOL_FEE_BPS):
            raise ParamError(f"InvalidFee: pool_fee_bps must be in 0..{MAX_POOL_FEE_BPS}, got {self.pool_fee_bps}")
        if not (0 <= self.protocol_share_bps <= BPS):
            raise ParamError(f"InvalidFee: protocol_share_bps must be in 0..{BPS}, got {self.protocol_share_bps}")
        if not self.series:
            raise ParamError("series is empty: a market needs at least one series (e.g. [[series]] is_long = true); "
                             "with none, every per-series obligation would be skipped")
        if not (0 <= self.floor_bps <= BPS):
            raise ParamError(f"InvalidFloor: floor_bps must be in 0..{BPS} (100%), got {self.floor_bps}")
        if self.initial_price <= 0:
            raise ParamError("ZeroPrice: initial_price must be positive")
        for s in self.series:
            s.validate()

    def validate_economics(self) -> None:
        """Economic safety (SYSTEM.md 5), beyond what the constructors check: a set for which a keeper
        profits from sandwiching its own rebalance is refused (`self_sandwich_safe`)."""
        for i, s in enumerate(self.series):
            if not self_sandwich_safe(self.pool_fee_bps, s.slippage_cap_bps):
                raise ParamError(
                    f"SelfSandwich: series {i} ({s.name}) slippage_cap_bps {s.slippage_cap_bps} is too wide for "
                    f"pool_fee_bps {self.pool_fee_bps}: a keeper profits by sandwiching its own rebalance; need "
                    f"(1 - cap)^2 >= (1 - fee)^3 (cap <= {max_safe_cap_bps(self.pool_fee_bps)} bps at this fee, "
                    "about 1.5 x the fee): lower the cap or raise the pool fee")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "MarketParams":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ParamError(f"unknown market parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        raw = dict(raw)
        series = raw.pop("series", None)
        kwargs = {k: _as_int(k, v) for k, v in raw.items()}
        if series is not None:
            if not isinstance(series, (list, tuple)):
                raise ParamError(f"series must be a list of tables ([[series]]), got {type(series).__name__}")
            kwargs["series"] = tuple(_series_from_dict(s) for s in series)
        params = cls(**kwargs)
        params.validate()
        return params


def _as_int(name: str, value: object) -> int:
    """An integer the contracts can hold: a uint256 (every parameter is unsigned on chain)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"{name} must be an integer (WAD-scaled where it is a leverage, price or amount), got {value!r}")
    if not 0 <= value <= UINT256_MAX:
        raise ParamError(f"{name} must be a uint256 (0 .. 2**256-1), got {value}")
    return value


def _as_bool(name: str, value: object) -> bool:
    """A real boolean: `bool("false")` is True, so strings and numbers are refused, not coerced."""
    if not isinstance(value, bool):
        raise ParamError(f"{name} must be true or false (a boolean, not {type(value).__name__} {value!r})")
    return value


def _series_from_dict(raw: dict) -> SeriesParams:
    if not isinstance(raw, dict) or "is_long" not in raw:
        raise ParamError(f"each series needs at least 'is_long', got {raw!r}")
    known = {f.name for f in dataclasses.fields(SeriesParams)}
    unknown = set(raw) - known
    if unknown:
        raise ParamError(f"unknown series parameter(s) {sorted(unknown)}; known: {sorted(known)}")
    kwargs = {k: (_as_bool(k, v) if k == "is_long" else _as_int(k, v)) for k, v in raw.items()}
    return SeriesParams(**kwargs)


def self_sandwich_safe(pool_fee_bps: int, slippage_cap_bps: int) -> bool:
    """No keeper profits from trading around its own rebalance: (1 - c)^2 >= (1 - f)^3 for the slippage
    cap c and the pool fee f (first order c <= 1.5 f). Then, whatever a same-direction front-run does,
    a rebalance that fills within the cap leaves the pool's marginal price within the fee of the
    oracle, so the back-run (and with it the front-run) loses at the oracle price. Proved per
    parameter set by `levcheck.proofs.econ_sandwich` (econ.no_self_sandwich.{long,short}.{up,down});
    tests/test_self_sandwich.py proves it at this bound's edge for a range of fees and refutes it one
    bps beyond."""
    return (BPS - slippage_cap_bps) ** 2 * BPS >= (BPS - pool_fee_bps) ** 3


def max_safe_cap_bps(pool_fee_bps: int) -> int:
    """The widest slippage cap `self_sandwich_safe` accepts at this pool fee (0: none)."""
    return max((c for c in range(0, MAX_SLIPPAGE_CAP_BPS + 1) if self_sandwich_safe(pool_fee_bps, c)), default=0)


def load_params(path: str | Path, economic: bool = True) -> MarketParams:
    """Read a market parameter file (TOML or JSON); raise ParamError with a readable message.

    Which check applies where: `MarketParams.validate()` mirrors the constructors and always runs.
    `validate_economics()` (a set a keeper can exploit) runs here by default, so `fuzz`, `check`,
    `tables` and anything deploying a user's file refuse such a set before deployment; `prove` passes
    economic=False because deciding it is its job (it refutes econ.no_self_sandwich with a replayed
    attack), and scenario files (specs.scenario) deploy their recorded parameters as they are, so a
    scenario demonstrating an attack replays."""
    p = Path(path)
    if not p.is_file():
        raise ParamError(f"parameter file {p} does not exist")
    try:
        raw = tomllib.loads(p.read_text()) if p.suffix == ".toml" else json.loads(p.read_text())
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ParamError(f"{p}: not valid {'TOML' if p.suffix == '.toml' else 'JSON'}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamError(f"{p}: expected a table/object of parameters")
    params = MarketParams.from_dict(raw)
    if economic:
        params.validate_economics()
    return params


BUNDLED = MarketParams()


def params_or_bundled(path: str | Path | None, economic: bool = True) -> MarketParams:
    """The parameter file at `path`, or the bundled set when no file is given (see `load_params`)."""
    return load_params(path, economic) if path else BUNDLED


# ---------------------------------------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Boundary:
    """A parameter set on one constructor limit, or one unit past it, and the spec's verdict on it:
    `expected` is the error `validate()` names (the constructor's), None for a set it accepts."""

    name: str
    params: MarketParams
    expected: str | None


def verdict(params: MarketParams) -> str | None:
    """The named error `validate()` raises for `params` (the constructors' check), None if accepted."""
    try:
        params.validate()
    except ParamError as exc:
        return str(exc).split(":", 1)[0]
    return None


def constructor_boundaries(base: MarketParams = BUNDLED) -> list[Boundary]:
    """Every constructor limit of `validate()`, exactly on it and one unit past it, each changed alone
    from `base` (series limits on its first series). The deployed constructors must refuse exactly the
    sets `validate()` refuses, with the same error: `levcheck.chain.conformance` deploys each one."""
    s = base.series[0]
    series = {
        "min_lev": [WAD, WAD - 1, s.target_lev - 1, s.target_lev],
        "max_lev": [s.target_lev + 1, s.target_lev],
        "ripcord_lev": [s.max_lev + 1, s.max_lev],
        "slippage_cap_bps": [1, 0, MAX_SLIPPAGE_CAP_BPS, MAX_SLIPPAGE_CAP_BPS + 1],
        "mint_fee_bps": [MAX_MINT_REDEEM_FEE_BPS, MAX_MINT_REDEEM_FEE_BPS + 1],
        "redeem_fee_bps": [MAX_MINT_REDEEM_FEE_BPS, MAX_MINT_REDEEM_FEE_BPS + 1],
        "fallback_interval": [MIN_FALLBACK_SECONDS, MIN_FALLBACK_SECONDS - 1],
        "keeper_fee": [1, 0],
    }
    market = {
        "pool_fee_bps": [MAX_POOL_FEE_BPS, MAX_POOL_FEE_BPS + 1],
        "protocol_share_bps": [BPS, BPS + 1],
        "floor_bps": [BPS, BPS + 1],
    }
    out = []
    for name, values in market.items():
        for v in values:
            p = dataclasses.replace(base, **{name: v})
            out.append(Boundary(f"{name}={v}", p, verdict(p)))
    for name, values in series.items():
        for v in values:
            p = dataclasses.replace(base, series=(dataclasses.replace(s, **{name: v}), *base.series[1:]))
            out.append(Boundary(f"series0.{name}={v}", p, verdict(p)))
    return out
