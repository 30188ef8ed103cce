"""Build tests/scenarios/redeem-from-an-insolvent-series.json: the oracle and the pool both move 40 %
against a series (so its buyback/sale fills within the slippage cap), then a holder redeems: the slice
cannot cover its debt, SeriesInsolvent (SPEC redeem); then the series is settled."""
import sys
from math import isqrt

from levcheck.chain.session import Session
from levcheck.specs.arith import WAD
from levcheck.specs.params import BUNDLED
from levcheck.specs.scenario import Scenario, Step, dump

S = Step.of
P0 = BUNDLED.initial_price
steps = [S("mint", "alice", series="series0", quote_in=3_000 * WAD), S("mint", "bob", series="series1", quote_in=3_000 * WAD)]


def pool_to(price: int) -> list[Step]:
    """A trader swap that moves the pool's price to about `price` (constant product)."""
    s = Session(BUNDLED)
    for i, st in enumerate(steps):
        assert s.step(i, st).ok
    st = s.prev_state
    s.close()
    b, q = st.pool_reserve_base, st.pool_reserve_quote
    k = b * q
    if price * b > q * WAD:  # buy BASE with QUOTE
        q2 = isqrt(k * price // WAD)
        return [S("swap_exact_in", "trader", token_in="QUOTE", amount_in=q2 - q)]
    b2 = isqrt(k * WAD // price)
    return [S("swap_exact_in", "trader", token_in="BASE", amount_in=b2 - b)]


for price, label, holder in ((P0 * 14 // 10, "series1", "bob"), (P0 * 6 // 10, "series0", "alice")):
    steps += [S("set_price", None, price=price)] + pool_to(price)
    steps += [S("redeem", holder, series=label, shares=1_000 * WAD), S("settle_insolvency", "keeper1", series=label),
              S("redeem", holder, series=label, shares=1_000 * WAD),
              S("mint", "carol", series=label, quote_in=100 * WAD)]  # V == 0 with supply: SeriesInsolvent
dump(Scenario(steps=steps, origin="manual (issue 13)", description="SPEC 'LeveragedToken' redeem and settleInsolvency: a series whose value is negative at a price both the oracle and the pool have reached (a trader moves the pool, so the redemption's trades fill within the slippage cap). The short at +40 %: a third of its supply redeems, the whole holdings could pay the slice's buyback but the slice's own QUOTE cannot (`gross < spent`): SeriesInsolvent. The long at -40 %: the slice's cash cannot repay its debt slice: SeriesInsolvent. Each is then settled (bad debt): a redemption pays 0 and a mint is refused SeriesInsolvent (V == 0 with tokens outstanding). (Issue 13: removing the short's guard survived the mutation battery: the fuzzer's crashes move only the oracle, so a redemption reverts on the pool's cap before reaching it.)"), sys.argv[1])
