"""The EVM interface: the same call sequence gives identical results on every backend."""
import pytest

from levcheck.cli import main
from levcheck.errors import LevcheckError, ToolchainError
from levcheck.chain.evm import Reverted, open_backend
from levcheck.chain.evm.web3_backend import anvil_binary


def run_sequence(evm, art):
    """Deploys, transacts, reverts three ways, reads views, snapshots and moves the clock; returns all."""
    alice, bob = evm.account("alice"), evm.account("bob")
    c = evm.deploy(art, sender=alice)
    seen = [("deployed", c.address, evm.time)]
    for who, v in ((alice, 7), (bob, 11)):
        r = c.transact("set", v, sender=who)
        seen.append(("set", r.value, r.logs, r.timestamp))
    for fn, args in (("set", (500,)), ("boom", ()), ("div0", (0,))):
        with pytest.raises(Reverted) as rev:
            c.transact(fn, *args, sender=alice)
        e = rev.value.error
        seen.append((fn, e.name, e.kind, e.args, rev.value.timestamp))
    seen.append(("views", c.call("x"), c.call("setsBy", alice), c.call("pair", sender=bob), c.call("now_")))
    snap = evm.snapshot()
    c.transact("set", 42, sender=alice)
    evm.revert(snap)
    seen.append(("after revert", c.call("x"), evm.time))
    evm.advance(3600)
    r = c.transact("set", 3, sender=bob)
    seen.append(("after advance", r.logs, c.call("now_")))
    return seen


def test_pyrevm_sequence_decodes_everything(counter_artifacts):
    seen = run_sequence(open_backend("pyrevm"), counter_artifacts["Counter"])
    assert seen[1][1] == 14 and seen[1][2][0].name == "Set" and seen[1][2][0].args["value"] == 7
    assert seen[3][1:4] == ("TooBig", "custom", (500, 100))
    assert seen[4][1:4] == ("Error", "error", ("nope",))
    assert seen[5][1:4] == ("Panic", "panic", (0x12,))
    assert seen[6][1:3] == (11, 1)
    assert seen[7][1] == 11  # the snapshot's write was undone
    # every transaction took one second of the clock, reverted or not
    assert [s[-1] for s in seen[3:6]] == [seen[2][3] + 1, seen[2][3] + 2, seen[2][3] + 3]


@pytest.mark.parametrize("other", ["web3", "anvil"])
def test_backends_agree(counter_artifacts, other):
    if other == "anvil" and anvil_binary() is None:
        pytest.skip("anvil binary not installed (npm @foundry-rs/anvil-linux-amd64)")
    art = counter_artifacts["Counter"]
    reference = run_sequence(open_backend("pyrevm"), art)
    evm = open_backend(other)
    try:
        assert run_sequence(evm, art) == reference
    finally:
        evm.close()


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(LevcheckError, match="unknown backend 'ganache'"):
        open_backend("ganache")


def test_unreachable_rpc_is_a_clear_error():
    with pytest.raises(ToolchainError, match="cannot reach an Ethereum node at http://127.0.0.1:9"):
        open_backend("http://127.0.0.1:9")


def test_non_loopback_rpc_is_refused():
    with pytest.raises(ToolchainError, match="only talks to nodes on this machine"):
        open_backend("http://10.1.2.3:8545")
