"""One EVM interface, several backends: `open_backend("pyrevm" | "web3" | "anvil" | "http://...")`."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ...errors import LevcheckError, ToolchainError
from ..abi import Event, RevertError
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

        require_loopback(name)
        return HttpEVM(name)
    raise LevcheckError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)} or an http://127.0.0.1:PORT URL")


def require_loopback(url: str) -> str:
    """The URL's real host (as urllib parses it: userinfo and port stripped) must be loopback, so
    `http://127.0.0.1:1@example.invalid/` is refused. Returns the hostname."""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ToolchainError(f"refusing RPC URL {url!r}: not a valid URL ({exc})") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _is_loopback(host) or parts.username is not None:
        raise ToolchainError(
            f"refusing RPC URL {url!r}: its host is {host or 'missing'!r}; levcheck only talks to nodes on this machine "
            f"(http://127.0.0.1:PORT, no user@ part)")
    return host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["require_loopback", "EVM", "Contract", "Event", "Reverted", "RevertError", "TxResult", "open_backend", "account_address", "BACKENDS"]
