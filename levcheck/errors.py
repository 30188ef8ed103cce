"""Errors that the CLI turns into a clear message and exit code 2."""
from __future__ import annotations


class LevcheckError(Exception):
    """A user-facing error: the message says what is wrong and how to fix it."""


class ToolchainError(LevcheckError):
    """A missing or broken tool (node, npm's solc, an RPC endpoint)."""


class CompileError(LevcheckError):
    """Solidity did not compile; the message has one `file:line: message` per error."""
