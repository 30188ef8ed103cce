"""The mutation run's reports: JSON, Markdown (a per-file table and the live survivors' diffs) and
SARIF through the one writer (levcheck/sarif.py), one result per live survivor at its line."""
from __future__ import annotations

import difflib
from pathlib import Path

from levcheck import __version__, sarif

from .battery import MutantResult, Verdict
from .run import MutationRun

RULE = "levcheck-mutant-survived"


def diff(r: MutantResult, root: Path) -> str:
    path = Path(r.mutant.file)
    text = (path if path.is_absolute() else root / path).read_text()
    return "".join(difflib.unified_diff(text.splitlines(True), r.mutant.apply(text).splitlines(True),
                                        f"a/{r.mutant.file}", f"b/{r.mutant.file}", n=1))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def table(run: MutationRun) -> list[dict]:
    rows = []
    for file, rs in run.by_file().items():
        rows.append({"file": file, "mutants": len(rs), "invalid": run.count(Verdict.INVALID, rs),
                     "killed": run.count(Verdict.KILLED, rs), "survived": run.count(Verdict.SURVIVED, rs),
                     "accepted": sum(1 for r in rs if r.accepted), "score": run.score_of(rs)})
    return rows


def to_json(run: MutationRun, root: Path) -> dict:
    c = run.config
    return {
        "seed": run.seed, "score": run.score, "generated": run.generated, "dropped_identical": run.dropped_identical,
        "run": len(run.results), "invalid": run.count(Verdict.INVALID), "killed": run.count(Verdict.KILLED),
        "survived": run.count(Verdict.SURVIVED), "accepted": sum(1 for r in run.results if r.accepted),
        "killed_by": {s: sum(1 for r in run.results if r.killed_by == s) for s in c.stages},
        "battery": {"stages": list(c.stages), "fuzz_seed": c.fuzz_seed, "fuzz_examples": c.fuzz_examples,
                    "fuzz_steps": c.fuzz_steps, "scenarios": [n for n, _ in c.scenarios]},
        "files": table(run),
        "live_survivors": [dict(r.to_json(), diff=diff(r, root)) for r in run.live],
        "stale_triage": [{"entry": e.index, "mutant": e.mutant, "file": e.file, "why": why} for e, why in run.stale],
        "mutants": [r.to_json() for r in run.results],
        "engine": run.engine, "workers": run.workers, "engine_startup_seconds": round(run.startup_seconds, 2),
        "baseline_seconds": round(run.baseline_seconds, 2), "seconds": round(run.seconds, 2),
        "cpu_seconds": round(run.cpu_seconds, 2), "mutants_per_minute": round(run.mutants_per_minute, 2),
        "notes": run.notes,
    }


def markdown(run: MutationRun, root: Path) -> str:
    lines = [f"# Mutation score: {_pct(run.score)}", "",
             f"{len(run.results)} mutant(s) run of {run.generated} distinct ({run.dropped_identical} identical or malformed dropped); "
             f"killed {run.count(Verdict.KILLED)}, survived {run.count(Verdict.SURVIVED)} "
             f"({sum(1 for r in run.results if r.accepted)} accepted equivalent), invalid {run.count(Verdict.INVALID)}. "
             f"Killed by: " + ", ".join(f"{s} {sum(1 for r in run.results if r.killed_by == s)}" for s in run.config.stages)
             + f". Seed {run.seed}; {run.workers} worker(s); {run.mutants_per_minute:.1f} mutants/min.", "",
             "| file | mutants | invalid | killed | survived | accepted | score |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in table(run):
        lines.append(f"| {row['file']} | {row['mutants']} | {row['invalid']} | {row['killed']} | {row['survived']} | "
                     f"{row['accepted']} | {_pct(row['score'])} |")
    if run.live:
        lines += ["", "## Live survivors", ""]
        for r in run.live:
            lines += [f"### `{r.mutant.id}` {r.mutant.summary}", "", "```diff", diff(r, root).rstrip(), "```", ""]
    if run.stale:
        lines += ["", "## Stale triage entries", ""]
        lines += [f"- entry {e.index} (`{e.mutant}`, {e.file}): {why}" for e, why in run.stale]
    for n in run.notes:
        lines.append(f"- note: {n}")
    return "\n".join(lines) + "\n"


def sarif_run(run: MutationRun) -> dict:
    rule = sarif.rule(RULE, "SurvivingMutant", "a mutant of this line survived the whole battery",
                      "The code was changed here (the mutant's diff is in the message) and no stage of the battery - the "
                      "regression scenarios, the differential fuzz campaign, the analysis - told it apart from the original.",
                      "Kill it with a stronger invariant or scenario, or accept it as equivalent in mutation-triage.toml "
                      "with a one-line reason.")
    results = [sarif.result(RULE, "warning", f"surviving mutant {r.mutant.id}: {r.mutant.summary}",
                            sarif.fingerprint(RULE, r.mutant.id), [sarif.location(r.mutant.file, r.mutant.line)],
                            rule_index=0, properties={"operator": r.mutant.operator, "origin": r.mutant.origin})
               for r in run.live]
    notes = [{"level": "warning", "message": {"text": f"stale mutation-triage entry {e.index} ({e.mutant}): {why}"}}
             for e, why in run.stale]
    return sarif.run(sarif.tool("levcheck-mutate", __version__, sarif.homepage(), [rule]), results, notes)
