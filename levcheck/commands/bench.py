"""`levcheck bench`: differential fuzzing throughput, time to first failure on the broken variants, and
(`--toolchain`) the build, analysis and proof times. Figures are printed, never asserted in tests."""
from __future__ import annotations

import argparse
import json
import statistics

from ..exitcodes import ExitCode
from .argtypes import positive

NAME = "bench"
HELP = "measure differential steps per second and time to first failure on broken contract variants"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seconds", type=positive(float), default=20.0, help="throughput run length on the unmodified contracts (default 20)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--seeds", type=positive(int), default=3, help="seeds per broken variant; the median is reported (default 3)")
    p.add_argument("--examples", type=positive(int), default=300, help="example budget per variant run (default 300)")
    p.add_argument("--variants", action="store_true", help="also measure time to first failure on every broken variant")
    p.add_argument("--only", action="append", default=None, help="restrict --variants to this variant (repeatable)")
    p.add_argument("--toolchain", action="store_true", help="also time the build (cold and warm), a warm analyze and every proof")
    p.add_argument("--engine", action="store_true",
                   help="also the Dask engine: steps/s for 1 and 2 shards in one run, engine start-up, mutants per "
                        "minute, and a projection for 16 and 64 cores")
    p.add_argument("--shard-examples", type=positive(int), default=120, help="examples per shard for --engine (default 120: ~15 s a shard here; with 40, ~4 s shards, the run-to-run noise of this machine and the fixed overheads weigh in: 1.47x measured)")
    p.add_argument("--mutants", type=positive(int), default=4, help="mutants timed for --engine (default 4)")
    p.add_argument("--coverage", action="store_true",
                   help="also measure contract coverage's cost: a recorded campaign of --seconds, then its examples "
                        "replayed on the instrumented build (CPU-s of each, and the ratio)")
    p.add_argument("--against", metavar="REV",
                   help="also compare throughput with git commit REV of this checkout in the same run: each tree's own "
                        "campaigns, and the very same steps replayed on each tree's session, in alternated rounds (CPU-s)")
    p.add_argument("--rounds", type=positive(int), default=5, help="alternated rounds for --against (default 5; the median is reported)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.fuzz.api import FuzzConfig, run_fuzz
    from levcheck.fuzz.mutants import MUTANTS
    from levcheck.chain.build import build_contracts

    if args.against:
        from .bench_against import resolve

        resolve(args.against)  # a bad REV is an error before minutes of measuring
    out: dict = {}
    clean = run_fuzz(FuzzConfig(seed=args.seed, seconds=args.seconds, out_dir=None))
    out["throughput"] = {
        "seed": args.seed,
        "status": clean.status,
        "examples": clean.examples,
        "steps": clean.steps,
        "wall_seconds": round(clean.seconds, 2),
        "cpu_seconds": round(clean.cpu_seconds, 2),
        "steps_per_second": round(clean.steps_per_second),
        "steps_per_cpu_second": round(clean.steps / clean.cpu_seconds) if clean.cpu_seconds else None,
    }
    if not args.json:
        t = out["throughput"]
        print(f"throughput (unmodified, pyrevm, seed {args.seed}): {t['steps']} differential steps in {t['wall_seconds']}s wall / "
              f"{t['cpu_seconds']}s CPU = {t['steps_per_second']} steps/s wall, {t['steps_per_cpu_second']} steps per CPU-second "
              f"[{clean.status}]", flush=True)
    if args.variants:
        out["variants"] = {}
        for m in MUTANTS:
            if args.only and m.name not in args.only:
                continue
            artifacts = build_contracts(extra_sources=m.sources())
            runs = [
                run_fuzz(FuzzConfig(seed=s, examples=args.examples, params=m.params, artifacts=artifacts, out_dir=None))
                for s in range(args.seed, args.seed + args.seeds)
            ]
            found = [r for r in runs if r.failed]
            row = {
                "caught": f"{len(found)}/{len(runs)}",
                "steps_to_failure": [r.steps_to_failure for r in runs],
                "seconds_to_failure": [None if r.seconds_to_failure is None else round(r.seconds_to_failure, 2) for r in runs],
                "median_steps": statistics.median([r.steps_to_failure for r in found]) if found else None,
                "median_seconds": round(statistics.median([r.seconds_to_failure for r in found]), 2) if found else None,
                "shrunk_steps": [len(r.scenario.steps) if r.scenario else None for r in runs],
            }
            out["variants"][m.name] = row
            if not args.json:
                print(f"{m.name:26s} caught {row['caught']}  median {row['median_steps']} steps / {row['median_seconds']}s "
                      f"to first failure  (per seed: {row['steps_to_failure']}; shrunk to {row['shrunk_steps']} steps)", flush=True)
    if args.coverage:
        out["coverage"] = coverage_figures(args.seed, args.seconds, quiet=args.json)
    if args.toolchain:
        out["toolchain"] = toolchain_figures(quiet=args.json)
    if args.engine:
        out["engine"] = engine_figures(args.seed, args.shard_examples, args.mutants, quiet=args.json)
    if args.against:
        from .bench_against import against_figures

        out["against"] = against_figures(args.against, args.rounds, quiet=args.json)
    if args.json:
        print(json.dumps(out, indent=1))
    return ExitCode.PASS


def coverage_figures(seed: int, seconds: float, quiet: bool = False) -> dict:
    """The cost of coverage against the campaign it covers, both in CPU-seconds of this process."""
    import time

    from levcheck.chain.build import build_contracts
    from levcheck.chain.coverage import InstrumentedBuild
    from levcheck.fuzz.api import FuzzConfig, run_fuzz
    from levcheck.report.coverage import campaign_coverage, headline

    artifacts = build_contracts()
    cfg = FuzzConfig(seed=seed, seconds=seconds, out_dir=None, record_examples=True, artifacts=artifacts)
    campaign = run_fuzz(cfg)
    InstrumentedBuild.of(artifacts)  # the instrumented compile is cached: not part of the figure
    t0 = time.process_time()
    cov = campaign_coverage([(cfg.params, campaign.executed)], artifacts, None)
    replay_cpu = time.process_time() - t0
    row = {"examples": campaign.examples, "steps": campaign.steps, "campaign_cpu_seconds": round(campaign.cpu_seconds, 2),
           "replay_cpu_seconds": round(replay_cpu, 2), "ratio": round(replay_cpu / campaign.cpu_seconds, 2) if campaign.cpu_seconds else None,
           "replay_steps_per_cpu_second": round(cov.steps / replay_cpu) if replay_cpu else None, "executions": cov.transactions,
           "reverted_and_rerun": cov.reruns, "unattributed": cov.unattributed, "probe_hits": cov.probes, "figures": headline(cov)}
    if not quiet:
        print(f"coverage (seed {seed}): campaign {row['steps']} steps in {row['campaign_cpu_seconds']} CPU-s; instrumented replay of "
              f"all {row['examples']} examples {row['replay_cpu_seconds']} CPU-s ({row['replay_steps_per_cpu_second']} steps per CPU-second, "
              f"{row['ratio']}x the campaign; {row['reverted_and_rerun']} of {row['executions']} executions reverted and re-run, "
              f"{row['unattributed']} unattributed); {row['figures']}", flush=True)
    return row


def toolchain_figures(quiet: bool = False) -> dict:
    """Seconds for a cold and a warm build, a warm `analyze`, and each proof obligation."""
    import time

    from levcheck.analysis import run_analysis
    from levcheck.chain.build import build_contracts
    from levcheck.proofs.registry import run_proofs

    def timed(fn):
        t0 = time.perf_counter()
        value = fn()
        return value, round(time.perf_counter() - t0, 3)

    _, cold = timed(lambda: build_contracts(use_cache=False))
    _, warm = timed(lambda: build_contracts())
    run_analysis("contracts")  # fill the analysis cache
    _, analyze = timed(lambda: run_analysis("contracts"))
    proofs, prove = timed(lambda: run_proofs())
    slowest = sorted(proofs, key=lambda r: -r.seconds)[:5]
    fig = {
        "build_cold_seconds": cold,
        "build_warm_seconds": warm,
        "analyze_warm_seconds": analyze,
        "prove_seconds": prove,
        "obligations": len(proofs),
        "proved": sum(r.ok for r in proofs),
        "seconds_per_obligation": round(prove / max(len(proofs), 1), 3),
        "slowest": {r.id: round(r.seconds, 2) for r in slowest},
    }
    if not quiet:
        print(f"build: {cold}s cold (no cache), {warm}s warm (in-process); analyze (warm cache): {analyze}s; "
              f"prove: {fig['proved']}/{fig['obligations']} in {prove}s ({fig['seconds_per_obligation']}s per obligation; "
              f"slowest {', '.join(f'{k} {v}s' for k, v in fig['slowest'].items())})", flush=True)
    return fig


def engine_figures(seed: int, shard_examples: int, mutants: int, quiet: bool = False) -> dict:
    """One LocalCluster of 2 workers: the same per-shard work as 1 shard and as 2 shards, wall and CPU
    rates, the engine's fixed costs, a small mutation run, and a projection (labelled) for more cores."""
    from levcheck.fuzz.api import FuzzConfig
    from levcheck.fuzz.engine import open_engine
    from levcheck.fuzz.shards import run_sharded
    from levcheck.mutate.run import run_mutation

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    fig: dict = {}
    with open_engine(2) as engine:
        fig["startup_seconds"] = round(engine.startup_seconds, 2)
        say(f"engine: LocalCluster of {engine.workers} worker processes up in {engine.startup_seconds:.1f}s")
        # warm both workers (imports, first deployment) so the timed runs measure steady state
        run_sharded(FuzzConfig(seed=seed + 1, examples=2, out_dir=None), 2, engine)
        runs = {}
        for n in (1, 2):
            r = run_sharded(FuzzConfig(seed=seed, examples=n * shard_examples, out_dir=None), n, engine)
            slowest = max(s.result.seconds for s in r.shards)
            runs[n] = {
                "status": r.merged.status, "steps": r.merged.steps, "wall_seconds": round(r.merged.seconds, 2),
                "steps_per_second": round(r.merged.steps / r.merged.seconds, 1),
                "cpu_seconds": round(r.merged.cpu_seconds, 2),
                "steps_per_cpu_second": round(r.merged.steps / r.merged.cpu_seconds, 1) if r.merged.cpu_seconds else None,
                "per_shard_steps_per_second": [round(s.result.steps / s.result.seconds, 1) for s in r.shards],
                "overhead_seconds": round(r.merged.seconds - slowest, 2),  # submit, scatter, gather, merge
            }
            say(f"  {n} shard(s): {r.merged.steps} steps in {r.merged.seconds:.1f}s wall = {runs[n]['steps_per_second']} steps/s; "
                f"{runs[n]['cpu_seconds']} CPU-s = {runs[n]['steps_per_cpu_second']} steps per CPU-second; "
                f"per shard {runs[n]['per_shard_steps_per_second']} steps/s; overhead {runs[n]['overhead_seconds']}s [{r.merged.status}]")
        fig["shards"] = runs
        speedup = runs[2]["steps_per_second"] / runs[1]["steps_per_second"]
        cpu_ratio = (runs[2]["steps_per_cpu_second"] or 0) / (runs[1]["steps_per_cpu_second"] or 1)
        fig["speedup_2_vs_1"] = round(speedup, 2)
        fig["cpu_rate_ratio_2_vs_1"] = round(cpu_ratio, 2)
        say(f"  speedup 2 vs 1 shard(s): {speedup:.2f}x wall (target >= 1.8x); per-CPU-second rate ratio {cpu_ratio:.2f} "
            f"(1.0 = no per-core loss; the wall figure also carries the other load on this machine)")
        m = run_mutation(engine, seed=seed, max_mutants=mutants)
        fig["mutation"] = {"mutants": len(m.results), "seconds": round(m.seconds, 1), "baseline_seconds": round(m.baseline_seconds, 1),
                           "mutants_per_minute": round(m.mutants_per_minute, 2),
                           "cpu_seconds_per_mutant": round(m.cpu_seconds / max(len(m.results), 1), 1)}
        say(f"  mutation: {len(m.results)} mutants in {m.seconds:.0f}s (baseline {m.baseline_seconds:.0f}s) = "
            f"{m.mutants_per_minute:.2f} mutants/min; {fig['mutation']['cpu_seconds_per_mutant']} CPU-s per mutant")
    # Projection: N shards of the measured per-shard rate, each losing the measured fixed overhead
    # per run of `shard_examples`; the engine start-up is paid once. On paper, not measured.
    per_shard = runs[1]["per_shard_steps_per_second"][0]
    shard_seconds = runs[1]["steps"] / per_shard
    overhead = max(runs[2]["overhead_seconds"], 0.0)
    fig["projection"] = {}
    for cores in (16, 64):
        rate = cores * per_shard * shard_seconds / (shard_seconds + overhead)
        mpm = fig["mutation"]["mutants_per_minute"] * cores / 2
        fig["projection"][cores] = {"steps_per_second": round(rate), "mutants_per_minute": round(mpm, 1)}
        say(f"  PROJECTION (not measured) for {cores} cores: ~{rate:,.0f} steps/s ({per_shard:.0f} steps/s per shard x {cores}, "
            f"less {overhead:.1f}s overhead per {shard_seconds:.0f}s shard), ~{mpm:.0f} mutants/min; plus {fig['startup_seconds']}s start-up once")
    return fig
