"""Map what a counterexample exercises (a contract function) to a file and line, via the solc AST."""
from __future__ import annotations

from ..chain.build import Artifacts
from .results import Location

# Scenario actions -> the contract function the transaction calls.
ACTION_FUNCTION = {
    "mint": ("LeveragedToken", "mint"),
    "redeem": ("LeveragedToken", "redeem"),
    "mint_redeem": ("LeveragedToken", "redeem"),
    "rebalance": ("LeveragedToken", "rebalance"),
    "ripcord": ("LeveragedToken", "ripcord"),
    "settle_insolvency": ("LeveragedToken", "settleInsolvency"),
    "transfer": ("LeveragedToken", "transfer"),
    "approve": ("LeveragedToken", "approve"),
    "transfer_from": ("LeveragedToken", "transferFrom"),
    "swap_exact_in": ("SpotPool", "swapExactIn"),
    "swap_exact_out": ("SpotPool", "swapExactOut"),
    "add_liquidity": ("SpotPool", "addLiquidity"),
    "remove_liquidity": ("SpotPool", "removeLiquidity"),
    "allocate_fees": ("ReservePool", "allocateFees"),
    "checkpoint": ("ReservePool", "checkpoint"),
    "inject": ("ReservePool", "inject"),
    "set_price": ("PriceOracle", "setPrice"),
}

# Proof obligation families -> the function whose behaviour the obligation constrains.
FAMILY_FUNCTION = {
    "band": ("LeveragedToken", "rebalance"),
    "floor": ("LeveragedToken", "rebalance"),
    "fees": ("LeveragedToken", "mint"),
    "decay": ("LeveragedToken", "rebalance"),
    "accounting": ("LeveragedToken", "rebalance"),
    "econ": ("LeveragedToken", "rebalance"),
}


def function_location(artifacts: Artifacts, contract: str, function: str) -> Location | None:
    """The line where `contract.function` is defined, from the compiler's AST."""
    if contract not in artifacts:
        return None
    art = artifacts[contract]
    source = artifacts.sources.get(art.source_path, "")
    for node in art.ast.get("nodes", []):
        if node.get("nodeType") != "ContractDefinition" or node.get("name") != contract:
            continue
        for member in node.get("nodes", []):
            if member.get("nodeType") == "FunctionDefinition" and member.get("name") == function:
                start = int(member["src"].split(":")[0])
                return Location(art.source_path, source.encode()[:start].decode(errors="ignore").count("\n") + 1, contract, function)
        return Location(art.source_path, source.encode()[: int(node["src"].split(":")[0])].decode(errors="ignore").count("\n") + 1, contract, function)
    return None
