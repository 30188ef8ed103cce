"""Run Slither's detectors and levcheck's project detectors on a contracts tree: `run_analysis`."""
from __future__ import annotations

import hashlib
import logging
import re
import time
from pathlib import Path

from slither import Slither
from slither.detectors import all_detectors
from slither.detectors.abstract_detector import AbstractDetector, classification_txt

from ..chain import build
from .compile import crytic_compile_for
from levcheck.specs.write_sets import PROTOCOL_CONTRACTS

from ..errors import CompileError
from .detectors import PROJECT_DETECTORS
from .detectors.base import spec_contracts
from .model import DEFAULT_MIN_IMPACT, DEFAULT_TRIAGE, IMPACTS, AnalysisResult, DetectorInfo, Finding
from .triage import apply_triage, load_triage



def slither_detectors() -> list[type[AbstractDetector]]:
    found = [
        d
        for d in vars(all_detectors).values()
        if isinstance(d, type) and issubclass(d, AbstractDetector) and d is not AbstractDetector
    ]
    return sorted(found, key=lambda d: d.ARGUMENT)


def detector_info(d: type[AbstractDetector], project: bool) -> DetectorInfo:
    return DetectorInfo(
        id=d.ARGUMENT,
        title=d.WIKI_TITLE,
        help=d.HELP,
        impact=classification_txt[d.IMPACT],
        confidence=classification_txt[d.CONFIDENCE],
        description=d.WIKI_DESCRIPTION,
        recommendation=d.WIKI_RECOMMENDATION,
        project=project,
    )


def select_detectors(
    only: list[str] | None = None, include_slither: bool = True, min_impact: str = DEFAULT_MIN_IMPACT
) -> list[tuple[type[AbstractDetector], bool]]:
    """(detector class, is-project) pairs: project checks always, Slither's down to `min_impact`."""
    if min_impact not in IMPACTS:
        raise ValueError(f"min_impact must be one of {IMPACTS}, got {min_impact!r}")
    floor = IMPACTS.index(min_impact)
    chosen = [(d, True) for d in PROJECT_DETECTORS]
    if include_slither:
        chosen += [
            (d, False) for d in slither_detectors() if IMPACTS.index(classification_txt[d.IMPACT]) <= floor
        ]
    if only:
        known = {d.ARGUMENT for d, _ in chosen} | {d.ARGUMENT for d in slither_detectors()}
        unknown = set(only) - known
        if unknown:
            raise ValueError(f"unknown detector(s) {sorted(unknown)}")
        by_id = {d.ARGUMENT: (d, d in PROJECT_DETECTORS) for d in [*PROJECT_DETECTORS, *slither_detectors()]}
        chosen = [by_id[i] for i in only]
    return chosen


def run_analysis(
    src_dir: str | Path = "contracts",
    *,
    triage: str | Path | None = DEFAULT_TRIAGE,
    only: list[str] | None = None,
    include_slither: bool = True,
    min_impact: str = DEFAULT_MIN_IMPACT,
    use_cache: bool = True,
) -> AnalysisResult:
    """Compile `src_dir` (a folder or one .sol file), run the detectors, apply the triage file.

    Raises levcheck.errors.CompileError / ToolchainError when it cannot compile (exit code 2)."""
    t0 = time.perf_counter()
    detectors = select_detectors(only, include_slither, min_impact)
    cc, cached = crytic_compile_for(src_dir, use_cache)
    t1 = time.perf_counter()
    logging.getLogger("Slither").setLevel(logging.ERROR)
    logging.getLogger("CryticCompile").setLevel(logging.ERROR)
    sl = Slither(cc)
    contracts = sorted({c.name for c in sl.contracts if not c.is_interface})
    # Other code (a folder with none of the spec's contracts): Slither's detectors and the generic project
    # ones (no spec contract to look for) run; the spec-shape ones do not apply. A folder with some spec
    # contracts but not all is the protocol with a file missing: exit 2 below.
    foreign = Path(src_dir).is_dir() and not set(PROTOCOL_CONTRACTS) & set(contracts)
    if foreign:
        detectors = [(d, p) for d, p in detectors if not (p and d.ARGUMENT in spec_contracts())]
    for d, _ in detectors:
        sl.register_detector(d)
    t2 = time.perf_counter()
    raw = [r for per_detector in sl.run_detectors() for r in per_detector]
    t3 = time.perf_counter()
    project_ids = {d.ARGUMENT for d, p in detectors if p}
    findings = sorted(
        {f.fingerprint: f for f in (_finding(r, project_ids) for r in raw)}.values(),
        key=lambda f: (IMPACTS.index(f.impact) if f.impact in IMPACTS else 9, f.detector, f.file or "", f.line or 0),
    )
    if not contracts:
        raise CompileError(f"{src_dir}: 0 contracts analysed (only interfaces, or an empty compilation{' from the cache' if cached else ''}); nothing was checked")
    if Path(src_dir).is_dir() and not foreign:
        missing = [c for c in PROTOCOL_CONTRACTS if c not in contracts]
        if missing:
            raise CompileError(f"{src_dir}: spec contract(s) {', '.join(missing)} not found (analysed: {', '.join(contracts)}); "
                               "the spec-shape checks would pass vacuously: restore the file or point at the full tree")
    findings += _uncovered(detectors, set(contracts))
    entries = load_triage(triage) if triage else []
    findings, stale = apply_triage(findings, entries)
    ran = {d.ARGUMENT for d, _ in detectors}
    # Stale means "its detector ran and found nothing to accept" - also when its contract is gone.
    stale = [e for e in stale if e.detector in ran and (not foreign or e.contract in contracts)]
    t4 = time.perf_counter()
    return AnalysisResult(
        src=str(src_dir),
        contracts=contracts,
        findings=findings,
        stale=stale,
        detectors=[detector_info(d, p) for d, p in detectors],
        compile_cached=cached,
        seconds={"compile": t1 - t0, "slither": t2 - t1, "detect": t3 - t2, "total": t4 - t0},
    )


def _uncovered(detectors: list[tuple[type[AbstractDetector], bool]], present: set[str]) -> list[Finding]:
    """A finding per project detector that found none of the contracts it inspects: it checked nothing."""
    wanted = spec_contracts()
    out = []
    for d, project in detectors:
        names = wanted.get(d.ARGUMENT)
        if project and names and not names & present:
            message = (f"{d.ARGUMENT} checked nothing: none of its contracts ({', '.join(sorted(names))}) is in the "
                       "analysed tree")
            out.append(Finding(detector=d.ARGUMENT, impact="High", confidence="High", contract=None, function=None, file=None,
                               line=None, message=message, project=True,
                               fingerprint=hashlib.sha256(f"uncovered|{d.ARGUMENT}".encode()).hexdigest()[:16]))
    return out


_LOCATION = re.compile(r"\s*\([^()]*#\d+(?:-\d+)?\)")


def _finding(r: dict, project_ids: set[str]) -> Finding:
    elements = r.get("elements", [])
    node = next((e for e in elements if e.get("type") == "node"), None)
    first = node or (elements[0] if elements else {})
    contract, function = _owner(elements)
    sm = first.get("source_mapping", {}) or {}
    file = _relative(sm.get("filename_absolute")) or sm.get("filename_relative")
    lines = sm.get("lines") or []
    description = r.get("description", "").strip()
    message = _LOCATION.sub("", description.splitlines()[0]).rstrip(":") if description else r["check"]
    # Slither lists some elements (e.g. a reentrancy's state writes) in set order, which varies between
    # runs: sort the lines so the fingerprint does not.
    stable = "\n".join(sorted(_LOCATION.sub("", r.get("description", "")).splitlines()))
    fingerprint = hashlib.sha256(f"{r['check']}|{contract}|{function}|{stable}".encode()).hexdigest()[:16]
    return Finding(
        detector=r["check"],
        impact=r["impact"],
        confidence=r["confidence"],
        contract=contract,
        function=function,
        file=file,
        line=lines[0] if lines else None,
        message=message,
        fingerprint=fingerprint,
        project=r["check"] in project_ids,
    )


def _owner(elements: list[dict]) -> tuple[str | None, str | None]:
    """The contract and function a finding is about: from its first function/node/variable element."""
    for e in elements:
        t = e.get("type")
        parent = (e.get("type_specific_fields") or {}).get("parent") or {}
        if t == "function":
            return parent.get("name"), e.get("name")
        if t == "node":
            fn = parent
            owner = (fn.get("type_specific_fields") or {}).get("parent") or {}
            if fn.get("type") == "function":
                return owner.get("name"), fn.get("name")
            return fn.get("name"), None
        if t == "contract":
            return e.get("name"), None
        if t in ("variable", "event", "enum", "struct", "custom_error"):
            if parent.get("type") == "contract":
                return parent.get("name"), None
            if parent.get("type") == "function":  # a local variable
                owner = (parent.get("type_specific_fields") or {}).get("parent") or {}
                return owner.get("name"), parent.get("name")
    return None, None


def _relative(path: str | None) -> str | None:
    """Relative to the user's project, else to levcheck's own files (the bundled contracts)."""
    if not path:
        return None
    p = Path(path).resolve()
    base = next((b for b in (build.PROJECT, build.ROOT) if p.is_relative_to(b)), None)
    return p.relative_to(base).as_posix() if base else path
