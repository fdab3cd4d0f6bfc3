"""Adversarial validation: the drift check, where it lies (segments) and its remedies."""

from ._dropper import DriftFeatureDropper
from ._segments import Condition, Segment, SegmentSearch
from ._split import TestLikeSplit
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
]
