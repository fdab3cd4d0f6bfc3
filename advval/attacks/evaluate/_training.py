"""``AdversarialTrainingClassifier``: train on clean rows plus adversarial examples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
    is_classifier,
)
from sklearn.utils import assert_all_finite, check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ..._validation import check_number
from .._base import Attack
from .._space import check_input_data
from ._run import (
    ModelView,
    check_attacks,
    default_space,
    draw_seed,
    n_samples,
    prepare,
    take,
)


def _estimator_has(method: str) -> Any:
    def check(self: AdversarialTrainingClassifier) -> bool:
        inner = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(inner, method)

    return check


class AdversarialTrainingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier trained on its clean rows plus adversarial examples against itself.

    ``fit`` trains a clone of ``estimator`` on the clean data; then, for each round, it
    attacks the current model on a random share ``ratio`` of the training rows, labels
    the adversarial rows with the true labels, and refits a fresh clone on the clean rows
    plus all adversarial rows made so far (adversarial data augmentation, the
    non-differentiable counterpart of Madry et al.'s min-max training: it works with any
    attack and any classifier, trees included).

    Parameters
    ----------
    estimator : classifier
        Cloned, never fitted itself. Pipelines with preprocessing work: the attack
        perturbs the raw input columns.
    attack : Attack
        An untargeted attack; each round uses a clone with ``model`` set to the current
        fitted estimator (so its own ``model`` may be ``None``).
    ratio : float, default=0.5
        Share of the training rows attacked each round, in (0, 1]: each round adds
        ``round(ratio * n_samples)`` adversarial rows.
    rounds : int, default=1
        Rounds of attack-and-refit; 0 trains on clean data only.
    feature_space : FeatureSpace, optional
        Given to the attack when it has neither a ``feature_space`` nor ``bounds``.
        Default: ``FeatureSpace.from_frame`` of the training data, so ``eps`` is in its
        standard deviations and adversarial rows keep its ranges, integer and
        categorical columns.
    random_state : int, RandomState or None
        Chooses the attacked rows and seeds an attack that has no ``random_state`` of its
        own. The estimator's own ``random_state`` is left as it is.

    Attributes
    ----------
    estimator_ : classifier
        The final model, fitted on clean and adversarial rows.
    history_ : list of dict
        One entry per model trained (``round`` 0 is the clean model): ``clean_accuracy``
        on all training rows, ``robust_accuracy`` on the rows attacked against that model
        (classified correctly and not fooled), ``n_train`` rows it was fitted on.
    classes_ : ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Delegated to ``estimator_`` (when it has them).

    See Also
    --------
    make_robust_scorer : compare the trained model with the plain one.
    robustness_report : evaluate it against several attacks.

    References
    ----------
    I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing adversarial
    examples", ICLR 2015; A. Madry et al., "Towards deep learning models resistant to
    adversarial attacks", ICLR 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from advval.attacks import SquareAttack
    >>> X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    >>> clf = AdversarialTrainingClassifier(
    ...     tree, SquareAttack(None, eps=0.3, steps=20), random_state=0
    ... ).fit(X, y)
    >>> [(h["round"], h["n_train"]) for h in clf.history_]
    [(0, 100), (1, 150)]
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        estimator: Any,
        attack: Attack,
        *,
        ratio: float = 0.5,
        rounds: int = 1,
        feature_space: Any = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.attack = attack
        self.ratio = ratio
        self.rounds = rounds
        self.feature_space = feature_space
        self.random_state = random_state

    def _check_params(self) -> None:
        name = type(self).__name__
        if not is_classifier(self.estimator):
            raise ValueError(
                f"The 'estimator' parameter of {name} must be a scikit-learn classifier. "
                f"Got {self.estimator!r} instead."
            )
        if not isinstance(self.attack, Attack):
            raise ValueError(
                f"The 'attack' parameter of {name} must be an Attack instance. "
                f"Got {self.attack!r} instead."
            )
        check_attacks([self.attack], owner=name)
        check_number(self.ratio, name="ratio", owner=name, low=0, high=1, closed="right")
        check_number(self.rounds, name="rounds", owner=name, kind=int, low=0)

    def fit(self, X: Any, y: Any) -> AdversarialTrainingClassifier:
        """Fit on ``X`` plus adversarial examples made against the model being trained.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            DataFrames are passed to the estimator as they are (so a Pipeline can encode
            text columns); other input is converted to a numeric array.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            X = check_array(X, dtype="numeric", ensure_all_finite=False)
        check_input_data(X, owner=f"{type(self).__name__}.fit")
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name="y")
        check_consistent_length(X, y)
        check_classification_targets(y)
        rng = check_random_state(self.random_state)
        space = default_space(X, self.feature_space)
        n = n_samples(X)
        n_adv = min(n, max(1, int(round(self.ratio * n))))
        parts_X, parts_y = [X], [y]
        model = clone(self.estimator).fit(X, y)
        history = []
        for round_ in range(self.rounds + 1):
            rows = np.sort(rng.choice(n, n_adv, replace=False)) if n_adv < n else np.arange(n)
            attack = prepare(self.attack, model=model, feature_space=space, seed=draw_seed(rng))
            X_adv = attack.generate(take(X, rows), y[rows])
            view = ModelView(model, X)
            predicted = view.labels(X)
            y_idx = view.indices(y)
            correct = predicted == y_idx
            robust = correct[rows] & (view.labels(X_adv) == y_idx[rows])
            history.append({
                "round": round_,
                "clean_accuracy": float(correct.mean()),
                "robust_accuracy": float(robust.mean()),
                "n_train": sum(n_samples(part) for part in parts_X),
            })
            if round_ == self.rounds:
                break
            parts_X.append(X_adv)
            parts_y.append(y[rows])
            model = clone(self.estimator).fit(_stack(parts_X), np.concatenate(parts_y))
        self.estimator_ = model
        self.history_ = history
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = False
        return tags

    @property
    def classes_(self) -> np.ndarray:
        """Class labels (of ``estimator_``)."""
        check_is_fitted(self)
        return self.estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        """Number of features seen in ``fit`` (of ``estimator_``)."""
        check_is_fitted(self)
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Column names seen in ``fit`` (of ``estimator_``, when fitted on a DataFrame)."""
        check_is_fitted(self)
        return self.estimator_.feature_names_in_

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels of ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities of ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)


def _stack(parts: list[Any]) -> Any:
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate([np.asarray(p) for p in parts])
