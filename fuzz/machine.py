"""The Hypothesis state machine: actors drive the model and the EVM together, one `Session`.

Every rule turns drawn choices into concrete `Step`s (amounts resolved against the model's state:
"a third of my shares", "5% of the pool"), then runs each step on both sides through
`Session.step`, which compares everything and checks the invariants. A rule runs one to three steps
(richer steps, less Hypothesis overhead per differential step). The executed steps are recorded, so
a failure becomes a scenario file that replays without Hypothesis.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from specs.arith import BPS, WAD

from .runner import Session, StepReport
from .scenario import Step

HOLDERS = ("alice", "bob", "carol")
TRADER, KEEPER = "trader", "keeper1"
MACHINE_ACTORS = HOLDERS + (TRADER, KEEPER)

# amounts: dust (1 wei .. 0.9 QUOTE), ordinary (1 .. 250k whole units) and whales (1e23 .. 9e25, beyond
# the reserve's lending capacity); each shrinks towards small round numbers
amounts = st.one_of(
    st.builds(lambda m, e: m * 10**e, st.integers(1, 9), st.integers(0, 17)),
    st.builds(lambda n: n * WAD, st.integers(1, 250_000)),
    st.builds(lambda m, e: m * 10**e, st.integers(1, 9), st.integers(23, 25)),
)
fractions = st.one_of(st.just(BPS), st.integers(1, BPS))  # bps of a balance; "all of it" is common
warps = st.one_of(st.integers(1, 120), st.integers(60, 3_600), st.integers(3_600, 3 * 86_400))


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
    history: list[Step] = field(default_factory=list)


def make_machine(session: Session, recorder: Recorder) -> type[RuleBasedStateMachine]:
    series_labels = tuple(session.model.series)
    series_st = st.sampled_from(series_labels)

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            session.reset()
            self.s = session
            self.steps: list[Step] = []
            recorder.examples += 1

        # -------------------------------------------------------------- plumbing

        def run(self, *steps: Step) -> None:
            for step in steps:
                report = self.s.step(len(self.steps), step)
                self.steps.append(step)
                recorder.steps_total += 1
                if not report.ok:
                    if recorder.steps_to_first_failure is None:
                        recorder.steps_to_first_failure = recorder.steps_total
                        recorder.seconds_to_first_failure = time.perf_counter() - recorder.started
                    recorder.failing_steps = list(self.steps)
                    recorder.failing_report = report
                    note(report.render())
                    raise DifferentialFailure(report)

        @property
        def m(self):
            return self.s.model

        def shares(self, who: str, series: str) -> int:
            return self.m.tokens[series].balance(who)

        # -------------------------------------------------------------- holders

        @rule(who=st.sampled_from(HOLDERS), series=series_st, amount=amounts, strict=st.booleans())
        def mint(self, who: str, series: str, amount: int, strict: bool) -> None:
            # `strict` asks for at least what the model says: a user's minimum-out protection path
            self.run(Step.of("mint", who, series=series, quote_in=amount, min_shares=1 if strict else 0))

        @rule(who=st.sampled_from(HOLDERS), series=series_st, frac=fractions)
        def redeem(self, who: str, series: str, frac: int) -> None:
            shares = max(self.shares(who, series) * frac // BPS, 1)
            self.run(Step.of("redeem", who, series=series, shares=shares))

        @rule(who=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), series=series_st, frac=fractions)
        def transfer_shares(self, who: str, to: str, series: str, frac: int) -> None:
            self.run(Step.of("transfer", who, token=series, to=to, amount=self.shares(who, series) * frac // BPS))

        @rule(who=st.sampled_from(HOLDERS), series=series_st, amount=amounts)
        def round_trip(self, who: str, series: str, amount: int) -> None:
            self.run(Step.of("mint_redeem", who, series=series, quote_in=amount))

        # -------------------------------------------------------------- traders and the oracle

        @rule(base_in=st.booleans(), frac=st.integers(1, 2_000), exact_out=st.booleans())
        def swap(self, base_in: bool, frac: int, exact_out: bool) -> None:
            self.run(self._swap(base_in, frac, exact_out))

        def _swap(self, base_in: bool, frac: int, exact_out: bool = False) -> Step:
            p = self.m.pool
            token = "BASE" if base_in else "QUOTE"
            if exact_out:
                r_out = p.reserve_quote if base_in else p.reserve_base
                return Step.of("swap_exact_out", TRADER, token_in=token, amount_out=max(r_out * frac // BPS, 1))
            r_in = p.reserve_base if base_in else p.reserve_quote
            return Step.of("swap_exact_in", TRADER, token_in=token, amount_in=max(r_in * frac // BPS, 1))

        @rule(kind=st.sampled_from(["small", "jump", "arb"]), up=st.booleans(), bps=st.integers(0, 4_000))
        def set_price(self, kind: str, up: bool, bps: int) -> None:
            p0 = self.m.oracle.price
            if kind == "arb":
                price = max(self.m.spot_price(), 1)
            else:
                move = bps % 300 if kind == "small" else 500 + bps
                price = max(p0 * (BPS + move if up else BPS - min(move, 9_000)) // BPS, 1)
            self.run(Step.of("set_price", price=price))

        @rule(seconds=warps)
        def warp(self, seconds: int) -> None:
            self.run(Step.of("warp", seconds=seconds))

        # -------------------------------------------------------------- keepers, fees, reserve

        @rule(series=series_st, which=st.sampled_from(["rebalance", "rebalance", "ripcord", "settle_insolvency"]))
        def keeper(self, series: str, which: str) -> None:
            self.run(Step.of(which, KEEPER, series=series))

        @rule(which=st.sampled_from(["allocate_fees", "checkpoint"]))
        def periodic(self, which: str) -> None:
            self.run(Step.of(which, KEEPER))

        @rule(base=st.one_of(st.just(0), amounts), quote=st.one_of(st.just(0), amounts))
        def inject(self, base: int, quote: int) -> None:
            self.run(Step.of("inject", "carol", base=base, quote=quote))

        # -------------------------------------------------------------- adversaries

        @rule(series=series_st, base_in=st.booleans(), frac=st.integers(1, 1_000))
        def sandwich(self, series: str, base_in: bool, frac: int) -> None:
            """Move the pool, let the keeper rebalance into it, trade back with what was received."""
            front = self._swap(base_in, frac)
            before = self.m.tokens["QUOTE" if base_in else "BASE"].balance(TRADER)
            self.run(front, Step.of("rebalance", KEEPER, series=series))
            got = self.m.tokens["QUOTE" if base_in else "BASE"].balance(TRADER) - before
            if got > 0:
                self.run(Step.of("swap_exact_in", TRADER, token_in="QUOTE" if base_in else "BASE", amount_in=got))

        @rule(series=series_st, dust=st.integers(1, 10**6), donation=amounts, victim=amounts, base=st.booleans())
        def first_depositor(self, series: str, dust: int, donation: int, victim: int, base: bool) -> None:
            """Mint dust, donate to the series to inflate NAV per share, then let a victim mint."""
            self.run(
                Step.of("mint", "bob", series=series, quote_in=dust),
                Step.of("transfer", "bob", token="BASE" if base else "QUOTE", to=series, amount=donation),
                Step.of("mint", "alice", series=series, quote_in=victim),
            )

        @rule(who=st.sampled_from(HOLDERS), series=series_st, amount=amounts, up=st.booleans(), bps=st.integers(1, 1_500))
        def oracle_front_run(self, who: str, series: str, amount: int, up: bool, bps: int) -> None:
            """Mint just before an oracle update and redeem everything just after."""
            p0 = self.m.oracle.price
            price = max(p0 * (BPS + bps if up else BPS - bps) // BPS, 1)
            self.run(Step.of("mint", who, series=series, quote_in=amount), Step.of("set_price", price=price))
            self.run(Step.of("redeem", who, series=series, shares=max(self.shares(who, series), 1)))

        @rule(token=st.sampled_from(["BASE", "QUOTE"]), to=st.sampled_from(["pool", "reserve", *series_labels]), amount=amounts)
        def donate(self, token: str, to: str, amount: int) -> None:
            self.run(Step.of("transfer", "carol", token=token, to=to, amount=amount))

    Differential.__name__ = "Differential"
    return Differential


def scaled(x: int) -> str:
    return f"{x / WAD:g}"
