"""The checked-in triage file: accepted findings with a one-line reason each.

    [[accepted]]
    detector = "timestamp"            # Slither's or levcheck's detector id
    contract = "PriceOracle"
    function = "price"                # optional: any function when omitted
    contains = "updatedAt"            # optional: a substring of the finding's message
    reason = "staleness is the spec's own rule; the clock is the point"
"""
from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from ..errors import LevcheckError
from .model import Finding, TriageEntry

_FIELDS = {"detector", "contract", "function", "contains", "reason"}


class TriageError(LevcheckError):
    """A malformed triage file."""


def load_accepted(path: str | Path, fields: set[str], required: tuple[str, ...], what: str) -> list[tuple[int, dict]]:
    """The `[[accepted]]` entries of a triage file (slither-triage.toml, mutation-triage.toml), each with
    its 1-based position: known keys only, the `required` ones non-empty, a one-line `reason`. A
    missing file accepts nothing; a malformed one is a TriageError naming the entry."""
    p = Path(path)
    if not p.is_file():
        return []
    try:
        raw = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TriageError(f"{p}: not valid TOML: {exc}") from exc
    out = []
    for i, item in enumerate(raw.get("accepted", []), start=1):
        unknown = set(item) - fields
        if unknown:
            raise TriageError(f"{p}: entry {i}: unknown key(s) {sorted(unknown)}; allowed: {sorted(fields)}")
        for need in required:
            if not str(item.get(need, "")).strip():
                raise TriageError(f"{p}: entry {i}: `{need}` is required (every accepted {what} needs a reason)")
        if "\n" in item["reason"]:
            raise TriageError(f"{p}: entry {i}: the reason must be one line")
        out.append((i, item))
    return out


def load_triage(path: str | Path) -> list[TriageEntry]:
    return [
        TriageEntry(detector=item["detector"], contract=item["contract"], reason=item["reason"].strip(),
                    function=item.get("function"), contains=item.get("contains"), index=i)
        for i, item in load_accepted(path, _FIELDS, ("detector", "contract", "reason"), "finding")
    ]


def apply_triage(findings: list[Finding], entries: list[TriageEntry]) -> tuple[list[Finding], list[TriageEntry]]:
    """Mark accepted findings with their reason; return them and the entries that matched nothing."""
    used: set[int] = set()
    out = []
    for f in findings:
        entry = next((e for e in entries if e.matches(f)), None)
        if entry is not None:
            used.add(entry.index)
            f = replace(f, accepted=entry.reason)
        out.append(f)
    return out, [e for e in entries if e.index not in used]
