"""Mutants of a contracts tree: slither-mutate's generators plus levcheck's spec-aware operators.

slither-mutate's command line mutates the files *in place* and runs a test command per mutant; with
four engineers in one checkout that is not an option, so its mutator classes are run here on a
Slither object of the tree (built from the project's one compile, `bin/solc` first on PATH) and only
their patches are kept. levcheck's own operators are the bugs the spec is about (SPEC.md): rounding
direction, a comparison off by one, a guard removed, a fee or keeper payment sent to the wrong place,
the debt asset of a series swapped, a state write dropped.

A mutant whose file is textually identical to the original after removing comments and whitespace
(slither's comment replacements, a no-op swap) is dropped, and so is a second mutant identical to
an earlier one, and a slither-mutate patch that is not the mutation it names (`_malformed`). A mutant's id hashes its file, operator, the replaced text, the replacement and
which occurrence of the replaced text it is: stable when unrelated lines move.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from levcheck.chain.build import ROOT


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # source unit key, e.g. contracts/LeveragedToken.sol
    line: int
    operator: str  # e.g. "ROR" (slither-mutate) or "lev-rounding" (levcheck)
    origin: str  # "slither-mutate" | "levcheck"
    start: int  # character offsets of the replaced text in the original file
    end: int
    old: str
    new: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.new + text[self.end :]

    @property
    def summary(self) -> str:
        old = " ".join(self.old.split())[:70]
        new = " ".join(self.new.split())[:70] or "(removed)"
        return f"{self.file}:{self.line} {self.operator}: `{old}` -> `{new}`"


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def normalise(text: str) -> str:
    """The text without comments and whitespace: what decides "textually identical"."""
    return re.sub(r"\s+", "", _COMMENTS.sub("", text))


def _mutant(sources: dict[str, str], file: str, start: int, end: int, new: str, operator: str, origin: str) -> Mutant:
    text = sources[file]
    old = text[start:end]
    occurrence = text[:start].count(old) if old else start
    ident = hashlib.sha256("\x1f".join((file, operator, old.strip(), new.strip(), str(occurrence))).encode()).hexdigest()[:12]
    return Mutant(ident, file, text[:start].count("\n") + 1, operator, origin, start, end, old, new)


def generate(sources: dict[str, str], only: list[str] | None = None, slither: bool = True) -> tuple[list[Mutant], int]:
    """(distinct mutants, how many candidates were dropped as identical) for the files of `sources`
    (restricted to the files whose path ends with one of `only`)."""
    files = [f for f in sorted(sources) if not only or any(f.endswith(o) for o in only)]
    candidates = [m for f in files for m in levcheck_mutants(sources, f)]
    if slither:
        candidates += slither_mutants(sources, set(files))
    seen = {f: {normalise(sources[f])} for f in files}
    out, dropped = [], 0
    for m in candidates:
        if _malformed(m, sources[m.file]):
            dropped += 1
            continue
        norm = normalise(m.apply(sources[m.file]))
        if norm in seen[m.file]:
            dropped += 1
            continue
        seen[m.file].add(norm)
        out.append(m)
    return out, dropped


_OPERATORS = re.compile(r"[<>=!&|+\-*/%^~]+")


def _malformed(m: Mutant, text: str) -> bool:
    """A slither-mutate patch that is not the mutation it names, so it is dropped before the battery
    (slither-analyzer 0.11: ROR/LOR on one comparison of a compound condition replaces that comparison
    with a rewrite of a different span, e.g. `a > X` -> `a >= X || b`; CR comments out the rest of a
    line inside an open parenthesis, `if (//a != b) {`). An operator swap keeps its operands."""
    if m.origin != "slither-mutate":
        return False
    if m.operator in ("ROR", "LOR", "AOR", "BOR", "ASOR"):
        return _OPERATORS.sub(" ", m.old).split() != _OPERATORS.sub(" ", m.new).split()
    if m.operator == "CR":
        # inside an open parenthesis; a contract-level declaration (its uses no longer compile); or the
        # body of a one-line `if (...) stmt;` (the *next* statement would become the body: not a removal)
        before = text[text.rfind("\n", 0, m.start) + 1 : m.start]
        if (before.count("(") > before.count(")") or before == "    "
                or bool(re.search(r"\b(?:if|else)\b", before)) and not before.rstrip().endswith(("{", ";"))):
            return True
    if m.operator == "RR":  # a modifier or a name in a header replaced by `revert()`
        if re.fullmatch(r"\w+", m.old.strip()) is not None:
            return True
    if m.operator in ("CR", "RR"):  # a local's declaration removed: its later uses do not compile
        return _LOCAL_DECL.match(m.old.strip()) is not None
    return False


_LOCAL_DECL = re.compile(r"(?:u?int\d*|bool|address|bytes\d*)(?: memory| storage| calldata)? \w+\b(?!\s*[,)])")


# ------------------------------------------------------------------ slither-mutate


def slither_mutants(sources: dict[str, str], files: set[str]) -> list[Mutant]:
    from slither import Slither
    from slither.tools.mutator.mutators import all_mutators
    from slither.tools.mutator.mutators.abstract_mutator import AbstractMutator

    from levcheck.analysis.compile import crytic_compile_for

    logging.getLogger("Slither-Mutate").setLevel(logging.CRITICAL)
    mutators = sorted((m for m in vars(all_mutators).values()
                       if isinstance(m, type) and issubclass(m, AbstractMutator) and m is not AbstractMutator),
                      key=lambda m: m.NAME)
    tree = _tree_of(sources)
    sl = Slither(crytic_compile_for(tree)[0])
    out: list[Mutant] = []
    for cu in sl.compilation_units:
        for contract in cu.contracts:
            key = _key(contract.source_mapping.filename.absolute)
            if contract.is_interface or key not in files:
                continue
            for M in mutators:
                # (timeout, test command, test dir) are for slither-mutate's own test runs, which we do not use
                m = M(cu, 0, "true", None, contract, None, False, Path("/nonexistent"), [])
                try:
                    patches = m._mutate().get("patches", {})
                except Exception:  # noqa: BLE001 - a generator that crashes (ROR on FixedPointMath in 0.11.6) yields nothing
                    continue
                for path, items in patches.items():
                    k = _key(path)
                    raw = sources[k].encode()
                    for p in items:
                        start = len(raw[: p["start"]].decode())
                        end = len(raw[: p["end"]].decode())
                        out.append(_mutant(sources, k, start, end, p["new_string"], M.NAME, "slither-mutate"))
    return out


def _tree_of(sources: dict[str, str]) -> str:
    """A folder holding exactly `sources` (the repo's own when they are the files on disk)."""
    folders = {Path(k).parent for k in sources}
    if len(folders) == 1:
        folder = next(iter(folders))
        folder = folder if folder.is_absolute() else ROOT / folder
        if all((folder / Path(k).name).is_file() and (folder / Path(k).name).read_text() == v for k, v in sources.items()):
            return str(folder)
    raise ValueError("mutants are generated from a contracts folder on disk")


def _key(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()


# ------------------------------------------------------------------ levcheck's spec-aware operators

_SWAPS = {"mulDivDown(": "mulDivUp(", "mulDivUp(": "mulDivDown("}
_CMP = {" < ": " <= ", " <= ": " < ", " > ": " >= ", " >= ": " > "}
_GUARD = re.compile(r"^[ \t]*if \((?:[^;{}]*)\) revert \w+\([^;]*\);[ \t]*\n", re.M)
_REQUIRE = re.compile(r"^[ \t]*require\([^;]*\);[ \t]*\n", re.M)
_CONDITION = re.compile(r"\b(?:if|require)\s*\(")
_KEEPER = re.compile(r"\.payKeeper\((\w+(?:\.\w+)?), ")
_PUSH = re.compile(r"TokenTransfer\.push\(([^,]+), ([^,]+), ")
_FEE = re.compile(r"IReservePool\(reserve\)\.depositFee\((\w+)\)")
# which asset a long/short owes: `long ? quote : base`, `isLong ? idleQuote : idleBase`, and the
# `if (isLong) quoteHeld += x; else baseHeld += x;` of a series' borrow and repay
_DEBT = re.compile(r"\b\w*[lL]ong \? (\w*(?:quote|Quote|base|Base)\w*) : (\w*(?:quote|Quote|base|Base)\w*)\b")
_DEBT_BRANCH = re.compile(r"if \(\w*[lL]ong\) (\w*(?:quote|Quote|base|Base)\w*)( [-+]?= [^;]+;\s*else )(\w*(?:quote|Quote|base|Base)\w*)")
_WRITE = re.compile(r"^[ \t]*([A-Za-z_]\w*(?:\[[^\]\n]+\])*(?:\.\w+)?) (?:[-+*/]?=) [^;=]+;[ \t]*(?://[^\n]*)?\n", re.M)
_RECIPIENTS = ("msg.sender", "address(this)", "reserve", "pool")


def levcheck_mutants(sources: dict[str, str], file: str) -> list[Mutant]:
    text = sources[file]
    out: list[Mutant] = []

    def add(start: int, end: int, new: str, op: str) -> None:
        out.append(_mutant(sources, file, start, end, new, op, "levcheck"))

    for old, new in _SWAPS.items():  # rounding direction: who the division favours
        for m in re.finditer(re.escape("." + old), text):
            add(m.start() + 1, m.end(), new, "lev-rounding")
    for line in re.finditer(r"[^\n]*\n", text):  # a comparison off by one, in conditions only
        if _CONDITION.search(line.group()) and not line.group().lstrip().startswith("//"):
            for old, new in _CMP.items():
                for m in re.finditer(re.escape(old), line.group()):
                    add(line.start() + m.start(), line.start() + m.end(), new, "lev-off-by-one")
    for rx in (_GUARD, _REQUIRE):  # a guard removed
        for m in rx.finditer(text):
            add(m.start(), m.end(), "", "lev-guard-removed")
    recipients = [to for to in _RECIPIENTS if "(" in to or "." in to or to in _addresses(text)]  # declared here
    for m in _KEEPER.finditer(text):  # the keeper's payment to someone else
        for to in recipients:
            if to != m.group(1):
                add(m.start(1), m.end(1), to, "lev-payment-recipient")
    for m in _PUSH.finditer(text):  # a payment out to the wrong address
        for to in recipients:
            if to != m.group(2).strip():
                add(m.start(2), m.end(2), to, "lev-payment-recipient")
    for m in _FEE.finditer(text):  # a fee that never reaches the reserve
        for to in ("pool", "msg.sender"):
            add(m.start(), m.end(), f"TokenTransfer.push(quote, {to}, {m.group(1)})", "lev-fee-recipient")
    for m in _DEBT.finditer(text):  # the debt asset of a series swapped
        add(m.start(1), m.end(2), f"{m.group(2)} : {m.group(1)}", "lev-debt-asset")
    for m in _DEBT_BRANCH.finditer(text):
        add(m.start(1), m.end(3), f"{m.group(3)}{m.group(2)}{m.group(1)}", "lev-debt-asset")
    state = _state_variables(text)
    for m in _WRITE.finditer(text):  # a state write dropped
        name = re.match(r"[A-Za-z_]\w*", m.group(1)).group()
        if name in state:
            add(m.start(), m.end(), "", "lev-write-dropped")
    return out


# A contract-level declaration: exactly one indentation step, on one line (mappings included), not a
# function, event, error... A deeper line is a statement: `        x = y;` is a write, not a declaration.
_DECL = re.compile(r"^    (?!(?:function|event|error|modifier|constructor|struct|enum|using|return)\b)"
                   r"([A-Za-z_][^;{}\n]*?) (\w+)(?: = [^;\n]+)?;", re.M)


def _state_variables(text: str) -> set[str]:
    """Names declared at contract level (one indentation step), constants excepted. Immutables count:
    since solc 0.8.21 one left unassigned compiles (as zero), so dropping its constructor write is a
    mutant that runs (a series with no keeper fee, a zero fallback interval...)."""
    names = {m.group(2) for m in _DECL.finditer(text) if not re.search(r"\bconstant\b", m.group(1))}
    # minus the names a function also declares (parameters, returns, locals): those writes are not state
    decl = r"\b(?:u?int\d*|bool|address|bytes\d*|Trigger)(?: memory| storage| calldata)? (\w+)\s*[,);=]"
    inner = "\n".join(re.findall(r"^ {8,}[^\n]*|\bfunction\b[^{;]*|\breturns\b[^{;]*", text, re.M))
    locals_ = set(re.findall(decl, inner))
    return names - locals_


def _addresses(text: str) -> set[str]:
    """Names of the address-typed variables the file declares at contract level (a payment can be
    redirected to them; to a name the file does not declare, the mutant would not compile)."""
    return {m.group(2) for m in _DECL.finditer(text) if re.match(r"address\b(?! *=>)", m.group(1))}
