"""The drift result objects, now in :mod:`advval.results` (re-exported here).

Kept so that ``from advval.report._result import DriftReport`` (and the other names) keeps
working; the classes are the same objects as ``advval.results.DriftReport`` etc.
"""

from __future__ import annotations

from ..compare import BaselineCheck
from ..results._drift import (
    SCHEMA_VERSION,
    ColumnFacts,
    DatasetSummary,
    Distribution,
    DriftReport,
    DriftSegment,
    FeatureDrift,
    RemedyStep,
    RocCurve,
    SegmentSearchSummary,
    SideSummary,
    WithoutLeaks,
)

__all__ = [
    "SCHEMA_VERSION",
    "BaselineCheck",
    "ColumnFacts",
    "DatasetSummary",
    "Distribution",
    "DriftReport",
    "DriftSegment",
    "FeatureDrift",
    "RemedyStep",
    "RocCurve",
    "SegmentSearchSummary",
    "SideSummary",
    "WithoutLeaks",
]
