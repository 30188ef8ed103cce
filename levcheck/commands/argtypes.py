"""Argument types shared by the subcommands: a value that would mean nothing (0 paths, a 0 s timeout,
a negative budget) is refused by argparse with a message that says what was expected (exit 2)."""
from __future__ import annotations

import argparse
from typing import Callable


def at_least(minimum: float, cast: Callable[[str], float] = int, unit: str = "") -> Callable[[str], float]:
    """A `cast` value >= `minimum` ("must be at least 1, got 0")."""
    def parse(text: str) -> float:
        value = cast(text)
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"must be {unit + ' ' if unit else ''}at least {minimum:g}, got {text}")
        return value
    return parse


def positive(cast: Callable[[str], float] = float, unit: str = "") -> Callable[[str], float]:
    """A `cast` value > 0 ("must be a positive number of seconds, got 0")."""
    def parse(text: str) -> float:
        value = cast(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, got {text}" if unit else f"must be positive, got {text}")
        return value
    return parse


def seconds_or_more(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    """0..1, or a percentage ("80%")."""
    value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction 0..1 (or a percentage), got {text}")
    return value
