"""Input-preprocessing defenses as ``nn.Module`` layers, each with a BPDA path.

Put a defense in front of a classifier (``nn.Sequential(defense, model)``) and attack the
whole. ``bpda=True`` keeps the defense's forward pass and replaces its gradient by the
identity (Athalye et al. 2018), the adaptive attack for non-differentiable transforms;
:class:`RandomResizePad` takes a ``torch.Generator`` so expectation-over-transformation
attacks can average over reproducible draws.
"""

from __future__ import annotations

from ._adversarial_training import TrainingHistory, adversarial_training
from ._detector import (
    AttackDetection,
    DetectionReport,
    FeatureSqueezingDetector,
    SqueezingAwareModel,
    detection_report,
)
from ._distillation import DefensiveDistillation
from ._preprocess import BitDepthReduction, JPEGCompression, MedianSmoothing, RandomResizePad

__all__ = [
    "AttackDetection",
    "BitDepthReduction",
    "DefensiveDistillation",
    "DetectionReport",
    "FeatureSqueezingDetector",
    "JPEGCompression",
    "MedianSmoothing",
    "RandomResizePad",
    "SqueezingAwareModel",
    "TrainingHistory",
    "adversarial_training",
    "detection_report",
]
