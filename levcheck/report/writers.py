"""Report writers for a `CheckSummary`: JSON, JUnit XML, SARIF 2.1.0 and Markdown."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .. import __version__, sarif
from .results import Case, CheckSummary, Status
from .coverage import markdown as coverage_markdown


def write_json(summary: CheckSummary, path: Path) -> None:
    path.write_text(json.dumps(summary.to_json(), indent=2, sort_keys=False) + "\n")


def write_junit(summary: CheckSummary, path: Path) -> None:
    """One <testsuite> per stage, one <testcase> per obligation, detector, fuzz property or scenario.
    The suite's counts are computed from the cases written into it, so they always agree; a stage
    with no case of its own (not run, timed out, crashed) gets one case carrying its status and why."""
    root = ET.Element("testsuites", name="levcheck", time=f"{summary.seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for stage in summary.stages:
        cases = stage.cases or [Case(id=stage.name, kind="stage", status=stage.status, message=stage.message, seconds=stage.seconds)]
        if stage.status is Status.TIMEOUT and not any(c.status is Status.TIMEOUT for c in cases):
            # the stage was cut: what finished is listed, and the cut itself is an error case
            cases = [*cases, Case(id=f"{stage.name}:cut", kind="stage", status=Status.TIMEOUT, message=stage.message)]
        counts = {s: sum(c.status is s for c in cases) for s in Status}
        attrs = {"tests": len(cases), "failures": counts[Status.FAIL], "errors": counts[Status.ERROR] + counts[Status.TIMEOUT],
                 "skipped": counts[Status.SKIPPED]}
        for k, v in attrs.items():
            totals[k] += v
        suite = ET.SubElement(root, "testsuite", name=stage.name, **{k: str(v) for k, v in attrs.items()}, time=f"{stage.seconds:.3f}")
        for case in cases:
            tc = ET.SubElement(suite, "testcase", classname=f"levcheck.{stage.name}", name=case.id, time=f"{case.seconds:.3f}")
            body = _case_text(case)
            if case.status is Status.FAIL:
                ET.SubElement(tc, "failure", message=case.message[:500], type=case.kind).text = body
            elif case.status is Status.ERROR:
                ET.SubElement(tc, "error", message=case.message[:500], type="error").text = body
            elif case.status is Status.TIMEOUT:
                ET.SubElement(tc, "error", message=case.message[:500] or "timeout or unknown", type="timeout").text = body
            elif case.status is Status.SKIPPED:
                ET.SubElement(tc, "skipped", message=case.message[:500] or stage.message[:500] or "skipped")
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _case_text(case: Case) -> str:
    lines = [case.message]
    if case.location:
        lines.append(f"at {case.location.file}:{case.location.line} ({case.location.contract}.{case.location.function})")
    if case.artifact:
        lines.append(f"artifact: {case.artifact}")
    for k, v in case.details.items():
        lines.append(f"{k}: {v}")
    return "\n".join(lines)


def sarif_run(summary: CheckSummary) -> dict[str, Any]:
    """levcheck's own SARIF run: every failing obligation, fuzz property or replay, located at the
    contract function it exercises."""
    rules: dict[str, dict] = {}
    results = []
    for stage in summary.stages:
        if stage.name == "analyze":
            continue  # Slither findings come in the analysis run
        for case in stage.cases:
            if case.status not in (Status.FAIL, Status.ERROR, Status.TIMEOUT):
                continue
            rule_id = f"levcheck.{stage.name}.{case.id}"
            level = "error" if case.status is not Status.TIMEOUT else "warning"
            rules.setdefault(rule_id, sarif.rule(rule_id, case.id, f"{stage.name}: {case.id}",
                                                 case.details.get("statement", case.message) or case.id, level=level))
            loc = case.location
            results.append(sarif.result(
                rule_id, level,
                f"{case.status.value}: {case.message}" + (f" (replay: {case.artifact})" if case.artifact else ""),
                # the same rule failing at the same function is the same alert from run to run
                sarif.fingerprint(rule_id, loc.file if loc else "", f"{loc.contract}.{loc.function}" if loc else ""),
                [sarif.location(loc.file, loc.line, f"{loc.contract}.{loc.function}")] if loc else None,
                rule_index=list(rules).index(rule_id),
            ))
    return sarif.run(sarif.tool("levcheck", __version__, sarif.homepage(), list(rules.values())), results)


def write_sarif(summary: CheckSummary, path: Path, analysis_sarif: dict | None = None) -> None:
    """A SARIF 2.1.0 log: Slither's and levcheck's detectors' findings (from `analyze`) plus levcheck's
    counterexamples."""
    runs = list(analysis_sarif.get("runs", [])) if analysis_sarif else []
    runs.append(sarif_run(summary))
    sarif.write(path, runs)


def write_markdown(summary: CheckSummary, path: Path, plots: dict[str, str] | None = None) -> None:
    """A summary fit for a CI job summary ($GITHUB_STEP_SUMMARY)."""
    plots = plots or {}
    verdict = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.ERROR: "ERROR", Status.TIMEOUT: "TIMEOUT", Status.SKIPPED: "SKIPPED"}
    out = [
        f"# levcheck check: {verdict[summary.status]}",
        "",
        f"levcheck {summary.version}, started {summary.started_at}, {summary.seconds:.1f} s of a {summary.budget:.0f} s budget"
        + (" — **interrupted**: results below are what finished" if summary.interrupted else "")
        + f", exit code {summary.exit_code}."
        + (f" Run folder `{summary.run_folder}`" if summary.run_folder else "")
        + (f", seed {summary.seed}." if summary.seed is not None else ""),
        "",
        "| stage | status | time | pass | fail | error | timeout/unknown | skipped | notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for st in summary.stages:
        c = st.counts
        notes = st.message.replace("|", "\\|").replace("\n", " ")
        out.append(f"| {st.name} | {verdict[st.status]} | {st.seconds:.1f} s | {c['pass']} | {c['fail']} | {c['error']} | {c['timeout']} | {c['skipped']} | {notes} |")
    problems = [(st, c) for st in summary.stages for c in st.cases if c.status in (Status.FAIL, Status.ERROR, Status.TIMEOUT)]
    if problems:
        out += ["", "## What failed", ""]
        for st, c in problems:
            where = f" at `{c.location.file}:{c.location.line}` ({c.location.contract}.{c.location.function})" if c.location else ""
            out.append(f"- **{st.name} / {c.id}** — {verdict[c.status]}{where}: {c.message}")
            if c.artifact:
                out.append(f"  - replay: `levcheck replay {c.artifact}`")
            if c.id in plots:
                out.append(f"  - plot: ![{c.id}]({plots[c.id]})")
    counted = [(st, c) for st in summary.stages for c in st.cases if c.kind == "fuzz" and "exercised" in c.details]
    if counted:
        # how often each invariant was judged: 0 is "not exercised" (skipped), never a pass
        out += ["", "## Invariants exercised (fuzz)", "", "| invariant | status | steps exercised | premise |",
                "| --- | --- | ---: | --- |"]
        for st, c in counted:
            out.append(f"| {c.id} | {verdict[c.status]} | {c.details['exercised']} | {str(c.details.get('premise', '')).replace('|', '/')} |")
    out += _portfolio_tables(summary)
    for st in summary.stages:  # the fuzz campaign's contract coverage and its blind spots (report/coverage.py)
        if "contract coverage" in st.info:
            out += coverage_markdown(st.info["contract coverage"])
    infos = [(st.name, {k: v for k, v in st.info.items() if k not in _TABLES}) for st in summary.stages if st.info]
    if infos:
        out += ["", "## Figures", ""]
        for name, info in infos:
            out.append(f"- {name}: " + ", ".join(f"{k} = {v}" for k, v in info.items()))
    path.write_text("\n".join(out) + "\n")


_TABLES = ("portfolio", "comparisons", "comparison gaps", "contract coverage")  # fuzz info keys rendered as sections, not figures


def _portfolio_tables(summary: CheckSummary) -> list[str]:
    """The fuzz stage's parameter sets, and every SPEC comparison's count per side: a side never reached
    is listed as a gap (not exercised, not passed); equality never reached is said too."""
    out: list[str] = []
    for st in summary.stages:
        sets, table, gaps = st.info.get("portfolio"), st.info.get("comparisons"), st.info.get("comparison gaps", {})
        if sets:
            out += ["", "## Parameter sets (fuzz)", "", "| set | status | examples | steps | CPU s | reproduce |",
                    "| --- | --- | ---: | ---: | ---: | --- |"]
            out += [f"| {u['set']} | {u['status']} | {u['examples']} | {u['steps']} | {u['cpu_seconds']} | `{u['reproduce']}` |"
                    for u in sets]
        if table:
            out += ["", "## SPEC comparisons reached (fuzz)", "", "| comparison | below | equal | above | |",
                    "| --- | ---: | ---: | ---: | --- |"]
            for cid, n in table.items():
                note = gaps.get(cid, "both sides and equality")
                flag = "**gap**: " if note.startswith("never") else ""
                out.append(f"| {cid} | {n['below']} | {n['equal']} | {n['above']} | {flag}{note} |")
    return out
