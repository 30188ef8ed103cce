"""The shape SPEC.md demands of the contracts, declared once: who may write what, which calls a series
may make from which entry point, which guards stand before which effects, what is immutable and which
events a successful call emits.

`levcheck analyze` (levcheck/analysis/detectors/) reads these tables and checks them on Slither's IR;
nothing here is Solidity-specific beyond the names, and every name comes from SPEC.md. A name that the
contracts do not have is reported by the `lev-spec-names` detector, so a rename cannot quietly switch a
check off. Constructors (and state-variable initialisers) may write anything: they run once.
"""
from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------------
# Immutability: per-series thresholds (SPEC "LeveragedToken ... Immutables") and the oracle's max age.
# Each must be declared `immutable` or `constant`, and no function other than the constructor writes it.
# ---------------------------------------------------------------------------------------------------
IMMUTABLE: dict[str, tuple[str, ...]] = {
    "LeveragedToken": (
        "targetLev",
        "minLev",
        "maxLev",
        "ripcordLev",
        "fallbackInterval",
        "slippageCapBps",
        "mintFeeBps",
        "redeemFeeBps",
        "keeperFee",
    ),
    "PriceOracle": ("maxAge",),
}

# ---------------------------------------------------------------------------------------------------
# Write sets: state variable -> the entry points (external/public functions) that may write it,
# directly or through internal calls and modifiers.
# ---------------------------------------------------------------------------------------------------
_POSITION_WRITERS = ("mint", "redeem", "rebalance", "ripcord", "settleInsolvency")
_IDLE_WRITERS = ("borrow", "repay", "depositFee", "payKeeper", "absorbBadDebt", "allocateFees", "inject")

WRITE_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "LeveragedToken": {
        "baseHeld": _POSITION_WRITERS,  # the position b
        "quoteHeld": _POSITION_WRITERS,  # the position q
        "lastRebalance": ("rebalance", "ripcord"),
    },
    "ReservePool": {
        "debtOf": ("borrow", "repay", "absorbBadDebt"),  # the debt d of every series
        "idleBase": _IDLE_WRITERS,
        "idleQuote": _IDLE_WRITERS,
        "feesReceived": ("depositFee",),
        "allocatedBase": ("allocateFees",),
        "allocatedQuote": ("allocateFees",),
        "injectedBase": ("inject",),
        "injectedQuote": ("inject",),
        "keeperPaid": ("payKeeper",),
        "badDebt": ("absorbBadDebt",),
        "lastAllocation": ("allocateFees",),
        "lastCheckpoint": ("checkpoint",),
    },
}

# Calls a series makes on the reserve (they move the debt and the reserve's balances):
# called function name -> the series' entry points that may reach it.
CALL_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "LeveragedToken": {
        "borrow": ("mint", "rebalance"),
        "repay": ("redeem", "rebalance", "ripcord"),
        "depositFee": ("mint", "redeem"),
        "absorbBadDebt": ("settleInsolvency",),
    },
}

# Entry points that the spec restricts to one caller ("only keeper", "only a series", ...): each must
# check msg.sender, on every path, before it writes state or calls out.
CALLER_CHECKED: dict[str, tuple[str, ...]] = {
    "PriceOracle": ("setPrice",),
    "SpotPool": ("setFeeRecipient", "collectProtocolFees"),
    "ReservePool": ("registerSeries", "borrow", "repay", "depositFee", "payKeeper", "absorbBadDebt"),
}


# ---------------------------------------------------------------------------------------------------
# Guards: a conditional whose failing branch reverts, recognised by the spec's error name or by what
# its condition reads; or a call that itself reverts (the oracle's `price()` is fresh or reverts).
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Guard:
    name: str
    errors: tuple[str, ...] = ()  # custom errors named in SPEC.md for this check
    state_vars: tuple[str, ...] = ()  # a reverting condition that reads one of these
    call_results: tuple[str, ...] = ()  # a reverting condition on the result of a call to one of these
    reverting_calls: tuple[str, ...] = ()  # calls that revert unless the check holds
    reads_sender: bool = False  # a reverting condition on msg.sender


TRIGGER = Guard(
    "trigger rule (band or fallback)",
    errors=("NotTriggered",),
    state_vars=("minLev", "maxLev", "lastRebalance", "fallbackInterval"),
)
FLOOR = Guard("reserve floor", errors=("BelowFloor",), call_results=("isAboveFloor",))
ORACLE_FRESH = Guard("oracle freshness", errors=("StalePrice",), reverting_calls=("price",))
RIPCORD_LEVEL = Guard("ripcord level", errors=("NotAboveRipcord",), state_vars=("ripcordLev",))
# issue 12: a rebalance whose trade is skipped pays nothing (SPEC rebalance step 5)
WORK_DONE = Guard("work done (NothingToRebalance)", errors=("NothingToRebalance",))
CALLER = Guard("caller check", errors=("NotKeeper", "NotSeries", "NotAdmin", "NotDeployer", "NotFeeRecipient"), reads_sender=True)

SWAP_FUNCTIONS: tuple[str, ...] = ("swapExactIn", "swapExactOut")
# Index of the oracle-derived limit among each swap's arguments (minOut / maxIn).
SWAP_LIMIT_ARG: dict[str, int] = {"swapExactIn": 2, "swapExactOut": 2}
ORACLE_PRICE_CALL = "price"

# (contract, entry point) -> guards that must hold on every path before it reaches a swap.
GUARDED_SWAPS: dict[tuple[str, str], tuple[Guard, ...]] = {
    ("LeveragedToken", "rebalance"): (TRIGGER, FLOOR, ORACLE_FRESH),
    ("LeveragedToken", "ripcord"): (RIPCORD_LEVEL, ORACLE_FRESH),
}

# ---------------------------------------------------------------------------------------------------
# Keeper fee: paid (reserve.payKeeper) only from these entry points, after their guards and the
# work-done check, and the amount is derived from the series' immutable keeper fee.
# ---------------------------------------------------------------------------------------------------
KEEPER_PAY_CALL = "payKeeper"
KEEPER_FEE_VAR = "keeperFee"
KEEPER_FEE_PAYERS: dict[str, tuple[str, ...]] = {"LeveragedToken": ("rebalance",)}
# Guards that must hold before the keeper is paid, beyond the entry point's own (GUARDED_SWAPS).
KEEPER_PAY_GUARDS: tuple[Guard, ...] = (WORK_DONE,)

# ---------------------------------------------------------------------------------------------------
# Events: every non-reverting path of the entry point emits the event.
# ---------------------------------------------------------------------------------------------------
REQUIRED_EVENTS: dict[tuple[str, str], str] = {
    ("LeveragedToken", "rebalance"): "Rebalanced",
    ("LeveragedToken", "ripcord"): "Rebalanced",
    ("LeveragedToken", "mint"): "Minted",
    ("LeveragedToken", "redeem"): "Redeemed",
    ("PriceOracle", "setPrice"): "PriceUpdated",
    ("SpotPool", "swapExactIn"): "Swap",
    ("SpotPool", "swapExactOut"): "Swap",
    ("ReservePool", "allocateFees"): "FeesAllocated",
    ("ReservePool", "inject"): "Injected",
    ("ReservePool", "checkpoint"): "HealthCheckpoint",
    ("ReservePool", "absorbBadDebt"): "BadDebtRecognized",
}

# The protocol's contracts (SPEC.md): the call-order check runs on these.
PROTOCOL_CONTRACTS: tuple[str, ...] = ("TestToken", "PriceOracle", "SpotPool", "ReservePool", "LeveragedToken")
