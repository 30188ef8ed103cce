import sys
from levcheck.specs.scenario import Scenario, Step, dump
from levcheck.specs.params import BUNDLED
from levcheck.specs.arith import WAD
from levcheck.chain.session import Session
P = BUNDLED.initial_price
S = Step.of
# every transaction takes one second (levcheck/chain/session.py): the warps are computed from that
steps = [
    S("swap_exact_in", "trader", token_in="QUOTE", amount_in=50_000 * WAD),   # protocol fees accrue
    S("allocate_fees", "keeper1"),                                            # first allocation at A
    S("checkpoint", "keeper1"),                                               # first checkpoint at C = A+1
    S("swap_exact_in", "trader", token_in="BASE", amount_in=20 * WAD),        # more fees
    S("warp", None, seconds=3596),
    S("set_price", None, price=P * 101 // 100),                               # at U = C+3598
    S("checkpoint", "keeper1"),                                               # C+3599: TooEarly(C+3600)
    S("checkpoint", "keeper1"),                                               # C+3600: allowed
    S("warp", None, seconds=3597),
    S("mint", "alice", series="series0", quote_in=1_000 * WAD),               # U+3600: the price is still fresh
    S("mint", "alice", series="series1", quote_in=1_000 * WAD),               # U+3601: StalePrice
    S("warp", None, seconds=79198),
    S("allocate_fees", "keeper1"),                                            # A+86399: TooEarly(A+86400)
    S("allocate_fees", "keeper1"),                                            # A+86400: allowed
]
s = Session(BUNDLED)  # prints when each call runs (one second per transaction)
for i, st in enumerate(steps):
    t = s.evm.time
    r = s.step(i, st)
    print(i, st.action, "at", t, r.ok, r.render()[:150] if "revert" in r.render() else "")
s.close()
dump(Scenario(steps=steps, origin="manual (issue 13)", description="SPEC 'ReservePool' and 'PriceOracle': the three time windows at their exact edges. allocateFees and checkpoint are refused TooEarly one second before lastX + period and allowed at it (`now < last + period` is strict); a price is fresh at exactly updatedAt + maxAge and StalePrice one second later (`now > updatedAt + maxAge`). Every transaction takes one second, so the warps land each call on its edge. (Issue 13: boundary comparisons of these windows survived the mutation battery; random warps almost never hit an edge.)"), sys.argv[1])
