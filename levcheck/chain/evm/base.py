"""The one EVM interface of levcheck; backends implement five raw operations and the clock.

Clock model, identical on every backend: each transaction (deploy, success or revert) runs at
`evm.time` and then the clock moves on by one second, as on a chain with one transaction per block.
Views run at `evm.time` without moving it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from ..build import Artifact
from ..abi import AbiRegistry, Event, Function, RevertError, encode_constructor, functions_of

START_TIME = 2_000_000_000  # after any node's wall-clock genesis, so every backend can start here
ACCOUNT_BALANCE = 10**24  # wei; gas is priced at zero, this only keeps nodes happy


class Reverted(Exception):
    """A call or transaction reverted; `.error` is the decoded reason."""

    def __init__(self, error: RevertError, timestamp: int, function: str = ""):
        self.error = error
        self.timestamp = timestamp
        self.function = function
        super().__init__(f"{function} reverted: {error}" if function else f"reverted: {error}")


@dataclass(frozen=True)
class TxResult:
    value: Any
    logs: list[Event] = field(default_factory=list)
    timestamp: int = 0


def account_key(label: str) -> bytes:
    """The deterministic private key behind `evm.account(label)`: the same address on every backend."""
    return keccak(text=f"levcheck-account:{label}")


def account_address(label: str) -> str:
    return keys.PrivateKey(account_key(label)).public_key.to_checksum_address()


class Contract:
    """A deployed contract bound to a backend: `call` for views, `transact` for state changes."""

    def __init__(self, evm: "EVM", address: str, artifact: Artifact):
        self.evm = evm
        self.address = to_checksum_address(address)
        self.artifact = artifact
        self.functions: dict[str, Function] = functions_of(artifact.abi)

    def fn(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            raise AttributeError(f"{self.artifact.name} has no function {name!r}") from None

    def call(self, name: str, *args: Any, sender: str | None = None) -> Any:
        f = self.fn(name)
        out = self.evm.call_raw(sender or self.evm.account("viewer"), self.address, f.encode(args), f.name)
        return f.decode(out)

    def transact(self, name: str, *args: Any, sender: str) -> TxResult:
        f = self.fn(name)
        ts = self.evm.time
        out, logs = self.evm.transact_raw(sender, self.address, f.encode(args), f.name)
        return TxResult(f.decode(out), logs, ts)

    def __repr__(self) -> str:
        return f"<{self.artifact.name} at {self.address}>"


class EVM(ABC):
    """A backend: deploy, call, transact, snapshot/revert, the clock, decoded logs and reverts."""

    name = "abstract"

    def __init__(self) -> None:
        self.abis = AbiRegistry()
        self.time = START_TIME
        self.block_number = 1
        self._accounts: dict[str, str] = {}

    # -------------------------------------------------------------- accounts and contracts
    def account(self, label: str) -> str:
        """A deterministic, funded externally-owned account for `label`."""
        if label not in self._accounts:
            address = account_address(label)
            self._fund(address, label)
            self._accounts[label] = address
        return self._accounts[label]

    def deploy(self, artifact: Artifact, *args: Any, sender: str) -> Contract:
        if not artifact.bytecode:
            raise ValueError(f"{artifact.name} is abstract or an interface: it has no bytecode to deploy")
        self.abis.register(artifact.abi)
        initcode = artifact.bytecode + encode_constructor(artifact.abi, args)
        address = self._run(lambda: self._deploy(sender, initcode), f"{artifact.name}.constructor")[0]
        return Contract(self, address, artifact)

    def at(self, address: str, artifact: Artifact) -> Contract:
        self.abis.register(artifact.abi)
        return Contract(self, address, artifact)

    # -------------------------------------------------------------- raw operations
    def call_raw(self, sender: str, to: str, data: bytes, label: str = "") -> bytes:
        ok, out = self._call(sender, to, data)
        if not ok:
            raise Reverted(self.abis.decode_revert(out), self.time, label)
        return out

    def transact_raw(self, sender: str, to: str, data: bytes, label: str = "") -> tuple[bytes, list[Event]]:
        return self._run(lambda: self._transact(sender, to, data), label)

    def transact_undecoded(self, sender: str, to: str, data: bytes) -> tuple[bool, bytes, list]:
        """The transaction path without ABI work, for hot loops that decode with their own tables:
        (ok, output or revert data, raw logs as (address, topics, data)). Same clock step and nonce
        bookkeeping as `transact_raw`, so both paths leave identical chains."""
        ok, out, raw_logs = self._transact(sender, to, data)
        self.time += 1
        self.block_number += 1
        return ok, out, raw_logs

    def _run(self, op, label: str):
        ts = self.time
        ok, out, raw_logs = op()
        self.time += 1
        self.block_number += 1
        if not ok:
            raise Reverted(self.abis.decode_revert(out), ts, label)
        return out, [self.abis.decode_log(a, t, d) for a, t, d in raw_logs]

    # -------------------------------------------------------------- clock
    def set_time(self, timestamp: int) -> None:
        if timestamp < self.time:
            raise ValueError(f"cannot move the clock back from {self.time} to {timestamp}")
        self.time = timestamp

    def advance(self, seconds: int) -> None:
        self.set_time(self.time + seconds)

    # -------------------------------------------------------------- snapshots
    def snapshot(self) -> Any:
        return (self._snapshot(), self.time, self.block_number)

    def revert(self, snap: Any) -> None:
        inner, self.time, self.block_number = snap
        self._revert(inner)

    # -------------------------------------------------------------- what a backend implements
    @abstractmethod
    def _fund(self, address: str, label: str) -> None: ...

    @abstractmethod
    def _deploy(self, sender: str, initcode: bytes) -> tuple[bool, Any, list]:
        """Run at self.time; return (ok, address or revert data, raw logs)."""

    @abstractmethod
    def _transact(self, sender: str, to: str, data: bytes) -> tuple[bool, bytes, list]:
        """Run at self.time; return (ok, output or revert data, [(address, topics, data)])."""

    @abstractmethod
    def _call(self, sender: str, to: str, data: bytes) -> tuple[bool, bytes]: ...

    @abstractmethod
    def _snapshot(self) -> Any: ...

    @abstractmethod
    def _revert(self, snap: Any) -> None: ...

    def storage(self, address: str, slot: int) -> int:
        raise NotImplementedError(f"the {self.name} backend does not read raw storage")

    def storage_reader(self) -> Callable[[str, int], int]:
        """`storage` as one callable for a hot loop (a backend may hand out its native reader)."""
        return self.storage

    def static_calls(self, sender: str, calls: list[tuple[str, bytes]]) -> list[tuple[bool, bytes]]:
        """Several view calls at the current block, leaving no trace: (ok, output or revert data) each."""
        return [self._call(sender, to, data) for to, data in calls]

    def close(self) -> None:
        """Release what the backend holds (a node process, a connection)."""
