"""`levcheck export --foundry`: a scenario as a forge-std `Test` that protocol engineers run with `forge test`.

Nothing about the protocol is written a second time here:
- the *transactions* are the ones levcheck sends: the deployment fixture, the actors' setup and the
  scenario's steps run once more on a pyrevm that records every deploy and call (`_Recorder`), and the
  test sends exactly those, from the same accounts (`vm.addr` of levcheck's keys), at the same block
  times (one transaction per second, `_next()`);
- the *expectations* are the model's: `replay_scenario` says where the scenario first fails and with
  what; each step the model reverts is `vm.expectRevert`ed with the model's error, the failing step's
  call is checked against the model's outcome, and the test ends by asserting every compared state
  variable (`chain/actions.py`) and every view (`modelside.expected_views`) equals the model's value,
  the diverging ones first. A scenario that replays clean gives a test that passes.

A violated invariant on which the contracts and the model agree (a spec-level counterexample: the model
itself breaks it) ends in `assertTrue(false, "<invariant id>: <message>")` after the state asserts: the
condition was judged by levcheck on that very state, and the numbers are in the message.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levcheck.chain.abi import AbiRegistry, Function, canonical_type, decode_values, functions_of
from levcheck.chain.actions import GLOBAL_VARS, SERIES_VARS
from levcheck.chain.build import Artifact, Artifacts
from levcheck.chain.deploy import deploy_market
from levcheck.chain.driver import TOKENS, Chain, contract_labels, view_names
from levcheck.chain.evm import account_address
from levcheck.chain.evm.pyrevm_backend import PyrevmEVM
from levcheck.chain.session import ReplayResult, Session, replay_scenario
from levcheck.chain import modelside
from levcheck.specs.invariants import Violation, by_id
from levcheck.specs.model import ZERO
from levcheck.specs.scenario import SYSTEM_ACCOUNTS, Scenario
from levcheck.specs.state import SystemState

DIFFERENTIAL = "accounting.differential"  # the invariant id of model/EVM agreement (chain/session.py)
WAD = 10**18
UINT_MAX = 2**256 - 1


# ---------------------------------------------------------------- recording levcheck's transactions


@dataclass
class _Tx:
    time: int
    sender: str  # address
    artifact: Artifact | None  # a deploy: the contract deployed
    to: str | None  # a call: the address called
    data: bytes  # a call: the calldata
    args: tuple  # a deploy: the constructor arguments
    tag: Any  # "deploy", "setup" or the step's index
    address: str = ""  # a deploy: the new contract's address


class _Recorder(PyrevmEVM):
    """pyrevm that keeps every deploy and transaction it runs (time, sender, target, arguments)."""

    def __init__(self) -> None:
        super().__init__()
        self.txs: list[_Tx] = []
        self.tag: Any = "deploy"

    def deploy(self, artifact: Artifact, *args: Any, sender: str):
        tx = _Tx(self.time, sender, artifact, None, b"", args, self.tag)
        self.txs.append(tx)
        contract = super().deploy(artifact, *args, sender=sender)
        tx.address = contract.address
        return contract

    def transact_raw(self, sender: str, to: str, data: bytes, label: str = ""):
        self.txs.append(_Tx(self.time, sender, None, to, data, (), self.tag))
        return super().transact_raw(sender, to, data, label)


@dataclass
class _Recording:
    txs: list[_Tx]
    chain: Chain  # the recorded market after the steps (its state and views: the contracts' side)
    by_address: dict[str, Artifact]


def _record(sc: Scenario, artifacts: Artifacts, n_steps: int) -> _Recording:
    evm = _Recorder()
    market = deploy_market(evm, sc.params, artifacts=artifacts)
    chain = Chain(market, sc.actors, fast=False)  # the generic transport: every transaction through transact_raw
    evm.tag = "setup"
    chain.setup_actors(sc.funding)
    for i, step in enumerate(sc.steps[:n_steps]):
        evm.tag = i
        chain.apply(step)
    by_address = {tx.address.lower(): tx.artifact for tx in evm.txs if tx.artifact is not None}
    return _Recording(evm.txs, chain, by_address)


# ---------------------------------------------------------------- names and values in Solidity


def _ident(label: str) -> str:
    return re.sub(r"\W", "_", label)


class _Names:
    """Labels (accounts, contracts) as Solidity expressions; addresses back to labels."""

    def __init__(self, sc: Scenario, chain: Chain) -> None:
        self.contracts = {lbl: c for lbl, c in contract_labels(chain.market).items()}
        self.var = {lbl: _ident(lbl.lower() if lbl in ("QUOTE", "BASE") else lbl) for lbl in self.contracts}
        self.accounts: dict[str, str] = {}  # label -> constant name
        taken = set(self.var.values()) | {"clock", "vm"}
        for lbl in (*SYSTEM_ACCOUNTS, *sc.actors):
            name = _ident(lbl).upper()
            if not name or name[0].isdigit():
                name = "A_" + name
            while name in taken:
                name += "_"
            taken.add(name)
            self.accounts[lbl] = name
        self.label_of = {c.address.lower(): lbl for lbl, c in self.contracts.items()}
        self.label_of.update({account_address(lbl).lower(): lbl for lbl in self.accounts})

    def expr(self, label: str) -> str:
        """An address-typed expression for a label."""
        if label == ZERO:
            return "address(0)"
        if label in self.accounts:
            return self.accounts[label]
        if label in self.var:
            return f"address({self.var[label]})"
        raise KeyError(f"no account or contract labelled {label!r}")

    def label(self, address: str) -> str:
        return self.label_of[address.lower()]


def _num(v: int) -> str:
    if v == UINT_MAX:
        return "type(uint256).max"
    if v >= WAD and v % 10**15 == 0:  # WAD amounts read as 1000e18, 1.85e21
        digits = str(v).rstrip("0")
        exp = len(str(v)) - 1
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{mantissa}e{exp}"
    return str(v)


def _value(t: str, v: Any, names: _Names, by_label: bool = False) -> str:
    """A Solidity literal of ABI type `t` (addresses given as checksum addresses, or labels)."""
    if t == "address":
        return names.expr(v if by_label else names.label(v))
    if t == "bool":
        return "true" if v else "false"
    if t == "string":
        return json.dumps(v)
    m = re.fullmatch(r"(.+)\[(\d*)\]", t)
    if m:
        inner = [_value(m.group(1), x, names, by_label) for x in v]
        if inner:
            inner[0] = f"{m.group(1)}({inner[0]})"
        return "[" + ", ".join(inner) + "]"
    if t.startswith("int"):
        return f"{t}({v})" if v < 0 else str(v)
    return _num(v)


def _typed(t: str, v: Any, names: _Names, by_label: bool = False) -> str:
    """A literal that keeps its ABI type inside abi.encode* (a bare 5 would be a uint8 there)."""
    lit = _value(t, v, names, by_label)
    return lit if t in ("address", "bool", "string") or lit.startswith(t + "(") else f"{t}({lit})"


# ---------------------------------------------------------------- the test


@dataclass
class Export:
    path: Path
    contract: str
    result: ReplayResult


def contract_name(stem: str) -> str:
    return "LevcheckRepro_" + _ident(stem)


def export_foundry(sc: Scenario, artifacts: Artifacts, out_dir: str | Path, stem: str, source: str = "",
                   contracts: str | Path | None = None) -> Export:
    """Replay `sc` (model and pyrevm on `artifacts`) and write `<out_dir>/<stem>.t.sol`. `source` (the
    scenario file) and `contracts` (the folder `artifacts` came from) go into the header's replay line."""
    session = Session(sc.params, sc.actors, sc.funding, "pyrevm", artifacts)
    try:
        result = replay_scenario(sc, session=session)
        model_state: SystemState = session.prev_state
        holders = session.holders
    finally:
        session.close()
    n_steps = len(result.steps)
    rec = _record(sc, artifacts, n_steps)
    replay = f"levcheck replay {source or stem + '.json'}" + (f" --contracts {contracts}" if contracts and str(contracts) != "contracts" else "")
    text = _Writer(sc, rec, result, model_state, holders, stem, source, replay).render()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}.t.sol"
    path.write_text(text)
    return Export(path, contract_name(stem), result)


class _Writer:
    def __init__(self, sc: Scenario, rec: _Recording, result: ReplayResult, ms: SystemState, holders: tuple[str, ...],
                 stem: str, source: str, replay: str) -> None:
        self.sc, self.rec, self.result, self.ms, self.holders = sc, rec, result, ms, holders
        self.stem, self.source, self.replay = stem, source, replay
        self.names = _Names(sc, rec.chain)
        self.errors = AbiRegistry()
        for a in {id(a): a for a in rec.by_address.values()}.values():
            self.errors.register(a.abi)
        self.clock = rec.txs[0].time if rec.txs else 0
        self.failing = result.first_failure

    # ------------------------------------------------------------ pieces

    def _next(self, tx: _Tx) -> str:
        # levcheck's clock: one transaction per second; a mismatch means this file would lie
        if tx.time != self.clock:
            raise RuntimeError(f"export: transaction at {tx.time}, expected {self.clock} (recording out of step)")
        self.clock += 1
        return "_next();"

    def _deploy(self, tx: _Tx) -> str:
        art = tx.artifact
        assert art is not None
        types = next(([canonical_type(p) for p in i["inputs"]] for i in art.abi if i["type"] == "constructor"), [])
        args = ", ".join(_value(t, v, self.names) for t, v in zip(types, tx.args))
        lbl = self.names.label(tx.address)
        return f"{self._next(tx)} vm.prank({self.names.expr(self.names.label(tx.sender))}); {self.names.var[lbl]} = new {art.name}({args});"

    def _function(self, tx: _Tx) -> tuple[str, Function, tuple]:
        art = self.rec.by_address[tx.to.lower()]
        fn = next(f for f in functions_of(art.abi).values() if f.selector == tx.data[:4])
        return self.names.var[self.names.label(tx.to)], fn, decode_values(fn.input_types, tx.data[4:])

    def _call(self, tx: _Tx, expect_revert: str | None = None) -> str:
        var, fn, args = self._function(tx)
        line = f"{self._next(tx)} vm.prank({self.names.expr(self.names.label(tx.sender))});"
        if expect_revert is not None:
            line += f" vm.expectRevert({expect_revert});"
        rendered = ", ".join(_value(t, v, self.names) for t, v in zip(fn.input_types, args))
        return f"{line} {var}.{fn.name}({rendered});"

    def _revert_data(self, name: str, values: tuple) -> str:
        """The model's revert as the bytes the contracts revert with (matched exactly by forge)."""
        builtin = {"Error": ("Error(string)", ("string",)), "Panic": ("Panic(uint256)", ("uint256",))}
        if name in builtin:
            sig, types = builtin[name]
        else:
            found = [(n, t) for n, t in self.errors.errors.values() if n == name and len(t) == len(values)]
            if not found:
                return ""  # not an error of these contracts: any revert
            sig, types = f"{name}({','.join(found[0][1])})", found[0][1]
        args = "".join(", " + _typed(t, v, self.names, by_label=True) for t, v in zip(types, values))
        return f"abi.encodeWithSignature({json.dumps(sig)}{args})"

    def _state_asserts(self, where: str) -> list[str]:
        """Every compared state variable and view equals the model's value; those where the contracts
        differ from the model come first (the first failed assert ends a forge test)."""
        ms, cs = self.ms, self.rec.chain.state()
        items: list[tuple[bool, str]] = []  # (differs, line)

        def add(expr: str, model: int, chain: int) -> None:
            msg = f"{DIFFERENTIAL}: {where}: {expr} (contracts != model)"
            items.append((model != chain, f"assertEq({expr}, {_num(model)}, {json.dumps(msg)});"))

        v = self.names.var
        for var in GLOBAL_VARS:
            add(f"{v[var.contract]}.{var.name}()", getattr(ms, var.field), getattr(cs, var.field))
        for s_m, s_c in zip(ms.series, cs.series):
            for var in SERIES_VARS:
                expr = (f"{v[var.contract]}.{var.name}(address({v[s_m.label]}))" if var.keyed
                        else f"{v[s_m.label]}.{var.name}()")
                add(expr, getattr(s_m, var.field), getattr(s_c, var.field))
            bm, bc = dict(s_m.balances), dict(s_c.balances)
            for h in self.holders:
                add(f"{v[s_m.label]}.balanceOf({self.names.expr(h)})", bm.get(h, 0), bc.get(h, 0))
        sm, sc_ = dict(ms.supplies), dict(cs.supplies)
        bm = {(t, h): a for t, h, a in ms.balances}
        bc = {(t, h): a for t, h, a in cs.balances}
        for t in TOKENS:
            add(f"{v[t]}.totalSupply()", sm.get(t, 0), sc_.get(t, 0))
            for h in self.holders:
                add(f"{v[t]}.balanceOf({self.names.expr(h)})", bm.get((t, h), 0), bc.get((t, h), 0))
        views_m = modelside.expected_views(ms)
        views_c = self.rec.chain.read_views()
        for name in view_names(tuple(s.label for s in ms.series)):
            items.append((views_m.get(name) != views_c.get(name), self._view_assert(name, views_m.get(name), where)))
        return [line for differs, line in items if differs] + [line for differs, line in items if not differs]

    def _view_assert(self, name: str, expected: object, where: str) -> str:
        contract, fn = name.split(".")
        expr = f"{self.names.var[contract]}.{fn}()"
        msg = f"{DIFFERENTIAL}: {where}: view {expr} (contracts != model)"
        if isinstance(expected, tuple) and expected and expected[0] == "revert":
            data = self._revert_data(str(expected[1]), ())  # exact when the error takes no arguments
            note = "" if data else f" // the model: reverts {expected[1]} (its arguments are not the model's to say)"
            return f"vm.expectRevert({data}); {expr};{note}"
        if isinstance(expected, tuple):  # several outputs (health): one assert each
            outs = [f"uint256 {fn}{i}" for i in range(len(expected))]
            checks = " ".join(f"assertEq({fn}{i}, {_num(x)}, {json.dumps(f'{DIFFERENTIAL}: {where}: view {expr}[{i}] (contracts != model)')});"
                              for i, x in enumerate(expected))
            return f"{{ ({', '.join(outs)}) = {expr}; {checks} }}"
        if fn == "isAboveFloor":
            return f"assertEq({expr} ? 1 : 0, {int(expected)}, {json.dumps(msg)});"
        return f"assertEq({expr}, {_num(int(expected))}, {json.dumps(msg)});"

    # ------------------------------------------------------------ the failing step, checked against the model

    def _expected_events(self, index: int) -> list[str]:
        """When only events differ (no state, view, return value or revert does), the model's events of
        each emitter that differs, as `vm.expectEmit` + `emit` (forge checks they come, in order)."""
        report = self.result.steps[index]
        if not report.differences or not all(" event #" in d or " event count" in d for d in report.differences):
            return []
        def of(events: tuple, emitter: str) -> list:
            return [(n, a) for e, n, a in events if e == emitter and n != "Transfer"]
        out = []
        for emitter in dict.fromkeys(e for e, _, _ in report.model.events + report.chain.events):
            model = of(report.model.events, emitter)
            if model == of(report.chain.events, emitter):
                continue
            art = self.rec.by_address[self.names.contracts[emitter].address.lower()]
            for name, args in model:
                item = next(i for i in art.abi if i["type"] == "event" and i["name"] == name
                            and [p["name"] for p in i["inputs"]] == list(args))
                vals = ", ".join(_event_arg(p, args[p["name"]], self.names) for p in item["inputs"])
                out.append(f"vm.expectEmit(true, true, true, true, address({self.names.var[emitter]})); emit {art.name}.{name}({vals});")
        return out

    def _failing_call(self, tx: _Tx, index: int) -> list[str]:
        report = self.result.steps[index]
        var, fn, args = self._function(tx)
        what = f"step {index} ({report.step.describe()})"
        enc_args = ", ".join(_value(t, v, self.names) for t, v in zip(fn.input_types, args))
        art = self.rec.by_address[tx.to.lower()]
        lines = self._expected_events(index)
        lines += [f"{self._next(tx)} vm.prank({self.names.expr(self.names.label(tx.sender))});",
                 f"(bool ok, bytes memory ret) = address({var}).call(abi.encodeCall({art.name}.{fn.name}, ({enc_args})));"]
        m = report.model
        if m.reverted:
            err = f"{m.reverted}({', '.join(map(str, m.revert_args))})"
            lines.append(f"assertFalse(ok, {json.dumps(f'{DIFFERENTIAL}: {what}: the model reverts {err}; the contracts did not')});")
            data = self._revert_data(m.reverted, tuple(m.revert_args))
            if data:
                lines.append(f"assertEq(ret, {data}, {json.dumps(f'{DIFFERENTIAL}: {what}: the model reverts {err}; the contracts with another reason')});")
            return lines
        c = report.chain
        theirs = f" {c.reverted}({', '.join(map(str, c.revert_args))})" if c.reverted else ""
        lines.append(f"assertTrue(ok, {json.dumps(f'{DIFFERENTIAL}: {what}: the model succeeds; the contracts reverted{theirs}')});")
        result = tuple(m.result or ())
        if result and len(result) == len(fn.output_types) and all(t == "uint256" for t in fn.output_types):
            outs = ", ".join(f"uint256 r{i}" for i in range(len(result)))
            lines.append(f"{{ ({outs}) = abi.decode(ret, ({', '.join(fn.output_types)}));")
            for i, x in enumerate(result):
                lines.append(f"  assertEq(r{i}, {_num(x)}, {json.dumps(f'{DIFFERENTIAL}: {what}: return value {i} (contracts != model)')});")
            lines.append("}")
        return lines

    # ------------------------------------------------------------ the file

    def render(self) -> str:
        sc, res, names = self.sc, self.result, self.names
        deploy = [t for t in self.rec.txs if t.tag == "deploy"]
        setup = [t for t in self.rec.txs if t.tag == "setup"]
        used = {t.artifact.name: t.artifact for t in deploy if t.artifact is not None}
        name = contract_name(self.stem)
        src = self.source or f"{self.stem}.json"
        verdict = res.message if res.failed else f"passes: {res.message}"
        head = [
            "// SPDX-License-Identifier: UNLICENSED",
            "pragma solidity 0.8.28;",
            "",
            f"// levcheck reproducer of {src}",
            f"//   origin: {sc.origin or 'unknown'}",
            *(f"//   {line}" for line in _wrap(sc.description)),
            f"//   levcheck's verdict (model vs pyrevm): {verdict}",
            f"//   replay it with levcheck: {self.replay}",
            f"//   run it with Foundry:     forge test --match-contract {name} -vv",
            "// Written by `levcheck export --foundry`: regenerate it rather than edit it.",
            "//",
            "// It deploys the market as levcheck's fixture does (levcheck/chain/deploy.py), funds and approves the",
            "// actors as levcheck's sessions do, then sends the scenario's steps: the same accounts, the same",
            "// arguments, the same block times (one transaction per second). A step the reference model reverts",
            "// is expected to revert with the model's error; the test ends asserting the model's values.",
            "",
            'import {Test} from "forge-std/Test.sol";',
            *(f'import {{{a.name}}} from "{_unit(a)}";' for a in sorted(used.values(), key=lambda a: a.name)),
            "",
            f"contract {name} is Test {{",
            "    // levcheck's accounts: the key of each is keccak256(\"levcheck-account:<label>\")",
        ]
        body = [f"    address internal constant {const} = {account_address(lbl)}; // {lbl}" for lbl, const in names.accounts.items()]
        body.append("")
        art_of = {names.label(t.address): t.artifact.name for t in deploy if t.artifact is not None}
        body += [f"    {art_of[lbl]} internal {names.var[lbl]};" for lbl in names.contracts]
        body += [
            "",
            "    /// block time of the next transaction: levcheck's EVMs run one transaction per second",
            f"    uint256 internal clock = {self.clock};",
            "",
            "    function _next() internal {",
            "        vm.warp(clock);",
            "        clock += 1;",
            "    }",
            "",
            "    function setUp() public {",
        ]
        body += [f'        vm.label({const}, "{lbl}");' for lbl, const in names.accounts.items()]
        body.append("        // the deployment fixture (levcheck/chain/deploy.py)")
        body += ["        " + self._deploy(t) if t.artifact is not None else "        " + self._call(t) for t in deploy]
        body += [f'        vm.label(address({names.var[lbl]}), "{lbl}");' for lbl in names.contracts]
        body.append("        // every actor funded and approving the pool, the reserve and each series (Chain.setup_actors)")
        body += ["        " + self._call(t) for t in setup]
        body += ["    }", "", "    function test_replay() public {"]
        body += ["        " + line for line in self._steps()]
        body += ["    }", "}", ""]
        return "\n".join(head + body)

    def _steps(self) -> list[str]:
        out: list[str] = []
        by_step: dict[int, list[_Tx]] = {}
        for t in self.rec.txs:
            if isinstance(t.tag, int):
                by_step.setdefault(t.tag, []).append(t)
        for r in self.result.steps:
            i, step = r.index, r.step
            txs = by_step.get(i, [])
            outcome = "ok" if r.model.reverted is None else f"reverts {r.model.reverted}({', '.join(map(str, r.model.revert_args))})"
            if step.action == "warp":
                out.append(f"// step {i}: warp {step.arg('seconds')} s")
                out.append(f"clock += {step.arg('seconds')};")
                self.clock += step.arg("seconds")
                continue
            failing = i == self.failing
            out.append(f"// step {i}: {step.describe()}  (the model: {outcome})")
            if failing:
                out.append(f"// levcheck's replay stops here: {self.result.message}")
                out += [f"//   {d}" for d in r.differences] + [f"//   {v}" for v in r.violations]
            if failing and r.differences and len(txs) == 1:
                out += self._failing_call(txs[0], i)
                continue
            for k, t in enumerate(txs):
                last = k == len(txs) - 1
                expect = None
                if last and r.model.reverted is not None:
                    expect = self._revert_data(r.model.reverted, tuple(r.model.revert_args))
                out.append(self._call(t, expect))
        where = f"after step {self.failing}" if self.failing is not None else "the final state"
        out.append(f"// the model's state {'after step ' + str(self.failing) if self.failing is not None else 'at the end'}")
        out += self._state_asserts(where)
        if self.failing is not None:
            for side, v in self.result.steps[self.failing].found:
                if side == "both":  # the contracts agree with the model, and the model breaks the invariant
                    out += _violation(v, self.failing)
        return out


# The condition a violation broke, over the numbers its check reports (specs/invariants.py `Found.values`),
# by invariant id; an invariant not listed ends in assertTrue(false, <its message and numbers>).
CONDITIONS: dict[str, str] = {
    "econ.profit": "gain <= allowed",
    "econ.keeper_entitled": "paid <= entitled",
    "fees.round_trip": "got <= paid",
    "fees.conserved": "grew == charged",
    "fees.no_dilution": "nav_after + tolerance >= nav_before",
    "fees.rebalance_dilution": "drop <= bound",
    "floor.no_rebalance_below": "equity >= floor",
    "floor.keeper_bound": "drop <= bound",
    "floor.flows": "moved == explained",
    "accounting.supply": "balances == total_supply",
    "accounting.holdings": "recorded + donated == actual",
}


def _violation(v: Violation, step: int) -> list[str]:
    nums = ", ".join(f"{k}={x}" for k, x in v.values.items())
    msg = f"{v.invariant}: step {step}: {v.message}" + (f" ({nums})" if nums else "")
    cond = CONDITIONS.get(v.invariant)
    names = set(re.findall(r"[a-z_]+", cond or ""))
    lines = [f"// {line}" for line in _wrap(f"{v.invariant}: {by_id(v.invariant).statement}")] + [
             "// violated on this state by the model and the contracts alike (levcheck judged it on the numbers below)"]
    if cond and names <= {k for k, x in v.values.items() if isinstance(x, int)}:
        decls = " ".join(f"int256 {k} = {v.values[k]};" for k in sorted(names))
        return lines + [f"{{ {decls}", f"  assertTrue({cond}, {json.dumps(msg)}); }}"]
    return lines + [f"assertTrue(false, {json.dumps(msg)});"]


def _unit(a: Artifact) -> str:
    """The import path: the source unit name, which is relative to the project's root (forge resolves it
    from there); a tree outside the project was compiled under absolute names: its file, in contracts/."""
    return a.source_path if not Path(a.source_path).is_absolute() else f"contracts/{Path(a.source_path).name}"


def _event_arg(param: dict, v: Any, names: _Names) -> str:
    internal = param.get("internalType", "")
    if internal.startswith("enum "):  # e.g. LeveragedToken.Trigger(1)
        return f"{internal[5:]}({v})"
    return _value(canonical_type(param), v, names, by_label=True)


def _wrap(text: str, width: int = 100) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return lines + ([cur] if cur else [])


def export_beside(scenario_file: str | Path, artifacts: Artifacts, contracts: str | Path | None = None) -> str:
    """`levcheck check`'s hook: write `<stem>.t.sol` beside a counterexample it wrote, and say so in
    one line. A file that is not a scenario (a proof's formula-level counterexample) has no Foundry
    form; an export that fails is reported in that line, never fails the stage that found it."""
    from levcheck.specs.scenario import ScenarioError, load

    path = Path(scenario_file)
    try:
        sc = load(path)
    except ScenarioError:
        return f"levcheck check: {path.name} is not a scenario file: no Foundry reproducer"
    try:
        out = export_foundry(sc, artifacts, path.parent, path.name.removesuffix(".json"), str(scenario_file), contracts)
    except Exception as exc:  # a bug here must not hide the counterexample
        return f"levcheck check: could not write the Foundry reproducer of {path.name}: {type(exc).__name__}: {exc}"
    return f"levcheck check: Foundry reproducer {out.path} (forge test --match-contract {out.contract})"
