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

from ._ensemble import EnsembleClassifier
from ._evaluate import AdversarialExamples, ImageRobustnessReport, evaluate_robustness
from ._normalize import Normalize
from ._patch import AdversarialPatch, apply_patch
from ._pictures import patch_png, triplet_grid
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
