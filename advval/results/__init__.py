"""Results as data: the frozen dataclasses every advval report is made of.

Each result is plain data with a ``to_dict()`` giving its JSON document, unrounded; the
one rule for writing that document (floats to 6 significant digits, NaN and infinity as
``null``) is :func:`json_text`. This package is the bottom floor of the reports: it imports
NumPy and the standard library only, nothing from ``advval.drift``, ``dependency``,
``attacks``, ``image``, ``report`` or ``cli``. The packages that compute results import it
(``advval.report.build_drift_report``, ``advval.attacks.robustness_report``,
``advval.image.evaluate_robustness``); ``advval.report`` renders them.

The public names stay where users find them (``advval.report.DriftReport``,
``advval.attacks.RobustnessReport``, ``advval.image.ImageRobustnessReport``...); they are
the same classes as here.

Examples
--------
>>> from advval.results import CurvePoint, json_text
>>> point = CurvePoint(norm="inf", eps=0.1, robust_accuracy=2 / 3, attacks=(("PGD", 2 / 3),))
>>> print(json_text({"eps": point.eps, "accuracy": point.robust_accuracy, "low": float("nan")}))
{
  "accuracy": 0.666667,
  "eps": 0.1,
  "low": null
}
"""

from ._dependency import DependencyReport, DependencyShift, FeatureDependency
from ._drift import (
    ColumnFacts,
    DatasetSummary,
    Distribution,
    DriftReport,
    DriftSegment,
    FeatureDrift,
    RemedyStep,
    RemedyStop,
    RocCurve,
    SegmentSearchSummary,
    SideSummary,
    WithoutLeaks,
)
from ._image import AdversarialExamples, ImageRobustnessReport
from ._json import (
    SCHEMA_VERSION,
    SIGNIFICANT_DIGITS,
    json_number,
    json_ready,
    json_setting,
    json_text,
)
from ._robustness import AttackResult, CurvePoint, FeatureUse, RobustnessReport, SanityFlag

__all__ = [
    "SCHEMA_VERSION",
    "SIGNIFICANT_DIGITS",
    "AdversarialExamples",
    "AttackResult",
    "ColumnFacts",
    "CurvePoint",
    "DatasetSummary",
    "DependencyReport",
    "DependencyShift",
    "Distribution",
    "DriftReport",
    "DriftSegment",
    "FeatureDependency",
    "FeatureDrift",
    "FeatureUse",
    "ImageRobustnessReport",
    "RemedyStep",
    "RemedyStop",
    "RobustnessReport",
    "RocCurve",
    "SanityFlag",
    "SegmentSearchSummary",
    "SideSummary",
    "WithoutLeaks",
    "json_number",
    "json_ready",
    "json_setting",
    "json_text",
]
