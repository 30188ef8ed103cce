"""Issue 12 finding 1: QUOTE drained by 1,000 rebalance() calls on a dust series, old contracts vs. this tree."""
import subprocess, sys
from levcheck.chain.build import build_contracts
from levcheck.chain.deploy import deploy_market
from levcheck.chain.evm import open_backend
W = 10**18
def old_sources():
    return {f"contracts/{n}": subprocess.check_output(["git", "show", f"f17f077:contracts/{n}"], text=True)
            for n in ("LeveragedToken.sol", "ReservePool.sol", "Interfaces.sol")}
def drain(arts, series_idx, quote_in, calls=1000):
    evm = open_backend("pyrevm")
    m = deploy_market(evm, artifacts=arts)
    alice, keeper = evm.account("alice"), evm.account("keeper")
    m.fund(alice, quote=10**6 * W)
    s = m.series[series_idx]
    s.transact("mint", quote_in, 0, sender=alice)
    idle0 = m.reserve.call("idleQuote")
    ok = 0
    for _ in range(calls):
        try:
            s.transact("rebalance", sender=keeper); ok += 1
        except Exception as e:
            err = type(e).__name__ + str(e)[:60]
    return ok, idle0 - m.reserve.call("idleQuote"), m.quote.call("balanceOf", keeper)
for label, arts in (("old (f17f077)", build_contracts(extra_sources=old_sources())), ("fixed (issue12a)", build_contracts())):
    for idx, q in ((0, 1000), (1, 600)):
        ok, drained, kq = drain(arts, idx, q)
        print(f"{label}: series{idx} dust mint {q} wei, 1000 rebalance calls: {ok} succeeded, reserve idle QUOTE drained {drained / W:g}, keeper received {kq / W:g}")
