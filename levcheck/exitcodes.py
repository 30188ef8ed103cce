"""Exit codes shared by every subcommand (documented in `levcheck --help`)."""
from __future__ import annotations

import enum


@enum.unique
class ExitCode(enum.IntEnum):
    PASS = 0  # everything proved / no finding / no failure
    FAILED = 1  # a counterexample, a finding or a failing replay
    ERROR = 2  # the tool could not run: bad input, missing compiler, compile error
    TIMEOUT = 3  # a timeout, an `unknown` from the solver, or a budget exhausted before the end

    @classmethod
    def worst(cls, codes: "list[ExitCode] | tuple[ExitCode, ...]") -> "ExitCode":
        """Combine stage results: an error outranks a failure, which outranks a timeout."""
        order = [cls.ERROR, cls.FAILED, cls.TIMEOUT, cls.PASS]
        for c in order:
            if c in codes:
                return c
        return cls.PASS


EXIT_CODE_HELP = "exit codes: 0 pass; 1 counterexample or finding; 2 error (bad input, toolchain); 3 timeout or unknown"
