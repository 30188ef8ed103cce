"""Progress on stderr, the one renderer for `levcheck check`'s stage lines and a fuzz campaign's live line.

In a terminal (stderr is a TTY and `CI` is not set) one line is rewritten in place with `\\r`, at most
a few times a second. Elsewhere (CI logs, pipes) plain lines: the first update at once, then at most
one every `every` seconds. The fuzz campaign calls `Progress.for_fuzz()`'s callback once per example
(fuzz/api.py, `FuzzConfig.progress`); rendering reads only the `ProgressInfo` it is handed and the
clock, so progress cannot change a run. The clock is injectable: tests throttle without sleeping.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable, TextIO

if TYPE_CHECKING:  # types only: importing the fuzz layer loads Hypothesis, and `levcheck --help` must not
    from levcheck.fuzz.api import ProgressInfo
    from levcheck.fuzz.shards import ShardResult

    from .results import StageResult

LIVE_INTERVAL = 0.25  # seconds between rewrites of the live line (a few a second)
PLAIN_EVERY = 10.0  # seconds between plain progress lines (a handful a minute in a CI log)


def is_live(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """A terminal a person watches: a TTY, and not a CI runner (which may fake one)."""
    env = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        tty = False
    return tty and env.get("CI", "").strip().lower() not in ("true", "1", "yes")


def describe(info: ProgressInfo, label: str = "", elapsed: bool = True) -> str:
    """One progress line's text: seed first (a narrow terminal cuts the end), examples / budget,
    steps, steps/s, elapsed and the time guard. `label` names the campaign (a shard, a parameter set);
    `elapsed=False`: the line shows a running clock of its own, only the guard is added."""
    where = f"{label}, " if label else ""
    guard = f"{info.guard:g}s guard" if info.guard is not None else ""
    elapsed = (f"{info.elapsed:.1f}s" + (f" of {guard}" if guard else "")) if elapsed else guard
    if info.shrinking:
        text = f"{where}seed {info.seed}, shrinking a failure: {info.examples:,} examples run, {info.steps:,} steps"
        return text + (f", {elapsed}" if elapsed else "")
    examples = f"{info.examples:,}/{info.budget:,}" if info.budget is not None else f"{info.examples:,}"
    text = f"{where}seed {info.seed}, {examples} examples, {info.steps:,} steps, {info.steps_per_second:,.0f} steps/s"
    return text + (f", {elapsed}" if elapsed else "")


class StatusLine:
    """One status line on a stream, live (rewritten in place) or plain (throttled lines); thread-safe,
    since check's spinner thread and the campaign both update it. A write error (the reader went
    away) turns it off rather than failing the run it reports on."""

    def __init__(self, stream: TextIO, live: bool, every: float = PLAIN_EVERY, interval: float = LIVE_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.live, self.every, self.interval, self.clock = stream, live, every, interval, clock
        self.lock = threading.RLock()
        self._last: float | None = None  # when a line was last written
        self._shown = 0  # width of the live line on screen (0: none)
        self._pending: str | None = None  # live: the newest text the throttle held back

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.live, self.every = False, float("inf")  # no more progress; the run goes on

    def update(self, text: str, force: bool = False) -> None:
        with self.lock:
            now = self.clock()
            wait = self.interval if self.live else self.every
            if not force and self._last is not None and now - self._last < wait:
                self._pending = text
                return
            self._last, self._pending = now, None
            if not self.live:
                self._write(text + "\n")
                return
            text = text[: _columns(self.stream) - 1]
            self._write("\r" + text + " " * max(0, self._shown - len(text)))
            self._shown = len(text)

    def clear(self) -> None:
        """Live: blank the line so other output starts at column 0 (the next update redraws it)."""
        with self.lock:
            if self.live and self._shown:
                self._write("\r" + " " * self._shown + "\r")
                self._shown = 0

    def end(self) -> None:
        """Live: show the newest text and end the line with a newline, so it stays on screen."""
        with self.lock:
            if self.live and self._pending is not None:
                self.update(self._pending, force=True)
            if self.live and self._shown:
                self._write("\n")
                self._shown = 0
            self._pending = None


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 120


class Progress:
    """`levcheck check`'s stage lines (a spinner with the elapsed time, and the fuzz campaign's progress
    in it, in a terminal; plain start/finish lines elsewhere) and `levcheck fuzz`'s live line. With
    `fuzz=False` (`--no-progress`) the campaign's progress is off; stage lines stay."""

    def __init__(self, stream: TextIO | None = None, *, prog: str = "levcheck check", live: bool | None = None,
                 every: float = PLAIN_EVERY, clock: Callable[[], float] = time.monotonic, fuzz: bool = True) -> None:
        self.stream = stream or sys.stderr  # looked up now, not at import: stderr may have been replaced
        self.prog = prog
        self.line = StatusLine(self.stream, is_live(self.stream) if live is None else live, every=every, clock=clock)
        self.show_fuzz = fuzz
        self.detail = ""  # the campaign's progress, drawn by the spinner while a stage runs
        self.stage = ""  # the running stage (check)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def live(self) -> bool:
        return self.line.live

    # ------------------------------------------------------------------ stages (check)

    def start(self, stage: str) -> None:
        self.detail, self.stage = "", stage
        if not self.live:
            self.emit(f"{self.prog}: {stage} ...")
            return
        self._stop.clear()
        t0 = self.line.clock()

        def spin() -> None:
            frames = "|/-\\"
            i = 0
            while not self._stop.wait(0.2):
                detail = f"  {self.detail}" if self.detail else ""
                self.line.update(f"  {frames[i % 4]} {stage:<8} {self.line.clock() - t0:6.1f}s{detail}", force=True)
                i += 1

        self._thread = threading.Thread(target=spin, daemon=True)
        self._thread.start()

    def finish(self, result: StageResult) -> None:
        if self._thread:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.detail = ""
        self.emit(f"{self.prog}: {result.name:<8} {result.status.value.upper():<8} {result.seconds:6.1f}s  {result.message}")

    def emit(self, *lines: str) -> None:
        """Print whole lines on the progress stream without mangling the live line."""
        with self.line.lock:
            self.line.clear()
            for text in lines:
                self.line._write(text + "\n")

    def end(self) -> None:
        self.line.end()

    # ------------------------------------------------------------------ a fuzz campaign

    def for_fuzz(self, label: str = "") -> Callable[[ProgressInfo], None] | None:
        """The callback for `FuzzConfig.progress` (None when progress is off). `label` names the
        campaign when there are several (a shard, a parameter set)."""
        if not self.show_fuzz:
            return None

        def report(info: ProgressInfo) -> None:
            if self._thread is not None:  # check's spinner draws it with the stage's clock (no clock read here)
                self.detail = describe(info, "" if label == self.stage else label, elapsed=False)
                return
            text = describe(info, label)
            if info.done:
                self.line.update(f"{self.prog}: {text}", force=self.live)  # live: the final figures stay
                self.line.end()
            else:
                self.line.update(f"{self.prog}: {text}")

        return report

    def shard_done(self, shard: ShardResult, done: int, total: int) -> None:
        """`run_sharded`'s `on_shard`: one line per finished shard, as it finishes."""
        r = shard.result
        self.emit(f"{self.prog}: [{done}/{total}] shard {shard.shard} done: {r.status}, {r.examples:,} examples, "
                  f"{r.steps:,} steps in {r.seconds:.1f}s on {shard.worker}")
