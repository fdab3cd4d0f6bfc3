"""The small LightGBM models that predict one column from others.

Every target column gets a LightGBM model (regression for numeric targets, binary or
multiclass for class targets) with fixed, regularised, fast settings and no early
stopping (deterministic and cheap; the rounds and leaves are few enough that a model
cannot memorise noise on a few hundred rows, and enough to learn three-way interactions):

=====================  ========================  ===========================
setting                multivariate model        single-predictor model
=====================  ========================  ===========================
rounds                 50                        20
learning_rate          0.3                       0.3
num_leaves             15                        8
min_data_in_leaf       n / 100, clipped to 5-50  n / 100, clipped to 5-50
min_sum_hessian        1 (see below)             1
bagging_fraction       0.8 (every round)         1.0
max_bin                63                        63
training rows          at most 10,000 (uniform subsample of the training folds)
scored rows            the row budget's (:mod:`advval.dependency._budget`)
columns per tree       at most 32 (a random share of the predictors above 32)
trees per model        at most 160 (multiclass: fewer rounds, at least 20)
=====================  ========================  ===========================

A leaf needs a summed hessian of 1 (``min_sum_hessian_in_leaf``): for squared error
that is one row, less than the minimum leaf size, but a class whose predicted
probabilities have saturated has a tiny hessian, and a leaf of it would take an extreme
value that wrecks the other classes of a multi-class model (measured on the flights
table: without it, 4 seeded fits of a column determined by another scored 0.23, 1, 1 and
0.43; with it, 1 each time).

The last two budgets keep wide data affordable: a tree's cost grows with the columns it
scans, and a multiclass model grows one tree per class and round, so without them a
model of a 12-level column on 100 predictors costs about 30 times one of a numeric
column on 32. They apply to the default settings only (not to a given ``estimator``).

Speed: the predictors are binned **once** (one LightGBM ``Dataset`` of every column);
each model trains on a row subset of it, and the target's own column is switched off with
a zero ``feature_contri`` (its split gain is multiplied by 0, so it is never used). Binning
50,000 x 100 columns costs about as much as fitting one model, so doing it once instead of
per target and fold removes about half of the work. Models predict and explain rows of
the design's float matrix directly (a DataFrame would be converted again on every call,
which cost as much as the predictions themselves on a 127-column table).

Threads: :func:`advval._models.lightgbm_threads` of the model's training rows (one thread
below 50,000 rows, which a model here never exceeds, unless ``n_jobs`` says otherwise).
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._lightgbm import as_matrix, categorical_positions
from .._models import lightgbm_threads
from ._scoring import Target

#: held-out rows explained with TreeSHAP per target, spread over its models (a uniform
#: subsample above this: a mean |SHAP| over 300 rows ranks the columns that matter, and
#: explaining a row costs about as much as a hundred rows of training); a multiclass model
#: with C > 2 classes explains ``max(SHAP_MIN_ROWS, 2 * SHAP_ROWS // C)``
SHAP_ROWS = 300
SHAP_MIN_ROWS = 60
#: most rows a model is trained on (a uniform subsample of its training rows above this)
MAX_TRAIN_ROWS = 10_000
#: default settings only (advval's keys, removed before training): most predictors one
#: tree scans (``feature_fraction`` above), and most trees one model grows (multiclass
#: models get fewer rounds, at least ``MIN_ROUNDS``)
COLUMNS_PER_TREE = "advval_columns_per_tree"
TREES_PER_MODEL = "advval_trees_per_model"
MIN_ROUNDS = 20
#: Dataset parameters (binning); they must agree between the binned data and training
_DATASET_KEYS = ("max_bin", "min_data_in_bin", "bin_construct_sample_cnt", "subsample_for_bin")
#: scikit-learn wrapper parameters with no meaning for ``lightgbm.train``
_WRAPPER_ONLY = (
    "importance_type",
    "class_weight",
    "objective",
    "num_class",
    "random_state",
    "n_jobs",
    "n_estimators",
)


def default_params(*, n_rows: int, single: bool) -> dict[str, Any]:
    """LightGBM parameters of the multivariate (or single-predictor) target models.

    ``num_iterations`` is the number of rounds.

    Examples
    --------
    >>> default_params(n_rows=1000, single=False)["num_leaves"]
    15
    """
    common: dict[str, Any] = {
        "min_data_in_leaf": int(np.clip(n_rows // 100, 5, 50)),
        # a leaf needs a summed hessian of 1: a class whose probabilities have saturated
        # cannot grow a leaf of extreme values (gradient / a tiny hessian) that wrecks the
        # other classes; without it multi-class models lost most of their classes in 1
        # fit of 4 on the flights table (a score of 0.2 for a column determined by another)
        "min_sum_hessian_in_leaf": 1.0,
        "max_bin": 63,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }
    if single:
        return {**common, "num_iterations": 20, "learning_rate": 0.3, "num_leaves": 8}
    return {
        **common,
        "num_iterations": 50,
        "learning_rate": 0.3,
        "num_leaves": 15,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        COLUMNS_PER_TREE: 32,
        TREES_PER_MODEL: 160,
    }


def estimator_params(estimator: lgb.LGBMModel) -> dict[str, Any]:
    """Training parameters of a LightGBM scikit-learn model, for ``lightgbm.train``."""
    params = {k: v for k, v in estimator.get_params().items() if v is not None}
    rounds = int(params.get("n_estimators", 100))
    for key in _WRAPPER_ONLY:
        params.pop(key, None)
    params["num_iterations"] = rounds
    params.setdefault("verbose", -1)
    return params


class Design:
    """Predictor columns binned once, shared by every model trained on them.

    Parameters
    ----------
    X : DataFrame
        Encoded predictors (numeric and pandas categorical columns), every row.
    params : dict
        LightGBM parameters; their binning settings are used.

    Attributes
    ----------
    matrix : ndarray of shape (n_rows, n_columns)
        ``X`` as the float matrix LightGBM reads (category codes, NaN for missing):
        models predict and explain rows of it, with no DataFrame conversion per call.
    """

    def __init__(self, X: pd.DataFrame, params: dict[str, Any]) -> None:
        self.matrix = as_matrix(X)
        self.feature_names = [str(c) for c in X.columns]
        self.categorical = categorical_positions(X)
        self.dataset_params = {k: params[k] for k in _DATASET_KEYS if k in params}
        self.dataset_params.update(verbose=-1, feature_pre_filter=False)
        self._full: lgb.Dataset | None = None

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.matrix.shape[1])

    def train_set(self, rows: NDArray[np.intp], y: NDArray[np.generic]) -> lgb.Dataset:
        """The binned rows ``rows`` (sorted) with label ``y``."""
        if self._full is None:
            self._full = lgb.Dataset(
                self.matrix,
                label=np.zeros(self.n_rows),
                feature_name=self.feature_names,
                categorical_feature=self.categorical,
                params=dict(self.dataset_params),
                free_raw_data=False,
            ).construct()
        used: Any = np.asarray(rows, dtype=np.int32)  # lightgbm reads any int sequence
        subset = self._full.subset(used, params=dict(self.dataset_params)).construct()
        subset.set_label(np.asarray(y, dtype=np.float64))
        return subset


class FittedTarget:
    """A model of one target (or a constant when the training rows have one value).

    Parameters
    ----------
    target : Target
    booster : Booster or None
        ``None`` means a constant prediction.
    constant : ndarray
        The constant prediction: the mean, or the class shares.
    """

    def __init__(
        self, target: Target, booster: lgb.Booster | None, constant: NDArray[np.float64]
    ) -> None:
        self.target = target
        self.booster = booster
        self.constant = constant

    def predict(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Predicted values (numeric) or class probabilities of shape (n, n_classes).

        ``X`` holds rows of the matrix of the design the model was trained on.
        """
        n = len(X)
        if self.booster is None:
            if self.target.kind == "numeric":
                return np.full(n, float(self.constant[0]))
            return np.tile(self.constant, (n, 1))
        raw = np.asarray(self.booster.predict(X), dtype=np.float64)
        if self.target.kind == "numeric":
            return raw
        if self.target.n_classes == 2:
            return np.column_stack([1.0 - raw, raw])
        return raw.reshape(n, self.target.n_classes)

    def contributions(self, X: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """Mean |TreeSHAP| of each column of ``X`` (summed over classes); None if constant."""
        if self.booster is None:
            return None
        m = X.shape[1]
        raw = np.asarray(self.booster.predict(X, pred_contrib=True), dtype=np.float64)
        per_output = raw.reshape(len(X), -1, m + 1)[:, :, :m]
        return np.asarray(np.abs(per_output).sum(axis=1).mean(axis=0), dtype=np.float64)


def constant_prediction(target: Target, y_fit: NDArray[np.generic], n: int) -> NDArray[np.float64]:
    """The naive baseline's prediction: the training mean, or the training class shares."""
    if target.kind == "numeric":
        mean = float(np.mean(np.asarray(y_fit, dtype=np.float64))) if len(y_fit) else 0.0
        return np.full(n, mean)
    counts = np.bincount(np.asarray(y_fit, dtype=np.intp), minlength=target.n_classes)
    return np.tile(counts / max(int(counts.sum()), 1), (n, 1))


def fit_target(
    target: Target,
    design: Design,
    rows: NDArray[np.intp],
    params: dict[str, Any],
    *,
    exclude: NDArray[np.intp] | None = None,
    random_state: int,
    n_jobs: int | None,
) -> FittedTarget:
    """Fit a model of ``target`` on the design's ``rows`` (absolute row numbers).

    Parameters
    ----------
    exclude : ndarray of int or None
        Design columns the model may not use (the target's own columns).
    """
    rows = np.sort(np.asarray(rows, dtype=np.intp))
    if rows.size > MAX_TRAIN_ROWS:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(rows, size=MAX_TRAIN_ROWS, replace=False))
    y = target.values[rows]
    constant = constant_prediction(target, y, 1)[0]
    constant = np.atleast_1d(np.asarray(constant, dtype=np.float64))
    if rows.size < 2 or np.all(y == y[0]):
        return FittedTarget(target, None, constant)
    settings = dict(params)
    rounds = int(settings.pop("num_iterations", 100))
    columns_per_tree = settings.pop(COLUMNS_PER_TREE, None)
    trees_per_model = settings.pop(TREES_PER_MODEL, None)
    if columns_per_tree is not None and design.n_columns > columns_per_tree:
        settings["feature_fraction"] = columns_per_tree / design.n_columns
    if target.kind == "numeric":
        settings["objective"] = "regression"
    elif target.n_classes == 2:
        settings["objective"] = "binary"
    else:
        settings.update(objective="multiclass", num_class=target.n_classes)
        if trees_per_model is not None:
            rounds = min(rounds, max(MIN_ROUNDS, trees_per_model // target.n_classes))
    settings.update(seed=random_state, num_threads=lightgbm_threads(n_jobs, rows.size))
    if exclude is not None and exclude.size:
        contri = np.ones(design.n_columns)
        contri[exclude] = 0.0
        settings["feature_contri"] = contri.tolist()
    # keep_training_booster: no string round trip of the model at the end of training
    booster = lgb.train(
        settings, design.train_set(rows, y), num_boost_round=rounds, keep_training_booster=True
    )
    booster.free_dataset()
    return FittedTarget(target, booster, constant)
