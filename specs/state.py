"""A snapshot of every protocol state variable, the same shape whether read from the model or the EVM.

The fuzzer builds one `SystemState` from the reference model and one from contract storage after
every step and compares them field by field; the invariants of `specs.invariants` are checked on
both. Derived quantities (value, leverage, equity, floor) are computed here with `specs.formulas`,
never re-derived.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterator

from . import formulas as F
from .arith import INT, WAD, isqrt_down
from .params import SeriesParams
from .scenario import CONTRACT_LABELS

ZERO_ACCOUNT = "zero"  # the zero address's label: the counterpart of a mint's or burn's Transfer


@dataclass(frozen=True)
class SeriesState:
    label: str
    params: SeriesParams
    base_held: int
    quote_held: int
    debt: int
    total_supply: int
    last_rebalance: int
    balances: tuple[tuple[str, int], ...]  # (holder, shares), non-zero only, sorted

    @property
    def is_long(self) -> bool:
        return self.params.is_long


@dataclass(frozen=True)
class SystemState:
    time: int  # block.timestamp the next transaction runs at
    price: int
    updated_at: int
    max_age: int
    pool_reserve_base: int
    pool_reserve_quote: int
    pool_pending_fee_base: int
    pool_pending_fee_quote: int
    pool_total_shares: int
    floor_bps: int
    idle_base: int
    idle_quote: int
    last_allocation: int
    last_checkpoint: int
    fees_received: int
    allocated_base: int
    allocated_quote: int
    injected_base: int
    injected_quote: int
    keeper_paid: int
    bad_debt: int
    series: tuple[SeriesState, ...]
    balances: tuple[tuple[str, str, int], ...]  # (token, holder, amount) of QUOTE and BASE, non-zero, sorted
    supplies: tuple[tuple[str, int], ...]  # (token, totalSupply) of QUOTE and BASE
    donated: tuple[tuple[str, str, int], ...] = ()  # (holder contract, token, amount) sent outside the protocol's flows

    # ------------------------------------------------------------------ lookups

    def at_time(self, time: int) -> "SystemState":
        """The same state seen at a later block time (nothing ran). Memoised values carry over: none of
        them depends on the time. Bookkeeping `attach`ed to a step's state (the profit window) does
        not: the copy is another step's state."""
        c = object.__new__(SystemState)
        c.__dict__.update(self.__dict__)
        object.__setattr__(c, "time", time)
        memo = self.__dict__.get("_memo_")
        if memo is not None:
            object.__setattr__(c, "_memo_", {k: v for k, v in memo.items() if not (isinstance(k, tuple) and k[0] == "attached")})
        return c

    def attached(self, key: str) -> Any:
        """Bookkeeping an invariant carried to this snapshot from the previous one (None: none yet)."""
        return self._memo().get(("attached", key))

    def attach(self, key: str, value: Any) -> None:
        """Carry `value` on this snapshot (not a state variable: never compared, never diffed). Used by
        invariants over several steps (`econ.profit`'s window), so both sides and a replay carry it."""
        self._memo()[("attached", key)] = value

    def _memo(self) -> dict:
        # derived values are computed once per snapshot (the dataclass is frozen, its fields never change)
        memo = self.__dict__.get("_memo_")
        if memo is None:
            memo = {}
            object.__setattr__(self, "_memo_", memo)
        return memo

    def balance(self, token: str, holder: str) -> int:
        memo = self._memo()
        table = memo.get("balances")
        if table is None:
            table = {(t, h): a for t, h, a in self.balances}
            for s in self.series:
                table.update({(s.label, h): a for h, a in s.balances})
            memo["balances"] = table
        return table.get((token, holder), 0)

    def supply(self, token: str) -> int:
        return dict(self.supplies)[token]

    def donated_to(self, holder: str, token: str) -> int:
        if not self.donated:
            return 0
        return sum(a for h, t, a in self.donated if h == holder and t == token)

    def series_state(self, label: str) -> SeriesState:
        for s in self.series:
            if s.label == label:
                return s
        raise KeyError(label)

    # ------------------------------------------------------------------ derived (specs.formulas)

    @property
    def fresh(self) -> bool:
        return self.price > 0 and self.time <= self.updated_at + self.max_age

    def value(self, s: SeriesState) -> int:
        key = ("value", s.label)
        memo = self._memo()
        if key not in memo:
            memo[key] = F.series_value(INT, s.is_long, s.base_held, s.quote_held, s.debt, self.price)
        return memo[key]

    def exposure(self, s: SeriesState) -> int:
        return F.exposure(INT, s.is_long, s.base_held, s.debt, self.price)

    def leverage(self, s: SeriesState) -> int | None:
        v = self.value(s)
        return F.leverage(INT, self.exposure(s), v) if v > 0 else None

    def nav(self, s: SeriesState) -> int:
        return F.nav_per_token(INT, self.value(s), s.total_supply)

    def equity_quote(self) -> int:
        memo = self._memo()
        if "equity" not in memo:
            memo["equity"] = self._equity_quote()
        return memo["equity"]

    def _equity_quote(self) -> int:
        loans = [F.loan_value_quote(INT, s.is_long, s.base_held, s.quote_held, s.debt, self.price) for s in self.series]
        return F.reserve_equity_quote(INT, self.idle_base, self.idle_quote, self.price, loans)

    def floor_quote(self) -> int:
        memo = self._memo()
        if "floor" not in memo:
            memo["floor"] = F.floor_quote(INT, self.floor_bps, [self.value(s) for s in self.series])
        return memo["floor"]

    def above_floor(self) -> bool:
        return self.equity_quote() >= self.floor_quote()

    # ------------------------------------------------------------------ what accounts own (econ.profit)

    def is_account(self, holder: str) -> bool:
        """An externally owned account (an actor, the deployer, the oracle keeper), not a contract."""
        memo = self._memo()
        contracts = memo.get("contracts")
        if contracts is None:
            contracts = memo["contracts"] = frozenset(CONTRACT_LABELS) | {ZERO_ACCOUNT} | {s.label for s in self.series}
        return holder not in contracts

    def token_value(self, token: str, amount: int) -> int:
        """`amount` of QUOTE, BASE or a series' tokens in QUOTE at the oracle price, rounded down; a
        series token is worth its share of max(V, 0) (an insolvent series' holders own nothing)."""
        if token == "QUOTE":
            return amount
        if token == "BASE":
            return amount * self.price // WAD
        s = self.series_state(token)
        return amount * max(self.value(s), 0) // s.total_supply if s.total_supply else 0

    def wealth(self) -> dict[str, int]:
        """Per account: QUOTE + BASE x P + series tokens x NAV, in QUOTE at the oracle price (each term
        rounded down). Pool LP shares are not state variables: `econ.profit` values them itself."""
        memo = self._memo()
        if "wealth" not in memo:
            out: dict[str, int] = {}
            for token, holder, amount in self.balances:
                if self.is_account(holder):
                    out[holder] = out.get(holder, 0) + self.token_value(token, amount)
            for s in self.series:
                for holder, amount in s.balances:
                    if self.is_account(holder):
                        out[holder] = out.get(holder, 0) + self.token_value(s.label, amount)
            memo["wealth"] = out
        return memo["wealth"]

    def pool_value(self) -> int:
        """The pool's reserves (not its pending protocol fees) in QUOTE at the oracle price."""
        return self.pool_reserve_quote + self.pool_reserve_base * self.price // WAD

    def arbitrage_value(self) -> int:
        """What a fee-less arbitrageur takes by trading the pool to the oracle price: y + xP - 2 sqrt(xyP)
        for reserves x BASE / y QUOTE (the curve's cheapest point at P is 2 sqrt(xyP)); rounded up."""
        x, y = self.pool_reserve_base, self.pool_reserve_quote
        return y + -(-x * self.price // WAD) - 2 * isqrt_down(x * y * self.price // WAD)

    # ------------------------------------------------------------------ diffs

    def flat(self) -> dict[str, Any]:
        """Every field as `path -> value`, for a readable model-vs-EVM diff."""
        return dict(_flatten("", dataclasses.asdict(self)))


def _flatten(prefix: str, obj: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(obj, (list, tuple)) and obj and all(isinstance(x, (list, tuple)) and len(x) >= 2 for x in obj):
        for x in obj:
            yield from _flatten(f"{prefix}[{','.join(map(str, x[:-1]))}]", x[-1])
    elif isinstance(obj, (list, tuple)) and obj and all(isinstance(x, dict) for x in obj):
        for x in obj:
            yield from _flatten(f"{prefix}[{x.get('label', '?')}]", x)
    else:
        yield prefix, obj


def diff(a: SystemState, b: SystemState) -> list[tuple[str, Any, Any]]:
    """Fields that differ: (path, value in a, value in b); absent entries show as None."""
    fa, fb = a.flat(), b.flat()
    out = []
    for k in sorted(set(fa) | set(fb)):
        if fa.get(k) != fb.get(k):
            out.append((k, fa.get(k), fb.get(k)))
    return out
