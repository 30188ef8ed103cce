"""Z3 proofs of the protocol's invariants (band, floor, fees, decay), built from `specs.formulas`.

`run_proofs(params, timeout_s=10, dump_smt=None, scenario_dir=None, only=None)` decides every
obligation and returns typed `ObligationResult`s (`Status`: proved / counterexample / potential /
unknown); `obligations(params)` lists them. See notes/issue-5.md for the encodings and domains.
"""
from .core import Obligation, ObligationResult, Status
from .registry import obligations, run_proofs

__all__ = ["Obligation", "ObligationResult", "Status", "obligations", "run_proofs"]
