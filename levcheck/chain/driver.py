"""The EVM side of a differential run: a deployed market driven by scenario steps, its state read back.

Two transports, one behaviour:
- `fast` (pyrevm only): calldata, logs and reverts encoded/decoded by hand (`levcheck.chain.abi`), state
  read straight from storage slots computed from the artifacts' storage layouts;
- generic (any backend: web3/eth-tester, anvil): `evm.transact_raw` and public getters.
Both produce `specs.invariants.Outcome` and `specs.state.SystemState` in the model's vocabulary
(accounts and contracts by label), so the comparison never sees an address.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from levcheck.chain.deploy import Market
from levcheck.chain.evm import EVM, Reverted
from levcheck.specs.invariants import Outcome
from levcheck.specs.model import ZERO
from levcheck.specs.state import SeriesState, SystemState

from .abi import AbiRegistry, Function, RevertError, functions_of
from .actions import GLOBAL_VARS, SERIES_VARS, TXS, contract_of, resolve
from ..specs.scenario import DEFAULT_ACTOR, Step

MAX_UINT = 2**256 - 1
ZERO_ADDRESS = "0x" + "00" * 20
TOKENS = ("BASE", "QUOTE")
# The views users and keepers act on, compared with `modelside.expected_views` (the spec's values):
# every external view of the pool, the reserve and the series that is not a plain storage or immutable
# getter (those are compared as state, or fixed at deployment)
POOL_VIEWS = ("spotPrice",)
RESERVE_VIEWS = ("equityQuote", "floorQuote", "isAboveFloor", "health", "seriesCount")
SERIES_VIEWS = ("navPerToken", "leverage", "value", "exposure")


def view_names(series_labels: tuple[str, ...]) -> list[str]:
    """"contract.view" of every compared view, in reading order (`Chain.read_views`, `expected_views`)."""
    return ([f"pool.{v}" for v in POOL_VIEWS] + [f"reserve.{v}" for v in RESERVE_VIEWS]
            + [f"{s}.{v}" for s in series_labels for v in SERIES_VIEWS])


def contract_labels(market: Market) -> dict[str, Any]:
    c = {"QUOTE": market.quote, "BASE": market.base, "oracle": market.oracle, "pool": market.pool, "reserve": market.reserve}
    for i, s in enumerate(market.series):
        c[f"series{i}"] = s
    return c


def _revert_key(e: RevertError) -> tuple[str, tuple]:
    return (e.name, e.args) if e.kind != "raw" else ("<raw>", (e.data.hex(),))


def _event_key(e: Any) -> tuple:
    return (e.address, e.name, e.args)  # the decoder's own fresh dict: no copy


def actor_of(step: Step) -> str:
    return step.actor or DEFAULT_ACTOR.get(step.action, "keeper1")


@dataclass(frozen=True)
class _Var:
    """One state variable to read: contract label, variable name, mapping key (a label) or None."""

    contract: str
    name: str
    key: str | None = None


class Chain:
    """A deployed market plus the accounts of a scenario, driven step by step."""

    def __init__(self, market: Market, actors: tuple[str, ...], fast: bool | None = None) -> None:
        self.market = market
        self.evm: EVM = market.evm
        self.contracts = contract_labels(market)
        self.actors = tuple(actors)
        self.addr: dict[str, str] = {lbl: c.address for lbl, c in self.contracts.items()}
        self.addr["deployer"] = market.deployer
        self.addr["oracle-keeper"] = market.oracle_keeper
        self.addr[ZERO] = ZERO_ADDRESS
        for a in self.actors:
            self.addr[a] = self.evm.account(a)
        self.label_of = {v.lower(): k for k, v in self.addr.items()}
        self.holders = tuple(a for a in self.addr if a != ZERO)
        self.series_labels = tuple(f"series{i}" for i in range(len(market.series)))
        self.fast = (self.evm.name == "pyrevm") if fast is None else fast
        if self.fast and self.evm.name != "pyrevm":
            raise ValueError("the fast transport needs the pyrevm backend")
        self.abi = AbiRegistry()
        for c in self.contracts.values():
            self.abi.register(c.artifact.abi)
        self.fns: dict[str, dict[str, Function]] = {lbl: functions_of(c.artifact.abi) for lbl, c in self.contracts.items()}
        self._vars = self._state_vars()
        self._slots = [self._slot(v) for v in self._vars] if self.fast else []
        self._addrs = [a for a, _ in self._slots]
        self._slot_ids = [s for _, s in self._slots]
        # (name, address, calldata, function) of every view, encoded once
        views = [name.split(".") for name in view_names(self.series_labels)]
        self._views = [(f"{c}.{v}", self.addr[c], self.fns[c][v].encode(()), self.fns[c][v]) for c, v in views]

    # ------------------------------------------------------------------ transactions

    def send(self, sender: str, contract: str, fn: str, *args: Any) -> tuple[bool, Any, tuple]:
        """One transaction: (ok, decoded outputs or (error name, args), events as (emitter, name, {arg: value}))."""
        f = self.fns[contract][fn]
        call_args = tuple(self.addr[a] if t == "address" else a for a, t in zip(args, f.input_types))
        if self.fast:
            return self._send_fast(self.addr[sender], self.addr[contract], f, call_args)
        try:
            out, logs = self.evm.transact_raw(self.addr[sender], self.addr[contract], f.encode(call_args), fn)
        except Reverted as exc:
            e = exc.error
            return False, (e.name if e.kind != "raw" else "<raw>", tuple(self._label(a) for a in e.args)), ()
        events = tuple((self._label(ev.address), ev.name, {k: self._label(v) for k, v in ev.args.items()}) for ev in logs)
        return True, f.decode_values(out, self._convert), events

    def _send_fast(self, sender: str, to: str, f: Function, args: tuple) -> tuple[bool, Any, tuple]:
        # The backend's own transaction path minus eth_abi: same clock step and nonce bump, so a fast
        # run and a generic run leave identical chains.
        ok, out, raw_logs = self.evm.transact_undecoded(sender, to, f.encode(args))
        if not ok:
            return False, _revert_key(self.abi.decode_revert(out, self._convert)), ()
        logs = tuple(_event_key(self.abi.decode_log(a, t, d, self._convert)) for a, t, d in raw_logs)
        return True, f.decode_values(out, self._convert), logs

    def _convert(self, t: str, v: Any) -> Any:
        """The codec's values in the model's vocabulary: addresses become labels."""
        if t == "address":
            h = f"0x{v:040x}"
            return self.label_of.get(h, h)
        return v

    def _label(self, v: Any) -> Any:
        if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
            return self.label_of.get(v.lower(), v)
        return v

    # ------------------------------------------------------------------ setup and steps

    def setup_actors(self, funding: dict[str, int]) -> None:
        """Fund and approve every actor (mirrored by `levcheck.chain.modelside.setup_actors`)."""
        for a in self.actors:
            for token in TOKENS:
                if funding.get(token):
                    self._must(a, token, "mint", a, funding[token])
            for spender in ("pool", "reserve", *self.series_labels):
                for token in TOKENS:
                    self._must(a, token, "approve", spender, MAX_UINT)

    def _must(self, sender: str, contract: str, fn: str, *args: Any) -> None:
        ok, out, _ = self.send(sender, contract, fn, *args)
        if not ok:
            raise RuntimeError(f"setup transaction {contract}.{fn} reverted: {out}")

    def apply(self, step: Step) -> Outcome:
        a = step.action
        who = actor_of(step)
        if a == "warp":
            self.evm.advance(step.arg("seconds"))
            return Outcome(a, who, step.args)
        if a == "mint_redeem":
            ok, out, ev1 = self.send(who, step.arg("series"), "mint", step.arg("quote_in"), 0)
            if not ok:
                return Outcome(a, who, step.args, out[0], out[1], None, ev1)
            ok, out2, ev2 = self.send(who, step.arg("series"), "redeem", out[0], 0)
            if not ok:
                return Outcome(a, who, step.args, out2[0], out2[1], None, ev1)
            return Outcome(a, who, step.args, None, (), (step.arg("quote_in"), out2[0]), ev1 + ev2)
        tx = TXS[a]
        args = tuple(resolve(n, step.arg, who) for n in tx.args)
        ok, out, events = self.send(who, contract_of(tx, step.arg), tx.function, *args)
        if not ok:
            return Outcome(a, who, step.args, out[0], out[1], None, ())
        return Outcome(a, who, step.args, None, (), tuple(int(x) if isinstance(x, bool) else x for x in out), events)

    # ------------------------------------------------------------------ state

    def _state_vars(self) -> list[_Var]:
        """`GLOBAL_VARS`, then per series `SERIES_VARS` and its holders' balances, then per token its
        supply and balances: the order `state_from_raw` and `modelside.model_raw` read."""
        v = [_Var(x.contract, x.name) for x in GLOBAL_VARS]
        for s in self.series_labels:
            v += [_Var("reserve", x.name, s) if x.keyed else _Var(s if x.contract == "series" else x.contract, x.name) for x in SERIES_VARS]
            v += [_Var(s, "balanceOf", h) for h in self.holders]
        for t in TOKENS:
            v += [_Var(t, "totalSupply")] + [_Var(t, "balanceOf", h) for h in self.holders]
        return v

    def _slot(self, var: _Var) -> tuple[str, int]:
        layout = self.contracts[var.contract].artifact.storage_layout
        for entry in layout.get("storage", []):
            if entry["label"] == var.name:
                slot = int(entry["slot"])
                if var.key is not None:
                    slot = int.from_bytes(keccak(int(self.addr[var.key], 16).to_bytes(32, "big") + slot.to_bytes(32, "big")), "big")
                return self.addr[var.contract], slot
        raise KeyError(f"{self.contracts[var.contract].artifact.name} has no storage variable {var.name!r}")

    def read_raw(self) -> list[int]:
        if self.fast:
            return list(map(self.evm.storage_reader(), self._addrs, self._slot_ids))
        out = []
        for var in self._vars:
            c = self.contracts[var.contract]
            out.append(c.call(var.name, self.addr[var.key]) if var.key else c.call(var.name))
        return out

    def read_views(self) -> dict[str, object]:
        """Every view of `view_names` (`POOL_VIEWS`, `RESERVE_VIEWS`, `SERIES_VIEWS`) at the current block
        time: an int, a tuple (several outputs) or ("revert", error name), the shape
        `modelside.expected_views` states."""
        out: dict[str, object] = {}
        sender = self.addr["keeper1"] if "keeper1" in self.addr else self.addr["deployer"]
        results = self.evm.static_calls(sender, [(to, data) for _, to, data, _ in self._views])
        for (name, _, _, f), (ok, raw) in zip(self._views, results):
            if not ok:
                err = self.evm.abis.decode_revert(raw)
                out[name] = ("revert", err.name if err.kind != "raw" else "<raw>")
                continue
            vals = tuple(int(x) for x in f.decode_values(raw, self._convert))
            out[name] = vals[0] if len(vals) == 1 else vals
        return out

    def state(self, donated: tuple = (), raw: list[int] | None = None) -> SystemState:
        return state_from_raw(self.read_raw() if raw is None else raw, self.market.params, self.series_labels, self.holders, self.evm.time, donated)


def state_from_raw(raw: list[int], params: Any, series_labels: tuple[str, ...], holders: tuple[str, ...], time: int, donated: tuple) -> SystemState:
    """Assemble a `SystemState` from values in `Chain._state_vars` order (both sides use this), by name."""
    n_h, n_g, n_s = len(holders), len(GLOBAL_VARS), len(SERIES_VARS)
    fields = {v.field: x for v, x in zip(GLOBAL_VARS, raw)}
    i = n_g
    series = []
    for k, lbl in enumerate(series_labels):
        own = {v.field: x for v, x in zip(SERIES_VARS, raw[i : i + n_s])}
        bals = tuple([(h, x) for h, x in zip(holders, raw[i + n_s : i + n_s + n_h]) if x])
        series.append(SeriesState(label=lbl, params=params.series[k], balances=bals, **own))
        i += n_s + n_h
    supplies, balances = [], []
    for t in TOKENS:
        supplies.append((t, raw[i]))
        balances += [(t, h, x) for h, x in zip(holders, raw[i + 1 : i + 1 + n_h]) if x]
        i += 1 + n_h
    return SystemState(
        time=time,
        max_age=params.oracle_max_age,
        floor_bps=params.floor_bps,
        series=tuple(series),
        balances=tuple(balances),
        supplies=tuple(supplies),
        donated=tuple(donated),
        **fields,
    )
