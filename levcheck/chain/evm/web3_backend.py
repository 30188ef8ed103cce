"""web3.py backends: in-process eth-tester (py-evm) and any JSON-RPC node over HTTP (e.g. a local anvil).

Both follow the clock model of `base.EVM`: the next block's timestamp is set to `evm.time` before each
transaction. A transaction is first run as an `eth_call` on the pending block: a revert is reported
from there (its data is exact) and nothing is mined, as on the pyrevm backend.
"""
from __future__ import annotations

import ast
import atexit
import shutil
import socket
import subprocess
import time as wallclock
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from ..build import PROJECT, ROOT
from ...errors import ToolchainError
from .base import ACCOUNT_BALANCE, EVM, START_TIME, account_address, account_key

TX_GAS = 29_000_000
GENESIS_LABELS = (
    "deployer", "oracle-keeper", "keeper", "viewer", "alice", "bob", "carol", "dave", "eve", "mallory", "trader", "lp",
    *(f"actor-{i}" for i in range(32)),
)


class Web3EVM(EVM):
    """What the eth-tester and HTTP backends share: web3 calls, receipts, logs."""

    w3: Web3

    def _tx(self, sender: str, to: str | None, data: bytes) -> dict:
        tx: dict[str, Any] = {"from": sender, "data": data, "gas": TX_GAS, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0}
        if to is not None:
            tx["to"] = to
        return tx

    def _dry_run(self, tx: dict) -> tuple[bool, bytes]:
        try:
            return True, bytes(self.w3.eth.call({k: v for k, v in tx.items() if k not in ("maxFeePerGas", "maxPriorityFeePerGas")}, "pending"))
        except Exception as exc:  # each provider reports a revert its own way
            return False, self._revert_data(exc)

    def _send(self, tx: dict) -> tuple[bool, Any, list]:
        self._set_next_timestamp(self.time)
        ok, out = self._dry_run(tx)
        if not ok:
            return False, out, []
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(tx))
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction reverted on-chain although its dry run succeeded: {receipt}")
        logs = [(lg["address"], [bytes(t) for t in lg["topics"]], bytes(lg["data"])) for lg in receipt["logs"]]
        return True, (receipt.get("contractAddress") or out), logs

    def _deploy(self, sender: str, initcode: bytes):
        ok, address, logs = self._send(self._tx(sender, None, initcode))
        return ok, (to_checksum_address(address) if ok else address), logs

    def _transact(self, sender: str, to: str, data: bytes):
        return self._send(self._tx(sender, to, data))

    def _call(self, sender: str, to: str, data: bytes):
        self._set_next_timestamp(self.time)
        return self._dry_run(self._tx(sender, to, data))

    @staticmethod
    def _revert_data(exc: Exception) -> bytes:
        if isinstance(exc, (ContractCustomError, ContractPanicError, ContractLogicError)) and isinstance(exc.data, str):
            if exc.data.startswith("0x"):
                return bytes.fromhex(exc.data[2:])
        raw = exc.args[0] if exc.args else ""
        if isinstance(raw, dict):  # a JSON-RPC error object
            data = raw.get("data")
            if isinstance(data, dict):
                data = data.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                return bytes.fromhex(data[2:])
        if isinstance(raw, bytes):
            return raw
        if isinstance(raw, str):
            raw = raw.removeprefix("execution reverted: ")
        if isinstance(raw, str) and raw.startswith(("b'", 'b"')):  # eth-tester: repr of the revert bytes
            return ast.literal_eval(raw)
        if isinstance(raw, str):  # eth-tester decodes Error(string) itself: re-encode it
            from eth_abi import encode

            from ..abi import ERROR_SELECTOR

            return ERROR_SELECTOR + encode(["string"], [raw])
        raise exc

    def _set_next_timestamp(self, ts: int) -> None:
        raise NotImplementedError


class EthTesterEVM(Web3EVM):
    """In-process py-evm through web3's EthereumTesterProvider (slow, but the ordinary client path)."""

    name = "web3"

    def __init__(self, labels: "tuple[str, ...] | list[str]" = ()) -> None:
        from eth_tester import EthereumTester, PyEVMBackend
        from eth_tester.backends.pyevm.main import get_default_account_state
        from web3 import EthereumTesterProvider

        super().__init__()
        # py-evm charges a base fee, so senders need ether; funding them later would mine blocks and use up
        # timestamps that the clock model gives to real transactions. So accounts are funded at genesis.
        self.genesis_labels = tuple(dict.fromkeys((*GENESIS_LABELS, *labels)))
        state = {
            bytes.fromhex(account_address(label)[2:]): get_default_account_state({"balance": ACCOUNT_BALANCE})
            for label in self.genesis_labels
        }
        params = PyEVMBackend.generate_genesis_params(overrides={"timestamp": START_TIME - 10, "gas_limit": 30_000_000})
        self.backend = PyEVMBackend(genesis_parameters=params, genesis_state=state)
        self.tester = EthereumTester(self.backend)
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self._pending_ts: int | None = None

    def _tx(self, sender: str, to: str | None, data: bytes) -> dict:
        tx = super()._tx(sender, to, data)
        tx["maxFeePerGas"] = 10**12  # py-evm keeps a base fee; accounts are funded for it
        tx["maxPriorityFeePerGas"] = 0
        return tx

    def _fund(self, address: str, label: str) -> None:
        if label not in self.genesis_labels:
            raise ValueError(
                f"account {label!r} was not funded at genesis on the web3 backend: "
                f"pass it to open_backend('web3', labels=[...]) (pre-funded: deployer, keepers, actor-0..31, ...)"
            )
        self.tester.add_account("0x" + account_key(label).hex())

    def _set_next_timestamp(self, ts: int) -> None:
        if self._pending_ts != ts:
            self.tester.time_travel(ts)  # mines an empty block at ts - 1; the next one is at ts
            self._pending_ts = ts

    def _send(self, tx: dict):
        result = super()._send(tx)
        if result[0]:
            self._pending_ts = None  # the block at that timestamp is taken
        return result

    def _snapshot(self) -> Any:
        return self.tester.take_snapshot(), self._pending_ts

    def _revert(self, snap: Any) -> None:
        self.tester.revert_to_snapshot(snap[0])
        self._pending_ts = snap[1]


class HttpEVM(Web3EVM):
    """A JSON-RPC node over HTTP that speaks anvil's/hardhat's test methods (setBalance, timestamps, snapshots)."""

    name = "http"

    def __init__(self, url: str, process: subprocess.Popen | None = None) -> None:
        super().__init__()
        from . import require_loopback

        require_loopback(url)  # parsed with urllib: the real hostname, not the text before the first ':'
        self.url = url
        self.process = process
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        try:
            self.w3.eth.chain_id
            latest = self.w3.eth.get_block("latest")["timestamp"]
        except Exception as exc:
            self.close()
            raise ToolchainError(f"cannot reach an Ethereum node at {url} ({type(exc).__name__}): start one (e.g. anvil --host 127.0.0.1) or use --backend pyrevm") from exc
        if latest >= START_TIME:
            self.time = latest + 1
        self._last_set: int | None = None

    def _rpc(self, method: str, params: list) -> Any:
        resp = self.w3.provider.make_request(method, params)
        if "error" in resp:
            raise ToolchainError(f"{self.url}: {method} failed: {resp['error']}")
        return resp.get("result")

    def _fund(self, address: str, label: str) -> None:
        self._rpc("anvil_setBalance", [address, hex(ACCOUNT_BALANCE)])
        self._rpc("anvil_impersonateAccount", [address])

    def _set_next_timestamp(self, ts: int) -> None:
        if self._last_set != ts:
            self._rpc("evm_setNextBlockTimestamp", [ts])
            self._last_set = ts

    def _send(self, tx: dict):
        result = super()._send(tx)
        if result[0]:
            self._last_set = None
        return result

    def _snapshot(self) -> Any:
        return self._rpc("evm_snapshot", []), self._last_set

    def _revert(self, snap: Any) -> None:
        self._rpc("evm_revert", [snap[0]])
        self._last_set = None  # a revert drops the pending timestamp: set it again before the next call

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def anvil_binary() -> Path | None:
    for base in (PROJECT, ROOT):  # the project's npm packages, then a checkout's
        local = base / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
        if local.is_file():
            return local
    found = shutil.which("anvil")
    return Path(found) if found else None


def start_anvil() -> HttpEVM:
    """Start a private anvil on a free loopback port (stopped by `close()` or at exit)."""
    binary = anvil_binary()
    if binary is None:
        raise ToolchainError("anvil is not installed: run `npm ci` (it installs @foundry-rs/anvil-linux-amd64) or use --backend pyrevm")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--timestamp", str(START_TIME - 10),
         "--base-fee", "0", "--gas-price", "0", "--gas-limit", "30000000", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    atexit.register(lambda: proc.poll() is None and proc.terminate())
    url = f"http://127.0.0.1:{port}"
    deadline = wallclock.monotonic() + 10
    while wallclock.monotonic() < deadline:
        if proc.poll() is not None:
            raise ToolchainError(f"anvil exited at start: {proc.stderr.read().decode(errors='replace')[:500]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            wallclock.sleep(0.05)
    evm = HttpEVM(url, process=proc)
    evm.name = "anvil"
    return evm
