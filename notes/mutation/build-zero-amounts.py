"""Build tests/scenarios/zero-amounts-refused.json: every entry point given a zero amount, on a market
where the same call with a positive amount works (so the refusal is the zero guard's)."""
import sys

from levcheck.specs.arith import WAD
from levcheck.specs.scenario import Scenario, Step, dump

S = Step.of
steps = [S("mint", "alice", series="series0", quote_in=1_000 * WAD), S("mint", "bob", series="series1", quote_in=1_000 * WAD),
         S("add_liquidity", "carol", base=WAD, quote=2_000 * WAD)]
for label, who in (("series0", "alice"), ("series1", "bob")):
    steps += [S("mint", who, series=label, quote_in=0), S("redeem", who, series=label, shares=0)]
steps += [S("swap_exact_in", "trader", token_in="QUOTE", amount_in=0), S("swap_exact_in", "trader", token_in="BASE", amount_in=0),
          S("swap_exact_out", "trader", token_in="QUOTE", amount_out=0), S("swap_exact_out", "trader", token_in="BASE", amount_out=0),
          S("add_liquidity", "carol", base=0, quote=0), S("remove_liquidity", "carol", shares=0),
          S("inject", "alice", base=0, quote=0), S("transfer", "alice", token="series0", to="bob", amount=0)]
# a mint worth no share: 2 wei leave 1 wei net (the fee rounds up), too small to trade (the dust skip), and
# raise V by 1 wei, worth floor(S / V0) = 0 shares once NAV is above 1 (the long after a rise, the short after a fall)
P0 = 2_000 * WAD
steps += [S("set_price", None, price=P0 * 105 // 100), S("mint", "alice", series="series0", quote_in=2),
          S("set_price", None, price=P0 * 95 // 100), S("mint", "bob", series="series1", quote_in=2),
          S("set_price", None, price=P0)]
dump(Scenario(steps=steps, origin="manual (issue 13)", description=(
    "SPEC: a zero amount is refused where the spec says so, on a market where the positive calls work: mint(0) and "
    "redeem(0) of each series ZeroAmount (not ZeroShares: the guard comes first), swaps of 0 in either direction "
    "ZeroAmount, addLiquidity(0, 0) InsufficientShares(0, 0), removeLiquidity(0) ZeroAmount, inject(0, 0) ZeroAmount; "
    "an ERC-20 transfer of 0 succeeds; a 2-wei mint into a series whose NAV is above 1 is worth no share: ZeroShares. "
    "(Issue 13: removing mint's ZeroAmount or ZeroShares guard survived the mutation battery: the fuzzer never "
    "mints 0, nor a dust amount worth no share.)")), sys.argv[1])
