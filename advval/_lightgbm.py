"""LightGBM models trained on row subsets of one binned dataset.

Cross-fitting trains the same classifier on many unions of folds of one matrix. Through
``LGBMClassifier.fit`` every fit converts its DataFrame to NumPy and bins it again, and on
a wide table that costs more than the boosting itself (measured on a 93,000 x 127 Kaggle
table: 1.6 s of binning and conversion against 1.0 s of boosting per fit). Here the matrix
is converted and binned once (:class:`BinnedRows`), and every fit trains on a
``Dataset.subset`` of it, which reuses the bins. Bin edges are computed from the features
of all rows, never from their labels, so a held-out fold's rank test keeps its exact size
(its labels stay exchangeable given every row's features).

The fitted models are :class:`BoosterClassifier`: a fitted scikit-learn-style classifier
around the ``lightgbm.Booster`` (``predict_proba``, ``predict(..., pred_contrib=True)``,
``booster_``, ``best_iteration_``), reading DataFrames encoded like the training matrix.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from ._lightgbm_params import quiet

#: LGBMClassifier parameters with no meaning to ``lightgbm.train`` (handled here instead)
_SKLEARN_ONLY = ("n_estimators", "class_weight", "importance_type")


def can_train_on_subsets(estimator: object) -> bool:
    """Whether ``estimator`` is an LGBMClassifier this module can train (binary, unweighted).

    Examples
    --------
    >>> can_train_on_subsets(lgb.LGBMClassifier()), can_train_on_subsets(
    ...     lgb.LGBMClassifier(class_weight="balanced"))
    (True, False)
    """
    if type(estimator) is not lgb.LGBMClassifier:
        return False
    params = estimator.get_params()
    return params.get("class_weight") is None and params.get("objective") in (None, "binary")


def as_matrix(X: pd.DataFrame) -> NDArray[np.float64]:
    """The float matrix LightGBM reads: category codes (NaN when missing), numbers as floats.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.5, 2.0], "b": pd.Categorical(["y", None])})
    >>> as_matrix(frame).tolist()
    [[1.5, 0.0], [2.0, nan]]
    """
    columns = []
    for name in X.columns:
        values = X[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            columns.append(codes)
        else:
            columns.append(values.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.column_stack(columns) if columns else np.empty((len(X), 0))


def categorical_positions(X: pd.DataFrame) -> list[int]:
    """Positions of the categorical columns of ``X``."""
    return [j for j, name in enumerate(X.columns) if isinstance(X[name].dtype, pd.CategoricalDtype)]


class BinnedRows:
    """One binned LightGBM dataset of a whole matrix, for training on subsets of its rows.

    Parameters
    ----------
    X : DataFrame
        Encoded matrix (numeric columns and pandas categoricals), every row a fit may use.
    y : ndarray of int
        Labels of every row.
    params : dict
        The estimator's LightGBM parameters (binning reads ``max_bin``,
        ``min_child_samples`` and the like from them).
    """

    def __init__(self, X: pd.DataFrame, y: NDArray[np.int_], params: dict[str, Any]) -> None:
        self.feature_names = [str(c) for c in X.columns]
        self.categorical = categorical_positions(X)
        self.dataset = lgb.Dataset(
            as_matrix(X),
            label=np.asarray(y, dtype=np.float64),
            feature_name=self.feature_names,
            categorical_feature=self.categorical,
            params=params,
            free_raw_data=False,
        ).construct()

    def subset(self, rows: NDArray[np.intp]) -> lgb.Dataset:
        """A dataset of ``rows`` that shares this one's bins."""
        used: Any = np.asarray(rows, dtype=np.int32)  # lightgbm reads any int sequence
        return self.dataset.subset(used)


def train_params(estimator: lgb.LGBMClassifier) -> tuple[dict[str, Any], int]:
    """``lightgbm.train`` parameters and round count equivalent to ``estimator``'s settings.

    Examples
    --------
    >>> params, rounds = train_params(lgb.LGBMClassifier(n_estimators=7, num_leaves=4))
    >>> rounds, params["objective"], params["num_leaves"]
    (7, 'binary', 4)
    """
    settings = estimator.get_params()
    rounds = int(settings["n_estimators"])
    params = {k: v for k, v in settings.items() if k not in _SKLEARN_ONLY and v is not None}
    params["objective"] = "binary"
    return quiet(params), rounds


class BoosterClassifier(ClassifierMixin, BaseEstimator):
    """A fitted binary LightGBM classifier made by :func:`fit_on_subset`.

    It reads the domain classifier's encoded matrices (DataFrames with numeric and
    categorical columns, in the training column order) or float arrays laid out like
    :func:`as_matrix`.

    Attributes
    ----------
    booster_ : lightgbm.Booster
    best_iteration_ : int
        Rounds used for predictions (every trained round unless early stopping kept fewer).
    classes_ : ndarray
        ``[0, 1]``.
    n_features_in_ : int
    feature_name_ : list of str
    """

    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    def _fitted(self) -> lgb.Booster:
        if self.booster is None:
            raise ValueError("This BoosterClassifier holds no booster.")
        return self.booster

    @property
    def booster_(self) -> lgb.Booster:
        return self._fitted()

    @property
    def best_iteration_(self) -> int:
        booster = self._fitted()
        return int(booster.best_iteration or booster.current_iteration())

    @property
    def classes_(self) -> NDArray[np.int_]:
        return np.array([0, 1])

    @property
    def n_features_in_(self) -> int:
        return int(self._fitted().num_feature())

    @property
    def feature_name_(self) -> list[str]:
        return list(self._fitted().feature_name())

    def _matrix(self, X: Any) -> NDArray[np.float64]:
        if isinstance(X, pd.DataFrame):
            return as_matrix(X)
        return np.asarray(X, dtype=np.float64)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Probabilities of classes 0 and 1, shape (n_rows, 2)."""
        positive = np.asarray(
            self._fitted().predict(self._matrix(X), num_iteration=self.best_iteration_),
            dtype=np.float64,
        )
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: Any, *, pred_contrib: bool = False) -> NDArray[Any]:
        """Class labels; with ``pred_contrib=True`` the SHAP values and the bias column."""
        if pred_contrib:
            return np.asarray(
                self._fitted().predict(
                    self._matrix(X), num_iteration=self.best_iteration_, pred_contrib=True
                ),
                dtype=np.float64,
            )
        return (self.predict_proba(X)[:, 1] > 0.5).astype(np.int_)


def fit_on_subset(
    rows: BinnedRows,
    fit: NDArray[np.intp],
    stop: NDArray[np.intp] | None,
    *,
    params: dict[str, Any],
    rounds: int,
    callbacks: list[Any],
) -> BoosterClassifier:
    """Train on the rows ``fit`` of ``rows``, early-stopping on the rows ``stop`` (if any).

    ``callbacks`` see the validation set's ``binary_logloss`` (and ``auc`` when
    ``params["metric"]`` asks for it).
    """
    train_set = rows.subset(fit)
    valid_sets = [] if stop is None else [rows.subset(stop)]
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=valid_sets,
        valid_names=["valid_0"] if valid_sets else None,
        callbacks=callbacks,
    )
    booster.free_dataset()
    return BoosterClassifier(booster)
