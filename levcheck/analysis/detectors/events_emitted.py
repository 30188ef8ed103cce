"""Every successful rebalance or ripcord (and every other spec'd state change) emits its event."""
from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.slithir.operations import Operation

from levcheck.specs.write_sets import REQUIRED_EVENTS

from .base import HIGH, MEDIUM, LevcheckDetector
from .flow import MUST, Flow
from .ir import contracts_named, entry_named, is_event


class EventsEmitted(LevcheckDetector):
    ARGUMENT = "lev-events-emitted"
    HELP = "A non-reverting path of a spec'd entry point (rebalance, ripcord, ...) does not emit its event"
    IMPACT = MEDIUM
    CONFIDENCE = HIGH
    WIKI_TITLE = "Successful call without its event"
    WIKI_DESCRIPTION = (
        "SPEC.md requires one event per successful rebalance or ripcord (Rebalanced, with the trigger, "
        "amounts, leverage and NAV before and after) and names the event of every other state change. "
        "Every path from the entry point to a normal exit (through internal calls) must emit the event "
        "of specs/write_sets.py REQUIRED_EVENTS."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "An early `return` for the no-trade case skips the Rebalanced event; the keeper fee is paid "
        "and the lastRebalance clock resets with nothing on the log for monitors to see."
    )
    WIKI_RECOMMENDATION = "Emit the event on every successful path, e.g. once just before the end."

    def _detect(self):
        results = []
        for (cname, fname), event in sorted(REQUIRED_EVENTS.items()):
            for contract in contracts_named(self.contracts, (cname,)):
                f = entry_named(contract, fname)
                if f is None:
                    continue
                for node in _silent_exits(f, event):
                    results.append(
                        self.generate_result([f, f" can return without emitting {event}: ", node, "\n"])
                    )
        return results


def _silent_exits(f: Function, event: str) -> list[Node]:
    """Normal exits of f (return statements or the end of the body) reached without the event."""

    def step(fn: Function, node: Node, ir: Operation, facts):
        return facts | {"emitted"} if is_event(ir, event) else facts

    exits = Flow(step, MUST).exits(f)
    return [n for n, facts in exits.items() if "emitted" not in facts]
