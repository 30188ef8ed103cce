"""A fuzz campaign's verdict as text, in the style users know from `forge test`: one line per
invariant, a suite summary line, and the action x outcome table. Used by `levcheck fuzz` and by the
fuzz stage of `levcheck check`; `failed_invariants` is also what check turns into its JUnit cases,
so the lines and the reports cannot disagree about which invariant failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from levcheck.specs.invariants import INVARIANTS

if TYPE_CHECKING:  # types only: importing the fuzz layer loads Hypothesis
    from levcheck.chain.session import StepReport
    from levcheck.fuzz.api import FuzzResult

AGREEMENT = "accounting.differential"  # the invariant that *is* the model-vs-EVM comparison
MAX_REASON = 160  # a [FAIL: ...] reason longer than this is cut: the full text is in the replay below it


@dataclass
class Failures:
    """Which invariants the campaign's (shrunk, replayed) counterexample broke, and where."""

    reasons: dict[str, str] = field(default_factory=dict)  # invariant id -> why, in the order found
    step: StepReport | None = None  # the first failing step of the replay (None: no failure, or no replay)


def failed_invariants(result: FuzzResult) -> Failures:
    """A divergence fails the agreement invariant; every violation found at the failing step fails its
    own invariant (the first message per invariant wins). A failure without a replay is charged to
    the agreement, with the campaign's first note as the reason."""
    out = Failures()
    if not result.failed:
        return out
    rep = result.replay
    out.step = rep.steps[rep.first_failure] if rep is not None and rep.first_failure is not None else None
    step = out.step
    if step is None or step.differences:
        out.reasons[AGREEMENT] = "; ".join(step.differences[:3]) if step else (result.notes[0] if result.notes else "failed")
    for side, v in (step.found if step else []):
        out.reasons.setdefault(v.invariant, f"{side}: {v.message}")
    return out


def _steps(n: int) -> str:
    return f"{n:,} step" + ("" if n == 1 else "s")


def _reason(text: str) -> str:
    text = " ".join(text.split())  # one line whatever the message
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 3] + "..."


def invariant_lines(result: FuzzResult, failures: Failures | None = None) -> list[str]:
    """`[PASS] id (exercised N steps)`, `[FAIL: why] id (exercised N steps)`, `[SKIP: not exercised] id
    (0 steps)`, in the registry's order; a failed id the registry does not list comes last."""
    failures = failures if failures is not None else failed_invariants(result)
    lines = []
    for inv in INVARIANTS:
        n = result.exercised.get(inv.id, 0)
        if inv.id in failures.reasons:
            lines.append(f"[FAIL: {_reason(failures.reasons[inv.id])}] {inv.id} (exercised {_steps(n)})")
        elif n > 0:
            lines.append(f"[PASS] {inv.id} (exercised {_steps(n)})")
        else:
            lines.append(f"[SKIP: not exercised] {inv.id} (0 steps)")
    known = {inv.id for inv in INVARIANTS}
    for pid in sorted(set(failures.reasons) - known):
        lines.append(f"[FAIL: {_reason(failures.reasons[pid])}] {pid}")
    return lines


def summary_line(result: FuzzResult, failures: Failures | None = None) -> str:
    """forge's `Suite result:` line, with the campaign's examples, steps and throughput."""
    failures = failures if failures is not None else failed_invariants(result)
    known = {inv.id for inv in INVARIANTS}
    failed = len(failures.reasons)
    skipped = sum(1 for inv in INVARIANTS if inv.id not in failures.reasons and result.exercised.get(inv.id, 0) == 0)
    passed = len(known) - len(known & set(failures.reasons)) - skipped
    verdict = "FAILED" if result.failed else "ok"
    cut = f"; cut by the time guard after {result.examples:,} examples" if result.cut_by_time else ""
    return (f"Suite result: {verdict}. {passed} passed; {failed} failed; {skipped} skipped; finished in {result.seconds:.1f}s "
            f"({result.examples:,} examples, {_steps(result.steps)}, {result.steps_per_second:,.0f} steps/s){cut}")


def coverage_table(result: FuzzResult) -> list[str]:
    """The action x outcome table from `FuzzResult.coverage`: one row per action with its ok and reverted
    counts and the reverts by error, most frequent first. (A column per revert error would be ~250
    characters wide with the bundled protocol's 14 errors: unreadable in a CI log.)"""
    rows: dict[str, dict[str, int]] = {}
    for (action, outcome), n in result.coverage.items():
        rows.setdefault(action, {})[outcome] = rows.get(action, {}).get(outcome, 0) + n
    if not rows:
        return []
    body = []
    for action in sorted(rows):
        outcomes = rows[action]
        reverts = sorted(((e, n) for e, n in outcomes.items() if e != "ok"), key=lambda en: (-en[1], en[0]))
        body.append((action, outcomes.get("ok", 0), sum(n for _, n in reverts), ", ".join(f"{e} {n:,}" for e, n in reverts)))
    body.append(("total", sum(r[1] for r in body), sum(r[2] for r in body), ""))
    w_action = max(len("action"), *(len(r[0]) for r in body))
    w_ok = max(len("ok"), *(len(f"{r[1]:,}") for r in body))
    w_rev = max(len("reverted"), *(len(f"{r[2]:,}") for r in body))
    lines = [f"{'action':<{w_action}}  {'ok':>{w_ok}}  {'reverted':>{w_rev}}  reverts by error"]
    for action, ok, rev, detail in body:
        lines.append(f"{action:<{w_action}}  {ok:>{w_ok},}  {rev:>{w_rev},}  {detail}".rstrip())
    return lines


def results_lines(result: FuzzResult) -> list[str]:
    """Everything the end of a campaign prints: invariant lines, the summary, a blank line, the table."""
    failures = failed_invariants(result)
    table = coverage_table(result)
    return [*invariant_lines(result, failures), summary_line(result, failures), *([""] + table if table else [])]
