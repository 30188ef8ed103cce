"""The chain layer: the toolchain (one compile cache), the ABI codec, the EVM backends, the deployment
fixture, and the differential session that steps the reference model and an EVM side by side.

It sits on the spec layer (`levcheck.specs`) and under proofs, fuzz and analysis, which all use it."""
