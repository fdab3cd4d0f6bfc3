"""``make_robust_scorer``: select models by robust accuracy in ``GridSearchCV``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import check_option
from .._base import Attack
from .._inference import inference_state
from .._space import check_input_data
from ._run import ModelView, check_attacks, default_space, prepare, robust_mask, run_attack

METRICS = ("accuracy", "balanced_accuracy")


class RobustScorer:
    """A scikit-learn scorer: ``scorer(estimator, X, y) -> robust accuracy``.

    Made by :func:`make_robust_scorer`; see there.
    """

    def __init__(self, attack: Attack, metric: str) -> None:
        self.attack = attack
        self.metric = metric

    def __repr__(self) -> str:
        return f"make_robust_scorer({self.attack!r}, metric={self.metric!r})"

    def __call__(self, estimator: Any, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Robust accuracy of the fitted ``estimator`` on ``(X, y)`` under the attack.

        ``sample_weight`` is accepted for scikit-learn's scorer protocol and ignored.
        """
        owner = "make_robust_scorer"
        check_input_data(X, owner=owner)
        with inference_state(estimator, owner=owner):
            view = ModelView(estimator, X)
            predicted = view.labels(X)
            y_idx = view.indices(y)
            correct = predicted == y_idx
            attack = prepare(self.attack, model=estimator, feature_space=default_space(X, None))
            robust = robust_mask(
                run_attack(attack, view, X, y, correct, changes=False), correct
            )
        if self.metric == "accuracy":
            return float(robust.mean())
        return float(np.mean([robust[y_idx == k].mean() for k in np.unique(y_idx)]))


def make_robust_scorer(attack: Attack, *, metric: str = "accuracy") -> RobustScorer:
    """Make a scorer that measures robust accuracy, for model selection.

    The scorer clones ``attack`` with ``model`` set to the estimator being scored, attacks
    the correctly classified samples of the scoring data, and returns the share that is
    classified correctly and not fooled (confirmed with the estimator's own prediction).
    Use it as ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_val_score`; higher is better.

    Parameters
    ----------
    attack : Attack
        An untargeted attack; its ``model`` is replaced (``None`` is fine). Without its
        own ``feature_space`` or ``bounds`` it gets ``FeatureSpace.from_frame`` of the
        scored data, so ``eps`` is in standard deviations of that data. Give it a
        ``random_state`` for reproducible scores.
    metric : {"accuracy", "balanced_accuracy"}, default="accuracy"
        ``"balanced_accuracy"`` averages the robust accuracy of each true class.

    Returns
    -------
    scorer : callable ``(estimator, X, y) -> float``

    See Also
    --------
    robustness_report : the full evaluation with several attacks and sanity flags.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from advval.attacks import SquareAttack
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> scorer = make_robust_scorer(SquareAttack(None, eps=0.3, steps=20, random_state=0))
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, scoring=scorer, cv=2)
    >>> bool(0.0 < search.fit(X, y).best_score_ < 1.0)
    True
    """
    if not isinstance(attack, Attack):
        raise ValueError(
            "The 'attack' parameter of make_robust_scorer must be an Attack instance. "
            f"Got {attack!r} instead."
        )
    check_attacks([attack], owner="make_robust_scorer")
    check_option(metric, name="metric", owner="make_robust_scorer", options=METRICS)
    return RobustScorer(attack, metric)
