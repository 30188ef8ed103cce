"""`levcheck analyze`: Slither's detectors plus levcheck's checks of the contracts' shape."""
from __future__ import annotations

from .model import AnalysisResult, DetectorInfo, Finding, TriageEntry
from .runner import run_analysis

__all__ = ["AnalysisResult", "DetectorInfo", "Finding", "TriageEntry", "run_analysis"]
