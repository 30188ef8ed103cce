"""Build tests/scenarios/caller-limits-at-their-edges.json: every caller-supplied limit one wei too
tight (refused) and then exactly at the amount (accepted)."""
import sys, time
from levcheck.specs.scenario import Scenario, Step, dump
from levcheck.specs.params import BUNDLED
from levcheck.specs.arith import WAD
from levcheck.chain.session import Session

S = Step.of
steps = [S("mint", "alice", series="series0", quote_in=2_000 * WAD), S("mint", "bob", series="series1", quote_in=2_000 * WAD),
         S("add_liquidity", "carol", base=10 * WAD, quote=20_000 * WAD)]

def probe(step):
    s = Session(BUNDLED)
    try:
        for i, st in enumerate(steps):
            r = s.step(i, st); assert r.ok, r.render()
        r = s.step(len(steps), step); assert r.ok and not r.model.reverted, r.render()
        return r.model.result
    finally:
        s.close()

def edge(action, actor, limit, tight, pick, **args):
    """`limit` too tight by one wei (tight=+1 for a minimum, -1 for a maximum), then exactly the amount."""
    res = probe(S(action, actor, **args))
    exact = pick(res)
    steps.append(S(action, actor, **{**args, limit: exact + tight}))
    steps.append(S(action, actor, **{**args, limit: exact}))
    print(action, limit, exact, file=sys.stderr)

one = lambda r: r[0] if isinstance(r, tuple) else r
edge("swap_exact_in", "trader", "min_out", +1, one, token_in="QUOTE", amount_in=3_000 * WAD)
edge("swap_exact_in", "trader", "min_out", +1, one, token_in="BASE", amount_in=WAD)
edge("swap_exact_out", "trader", "max_in", -1, one, token_in="QUOTE", amount_out=WAD)
edge("swap_exact_out", "trader", "max_in", -1, one, token_in="BASE", amount_out=1_000 * WAD)
edge("add_liquidity", "carol", "min_shares", +1, one, base=WAD, quote=2_500 * WAD)
edge("remove_liquidity", "carol", "min_base", +1, lambda r: r[0], shares=10**18)
edge("remove_liquidity", "carol", "min_quote", +1, lambda r: r[1], shares=10**18)
edge("mint", "alice", "min_shares", +1, one, series="series0", quote_in=500 * WAD)
edge("mint", "bob", "min_shares", +1, one, series="series1", quote_in=500 * WAD)
edge("redeem", "alice", "min_quote_out", +1, one, series="series0", shares=100 * WAD)
edge("redeem", "bob", "min_quote_out", +1, one, series="series1", shares=100 * WAD)
dump(Scenario(steps=steps, origin="manual (issue 13)", description="SPEC 'SpotPool' and 'LeveragedToken': every limit a caller passes, at its edge. Each of swapExactIn's minOut (both directions), swapExactOut's maxIn (both directions), addLiquidity's minShares, removeLiquidity's minBase and minQuote, mint's minShares and redeem's minQuoteOut (long and short) is first one wei too tight (refused: InsufficientOutput / ExcessiveInput / InsufficientShares with both numbers) and then exactly the amount the call yields (accepted: the comparisons are `out < min` and `in > max`). (Issue 13: the fuzzer passes 0 / unlimited, so removing or shifting these guards survived the mutation battery.)"), sys.argv[1])
