"""Assertions shared by the contract tests."""
import pytest

from levcheck.chain.evm import Reverted


def reverts(name, fn, *args, **kw):
    """Run fn and return the decoded revert args, asserting the error's name."""
    with pytest.raises(Reverted) as exc:
        fn(*args, **kw)
    assert exc.value.error.name == name, exc.value.error
    return exc.value.error.args


def only(result, name):
    """The args of the one event called `name` in a transaction's logs."""
    (e,) = [e for e in result.logs if e.name == name]
    return e.args
