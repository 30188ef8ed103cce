"""The common base of levcheck's project detectors: Slither's AbstractDetector with the shape tables
of specs/write_sets.py at hand. Subclasses declare metadata and write only `_detect()`."""
from __future__ import annotations

from slither.detectors.abstract_detector import AbstractDetector, DetectorClassification

WIKI_ROOT = "notes/issue-6.md#detectors"  # in this repository: the table of project detectors

HIGH = DetectorClassification.HIGH
MEDIUM = DetectorClassification.MEDIUM
LOW = DetectorClassification.LOW


class LevcheckDetector(AbstractDetector):
    """Marker base: `levcheck analyze` reports these as the project's own checks."""

    WIKI = WIKI_ROOT
    PROJECT = True


def spec_contracts() -> dict[str, frozenset[str]]:
    """Per project detector id, the spec contracts it inspects (from specs/write_sets.py's tables).
    A detector none of whose contracts is in the analysed tree checked nothing: the runner reports
    that as a finding instead of letting an empty result read as a pass. (lev-swap-min-out looks at
    every contract, so it has no entry.)"""
    from levcheck.specs.write_sets import (
        CALL_SETS, CALLER_CHECKED, GUARDED_SWAPS, IMMUTABLE, KEEPER_FEE_PAYERS, PROTOCOL_CONTRACTS, REQUIRED_EVENTS, WRITE_SETS,
    )

    return {
        "lev-call-order": frozenset(PROTOCOL_CONTRACTS),
        "lev-events-emitted": frozenset(c for c, _ in REQUIRED_EVENTS),
        "lev-immutable-thresholds": frozenset(IMMUTABLE),
        "lev-keeper-fee": frozenset(KEEPER_FEE_PAYERS),
        "lev-rebalance-guards": frozenset(c for c, _ in GUARDED_SWAPS),
        "lev-spec-names": frozenset(PROTOCOL_CONTRACTS),
        "lev-write-sets": frozenset({*WRITE_SETS, *CALL_SETS, *CALLER_CHECKED}),
    }
