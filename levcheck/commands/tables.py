"""`levcheck tables`: band-exit price moves, liquidation distances and the decay comparison."""
from __future__ import annotations

import argparse
import json
import time

from ..exitcodes import ExitCode
from .argtypes import at_least

NAME = "tables"
HELP = ("print the band-exit table (with FTX's published 3x->4x points), liquidation distances, the "
        "Avellaneda-Zhang check and band-triggered vs daily rebalancing decay (markdown)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None, help="market parameter file (TOML/JSON); default: the bundled set")
    # 0 paths gives NaN tables, not an answer
    p.add_argument("--paths", type=at_least(1), default=200, help="simulated price paths per volatility (default: 200)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (default: 7)")
    p.add_argument("--cost-bps", type=float, default=0.0, help="trading cost per rebalance trade, bps of notional (default: 0)")
    p.add_argument("--no-sim", action="store_true", help="only the exact tables (no simulation)")
    p.add_argument("--plot", metavar="PNG", default=None, help="also draw the median NAV paths of the policy comparison")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of markdown")


def run(args: argparse.Namespace) -> ExitCode:
    from levcheck.proofs import tables as T
    from levcheck.specs.params import params_or_bundled

    params = params_or_bundled(args.params)
    sim: dict = {}
    if not args.no_sim:
        from levcheck.proofs import decay_sim as D

        t0 = time.perf_counter()
        sim["az"] = [D.az_check(is_long, sigma=s, seed=args.seed) for is_long in (True, False) for s in (0.2, 1.0)]
        sim["policies"] = D.compare_policies(paths=args.paths, seed=args.seed, cost_bps=args.cost_bps)
        sim["seconds"] = time.perf_counter() - t0
    if args.json:
        out = {
            "band_exit": [dict(series=r.label, is_long=r.is_long, target=float(r.target), edge=float(r.edge),
                               move=float(r.move), published=None if r.reference is None else float(r.reference))
                          for r in T.exit_rows(params)],
            "liquidation": [dict(series=r.label, is_long=r.is_long, start=r.where, leverage=float(r.lev), move=float(r.move))
                            for r in T.liquidation_rows(params)],
        }
        if sim:
            out["avellaneda_zhang"] = [dict(c.__dict__, z=c.z) for c in sim["az"]]
            out["policies"] = [r.__dict__ for r in sim["policies"]]
        print(json.dumps(out, indent=1))
        return ExitCode.PASS
    print("## Band exit: the price move that takes an untraded series from its target to a band edge\n")
    print(T.render_exit(params))
    print("\n## Liquidation distance: the price move that takes NAV to zero (no rebalance on the way)\n")
    print(T.render_liquidation(params))
    if sim:
        print("\n## Daily rebalancing vs Avellaneda-Zhang (2010), 1 year of daily GBM prices, mu = 0\n")
        print("| beta | sigma | paths | mean log(NAV/AZ) | std err | expected (discretisation) | z |")
        print("|---|---|---|---|---|---|---|")
        for c in sim["az"]:
            print(f"| {c.beta:+g} | {c.sigma:.0%} | {c.paths} | {c.mean_log_ratio:+.5f} | {c.std_err:.5f} | {c.bias:+.5f} | {c.z:+.2f} |")
        print(f"\n## Band-triggered vs daily rebalancing: 3x, band 2.5x-3.5x, hourly GBM prices for 1 year, "
              f"{args.paths} paths, seed {args.seed}, trading cost {args.cost_bps:g} bps\n")
        from levcheck.proofs.decay_sim import render_policies

        print(render_policies(sim["policies"]))
        print(f"\n(simulation {sim['seconds']:.1f}s)")
    if args.plot and not args.no_sim:
        from levcheck.proofs.decay_sim import plot_policies

        print(f"plot: {plot_policies(args.plot, paths=args.paths, seed=args.seed, cost_bps=args.cost_bps)}")
    return ExitCode.PASS
