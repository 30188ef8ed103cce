"""SARIF 2.1.0 for code-scanning UIs: one run, one rule per detector that ran, accepted findings as
externally suppressed results (with the triage reason), stale triage entries as notifications."""
from __future__ import annotations

import json

from .. import __version__
from .model import AnalysisResult, Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"High": "error", "Medium": "warning", "Low": "note", "Informational": "note", "Optimization": "note"}


def to_sarif(r: AnalysisResult) -> dict:
    rules = []
    index: dict[str, int] = {}
    for d in r.detectors:
        index[d.id] = len(rules)
        rules.append(
            {
                "id": d.id,
                "name": d.title or d.id,
                "shortDescription": {"text": d.help},
                "fullDescription": {"text": d.description or d.help},
                "help": {"text": d.recommendation or d.help},
                "defaultConfiguration": {"level": _LEVEL.get(d.impact, "warning")},
                "properties": {"impact": d.impact, "confidence": d.confidence, "levcheck": d.project},
            }
        )
    results = [_result(f, index) for f in r.findings]
    notifications = [
        {
            "level": "warning",
            "message": {
                "text": f"stale triage entry #{e.index}: {e.detector} {e.contract}"
                f"{'.' + e.function if e.function else ''} matches no finding"
            },
        }
        for e in r.stale
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "levcheck-analyze", "version": __version__, "rules": rules}},
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }


def _result(f: Finding, index: dict[str, int]) -> dict:
    where = f"{f.contract}.{f.function}" if f.contract and f.function else (f.contract or "")
    res: dict = {
        "ruleId": f.detector,
        "level": _LEVEL.get(f.impact, "warning"),
        "message": {"text": f"{where}: {f.message}" if where else f.message},
        "partialFingerprints": {"levcheckFinding/v1": f.fingerprint},
        "properties": {"impact": f.impact, "confidence": f.confidence},
    }
    if f.detector in index:
        res["ruleIndex"] = index[f.detector]
    if f.file:
        loc: dict = {"artifactLocation": {"uri": f.file}}
        if f.line:
            loc["region"] = {"startLine": f.line}
        res["locations"] = [{"physicalLocation": loc}]
    if f.accepted is not None:
        res["suppressions"] = [{"kind": "external", "justification": f.accepted}]
    return res


def write_sarif(r: AnalysisResult, path: str) -> None:
    with open(path, "w") as fh:
        json.dump(to_sarif(r), fh, indent=2)
