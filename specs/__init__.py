"""The protocol's specification: arithmetic, formulas, parameters, invariants and reference model.

SPEC.md is the prose; `arith` and `formulas` are the one definition of every quantity, run on Python
ints by the reference model and on Z3 terms by the proofs.
"""
