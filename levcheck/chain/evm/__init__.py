"""One EVM interface, several backends: `open_backend("pyrevm" | "web3" | "anvil" | "http://...")`."""
from __future__ import annotations

from ...errors import LevcheckError
from .abi import Event, RevertError
from .base import EVM, Contract, Reverted, TxResult, account_address

BACKENDS = ("pyrevm", "web3", "anvil")


def open_backend(name: str = "pyrevm", labels: "tuple[str, ...]" = ()) -> EVM:
    """Open a backend by name, or an HTTP JSON-RPC endpoint by URL (loopback only).

    `labels`: account labels to fund at genesis on the web3 (eth-tester) backend, beyond the standard ones."""
    if name == "pyrevm":
        from .pyrevm_backend import PyrevmEVM

        return PyrevmEVM()
    if name in ("web3", "eth-tester"):
        from .web3_backend import EthTesterEVM

        return EthTesterEVM(labels)
    if name == "anvil":
        from .web3_backend import start_anvil

        return start_anvil()
    if name.startswith(("http://", "https://")):
        from .web3_backend import HttpEVM

        return HttpEVM(name)
    raise LevcheckError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)} or an http://127.0.0.1:PORT URL")


__all__ = ["EVM", "Contract", "Event", "Reverted", "RevertError", "TxResult", "open_backend", "account_address", "BACKENDS"]
