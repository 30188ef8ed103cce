"""The band-exit and liquidation tables, evaluated exactly (fractions) from the closed forms of
`specs.formulas` that `band.exit.*` and `band.liquidation.*` prove."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from levcheck.specs import formulas as F
from levcheck.specs.arith import WAD
from levcheck.specs.params import MarketParams, SeriesParams

# FTX's published intraday rebalance points for its 3x tokens (the move that takes 3x to 4x).
FTX_3X_TO_4X = {True: Fraction(-1115, 10_000), False: Fraction(67, 1000)}


def pct(x: Fraction) -> str:
    return f"{float(x) * 100:+.2f}%"


@dataclass(frozen=True)
class ExitRow:
    label: str
    is_long: bool
    target: Fraction
    edge: Fraction
    move: Fraction  # price ratio - 1 at which leverage reaches `edge` from `target`
    reference: Fraction | None = None

    @property
    def direction(self) -> str:
        return "above" if self.edge > self.target else "below"


def exit_rows(params: MarketParams) -> list[ExitRow]:
    rows: list[ExitRow] = []
    for sp in params.series:
        T = Fraction(sp.target_lev, WAD)
        for edge in (sp.min_lev, sp.max_lev):
            e = Fraction(edge, WAD)
            rows.append(ExitRow(sp.name, sp.is_long, T, e, F.band_exit_ratio(sp.is_long, T, e) - 1))
    for is_long in (True, False):  # the check from outside
        rows.append(ExitRow(f"FTX 3x {'Long' if is_long else 'Short'}", is_long, Fraction(3), Fraction(4),
                            F.band_exit_ratio(is_long, Fraction(3), Fraction(4)) - 1, FTX_3X_TO_4X[is_long]))
    return rows


@dataclass(frozen=True)
class LiqRow:
    label: str
    is_long: bool
    lev: Fraction
    where: str
    move: Fraction  # price ratio - 1 at which V reaches zero from `lev` (no rebalance in between)


def liquidation_rows(params: MarketParams) -> list[LiqRow]:
    rows = []
    for sp in params.series:
        for where, lev in (("target", sp.target_lev), ("band top", sp.max_lev), ("ripcord", sp.ripcord_lev)):
            L = Fraction(lev, WAD)
            rows.append(LiqRow(sp.name, sp.is_long, L, where, F.liquidation_ratio(sp.is_long, L) - 1))
    return rows


def render_exit(params: MarketParams) -> str:
    out = ["| series | target | edge | price move to reach it | published |", "|---|---|---|---|---|"]
    for r in exit_rows(params):
        ref = pct(r.reference) + f" (diff {float(r.move - r.reference) * 100:+.2f} pp)" if r.reference is not None else ""
        out.append(f"| {r.label} | {float(r.target):g}x | {float(r.edge):g}x ({r.direction}) | {pct(r.move)} | {ref} |")
    return "\n".join(out)


def render_liquidation(params: MarketParams) -> str:
    out = ["| series | from | leverage | price move to zero NAV |", "|---|---|---|---|"]
    for r in liquidation_rows(params):
        out.append(f"| {r.label} | {r.where} | {float(r.lev):g}x | {pct(r.move)} |")
    return "\n".join(out)


def series_by_name(params: MarketParams) -> dict[str, SeriesParams]:
    return {sp.name: sp for sp in params.series}
