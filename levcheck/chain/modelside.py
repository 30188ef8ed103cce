"""The model side of a differential run: scenario steps applied to `specs.model.Model`."""
from __future__ import annotations

from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, ContractArithmeticError
from levcheck.specs.invariants import Outcome
from levcheck.specs.model import MAX_UINT, Model, ModelRevert
from levcheck.specs.state import SystemState

from ..specs.scenario import Step
from .actions import GLOBAL_VARS, SERIES_VARS, TXS, resolve
from .driver import TOKENS, actor_of, view_names


def setup_actors(m: Model, actors: tuple[str, ...], funding: dict[str, int], now: int) -> int:
    """The same transactions as `Chain.setup_actors`; returns the next timestamp."""
    series = tuple(m.series)
    for a in actors:
        for token in TOKENS:
            if funding.get(token):
                m.token_mint(a, token, a, funding[token], now)
                now += 1
        for spender in ("pool", "reserve", *series):
            for token in TOKENS:
                m.approve(a, token, spender, MAX_UINT, now)
                now += 1
    return now


def _events(m: Model) -> tuple:
    return tuple(e.key() for e in m.last_events)


def apply(m: Model, step: Step, now: int) -> tuple[Outcome, int]:
    """Apply one step at block time `now`; returns the outcome and the number of transactions it took."""
    a, g = step.action, step.arg
    who = actor_of(step)
    if a == "warp":
        return Outcome(a, who, step.args), 0
    if a == "mint_redeem":
        try:
            shares = m.mint(who, g("series"), g("quote_in"), 0, now)
        except ModelRevert as exc:
            return Outcome(a, who, step.args, exc.name, exc.values), 1
        ev1 = _events(m)
        try:
            got = m.redeem(who, g("series"), shares, 0, now + 1)
        except ModelRevert as exc:
            return Outcome(a, who, step.args, exc.name, exc.values, None, ev1), 2
        return Outcome(a, who, step.args, None, (), (g("quote_in"), got), ev1 + _events(m)), 2
    try:
        result = _dispatch(m, step, who, now)
    except ModelRevert as exc:
        return Outcome(a, who, step.args, exc.name, exc.values), 1
    if not TXS[a].returns:
        result = ()
    elif not isinstance(result, tuple):
        result = (int(result),) if result is not None else ()
    return Outcome(a, who, step.args, None, (), result, _events(m)), 1


def _dispatch(m: Model, step: Step, who: str, now: int):
    tx = TXS[step.action]
    return getattr(m, tx.model)(who, *(resolve(n, step.arg, who) for n in tx.model_args), now)


def model_raw(m: Model, series_labels: tuple[str, ...], holders: tuple[str, ...]) -> list[int]:
    """The model's state variables in `Chain._state_vars` order (compared with the storage read as is)."""
    g = _model_values(m)
    out = [g[v.field] for v in GLOBAL_VARS]
    r = m.reserve
    for lbl in series_labels:
        s, tok = m.series[lbl], m.tokens[lbl]
        own = {"base_held": s.base_held, "quote_held": s.quote_held, "debt": r.debt_of.get(lbl, 0),
               "total_supply": tok.total_supply, "last_rebalance": s.last_rebalance}
        out += [own[v.field] for v in SERIES_VARS]
        bal = tok.balances
        out += [bal.get(h, 0) for h in holders]
    for t in TOKENS:
        tok = m.tokens[t]
        bal = tok.balances
        out.append(tok.total_supply)
        out += [bal.get(h, 0) for h in holders]
    return out


def _model_values(m: Model) -> dict[str, int]:
    """The model's value of every `GLOBAL_VARS` field."""
    o, p, r = m.oracle, m.pool, m.reserve
    return {
        "price": o.price, "updated_at": o.updated_at,
        "pool_reserve_base": p.reserve_base, "pool_reserve_quote": p.reserve_quote,
        "pool_pending_fee_base": p.pending_fee_base, "pool_pending_fee_quote": p.pending_fee_quote,
        "pool_total_shares": p.total_shares,
        "idle_base": r.idle_base, "idle_quote": r.idle_quote, "last_allocation": r.last_allocation,
        "last_checkpoint": r.last_checkpoint, "fees_received": r.fees_received, "allocated_base": r.allocated_base,
        "allocated_quote": r.allocated_quote, "injected_base": r.injected_base, "injected_quote": r.injected_quote,
        "keeper_paid": r.keeper_paid, "bad_debt": r.bad_debt,
    }


# ---------------------------------------------------------------- the contracts' views, per the spec

def _checked(fn):
    """`fn()` with the contracts' checked arithmetic (`INT.checking`): its value, or ("revert", error
    name) for the error the view would revert with: Panic(0x11), IntOverflow(), MulDivOverflow()."""
    was, INT.checking = INT.checking, True
    try:
        return fn()
    except ContractArithmeticError as exc:
        return ("revert", exc.error[0])
    finally:
        INT.checking = was


def _reverts(x: object) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and x[0] == "revert"


def expected_views(st: SystemState) -> dict[str, object]:
    """Every published view's value on the snapshot `st`, from `specs.formulas` in the contracts' order
    with their checked arithmetic: an int, a tuple (health) or ("revert", error name). The pool's spot
    price and the reserve's series count read no oracle; every other view reads the oracle first, so
    a zero or stale price reverts them; the reserve's four valuations share one valuation
    (`formulas.reserve_valuation`), a series' value, exposure, NAV and leverage its position."""
    out: dict[str, object] = {
        # SpotPool.spotPrice (FixedPointMath.mulDivDown: MulDivOverflow() past uint256)
        "pool.spotPrice": _checked(lambda: F.spot_price(INT, st.pool_reserve_quote, st.pool_reserve_base)),
        # ReservePool.seriesCount: series.length; the deployment registers every series of the market
        # (there is no other registration), so the snapshot's series are the registered ones
        "reserve.seriesCount": len(st.series),
    }
    priced = [n for n in view_names(tuple(s.label for s in st.series)) if n not in out]
    if st.price == 0 or not st.fresh:
        err = ("revert", "ZeroPrice" if st.price == 0 else "StalePrice")
        return {**out, **dict.fromkeys(priced, err)}
    p = st.price
    max_fee = max((s.params.keeper_fee for s in st.series), default=0)
    val = _checked(lambda: F.reserve_valuation(INT, st.floor_bps, st.idle_base, st.idle_quote, p,
                                               [(s.is_long, s.base_held, s.quote_held, s.debt) for s in st.series]))
    if _reverts(val):
        out.update(dict.fromkeys(("reserve.equityQuote", "reserve.floorQuote", "reserve.isAboveFloor", "reserve.health"), val))
    else:
        equity, floor, lent, idle = val
        out["reserve.equityQuote"], out["reserve.floorQuote"], out["reserve.isAboveFloor"] = equity, floor, int(equity >= floor)
        out["reserve.health"] = _checked(lambda: (
            F.quote_to_base_down(INT, equity, p), F.quote_to_base_up(INT, floor, p),
            F.utilization_wad(INT, lent, idle), F.buffer_depth(INT, equity, floor, max_fee)))
    for s in st.series:
        # LeveragedToken.exposure: SeriesMath.exposure at the oracle price (a mulDiv: MulDivOverflow)
        e = out[f"{s.label}.exposure"] = _checked(lambda: F.exposure(INT, s.is_long, s.base_held, s.debt, p))
        v = _checked(lambda: F.series_value(INT, s.is_long, s.base_held, s.quote_held, s.debt, p))
        out[f"{s.label}.value"] = v  # LeveragedToken.value: V, signed
        if _reverts(v):
            out[f"{s.label}.navPerToken"] = out[f"{s.label}.leverage"] = v
            continue
        # the contract's guards before its mulDivs (the formulas' `ite` evaluates both branches)
        out[f"{s.label}.navPerToken"] = 0 if s.total_supply == 0 or v <= 0 else _checked(
            lambda: F.nav_per_token(INT, v, s.total_supply))
        out[f"{s.label}.leverage"] = ("revert", "SeriesInsolvent") if v <= 0 else e if _reverts(e) else _checked(
            lambda: F.leverage(INT, e, v))
    return out
