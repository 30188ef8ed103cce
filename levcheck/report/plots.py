"""Plots of a counterexample, step by step: price, leverage against the band, NAV per token, and the
reserve's equity against its floor — as the EVM saw it (solid) and as the model saw it (dashed)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levcheck.specs.arith import WAD

from .results import CheckSummary, Status


@dataclass
class Trace:
    """Per-step figures of one replay (index 0 is the deployed market before the first step)."""

    labels: list[str] = field(default_factory=list)
    failed_at: int | None = None
    findings: list[str] = field(default_factory=list)  # the failing step's differences and violations
    series: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> params + per-side lists
    price: dict[str, list[float]] = field(default_factory=lambda: {"evm": [], "model": []})
    pool_price: list[float] = field(default_factory=list)
    equity: dict[str, list[float]] = field(default_factory=lambda: {"evm": [], "model": []})
    floor: dict[str, list[float]] = field(default_factory=lambda: {"evm": [], "model": []})


def _record(trace: Trace, side: str, st: Any) -> None:
    trace.price[side].append(st.price / WAD)
    trace.equity[side].append(st.equity_quote() / WAD)
    trace.floor[side].append(st.floor_quote() / WAD)
    for s in st.series:
        rec = trace.series.setdefault(s.label, {"name": s.params.name, "params": s.params,
                                                "lev": {"evm": [], "model": []}, "nav": {"evm": [], "model": []}})
        lev = st.leverage(s)
        rec["lev"][side].append(lev / WAD if lev is not None else float("nan"))
        rec["nav"][side].append(st.nav(s) / WAD)
    if side == "evm":
        trace.pool_price.append(st.pool_reserve_quote / st.pool_reserve_base if st.pool_reserve_base else float("nan"))


def trace_scenario(path: str | Path, artifacts: Any = None) -> Trace:
    """Replay a scenario on the model and pyrevm, recording both sides' states after every step."""
    from levcheck.chain.session import Session
    from levcheck.specs.scenario import load

    sc = load(path)
    session = Session(sc.params, sc.actors, sc.funding, "pyrevm", artifacts)
    trace = Trace(labels=["deployed"])
    try:
        _record(trace, "model", session.model_state())
        _record(trace, "evm", session.chain_state())
        for i, step in enumerate(sc.steps):
            report = session.step(i, step)
            trace.labels.append(step.describe())
            _record(trace, "model", session.model_state())
            _record(trace, "evm", session.chain_state())
            if report.differences or report.violations:
                trace.failed_at = i + 1
                trace.findings = [f"DIFF {d}" for d in report.differences] + [f"VIOLATION {v}" for v in report.violations]
                break
    finally:
        session.close()
    return trace


def plot_trace(trace: Trace, title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = list(range(len(trace.labels)))
    fig, axes = plt.subplots(4, 1, figsize=(10, 11), sharex=True)
    ax = axes[0]
    ax.plot(xs, trace.price["evm"], "-o", ms=3, label="oracle price (EVM)")
    ax.plot(xs, trace.price["model"], "--", label="oracle price (model)")
    ax.plot(xs, trace.pool_price, ":", label="pool spot price")
    ax.set_ylabel("QUOTE per BASE")
    ax.set_title(title, fontsize=10)
    ax = axes[1]
    for label, rec in trace.series.items():
        line = ax.plot(xs, rec["lev"]["evm"], "-o", ms=3, label=f"{rec['name']} (EVM)")[0]
        ax.plot(xs, rec["lev"]["model"], "--", color=line.get_color(), label=f"{rec['name']} (model)")
        p = rec["params"]
        ax.axhspan(p.min_lev / WAD, p.max_lev / WAD, color=line.get_color(), alpha=0.08)
        ax.axhline(p.ripcord_lev / WAD, color=line.get_color(), lw=0.8, ls="-.")
    ax.set_ylabel("leverage (band shaded, ripcord dash-dot)")
    ax = axes[2]
    for label, rec in trace.series.items():
        line = ax.plot(xs, rec["nav"]["evm"], "-o", ms=3, label=f"{rec['name']} NAV (EVM)")[0]
        ax.plot(xs, rec["nav"]["model"], "--", color=line.get_color(), label=f"{rec['name']} NAV (model)")
    ax.set_ylabel("NAV per token (QUOTE)")
    ax = axes[3]
    ax.plot(xs, trace.equity["evm"], "-o", ms=3, label="reserve equity (EVM)")
    ax.plot(xs, trace.equity["model"], "--", label="reserve equity (model)")
    ax.plot(xs, trace.floor["evm"], "-", color="red", label="floor (EVM)")
    ax.set_ylabel("QUOTE")
    ax.set_xlabel("step")
    for ax in axes:
        if trace.failed_at is not None:
            ax.axvline(trace.failed_at, color="red", lw=1.5, alpha=0.7)
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
    if len(xs) <= 30:
        axes[-1].set_xticks(xs)
        axes[-1].set_xticklabels([f"{i}: {t[:28]}" for i, t in enumerate(trace.labels)], rotation=60, ha="right", fontsize=6)
    fig.tight_layout()
    if trace.findings:  # what went wrong at the red line, in words: some failures are invisible at plot scale
        text = "\n".join(f[:150] for f in trace.findings[:4]) + (f"\n(+{len(trace.findings) - 4} more)" if len(trace.findings) > 4 else "")
        fig.subplots_adjust(bottom=0.2)
        fig.text(0.01, 0.01, f"step {trace.failed_at}:\n{text}", fontsize=7, family="monospace", va="bottom", color="darkred")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_counterexamples(summary: CheckSummary, folder: Path, config: Any = None) -> dict[str, str]:
    """One PNG per failing case that has a scenario file; returns case id -> path relative to the summary."""
    from ..chain.build import build_contracts

    made: dict[str, str] = {}
    by_scenario: dict[str, Path] = {}  # several failing properties often share one counterexample
    artifacts = None
    for stage in summary.stages:
        for case in stage.cases:
            if case.status is not Status.FAIL or not case.artifact or not str(case.artifact).endswith(".json"):
                continue
            try:
                png = by_scenario.get(str(case.artifact))
                if png is None:
                    if artifacts is None:
                        artifacts = build_contracts(getattr(config, "contracts", "contracts"))
                    trace = trace_scenario(case.artifact, artifacts)
                    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{stage.name}-{Path(case.artifact).stem}")[:80]
                    png = by_scenario[str(case.artifact)] = plot_trace(trace, f"{stage.name}: {case.artifact}", folder / f"{name}.png")
            except Exception as exc:  # a plot is a convenience: its failure is noted, not fatal
                case.details["plot_error"] = f"{type(exc).__name__}: {exc}"
                continue
            case.details["plot"] = str(png)
            made[case.id] = str(png.relative_to(folder.parent))
    return made
