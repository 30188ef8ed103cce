"""`levcheck analyze`: Slither's detectors plus levcheck's checks of the contracts' shape.

`run_analysis` is imported lazily: Slither takes ~0.5 s to import, and every `levcheck` command
(not only analyze) imports this package to build its command line."""
from __future__ import annotations

from typing import Any

from .model import AnalysisResult, DetectorInfo, Finding, TriageEntry


def __getattr__(name: str) -> Any:
    if name == "run_analysis":
        from .runner import run_analysis

        return run_analysis
    raise AttributeError(name)


__all__ = ["AnalysisResult", "DetectorInfo", "Finding", "TriageEntry", "run_analysis"]
