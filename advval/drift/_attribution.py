"""Which columns drive the domain classifier: SHAP on out-of-fold rows, per fold.

Attributions are computed for each fold's model on that fold's held-out rows (at most
``ROWS_PER_FOLD`` of them), so they describe what generalises, not what was memorised.
Datetime columns are expanded into several model columns; their SHAP values are summed
back to the user's column before taking absolute values (SHAP values are additive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin

from .._models import positive_scores, tree_contributions
from .._stats import auc_score

#: held-out rows per fold explained by SHAP (the mean |SHAP| converges long before)
ROWS_PER_FOLD = 2000


@dataclass(frozen=True)
class Attribution:
    """Per-fold importances of the user's columns.

    Attributes
    ----------
    per_fold : ndarray of shape (n_folds, n_columns)
    method : {"tree_shap", "permutation"}
    """

    per_fold: NDArray[np.float64]
    method: str

    @property
    def mean(self) -> NDArray[np.float64]:
        return np.asarray(self.per_fold.mean(axis=0))

    @property
    def std(self) -> NDArray[np.float64]:
        if self.per_fold.shape[0] < 2:
            return np.zeros(self.per_fold.shape[1])
        return np.asarray(self.per_fold.std(axis=0, ddof=1))


def attribute(
    models: Sequence[ClassifierMixin],
    X: pd.DataFrame,
    y: NDArray[np.int_],
    folds: NDArray[np.intp],
    *,
    source: Sequence[str],
    columns: Sequence[str],
    random_state: int,
) -> Attribution:
    """Mean |SHAP| (or permutation AUC drop) of each user column, for each fold.

    Parameters
    ----------
    models : sequence of fitted classifiers
        ``models[k]`` was trained without fold ``k``.
    X, y, folds
        Encoded matrix, domain labels and fold of each row.
    source : sequence of str
        User column of each encoded column.
    columns : sequence of str
        The user columns, in output order.
    random_state : int
        Seeds the row subsample and permutations.
    """
    rng = np.random.default_rng(random_state)
    to_column = _aggregation_matrix(source, columns)
    rows = []
    method = "tree_shap"
    for k, model in enumerate(models):
        held_out = np.flatnonzero(folds == k)
        if held_out.size > ROWS_PER_FOLD:
            held_out = np.sort(rng.choice(held_out, size=ROWS_PER_FOLD, replace=False))
        X_fold = X.iloc[held_out]
        contributions = tree_contributions(model, X_fold)
        if contributions is None:
            method = "permutation"
            rows.append(_permutation_drop(model, X_fold, y[held_out], columns, source, rng))
        else:
            rows.append(np.abs(contributions @ to_column).mean(axis=0))
    return Attribution(per_fold=np.vstack(rows), method=method)


def _aggregation_matrix(source: Sequence[str], columns: Sequence[str]) -> NDArray[np.float64]:
    position = {name: j for j, name in enumerate(columns)}
    matrix = np.zeros((len(source), len(columns)))
    for i, name in enumerate(source):
        matrix[i, position[name]] = 1.0
    return matrix


def _permutation_drop(
    model: ClassifierMixin,
    X: pd.DataFrame,
    y: NDArray[np.int_],
    columns: Sequence[str],
    source: Sequence[str],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Drop in held-out AUC when a user column (all its encoded parts) is shuffled."""
    if y.min() == y.max():
        return np.zeros(len(columns))
    baseline = auc_score(y, positive_scores(model, X))
    drops = np.empty(len(columns))
    for j, column in enumerate(columns):
        parts = [c for c, s in zip(X.columns, source, strict=True) if s == column]
        order = rng.permutation(len(X))
        # take + set_axis keeps each column's dtype (a categorical stays categorical)
        shuffled = X.assign(**{c: X[c].take(order).set_axis(X.index) for c in parts})
        drops[j] = max(baseline - auc_score(y, positive_scores(model, shuffled)), 0.0)
    return drops
