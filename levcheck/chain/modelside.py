"""The model side of a differential run: scenario steps applied to `specs.model.Model`."""
from __future__ import annotations

from levcheck.specs.invariants import Outcome
from levcheck.specs.model import MAX_UINT, Model, ModelRevert

from ..specs.scenario import Step
from .driver import TOKENS, actor_of

RESULT_ACTIONS = {"mint", "redeem", "swap_exact_in", "swap_exact_out", "add_liquidity", "remove_liquidity", "allocate_fees", "transfer", "faucet"}


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
    if a not in RESULT_ACTIONS:
        result = ()
    elif not isinstance(result, tuple):
        result = (int(result),) if result is not None else ()
    return Outcome(a, who, step.args, None, (), result, _events(m)), 1


def _dispatch(m: Model, step: Step, who: str, now: int):
    a, g = step.action, step.arg
    if a == "set_price":
        return m.set_price(who, g("price"), now)
    if a == "faucet":
        return m.token_mint(who, g("token"), who, g("amount"), now)
    if a == "transfer":
        return m.transfer(who, g("token"), g("to"), g("amount"), now)
    if a == "mint":
        return m.mint(who, g("series"), g("quote_in"), g("min_shares"), now)
    if a == "redeem":
        return m.redeem(who, g("series"), g("shares"), g("min_quote_out"), now)
    if a == "swap_exact_in":
        return m.swap_exact_in(who, g("token_in"), g("amount_in"), g("min_out"), who, now)
    if a == "swap_exact_out":
        return m.swap_exact_out(who, g("token_in"), g("amount_out"), g("max_in"), who, now)
    if a == "add_liquidity":
        return m.add_liquidity(who, g("base"), g("quote"), g("min_shares"), now)
    if a == "remove_liquidity":
        return m.remove_liquidity(who, g("shares"), g("min_base"), g("min_quote"), now)
    if a == "rebalance":
        return m.rebalance(who, g("series"), now)
    if a == "ripcord":
        return m.ripcord(who, g("series"), now)
    if a == "settle_insolvency":
        return m.settle_insolvency(who, g("series"), now)
    if a == "allocate_fees":
        return m.allocate_fees(who, now)
    if a == "checkpoint":
        return m.checkpoint(who, now)
    if a == "inject":
        return m.inject(who, g("base"), g("quote"), now)
    raise ValueError(f"unknown action {a!r}")


def model_raw(m: Model, series_labels: tuple[str, ...], holders: tuple[str, ...]) -> list[int]:
    """The model's state variables in `Chain._state_vars` order (compared with the storage read as is)."""
    o, p, r = m.oracle, m.pool, m.reserve
    out = [o.price, o.updated_at, p.reserve_base, p.reserve_quote, p.pending_fee_base, p.pending_fee_quote, p.total_shares]
    out += [
        r.idle_base, r.idle_quote, r.last_allocation, r.last_checkpoint, r.fees_received, r.allocated_base,
        r.allocated_quote, r.injected_base, r.injected_quote, r.keeper_paid, r.bad_debt,
    ]
    for lbl in series_labels:
        s = m.series[lbl]
        tok = m.tokens[lbl]
        out += [s.base_held, s.quote_held, r.debt_of.get(lbl, 0), tok.total_supply, s.last_rebalance]
        bal = tok.balances
        out += [bal.get(h, 0) for h in holders]
    for t in TOKENS:
        tok = m.tokens[t]
        bal = tok.balances
        out.append(tok.total_supply)
        out += [bal.get(h, 0) for h in holders]
    return out
