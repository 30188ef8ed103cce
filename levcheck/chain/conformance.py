"""The constructors refuse exactly what the spec refuses: every limit of `specs.params.validate()`,
on it and one unit past it (`constructor_boundaries`), deployed as a whole market; the deployment must
succeed where the spec accepts the set and revert with the spec's named error where it does not.

The fuzzer only ever deploys valid sets, so without this a constructor guard that is off by one at its
limit (or gone) is invisible to every campaign and scenario."""
from __future__ import annotations

from dataclasses import dataclass

from levcheck.specs.params import BUNDLED, MarketParams, constructor_boundaries

from .build import Artifacts
from .deploy import deploy_market
from .evm import Reverted, open_backend


@dataclass(frozen=True)
class Conformance:
    case: str
    expected: str | None  # the spec's error (None: accepted)
    got: str | None  # the deployment's revert error (None: deployed)
    where: str = ""  # the constructor or transaction that reverted

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def describe(self) -> str:
        want = f"reverts {self.expected}" if self.expected else "deploys"
        got = f"reverted {self.got}" + (f" in {self.where}" if self.where else "") if self.got else "deployed"
        return f"{self.case}: the spec says it {want}; the contracts {got}"


def constructor_conformance(artifacts: Artifacts, base: MarketParams = BUNDLED, backend: str = "pyrevm") -> list[Conformance]:
    out = []
    for b in constructor_boundaries(base):
        evm = open_backend(backend)
        try:
            deploy_market(evm, b.params, artifacts=artifacts, validate=False)
            got, where = None, ""
        except Reverted as exc:
            got, where = exc.error.name, exc.function
        finally:
            evm.close()
        out.append(Conformance(b.name, b.expected, got, where))
    return out
