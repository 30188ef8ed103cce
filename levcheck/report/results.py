"""Typed results shared by every stage of `levcheck check` and by every report writer."""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from ..exitcodes import ExitCode, Status  # noqa: F401  (Status re-exported: the one vocabulary)


@dataclass
class Location:
    file: str  # source unit path relative to the repo root, e.g. contracts/LeveragedToken.sol
    line: int
    contract: str = ""
    function: str = ""


@dataclass
class Case:
    """One obligation, detector finding, fuzz property or replayed scenario."""

    id: str
    kind: str  # "obligation" | "detector" | "fuzz" | "replay" | "build"
    status: Status
    message: str = ""
    seconds: float = 0.0
    location: Location | None = None
    details: dict[str, Any] = field(default_factory=dict)
    artifact: str | None = None  # a scenario file or plot that goes with it


@dataclass
class StageResult:
    name: str
    status: Status
    seconds: float = 0.0
    cases: list[Case] = field(default_factory=list)
    message: str = ""
    info: dict[str, Any] = field(default_factory=dict)  # seeds, steps, throughput...

    @property
    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for c in self.cases:
            out[c.status.value] += 1
        return out


@dataclass
class CheckSummary:
    version: str
    started_at: str
    seconds: float
    budget: float
    status: Status
    exit_code: int
    interrupted: bool
    stages: list[StageResult]
    run_folder: str = ""  # this run's own folder (<out>/<timestamp>-seed<N>)
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        def enc(o: Any) -> Any:
            if isinstance(o, enum.Enum):
                return o.value
            if isinstance(o, dict):
                return {k: enc(v) for k, v in o.items()}
            if isinstance(o, (list, tuple)):
                return [enc(v) for v in o]
            return o

        return enc(asdict(self))


def stage_status(cases: list[Case], ran: bool = True) -> Status:
    """A stage is as bad as its worst case: error > fail > timeout > pass. A stage that ran and
    checked nothing (no case, or every case skipped) is an error: a green must mean it was checked."""
    if not ran:
        return Status.SKIPPED
    worst = Status.worst({c.status for c in cases})
    return Status.ERROR if worst is Status.SKIPPED else worst
