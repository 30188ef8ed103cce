"""The reference model: the whole protocol of SPEC.md as deliberately simple Python on exact integers.

Every quantity comes from `specs.formulas` evaluated with `specs.arith.INT`; this file only says
*who moves what, in which order*. Accounts and contracts are named by string labels ("alice",
"QUOTE", "pool", "series0", ...); the fuzzer maps them to EVM addresses.

Conventions shared with the contracts:
- every external action takes `sender` and `now` (the block timestamp of its transaction);
- a failing action raises `ModelRevert(name, args)` with the contract's error name and arguments,
  and leaves the model exactly as it was (a transaction is atomic);
- a successful action returns what the contract returns and leaves the events it emitted in
  `model.last_events` (`Event(address, name, args)`, args in declaration order).

Checked arithmetic: inside a transaction `INT.checking` is set, so every operation the contracts
compute checked and that can leave uint256 with amounts up to 2**256 - 1 reverts as on chain:
`Panic(0x11)` for a `+ - *` (`INT.add`/`sub`/`mul`/`sub_int`, here and in the formulas and
procedures), `IntOverflow()` for FixedPointMath.toInt, `MulDivOverflow()` for a mulDiv result. Where
the contracts compute such an operation *before* a step that could fail otherwise (a token pull, a
reserve's idle check), the model does it in the same place, so that the first error is the same: the
pool's reserve sums before its pulls, a series' holding plus a borrow before the reserve's idle check.
Sums that count tokens someone already holds (a balance after a transfer, a reserve's idle funds after
a repayment) cannot exceed a token's supply and stay plain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import formulas as F
from . import procedures as P
from .arith import INT, WAD, ContractArithmeticError, isqrt_down
from .params import MarketParams, SeriesParams
from .state import SeriesState, SystemState

MAX_UINT = 2**256 - 1
ZERO = "zero"  # the zero address (mint/burn counterpart of Transfer events)
CHECKPOINT_INTERVAL = 3_600
DEPLOYER, KEEPER = "deployer", "oracle-keeper"


class ModelRevert(Exception):
    """A transaction the contracts would revert, with the same error name and arguments."""

    def __init__(self, name: str, args: tuple = ()) -> None:
        super().__init__(name, tuple(args))
        self.name = name
        self.values = tuple(args)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.values))})"


@dataclass(frozen=True)
class Event:
    address: str  # label of the emitting contract
    name: str
    args: dict[str, Any]

    def key(self) -> tuple:
        """(emitter, name, {arg: value}): the shape `Outcome.events` holds on both sides."""
        return (self.address, self.name, dict(self.args))


def _shallow(obj: Any) -> Any:
    """A field-by-field copy (copy.copy is 10x slower, and a transaction snapshots nine objects)."""
    c = object.__new__(type(obj))
    c.__dict__.update(obj.__dict__)
    return c


def _revert(name: str, *args: Any) -> ModelRevert:
    return ModelRevert(name, args)


# ---------------------------------------------------------------------------------------------- state


@dataclass
class Token:
    """An ERC-20: the two TestTokens and every series' share token."""

    label: str
    balances: dict[str, int] = field(default_factory=dict)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)
    total_supply: int = 0

    def clone(self) -> "Token":
        c = _shallow(self)
        c.balances, c.allowances = dict(self.balances), dict(self.allowances)
        return c

    def balance(self, who: str) -> int:
        return self.balances.get(who, 0)

    def allowance(self, owner: str, spender: str) -> int:
        return self.allowances.get((owner, spender), 0)


@dataclass
class Oracle:
    keeper: str
    max_age: int
    price: int = 0
    updated_at: int = 0

    def clone(self) -> "Oracle":
        return _shallow(self)


@dataclass
class Pool:
    fee_bps: int
    protocol_share_bps: int
    deployer: str
    reserve_base: int = 0
    reserve_quote: int = 0
    pending_fee_base: int = 0
    pending_fee_quote: int = 0
    total_shares: int = 0
    shares_of: dict[str, int] = field(default_factory=dict)
    fee_recipient: str = ZERO

    def clone(self) -> "Pool":
        c = _shallow(self)
        c.shares_of = dict(self.shares_of)
        return c


@dataclass
class Reserve:
    floor_bps: int
    fee_period: int
    admin: str
    idle_base: int = 0
    idle_quote: int = 0
    debt_of: dict[str, int] = field(default_factory=dict)
    series: list[str] = field(default_factory=list)
    last_allocation: int = 0
    last_checkpoint: int = 0
    fees_received: int = 0
    allocated_base: int = 0
    allocated_quote: int = 0
    injected_base: int = 0
    injected_quote: int = 0
    keeper_paid: int = 0
    bad_debt: int = 0

    def clone(self) -> "Reserve":
        c = _shallow(self)
        c.debt_of, c.series = dict(self.debt_of), list(self.series)
        return c


@dataclass
class Series:
    label: str
    p: SeriesParams
    base_held: int = 0
    quote_held: int = 0
    last_rebalance: int = 0

    def clone(self) -> "Series":
        return _shallow(self)


# ---------------------------------------------------------------------------------------------- model


class Model:
    """The protocol: two TestTokens, the oracle, the pool, the reserve and the series."""

    def __init__(self, params: MarketParams) -> None:
        self.params = params
        self.tokens: dict[str, Token] = {"QUOTE": Token("QUOTE"), "BASE": Token("BASE")}
        self.oracle = Oracle(KEEPER, params.oracle_max_age)
        self.pool = Pool(params.pool_fee_bps, params.protocol_share_bps, DEPLOYER)
        self.reserve = Reserve(params.floor_bps, params.fee_period, DEPLOYER)
        self.series: dict[str, Series] = {}
        self.last_events: list[Event] = []
        self._events: list[Event] = []
        self.next_time = 0  # deploy() leaves the timestamp of the next transaction here

    # ------------------------------------------------------------------ deployment (levcheck/chain/deploy.py)

    @classmethod
    def deploy(cls, params: MarketParams, start_time: int, series_lastrebalance_at_deploy: bool = True) -> "Model":
        """The deployment fixture, one transaction per second from `start_time`:
        QUOTE, BASE, PriceOracle(keeper, maxAge), setPrice, SpotPool, (mint, approve) x2 + addLiquidity,
        ReservePool, setFeeRecipient, (mint, approve) x2 + inject, then per series deploy + registerSeries."""
        params.validate()
        m = cls(params)
        t = start_time
        t += 3  # QUOTE, BASE, PriceOracle
        m.set_price(KEEPER, params.initial_price, t)
        t += 1
        t += 1  # SpotPool
        pool_quote = params.pool_base * params.initial_price // WAD
        for sym, amt in (("BASE", params.pool_base), ("QUOTE", pool_quote)):
            m.token_mint(DEPLOYER, sym, DEPLOYER, amt, t)
            m.approve(DEPLOYER, sym, "pool", MAX_UINT, t + 1)
            t += 2
        m.add_liquidity(DEPLOYER, params.pool_base, pool_quote, 0, t)
        t += 1
        t += 1  # ReservePool
        m.set_fee_recipient(DEPLOYER, "reserve", t)
        t += 1
        for sym, amt in (("BASE", params.reserve_base), ("QUOTE", params.reserve_quote)):
            m.token_mint(DEPLOYER, sym, DEPLOYER, amt, t)
            m.approve(DEPLOYER, sym, "reserve", MAX_UINT, t + 1)
            t += 2
        m.inject(DEPLOYER, params.reserve_base, params.reserve_quote, t)
        t += 1
        for i, sp in enumerate(params.series):
            label = f"series{i}"
            m._create_series(label, sp, t if series_lastrebalance_at_deploy else 0)
            t += 1
            m.register_series(DEPLOYER, label, t)
            t += 1
        m.next_time = t
        m.last_events = []
        return m

    def _create_series(self, label: str, sp: SeriesParams, now: int) -> None:
        sp.validate()
        self.series[label] = Series(label, sp, last_rebalance=now)
        self.tokens[label] = Token(label)
        # A series approves the pool and the reserve once, at construction.
        for sym in ("QUOTE", "BASE"):
            for spender in ("pool", "reserve"):
                self.tokens[sym].allowances[(label, spender)] = MAX_UINT

    # ------------------------------------------------------------------ transactions

    def _snapshot(self) -> tuple:
        return (
            {k: t.clone() for k, t in self.tokens.items()},
            self.oracle.clone(),
            self.pool.clone(),
            self.reserve.clone(),
            {k: s.clone() for k, s in self.series.items()},
        )

    def _restore(self, snap: tuple) -> None:
        self.tokens, self.oracle, self.pool, self.reserve, self.series = snap

    def _tx(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one transaction atomically: on a revert nothing changes and nothing is emitted."""
        snap = self._snapshot()
        self._events = []
        was, INT.checking = INT.checking, True  # a mulDiv result beyond uint256 reverts, as in the contracts
        try:
            result = fn(*args)
        except ModelRevert:
            self._restore(snap)
            self.last_events = []
            raise
        except ContractArithmeticError as exc:  # MulDivOverflow(), Panic(0x11), IntOverflow(), as on chain
            self._restore(snap)
            self.last_events = []
            name, args = exc.error
            raise _revert(name, *args) from None
        finally:
            INT.checking = was
        self.last_events = self._events
        return result

    def clone(self) -> "Model":
        c = Model.__new__(Model)
        c.params, c.next_time = self.params, self.next_time
        c.last_events, c._events = [], []
        c._restore(self._snapshot())
        return c

    def _emit(self, address: str, name: str, **args: Any) -> None:
        self._events.append(Event(address, name, args))

    # ------------------------------------------------------------------ ERC-20 (TestToken and series)

    def _transfer(self, token: str, frm: str, to: str, amount: int) -> None:
        t = self.tokens[token]
        have = t.balance(frm)
        if have < amount:
            raise _revert("InsufficientBalance", have, amount)
        t.balances[frm] = have - amount
        t.balances[to] = t.balance(to) + amount
        self._emit(token, "Transfer", **{"from": frm, "to": to, "amount": amount})

    def _transfer_from(self, token: str, spender: str, frm: str, to: str, amount: int) -> None:
        t = self.tokens[token]
        allowed = t.allowance(frm, spender)
        if allowed < amount:
            raise _revert("InsufficientAllowance", allowed, amount)
        if allowed != MAX_UINT:
            t.allowances[(frm, spender)] = allowed - amount
        self._transfer(token, frm, to, amount)

    def _push(self, token: str, frm: str, to: str, amount: int) -> None:
        """A protocol contract's token move (TokenTransfer.push): a zero move is skipped, no event."""
        if amount:
            self._transfer(token, frm, to, amount)

    def _pull(self, token: str, puller: str, frm: str, amount: int) -> None:
        """TokenTransfer.pullFromSender: `puller` takes `amount` from `frm` on its allowance; zero skipped."""
        if amount:
            self._transfer_from(token, puller, frm, puller, amount)

    def _mint_token(self, token: str, to: str, amount: int) -> None:
        t = self.tokens[token]
        t.total_supply = INT.add(t.total_supply, amount)  # ERC20Base._mint: `totalSupply += amount` is checked
        t.balances[to] = t.balance(to) + amount  # (unchecked there: bounded by the supply)
        self._emit(token, "Transfer", **{"from": ZERO, "to": to, "amount": amount})

    def _burn_token(self, token: str, frm: str, amount: int) -> None:
        t = self.tokens[token]
        have = t.balance(frm)
        if have < amount:
            raise _revert("InsufficientBalance", have, amount)
        t.balances[frm] = have - amount
        t.total_supply -= amount
        self._emit(token, "Transfer", **{"from": frm, "to": ZERO, "amount": amount})

    def transfer(self, sender: str, token: str, to: str, amount: int, now: int) -> bool:
        def run() -> bool:
            self._transfer(token, sender, to, amount)
            return True

        return self._tx(run)

    def approve(self, sender: str, token: str, spender: str, amount: int, now: int) -> bool:
        def run() -> bool:
            self.tokens[token].allowances[(sender, spender)] = amount
            self._emit(token, "Approval", owner=sender, spender=spender, amount=amount)
            return True

        return self._tx(run)

    def transfer_from(self, sender: str, token: str, frm: str, to: str, amount: int, now: int) -> bool:
        def run() -> bool:
            self._transfer_from(token, sender, frm, to, amount)
            return True

        return self._tx(run)

    def token_mint(self, sender: str, token: str, to: str, amount: int, now: int) -> None:
        """TestToken's open faucet (QUOTE and BASE only; series mint through `mint`)."""
        assert token in ("QUOTE", "BASE")
        self._tx(self._mint_token, token, to, amount)

    # ------------------------------------------------------------------ PriceOracle

    def set_price(self, sender: str, price: int, now: int) -> None:
        def run() -> None:
            if sender != self.oracle.keeper:
                raise _revert("NotKeeper")
            if price == 0:
                raise _revert("ZeroPrice")
            self.oracle.price, self.oracle.updated_at = price, now
            self._emit("oracle", "PriceUpdated", price=price, updatedAt=now)

        self._tx(run)

    def oracle_price(self, now: int) -> int:
        """`oracle.price()`: reverts on a zero or stale price (`now` > updatedAt + maxAge)."""
        o = self.oracle
        if o.price == 0:
            raise _revert("ZeroPrice")
        if now > o.updated_at + o.max_age:
            raise _revert("StalePrice", o.updated_at, now)
        return o.price

    # ------------------------------------------------------------------ SpotPool

    def _reserves(self, token_in: str) -> tuple[int, int]:
        if token_in not in ("BASE", "QUOTE"):
            raise _revert("InvalidToken")
        p = self.pool
        return (p.reserve_base, p.reserve_quote) if token_in == "BASE" else (p.reserve_quote, p.reserve_base)

    def _settle_swap(self, sender: str, token_in: str, amount_in: int, out: int, to: str) -> None:
        """SpotPool._settle: the books first (checked sums: Panic before a pull the sender cannot pay),
        then the pull and the push."""
        p = self.pool
        sw = P.pool_swap(INT, p.fee_bps, p.protocol_share_bps, amount_in, out)
        if token_in == "BASE":
            p.reserve_base = INT.add(p.reserve_base, sw.to_reserve_in)
            p.pending_fee_base = INT.add(p.pending_fee_base, sw.protocol_fee)
            p.reserve_quote -= sw.out
            token_out = "QUOTE"
        else:
            p.reserve_quote = INT.add(p.reserve_quote, sw.to_reserve_in)
            p.pending_fee_quote = INT.add(p.pending_fee_quote, sw.protocol_fee)
            p.reserve_base -= sw.out
            token_out = "BASE"
        self._pull(token_in, "pool", sender, amount_in)
        self._push(token_out, "pool", to, out)
        self._emit("pool", "Swap", sender=sender, tokenIn=token_in, amountIn=amount_in, amountOut=out, protocolFee=sw.protocol_fee)

    def _swap_exact_in(self, sender: str, token_in: str, amount_in: int, min_out: int, to: str) -> int:
        r_in, r_out = self._reserves(token_in)
        if amount_in == 0:
            raise _revert("ZeroAmount")
        net = amount_in - F.fee_up(INT, amount_in, self.pool.fee_bps)
        out = F.amount_out(INT, amount_in, r_in, r_out, self.pool.fee_bps) if INT.add(r_in, net) > 0 else 0
        if out == 0 or out < min_out:
            raise _revert("InsufficientOutput", out, min_out)
        self._settle_swap(sender, token_in, amount_in, out, to)
        return out

    def _swap_exact_out(self, sender: str, token_in: str, amount_out: int, max_in: int, to: str) -> int:
        r_in, r_out = self._reserves(token_in)
        if amount_out == 0:
            raise _revert("ZeroAmount")
        if amount_out >= r_out:
            raise _revert("InsufficientLiquidity")
        amount_in = F.amount_in(INT, amount_out, r_in, r_out, self.pool.fee_bps)
        if amount_in > max_in:
            raise _revert("ExcessiveInput", amount_in, max_in)
        self._settle_swap(sender, token_in, amount_in, amount_out, to)
        return amount_in

    def swap_exact_in(self, sender: str, token_in: str, amount_in: int, min_out: int, to: str, now: int) -> int:
        return self._tx(self._swap_exact_in, sender, token_in, amount_in, min_out, to)

    def swap_exact_out(self, sender: str, token_in: str, amount_out: int, max_in: int, to: str, now: int) -> int:
        return self._tx(self._swap_exact_out, sender, token_in, amount_out, max_in, to)

    def add_liquidity(self, sender: str, base: int, quote: int, min_shares: int, now: int) -> int:
        def run() -> int:
            p = self.pool
            if p.total_shares == 0:
                shares = isqrt_down(INT.mul(base, quote))  # `baseAmount * quoteAmount`: checked
            else:
                shares = min(
                    INT.mul_div_down(base, p.total_shares, p.reserve_base),
                    INT.mul_div_down(quote, p.total_shares, p.reserve_quote),
                )
            if shares == 0 or shares < min_shares:
                raise _revert("InsufficientShares", shares, min_shares)
            # the contract's order: the books (checked sums) before the pulls
            p.total_shares = INT.add(p.total_shares, shares)
            p.shares_of[sender] = p.shares_of.get(sender, 0) + shares  # bounded by totalShares
            p.reserve_base = INT.add(p.reserve_base, base)
            p.reserve_quote = INT.add(p.reserve_quote, quote)
            self._pull("BASE", "pool", sender, base)
            self._pull("QUOTE", "pool", sender, quote)
            self._emit("pool", "LiquidityAdded", provider=sender, baseAmount=base, quoteAmount=quote, shares=shares)
            return shares

        return self._tx(run)

    def remove_liquidity(self, sender: str, shares: int, min_base: int, min_quote: int, now: int) -> tuple[int, int]:
        def run() -> tuple[int, int]:
            p = self.pool
            if shares == 0:
                raise _revert("ZeroAmount")
            have = p.shares_of.get(sender, 0)
            if have < shares:
                raise _revert("InsufficientBalance", have, shares)
            base = INT.mul_div_down(p.reserve_base, shares, p.total_shares)
            quote = INT.mul_div_down(p.reserve_quote, shares, p.total_shares)
            if base < min_base:
                raise _revert("InsufficientOutput", base, min_base)
            if quote < min_quote:
                raise _revert("InsufficientOutput", quote, min_quote)
            p.shares_of[sender] = have - shares
            p.total_shares -= shares
            p.reserve_base -= base
            p.reserve_quote -= quote
            self._push("BASE", "pool", sender, base)
            self._push("QUOTE", "pool", sender, quote)
            self._emit("pool", "LiquidityRemoved", provider=sender, baseAmount=base, quoteAmount=quote, shares=shares)
            return base, quote

        return self._tx(run)

    def set_fee_recipient(self, sender: str, recipient: str, now: int) -> None:
        def run() -> None:
            if sender != self.pool.deployer:
                raise _revert("NotDeployer")
            if self.pool.fee_recipient != ZERO:
                raise _revert("AlreadySet")
            if recipient == ZERO:
                raise _revert("ZeroAddress")
            self.pool.fee_recipient = recipient
            self._emit("pool", "FeeRecipientSet", recipient=recipient)

        self._tx(run)

    def _collect_protocol_fees(self, sender: str) -> tuple[int, int]:
        p = self.pool
        if sender != p.fee_recipient:
            raise _revert("NotFeeRecipient")
        base, quote = p.pending_fee_base, p.pending_fee_quote
        p.pending_fee_base = p.pending_fee_quote = 0
        self._push("BASE", "pool", sender, base)
        self._push("QUOTE", "pool", sender, quote)
        self._emit("pool", "ProtocolFeesCollected", recipient=sender, baseAmount=base, quoteAmount=quote)
        return base, quote

    def collect_protocol_fees(self, sender: str, now: int) -> tuple[int, int]:
        return self._tx(self._collect_protocol_fees, sender)

    def spot_price(self) -> int:
        return F.spot_price(INT, self.pool.reserve_quote, self.pool.reserve_base)

    # ------------------------------------------------------------------ ReservePool

    def register_series(self, sender: str, series: str, now: int) -> None:
        def run() -> None:
            r = self.reserve
            if sender != r.admin:
                raise _revert("NotAdmin")
            if series in r.series:
                raise _revert("AlreadyRegistered")
            r.series.append(series)
            r.debt_of[series] = 0
            p = self.series[series].p
            self._emit("reserve", "SeriesRegistered", series=series, isLong=p.is_long, keeperFee=p.keeper_fee)

        self._tx(run)

    def _debt_asset(self, series: str) -> str:
        return "QUOTE" if self.series[series].p.is_long else "BASE"

    def _borrow(self, series: str, amount: int, held: int) -> None:
        """LeveragedToken._borrow then ReservePool.borrow. `held`: the series' recorded holding of the
        debt asset at the call; the series adds the loan to it (checked) *before* the reserve checks
        its idle funds, so a loan beyond both reverts Panic(0x11), not InsufficientLiquidity."""
        INT.add(held, amount)
        r = self.reserve
        asset = self._debt_asset(series)
        idle = r.idle_quote if asset == "QUOTE" else r.idle_base
        if amount > idle:
            raise _revert("InsufficientLiquidity", amount, idle)
        if asset == "QUOTE":
            r.idle_quote -= amount
        else:
            r.idle_base -= amount
        r.debt_of[series] = INT.add(r.debt_of[series], amount)
        self._push(asset, "reserve", series, amount)
        self._emit("reserve", "Borrowed", series=series, amount=amount)

    def _repay(self, series: str, amount: int) -> None:
        r = self.reserve
        debt = r.debt_of[series]
        if amount > debt:
            raise _revert("RepayExceedsDebt", amount, debt)
        asset = self._debt_asset(series)
        r.debt_of[series] = debt - amount
        if asset == "QUOTE":
            r.idle_quote += amount
        else:
            r.idle_base += amount
        self._pull(asset, "reserve", series, amount)
        self._emit("reserve", "Repaid", series=series, amount=amount)

    def _deposit_fee(self, series: str, amount: int) -> None:
        self.reserve.idle_quote += amount  # the series holds the fee: idle + fee stays within the supply
        self.reserve.fees_received = INT.add(self.reserve.fees_received, amount)  # a cumulative counter
        self._pull("QUOTE", "reserve", series, amount)
        self._emit("reserve", "FeeReceived", series=series, amount=amount)

    def _pay_keeper(self, series: str, keeper: str, pay: P.KeeperPayment) -> None:
        """`payKeeper`: pays what it holds idle, at most the entitled fee (`procedures.pay_keeper`); never
        reverts for lack of funds; nothing moves and nothing is emitted when it pays 0."""
        r = self.reserve
        if pay.paid == 0:
            return
        r.idle_quote -= pay.paid
        r.keeper_paid = INT.add(r.keeper_paid, pay.paid)
        self._push("QUOTE", "reserve", keeper, pay.paid)
        self._emit("reserve", "KeeperPaid", series=series, keeper=keeper, amount=pay.paid)

    def _absorb_bad_debt(self, series: str, base_in: int, quote_in: int, shortfall: int) -> None:
        """The series' remaining assets are pulled into idle and the shortfall
        (`procedures.plan_insolvency`) is recorded as bad debt."""
        r = self.reserve
        r.debt_of[series] = 0
        r.idle_base += base_in
        r.idle_quote += quote_in
        r.bad_debt = INT.add(r.bad_debt, shortfall)
        self._pull("BASE", "reserve", series, base_in)
        self._pull("QUOTE", "reserve", series, quote_in)
        self._emit("reserve", "BadDebtRecognized", series=series, shortfall=shortfall)

    def allocate_fees(self, sender: str, now: int) -> tuple[int, int]:
        def run() -> tuple[int, int]:
            r = self.reserve
            if r.last_allocation != 0 and now < r.last_allocation + r.fee_period:
                raise _revert("TooEarly", r.last_allocation + r.fee_period)
            r.last_allocation = now
            base, quote = self._collect_protocol_fees("reserve")
            r.idle_base += base
            r.idle_quote += quote
            r.allocated_base = INT.add(r.allocated_base, base)
            r.allocated_quote = INT.add(r.allocated_quote, quote)
            self._emit("reserve", "FeesAllocated", baseAmount=base, quoteAmount=quote)
            return base, quote

        return self._tx(run)

    def inject(self, sender: str, base: int, quote: int, now: int) -> None:
        def run() -> None:
            r = self.reserve
            if base == 0 and quote == 0:
                raise _revert("ZeroAmount")
            # checked, before the pulls: an injection the sender cannot pay may overflow the books first
            r.idle_base = INT.add(r.idle_base, base)
            r.idle_quote = INT.add(r.idle_quote, quote)
            r.injected_base = INT.add(r.injected_base, base)
            r.injected_quote = INT.add(r.injected_quote, quote)
            self._pull("BASE", "reserve", sender, base)
            self._pull("QUOTE", "reserve", sender, quote)
            self._emit("reserve", "Injected", **{"from": sender, "baseAmount": base, "quoteAmount": quote})

        self._tx(run)

    # valuation (views; all read the oracle and so revert on a stale price)

    def _valuation(self, price: int) -> tuple[int, int, int, int]:
        """ReservePool._valuation: (equity, floor, lent, idle) in QUOTE, in the contract's order."""
        r = self.reserve
        held = [(self.series[lbl].p.is_long, self.series[lbl].base_held, self.series[lbl].quote_held, r.debt_of[lbl])
                for lbl in r.series]
        return F.reserve_valuation(INT, r.floor_bps, r.idle_base, r.idle_quote, price, held)

    def _equity_and_floor(self, price: int) -> tuple[int, int]:
        equity, floor, _, _ = self._valuation(price)
        return equity, floor

    def is_above_floor(self, now: int) -> bool:
        equity, floor = self._equity_and_floor(self.oracle_price(now))
        return equity >= floor

    def health(self, now: int) -> tuple[int, int, int, int]:
        """(equityBase, floorBase, utilizationWad, bufferDepth)."""
        price = self.oracle_price(now)
        r = self.reserve
        equity, floor, lent, idle = self._valuation(price)
        max_fee = max((self.series[s].p.keeper_fee for s in r.series), default=0)
        return (
            F.quote_to_base_down(INT, equity, price),
            F.quote_to_base_up(INT, floor, price),
            F.utilization_wad(INT, lent, idle),
            F.buffer_depth(INT, equity, floor, max_fee),
        )

    def checkpoint(self, sender: str, now: int) -> tuple[int, int, int, int]:
        def run() -> tuple[int, int, int, int]:
            r = self.reserve
            if r.last_checkpoint != 0 and now < r.last_checkpoint + CHECKPOINT_INTERVAL:
                raise _revert("TooEarly", r.last_checkpoint + CHECKPOINT_INTERVAL)
            r.last_checkpoint = now
            h = self.health(now)
            self._emit("reserve", "HealthCheckpoint", equityBase=h[0], floorBase=h[1], utilizationWad=h[2], bufferDepth=h[3])
            return h

        return self._tx(run)

    # ------------------------------------------------------------------ LeveragedToken: views

    def debt(self, series: str) -> int:
        return self.reserve.debt_of.get(series, 0)

    def _position(self, series: str, price: int) -> P.Position:
        s = self.series[series]
        return P.position(INT, s.p, s.base_held, s.quote_held, self.debt(series), price)

    def _value(self, series: str, price: int) -> int:
        s = self.series[series]
        return F.series_value(INT, s.p.is_long, s.base_held, s.quote_held, self.debt(series), price)

    def _leverage(self, series: str, price: int) -> int:
        pos = self._position(series, price)
        if pos.v <= 0:
            raise _revert("SeriesInsolvent")
        return pos.lev

    def _nav(self, series: str, price: int) -> int:
        return F.nav_per_token(INT, self._value(series, price), self.tokens[series].total_supply)

    def value(self, series: str, now: int) -> int:
        return self._value(series, self.oracle_price(now))

    def leverage(self, series: str, now: int) -> int:
        return self._leverage(series, self.oracle_price(now))

    def nav_per_token(self, series: str, now: int) -> int:
        return self._nav(series, self.oracle_price(now))

    # ------------------------------------------------------------------ LeveragedToken: executing a procedure
    # The arithmetic of mint, redeem and the trade to target is `specs.procedures` (shared with the
    # proofs); here only the calls it implies, in the contracts' order: borrow, swap, repay.

    def _swap(self, series: str, order: P.SwapOrder) -> int:
        """Run one protocol swap (its fill: output of a sale, QUOTE paid for a buy); 0 when skipped."""
        if order.skipped:
            return 0
        if order.exact_out:
            return self._swap_exact_out(series, order.token_in, order.amount, order.limit, series)
        return self._swap_exact_in(series, order.token_in, order.amount, order.limit, series)

    def _hold(self, series: str, b: int, q: int, d: int) -> None:
        """Record the settled holdings; the debt moved through the reserve's borrow/repay."""
        assert self.debt(series) == d, (series, self.debt(series), d)
        self.series[series].base_held, self.series[series].quote_held = b, q

    # ------------------------------------------------------------------ LeveragedToken: mint / redeem

    def mint(self, sender: str, series: str, quote_in: int, min_shares: int, now: int) -> int:
        return self._tx(self._mint, sender, series, quote_in, min_shares, now)

    def _mint(self, sender: str, series: str, quote_in: int, min_shares: int, now: int) -> int:
        s = self.series[series]
        if quote_in == 0:
            raise _revert("ZeroAmount")
        price = self.oracle_price(now)
        pay = P.mint_payment(INT, s.p, quote_in)
        self._pull("QUOTE", series, sender, quote_in)
        if pay.fee > 0:
            self._deposit_fee(series, pay.fee)
        supply = self.tokens[series].total_supply
        b, q, d = s.base_held, s.quote_held, self.debt(series)
        v0 = self._value(series, price)  # computed on every mint (IntOverflow / Panic / MulDivOverflow)
        if supply > 0 and v0 <= 0:
            raise _revert("SeriesInsolvent")
        plan = P.plan_mint(INT, s.p, supply == 0, b, q, d, price, pay.net)
        if plan.borrow:  # the series has added net to its QUOTE (a long borrows QUOTE, a short BASE)
            self._borrow(series, plan.borrow, q + pay.net if s.p.is_long else b)
        st = P.settle_mint(INT, s.p, plan, b, q, d, supply, price, self._swap(series, plan.swap))
        self._hold(series, st.b, st.q, st.d)
        if st.shares <= 0:
            raise _revert("ZeroShares")
        if st.shares < min_shares:
            raise _revert("InsufficientShares", st.shares, min_shares)
        self._mint_token(series, sender, st.shares)
        self._emit(series, "Minted", account=sender, quoteIn=quote_in, fee=pay.fee, shares=st.shares)
        return st.shares

    def redeem(self, sender: str, series: str, shares: int, min_quote_out: int, now: int) -> int:
        return self._tx(self._redeem, sender, series, shares, min_quote_out, now)

    def _redeem(self, sender: str, series: str, shares: int, min_quote_out: int, now: int) -> int:
        s = self.series[series]
        if shares == 0:
            raise _revert("ZeroAmount")
        have = self.tokens[series].balance(sender)
        if have < shares:
            raise _revert("InsufficientBalance", have, shares)
        price = self.oracle_price(now)
        b, q, d = s.base_held, s.quote_held, self.debt(series)
        plan = P.plan_redeem(INT, s.p, b, q, d, self.tokens[series].total_supply, shares, price)
        sold = self._swap(series, plan.sell)
        spent = self._swap(series, plan.buy) if plan.buy is not None else 0
        st = P.settle_redeem(INT, s.p, plan, b, q, d, sold, spent)
        if not st.solvent:
            raise _revert("SeriesInsolvent")
        if plan.slices.dd:
            self._repay(series, plan.slices.dd)
        pay = P.redeem_payout(INT, s.p, st.gross)
        if pay.out < min_quote_out:
            raise _revert("InsufficientOutput", pay.out, min_quote_out)
        self._hold(series, st.b, st.q, st.d)  # the redeemer's cash leaves: fee to the reserve, rest paid out
        self._burn_token(series, sender, shares)
        if pay.fee > 0:
            self._deposit_fee(series, pay.fee)
        self._push("QUOTE", series, sender, pay.out)
        self._emit(series, "Redeemed", account=sender, shares=shares, quoteOut=pay.out, fee=pay.fee)
        return pay.out

    # ------------------------------------------------------------------ LeveragedToken: rebalance / ripcord

    def _trade_to_target(self, series: str, price: int, pos: P.Position) -> tuple[bool, int, int]:
        """Rebalance step 5. Returns (increase, baseAmount, quoteAmount) for the event; a trade that is
        skipped (E* == E, or dust) reverts NothingToRebalance: no work, no keeper fee."""
        s = self.series[series]
        b, q, d = s.base_held, s.quote_held, self.debt(series)
        for increase in (True, False):
            if P.branch(INT, pos, increase):
                break
        else:
            raise _revert("NothingToRebalance")  # E* == E
        plan = P.plan_trade(INT, s.p, pos, d, price, increase)
        if plan.swap.skipped:
            raise _revert("NothingToRebalance")
        if plan.borrow:
            self._borrow(series, plan.borrow, q if s.p.is_long else b)
        st = P.settle_trade(INT, s.p, plan, b, q, d, self._swap(series, plan.swap))
        if not st.solvent:
            raise _revert("SeriesInsolvent")
        if st.repay:
            self._repay(series, st.repay)
        self._hold(series, st.b, st.q, st.d)
        return increase, st.base_amount, st.quote_amount

    def rebalance(self, sender: str, series: str, now: int) -> int:
        """Returns the trigger (0 band, 1 fallback)."""
        return self._tx(self._rebalance, sender, series, now, False)

    def ripcord(self, sender: str, series: str, now: int) -> int:
        return self._tx(self._rebalance, sender, series, now, True)

    def _rebalance(self, sender: str, series: str, now: int, ripcord: bool) -> int:
        s = self.series[series]
        price = self.oracle_price(now)
        if self.tokens[series].total_supply == 0:
            raise _revert("EmptySeries")
        pos = self._position(series, price)
        lev = self._leverage(series, price)  # SeriesInsolvent when V <= 0
        if ripcord:
            if not P.ripcord_trigger(INT, s.p, lev, True):
                raise _revert("NotAboveRipcord", lev)
            trigger = P.Trigger.RIPCORD
        else:
            equity, floor = self._equity_and_floor(price)
            decision = P.rebalance_trigger(INT, s.p, lev, now, s.last_rebalance, equity >= floor, True)
            if not decision.above_floor:
                raise _revert("BelowFloor", equity, floor)
            if not decision.allowed:
                raise _revert("NotTriggered", lev)
            trigger = decision.kind
        nav_before = self._nav(series, price)
        increase, base_amt, quote_amt = self._trade_to_target(series, price, pos)
        s.last_rebalance = now
        if not ripcord:
            notional = P.trade_notional(INT, base_amt, price)
            self._pay_keeper(series, sender, P.pay_keeper(INT, s.p.keeper_fee, notional, self.reserve.idle_quote))
        after = self._position(series, price)
        self._emit(
            series,
            "Rebalanced",
            trigger=int(trigger),
            increase=increase,
            baseAmount=base_amt,
            quoteAmount=quote_amt,
            levBefore=lev,
            levAfter=after.lev if after.v > 0 else 0,
            navBefore=nav_before,
            navAfter=self._nav(series, price),
        )
        return int(trigger)

    def settle_insolvency(self, sender: str, series: str, now: int) -> None:
        def run() -> None:
            s = self.series[series]
            price = self.oracle_price(now)
            self._value(series, price)  # the contract's `_value(p) > 0` (IntOverflow / Panic / MulDivOverflow first)
            ins = P.plan_insolvency(INT, s.p.is_long, s.base_held, s.quote_held, self.debt(series), price)
            if not ins.allowed:
                raise _revert("NotInsolvent")
            b, q = s.base_held, s.quote_held
            s.base_held = s.quote_held = 0
            self._absorb_bad_debt(series, b, q, ins.shortfall)
            self._emit(series, "InsolvencySettled", baseOut=b, quoteOut=q)

        self._tx(run)


# ---------------------------------------------------------------------------------------------- snapshot


def model_state(m: Model, now: int, holders: tuple[str, ...], donated: tuple = ()) -> SystemState:
    """Every state variable of the model as a `SystemState` (`now`: the next transaction's timestamp;
    `holders`: the accounts whose balances are listed, in this order)."""
    r, p, o = m.reserve, m.pool, m.oracle
    series = tuple(
        SeriesState(
            label=lbl,
            params=s.p,
            base_held=s.base_held,
            quote_held=s.quote_held,
            debt=r.debt_of.get(lbl, 0),
            total_supply=m.tokens[lbl].total_supply,
            last_rebalance=s.last_rebalance,
            balances=tuple((h, m.tokens[lbl].balance(h)) for h in holders if m.tokens[lbl].balance(h)),
        )
        for lbl, s in m.series.items()
    )
    # the order of the fuzzer's storage read: token, then holder in `holders` order
    balances = tuple((t, h, m.tokens[t].balance(h)) for t in ("BASE", "QUOTE") for h in holders if m.tokens[t].balance(h))
    return SystemState(
        time=now,
        price=o.price,
        updated_at=o.updated_at,
        max_age=o.max_age,
        pool_reserve_base=p.reserve_base,
        pool_reserve_quote=p.reserve_quote,
        pool_pending_fee_base=p.pending_fee_base,
        pool_pending_fee_quote=p.pending_fee_quote,
        pool_total_shares=p.total_shares,
        floor_bps=r.floor_bps,
        idle_base=r.idle_base,
        idle_quote=r.idle_quote,
        last_allocation=r.last_allocation,
        last_checkpoint=r.last_checkpoint,
        fees_received=r.fees_received,
        allocated_base=r.allocated_base,
        allocated_quote=r.allocated_quote,
        injected_base=r.injected_base,
        injected_quote=r.injected_quote,
        keeper_paid=r.keeper_paid,
        bad_debt=r.bad_debt,
        series=series,
        balances=balances,
        supplies=(("BASE", m.tokens["BASE"].total_supply), ("QUOTE", m.tokens["QUOTE"].total_supply)),
        donated=tuple(donated),
    )
