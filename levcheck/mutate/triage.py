"""mutation-triage.toml: surviving mutants accepted as equivalent, one line of reason each.

    [[accepted]]
    mutant = "3f2a9c01b7de"        # the id `levcheck mutate` prints for the survivor
    file = "contracts/SpotPool.sol" # where it is (checked: an id that moved file is stale)
    reason = "min(a, b) with a == b on every path: both branches return the same value"

An entry is stale when its mutant is no longer generated (the code changed) or when this run killed
it (it was not equivalent after all): both are reported, so the file cannot silently rot.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from levcheck.errors import LevcheckError

DEFAULT = "mutation-triage.toml"
_FIELDS = {"mutant", "file", "reason"}


@dataclass(frozen=True)
class Accepted:
    mutant: str
    file: str
    reason: str
    index: int  # 1-based position in the file


class TriageError(LevcheckError):
    """A malformed triage file."""


def load(path: str | Path) -> list[Accepted]:
    p = Path(path)
    if not p.is_file():
        return []
    try:
        raw = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TriageError(f"{p}: not valid TOML: {exc}") from exc
    out = []
    for i, item in enumerate(raw.get("accepted", []), start=1):
        unknown = set(item) - _FIELDS
        if unknown:
            raise TriageError(f"{p}: entry {i}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
        for need in sorted(_FIELDS):
            if not str(item.get(need, "")).strip():
                raise TriageError(f"{p}: entry {i}: `{need}` is required (every accepted survivor needs a reason)")
        if "\n" in item["reason"]:
            raise TriageError(f"{p}: entry {i}: the reason must be one line")
        out.append(Accepted(str(item["mutant"]), str(item["file"]), item["reason"].strip(), i))
    return out


def stale(entries: list[Accepted], generated: dict[str, str], killed: set[str]) -> list[tuple[Accepted, str]]:
    """(entry, why) for every entry whose mutant is not generated any more (`generated`: id -> file)
    or was killed in this run."""
    out = []
    for e in entries:
        if generated.get(e.mutant) != e.file:
            out.append((e, "no such mutant is generated from the current code"))
        elif e.mutant in killed:
            out.append((e, "this run killed it: it is not equivalent"))
    return out
