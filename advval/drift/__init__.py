"""Adversarial validation: the drift check, where it lies (segments), its remedies and summary."""

from ._dropper import DriftFeatureDropper
from ._segments import Condition, Segment, SegmentSearch
from ._split import TestLikeSplit
from ._summary import summarize
from ._validator import AdversarialValidator
from ._weights import AdversarialWeighter

__all__ = [
    "AdversarialValidator",
    "AdversarialWeighter",
    "Condition",
    "DriftFeatureDropper",
    "Segment",
    "SegmentSearch",
    "TestLikeSplit",
    "summarize",
]
