"""Run one obligation: build the query, solve with a timeout, dump it, concretise and replay a model."""
from __future__ import annotations

import copy
import math
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import z3

from levcheck.specs.arith import INT, Z3IntArith, Z3RealArith

from .core import Claim, Domain, ExactArith, Obligation, ObligationResult, Status, Var, Z3RoundedArith
from .interrupt import interruptible


def _z3_arith(domain: Domain) -> Any:
    return {Domain.REAL: Z3RealArith, Domain.ROUNDED: Z3RoundedArith, Domain.INT: Z3IntArith}[domain]()


def _z3_var(var: Var, domain: Domain, ctx: Any) -> Any:
    return z3.Int(var.name, ctx) if domain is Domain.INT else z3.Real(var.name, ctx)


def _const(x: int | Fraction, ctx: Any) -> Any:
    return z3.RealVal(f"{Fraction(x).numerator}/{Fraction(x).denominator}", ctx)


def build_query(ob: Obligation, ar: Any = None) -> tuple[list[tuple[str, Any]], Claim, Any]:
    """The named assertions of the query: domain bounds, premises, rounding side conditions and the
    negated conjunction of the goals. `ar` may be passed to run a weakened arithmetic (tests)."""
    ar = ar or _z3_arith(ob.domain)
    # A fresh context per query: the answer (and the model) must not depend on which queries ran before.
    ctx = z3.Context()
    env = {var.name: _z3_var(var, ob.domain, ctx) for var in ob.variables()}
    named: list[tuple[str, Any]] = []
    for var in ob.variables():
        x = env[var.name]
        if var.lo is not None:
            named.append((f"domain:{var.name}>=lo", x >= _const(var.lo, ctx)))
        if var.hi is not None:
            named.append((f"domain:{var.name}<=hi", x <= _const(var.hi, ctx)))
    claim = ob.claim(ar, env)
    named += [(f"premise:{n}", _as_bool(e, ctx)) for n, e in claim.premises]
    named += list(getattr(ar, "side", []))
    named.append(("negated-goal", z3.Not(z3.And(*[_as_bool(e, ctx) for _, e in claim.goals], ctx), ctx)))
    return _dedupe(named), claim, env


def _dedupe(named: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    seen: dict[str, int] = {}
    out = []
    for n, e in named:
        seen[n] = seen.get(n, 0) + 1
        out.append((n if seen[n] == 1 else f"{n}#{seen[n]}", e))
    return out


def _as_bool(e: Any, ctx: Any) -> Any:
    return z3.BoolVal(e, ctx) if isinstance(e, bool) else e


def to_smt2(named: list[tuple[str, Any]], logic: str) -> str:
    """SMT-LIB 2 text with every assertion named, for an outside solver."""
    seen: dict[str, Any] = {}
    for _, e in named:
        for c in _consts(e):
            seen.setdefault(c.decl().name(), c)
    lines = ["(set-option :produce-unsat-cores true)", f"(set-logic {logic})"]
    lines += [f"(declare-const |{n}| {c.sort().sexpr()})" for n, c in sorted(seen.items())]
    for name, e in named:
        lines.append(f"(assert (! {e.sexpr()} :named |{name}|))")
    lines += ["(check-sat)", "(get-unsat-core)", "(get-model)"]
    return "\n".join(lines) + "\n"


def _consts(e: Any) -> list[Any]:
    out, todo, seen = [], [e], set()
    while todo:
        t = todo.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.append(t)
        todo.extend(t.children())
    return out


def _value(model: Any, x: Any) -> Fraction:
    v = model.eval(x, model_completion=True)
    if z3.is_int_value(v):
        return Fraction(v.as_long())
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_algebraic_value(v):  # irrational root: approximate, the replay decides
        return Fraction(v.approx(30).as_fraction())
    raise ValueError(f"cannot read {x} = {v}")


def concretise(ob: Obligation, model: Any, env: dict[str, Any]) -> list[dict[str, Any]]:
    """Candidate concrete points for the replay: exact rationals for REAL obligations; for integral
    ones the nearest integers first, then floor/ceil variants (the relaxation may land between)."""
    raw = {name: _value(model, x) for name, x in env.items()}
    if ob.domain is Domain.REAL:
        return [raw]
    nearest = {k: round(v) for k, v in raw.items()}
    floors = {k: math.floor(v) for k, v in raw.items()}
    ceils = {k: math.ceil(v) for k, v in raw.items()}
    cands = [nearest, floors, ceils]
    return [c for i, c in enumerate(cands) if c not in cands[:i]]


def replay(ob: Obligation, values: dict[str, Any], ar: Any = None) -> list[str] | None:
    """Run the obligation's own claim on concrete values. Returns the failed goal names when every
    domain bound and premise holds and some goal fails (a real counterexample), else None."""
    ar = ar or (ExactArith() if ob.domain is Domain.REAL else INT)
    for var in ob.variables():
        x = values[var.name]
        if (var.lo is not None and x < var.lo) or (var.hi is not None and x > var.hi):
            return None
    try:
        claim = ob.claim(ar, values)
        if not all(bool(e) for _, e in claim.premises):
            return None
        failed = [n for n, e in claim.goals if not bool(e)]
    except (AssertionError, ZeroDivisionError):  # outside a formula's domain (e.g. negative operand)
        return None
    return failed or None


def _solve(ob: Obligation, domain: Domain, timeout_s: float, dump_smt: Any, z3_arith: Any,
           pins: dict[str, int] | None = None, rlimit: int = 0) -> tuple[Any, Any, dict, list, str | None]:
    """One encoding of the query: (answer, solver, env, core names, smt file). `pins` fixes some
    variables to values (a guided search for an integral counterexample near a relaxed model).
    `rlimit` is the query's budget in Z3 resource units (0: none); `timeout_s` only guards the wall."""
    dob = ob if domain is ob.domain else _in_domain(ob, domain)
    named, _, env = build_query(dob, z3_arith(domain) if callable(z3_arith) else z3_arith)
    named += [(f"pin:{k}", env[k] == v) for k, v in (pins or {}).items() if k in env]
    logic = "QF_NIA" if domain is Domain.INT else "QF_NRA"
    ctx = named[-1][1].ctx
    solver = z3.SolverFor(logic, ctx=ctx) if domain is Domain.REAL else z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(timeout_s * 1000)))
    solver.set("ctrl_c", False)  # Python keeps SIGINT (proofs/interrupt.py): Z3's handler would consume it
    if rlimit:
        solver.set("rlimit", max(1, int(rlimit)))
    trackers = {}
    for name, e in named:
        t = z3.Bool(name, ctx)
        trackers[str(t)] = name
        solver.assert_and_track(e, t)
    smt_file = None
    if dump_smt is not None and not pins:
        path = Path(dump_smt) / f"{ob.id}.{domain.value}.smt2"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"; {ob.id} ({domain.value} encoding): {ob.statement}\n" + to_smt2(named, logic))
        smt_file = str(path)
    with interruptible(ctx):  # Ctrl-C stops the query at once and is raised here, never swallowed
        answer = solver.check()
    core = sorted(trackers.get(str(c), str(c)) for c in solver.unsat_core()) if answer == z3.unsat else []
    return answer, solver, env, core, smt_file


def _rlimit_count(solver: Any) -> int:
    st = solver.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def _in_domain(ob: Obligation, domain: Domain) -> Obligation:
    import copy

    clone = copy.copy(ob)
    clone.domain = domain
    return clone


def _schedule(ob: Obligation) -> list[tuple[Domain, float]]:
    """(encoding, share of the timeout) in order. A ROUNDED obligation alternates the sound real
    relaxation (nlsat) and the exact integer encoding (QF_NIA), short slices first: which one is
    fast varies by query, and a model of the relaxation sends it straight to the exact encoding."""
    if ob.domain is not Domain.ROUNDED:
        return [(ob.domain, 1.0)]
    return [(Domain.ROUNDED, 0.2), (Domain.INT, 0.2), (Domain.ROUNDED, 0.3), (Domain.INT, 1.0)]


# An obligation's budget in Z3 resource units, shared by its encodings as `_schedule` says. The
# verdict depends on it, not on the machine's speed or load: the slowest bundled obligation needs
# ~0.41 M in one encoding (measured with z3-solver 5.4.1 here; `levcheck bench --toolchain` prints
# the figures). Wall time only guards against a runaway query.
RLIMIT = 3_000_000
WALL_GUARD_S = 60.0


def check(
    ob: Obligation,
    timeout_s: float = WALL_GUARD_S,
    dump_smt: str | Path | None = None,
    z3_arith: Any = None,
    replay_arith: Any = None,
    scenario_dir: str | Path | None = None,
    rlimit: int = RLIMIT,
) -> ObligationResult:
    """Decide one obligation within `rlimit` Z3 resource units (shared by its encodings), with
    `timeout_s` of wall time as the outer guard. `z3_arith` (an Arith, or a callable domain -> Arith)
    and `replay_arith` substitute weakened arithmetics (tests)."""
    t0 = time.perf_counter()
    res = ObligationResult(
        id=ob.id, family=ob.family, statement=ob.statement, status=Status.UNKNOWN, seconds=0.0,
        domain=ob.domain.value, assumptions=ob.assumptions, relaxation=ob.relaxation, invariants=ob.invariants,
    )
    reasons: list[str] = []
    for domain, share in _schedule(ob):
        if domain is Domain.ROUNDED and res.status is Status.POTENTIAL:
            continue  # the relaxation already has a model: only the exact encoding can decide
        left = timeout_s - (time.perf_counter() - t0)
        if left <= 0.05:
            reasons.append(f"{domain.value}: wall-clock guard of {timeout_s:g} s reached")
            break
        answer, solver, env, core, smt_file = _solve(ob, domain, left, dump_smt, z3_arith, rlimit=int(share * rlimit))
        res.smt_file = smt_file or res.smt_file
        res.encoding = domain.value
        if answer == z3.unsat:
            res.status, res.core, res.reason = Status.PROVED, core, ""
            break
        if answer == z3.unknown:
            why = solver.reason_unknown() or "unknown"
            if why == "canceled" and _rlimit_count(solver) >= int(share * rlimit):
                why = f"resource limit of {int(share * rlimit):,} units reached"
            reasons.append(f"{domain.value}: {why}")
            continue
        model = solver.model()
        dob = _in_domain(ob, domain)
        for cand in concretise(dob, model, env):
            failed = replay(ob, cand, replay_arith)
            if failed:
                res.status, res.failed_goals, res.reason = Status.COUNTEREXAMPLE, failed, f"replayed ({domain.value} model)"
                res.values = {k: str(v) for k, v in cand.items()}
                if scenario_dir is not None:
                    from .scenario import write_scenario

                    res.scenario_file = write_scenario(ob, cand, scenario_dir)
                break
        if res.status is Status.COUNTEREXAMPLE:
            break
        res.status = Status.POTENTIAL
        res.values = {k: str(_value(model, x)) for k, x in env.items()}
        reasons.append(f"{domain.value}: model did not replay on the concrete formulas")
        if domain is Domain.ROUNDED and ob.search_margin and not ob.margin:  # a model with room to round
            left = timeout_s - (time.perf_counter() - t0)
            if left > 0.05:
                wide = copy.copy(ob)
                wide.margin = ob.search_margin
                answer, solver, wenv, _, _ = _solve(wide, Domain.ROUNDED, left, None, z3_arith, rlimit=int(0.2 * rlimit))
                if answer == z3.sat:
                    for cand in concretise(_in_domain(ob, Domain.ROUNDED), solver.model(), wenv):
                        failed = replay(ob, cand, replay_arith)
                        if failed:
                            res.status, res.failed_goals = Status.COUNTEREXAMPLE, failed
                            res.reason = f"replayed (rounded model violating by a margin of {ob.search_margin} wei)"
                            res.values = {k: str(v) for k, v in cand.items()}
                            if scenario_dir is not None:
                                from .scenario import write_scenario

                                res.scenario_file = write_scenario(ob, cand, scenario_dir)
                            break
                    if res.status is Status.COUNTEREXAMPLE:
                        break
        if domain is Domain.ROUNDED:  # look for an integral point with the scale variables pinned
            pins = {k: round(_value(model, env[k])) for k in ob.pin if k in env}
            left = timeout_s - (time.perf_counter() - t0)
            if pins and left > 0.05:
                answer, solver, penv, _, _ = _solve(ob, Domain.INT, left, None, z3_arith, pins, rlimit=int(0.3 * rlimit))
                if answer == z3.sat:
                    cand = {k: _value(solver.model(), x) for k, x in penv.items()}
                    failed = replay(ob, {k: int(v) for k, v in cand.items()}, replay_arith)
                    if failed:
                        res.status, res.failed_goals = Status.COUNTEREXAMPLE, failed
                        res.reason = f"replayed (int model with {', '.join(pins)} pinned near the relaxed model)"
                        res.values = {k: str(int(v)) for k, v in cand.items()}
                        res.encoding = "int"
                        if scenario_dir is not None:
                            from .scenario import write_scenario

                            res.scenario_file = write_scenario(ob, {k: int(v) for k, v in cand.items()}, scenario_dir)
                        break
    if res.status is not Status.PROVED and res.status is not Status.COUNTEREXAMPLE:
        res.reason = "; ".join(reasons)
        if res.status is Status.POTENTIAL and any("unknown" in r or "limit" in r or "guard" in r or "canceled" in r for r in reasons[1:]):
            res.reason += " (the exact encoding did not finish)"
    res.seconds = time.perf_counter() - t0
    return res
