"""levcheck's project detectors: one check per file, each a Slither AbstractDetector."""
from __future__ import annotations

from .base import LevcheckDetector
from .call_order import CallOrder
from .events_emitted import EventsEmitted
from .immutable_thresholds import ImmutableThresholds
from .keeper_fee import KeeperFee
from .rebalance_guards import RebalanceGuards
from .spec_names import SpecNames
from .swap_min_out import SwapMinOut
from .write_sets import WriteSets

PROJECT_DETECTORS: tuple[type[LevcheckDetector], ...] = (
    ImmutableThresholds,
    WriteSets,
    RebalanceGuards,
    SwapMinOut,
    EventsEmitted,
    KeeperFee,
    CallOrder,
    SpecNames,
)

__all__ = ["PROJECT_DETECTORS", "LevcheckDetector"]
