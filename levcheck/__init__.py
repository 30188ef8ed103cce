"""levcheck: proofs, differential fuzzing and static analysis for a leveraged-token protocol."""

__version__ = "0.1.0"
