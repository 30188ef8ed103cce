"""ABI plumbing shared by every backend: calldata, return values, events and revert reasons."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

PANIC_CODES = {
    0x01: "assert",
    0x11: "arithmetic overflow/underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "uninitialized function",
}
ERROR_SELECTOR = function_signature_to_4byte_selector("Error(string)")
PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")


def _type(param: dict) -> str:
    """Canonical ABI type, expanding tuples."""
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + t[len("tuple"):]
    return t


def _signature(item: dict) -> str:
    return f"{item['name']}({','.join(_type(p) for p in item.get('inputs', []))})"


def _normalize(value: Any, abi_type: str) -> Any:
    if abi_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    if isinstance(value, tuple) and abi_type.startswith("("):
        inner = _split_tuple(abi_type)
        return tuple(_normalize(v, t) for v, t in zip(value, inner))
    if isinstance(value, (list, tuple)) and abi_type.endswith("]"):
        base = abi_type[: abi_type.rindex("[")]
        return tuple(_normalize(v, base) for v in value)
    return value


def _split_tuple(abi_type: str) -> list[str]:
    body, depth, cur, out = abi_type[1 : abi_type.rindex(")")], 0, "", []
    for ch in body:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        out.append(cur)
    return out


@dataclass(frozen=True)
class Function:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    def encode(self, args: Iterable[Any]) -> bytes:
        args = tuple(args)
        if len(args) != len(self.input_types):
            raise TypeError(f"{self.name} takes {len(self.input_types)} argument(s) {self.input_types}, got {len(args)}")
        return self.selector + abi_encode(list(self.input_types), list(args))

    def decode(self, data: bytes) -> Any:
        if not self.output_types:
            return None
        values = tuple(_normalize(v, t) for v, t in zip(abi_decode(list(self.output_types), data), self.output_types))
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Event:
    """A decoded log."""

    name: str
    args: dict
    address: str


@dataclass(frozen=True)
class RevertError:
    """A decoded revert: a custom error, `Error(string)`, a `Panic(uint256)`, or raw bytes."""

    name: str
    args: tuple
    kind: str  # "custom" | "error" | "panic" | "raw"
    data: bytes = b""

    def __str__(self) -> str:
        if self.kind == "panic":
            return f"Panic(0x{self.args[0]:02x}: {PANIC_CODES.get(self.args[0], 'unknown')})"
        if self.kind == "raw":
            return f"revert(0x{self.data.hex()})" if self.data else "revert()"
        return f"{self.name}({', '.join(repr(a) for a in self.args)})"


class AbiRegistry:
    """Every ABI the session has seen: decodes events and errors from whichever contract emitted them."""

    def __init__(self) -> None:
        self.events: dict[bytes, tuple[str, list[dict]]] = {}
        self.errors: dict[bytes, tuple[str, list[str], list[str]]] = {}

    def register(self, abi: list[dict]) -> None:
        for item in abi:
            if item["type"] == "event" and not item.get("anonymous"):
                self.events[keccak(text=_signature(item))] = (item["name"], item["inputs"])
            elif item["type"] == "error":
                sel = function_signature_to_4byte_selector(_signature(item))
                self.errors[sel] = (item["name"], [_type(p) for p in item["inputs"]], [p["name"] for p in item["inputs"]])

    def decode_log(self, address: str, topics: list[bytes], data: bytes) -> Event:
        address = to_checksum_address(address)
        if not topics or topics[0] not in self.events:
            return Event("<unknown>", {"topics": tuple(t.hex() for t in topics), "data": data.hex()}, address)
        name, inputs = self.events[topics[0]]
        indexed = [p for p in inputs if p.get("indexed")]
        plain = [p for p in inputs if not p.get("indexed")]
        values: dict[str, Any] = {}
        for p, topic in zip(indexed, topics[1:]):
            t = _type(p)
            values[p["name"]] = _normalize(abi_decode([t], topic)[0], t) if not t.endswith("]") and t not in ("string", "bytes") else topic
        decoded = abi_decode([_type(p) for p in plain], data) if plain else ()
        for p, v in zip(plain, decoded):
            values[p["name"]] = _normalize(v, _type(p))
        ordered = {p["name"]: values[p["name"]] for p in inputs}
        return Event(name, ordered, address)

    def decode_revert(self, data: bytes) -> RevertError:
        sel, body = data[:4], data[4:]
        try:
            if sel == ERROR_SELECTOR:
                return RevertError("Error", (abi_decode(["string"], body)[0],), "error", data)
            if sel == PANIC_SELECTOR:
                return RevertError("Panic", (abi_decode(["uint256"], body)[0],), "panic", data)
            if sel in self.errors:
                name, types, _ = self.errors[sel]
                values = tuple(_normalize(v, t) for v, t in zip(abi_decode(types, body), types))
                return RevertError(name, values, "custom", data)
        except Exception:  # malformed payload: report it raw rather than guess
            pass
        return RevertError("<raw>", (), "raw", data)


def functions_of(abi: list[dict]) -> dict[str, Function]:
    """Functions by name (and by full signature, for overloads)."""
    out: dict[str, Function] = {}
    for item in abi:
        if item["type"] != "function":
            continue
        sig = _signature(item)
        fn = Function(
            item["name"],
            function_signature_to_4byte_selector(sig),
            tuple(_type(p) for p in item["inputs"]),
            tuple(_type(p) for p in item.get("outputs", [])),
        )
        out[sig] = fn
        out.setdefault(item["name"], fn)
    return out


def constructor_types(abi: list[dict]) -> list[str]:
    for item in abi:
        if item["type"] == "constructor":
            return [_type(p) for p in item["inputs"]]
    return []


def encode_constructor(abi: list[dict], args: tuple) -> bytes:
    types = constructor_types(abi)
    if len(types) != len(args):
        raise TypeError(f"constructor takes {len(types)} argument(s) {types}, got {len(args)}")
    return abi_encode(types, list(args)) if types else b""
