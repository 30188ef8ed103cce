"""The one ABI codec: the word fast path agrees with eth_abi wherever it applies, and refuses (hands
over to eth_abi, which handles or raises) wherever it cannot encode or decode exactly."""
from __future__ import annotations

import eth_abi
import pytest
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from levcheck.chain import abi
from levcheck.chain.abi import AbiRegistry, decode_values, encode_values, functions_of

WORD_TYPES = ["uint256", "uint8", "uint64", "int256", "int8", "int128", "bool", "address"]


def _value(t: str) -> st.SearchStrategy:
    if t == "bool":
        return st.booleans()
    if t == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
    if t.startswith("uint"):
        return st.integers(0, 2 ** int(t[4:]) - 1)
    n = int(t[3:])
    return st.integers(-(2 ** (n - 1)), 2 ** (n - 1) - 1)


typed_values = st.lists(st.sampled_from(WORD_TYPES), min_size=0, max_size=6).flatmap(
    lambda ts: st.tuples(st.just(tuple(ts)), st.tuples(*[_value(t) for t in ts]))
)


@settings(max_examples=300, deadline=None)
@given(typed_values)
def test_fast_path_is_eth_abi_exactly(tv: tuple) -> None:
    types, values = tv
    data = encode_values(types, values)
    assert data == eth_abi.encode(list(types), list(values))
    # the codec's vocabulary: checksum addresses (eth_abi gives lower case)
    expected = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, eth_abi.decode(list(types), data)))
    assert decode_values(types, data) == expected


def test_wrong_arity_is_refused() -> None:
    fn = functions_of([{"type": "function", "name": "f", "inputs": [{"name": "a", "type": "uint256"}], "outputs": []}])["f"]
    with pytest.raises(TypeError, match="takes 1 argument"):
        fn.encode((1, 2))
    with pytest.raises(TypeError, match="expected 2 value"):
        encode_values(("uint256", "bool"), (1,))


@pytest.mark.parametrize("t, v", [("uint256", 2**256), ("uint256", -1), ("uint8", 256), ("int8", 128), ("int8", -129),
                                  ("bool", 1), ("address", "0x1234"), ("uint256", True), ("uint256", 1.0)])
def test_a_value_the_fast_path_cannot_encode_exactly_goes_to_eth_abi_which_refuses_it(t: str, v: object) -> None:
    assert abi._word_value(t, v) is None
    with pytest.raises(Exception) as exc:
        encode_values((t,), (v,))
    assert type(exc.value).__module__.startswith("eth_abi")


@pytest.mark.parametrize("t, word", [("bool", 2), ("uint8", 256), ("address", 1 << 160), ("int8", 1 << 200)])
def test_a_dirty_word_is_not_decoded_by_the_fast_path(t: str, word: int) -> None:
    assert abi._from_word(t, word) is None
    with pytest.raises(Exception) as exc:
        decode_values((t,), word.to_bytes(32, "big"))
    assert type(exc.value).__module__.startswith("eth_abi")


def test_dynamic_types_use_eth_abi() -> None:
    types = ("string", "uint256[]", "bytes", "uint256")
    values = ("hi", (1, 2, 3), b"\x01\x02", 7)
    data = encode_values(types, values)
    assert data == eth_abi.encode(list(types), list(values))
    assert decode_values(types, data) == values


def test_short_data_is_not_sliced() -> None:
    with pytest.raises(Exception):
        decode_values(("uint256", "uint256"), (5).to_bytes(32, "big"))


def test_events_and_errors_decode_by_name() -> None:
    reg = AbiRegistry()
    reg.register([
        {"type": "event", "name": "Moved", "anonymous": False, "inputs": [
            {"name": "who", "type": "address", "indexed": True},
            {"name": "note", "type": "string", "indexed": False},
            {"name": "delta", "type": "int256", "indexed": False}]},
        {"type": "error", "name": "Bad", "inputs": [{"name": "have", "type": "uint256"}, {"name": "neg", "type": "int8"}]},
    ])
    from eth_utils import keccak

    who = "0x" + "ab" * 20
    topics = [keccak(text="Moved(address,string,int256)"), bytes(12) + bytes.fromhex("ab" * 20)]
    ev = reg.decode_log("0x" + "01" * 20, topics, eth_abi.encode(["string", "int256"], ["x", -5]))
    assert ev.name == "Moved" and ev.args == {"who": to_checksum_address(who), "note": "x", "delta": -5}
    labels = {who: "alice"}
    ev = reg.decode_log("0x" + "01" * 20, topics, eth_abi.encode(["string", "int256"], ["x", -5]),
                        lambda t, v: labels.get(f"0x{v:040x}", f"0x{v:040x}") if t == "address" else v)
    assert ev.args["who"] == "alice"
    from eth_utils import function_signature_to_4byte_selector as sel

    err = reg.decode_revert(sel("Bad(uint256,int8)") + eth_abi.encode(["uint256", "int8"], [3, -1]))
    assert (err.name, err.args, err.kind) == ("Bad", (3, -1), "custom")
    assert reg.decode_revert(b"\xde\xad").kind == "raw"


@settings(max_examples=200, deadline=None)
@given(typed_values, st.data())
def test_a_word_event_decodes_as_eth_abi_does(tv: tuple, data: st.DataObject) -> None:
    # the log fast path (every field one word) against eth_abi on the same topics and data
    from eth_utils import keccak

    types, values = tv
    indexed = [data.draw(st.booleans()) for _ in types][:3]  # at most three indexed topics
    indexed += [False] * (len(types) - len(indexed))
    inputs = [{"name": f"a{i}", "type": t, "indexed": ix} for i, (t, ix) in enumerate(zip(types, indexed))]
    reg = AbiRegistry()
    reg.register([{"type": "event", "name": "E", "anonymous": False, "inputs": inputs}])
    topic0 = keccak(text=f"E({','.join(types)})")
    topics = [topic0] + [eth_abi.encode([t], [v]) for t, v, ix in zip(types, values, indexed) if ix]
    plain = [(t, v) for t, v, ix in zip(types, values, indexed) if not ix]
    ev = reg.decode_log("0x" + "01" * 20, topics, eth_abi.encode([t for t, _ in plain], [v for _, v in plain]))
    want = {f"a{i}": eth_abi.decode([t], eth_abi.encode([t], [v]))[0] for i, (t, v) in enumerate(zip(types, values))}
    want = {k: to_checksum_address(v) if isinstance(v, str) else v for k, v in want.items()}
    assert ev.name == "E" and ev.args == want
