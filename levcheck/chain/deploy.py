"""The deployment fixture: one full market on any `levcheck.chain.evm` backend.

The reference model (`specs.model.Model.deploy`) mirrors this sequence transaction by transaction,
so it is part of the interface: change it only together with the model. Every step is one
transaction (the clock moves one second per transaction, deploys included):

 1. accounts `deployer` and `oracle-keeper` (labels, no transaction);
 2. deploy QUOTE = TestToken("Quote", "QUOTE");
 3. deploy BASE = TestToken("Base", "BASE");
 4. deploy PriceOracle(oracle-keeper, oracle_max_age);
 5. keeper: oracle.setPrice(initial_price);
 6. deploy SpotPool(BASE, QUOTE, pool_fee_bps, protocol_share_bps);
 7. BASE.mint(deployer, pool_base); BASE.approve(pool, max);
    QUOTE.mint(deployer, pool_base * initial_price // WAD); QUOTE.approve(pool, max);
 8. pool.addLiquidity(pool_base, pool_quote, 0);
 9. deploy ReservePool(BASE, QUOTE, oracle, pool, floor_bps, fee_period, deployer);
10. pool.setFeeRecipient(reserve);
11. BASE.mint(deployer, reserve_base); BASE.approve(reserve, max);
    QUOTE.mint(deployer, reserve_quote); QUOTE.approve(reserve, max);
12. reserve.inject(reserve_base, reserve_quote);
13. for each series, in `params.series` order: deploy LeveragedToken(name, symbol, reserve, is_long,
    [target, min, max, ripcord], fallback_interval, slippage_cap_bps, mint_fee_bps, redeem_fee_bps,
    keeper_fee), then reserve.registerSeries(series).

`params.checkpoint_interval` is not a constructor argument: the ReservePool's CHECKPOINT_INTERVAL is
the constant 3600 s, and `deploy_market` refuses any other value rather than silently ignore it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from levcheck.specs.arith import WAD
from levcheck.specs.params import BUNDLED, MarketParams, ParamError, SeriesParams

from .build import Artifacts, build_contracts
from .evm import EVM, Contract

MAX_UINT = 2**256 - 1
CHECKPOINT_INTERVAL = 3_600  # ReservePool.CHECKPOINT_INTERVAL
DEPLOYER, ORACLE_KEEPER = "deployer", "oracle-keeper"


@dataclass(frozen=True)
class Market:
    """Handles on one deployed market; `series` follows `params.series` order."""

    evm: EVM
    params: MarketParams
    artifacts: Artifacts
    quote: Contract
    base: Contract
    oracle: Contract
    pool: Contract
    reserve: Contract
    series: tuple[Contract, ...]
    deployer: str
    oracle_keeper: str

    @property
    def long(self) -> Contract:
        """The first long series (the bundled 3x long)."""
        return next(s for s, p in zip(self.series, self.params.series) if p.is_long)

    @property
    def short(self) -> Contract:
        """The first short series (the bundled 3x short)."""
        return next(s for s, p in zip(self.series, self.params.series) if not p.is_long)

    def set_price(self, price: int) -> None:
        """Push a mark price as the oracle keeper (one transaction)."""
        self.oracle.transact("setPrice", price, sender=self.oracle_keeper)

    def fund(self, who: str, base: int = 0, quote: int = 0) -> None:
        """Mint test assets to `who` and approve every market contract that pulls from it (helper for
        tests and the fuzzer; not part of the deployment sequence)."""
        for token, amount in ((self.base, base), (self.quote, quote)):
            if amount:
                token.transact("mint", who, amount, sender=who)
        for spender in (self.pool, self.reserve, *self.series):
            for token in (self.base, self.quote):
                if token.call("allowance", who, spender.address) != MAX_UINT:
                    token.transact("approve", spender.address, MAX_UINT, sender=who)


    def move_pool_to(self, price: int, trader: str = "arbitrageur") -> None:
        """Swap on the pool (as a funded `trader`) until its spot price is about `price` (within the fee:
        ~0.3%), as an arbitrageur would after an oracle move, so protocol swaps pass their slippage cap.
        Test/fuzz helper; not part of the deployment sequence."""
        who = self.evm.account(trader)
        r_base, r_quote = self.pool.call("reserveBase"), self.pool.call("reserveQuote")
        fee_bps = self.pool.call("feeBps")
        k = r_base * r_quote
        if price * r_base < r_quote * WAD:  # pool above target: sell BASE
            net = math.isqrt(k * WAD // price) - r_base
            token, amount = self.base, net * 10_000 // (10_000 - fee_bps)
        else:  # pool below target: sell QUOTE
            net = math.isqrt(k * price // WAD) - r_quote
            token, amount = self.quote, net * 10_000 // (10_000 - fee_bps)
        if amount <= 0:
            return
        token.transact("mint", who, amount, sender=who)
        if token.call("allowance", who, self.pool.address) < amount:
            token.transact("approve", self.pool.address, MAX_UINT, sender=who)
        self.pool.transact("swapExactIn", token.address, amount, 0, who, sender=who)


def series_name(sp: SeriesParams) -> tuple[str, str]:
    """ERC-20 name and symbol of a series, e.g. ("BASE 3x Long", "BASE3L")."""
    lev = f"{sp.target_lev / WAD:g}"
    return f"BASE {sp.name}", f"BASE{lev}{'L' if sp.is_long else 'S'}"


def series_ctor_args(reserve: str, sp: SeriesParams) -> tuple:
    """LeveragedToken constructor arguments for one series (the order of the Solidity constructor)."""
    name, symbol = series_name(sp)
    return (
        name,
        symbol,
        reserve,
        sp.is_long,
        [sp.target_lev, sp.min_lev, sp.max_lev, sp.ripcord_lev],
        sp.fallback_interval,
        sp.slippage_cap_bps,
        sp.mint_fee_bps,
        sp.redeem_fee_bps,
        sp.keeper_fee,
    )


def deploy_market(
    evm: EVM,
    params: MarketParams = BUNDLED,
    artifacts: Artifacts | None = None,
    sources: Mapping[str, str] | None = None,
    validate: bool = True,
) -> Market:
    """Stand up a full market (module docstring: the exact transaction sequence).

    `artifacts` deploys pre-built (e.g. patched) contracts; otherwise `contracts/` is built, with
    `sources` (source unit name -> text, as `build_contracts(extra_sources=...)`) replacing or adding
    units, so tests and the fuzzer can deploy a patched variant. `validate=False` sends a set the spec
    refuses to the constructors anyway (`levcheck.chain.conformance`: they must refuse it too)."""
    if validate:
        params.validate()
    if params.checkpoint_interval != CHECKPOINT_INTERVAL:
        raise ParamError(f"checkpoint_interval is fixed at {CHECKPOINT_INTERVAL} s in ReservePool, got {params.checkpoint_interval}")
    if artifacts is None:
        artifacts = build_contracts(extra_sources=sources)
    elif sources:
        raise ValueError("pass either artifacts or sources, not both")
    deployer, keeper = evm.account(DEPLOYER), evm.account(ORACLE_KEEPER)

    quote = evm.deploy(artifacts["TestToken"], "Quote", "QUOTE", sender=deployer)
    base = evm.deploy(artifacts["TestToken"], "Base", "BASE", sender=deployer)
    oracle = evm.deploy(artifacts["PriceOracle"], keeper, params.oracle_max_age, sender=deployer)
    oracle.transact("setPrice", params.initial_price, sender=keeper)

    pool = evm.deploy(
        artifacts["SpotPool"], base.address, quote.address, params.pool_fee_bps, params.protocol_share_bps, sender=deployer
    )
    pool_quote = params.pool_base * params.initial_price // WAD
    _mint_and_approve(base, quote, pool.address, deployer, params.pool_base, pool_quote)
    pool.transact("addLiquidity", params.pool_base, pool_quote, 0, sender=deployer)

    reserve = evm.deploy(
        artifacts["ReservePool"],
        base.address,
        quote.address,
        oracle.address,
        pool.address,
        params.floor_bps,
        params.fee_period,
        deployer,
        sender=deployer,
    )
    pool.transact("setFeeRecipient", reserve.address, sender=deployer)
    _mint_and_approve(base, quote, reserve.address, deployer, params.reserve_base, params.reserve_quote)
    reserve.transact("inject", params.reserve_base, params.reserve_quote, sender=deployer)

    series = []
    for sp in params.series:
        s = evm.deploy(artifacts["LeveragedToken"], *series_ctor_args(reserve.address, sp), sender=deployer)
        reserve.transact("registerSeries", s.address, sender=deployer)
        series.append(s)

    return Market(evm, params, artifacts, quote, base, oracle, pool, reserve, tuple(series), deployer, keeper)


def _mint_and_approve(base: Contract, quote: Contract, spender: str, owner: str, base_amt: int, quote_amt: int) -> None:
    for token, amount in ((base, base_amt), (quote, quote_amt)):
        token.transact("mint", owner, amount, sender=owner)
        token.transact("approve", spender, MAX_UINT, sender=owner)
