"""Ctrl-C that stops a Z3 query at once and is never lost.

Z3's own SIGINT handler (`ctrl_c=true`, its default) cancels the running query and *consumes* the
signal: the query answers `unknown`/"canceled" — the same answer as a resource limit or a timeout —
and, when the cancel lands as the query finishes, a plain sat/unsat, so the interrupt can vanish and
the run go on to exit 0. Here Z3's handler is off (`solver.set("ctrl_c", False)`) and Python keeps the
signal: its C-level handler marks it (KeyboardInterrupt is raised as soon as the query returns) and
writes a byte to a wakeup pipe, which a watcher thread turns into `Context.interrupt()` on the query's
context, so the query returns immediately."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Iterator


@contextlib.contextmanager
def interruptible(ctx: Any) -> Iterator[None]:
    """Run a query on `ctx` so that Ctrl-C interrupts it (main thread only; elsewhere, a no-op)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # not the main thread of the main interpreter
        os.close(r)
        os.close(w)
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            data = os.read(r, 64)  # the query's end closes the pipe's write side: b""
            if not data:
                return
            if signal.SIGINT in data and not done.is_set():
                ctx.interrupt()

    watcher = threading.Thread(target=watch, name="z3-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(w)  # wakes the watcher with EOF
        watcher.join(timeout=1.0)
        os.close(r)
