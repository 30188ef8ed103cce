"""Text and JSON renderings of an AnalysisResult."""
from __future__ import annotations

import dataclasses
import json

from .model import AnalysisResult


def to_text(r: AnalysisResult, verbose: bool = False) -> str:
    lines = []
    for f in r.open:
        lines.append(f"{f.where}: [{f.detector}] ({f.impact}/{f.confidence}) {f.message}")
    if r.accepted:
        lines.append("")
        lines.append(f"accepted in triage ({len(r.accepted)}):")
        if verbose:
            for f in r.accepted:
                lines.append(f"  {f.where}: [{f.detector}] {f.message}")
                lines.append(f"      reason: {f.accepted}")
        else:  # one line per triage reason and place
            groups: dict[tuple, int] = {}
            for f in r.accepted:
                key = (f.detector, f.contract or "-", f.function or "", f.accepted)
                groups[key] = groups.get(key, 0) + 1
            for (det, contract, fn, reason), n in groups.items():
                name = f"{contract}.{fn}" if fn else contract
                lines.append(f"  [{det}] {name}{f' x{n}' if n > 1 else ''}: {reason}")
    for e in r.stale:
        fn = f".{e.function}" if e.function else ""
        lines.append(f"stale triage entry #{e.index}: {e.detector} {e.contract}{fn} matches no finding (remove it)")
    project = sum(1 for d in r.detectors if d.project)
    lines.append("")
    lines.append(
        f"{len(r.open)} open finding(s), {len(r.accepted)} accepted, {len(r.stale)} stale triage entr"
        f"{'y' if len(r.stale) == 1 else 'ies'}; {len(r.contracts)} contracts, {project} levcheck + "
        f"{len(r.detectors) - project} Slither detectors; {r.seconds.get('total', 0):.1f} s"
        f"{' (compile cached)' if r.compile_cached else ''}"
    )
    return "\n".join(lines).lstrip("\n") + "\n"


def to_json(r: AnalysisResult) -> str:
    return json.dumps(
        {
            "src": r.src,
            "exit_code": int(r.exit_code),
            "contracts": r.contracts,
            "open": [dataclasses.asdict(f) for f in r.open],
            "accepted": [dataclasses.asdict(f) for f in r.accepted],
            "stale_triage": [dataclasses.asdict(e) for e in r.stale],
            "detectors": [d.id for d in r.detectors],
            "compile_cached": r.compile_cached,
            "seconds": {k: round(v, 3) for k, v in r.seconds.items()},
        },
        indent=2,
    )
