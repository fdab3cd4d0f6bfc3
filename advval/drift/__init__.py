"""Adversarial validation: the drift check and (later) its remedies."""

from ._dropper import DriftFeatureDropper
from ._split import TestLikeSplit
from ._validator import AdversarialValidator
from ._weights import AdversarialWeighter

__all__ = [
    "AdversarialValidator",
    "AdversarialWeighter",
    "DriftFeatureDropper",
    "TestLikeSplit",
]
