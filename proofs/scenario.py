"""Counterexample files.

A replayed counterexample of a rebalance obligation (restoration: a series left outside its band)
becomes a scenario in the fuzzer's format (`specs/scenario.py`, `levcheck replay FILE`): deploy the
obligation's parameter set, mint, let the fallback come due, move the oracle so the series sits at the
counterexample's pre-rebalance leverage, push the pool's price off the oracle by the counterexample's
slippage (searched down on the reference model until the rebalance no longer reverts), rebalance.
The steps are kept only if, on the reference model, the rebalance lands outside the band and the
fuzzer's own `band.restoration` invariant flags it (what `levcheck replay` checks); a counterexample
that invariant exempts (it assumes cap x (L0 - target) <= 1 - target / maxLev) gets the JSON file.

Every other counterexample is written as a `levcheck-proof-counterexample` JSON file (version 1):
{"format", "format_version", "obligation", "statement", "assumptions", "relaxation", "failed_goals",
"values" (the concrete point, as decimal strings), "params" (the parameter set proved, or null for a
symbolic obligation), "replay"}; its values replay on the obligation's own formulas (`proofs.solve.replay`).
"""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

from levcheck.specs import formulas as F
from levcheck.specs.arith import INT, WAD

from .core import Obligation

CEX_FORMAT, CEX_VERSION = "levcheck-proof-counterexample", 1


def write_scenario(ob: Obligation, values: dict[str, Any], out_dir: str | Path) -> str:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sc = _restoration_scenario(ob, values) if getattr(ob, "mp", None) is not None and ob.id.startswith("band.restore") else None
    sc = sc if sc is not None else ob.scenario(values)  # an obligation that maps its own counterexample
    if sc is not None:
        from levcheck.specs import scenario as S

        return str(S.dump(sc, out / f"{ob.id}.scenario.json"))
    path = out / f"{ob.id}.counterexample.json"
    path.write_text(json.dumps({
        "format": CEX_FORMAT, "format_version": CEX_VERSION, "obligation": ob.id, "statement": ob.statement,
        "assumptions": list(ob.assumptions), "relaxation": ob.relaxation,
        "values": {k: str(v) for k, v in values.items()},
        "params": params.to_dict() if (params := getattr(ob, "params", None)) is not None else None,
        "replay": f"levcheck prove --params <these params> --only {ob.id}",
    }, indent=1) + "\n")
    return str(path)


def _restoration_scenario(ob: Any, values: dict[str, Any]) -> Any:
    from levcheck.specs import scenario as S

    sp, mp = ob.sp, ob.mp
    index = list(mp.series).index(sp)
    label = f"series{index}"
    P, b, q, d = (values[k] for k in ("P", "b", "q", "d"))
    v = F.series_value(INT, sp.is_long, b, q, d, P)
    lev0 = Fraction(F.leverage(INT, F.exposure(INT, sp.is_long, b, d, P), v), WAD)
    lo = Fraction(12, 10) if sp.is_long else Fraction(1, 2)  # reachable by a price move of at most ~4x
    lev0 = min(max(lev0, lo), Fraction(ob.lev_hi, WAD))
    x = F.band_exit_ratio(sp.is_long, Fraction(sp.target_lev, WAD), lev0)
    price = int(mp.initial_price * x)
    buys_base = sp.is_long == ob.increase  # long up / short down buy BASE on the pool
    cap = Fraction(sp.slippage_cap_bps, 10_000)
    for k in (Fraction(95, 100), Fraction(8, 10), Fraction(6, 10), Fraction(4, 10), Fraction(2, 10)):
        slip = cap * k
        steps = [
            S.Step.of("mint", "alice", series=label, quote_in=10_000 * WAD),
            S.Step.of("warp", seconds=sp.fallback_interval),
            S.Step.of("set_price", price=price),
        ]
        m, ok = _model_run(mp, steps)
        if not ok:
            return None
        rb, rq = m.pool.reserve_base, m.pool.reserve_quote
        goal = Fraction(price) * (1 + slip if buys_base else 1 - slip) / WAD  # QUOTE per BASE
        nb = math.isqrt(int(rb * rq / goal))  # constant product (fee aside): rB' = sqrt(k / price)
        if nb < rb:
            steps.append(S.Step.of("swap_exact_out", "trader", token_in="QUOTE", amount_out=rb - nb))
        elif nb > rb:
            steps.append(S.Step.of("swap_exact_in", "trader", token_in="BASE", amount_in=nb - rb))
        steps.append(S.Step.of("rebalance", "keeper1", series=label))
        verdict = _restoration_verdict(mp, steps, label)
        if verdict is None:
            continue  # the rebalance reverted (slippage beyond the cap once its own impact is added)
        lev, violations = verdict
        if not (sp.min_lev <= lev <= sp.max_lev) and violations:
            return S.Scenario(
                params=mp, steps=steps, origin=f"z3 {ob.id}",
                description=(f"{ob.statement}. Z3 counterexample {values}; mapped: leverage {float(lev0):.4f}x before, "
                             f"pool {float(slip) * 100:.2f}% off the oracle; the model leaves the series at "
                             f"{lev / WAD:.4f}x, outside [{sp.min_lev / WAD:g}x, {sp.max_lev / WAD:g}x]"),
                expect={"status": "violated", "step": len(steps) - 1},
            )
        # else: inside the band, or outside but exempt by the fuzzer's invariant: try a smaller slippage
    return None


def _restoration_verdict(mp: Any, steps: list, label: str) -> tuple[int, list] | None:
    """Run the steps on the reference model and judge the last one (the rebalance) with the fuzzer's
    own `band.restoration` invariant, as `levcheck replay` will: (leverage after, violations), or None
    if a step reverted."""
    from levcheck.chain import modelside
    from levcheck.specs.scenario import DEFAULT_ACTORS, DEFAULT_FUNDING
    from levcheck.specs.invariants import by_id
    from levcheck.specs.model import Model, model_state

    m = Model.deploy(mp, 1_700_000_000)
    now = modelside.setup_actors(m, DEFAULT_ACTORS, DEFAULT_FUNDING, m.next_time)
    prev = outcome = None
    for i, step in enumerate(steps):
        if step.action == "warp":
            now += step.args["seconds"]
            continue
        if i == len(steps) - 1:
            prev = model_state(m, now, DEFAULT_ACTORS)
        outcome, n = modelside.apply(m, step, now)
        now += n
        if outcome.reverted is not None:
            return None
    state = model_state(m, now, DEFAULT_ACTORS)
    return m.leverage(label, now), by_id("band.restoration").check(state, prev, outcome)


def _within_cap(m: Any, label: str, price: int, cap: int) -> bool:
    """The fuzzer's `band.restoration` invariant exempts trades whose QUOTE amount is more than the cap
    off the oracle value of their BASE amount; a scenario must avoid that exemption to show anything."""
    ev = [e for e in m.last_events if e.name == "Rebalanced" and e.address == label]
    if not ev:
        return False
    base_amt, quote_amt = ev[0].args["baseAmount"], ev[0].args["quoteAmount"]
    fair = base_amt * price // WAD
    return fair * (10_000 - cap) - 10_000 <= quote_amt * 10_000 <= fair * (10_000 + cap) + 10_000


def _model_run(mp: Any, steps: list) -> tuple[Any, bool]:
    """Run steps on the reference model (as `levcheck replay` does); False if any step reverted."""
    from levcheck.chain import modelside
    from levcheck.specs.scenario import DEFAULT_ACTORS, DEFAULT_FUNDING
    from levcheck.specs.model import Model

    m = Model.deploy(mp, 1_700_000_000)
    now = modelside.setup_actors(m, DEFAULT_ACTORS, DEFAULT_FUNDING, m.next_time)
    for step in steps:
        if step.action == "warp":
            now += step.args["seconds"]
            continue
        outcome, n = modelside.apply(m, step, now)
        now += n
        if outcome.reverted is not None:
            return m, False
    m.next_time = now
    return m, True
