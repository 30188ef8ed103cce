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
