"""`levcheck bench --against REV`: this tree's throughput against an earlier commit's, in the same run.

The other commit is checked out in a temporary git worktree (this checkout's node_modules linked in);
each measurement is a fresh process (`throughput_probe.py`) with that tree first on PYTHONPATH, and the
two trees alternate round by round so that the machine's load falls on both alike. Two figures, in
steps per CPU-second (the process's CPU time: fair on a shared machine), medians over the rounds:

* campaign: each tree's own fuzzer, `dev` campaigns of seeds 1-3 x 30 examples (what `levcheck bench`
  measures; a tree with more adversaries or checks does more work per step);
* replay: the very same steps (recorded once from this tree's campaigns) on each tree's differential
  session, each with its own checks;
* engine: the same steps with the same checks on both trees (the invariants both have, no views read):
  what the differential engine itself costs, apart from checks one tree added.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from levcheck.errors import LevcheckError

PROBE = Path(__file__).with_name("throughput_probe.py")
SEEDS = "1,2,3"
EXAMPLES = 30
MODES = ("campaign", "replay", "engine")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise LevcheckError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def _probe(tree: Path, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("HYPOTHESIS_PROFILE", None)  # each tree's default profile settings; the probe names "dev" itself
    done = subprocess.run([sys.executable, str(PROBE), *args], cwd=tree, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LevcheckError(f"the throughput probe failed in {tree} ({' '.join(args)}): {tail}")
    return json.loads(lines[-1])


def resolve(rev: str) -> tuple[Path, str]:
    """(the checkout's root, the full commit of `rev`); checked before anything is measured."""
    try:
        root = Path(_git(Path.cwd(), "rev-parse", "--show-toplevel"))
    except (LevcheckError, FileNotFoundError):
        raise LevcheckError("--against needs a git checkout of levcheck: run it inside one") from None
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except LevcheckError:
        raise LevcheckError(f"--against {rev}: no such commit in {root}") from None
    return root, commit


def against_figures(rev: str, rounds: int, quiet: bool = False) -> dict:
    root, commit = resolve(rev)

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    with tempfile.TemporaryDirectory(prefix="levcheck-against-") as tmp:
        old = Path(tmp) / "tree"
        _git(root, "worktree", "add", "--detach", str(old), commit)
        try:
            if (root / "node_modules").is_dir():
                (old / "node_modules").symlink_to(root / "node_modules")
            work = str(Path(tmp) / "workload.json")
            recorded = _probe(root, "record", SEEDS, str(EXAMPLES), work)
            say(f"against {rev} ({commit[:9]}): workload = seeds {SEEDS} x {EXAMPLES} dev examples, "
                f"{recorded['steps']} steps recorded from this tree; {rounds} alternated rounds")
            common = sorted(set(_probe(root, "ids")["ids"]) & set(_probe(old, "ids")["ids"]))
            rates: dict[str, dict[str, list[float]]] = {t: {m: [] for m in MODES} for t in ("this", "other")}
            for r in range(rounds):
                order = (("this", root), ("other", old)) if r % 2 == 0 else (("other", old), ("this", root))
                for name, tree in order:
                    for mode, args in (("campaign", ("campaign", SEEDS, str(EXAMPLES))), ("replay", ("replay", work)),
                                       ("engine", ("replay", work, ",".join(common)))):
                        got = _probe(tree, *args)
                        if mode != "campaign" and got["steps"] != recorded["steps"]:
                            raise LevcheckError(f"the replay on {name} ran {got['steps']} of {recorded['steps']} steps")
                        rates[name][mode].append(got["steps"] / got["cpu_seconds"])
                say(f"  round {r + 1}: " + "; ".join(f"{m} this {rates['this'][m][-1]:,.0f} / other {rates['other'][m][-1]:,.0f}"
                                                      for m in MODES) + " steps per CPU-second")
        finally:
            _git(root, "worktree", "remove", "--force", str(old))
    fig: dict = {"rev": rev, "commit": commit, "rounds": rounds, "workload": f"seeds {SEEDS} x {EXAMPLES} dev examples"}
    fig["common_invariants"] = len(common)
    for mode in MODES:
        this, other = statistics.median(rates["this"][mode]), statistics.median(rates["other"][mode])
        fig[mode] = {"this": round(this), "other": round(other), "ratio": round(this / other, 3),
                     "this_runs": [round(x) for x in rates["this"][mode]], "other_runs": [round(x) for x in rates["other"][mode]]}
        say(f"  {mode}: this tree {this:,.0f}, {rev} {other:,.0f} steps per CPU-second (median of {rounds}): "
            f"{this / other:.2f}x")
    return fig
