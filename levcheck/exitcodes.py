"""Exit codes shared by every subcommand (documented in `levcheck --help`), and the one status
vocabulary that stages, obligations, detector findings and fuzz properties all report in."""
from __future__ import annotations

import enum


@enum.unique
class ExitCode(enum.IntEnum):
    PASS = 0  # everything proved / no finding / no failure
    FAILED = 1  # a counterexample, a finding or a failing replay
    ERROR = 2  # the tool could not run: bad input, missing compiler, compile error, nothing to check
    TIMEOUT = 3  # a timeout, an `unknown` from the solver, an interrupt, or a budget exhausted before the end

    @classmethod
    def worst(cls, codes: "list[ExitCode] | tuple[ExitCode, ...]") -> "ExitCode":
        """Combine stage results: an error outranks a failure, which outranks a timeout."""
        order = [cls.ERROR, cls.FAILED, cls.TIMEOUT, cls.PASS]
        for c in order:
            if c in codes:
                return c
        return cls.PASS


@enum.unique
class Status(str, enum.Enum):
    """One vocabulary for every verdict levcheck reports (stage, obligation, finding, fuzz property,
    replayed scenario). SKIPPED always carries a reason (not selected, not exercised, not run)."""

    PASS = "pass"
    FAIL = "fail"  # a counterexample, a finding, a failing replay
    ERROR = "error"  # could not run, or nothing was checked
    TIMEOUT = "timeout"  # timeout, solver unknown, budget exhausted, interrupted
    SKIPPED = "skipped"  # not run or not exercised: never counted as a pass

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT[self]

    @classmethod
    def worst(cls, statuses: "list[Status] | tuple[Status, ...] | set[Status]") -> "Status":
        """error > fail > timeout > pass; skipped verdicts do not make a pass on their own."""
        for s in (cls.ERROR, cls.FAIL, cls.TIMEOUT, cls.PASS):
            if s in statuses:
                return s
        return cls.SKIPPED


_EXIT = {
    Status.PASS: ExitCode.PASS,
    Status.FAIL: ExitCode.FAILED,
    Status.ERROR: ExitCode.ERROR,
    Status.TIMEOUT: ExitCode.TIMEOUT,
    Status.SKIPPED: ExitCode.PASS,
}

EXIT_CODE_HELP = ("exit codes: 0 pass; 1 counterexample or finding; 2 error (bad input, toolchain, nothing was checked); "
                  "3 timeout, unknown or interrupted. --debug prints the traceback of an unexpected error")
