"""Re-checking a fitted validator's drift with some columns removed, at the cost of one fit.

The remedy (:class:`~advval.drift.DriftFeatureDropper`) asks, step after step, whether
the data still drift once a few more columns are gone. Refitting the whole validator for
every step (``2 K - 2`` models, the encoding, the per-column tests) made the remedy nine
tenths of a run's cost. A step changes only the columns the classifier may use, so a step
here is one model, trained exactly like the validator's last fold model (same budgeted
rows, same folds, same seed and stopping rule) on the remaining columns, and scored on that
last fold. Its held-out rank test is exact (the model never saw the fold), its AUC
interval is DeLong's on independent rows, and every step is scored on the same rows, so
the steps compare paired. The first step needs no fit at all: the validator's own last
fold model gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._lightgbm import can_train_on_subsets
from .._models import positive_scores
from .._stats import auc_interval, delong_variance, rank_test
from ._attribution import _permutation_drop, attribute
from ._validator import alpha_split

if TYPE_CHECKING:
    from ._validator import AdversarialValidator


@dataclass(frozen=True)
class HeldOutStep:
    """The drift check of one set of columns on the held-out fold.

    Attributes
    ----------
    auc, auc_low, auc_high : float
        The model's AUC on the held-out fold and its DeLong interval.
    p_value : float
        One-sided Mann-Whitney p-value of "no difference" on the held-out fold, doubled
        (at most 1) when the validator's columns count toward its verdict (the classifier's
        half of ``alpha``, as ``classifier_p_value_``).
    drift : bool
        ``p_value < alpha`` and ``auc_low > 0.5 + min_effect`` (the validator's rule).
    importance : Series
        Mean |SHAP| of each remaining user column on the held-out rows, highest first.
    model, X : classifier, DataFrame
        The step's model and the encoded matrix it reads (for :meth:`HeldOutCheck.confirm`).
    """

    auc: float
    auc_low: float
    auc_high: float
    p_value: float
    drift: bool
    importance: pd.Series
    model: Any = field(repr=False, default=None)
    X: pd.DataFrame | None = field(repr=False, default=None)
    source: tuple[str, ...] = field(repr=False, default=())


class HeldOutCheck:
    """The validator's last fold, re-checked with columns removed.

    Parameters
    ----------
    validator : AdversarialValidator
        Fitted on ``train`` and ``test`` (pandas inputs).
    train, test : DataFrame
        The frames it was fitted on (feature columns only).
    """

    def __init__(
        self, validator: AdversarialValidator, train: pd.DataFrame, test: pd.DataFrame
    ) -> None:
        state, budget = validator._crossfit, validator._budget
        if state is None or budget is None:  # callers check first (check_prefit)
            raise ValueError("HeldOutCheck needs a validator fitted on pandas frames.")
        train_rows, test_rows = budget
        encoder = validator.encoder_
        self._validator = validator
        self._source = list(encoder.source)
        self._X = pd.concat(
            [encoder.transform(train.iloc[train_rows]), encoder.transform(test.iloc[test_rows])],
            ignore_index=True,
        )
        self._y = np.r_[
            np.zeros(len(train_rows), dtype=np.int_), np.ones(len(test_rows), dtype=np.int_)
        ]
        self._state = state
        self._fitter = state.fitter(self._X, self._y)
        self._constrained = can_train_on_subsets(state.estimator)
        self._last = int(state.folds.max())
        self._held_out = np.flatnonzero(state.folds == self._last)
        self._scores_first = np.r_[
            validator.oof_proba_[train_rows], validator.oof_proba_[validator.n_train_ + test_rows]
        ][self._held_out]

    def first(self) -> HeldOutStep:
        """Every column, from the validator's own last fold model (no fit)."""
        importance = self._validator.feature_report_["importance"]
        model = self._validator.estimators_[self._last]
        return self._step(
            self._scores_first, importance.astype(np.float64), model, self._X, self._source
        )

    def confirm(
        self, step: HeldOutStep, candidates: Sequence[str], *, random_state: int
    ) -> pd.Series:
        """Held-out AUC drop of the step's model when each candidate column is shuffled.

        SHAP says how much a model *uses* a column, including a column it overfitted (a
        50-level noise column on a small sample); shuffling it among the held-out rows
        says how much of the difference the model *finds* there. Highest drop first.
        """
        assert step.model is not None and step.X is not None
        rng = np.random.default_rng(random_state)
        held = step.X.iloc[self._held_out]
        drops = _permutation_drop(
            step.model, held, self._y[self._held_out], list(candidates), list(step.source), rng
        )
        return pd.Series(drops, index=pd.Index(candidates)).sort_values(
            ascending=False, kind="stable"
        )

    def without(self, removed: Sequence[str], *, random_state: int) -> HeldOutStep:
        """The columns of the validator less ``removed``: one model trained and scored.

        A LightGBM model is trained on the binned dataset of every column, restricted to
        the remaining ones (nothing is binned again); another estimator is fitted on the
        remaining columns.
        """
        gone = set(removed)
        keep = tuple(j for j, column in enumerate(self._source) if column not in gone)
        training = tuple(range(self._last))
        if self._constrained:
            X, source = self._X, self._source
            model = self._fitter.model_on_columns(training, keep)
        else:
            X = self._X.iloc[:, list(keep)]
            source = [self._source[j] for j in keep]
            model = self._state.fitter(X, self._y).model(training)
        scores = positive_scores(model, X.iloc[self._held_out])
        folds = np.where(self._state.folds == self._last, 0, -1)
        columns = list(dict.fromkeys(source))
        attribution = attribute(
            [model], X, self._y, folds, source=source, columns=columns, random_state=random_state
        )
        importance = pd.Series(attribution.mean, index=pd.Index(columns, name="feature"))
        importance = importance[[c for c in columns if c not in gone]]
        importance = importance.sort_values(ascending=False, kind="stable")
        return self._step(scores, importance, model, X, source)

    def _step(
        self,
        scores: NDArray[np.float64],
        importance: pd.Series,
        model: Any,
        X: pd.DataFrame,
        source: Sequence[str],
    ) -> HeldOutStep:
        validator = self._validator
        y = self._y[self._held_out]
        test = rank_test(y, scores)
        low, high = auc_interval(test.auc, delong_variance(y, scores), validator.confidence)
        # adjusted as the validator's classifier p-value is: doubled when the columns count
        p_value = min(1.0, alpha_split(validator.correction) * float(test.p_value))
        drift = bool(p_value < validator.alpha and low > 0.5 + validator.min_effect)
        return HeldOutStep(
            auc=float(test.auc),
            auc_low=float(low),
            auc_high=float(high),
            p_value=p_value,
            drift=drift,
            importance=importance,
            model=model,
            X=X,
            source=tuple(source),
        )
