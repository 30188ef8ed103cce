"""The two tables both sides of a differential run read: what each scenario action is (the contract
function it sends, with its arguments in order, and the model procedure it runs), and which state
variables are compared (by contract, storage name and `SystemState` field). `driver` (the EVM side)
and `modelside` (the model side) are built from these, so the two cannot disagree on an argument's
position or a variable's place.

Argument names are the scenario's (`specs/scenario.py: ACTIONS`); "@who" is the step's actor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

WHO = "@who"


@dataclass(frozen=True)
class Tx:
    """One scenario action as a transaction."""

    contract: str  # a contract label, or the name of the step argument that holds it ("series", "token")
    function: str  # the contract function
    args: tuple[str, ...]  # the function's arguments, in order
    model: str  # the `Model` method
    model_args: tuple[str, ...]  # its arguments between `sender` and `now`, in order
    returns: bool = True  # the step's outcome records the return value


TXS: dict[str, Tx] = {
    "set_price": Tx("oracle", "setPrice", ("price",), "set_price", ("price",), returns=False),
    "faucet": Tx("token", "mint", (WHO, "amount"), "token_mint", ("token", WHO, "amount")),
    "transfer": Tx("token", "transfer", ("to", "amount"), "transfer", ("token", "to", "amount")),
    "approve": Tx("token", "approve", ("spender", "amount"), "approve", ("token", "spender", "amount")),
    "transfer_from": Tx("token", "transferFrom", ("owner", "to", "amount"), "transfer_from", ("token", "owner", "to", "amount")),
    "mint": Tx("series", "mint", ("quote_in", "min_shares"), "mint", ("series", "quote_in", "min_shares")),
    "redeem": Tx("series", "redeem", ("shares", "min_quote_out"), "redeem", ("series", "shares", "min_quote_out")),
    "swap_exact_in": Tx("pool", "swapExactIn", ("token_in", "amount_in", "min_out", WHO),
                        "swap_exact_in", ("token_in", "amount_in", "min_out", WHO)),
    "swap_exact_out": Tx("pool", "swapExactOut", ("token_in", "amount_out", "max_in", WHO),
                         "swap_exact_out", ("token_in", "amount_out", "max_in", WHO)),
    "add_liquidity": Tx("pool", "addLiquidity", ("base", "quote", "min_shares"), "add_liquidity", ("base", "quote", "min_shares")),
    "remove_liquidity": Tx("pool", "removeLiquidity", ("shares", "min_base", "min_quote"),
                           "remove_liquidity", ("shares", "min_base", "min_quote")),
    "rebalance": Tx("series", "rebalance", (), "rebalance", ("series",), returns=False),
    "ripcord": Tx("series", "ripcord", (), "ripcord", ("series",), returns=False),
    "settle_insolvency": Tx("series", "settleInsolvency", (), "settle_insolvency", ("series",), returns=False),
    "allocate_fees": Tx("reserve", "allocateFees", (), "allocate_fees", ()),
    "checkpoint": Tx("reserve", "checkpoint", (), "checkpoint", (), returns=False),
    "inject": Tx("reserve", "inject", ("base", "quote"), "inject", ("base", "quote"), returns=False),
}


def resolve(name: str, arg: Callable[[str], Any], who: str) -> Any:
    return who if name == WHO else arg(name)


def contract_of(tx: Tx, arg: Callable[[str], Any]) -> str:
    return arg(tx.contract) if tx.contract in ("series", "token") else tx.contract


# ---------------------------------------------------------------- the compared state variables


@dataclass(frozen=True)
class Var:
    """A state variable: where it lives on chain, and its `SystemState`/`SeriesState` field."""

    contract: str  # a contract label; "series" for a per-series variable of that series
    name: str  # storage variable (public getter) name
    field: str  # SystemState / SeriesState field
    keyed: bool = False  # a mapping keyed by the series' address (the reserve's debtOf)


GLOBAL_VARS: tuple[Var, ...] = (
    Var("oracle", "latestPrice", "price"),
    Var("oracle", "updatedAt", "updated_at"),
    Var("pool", "reserveBase", "pool_reserve_base"),
    Var("pool", "reserveQuote", "pool_reserve_quote"),
    Var("pool", "pendingFeeBase", "pool_pending_fee_base"),
    Var("pool", "pendingFeeQuote", "pool_pending_fee_quote"),
    Var("pool", "totalShares", "pool_total_shares"),
    Var("reserve", "idleBase", "idle_base"),
    Var("reserve", "idleQuote", "idle_quote"),
    Var("reserve", "lastAllocation", "last_allocation"),
    Var("reserve", "lastCheckpoint", "last_checkpoint"),
    Var("reserve", "feesReceived", "fees_received"),
    Var("reserve", "allocatedBase", "allocated_base"),
    Var("reserve", "allocatedQuote", "allocated_quote"),
    Var("reserve", "injectedBase", "injected_base"),
    Var("reserve", "injectedQuote", "injected_quote"),
    Var("reserve", "keeperPaid", "keeper_paid"),
    Var("reserve", "badDebt", "bad_debt"),
)
SERIES_VARS: tuple[Var, ...] = (
    Var("series", "baseHeld", "base_held"),
    Var("series", "quoteHeld", "quote_held"),
    Var("reserve", "debtOf", "debt", keyed=True),
    Var("series", "totalSupply", "total_supply"),
    Var("series", "lastRebalance", "last_rebalance"),
)
# then, per series and per token (BASE, QUOTE), `balanceOf(holder)` for every holder, and the
# tokens' totalSupply: see `levcheck.chain.driver.state_from_raw`.
