"""mutation-triage.toml: surviving mutants accepted as equivalent, one line of reason each.

    [[accepted]]
    mutant = "3f2a9c01b7de"        # the id `levcheck mutate` prints for the survivor
    file = "contracts/SpotPool.sol" # where it is (checked: an id that moved file is stale)
    reason = "min(a, b) with a == b on every path: both branches return the same value"

An entry is stale when its mutant is no longer generated (the code changed) or when this run killed
it (it was not equivalent after all): both are reported, so the file cannot silently rot.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from levcheck.analysis.triage import TriageError, load_accepted  # noqa: F401  (TriageError: the error it raises)

DEFAULT = "mutation-triage.toml"
_FIELDS = {"mutant", "file", "reason"}


@dataclass(frozen=True)
class Accepted:
    mutant: str
    file: str
    reason: str
    index: int  # 1-based position in the file


def load(path: str | Path) -> list[Accepted]:
    return [Accepted(str(item["mutant"]), str(item["file"]), item["reason"].strip(), i)
            for i, item in load_accepted(path, _FIELDS, tuple(sorted(_FIELDS)), "survivor")]


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
