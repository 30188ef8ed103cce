"""Build tests/scenarios/band-and-ripcord-edges.json: each series' leverage put exactly on minLev, maxLev
and ripcordLev by an oracle price found by bisection (leverage is monotone in the price), where the
rebalance / ripcord must be refused (the band and the ripcord threshold are inclusive: SPEC)."""
import dataclasses
import sys

from levcheck.chain.session import Session
from levcheck.specs.arith import WAD
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import Scenario, Step, dump

S = Step.of
steps = [S("mint", "alice", series="series0", quote_in=3_000 * WAD), S("mint", "bob", series="series1", quote_in=3_000 * WAD)]
s = Session(BUNDLED)
for i, st in enumerate(steps):
    assert s.step(i, st).ok
state = s.prev_state
s.close()


def price_for(label: str, target: int) -> int:
    ser = state.series_state(label)
    def lev(p: int) -> int:  # an insolvent series: leverage above every edge
        x = dataclasses.replace(state, price=p).leverage(ser)
        return 2**256 if x is None else x
    lo, hi = BUNDLED.initial_price * 3 // 4, BUNDLED.initial_price * 5 // 4
    falling = lev(lo) > lev(hi)  # a long's leverage falls as the price rises, a short's rises
    while hi - lo > 1:  # the price at the edge of {p : lev(p) >= target} (or <=)
        mid = (lo + hi) // 2
        if (lev(mid) >= target) == falling:
            lo = mid
        else:
            hi = mid
    for p in (lo, hi):
        if lev(p) == target:
            return p
    raise SystemExit(f"{label}: no price puts leverage exactly on {target}")


sp = BUNDLED.series[0]
for label in ("series0", "series1"):
    for target, action in ((sp.min_lev, "rebalance"), (sp.max_lev, "rebalance"), (sp.ripcord_lev, "ripcord")):
        steps += [S("set_price", None, price=price_for(label, target)), S(action, "keeper1", series=label)]
steps.append(S("set_price", None, price=BUNDLED.initial_price))
dump(Scenario(steps=steps, origin="manual (issue 13)", description="SPEC 'LeveragedToken' rebalance / ripcord: the band [minLev, maxLev] and the ripcord threshold are inclusive. For the long and the short, an oracle price (found by bisection: notes/mutation/build-band-edges.py) puts leverage exactly on 2.5x and on 3.5x, where rebalance() is refused NotTriggered (in band, fallback not due), and exactly on 4.5x, where ripcord() is refused NotAboveRipcord. (Issue 13: `lev >= minLev` -> `lev > minLev` survived the mutation battery; random prices almost never land leverage on an edge to the wei.)"), sys.argv[1])
