"""Contract coverage of a fuzz campaign, written out: `lcov.info` (genhtml, Codecov, editor plugins),
a one-page `coverage.html`, and the figures and blind spots for `check`'s summary.

`campaign_coverage` replays what a campaign run with `FuzzConfig.record_examples` executed on the
instrumented build (`levcheck.chain.coverage`); this module only formats what that found.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from levcheck.chain.coverage import Coverage, Mapper, replay_coverage


def campaign_coverage(groups: list[tuple[Any, list]], artifacts: Any, out_dir: str | Path | None,
                      mapper: Mapper | None = None) -> Coverage:
    """Replay what a campaign run with `FuzzConfig.record_examples` executed: `groups` is one
    (MarketParams, FuzzResult.executed) per parameter set it fuzzed (`mapper`: run them on an
    engine's workers). Writes `lcov.info` and `coverage.html` into `out_dir` (if given)."""
    from levcheck.chain.session import VIEWS_EVERY
    from levcheck.fuzz.machine import MACHINE_ACTORS
    from levcheck.specs.scenario import DEFAULT_FUNDING

    cov = replay_coverage(groups, artifacts, MACHINE_ACTORS, dict(DEFAULT_FUNDING), VIEWS_EVERY, mapper)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_lcov(cov, out / "lcov.info")
        write_html(cov, out / "coverage.html")
    return cov


def _blocks(cov: Coverage, path: str) -> list[tuple[int, int, list[int]]]:
    """(line, block number, [true arm, false arm]) of each `if` in `path`, numbered per line."""
    out, seen = [], {}
    for (line, _kind, _at), pair in sorted(cov.branches.get(path, {}).items()):
        seen[line] = seen.get(line, -1) + 1
        out.append((line, seen[line], pair))
    return out


def write_lcov(cov: Coverage, path: Path) -> None:
    """The LCOV tracefile format (geninfo(1)): per source file its functions, lines and branches."""
    out: list[str] = []
    for src in sorted(cov.lines):
        lines = cov.lines[src]
        fns = sorted((f for f in cov.functions if f.path == src), key=lambda f: (f.line, f.name))
        if not lines and not fns:
            continue
        out += ["TN:", f"SF:{src}"]
        names = [f.name for f in fns]
        # overloads share a name: LCOV would merge them, so a repeated name carries its line
        label = {f: f.name if names.count(f.name) == 1 else f"{f.name}@{f.line}" for f in fns}
        out += [f"FN:{f.line},{label[f]}" for f in fns]
        out += [f"FNDA:{cov.functions[f]},{label[f]}" for f in fns]
        out += [f"FNF:{len(fns)}", f"FNH:{sum(1 for f in fns if cov.functions[f])}"]
        blocks = _blocks(cov, src)
        for line, block, (taken, fell) in blocks:
            # "-": the decision itself never ran (lcov's notation for a branch in unexecuted code)
            ran = taken + fell > 0
            out.append(f"BRDA:{line},{block},0,{taken if ran else '-'}")
            out.append(f"BRDA:{line},{block},1,{fell if ran else '-'}")
        out += [f"BRF:{2 * len(blocks)}", f"BRH:{sum((t > 0) + (f > 0) for _, _, (t, f) in blocks)}"]
        out += [f"DA:{ln},{n}" for ln, n in sorted(lines.items())]
        out += [f"LF:{len(lines)}", f"LH:{sum(1 for n in lines.values() if n)}", "end_of_record"]
    path.write_text("\n".join(out) + "\n")


def figures(cov: Coverage) -> dict[str, Any]:
    """Totals as {"lines": {"hit", "found", "percent"}, ...} plus what the replay covered."""
    out: dict[str, Any] = {}
    for kind, (hit, found) in cov.totals().items():
        out[kind] = {"hit": hit, "found": found, "percent": round(cov.pct(hit, found), 1)}
    out["replayed"] = {"examples": cov.examples, "of": cov.examples_total, "steps": cov.steps,
                       "executions": cov.transactions, "reverted and re-run": cov.reruns,
                       "unattributed": cov.unattributed, "probe hits": cov.probes,
                       "seconds": round(cov.seconds, 1)}
    return out


def headline(cov: Coverage) -> str:
    t = cov.totals()
    return ", ".join(f"{k} {cov.pct(*t[k]):.1f}% ({t[k][0]}/{t[k][1]})" for k in ("lines", "branches", "functions"))


def blind_spots(cov: Coverage) -> list[dict[str, Any]]:
    """Each function with lines the campaign never ran: where the fuzzer is blind."""
    return [{"function": f.name, "file": f.path, "line": f.line, "ran": cov.functions.get(f, 0), "missed_lines": missed}
            for f, missed in cov.uncovered().items()]


def summary_info(cov: Coverage) -> dict[str, Any]:
    """What `check` keeps in its fuzz stage's info (summary.json) and renders in summary.md."""
    return {**figures(cov), "uncovered": blind_spots(cov)}


def markdown(info: dict[str, Any]) -> list[str]:
    """summary.md's section from `summary_info` (or `coverage_info`)."""
    if "not measured" in info:
        return ["", "## Contract coverage (fuzz)", "", f"Not measured: {info['not measured']}."]
    pct = ", ".join(f"{k} **{info[k]['percent']}%** ({info[k]['hit']}/{info[k]['found']})" for k in ("lines", "branches", "functions"))
    r = info["replayed"]
    out = ["", "## Contract coverage (fuzz)", "",
           f"{pct}; every one of the campaign's {r['of']} examples replayed on the instrumented build ({r['steps']} steps, "
           f"{r['executions']} EVM executions, {r['probe hits']} probe hits, {r['seconds']} s). `lcov.info` and `coverage.html` "
           "are in the run folder."]
    if r["unattributed"]:
        out.append(f"{r['unattributed']} execution(s) reverted in a check the compiler adds (Panic, ABI decoding): what they "
                   "ran before it is not counted.")
    if info["uncovered"]:
        out += ["", "Lines the campaign never ran, per function (the fuzzer is blind there):", "",
                "| function | file | runs | missed lines |", "| --- | --- | ---: | --- |"]
        out += [f"| {u['function']} | `{u['file']}:{u['line']}` | {u['ran']} | {_ranges(u['missed_lines'])} |" for u in info["uncovered"]]
    return out


def _ranges(lines: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5, 9"."""
    out: list[str] = []
    for ln in lines:
        if out and out[-1][1] == ln - 1:
            out[-1][1] = ln
        else:
            out.append([ln, ln])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in out)


_CSS = """body{font:13px/1.4 system-ui,sans-serif;margin:1.5em}table.src{border-collapse:collapse;font:12px/1.35 monospace}
td{padding:0 .6em;white-space:pre;vertical-align:top}td.n{color:#888;text-align:right}td.c{text-align:right}
tr.hit td.c{background:#c8f0c8}tr.miss td.c,tr.miss td.s{background:#f8caca}tr.part td.c{background:#f5e3a0}
.sum td,.sum th{padding:.15em .8em;text-align:right}.sum td:first-child{text-align:left}h2{margin-top:2em}"""


def write_html(cov: Coverage, path: Path) -> None:
    """One self-contained page: the totals, then every source file with each instrumented line
    coloured hit / missed (partly: a decision on it with an outcome never taken) and its count."""
    esc = html.escape
    t = cov.totals()
    body = [f"<h1>levcheck contract coverage</h1><p>{esc(headline(cov))}; {cov.examples} example(s), {cov.steps} step(s) replayed.</p>",
            "<table class=sum><tr><th>file</th><th>lines</th><th>branches</th><th>functions</th></tr>"]
    files = [p for p in sorted(cov.lines) if cov.lines[p]]
    for src in files:
        ls = cov.lines[src]
        outcomes = [c for _, _, pair in _blocks(cov, src) for c in pair]
        fns = [n for f, n in cov.functions.items() if f.path == src]
        cells = [(sum(1 for n in ls.values() if n), len(ls)), (sum(1 for c in outcomes if c), len(outcomes)), (sum(1 for n in fns if n), len(fns))]
        body.append(f"<tr><td><a href='#{esc(src)}'>{esc(src)}</a></td>" + "".join(f"<td>{cov.pct(h, n):.1f}% ({h}/{n})</td>" for h, n in cells) + "</tr>")
    body.append(f"<tr><td><b>total</b></td>" + "".join(f"<td><b>{cov.pct(*t[k]):.1f}%</b> ({t[k][0]}/{t[k][1]})</td>" for k in ("lines", "branches", "functions")) + "</tr></table>")
    for src in files:
        ls = cov.lines[src]
        partial = {line for line, _, (a, b) in _blocks(cov, src) if not (a and b)}
        body.append(f"<h2 id='{esc(src)}'>{esc(src)}</h2><table class=src>")
        for i, text in enumerate(cov.index.text[src].splitlines(), start=1):
            n = ls.get(i)
            cls = "" if n is None else ("miss" if n == 0 else ("part" if i in partial else "hit"))
            count = "" if n is None else str(n)
            body.append(f"<tr class='{cls}'><td class=n>{i}</td><td class=c>{count}</td><td class=s>{esc(text)}</td></tr>")
        body.append("</table>")
    path.write_text(f"<!doctype html><html><head><meta charset=utf-8><title>levcheck coverage</title><style>{_CSS}</style></head>"
                    f"<body>{''.join(body)}</body></html>\n")


def coverage_info(groups: list[tuple[Any, list]], artifacts: Any, out_dir: Path, mapper: Mapper | None = None) -> dict[str, Any]:
    """`check`'s fuzz stage: coverage of every example, written into the run folder, as
    `summary_info`; a replay that cannot run (e.g. nothing recorded) is said, never a figure."""
    from levcheck.errors import LevcheckError

    try:
        cov = campaign_coverage(groups, artifacts, out_dir, mapper)
    except LevcheckError as exc:  # CompileError included: the instrumented build did not compile
        return {"not measured": str(exc)}
    return {**summary_info(cov), "lcov": str(Path(out_dir) / "lcov.info"), "html": str(Path(out_dir) / "coverage.html")}
