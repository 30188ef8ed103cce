"""Every name the shape tables of specs/write_sets.py use exists in the contracts: a rename must not
quietly switch a check off. Contracts that are not in the analysed tree are skipped."""
from __future__ import annotations

from levcheck.specs.write_sets import (
    CALL_SETS,
    CALLER_CHECKED,
    GUARDED_SWAPS,
    IMMUTABLE,
    KEEPER_FEE_PAYERS,
    KEEPER_FEE_VAR,
    REQUIRED_EVENTS,
    WRITE_SETS,
)

from .base import HIGH, LOW, LevcheckDetector
from .ir import entry_named


class SpecNames(LevcheckDetector):
    ARGUMENT = "lev-spec-names"
    HELP = "A function, state variable or event that specs/write_sets.py names is missing from its contract"
    IMPACT = LOW
    CONFIDENCE = HIGH
    WIKI_TITLE = "Spec name missing from the contract"
    WIKI_DESCRIPTION = (
        "The shape checks find state variables, functions and events by the names SPEC.md gives them. "
        "A name that is missing (renamed, removed) would make a check vacuous, so it is a finding."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "`lastRebalance` is renamed `lastRebalanceAt`; the write-set check no longer sees it and a "
        "later change lets mint() reset the fallback timer."
    )
    WIKI_RECOMMENDATION = "Use SPEC.md's names, or change SPEC.md and specs/write_sets.py together."

    def _detect(self):
        results = []
        present = {c.name: c for c in self.contracts if not c.is_interface and not c.is_library}

        absent: dict[tuple[str, str, str], list[str]] = {}

        def missing(cname: str, what: str, name: str, table: str) -> None:
            absent.setdefault((cname, what, name), []).append(table)

        def need_var(cname: str, name: str, table: str) -> None:
            if cname in present and present[cname].get_state_variable_from_name(name) is None:
                missing(cname, "state variable", name, table)

        def need_fn(cname: str, name: str, table: str) -> None:
            if cname in present and entry_named(present[cname], name) is None:
                missing(cname, "external/public function", name, table)

        for cname, names in IMMUTABLE.items():
            for n in names:
                need_var(cname, n, "IMMUTABLE")
        for cname, table in WRITE_SETS.items():
            for var, allowed in table.items():
                need_var(cname, var, "WRITE_SETS")
                for fn in allowed:
                    need_fn(cname, fn, "WRITE_SETS")
        for cname, table in CALL_SETS.items():
            for allowed in table.values():
                for fn in allowed:
                    need_fn(cname, fn, "CALL_SETS")
        for cname, fns in CALLER_CHECKED.items():
            for fn in fns:
                need_fn(cname, fn, "CALLER_CHECKED")
        for (cname, fn) in GUARDED_SWAPS:
            need_fn(cname, fn, "GUARDED_SWAPS")
        for cname, fns in KEEPER_FEE_PAYERS.items():
            need_var(cname, KEEPER_FEE_VAR, "KEEPER_FEE_VAR")
            for fn in fns:
                need_fn(cname, fn, "KEEPER_FEE_PAYERS")
        for (cname, fn), event in REQUIRED_EVENTS.items():
            need_fn(cname, fn, "REQUIRED_EVENTS")
            if cname in present and event not in {e.name for e in present[cname].events}:
                missing(cname, "event", event, "REQUIRED_EVENTS")
        for (cname, what, name), tables in sorted(absent.items()):
            tables = ", ".join(sorted(set(tables)))
            results.append(self.generate_result([present[cname], f" has no {what} `{name}` (named in {tables})\n"]))
        return results
