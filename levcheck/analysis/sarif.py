"""`analyze` as a SARIF run (through the one writer, `levcheck.sarif`): one rule per detector that ran
(Slither's and levcheck's, told apart by the `levcheck` property), accepted findings as externally
suppressed results (with the triage reason), stale triage entries as notifications."""
from __future__ import annotations

from .. import __version__, sarif
from .model import AnalysisResult, Finding

_LEVEL = {"High": "error", "Medium": "warning", "Low": "note", "Informational": "note", "Optimization": "note"}


def to_sarif_run(r: AnalysisResult) -> dict:
    rules = [
        sarif.rule(d.id, d.title or d.id, d.help, d.description or d.help, d.recommendation or d.help,
                   _LEVEL.get(d.impact, "warning"), {"impact": d.impact, "confidence": d.confidence, "levcheck": d.project})
        for d in r.detectors
    ]
    index = {d.id: i for i, d in enumerate(r.detectors)}
    notifications = [
        {"level": "warning",
         "message": {"text": f"stale triage entry #{e.index}: {e.detector} {e.contract}"
                             f"{'.' + e.function if e.function else ''} matches no finding"}}
        for e in r.stale
    ]
    tool = sarif.tool("levcheck-analyze", __version__, sarif.homepage(), rules)
    return sarif.run(tool, [_result(f, index) for f in r.findings], notifications)


def to_sarif(r: AnalysisResult) -> dict:
    return sarif.log([to_sarif_run(r)])


def _result(f: Finding, index: dict[str, int]) -> dict:
    where = f"{f.contract}.{f.function}" if f.contract and f.function else (f.contract or "")
    return sarif.result(
        f.detector, _LEVEL.get(f.impact, "warning"), f"{where}: {f.message}" if where else f.message, f.fingerprint,
        [sarif.location(f.file, f.line)] if f.file else None, index.get(f.detector), f.accepted,
        {"impact": f.impact, "confidence": f.confidence},
    )


def write_sarif(r: AnalysisResult, path: str) -> None:
    sarif.write(path, [to_sarif_run(r)])
