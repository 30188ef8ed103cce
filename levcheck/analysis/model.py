"""Typed results of `levcheck analyze`."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..chain import build
from ..exitcodes import ExitCode

# The project's own triage file, else levcheck's (the bundled protocol's accepted findings).
DEFAULT_TRIAGE = next((p for p in (build.PROJECT / "slither-triage.toml",) if p.is_file()), build.ROOT / "slither-triage.toml")
DEFAULT_MIN_IMPACT = "Low"  # Slither's Informational/Optimization checks are opt-in (--min-impact)

IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")


@dataclass(frozen=True)
class DetectorInfo:
    """A detector's declared metadata (for SARIF rules and `--list-detectors`)."""

    id: str
    title: str
    help: str
    impact: str
    confidence: str
    description: str
    recommendation: str
    project: bool  # levcheck's own check, as opposed to one of Slither's


@dataclass(frozen=True)
class Finding:
    detector: str
    impact: str
    confidence: str
    contract: str | None
    function: str | None
    file: str | None  # repo-relative where possible
    line: int | None
    message: str  # Slither's description, first line
    fingerprint: str  # stable across line moves: detector, contract, function, message without locations
    project: bool
    accepted: str | None = None  # the triage reason, when a triage entry accepts it

    @property
    def where(self) -> str:
        loc = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "?")
        fn = f"{self.contract}.{self.function}" if self.contract and self.function else (self.contract or "-")
        return f"{loc} {fn}"


@dataclass(frozen=True)
class TriageEntry:
    detector: str
    contract: str
    reason: str
    function: str | None = None
    contains: str | None = None
    index: int = 0  # position in the triage file, to name a stale entry

    def matches(self, f: Finding) -> bool:
        return (
            f.detector == self.detector
            and f.contract == self.contract
            and (self.function is None or f.function == self.function)
            and (self.contains is None or self.contains in f.message)
        )


@dataclass
class AnalysisResult:
    src: str
    contracts: list[str]
    findings: list[Finding]
    stale: list[TriageEntry]
    detectors: list[DetectorInfo]
    compile_cached: bool
    seconds: dict[str, float] = field(default_factory=dict)  # compile, slither, detect, total

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted is None]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted is not None]

    @property
    def exit_code(self) -> ExitCode:
        """1 while any finding is neither fixed nor triaged; stale triage entries are reported, not failed."""
        return ExitCode.FAILED if self.open else ExitCode.PASS
