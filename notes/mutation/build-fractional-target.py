"""Build tests/scenarios/fractional-target-leverage.json: a market whose series target 2.5x (band 2x-3x,
ripcord 4x), so T - 1 = 1.5 and every `x * T / WAD` has a remainder: the bundled 3x makes the first
mint's borrow net * 2 exact, and a rounding direction there cannot be seen. Odd amounts throughout."""
import dataclasses
import sys

from levcheck.chain.session import Session
from levcheck.specs.arith import WAD
from levcheck.specs.params import BUNDLED, SeriesParams
from levcheck.specs.scenario import Scenario, Step, dump

S = Step.of
lev = dict(target_lev=25 * WAD // 10, min_lev=2 * WAD, max_lev=3 * WAD, ripcord_lev=4 * WAD)
params = dataclasses.replace(BUNDLED, series=(SeriesParams(is_long=True, **lev), SeriesParams(is_long=False, **lev)))
params.validate()
P0 = params.initial_price
# the first mints leave an odd net (1000e18 + 1 after the fee, which rounds up), so net x 1.5 has a remainder
# and the short's first mint runs at a price that is not round: its borrow is net x 2.5 / P, and at P = 2000e18
# rounding the first division up never moves the second (5m + 3 is never a multiple of 2000); at this price and
# net it does (found by search: the +1 crosses a multiple of P)
steps = [S("mint", "alice", series="series0", quote_in=1_001 * WAD + 2),
         S("set_price", None, price=P0 * 1001 // 1000 + 13), S("mint", "bob", series="series1", quote_in=999 * WAD + 2_416),
         S("mint", "carol", series="series0", quote_in=333 * WAD + 7), S("mint", "carol", series="series1", quote_in=77 * WAD + 1),
         S("set_price", None, price=P0 * 125 // 100), S("rebalance", "keeper1", series="series0"),
         S("ripcord", "keeper1", series="series1"), S("set_price", None, price=P0),
         S("redeem", "alice", series="series0", shares=123 * WAD + 5), S("redeem", "bob", series="series1", shares=321 * WAD + 9)]
s = Session(params)
for i, st in enumerate(steps):
    r = s.step(i, st)
    print(r.render())
    assert r.ok
s.close()
dump(Scenario(params=params, steps=steps, origin="manual (issue 13)", description=(
    "SPEC 'LeveragedToken' at a target whose products have remainders: both series target 2.5x (band 2x-3x, "
    "ripcord 4x), so the first mint borrows net x 1.5 (rounded down: never beyond the target), and every later "
    "mint, rebalance and redemption, with odd amounts, rounds where the spec says; the short's first mint runs at "
    "2002.000000000000000013 QUOTE, where its borrow net x 2.5 / P is one BASE wei lower than with the first division "
    "rounded up. (Issue 13: at the bundled 3x the "
    "first mint's borrow net x 2 is exact, so flipping its rounding survived the mutation battery.)")), sys.argv[1])
