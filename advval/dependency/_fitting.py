"""The LightGBM models that predict one column from others, with capacity that adapts.

Every target column gets a LightGBM model (regression for numeric targets, binary or
multiclass for class targets). Its score claims to estimate how well the *best* predictor
of the column from the others does on new rows, so the model must be able to get near it
on every kind of relation: a column that is 99.9% a smooth function of five others, one
that is a sum of thresholds, one barely related. Fixed settings cannot: the former
defaults (50 rounds at a rate of 0.3, 15 leaves) scored planted columns with a true R^2 of
0.999 / 0.95 / 0.80 at 0.935 / 0.918 / 0.712 (``benchmarks/trust_deps.py``), so a column
99.9% determined by the others was not flagged at 0.9. The multivariate models therefore
choose their capacity on their own training rows:

- a uniform ``VALIDATION_SHARE`` (20%) of the model's training rows is set aside; the
  model trains on the rest and stops when ``PATIENCE`` rounds pass without the validation
  loss improving by ``MIN_IMPROVEMENT`` of the constant prediction's (less for fewer
  rows; at most ``MAX_ROUNDS`` rounds at a rate of ``LEARNING_RATE``); the round of
  least validation loss is kept (:class:`EarlyStopping`);
- the shapes of ``CANDIDATES`` are tried in turn and the one of least validation loss
  kept: trees of 7 constant leaves, then trees whose leaves are linear models, which
  follow smooth relations that a sum of constant leaves approximates slowly (numeric
  targets and classes of at most ``LINEAR_MAX_CLASSES``: a class model grows a tree per
  class and round; ``CLASS_LINEAR_LEAVES`` linear leaves for more than two classes).
  Where the
  first shape's validation score is below ``CAPACITY_SCORE`` (0.5), the column is far
  from redundant and the first model is kept (one fit);
- below ``REFIT_BELOW_ROWS`` training rows (cross-fitted small tables), the shape that
  won is trained again on *every* training row, validation rows included, for
  ``1 / (1 - VALIDATION_SHARE)`` times its best number of rounds (more rows take more
  rounds to fit as closely): the validation rows only chose the capacity, and a model of
  25% more rows falls less short of the best predictor (the planted R^2 = 0.999 column at
  4,000 training rows, 4 seeds: 0.060 -> 0.040 below its truth). A larger model keeps
  its early-stopped fit: there the refit cost 1.5x the CPU of the flights deps run for
  about 0.005 of score;
- before that refit, such a model of a strong dependency (its first shape reached
  ``CAPACITY_SCORE``) is trained once more on only the columns that carry its split gain
  (more than ``SELECT_GAIN_RATIO`` times the median gain of the columns it used), and
  that model is refitted instead when it beats the first on the validation rows by more
  than the noise of the difference (:func:`_selected_fit`): with few training rows, the
  columns the target does not depend on still win splits by chance and cost accuracy. A
  planted four-class target of five parents among 35 columns, 4,000 training rows, 3
  seeds: 0.034 to 0.040 below its truth, 0.022 to 0.028 with the selection (the planted
  R^2 = 0.999 column: 0.022 to 0.024 -> 0.010);
- fewer training rows afford more rounds: the learning rate is ``LEARNING_RATE`` from
  ``MAX_TRAIN_ROWS`` training rows and falls in proportion to the rows down to
  ``MIN_RATE_SHARE`` of it, so that a model's cost (rows x rounds) stays near that of a
  model of ``MAX_TRAIN_ROWS`` rows, and the small tables, which are cross-fitted, get
  smoother models (the same column at 4,000 training rows: 0.042 -> 0.033 below its
  truth);
- TreeSHAP cannot explain linear leaves: the attributions come from the best model with
  constant leaves (``FittedTarget.explainer``), which saw the same rows or fewer.

The rows a column is *scored* on are never among those (:mod:`advval.dependency._crossfit`),
so the score stays an out-of-sample estimate. A model cannot beat the best predictor but
can fall short of it, so what bias is left is downward: measured in
``benchmarks/trust_deps.py``. The other settings:

=====================  ==========================  ===========================
setting                multivariate model          single-predictor model
=====================  ==========================  ===========================
rounds                 early stopping, <= 1,000    20
                       (x 1.25 on every row)
learning_rate          0.1 to 0.2 (see above)      0.3
num_leaves             7 (constant or linear)      8
min_data_in_leaf       n / 100, clipped to 5-50    n / 100, clipped to 5-50
min_sum_hessian        1 (see below)               1
bagging_fraction       0.8 (every round)           1.0
max_bin                63                          63
training rows          at most 10,000 (uniform subsample of the training folds), 20%
                       of them to validate
scored rows            the row budget's (:mod:`advval.dependency._budget`)
columns per tree       at most 32 (a random share of the predictors above 32)
                       (a selected model: every column it kept)
trees per model        at most 1,000 (multiclass: fewer rounds, at least 20, and a
                       faster rate, at most 0.3)
=====================  ==========================  ===========================

A given ``estimator`` is used as it is: its rounds, leaves and rate, no early stopping.
Fewer than ``MIN_STOPPING_ROWS`` training rows (a tiny fold) are too few to stop on: the
first shape, ``SMALL_ROUNDS`` rounds.

A leaf needs a summed hessian of 1 (``min_sum_hessian_in_leaf``): for squared error
that is one row, less than the minimum leaf size, but a class whose predicted
probabilities have saturated has a tiny hessian, and a leaf of it would take an extreme
value that wrecks the other classes of a multi-class model (measured on the flights
table: without it, 4 seeded fits of a column determined by another scored 0.23, 1, 1 and
0.43; with it, 1 each time).

The last two budgets keep wide data affordable: a tree's cost grows with the columns it
scans, and a multiclass model grows one tree per class and round. They apply to the
default settings only (not to a given ``estimator``).

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
from .._lightgbm_params import lightgbm_params, lightgbm_threads, quiet
from ._scoring import Target

#: a model of fewer training rows (a cross-fitted small table) is trained again on every
#: row, validation rows included, once they chose its shape and rounds; a model of more
#: keeps its early-stopped fit (the refit cost 1.5x the CPU of the flights deps run, whose
#: models train on about 9,500 rows, for about 0.005 of score)
REFIT_BELOW_ROWS = 5_000
#: below ``REFIT_BELOW_ROWS`` training rows, a model whose first shape reached
#: ``CAPACITY_SCORE`` is trained again on the columns whose split gain exceeds this many
#: times the median gain of the columns it used, and kept if its validation loss beats the
#: first model's by ``SELECT_MARGIN`` standard errors (:func:`_selected_fit`)
SELECT_GAIN_RATIO = 5.0
SELECT_MARGIN = 1.0
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
#: default settings only (advval's keys, removed before training): the model shapes
#: tried (``CANDIDATES``) and the rounds without improvement of the validation loss after
#: which a model stops
CAPACITY = "advval_capacity"
EARLY_STOPPING = "advval_early_stopping"
PATIENCE = 10
#: the shapes a model may take, tried in this order: (leaves, linear leaves). A tree of
#: few constant leaves first (it stops early where there is little to learn), then trees
#: whose leaves are linear models, which follow smooth relations a piecewise-constant sum
#: of trees approximates slowly (``benchmarks/trust_deps.py``'s smooth function of five
#: columns with a true R^2 of 0.999, 10,000 training rows: 0.963 with constant leaves,
#: 0.987 with linear ones). 31 constant leaves were a third candidate in trials; they
#: never won on those cases and cost a third more
CANDIDATES = ((7, False), (7, True))
#: the other shapes are tried only when the first one's validation score reaches this:
#: where a column is predicted this well the model's capacity decides on which side of
#: the redundancy threshold it falls; below it, one fit. (0.3 was tried: a planted smooth
#: column of true R^2 0.8 at 5,000 rows, held to constant leaves in 2 of 3 seeds, went
#: from 0.125 to 0.085 below its truth, but linear leaves then won ``count(time_hour)`` of
#: the flights table on its validation rows and extrapolated on its scored rows: 0.45 ->
#: 0.31. Clipping predictions to the training range fixed that and cost the heavy-tailed
#: ``dep_delay`` family 0.012 each, whose extrapolation was right: ``dep_delay`` is 60
#: times ``dep delay (hours)``; both kept out)
CAPACITY_SCORE = 0.5
#: linear leaves are tried for class targets of at most this many classes: a class model
#: grows a tree per class and round, so on the flights table (17 class columns of 3 to 20
#: classes) linear leaves for all of them cost as much as for its 100 numeric columns;
#: they bring a four-class planted target from 0.035 below its truth to 0.025 below
LINEAR_MAX_CLASSES = 5
#: leaves of the linear-leaf shape of a target of more than two classes: each round grows
#: a tree per class, each fitted to its own class's gradient, so a round of 7 linear
#: leaves a class fits many more parameters than a numeric target's round, on noisier
#: gradients. A planted four-class target (``benchmarks/trust_deps.py``), 3 seeds, below
#: its truth with 7 / 3 linear leaves: 0.027 to 0.033 / 0.021 to 0.024 at 30,000 rows,
#: 0.045 to 0.050 / 0.034 to 0.040 at 5,000 (2 leaves: 0.017 to 0.040, unstable)
CLASS_LINEAR_LEAVES = 3
#: ridge penalty of the linear leaves (LightGBM's ``linear_lambda``)
LINEAR_LAMBDA = 0.01
#: most rounds and learning rate with early stopping; most trees of a multiclass model
MAX_ROUNDS = 1000
LEARNING_RATE = 0.2
#: the learning rate of a model trained on fewer than ``MAX_TRAIN_ROWS`` rows falls in
#: proportion to its rows, down to this share of ``LEARNING_RATE``
MIN_RATE_SHARE = 0.5
MAX_TREES = 1000
#: a multiclass model allowed fewer than ``TYPICAL_ROUNDS`` rounds (as many as a model of
#: a strong dependency may need) learns faster in proportion, up to this rate
TYPICAL_ROUNDS = 300
MAX_LEARNING_RATE = 0.3
#: share of a model's training rows set aside to stop it and choose its shape
VALIDATION_SHARE = 0.2
#: fewest training rows for early stopping (fewer: ``SMALL_ROUNDS`` fixed rounds)
MIN_STOPPING_ROWS = 40
SMALL_ROUNDS = 50
#: an improvement of the validation loss smaller than this (a share of the constant
#: prediction's loss) does not count, for a model of ``MAX_TRAIN_ROWS`` rows; a model of
#: fewer rows, cheaper per round, stops on ``MIN_IMPROVEMENT * (rows / MAX_TRAIN_ROWS)
#: ** 3``, at least a tenth of it (``MIN_IMPROVEMENT_SHARE``). A strong dependency's last
#: gains are small in these units (a column at R^2 0.97 whose loss falls by 0.1% of its
#: variance in 10 rounds still gains 3% of what is left to learn): the planted
#: R^2 = 0.999 column at 4,000 training rows, 4 seeds, is 0.033 below its truth at 1e-3,
#: 0.025 at 1e-4. At 10,000 rows 1e-4 cost 1.3x the CPU of the deps check of the flights
#: table (``benchmarks/bench_deps_kaggle.py --scale 0.1``)
MIN_IMPROVEMENT = 1e-3
MIN_IMPROVEMENT_SHARE = 0.1
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

    ``num_iterations`` is the number of rounds (multivariate: the most rounds early
    stopping may run).

    Examples
    --------
    >>> params = default_params(n_rows=1000, single=False)
    >>> params["num_iterations"], params["learning_rate"], params[CAPACITY]
    (1000, 0.2, ((7, False), (7, True)))
    """
    if single:
        return lightgbm_params("single", n_rows=n_rows)
    return {
        **lightgbm_params("substitution", n_rows=n_rows),
        "num_iterations": MAX_ROUNDS,
        "learning_rate": LEARNING_RATE,
        CAPACITY: CANDIDATES,
        EARLY_STOPPING: PATIENCE,
        COLUMNS_PER_TREE: 32,
        TREES_PER_MODEL: MAX_TREES,
    }


def estimator_params(estimator: lgb.LGBMModel) -> dict[str, Any]:
    """Training parameters of a LightGBM scikit-learn model, for ``lightgbm.train``."""
    params = {k: v for k, v in estimator.get_params().items() if v is not None}
    rounds = int(params.get("n_estimators", 100))
    for key in _WRAPPER_ONLY:
        params.pop(key, None)
    params["num_iterations"] = rounds
    return quiet(params)


#: whether the design's Dataset bundles columns (``enable_bundle``): not, as LightGBM 4.7
#: bundles mutually exclusive sparse columns (EFB) once, on every row of the budget, and
#: the models train on row subsets of that Dataset. On an IEEE-CIS-fraud-shaped table (433
#: columns, blocks of V columns missing together) the model of a column 88% missing,
#: trained on about 1,000 rows of such a subset with column-wise histograms, stopped with
#: "Check failed: (best_split_info.right_count) > (0)" or crashed the process (a
#: segmentation fault, `advval deps` lost after 32 minutes; the message of LightGBM issue
#: 3679). Unbundled (or row-wise), the same rows and settings train, 5 of 5 seeds; bundling
#: only packs columns for speed, the models are the same where both train.
BUNDLE_COLUMNS = False


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
        self.dataset_params.update(
            verbose=-1, feature_pre_filter=False, enable_bundle=BUNDLE_COLUMNS
        )
        self._full: lgb.Dataset | None = None
        self._linear: lgb.Dataset | None = None

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.matrix.shape[1])

    def train_set(
        self, rows: NDArray[np.intp], y: NDArray[np.generic], *, linear: bool = False
    ) -> lgb.Dataset:
        """The binned rows ``rows`` (sorted) with label ``y``.

        ``linear``: for models with linear leaves (LightGBM keeps the raw values of such a
        Dataset, and fixes the leaf kind with it); binned once, on first use, with the
        same settings (so the same bins) as the other.
        """
        if self._full is None:
            self._full = self._binned(linear=False)
        if linear and self._linear is None:
            self._linear = self._binned(linear=True)
        full = self._linear if linear else self._full
        assert full is not None
        params = {**self.dataset_params, "linear_tree": linear}
        used: Any = np.asarray(rows, dtype=np.int32)  # lightgbm reads any int sequence
        subset = full.subset(used, params=params).construct()
        subset.set_label(np.asarray(y, dtype=np.float64))
        return subset

    def _binned(self, *, linear: bool) -> lgb.Dataset:
        return lgb.Dataset(
            self.matrix,
            label=np.zeros(self.n_rows),
            feature_name=self.feature_names,
            categorical_feature=self.categorical,
            params={**self.dataset_params, "linear_tree": linear},
            free_raw_data=False,
        ).construct()


class FittedTarget:
    """A model of one target (or a constant when the training rows have one value).

    Parameters
    ----------
    target : Target
    booster : Booster or None
        ``None`` means a constant prediction.
    constant : ndarray
        The constant prediction: the mean, or the class shares.
    explainer : Booster or None
        The model TreeSHAP explains (``booster`` unless that one has linear leaves, which
        TreeSHAP cannot explain: then the best model with constant leaves of the same
        rows); ``None``: ``booster``.
    """

    def __init__(
        self,
        target: Target,
        booster: lgb.Booster | None,
        constant: NDArray[np.float64],
        explainer: lgb.Booster | None = None,
    ) -> None:
        self.target = target
        self.booster = booster
        self.constant = constant
        self.explainer = booster if explainer is None else explainer

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
        if self.explainer is None:
            return None
        m = X.shape[1]
        raw = np.asarray(self.explainer.predict(X, pred_contrib=True), dtype=np.float64)
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

    With the default settings (``EARLY_STOPPING`` in ``params``) a uniform
    ``VALIDATION_SHARE`` of the rows stops the training and picks the leaves; the model
    never sees any other row, so its predictions of other rows stay out-of-sample.

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
    candidates = settings.pop(CAPACITY, None)
    patience = settings.pop(EARLY_STOPPING, None)
    if columns_per_tree is not None and design.n_columns > columns_per_tree:
        settings["feature_fraction"] = columns_per_tree / design.n_columns
    if patience is not None:  # fewer rows afford more rounds (a smoother model)
        share = float(np.clip(rows.size / MAX_TRAIN_ROWS, MIN_RATE_SHARE, 1.0))
        settings["learning_rate"] = float(settings.get("learning_rate", LEARNING_RATE)) * share
    if target.kind == "numeric":
        settings.update(objective="regression", metric="l2")
    elif target.n_classes == 2:
        settings.update(objective="binary", metric="binary_logloss")
    else:
        settings.update(objective="multiclass", num_class=target.n_classes, metric="multi_logloss")
        if trees_per_model is not None:
            cap = max(MIN_ROUNDS, trees_per_model // target.n_classes)
            if patience is not None and cap < TYPICAL_ROUNDS:
                # fewer rounds than a model typically needs: a faster rate covers as
                # much ground (at most 0.3)
                rate = float(settings.get("learning_rate", LEARNING_RATE))
                settings["learning_rate"] = min(MAX_LEARNING_RATE, rate * TYPICAL_ROUNDS / cap)
            rounds = min(rounds, cap)
    settings.update(seed=random_state, num_threads=lightgbm_threads(n_jobs, rows.size))
    if exclude is not None and exclude.size:
        contri = np.ones(design.n_columns)
        contri[exclude] = 0.0
        settings["feature_contri"] = contri.tolist()
    if patience is None or rows.size < MIN_STOPPING_ROWS:
        if patience is not None:  # too few rows to stop on: the fixed small model
            rounds = min(rounds, SMALL_ROUNDS)
        if candidates:
            settings["num_leaves"] = candidates[0][0]
        # keep_training_booster: no string round trip of the model at the end of training
        booster = lgb.train(
            settings, design.train_set(rows, y), num_boost_round=rounds, keep_training_booster=True
        )
        booster.free_dataset()
        return FittedTarget(target, booster, constant)
    shapes = tuple(candidates or CANDIDATES[:1])
    if target.kind == "classes" and target.n_classes > LINEAR_MAX_CLASSES:
        shapes = tuple(shape for shape in shapes if not shape[1]) or CANDIDATES[:1]
    elif target.kind == "classes" and target.n_classes > 2:
        shapes = tuple((CLASS_LINEAR_LEAVES if linear else n, linear) for n, linear in shapes)
    booster, explainer = _stopped_fit(
        target,
        design,
        rows,
        settings,
        rounds=rounds,
        candidates=shapes,
        patience=int(patience),
        seed=random_state,
    )
    return FittedTarget(target, booster, constant, explainer)


def _stopped_fit(
    target: Target,
    design: Design,
    rows: NDArray[np.intp],
    settings: dict[str, Any],
    *,
    rounds: int,
    candidates: tuple[tuple[int, bool], ...],
    patience: int,
    seed: int,
) -> tuple[lgb.Booster, lgb.Booster]:
    """The model of least validation loss over ``candidates``, each stopped early.

    A uniform ``VALIDATION_SHARE`` of ``rows`` is held out of training; each candidate
    shape (leaves, linear leaves) trains on the other rows until ``patience`` rounds pass
    without the validation loss improving by ``MIN_IMPROVEMENT`` of the constant
    prediction's (less for fewer rows), and keeps its best round. The shapes after the
    first are tried only when the first one's validation score
    (``1 - loss / constant loss``) reaches ``CAPACITY_SCORE``. Below ``REFIT_BELOW_ROWS``
    rows, the candidate of least validation loss is then trained again on every row of
    ``rows``, for ``1 / (1 - VALIDATION_SHARE)`` times its best rounds (a larger model is
    kept as it is).

    Returns
    -------
    model : Booster
        The shape of least validation loss, trained on every row.
    explainer : Booster
        That model when its leaves are constant, else the best candidate with constant
        leaves (TreeSHAP cannot explain linear ones).
    """
    rng = np.random.default_rng(seed + 1)
    held = np.zeros(rows.size, dtype=bool)
    n_valid = max(1, int(round(VALIDATION_SHARE * rows.size)))
    held[rng.choice(rows.size, size=n_valid, replace=False)] = True
    fit_rows, valid_rows = rows[~held], rows[held]
    y_fit, y_valid = target.values[fit_rows], target.values[valid_rows]
    floor = _constant_loss(target, y_fit, y_valid)
    tolerance = MIN_IMPROVEMENT * float(
        np.clip((rows.size / MAX_TRAIN_ROWS) ** 3, MIN_IMPROVEMENT_SHARE, 1.0)
    )
    fitted: list[tuple[float, tuple[int, bool], lgb.Booster]] = []
    for n_leaves, linear in candidates:
        booster = lgb.train(
            _shape_settings(settings, n_leaves, linear),
            design.train_set(fit_rows, y_fit, linear=linear),
            num_boost_round=rounds,
            valid_sets=[design.train_set(valid_rows, y_valid, linear=linear)],
            callbacks=[EarlyStopping(patience, tolerance * floor)],
            keep_training_booster=True,
        )
        booster.free_dataset()
        loss = float(next(iter(booster.best_score["valid_0"].values())))
        fitted.append((loss, (n_leaves, linear), booster))
        if len(fitted) == 1 and (floor <= 0 or 1.0 - loss / floor < CAPACITY_SCORE):
            break
    _, (n_leaves, linear), best = min(fitted, key=lambda fit: fit[0])
    if rows.size >= REFIT_BELOW_ROWS:  # enough rows: the held-out fifth costs little
        explainer = min((fit for fit in fitted if not fit[1][1]), key=lambda fit: fit[0])[2]
        return best, explainer
    if len(fitted) > 1:  # a strong dependency: can it do without the columns it barely uses?
        selected = _selected_fit(
            target,
            design,
            settings,
            best,
            (n_leaves, linear),
            (fit_rows, valid_rows),
            rounds=rounds,
            stopping=EarlyStopping(patience, tolerance * floor),
        )
        if selected is not None:
            best, settings = selected
    best_rounds = best.best_iteration if best.best_iteration > 0 else best.current_iteration()
    model = lgb.train(
        _shape_settings(settings, n_leaves, linear),
        design.train_set(rows, target.values[rows], linear=linear),
        num_boost_round=max(1, int(round(best_rounds / (1.0 - VALIDATION_SHARE)))),
        keep_training_booster=True,
    )
    model.free_dataset()
    if not linear:
        return model, model
    explainer = min((fit for fit in fitted if not fit[1][1]), key=lambda fit: fit[0])[2]
    return model, explainer


def _selected_fit(
    target: Target,
    design: Design,
    settings: dict[str, Any],
    first: lgb.Booster,
    shape: tuple[int, bool],
    split: tuple[NDArray[np.intp], NDArray[np.intp]],
    *,
    rounds: int,
    stopping: EarlyStopping,
) -> tuple[lgb.Booster, dict[str, Any]] | None:
    """``first``'s shape trained again on the columns that carry its gain, if that is better.

    The columns kept are those whose total split gain in ``first`` exceeds
    ``SELECT_GAIN_RATIO`` times the median gain of the columns it used: a column the
    target does not depend on still wins some splits by chance, with a gain of the order
    of the median; the columns that carry the relation stand far above it. The new model
    trains on the same rows, stopped on the same validation rows, and is kept only when
    its validation loss is below ``first``'s by more than ``SELECT_MARGIN`` standard
    errors of the paired per-row difference.

    Returns
    -------
    (model, settings) or None
        The new model and its settings (``feature_contri`` zero outside the kept
        columns); None when every column is kept, or the new model is not better.
    """
    gain = np.asarray(first.feature_importance(importance_type="gain"), dtype=np.float64)
    used = gain > 0
    if not used.any():
        return None
    kept = np.flatnonzero(gain > SELECT_GAIN_RATIO * np.median(gain[used]))
    allowed = np.ones(design.n_columns, dtype=bool)
    if "feature_contri" in settings:
        allowed = np.asarray(settings["feature_contri"], dtype=np.float64) > 0
    if kept.size == 0 or kept.size >= int(allowed.sum()):
        return None
    contri = np.zeros(design.n_columns)
    contri[kept] = 1.0
    chosen = {**settings, "feature_contri": contri.tolist()}
    chosen.pop("feature_fraction", None)
    fit_rows, valid_rows = split
    n_leaves, linear = shape
    y_fit, y_valid = target.values[fit_rows], target.values[valid_rows]
    model = lgb.train(
        _shape_settings(chosen, n_leaves, linear),
        design.train_set(fit_rows, y_fit, linear=linear),
        num_boost_round=rounds,
        valid_sets=[design.train_set(valid_rows, y_valid, linear=linear)],
        callbacks=[stopping],
        keep_training_booster=True,
    )
    model.free_dataset()
    X = design.matrix[valid_rows]
    gained = _row_losses(target, first, X, y_valid) - _row_losses(target, model, X, y_valid)
    se = float(np.std(gained, ddof=1) / np.sqrt(gained.size)) if gained.size > 1 else np.inf
    if not float(np.mean(gained)) > SELECT_MARGIN * se:
        return None
    return model, chosen


def _row_losses(
    target: Target, booster: lgb.Booster, X: NDArray[np.float64], y: NDArray[np.generic]
) -> NDArray[np.float64]:
    """Squared errors (numeric) or log losses of ``booster``'s best round on rows ``X``."""
    raw = np.asarray(booster.predict(X, num_iteration=booster.best_iteration), dtype=np.float64)
    if target.kind == "numeric":
        return (np.asarray(y, dtype=np.float64) - raw) ** 2
    labels = np.asarray(y, dtype=np.intp)
    probabilities = raw.reshape(len(X), -1)
    if probabilities.shape[1] == 1:
        probabilities = np.column_stack([1.0 - raw, raw])
    picked = probabilities[np.arange(len(labels)), labels]
    return -np.log(np.clip(picked, 1e-12, 1.0))


class EarlyStopping:
    """Stop when ``patience`` rounds pass without the validation loss improving by
    ``min_delta``; keep the round of *least* validation loss.

    LightGBM's own callback (``lightgbm.early_stopping``) keeps the last round that
    improved by ``min_delta`` on the one before it: where the loss still falls, by less than
    ``min_delta`` per ``patience`` rounds, the rounds after it were better and are thrown
    away (measured on a column at R^2 0.97 of a planted 0.999: ten rounds of a slow
    descent, 0.001 of score). The rounds are trained either way; this keeps the best.

    Parameters
    ----------
    patience : int
        Rounds without an improvement of ``min_delta`` after which training stops.
    min_delta : float
        Smallest fall of the validation loss (from the last round that fell this much)
        that resets the count.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> X = np.linspace(0, 1, 400)[:, None]
    >>> y = np.sin(6 * X[:, 0])
    >>> train, valid = lgb.Dataset(X[::2], y[::2]), lgb.Dataset(X[1::2], y[1::2])
    >>> def fit(callback):
    ...     settings = {"verbose": -1, "learning_rate": 0.1, "metric": "l2"}
    ...     return lgb.train(settings, train, 500, valid_sets=[valid], callbacks=[callback])
    >>> ours = fit(EarlyStopping(10, 1e-3))
    >>> theirs = fit(lgb.early_stopping(10, verbose=False, min_delta=1e-3))
    >>> ours.best_iteration > theirs.best_iteration
    True
    >>> bool(ours.best_score["valid_0"]["l2"] < theirs.best_score["valid_0"]["l2"])
    True
    """

    order = 30  # LightGBM's callbacks run by this number; its early stopping's
    before_iteration = False

    def __init__(self, patience: int, min_delta: float) -> None:
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self._counted = float("inf")  # the loss of the last round that counted
        self._counted_round = 0
        self._least = float("inf")
        self._least_round = 0
        self._least_result: list[Any] = []

    def __call__(self, env: Any) -> None:
        """Called by LightGBM after each round (``env``: its ``CallbackEnv``)."""
        results = list(env.evaluation_result_list)
        loss = float(results[0][2])
        if loss < self._counted - self.min_delta:
            self._counted, self._counted_round = loss, env.iteration
        if loss < self._least:
            self._least, self._least_round, self._least_result = loss, env.iteration, results
        last = env.iteration == env.end_iteration - 1
        if last or env.iteration - self._counted_round >= self.patience:
            raise lgb.callback.EarlyStopException(self._least_round, self._least_result)


def _shape_settings(settings: dict[str, Any], n_leaves: int, linear: bool) -> dict[str, Any]:
    """``settings`` for trees of ``n_leaves`` leaves, linear or constant."""
    shape = {**settings, "num_leaves": n_leaves, "linear_tree": linear}
    return shape | ({"linear_lambda": LINEAR_LAMBDA} if linear else {})


def _constant_loss(
    target: Target, y_fit: NDArray[np.generic], y_valid: NDArray[np.generic]
) -> float:
    """The validation loss (mean squared error or log loss) of the constant prediction."""
    prediction = constant_prediction(target, y_fit, len(y_valid))
    if target.kind == "numeric":
        return float(np.mean((np.asarray(y_valid, dtype=np.float64) - prediction) ** 2))
    labels = np.asarray(y_valid, dtype=np.intp)
    return float(-np.mean(np.log(np.clip(prediction[np.arange(len(labels)), labels], 1e-12, 1.0))))
