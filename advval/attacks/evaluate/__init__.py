"""Honest evaluation and training on top of any attack.

- :func:`robustness_report`: clean and robust accuracy (worst case per sample over
  several attacks), fooling rates, perturbation sizes, queries, the features attackers
  change, accuracy versus eps and AutoAttack's sanity flags;
- :func:`make_robust_scorer`: robust accuracy as a scikit-learn scorer, for model
  selection with ``GridSearchCV``;
- :class:`AdversarialTrainingClassifier`: a meta-classifier trained on adversarial
  examples against itself.

They work with every :class:`~advval.attacks.Attack` and never change the attack objects
they are given (they use clones).
"""

from ._report import (
    AttackResult,
    CurvePoint,
    FeatureUse,
    RobustnessReport,
    SanityFlag,
    robustness_report,
)
from ._scorer import RobustScorer, make_robust_scorer
from ._training import AdversarialTrainingClassifier

__all__ = [
    "AdversarialTrainingClassifier",
    "AttackResult",
    "CurvePoint",
    "FeatureUse",
    "RobustScorer",
    "RobustnessReport",
    "SanityFlag",
    "make_robust_scorer",
    "robustness_report",
]
