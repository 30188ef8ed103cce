"""Scenario files: a deployment plus a list of steps that replays on the model and on the EVM.

A scenario is human-readable JSON (integers are exact; WAD amounts may also be written as strings
like "1.5e18" or "1500000000000000000"):

    {
      "format": "levcheck-scenario",
      "format_version": 1,
      "levcheck_version": "0.1.0",
      "origin": "hypothesis seed=7 | z3 band.restoration | manual",
      "description": "what it shows",
      "params": { ...specs.params.MarketParams fields (omitted ones take the bundled value)... },
      "actors": ["alice", "bob"],            # funded and approved at setup (see levcheck.chain.session)
      "funding": {"QUOTE": 1e24, "BASE": 1e21},
      "steps": [
        {"action": "mint", "actor": "alice", "series": "series0", "quote_in": 1000000000000000000000},
        {"action": "warp", "seconds": 3600},
        {"action": "set_price", "price": 1900000000000000000000},
        {"action": "rebalance", "actor": "bob", "series": "series0"}
      ],
      "expect": {"status": "fails", "step": 3}   # optional: what the file recorded when written
    }

API (stable for the proofs, issue 5): `Scenario`, `Step`, `load(path)`, `loads(text)`,
`dump(scenario, path)`, `dumps(scenario)`, `ScenarioError`, `ACTIONS`. A file of another format
version is refused with a `ScenarioError` naming both versions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from levcheck.specs.params import BUNDLED, UINT256_MAX, MarketParams, ParamError

FORMAT = "levcheck-scenario"
FORMAT_VERSION = 1
DEFAULT_ACTORS = ("alice", "bob", "carol", "trader", "keeper1")
DEFAULT_FUNDING = {"QUOTE": 10**9 * 10**18, "BASE": 10**6 * 10**18}

# action -> (required argument names, {optional argument: default}); "actor" is separate.
# Tokens are "QUOTE", "BASE" or a series label ("series0", ...); `to` is an actor or a contract label
# ("pool", "reserve", "seriesN") — a transfer to a contract is a donation outside the protocol's flows.
# `approve`: the actor lets `spender` (any account or contract label) move up to `amount` of its `token`;
# `transfer_from`: the actor moves `amount` of `owner`'s `token` to `to` on the allowance `owner` gave it
# (ERC-20 `transferFrom(from, to, amount)`; "owner" as in `allowance(owner, spender)`: `from` is a Python
# keyword, and a step's repr is a Python call).
ACTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "warp": (("seconds",), {}),
    "set_price": (("price",), {}),
    "faucet": (("token", "amount"), {}),
    "transfer": (("token", "to", "amount"), {}),
    "approve": (("token", "spender", "amount"), {}),
    "transfer_from": (("token", "owner", "to", "amount"), {}),
    "mint": (("series", "quote_in"), {"min_shares": 0}),
    "redeem": (("series", "shares"), {"min_quote_out": 0}),
    "mint_redeem": (("series", "quote_in"), {}),
    "swap_exact_in": (("token_in", "amount_in"), {"min_out": 0}),
    "swap_exact_out": (("token_in", "amount_out"), {"max_in": 2**256 - 1}),
    "add_liquidity": (("base", "quote"), {"min_shares": 0}),
    "remove_liquidity": (("shares",), {"min_base": 0, "min_quote": 0}),
    "rebalance": (("series",), {}),
    "ripcord": (("series",), {}),
    "settle_insolvency": (("series",), {}),
    "allocate_fees": ((), {}),
    "checkpoint": ((), {}),
    "inject": (("base", "quote"), {}),
}
DEFAULT_ACTOR = {"set_price": "oracle-keeper"}
FALLBACK_ACTOR = "keeper1"  # who sends a step that names no actor (levcheck.chain.driver.actor_of)
SYSTEM_ACCOUNTS = ("deployer", "oracle-keeper")  # accounts every deployment has besides the actors
CONTRACT_LABELS = ("QUOTE", "BASE", "oracle", "pool", "reserve")  # plus "series0", "series1", ...
STRING_ARGS = {"series", "token", "to", "token_in", "spender", "owner"}


class ScenarioError(ValueError):
    """A scenario file that cannot be read or replayed by this levcheck; the message says why."""


@dataclass(frozen=True)
class Step:
    """One transaction (or a warp of the clock). `args` holds the action's arguments by name."""

    action: str
    actor: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ScenarioError(f"unknown action {self.action!r}; known: {', '.join(sorted(ACTIONS))}")
        required, optional = ACTIONS[self.action]
        missing = [a for a in required if a not in self.args]
        unknown = [a for a in self.args if a not in required and a not in optional]
        if missing or unknown:
            raise ScenarioError(f"step {self.action}: missing {missing} / unknown {unknown} argument(s)")

    def arg(self, name: str) -> Any:
        if name in self.args:
            return self.args[name]
        return ACTIONS[self.action][1][name]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action}
        if self.actor is not None:
            out["actor"] = self.actor
        out.update(self.args)
        return out

    @classmethod
    def from_json(cls, raw: Any, index: int = 0) -> "Step":
        if not isinstance(raw, dict) or "action" not in raw:
            raise ScenarioError(f"step {index}: expected an object with an 'action', got {raw!r}")
        raw = dict(raw)
        action = raw.pop("action")
        actor = raw.pop("actor", None)
        args = {k: (v if k in STRING_ARGS else _as_int(f"step {index} {k}", v)) for k, v in raw.items()}
        try:
            return cls(action, actor, args)
        except ScenarioError as exc:
            raise ScenarioError(f"step {index}: {exc}") from None

    def __repr__(self) -> str:
        body = ", ".join([repr(self.action)] + ([f"actor={self.actor!r}"] if self.actor else []) + [f"{k}={v!r}" for k, v in self.args.items()])
        return f"Step.of({body})"

    @classmethod
    def of(cls, action: str, actor: str | None = None, **args: Any) -> "Step":
        return cls(action, actor, args)

    def describe(self) -> str:
        args = " ".join(f"{k}={_human(v)}" for k, v in self.args.items())
        who = f"{self.actor}: " if self.actor else ""
        return f"{who}{self.action} {args}".rstrip()


@dataclass
class Scenario:
    params: MarketParams = BUNDLED
    steps: list[Step] = field(default_factory=list)
    actors: tuple[str, ...] = DEFAULT_ACTORS
    funding: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FUNDING))
    origin: str = "manual"
    description: str = ""
    expect: dict[str, Any] | None = None
    levcheck_version: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "levcheck_version": self.levcheck_version or _levcheck_version(),
            "origin": self.origin,
            "description": self.description,
            "params": self.params.to_dict(),
            "actors": list(self.actors),
            "funding": dict(self.funding),
            "steps": [s.to_json() for s in self.steps],
        }
        if self.expect is not None:
            out["expect"] = self.expect
        return out


def _levcheck_version() -> str:
    try:
        from importlib.metadata import version

        return version("levcheck")
    except Exception:  # not installed as a distribution: fall back to the source tree's number
        return "0.1.0"


def _as_int(what: str, value: Any) -> int:
    """A uint256: every amount, price, time and parameter is unsigned on chain, so a negative value
    or one of 2**256 or more is refused here rather than as a traceback from the ABI encoder."""
    if isinstance(value, bool):
        raise ScenarioError(f"{what}: expected an integer, got {value!r}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, (str, float)):
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            raise ScenarioError(f"{what}: expected an integer, got {value!r}") from None
        if not d.is_finite() or d != d.to_integral_value():
            raise ScenarioError(f"{what}: {value!r} is not a whole number of wei")
        n = int(d)
    else:
        raise ScenarioError(f"{what}: expected an integer, got {value!r}")
    if n < 0:
        raise ScenarioError(f"{what}: {value!r} is negative; amounts, prices and times are unsigned (uint256)")
    if n > UINT256_MAX:
        raise ScenarioError(f"{what}: {value!r} does not fit in a uint256 (max 2**256-1)")
    return n


def _human(v: Any) -> str:
    if isinstance(v, int) and abs(v) >= 10**15:
        return f"{v / 10**18:g}e18"
    return str(v)


def loads(text: str, source: str = "<string>") -> Scenario:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ScenarioError(f"{source}: not a levcheck scenario (missing \"format\": \"{FORMAT}\")")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise ScenarioError(
            f"{source}: scenario format version {version!r} is not supported by this levcheck "
            f"(reads version {FORMAT_VERSION}); it was written by levcheck {raw.get('levcheck_version', '?')}"
        )
    try:
        params_raw = {**BUNDLED.to_dict(), **raw.get("params", {})}
        params_raw = {k: (v if k == "series" else _as_int(f"params.{k}", v)) for k, v in params_raw.items()}
        if "series" in params_raw:
            params_raw["series"] = [
                {k: (v if k == "is_long" else _as_int(f"params.series.{k}", v)) for k, v in s.items()} for s in params_raw["series"]
            ]
        params = MarketParams.from_dict(params_raw)
    except ParamError as exc:
        raise ScenarioError(f"{source}: bad parameters: {exc}") from None
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list):
        raise ScenarioError(f"{source}: \"steps\" must be a list")
    steps = [Step.from_json(s, i) for i, s in enumerate(steps_raw)]
    funding_raw = raw.get("funding", DEFAULT_FUNDING)
    if not isinstance(funding_raw, dict) or set(funding_raw) - {"QUOTE", "BASE"}:
        raise ScenarioError(f"{source}: \"funding\" must be an object with QUOTE and/or BASE amounts, got {funding_raw!r}")
    funding = {k: _as_int(f"{source}: funding.{k}", v) for k, v in funding_raw.items()}
    actors_raw = raw.get("actors", list(DEFAULT_ACTORS))
    if not isinstance(actors_raw, list) or not all(isinstance(a, str) and a for a in actors_raw):
        raise ScenarioError(f"{source}: \"actors\" must be a list of names, got {actors_raw!r}")
    actors = tuple(actors_raw)
    reserved = set(actors) & {*SYSTEM_ACCOUNTS, *CONTRACT_LABELS, *_series_labels(params)}
    if reserved or len(set(actors)) != len(actors):
        raise ScenarioError(f"{source}: actor names must be unique and not a contract or system label; bad: {sorted(reserved) or actors}")
    sc = Scenario(
        params=params,
        steps=steps,
        actors=actors,
        funding=funding,
        origin=str(raw.get("origin", "")),
        description=str(raw.get("description", "")),
        expect=raw.get("expect"),
        levcheck_version=str(raw.get("levcheck_version", "")),
    )
    check_names(sc, source)
    return sc


def _series_labels(params: MarketParams) -> tuple[str, ...]:
    return tuple(f"series{i}" for i in range(len(params.series)))


def check_names(sc: Scenario, source: str = "<scenario>") -> None:
    """Every actor, series, token and recipient a step names exists in the scenario's deployment:
    a typo is a ScenarioError naming the step and the known names, not a KeyError mid-replay."""
    series = _series_labels(sc.params)
    senders = (*sc.actors, *SYSTEM_ACCOUNTS)
    tokens = ("QUOTE", "BASE", *series)
    recipients = (*sc.actors, *SYSTEM_ACCOUNTS, *CONTRACT_LABELS, *series)
    for i, step in enumerate(sc.steps):
        who = step.actor or DEFAULT_ACTOR.get(step.action, FALLBACK_ACTOR)
        if who not in senders:
            how = "" if step.actor else f" (a step without \"actor\" is sent by {who!r})"
            raise ScenarioError(f"{source}: step {i} ({step.action}): unknown actor {who!r}{how}; the scenario's actors are {list(sc.actors)}")
        for name, known, what in (("series", series, "series"), ("token", tokens, "token"), ("token_in", ("QUOTE", "BASE"), "token"),
                                  ("to", recipients, "recipient"), ("spender", recipients, "spender"),
                                  ("owner", recipients, "owner")):
            if name in step.args and step.args[name] not in known:
                raise ScenarioError(f"{source}: step {i} ({step.action}): unknown {what} {step.args[name]!r}; known: {', '.join(known)}")


def load(path: str | Path) -> Scenario:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"scenario file {p} does not exist")
    return loads(p.read_text(), str(p))


def dumps(scenario: Scenario) -> str:
    return json.dumps(scenario.to_json(), indent=1) + "\n"


def dump(scenario: Scenario, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dumps(scenario))
    return p
