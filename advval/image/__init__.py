"""Image classifiers: normalization inside the model, preprocessing defenses, ensembles.

Attacks on images work in raw pixel space with explicit bounds (for example
``PGD(model, bounds=(0, 1))``); the model owns its normalization through :class:`Normalize`,
so the eps-ball is measured in pixels, not in standardized units. This subpackage needs
PyTorch (``pip install "advval[torch]"``); ``import advval`` does not import it.

Examples
--------
>>> import torch
>>> from advval.image import Normalize
>>> Normalize([0.5], [0.25])(torch.ones(1, 1, 2, 2))
tensor([[[[2., 2.],
          [2., 2.]]]])
"""

from __future__ import annotations

from typing import Any

from ._ensemble import EnsembleClassifier
from ._evaluate import AdversarialExamples, ImageRobustnessReport, evaluate_robustness
from ._normalize import Normalize
from ._patch import AdversarialPatch, apply_patch
from .defenses import (
    BitDepthReduction,
    DefensiveDistillation,
    DetectionReport,
    FeatureSqueezingDetector,
    JPEGCompression,
    MedianSmoothing,
    RandomResizePad,
    TrainingHistory,
    adversarial_training,
    detection_report,
)

__all__ = [
    "AdversarialExamples",
    "AdversarialPatch",
    "BitDepthReduction",
    "DefensiveDistillation",
    "DetectionReport",
    "EnsembleClassifier",
    "FeatureSqueezingDetector",
    "ImageRobustnessReport",
    "JPEGCompression",
    "MedianSmoothing",
    "Normalize",
    "RandomResizePad",
    "TrainingHistory",
    "adversarial_training",
    "apply_patch",
    "detection_report",
    "evaluate_robustness",
    "patch_png",
    "triplet_grid",
]


#: pictures are rendered by the report layer; these older names resolve there on first use
_PICTURES = ("patch_png", "triplet_grid")


def __getattr__(name: str) -> Any:
    """``patch_png`` and ``triplet_grid``, from :mod:`advval.report._png` (PEP 562)."""
    if name in _PICTURES:
        from ..report import _png

        return getattr(_png, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
