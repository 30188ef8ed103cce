"""Issue 12, finding 3: the self-sandwiching keeper. econ.no_self_sandwich proved on the bundled set,
refuted (with a replayed attack scenario that econ.profit flags) on the two unsafe fixture sets; the
validator's closed form refuses exactly what the obligation refutes."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from levcheck.proofs import econ_sandwich as E
from levcheck.proofs.core import Status
from levcheck.proofs.solve import check
from levcheck.specs.params import BUNDLED, ParamError, load_params, max_safe_cap_bps, self_sandwich_safe

FIXTURES = Path(__file__).parent / "fixtures" / "params"
UNSAFE = {"self-sandwich-fee5.toml": (5, 100), "self-sandwich-cap300.toml": (30, 300)}


def _with(fee: int, cap: int):
    return dataclasses.replace(BUNDLED, pool_fee_bps=fee,
                               series=tuple(dataclasses.replace(s, slippage_cap_bps=cap) for s in BUNDLED.series))


def test_bundled_set_is_proved_safe() -> None:
    BUNDLED.validate_economics()
    results = {ob.id: check(ob) for ob in E.obligations(BUNDLED)}
    assert sorted(results) == [f"econ.no_self_sandwich.{s}.{d}" for s in ("long", "short") for d in ("down", "up")]
    assert all(r.status is Status.PROVED for r in results.values()), {k: r.status for k, r in results.items()}


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_validator_refuses_unsafe_sets_with_the_fix(name: str) -> None:
    fee, cap = UNSAFE[name]
    with pytest.raises(ParamError) as exc:
        load_params(FIXTURES / name)
    msg = str(exc.value)
    assert msg.startswith("SelfSandwich:") and f"slippage_cap_bps {cap}" in msg and f"pool_fee_bps {fee}" in msg
    assert "lower the cap or raise the pool fee" in msg and "\n" not in msg
    assert load_params(FIXTURES / name, economic=False).pool_fee_bps == fee  # prove / scenarios still load it


def test_closed_form_edge_is_the_obligations_edge() -> None:
    """At a 30 bps fee the validator's widest cap is proved and one bps more is refuted."""
    cap = max_safe_cap_bps(30)
    assert cap == 44 and self_sandwich_safe(30, cap) and not self_sandwich_safe(30, cap + 1)
    safe, unsafe = _with(30, cap), _with(30, cap + 1)
    assert check(E.NoSelfSandwich(safe.series[0], safe, True)).status is Status.PROVED
    bad = check(E.NoSelfSandwich(unsafe.series[0], unsafe, True))
    assert bad.status is Status.COUNTEREXAMPLE and bad.id == "econ.no_self_sandwich.long.up"


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_prove_refutes_with_an_attack_that_replays_and_fails(name: str, tmp_path: Path) -> None:
    from levcheck.fuzz.api import replay_file
    from levcheck.specs import scenario as S

    params = load_params(FIXTURES / name, economic=False)
    ob = E.NoSelfSandwich(params.series[0], params, True)
    ob.params = params
    res = check(ob, scenario_dir=tmp_path)
    assert res.status is Status.COUNTEREXAMPLE and res.id == "econ.no_self_sandwich.long.up"
    assert res.scenario_file and res.scenario_file.endswith(".scenario.json")
    sc = S.load(res.scenario_file)
    assert [s.action for s in sc.steps[-3:]] == ["swap_exact_in", "rebalance", "swap_exact_in"]
    assert {s.actor for s in sc.steps[-3:]} == {"keeper1"}
    rep = replay_file(res.scenario_file)
    assert rep.status != "passed" and rep.first_failure == len(sc.steps) - 1, rep.render()
    found = rep.steps[rep.first_failure].found
    assert found and not rep.steps[rep.first_failure].differences  # model and EVM agree: the spec's hole
    assert {v.invariant for _, v in found} == {"econ.profit"}
    assert all(v.actor == "keeper1" and v.values["gain"] - v.values["allowed"] > 10**18 for _, v in found)  # > 1 QUOTE beyond its due
