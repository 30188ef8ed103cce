"""The Hypothesis state machine: actors drive the model and the EVM together, one `Session`.

One rule per actor family (holders, trader, oracle keeper, clock, keepers, fees/reserve,
adversaries). A rule draws a short list of *action codes*; each code is one integer that `Draw`
decodes into that family's action and its parameters (amounts resolved against the model's state:
"a third of my shares", "5% of the pool"). One integer per action instead of four or five separate
draws, and several actions per rule, keep Hypothesis's share of a differential step small; the
shrinker still deletes actions from the lists and drives codes towards 0, which decodes to the
simplest action (first choice of every menu, smallest amounts).

Every concrete `Step` runs on both sides through `Session.step` (compare everything, check every
invariant). The executed steps are recorded, so a failure becomes a scenario file that replays
without Hypothesis.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Sequence, TypeVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from levcheck.specs import edges as E
from levcheck.specs import formulas as F
from levcheck.specs import procedures as P
from levcheck.specs.arith import BPS, INT, UINT256_MAX, WAD

from levcheck.chain import modelside
from levcheck.chain.session import Session, StepReport
from levcheck.specs.model import CHECKPOINT_INTERVAL
from levcheck.specs.scenario import Step

HOLDERS = ("alice", "bob", "carol")
TRADER, KEEPER = "trader", "keeper1"
MACHINE_ACTORS = HOLDERS + (TRADER, KEEPER)
T = TypeVar("T")
EDGE_KINDS = ("band", "ripcord", "floor", "deadline", "keeper_idle", "empty_reserve", "one_wei", "ripcord_under_floor",
              "crash_under_floor", "empty_pool")
DEADLINES = ("fallback", "oracle", "fee_period", "checkpoint")

# Eight 64-bit action codes per rule, a fixed-size list: Hypothesis charges per rule and per draw
# (a variable-length list also draws a "one more?" boolean per element), so one rule runs eight
# actions for eight integer draws. The shrinker drops rules and lowers codes towards 0 (the simplest
# action); `fuzz.minimize` then deletes the steps that do not matter.
codes = st.lists(st.integers(0, 2**64 - 1), min_size=8, max_size=8)


class Draw:
    """Mixed-radix digits of one action code, least significant first (0 -> every first choice)."""

    def __init__(self, code: int) -> None:
        self.c = code

    def int(self, n: int) -> int:
        v = self.c % n
        self.c //= n
        return v

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.int(len(seq))]

    def flag(self) -> bool:
        return self.int(2) == 1

    def amount(self) -> int:
        """Dust (1 wei .. 0.9 units, 3/16), whale (beyond the reserve, 3/16), huge (2**100 .. 2**256 - 1,
        1/16, see `huge`: times a price or a reserve its product passes 2**256, so only FixedPointMath's
        512-bit mulDiv path computes it, and sums of two of them leave uint256: Panic(0x11) on both sides;
        an actor short of it is given it by the faucet, see `funded`) or ordinary (1 .. 250k units, 9/16)."""
        kind = self.int(16)
        if kind < 3:
            return (1 + self.int(9)) * 10 ** self.int(18)
        if kind < 6:
            return (1 + self.int(9)) * 10 ** (23 + self.int(3))
        if kind == 6:
            return huge(self)
        return (1 + self.int(250_000)) * WAD

    def fraction(self) -> int:
        """bps of a balance; "all of it" comes up a fifth of the time."""
        return BPS if self.int(5) == 0 else 1 + self.int(BPS)

    def seconds(self) -> int:
        kind = self.int(3)
        return (1 + self.int(120), 60 + self.int(3_541), 3_600 + self.int(3 * 86_400))[kind]


def huge(d: Draw) -> int:
    """2**100 .. 2**256 - 1, the whole top of uint256: within 3 wei of 2**256 - 1 (1/8), an exact power
    of two 2**100 .. 2**255 (1/8), else a few bits set below a top bit 2**100 .. 2**255 (15 x 2**252 +
    2**32 < 2**256). A faucet of it may push a token's supply past 2**256 - 1 and a sum of two of them
    a pool's reserve or a series' holding: the contracts' checked arithmetic reverts Panic(0x11) and
    the model reverts with it (`specs/arith.py`, notes/issue-12-checked.md)."""
    kind = d.int(8)
    if kind == 0:
        return UINT256_MAX - d.int(4)
    if kind == 1:
        return 2 ** (100 + d.int(156))
    return (1 + d.int(15)) * 2 ** (100 + d.int(153)) + d.int(2**32)


def in_domain(price: int) -> int:
    """A price inside SPEC's domain, 1e9 .. 1e30 wei of QUOTE per BASE."""
    return min(max(price, 10**9), 10**30)


class DifferentialFailure(AssertionError):
    """The model and the EVM disagreed, or an invariant failed; carries the step report."""

    def __init__(self, report: StepReport) -> None:
        super().__init__(report.render())
        self.report = report


@dataclass
class Recorder:
    """What the runs of one fuzz campaign did (shared by every machine instance of the campaign)."""

    steps_total: int = 0
    examples: int = 0
    failing_steps: list[Step] | None = None
    failing_report: StepReport | None = None
    steps_to_first_failure: int | None = None
    seconds_to_first_failure: float | None = None
    started: float = 0.0
    deadline: float | None = None  # perf_counter time after which rules do nothing (time-bounded runs)
    coverage: dict[tuple[str, str], int] = field(default_factory=dict)  # (action, "ok" | error) -> count
    # opt-in (`FuzzConfig.record_examples`): the steps of every generated example, for the traced
    # coverage replay (`levcheck.chain.coverage`); shrinking replays are not recorded
    record: bool = False
    executed: list[list[Step]] = field(default_factory=list)
    edges: dict[tuple[str, str], int] = field(default_factory=dict)  # (SPEC comparison, side) -> steps (specs/edges.py)


def make_machine(session: Session, recorder: Recorder) -> type[RuleBasedStateMachine]:
    series_labels = tuple(session.model.series)

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            session.reset()
            self.s = session
            self.steps: list[Step] = []
            self.last: StepReport | None = None  # the last step's report (None: no step, or it failed)
            recorder.examples += 1

        # -------------------------------------------------------------- plumbing

        def run(self, *steps: Step) -> None:
            if recorder.deadline is not None and recorder.failing_steps is None and time.perf_counter() > recorder.deadline:
                return  # out of time: let Hypothesis finish the batch quickly
            for step in steps:
                prev = self.s.prev_state
                report = self.s.step(len(self.steps), step)
                self.steps.append(step)
                self.last = report
                recorder.steps_total += 1
                key = (step.action, report.model.reverted or "ok")
                recorder.coverage[key] = recorder.coverage.get(key, 0) + 1
                E.count(recorder.edges, self.s.params, prev, self.s.prev_state, report.model)
                if not report.ok:
                    self.fail(report)

        def fail(self, report: StepReport) -> None:
            if recorder.steps_to_first_failure is None:
                recorder.steps_to_first_failure = recorder.steps_total
                recorder.seconds_to_first_failure = time.perf_counter() - recorder.started
            recorder.failing_steps = list(self.steps)
            recorder.failing_report = report
            self.last = None
            note(report.render())
            raise DifferentialFailure(report)

        def teardown(self) -> None:
            # Views are read every VIEWS_EVERY-th step (they cost two steps' worth); once more at the end
            # of each example, so that a shrunk example of any length still shows a wrong view.
            last = getattr(self, "last", None)  # None too for an example the campaign cut before it started
            if recorder.record and self.steps and (recorder.failing_steps is None or recorder.steps_to_first_failure == recorder.steps_total):
                recorder.executed.append(list(self.steps))
            if last is not None and len(self.steps) % self.s.views_every != 1:
                diffs = self.s.views_now()
                if diffs:
                    self.fail(dataclasses.replace(last, differences=last.differences + diffs))

        @property
        def m(self):
            return self.s.model

        def shares(self, who: str, series: str) -> int:
            return self.m.tokens[series].balance(who)

        def funded(self, who: str, token: str, amount: int) -> tuple[Step, ...]:
            """A faucet step first when `who` is short of a huge `amount` (ordinary amounts are left to
            revert InsufficientBalance, a path of its own). The faucet is drawn even when it takes the
            token's supply past 2**256 - 1: it reverts Panic(0x11) on both sides, and the action after
            it then meets the actor short (or a checked sum of the action itself overflows first)."""
            short = amount - self.m.tokens[token].balance(who)
            return (Step.of("faucet", who, token=token, amount=short),) if amount >= 2**100 and short > 0 else ()

        def live(self) -> list[str]:
            return [x for x in series_labels if self.m.tokens[x].total_supply > 0]

        def swap_step(self, base_in: bool, frac: int, exact_out: bool = False, who: str = TRADER) -> Step:
            """A swap (by the trader unless `who` says) sized as `frac` bps of the pool reserve on the relevant side."""
            p = self.m.pool
            token = "BASE" if base_in else "QUOTE"
            if exact_out:
                r_out = p.reserve_quote if base_in else p.reserve_base
                return Step.of("swap_exact_out", who, token_in=token, amount_out=max(r_out * frac // BPS, 1))
            r_in = p.reserve_base if base_in else p.reserve_quote
            return Step.of("swap_exact_in", who, token_in=token, amount_in=max(r_in * frac // BPS, 1))

        def price_step(self, d: Draw) -> Step:
            """Small moves (< 3%), jumps (5% to 45%) or the pool's own price (an arbitrage-style update),
            kept inside SPEC's price domain (1e9 .. 1e30 wei): a pool drained by a huge swap quotes far
            beyond it, where a valuation of huge holdings leaves uint256 (MulDivOverflow; SPEC's domain)."""
            kind = d.pick(("small", "jump", "arb"))
            if kind == "arb":
                empty = self.m.pool.reserve_base == 0  # (every LP left: no pool price)
                return Step.of("set_price", price=in_domain(self.m.oracle.price if empty else self.m.spot_price()))
            up, p0 = d.flag(), self.m.oracle.price
            move = d.int(300) if kind == "small" else 500 + d.int(4_000)
            return Step.of("set_price", price=in_domain(p0 * (BPS + move if up else BPS - move) // BPS))

        # -------------------------------------------------------------- holders

        @rule(codes=codes)
        def holders(self, codes: list[int]) -> None:
            for code in codes:
                d = Draw(code)
                kind, who, series = d.pick(("mint", "redeem", "transfer", "round_trip")), d.pick(HOLDERS), d.pick(series_labels)
                if kind == "mint":
                    # min_shares 1 exercises the user's minimum-out protection path
                    q = d.amount()
                    self.run(*self.funded(who, "QUOTE", q), Step.of("mint", who, series=series, quote_in=q, min_shares=d.int(2)))
                elif kind == "redeem":
                    shares = max(self.shares(who, series) * d.fraction() // BPS, 1)
                    self.run(Step.of("redeem", who, series=series, shares=shares))
                elif kind == "transfer":
                    to = d.pick(HOLDERS)
                    self.run(Step.of("transfer", who, token=series, to=to, amount=self.shares(who, series) * d.fraction() // BPS))
                else:
                    self.run(Step.of("mint_redeem", who, series=series, quote_in=d.amount()))

        # -------------------------------------------------------------- trader, oracle, clock

        @rule(codes=codes)
        def trader(self, codes: list[int]) -> None:
            for code in codes:
                d = Draw(code)
                if d.int(3) == 0:
                    arb = self.arb_step()
                    if arb is not None:
                        self.run(arb)
                    continue
                if d.int(16) == 0:  # a huge exact input: the pool's output is a 512-bit mulDiv
                    token, amount = d.pick(("QUOTE", "BASE")), huge(d)
                    self.run(*self.funded(TRADER, token, amount), Step.of("swap_exact_in", TRADER, token_in=token, amount_in=amount))
                    continue
                frac = 1 + d.int(2_000) if d.int(4) == 0 else 1 + d.int(200)  # mostly < 2% of the pool
                self.run(self.swap_step(d.flag(), frac, d.flag()))

        def arb_step(self) -> Step | None:
            """An arbitrageur trading the pool back to the oracle price (fees ignored)."""
            p, price = self.m.pool, self.m.oracle.price
            k = p.reserve_base * p.reserve_quote
            target_quote = math.isqrt(k * price // WAD)
            if target_quote > p.reserve_quote:
                return Step.of("swap_exact_in", TRADER, token_in="QUOTE", amount_in=min(target_quote - p.reserve_quote, UINT256_MAX))
            target_base = math.isqrt(k * WAD // price)
            if target_base > p.reserve_base:
                return Step.of("swap_exact_in", TRADER, token_in="BASE", amount_in=min(target_base - p.reserve_base, UINT256_MAX))
            return None

        @rule(codes=codes)
        def oracle(self, codes: list[int]) -> None:
            for code in codes:
                self.run(self.price_step(Draw(code)))

        @rule(codes=codes)
        def clock(self, codes: list[int]) -> None:
            for code in codes:
                self.run(Step.of("warp", seconds=Draw(code).seconds()))

        # -------------------------------------------------------------- keepers, fees, reserve

        @rule(codes=codes)
        def keepers(self, codes: list[int]) -> None:
            for code in codes:
                d = Draw(code)
                which = d.pick(("rebalance", "rebalance", "ripcord", "settle_insolvency"))
                # keepers watch live series (an empty one only refuses EmptySeries); one in eight goes anyway
                live = [x for x in series_labels if self.m.tokens[x].total_supply > 0]
                pool = series_labels if not live or d.int(8) == 0 else live
                self.run(Step.of(which, KEEPER, series=d.pick(pool)))

        @rule(codes=codes)
        def reserve(self, codes: list[int]) -> None:
            for code in codes:
                d = Draw(code)
                kind = d.pick(("allocate_fees", "checkpoint", "inject"))
                if kind == "inject":
                    base = d.amount() if d.flag() else 0
                    quote = d.amount() if d.flag() else 0
                    self.run(*self.funded("carol", "BASE", base), *self.funded("carol", "QUOTE", quote),
                             Step.of("inject", "carol", base=base, quote=quote))
                else:
                    self.run(Step.of(kind, KEEPER))

        # -------------------------------------------------------------- pool liquidity

        @rule(codes=codes)
        def liquidity(self, codes: list[int]) -> None:
            """LPs add (at the pool's ratio, or lopsided: the excess stays with the LPs) and remove."""
            for code in codes:
                d = Draw(code)
                who, p = d.pick((TRADER, *HOLDERS)), self.m.pool
                if d.int(3) == 0:
                    have = p.shares_of.get(who, 0)
                    self.run(Step.of("remove_liquidity", who, shares=max(have * d.fraction() // BPS, 1)))
                    continue
                base = d.amount()
                quote = min(base * p.reserve_quote // max(p.reserve_base, 1) + d.int(2), UINT256_MAX) if d.flag() else d.amount()
                self.run(*self.funded(who, "BASE", base), *self.funded(who, "QUOTE", quote),
                         Step.of("add_liquidity", who, base=base, quote=quote, min_shares=d.int(2)))

        # -------------------------------------------------------------- allowances (ERC-20 approve / transferFrom)

        @rule(codes=codes)
        def allowances(self, codes: list[int]) -> None:
            """Finite approvals between actors, and transfers on them at the edges: an approval then a
            spend below, at or one wei above it and a second spend at or one wei above what is left
            (a finite allowance is decremented, InsufficientAllowance), or a spend at, or one wei either
            side of, the standing allowance or the owner's balance (InsufficientAllowance is checked
            before InsufficientBalance). Now and then an actor re-approves a protocol contract, to the
            maximum again or to a finite amount that the contract's next pull then spends."""
            tokens = ("QUOTE", "BASE", *series_labels)
            for code in codes:
                d = Draw(code)
                kind = d.pick(("approve_spend", "spend", "approve"))
                owner, spender, token, to = d.pick(MACHINE_ACTORS), d.pick(MACHINE_ACTORS), d.pick(tokens), d.pick(MACHINE_ACTORS)
                have = self.m.tokens[token].balance(owner)
                if kind == "approve":
                    if d.int(8) == 0:
                        spender = d.pick(("pool", "reserve", *series_labels))
                        amount = UINT256_MAX if d.flag() else d.amount()
                    else:
                        which = d.int(8)  # a share of the balance (1/2), any amount (1/4), 0, the maximum
                        amount = (have * d.fraction() // BPS if which < 4 else d.amount() if which < 6 else 0 if which == 6
                                  else UINT256_MAX)
                    self.run(Step.of("approve", owner, token=token, spender=spender, amount=amount))
                elif kind == "approve_spend":
                    amount = max(have * d.fraction() // BPS, 1) if have else d.amount()
                    self.run(Step.of("approve", owner, token=token, spender=spender, amount=amount),
                             Step.of("transfer_from", spender, token=token, owner=owner, to=to,
                                     amount=min(amount + d.int(3) - 1, UINT256_MAX)))
                    left = self.m.tokens[token].allowance(owner, spender)
                    self.run(Step.of("transfer_from", spender, token=token, owner=owner, to=to,
                                     amount=min(left + d.int(2), UINT256_MAX)))
                else:
                    allowed = self.m.tokens[token].allowance(owner, spender)
                    ref = have if allowed == UINT256_MAX or d.flag() else allowed
                    amount = min(max(ref + d.int(3) - 1, 0), UINT256_MAX)
                    self.run(Step.of("transfer_from", spender, token=token, owner=owner, to=to, amount=amount))

        # -------------------------------------------------------------- edges on purpose (specs/edges.py)

        @rule(codes=codes)
        def edges(self, codes: list[int]) -> None:
            """Actions that size themselves from the model to land exactly on a SPEC comparison, or one
            wei (one second) either side of it: `off` is -1, 0 (half the time) or +1."""
            for code in codes[:2]:  # each edge is several steps: two per rule
                d = Draw(code)
                kind = d.pick(EDGE_KINDS)
                off, series = (-1, 0, 0, 1)[d.int(4)], d.pick(series_labels)  # on the edge half the time
                if kind == "band":
                    self.band_edge(series, d.flag(), off)
                elif kind == "ripcord":
                    self.ripcord_edge(series, off)
                elif kind == "floor":
                    self.floor_edge(off)
                    self.rebalance_live(series)
                elif kind == "deadline":
                    self.deadline_edge(d.pick(DEADLINES), series, off)
                elif kind == "keeper_idle":
                    self.keeper_idle_edge(off, d)
                elif kind == "empty_reserve":
                    self.empty_reserve(series, off)
                elif kind == "one_wei":
                    self.one_wei_series(series)
                elif kind == "ripcord_under_floor":
                    self.ripcord_under_floor(series)
                elif kind == "crash_under_floor":
                    self.floor_edge(-1 - d.int(10**6))
                    self.crash(series, d)
                else:
                    self.empty_pool(d)

        def ensure_live(self, series: str) -> bool:
            if self.m.tokens[series].total_supply == 0:
                self.run(Step.of("mint", "bob", series=series, quote_in=(1 + self.m.series[series].p.keeper_fee // WAD) * 1_000 * WAD))
            return self.m.tokens[series].total_supply > 0 and self.s.prev_state.value(self.s.prev_state.series_state(series)) > 0

        def price_to(self, series: str, lev: int) -> int | None:
            """Set the oracle to the price at which `series` (no trade) has leverage exactly `lev`."""
            st = self.s.prev_state
            price = E.price_for_leverage(st, st.series_state(series), lev)
            if price is not None:
                self.run(Step.of("set_price", price=price))
            return price

        def band_edge(self, series: str, top: bool, off: int) -> None:
            """Leverage exactly at (or one wei either side of) a band edge, then a rebalance."""
            if self.ensure_live(series):
                p = self.m.series[series].p
                if self.price_to(series, (p.max_lev if top else p.min_lev) + off) is not None:
                    self.run(Step.of("rebalance", KEEPER, series=series))

        def ripcord_edge(self, series: str, off: int) -> None:
            if self.ensure_live(series) and self.price_to(series, self.m.series[series].p.ripcord_lev + off) is not None:
                self.run(Step.of("ripcord", KEEPER, series=series))

        def rebalance_live(self, series: str) -> None:
            live = self.live()
            self.run(Step.of("rebalance", KEEPER, series=series if series in live or not live else live[0]))

        def floor_edge(self, off: int, into: str | None = None) -> None:
            """Reserve equity exactly at the floor plus `off` (QUOTE wei): from below, an injection of
            exactly the difference (equity moves by it, the floor does not); from above, first a price
            at which the floor binds, or a mint (into `into`, default a long) large enough to raise the
            floor past the equity."""
            st = self.s.prev_state
            if E.floor_gap(st) >= 0:
                for k in (50, 70, 130, 200, 300):
                    if E.floor_gap(dataclasses.replace(st, price=in_domain(st.price * k // 100))) < 0:
                        self.run(Step.of("set_price", price=in_domain(st.price * k // 100)))
                        break
                else:
                    mp = self.s.params
                    if mp.floor_bps > 0:
                        lng = into or next((x for x in series_labels if self.m.series[x].p.is_long), series_labels[0])
                        q = min(E.floor_gap(st) * BPS // mp.floor_bps * 12 // 10 + WAD, UINT256_MAX)
                        # the pool at the oracle, then BASE cheapened in it so that the mint's buy fills within its cap
                        for first in (True, False):
                            arb = self.arb_step()
                            if arb is not None:
                                self.run(arb)
                            if first:
                                self.run(self.swap_step(True, 200), *self.funded("alice", "QUOTE", q),
                                         Step.of("mint", "alice", series=lng, quote_in=q))
            gap = E.floor_gap(self.s.prev_state)
            if gap < 0 and off - gap > 0:
                self.run(Step.of("inject", "carol", base=0, quote=min(off - gap, UINT256_MAX)))

        def deadline_edge(self, which: str, series: str, off: int) -> None:
            """The step that compares the clock with a deadline, run exactly at it (`off` seconds from it):
            the series' fallback, the oracle's max age, the fee period, the checkpoint interval."""
            st, mp = self.s.prev_state, self.s.params
            if which == "fee_period":
                if st.last_allocation == 0:
                    self.run(Step.of("allocate_fees", KEEPER))
                self.warp_to(self.s.prev_state.last_allocation + mp.fee_period + off)
                self.run(Step.of("allocate_fees", KEEPER))
            elif which == "checkpoint":
                if st.last_checkpoint == 0:
                    self.run(Step.of("set_price", price=st.price), Step.of("checkpoint", KEEPER))
                self.warp_to(self.s.prev_state.last_checkpoint + CHECKPOINT_INTERVAL + off - 1)
                self.run(Step.of("set_price", price=st.price), Step.of("checkpoint", KEEPER))
            elif which == "oracle":
                if not self.ensure_live(series):
                    return
                if self.s.prev_state.time > self.s.prev_state.updated_at + mp.oracle_max_age + off:
                    self.run(Step.of("set_price", price=st.price))
                self.warp_to(self.s.prev_state.updated_at + mp.oracle_max_age + off)
                self.run(Step.of("rebalance", KEEPER, series=series))
            elif self.ensure_live(series):  # the fallback: a fresh price one second before, the rebalance at it
                s = self.s.prev_state.series_state(series)
                if self.warp_to(s.last_rebalance + s.params.fallback_interval + off - 1):
                    self.run(Step.of("set_price", price=st.price), Step.of("rebalance", KEEPER, series=series))

        def warp_to(self, t: int) -> bool:
            """The next transaction at block time `t` (False: that time has passed)."""
            wait = t - self.s.prev_state.time
            if wait > 0:
                self.run(Step.of("warp", seconds=wait))
            return wait >= 0

        def keeper_idle_edge(self, off: int, d: Draw) -> None:
            """Idle QUOTE at the keeper payment exactly the entitled fee plus `off`: drain the reserve
            below it, push a short out of its band, price its rebalance on a clone of the model, inject
            exactly the difference, rebalance."""
            shorts = [x for x in series_labels if not self.m.series[x].p.is_long]
            longs = [x for x in series_labels if self.m.series[x].p.is_long]
            if not shorts or not longs or not self.ensure_live(shorts[0]):
                return
            sht = shorts[0]
            self.drain_idle(longs[0], self.m.series[sht].p.keeper_fee // 2, 100 + d.int(400))
            p0 = self.m.oracle.price
            self.run(Step.of("set_price", price=in_domain(p0 * (BPS + 380 + d.int(300)) // BPS)))  # a 3x short leaves 3.5x
            pay = self.keeper_payment(sht)
            if pay is not None and pay[1] + off - pay[0] > 0:
                self.run(Step.of("inject", "carol", base=0, quote=pay[1] + off - pay[0]))
            self.run(Step.of("rebalance", KEEPER, series=sht))

        def keeper_payment(self, series: str) -> tuple[int, int] | None:
            """(idle QUOTE when the reserve pays the keeper, entitled fee) of a rebalance now, from a
            clone of the model; None if it would revert or pay nothing."""
            clone, now = self.m.clone(), self.s.prev_state.time
            out, _ = modelside.apply(clone, Step.of("rebalance", KEEPER, series=series), now)
            ev = out.events_named("Rebalanced", series)
            if out.reverted is not None or not ev:
                return None
            entitled = P.keeper_fee_entitled(INT, self.m.series[series].p.keeper_fee,
                                             P.trade_notional(INT, ev[0]["baseAmount"], self.m.oracle.price))
            paid = sum(e["amount"] for e in out.events_named("KeeperPaid"))
            return (clone.reserve.idle_quote + paid, entitled) if entitled > 0 else None

        def empty_reserve(self, series: str, off: int) -> None:
            """A long mint borrowing exactly the reserve's idle QUOTE plus `off` (0: the reserve is left
            empty; +1: InsufficientLiquidity), after mints that drain it to a size one mint fills."""
            lng = series if self.m.series[series].p.is_long else next((x for x in series_labels if self.m.series[x].p.is_long), None)
            if lng is None:
                return
            self.drain_idle(lng, 10 * self.m.series[lng].p.keeper_fee, 300, rounds=6)
            for extra in range(4):  # a borrow of exactly `target` may not exist: nudge the idle up a wei
                st = self.s.prev_state
                s, target = st.series_state(lng), st.idle_quote + off
                if target <= 0 or (s.total_supply > 0 and st.value(s) <= 0):
                    return
                # the mint fee reaches the reserve before the borrow: idle at the borrow = idle + fee
                q = E.search(lambda x: E.mint_borrow_over_idle(st, s, x), 1, 2**128, off)
                if E.mint_borrow_over_idle(st, s, q) == off:
                    self.run(*self.funded("alice", "QUOTE", q), Step.of("mint", "alice", series=lng, quote_in=q))
                    return
                self.run(Step.of("inject", "carol", base=0, quote=1))

        def one_wei_series(self, series: str, follow: bool = True) -> None:
            """A series worth exactly 1 wei: emptied by its holders, then a first mint whose net is 1 wei
            (its bootstrap trade is dust); then a rebalance and a second minter."""
            for h in HOLDERS:
                if self.shares(h, series) > 0:
                    self.run(Step.of("redeem", h, series=series, shares=self.shares(h, series)))
            st = self.s.prev_state
            s = st.series_state(series)
            if s.total_supply > 0 or st.value(s) != 0:
                return
            q = E.search(lambda x: P.mint_payment(INT, s.params, x).net, 1, 2**64, 1)
            self.run(Step.of("mint", "carol", series=series, quote_in=q))
            if follow:
                self.run(Step.of("rebalance", KEEPER, series=series),
                         Step.of("mint", "alice", series=series, quote_in=(1 + s.params.keeper_fee // WAD) * WAD))

        def ripcord_under_floor(self, series: str) -> None:
            """A solvent series above its ripcord while the reserve is below its floor: the rebalance
            is refused BelowFloor, the ripcord must still run."""
            if not self.ensure_live(series):
                return
            # the floor is pushed up by a series of the other direction: the move that takes this one
            # past its ripcord raises that one's value (and the floor with it)
            p, long = self.m.series[series].p, self.m.series[series].p.is_long
            other = next((x for x in series_labels if self.m.series[x].p.is_long != long), series)
            self.floor_edge(-1, into=other)
            self.price_to(series, p.ripcord_lev + (p.ripcord_lev - p.max_lev) // 2)
            self.floor_edge(-1, into=other)
            self.run(Step.of("rebalance", KEEPER, series=series), Step.of("ripcord", KEEPER, series=series))

        def empty_pool(self, d: Draw) -> None:
            """Every LP leaves (the deployer holds the seed liquidity), then a first deposit at the
            oracle price: the pool's first-deposit square root after deployment."""
            p = self.m.pool
            for who in sorted(p.shares_of):
                if p.shares_of.get(who, 0) > 0:
                    self.run(Step.of("remove_liquidity", who, shares=p.shares_of[who]))
            base = (1 + d.int(1_000)) * WAD
            self.run(Step.of("add_liquidity", TRADER, base=base, quote=base * self.m.oracle.price // WAD, min_shares=1))

        # -------------------------------------------------------------- adversaries

        @rule(codes=codes)
        def adversaries(self, codes: list[int]) -> None:
            for code in codes:
                d = Draw(code)
                kind = d.pick(("sandwich", "first_depositor", "oracle_front_run", "donate", "crash",
                               "keeper_farm", "exhaust_reserve", "self_sandwich", "fallback_farm"))
                series = d.pick(series_labels)
                if kind == "sandwich":
                    live = [x for x in series_labels if self.m.tokens[x].total_supply > 0]
                    self.sandwich(series if not live else live[d.int(len(live))], d.flag(), 1 + d.int(1_000))
                elif kind == "keeper_farm":
                    self.keeper_farm(series, d)
                elif kind == "exhaust_reserve":
                    self.exhaust_reserve(d)
                elif kind == "self_sandwich":
                    self.self_sandwich(series, d)
                elif kind == "fallback_farm":
                    self.fallback_farm(series, d)
                elif kind == "first_depositor":
                    # mint dust, donate to the series to inflate NAV per share, then a victim mints
                    self.run(
                        Step.of("mint", "bob", series=series, quote_in=1 + d.int(10**6)),
                        Step.of("transfer", "bob", token=d.pick(("QUOTE", "BASE")), to=series, amount=d.amount()),
                        Step.of("mint", "alice", series=series, quote_in=d.amount()),
                    )
                elif kind == "oracle_front_run":
                    # mint just before an oracle update and redeem everything just after
                    who = d.pick(HOLDERS)
                    self.run(Step.of("mint", who, series=series, quote_in=d.amount()), self.price_step(d))
                    self.run(Step.of("redeem", who, series=series, shares=max(self.shares(who, series), 1)))
                elif kind == "crash":
                    self.crash(series, d)
                else:
                    to = d.pick(("pool", "reserve", *series_labels))
                    self.run(Step.of("transfer", "carol", token=d.pick(("BASE", "QUOTE")), to=to, amount=d.amount()))

        def crash(self, series: str, d: Draw) -> None:
            """The keepers sleep through an adverse move: ripcord, then settlement if it went under."""
            who, long = d.pick(HOLDERS), self.m.series[series].p.is_long
            self.run(Step.of("mint", who, series=series, quote_in=(1 + d.int(50_000)) * WAD))
            move, p0 = 500 + d.int(4_000), self.m.oracle.price
            price = p0 * (BPS - move if long else BPS + move) // BPS
            self.run(Step.of("set_price", price=in_domain(price)), Step.of("ripcord", KEEPER, series=series))
            self.run(Step.of("settle_insolvency", KEEPER, series=series))

        def sandwich(self, series: str, base_in: bool, frac: int, who: str = TRADER) -> None:
            """Move the pool, let the keeper rebalance into it, trade back with what was received."""
            out_token = "QUOTE" if base_in else "BASE"
            before = self.m.tokens[out_token].balance(who)
            self.run(self.swap_step(base_in, frac, who=who), Step.of("rebalance", KEEPER, series=series))
            got = self.m.tokens[out_token].balance(who) - before
            if got > 0:
                self.run(Step.of("swap_exact_in", who, token_in=out_token, amount_in=got))

        # Attackers who keep score (issue 12): each aims at a way to end a window richer than the
        # keeper fees it is entitled to (econ.profit), or to block rebalancing (the liveness checks).

        def keeper_farm(self, series: str, d: Draw) -> None:
            """Dust-series farming: shrink a series to dust (a tiny first mint into an empty series, or a
            holder redeeming all but dust), then rebalance it again and again at one price."""
            supply = self.m.tokens[series].total_supply
            if supply == 0:
                self.run(Step.of("mint", d.pick(HOLDERS), series=series, quote_in=1 + d.int(10**6)))
            else:
                who = max(HOLDERS, key=lambda h: self.shares(h, series))  # the largest holder
                keep = 1 + d.int(10**3)
                if self.shares(who, series) > keep:
                    self.run(Step.of("redeem", who, series=series, shares=self.shares(who, series) - keep))
            for _ in range(2 + d.int(7)):
                self.run(Step.of("rebalance", KEEPER, series=series))

        def exhaust_reserve(self, d: Draw) -> None:
            """Long mints sized from the model to leave the reserve less idle QUOTE than one keeper fee
            (the trader first cheapens BASE in the pool so that each mint's buy fits its slippage cap,
            then arbitrages it back), then a price move that takes the short out of its band and a
            rebalance (and a ripcord) of it."""
            longs = [x for x in series_labels if self.m.series[x].p.is_long]
            shorts = [x for x in series_labels if not self.m.series[x].p.is_long]
            if not longs or not shorts:
                return
            lng, sht = longs[d.int(len(longs))], shorts[d.int(len(shorts))]
            if self.m.tokens[sht].total_supply == 0:
                self.run(Step.of("mint", "bob", series=sht, quote_in=(1 + d.int(1_000)) * WAD))
            self.drain_idle(lng, d.int(self.m.series[sht].p.keeper_fee), 100 + d.int(400))  # below one keeper fee
            move, p0 = 380 + d.int(700), self.m.oracle.price  # +3.8% .. +10.8%: a 3x short leaves 3.5x
            self.run(Step.of("set_price", price=in_domain(p0 * (BPS + move) // BPS)), Step.of("rebalance", KEEPER, series=sht),
                     Step.of("ripcord", KEEPER, series=sht))

        def drain_idle(self, lng: str, left: int, dip: int, rounds: int = 4) -> None:
            """Long mints sized from the model to borrow the reserve's idle QUOTE down to about `left` (the
            trader first sells BASE worth `dip` bps of the pool so that each mint's buy fits its cap,
            then arbitrages it back)."""
            for _ in range(rounds):
                if self.m.reserve.idle_quote <= left:
                    break
                self.run(self.swap_step(True, dip))
                quote_in = self.mint_to_borrow(lng, self.m.reserve.idle_quote - left)
                if quote_in is not None:
                    self.run(Step.of("mint", "alice", series=lng, quote_in=quote_in))
                arb = self.arb_step()
                if arb is not None:
                    self.run(arb)
                if quote_in is None:
                    break

        def mint_to_borrow(self, series: str, borrow: int) -> int | None:
            """The QUOTE a long mint takes to borrow about `borrow` from the reserve, or less: at most what
            the pool fills within the slippage cap right now (the mint procedure's borrow and swap are
            linear in the net amount). None: nothing (more) can be borrowed this way."""
            st, price, pool = self.s.prev_state, self.m.oracle.price, self.m.pool
            s = st.series_state(series)
            if borrow <= 0 or price == 0 or not s.is_long or (s.total_supply > 0 and st.value(s) <= 0):
                return None
            probe = 10**6 * WAD
            plan = P.plan_mint(INT, s.params, s.total_supply == 0, s.base_held, s.quote_held, s.debt, price, probe)
            if plan.borrow <= 0 or plan.swap.amount <= 0:
                return None
            lo, hi = 0, pool.reserve_quote  # the largest QUOTE-in swap the pool fills above its oracle minimum
            while lo < hi:
                mid = (lo + hi + 1) // 2
                out = F.amount_out(INT, mid, pool.reserve_quote, pool.reserve_base, self.s.params.pool_fee_bps)
                lo, hi = (mid, hi) if out >= F.min_out_quote_to_base(INT, mid, price, s.params.slippage_cap_bps) else (lo, mid - 1)
            net = min(borrow * probe // plan.borrow, lo * 98 // 100 * probe // plan.swap.amount)
            return min(max(net * BPS // (BPS - s.params.mint_fee_bps), 1), UINT256_MAX) if net > 0 else None

        def self_sandwich(self, series: str, d: Draw) -> None:
            """The keeper trades the pool the way the series' rebalance will, rebalances, trades back."""
            st = self.s.prev_state
            s = st.series_state(series)
            if s.total_supply == 0 or st.value(s) <= 0:
                return self.keeper_farm(series, d)
            pos = P.position(INT, s.params, s.base_held, s.quote_held, s.debt, st.price)
            increase = bool(P.branch(INT, pos, True))
            series_buys_base = increase == s.is_long  # long increase / short decrease buy BASE
            # front-run with the series: up to twice the slippage cap, in bps of the pool's input reserve
            self.sandwich(series, not series_buys_base, 1 + d.int(2 * s.params.slippage_cap_bps), who=KEEPER)

        def fallback_farm(self, series: str, d: Draw) -> None:
            """Wait exactly for the fallback deadline (one second either side), refresh the oracle at the
            same price, and rebalance whatever little drift there is."""
            st = self.s.prev_state
            s = st.series_state(series)
            wait = s.last_rebalance + s.params.fallback_interval - st.time + d.int(3) - 1
            if wait > 0:
                self.run(Step.of("warp", seconds=wait))
            self.run(Step.of("set_price", price=max(self.m.oracle.price, 1)), Step.of("rebalance", KEEPER, series=series),
                     Step.of("rebalance", KEEPER, series=series))

    Differential.__name__ = "Differential"
    return Differential
