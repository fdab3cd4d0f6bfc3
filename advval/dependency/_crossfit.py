"""Cross-fitting one target: out-of-fold score, chance test, attributions.

Out-of-fold predictions (K-fold over the rows where the target is observed) give the
dependency score and the TreeSHAP attributions. The chance test uses the same folds,
forward-chained as in ``advval.drift._crossfit``: fold ``k`` (``k = 1..K-1``) is scored by
a model trained on folds ``0..k-1`` only, and its permutation z-statistic
(:func:`~advval.dependency._scoring.association_z`) is standard normal given everything
in folds ``0..k-1`` when the target is independent of the predictors. The ``K - 1``
statistics are then independent, and their weighted Stouffer combination is a valid
test. (Pooled out-of-fold predictions do **not** give one: each fold's model was trained
on the other folds' targets, which correlates the folds' errors; DESIGN.md section 4.)
The last forward model is the out-of-fold model of the last fold, so the test costs
``K - 2`` extra fits.

Above ``MAX_SCORED_ROWS`` observed rows, the score, the chance test and the attributions
use a uniform random subset of that many rows (each in its own fold, predicted by the
model trained without it); the models still train on every fold's rows (at most
``MAX_TRAIN_ROWS``). Prediction then costs the same at 50,000 rows as at 20,000, and
the score's standard error is already negligible there.

With ``n_permutations = B > 0`` the p-value is instead the exact refit permutation
p-value ``(1 + #{null >= observed}) / (1 + B)``: the target is shuffled, the whole
out-of-fold procedure rerun, and the unclipped normalised score compared (``B`` times
the cost).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import KFold, StratifiedKFold

from .._stats import stouffer
from ._fitting import (
    SHAP_MIN_ROWS,
    SHAP_ROWS,
    Design,
    FittedTarget,
    constant_prediction,
    fit_target,
)
from ._scoring import Target, association_z, metric, normalized_score

#: most observed rows a target is scored on (a uniform random subset above this)
MAX_SCORED_ROWS = 20_000


@dataclass(frozen=True)
class TargetFit:
    """What cross-fitting found for one target.

    Attributes
    ----------
    metric, baseline : float
        Out-of-fold R^2 or AUC of the model and of the naive baseline (NaN when
        undefined: a constant target or too few rows).
    score : float
        Normalised 0..1 dependency score.
    p_value : float
        One-sided p-value of "the other columns carry no information about the target".
    contributions : ndarray or None
        Mean |TreeSHAP| of each predictor column on held-out rows.
    n_rows : int
        Rows with the target observed.
    models : tuple of FittedTarget
        The out-of-fold models (fold ``k``'s model was trained without fold ``k``).
    """

    metric: float
    baseline: float
    score: float
    p_value: float
    contributions: NDArray[np.float64] | None
    n_rows: int
    models: tuple[FittedTarget, ...] = ()

    @classmethod
    def undefined(cls, n_rows: int) -> TargetFit:
        return cls(float("nan"), float("nan"), 0.0, 1.0, None, n_rows)


def assign_folds(target: Target, n_splits: int, random_state: int) -> NDArray[np.intp] | None:
    """Fold of every observed row (stratified for classes when possible); None if too few."""
    n = target.rows.size
    if n < 2 * n_splits:
        return None
    y = target.observed
    folds = np.empty(n, dtype=np.intp)
    splitter: KFold | StratifiedKFold = KFold(n_splits, shuffle=True, random_state=random_state)
    if target.kind == "classes" and np.bincount(np.asarray(y, dtype=np.intp)).min() >= n_splits:
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros(n), y)):
        folds[held_out] = k
    return folds


def _raw_score(value: float, baseline: float) -> float:
    if not np.isfinite(value) or not np.isfinite(baseline) or baseline >= 1.0:
        return 0.0
    return (value - baseline) / (1.0 - baseline)


def cross_fit(
    target: Target,
    design: Design,
    params: dict[str, Any],
    *,
    exclude: NDArray[np.intp] | None = None,
    n_splits: int,
    random_state: int,
    n_jobs: int | None,
    test: bool = True,
    explain: bool = True,
    n_permutations: int = 0,
) -> TargetFit:
    """Score how well the design's columns predict ``target`` out-of-fold.

    Parameters
    ----------
    target : Target
    design : Design
        Predictor columns for every row of the data (only ``target.rows`` are used).
    params : dict
        LightGBM parameters.
    exclude : ndarray of int or None
        Design columns the models may not use (the target's own).
    n_splits, random_state, n_jobs
        Folds, seed, LightGBM threads.
    test : bool
        Compute the chance test (else ``p_value`` is NaN).
    explain : bool
        Compute TreeSHAP attributions.
    n_permutations : int
        0: forward-chained test; otherwise the refit permutation test.
    """
    n = target.rows.size
    folds = assign_folds(target, n_splits, random_state)
    if folds is None or target.is_constant:
        return TargetFit.undefined(n)
    fitting = _Fitting(target, design, params, exclude, random_state, n_jobs)
    scored = scored_rows(n, random_state)
    y = target.observed[scored]
    oof, base, models = fitting.out_of_fold(target, folds, scored)
    value, baseline = metric(target, y, oof), metric(target, y, base)
    score = normalized_score(value, baseline)
    p_value = float("nan")
    if test and n_permutations > 0:
        p_value = _permutation_p_value(
            fitting, folds, scored, n_permutations, observed=_raw_score(value, baseline)
        )
    elif test:
        p_value = _forward_p_value(fitting, folds, scored, models)
    contributions = _explain(fitting, models, folds, scored) if explain else None
    return TargetFit(value, baseline, score, p_value, contributions, n, tuple(models))


@dataclass(frozen=True)
class _Fitting:
    target: Target
    design: Design
    params: dict[str, Any]
    exclude: NDArray[np.intp] | None
    random_state: int
    n_jobs: int | None

    def fit(self, target: Target, positions: NDArray[np.intp], seed: int) -> FittedTarget:
        """A model trained on the observed rows at ``positions`` (0..n_observed-1)."""
        return fit_target(
            target,
            self.design,
            target.rows[positions],
            self.params,
            exclude=self.exclude,
            random_state=seed,
            n_jobs=self.n_jobs,
        )

    def predict(self, model: FittedTarget, positions: NDArray[np.intp]) -> NDArray[np.float64]:
        return model.predict(self.design.X.iloc[self.target.rows[positions]])

    def out_of_fold(
        self, target: Target, folds: NDArray[np.intp], scored: NDArray[np.intp]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[FittedTarget]]:
        """Out-of-fold model and baseline predictions of the ``scored`` rows (positions)."""
        n_splits = int(folds.max()) + 1
        y = target.observed
        n = len(scored)
        shape = (n,) if target.kind == "numeric" else (n, target.n_classes)
        oof, base = np.empty(shape), np.empty(shape)
        models = []
        for k in range(n_splits):
            train = np.flatnonzero(folds != k)
            held = np.flatnonzero(folds[scored] == k)  # indices into scored
            model = self.fit(target, train, self.random_state + k)
            oof[held] = self.predict(model, scored[held])
            base[held] = constant_prediction(target, y[train], held.size)
            models.append(model)
        return oof, base, models


def scored_rows(n: int, random_state: int) -> NDArray[np.intp]:
    """Positions of the observed rows a target is scored on: all, or a sorted subset.

    Examples
    --------
    >>> scored_rows(5, 0)
    array([0, 1, 2, 3, 4])
    >>> scored_rows(10**6, 0).size == MAX_SCORED_ROWS
    True
    """
    if n <= MAX_SCORED_ROWS:
        return np.arange(n)
    rng = np.random.default_rng(random_state + 7)
    return np.sort(rng.choice(n, size=MAX_SCORED_ROWS, replace=False))


def _forward_p_value(
    fitting: _Fitting,
    folds: NDArray[np.intp],
    scored: NDArray[np.intp],
    models: list[FittedTarget],
) -> float:
    target = fitting.target
    y = target.observed
    n_splits = len(models)
    z_values, weights = [], []
    for k in range(1, n_splits):
        held = scored[folds[scored] == k]
        if k == n_splits - 1:
            model = models[k]  # trained on folds 0..K-2: the forward model of the last fold
        else:
            model = fitting.fit(target, np.flatnonzero(folds < k), fitting.random_state + 100 + k)
        z_values.append(association_z(target, y[held], fitting.predict(model, held)))
        weights.append(np.sqrt(k))
    return stouffer(z_values, weights)[1]


def _permutation_p_value(
    fitting: _Fitting,
    folds: NDArray[np.intp],
    scored: NDArray[np.intp],
    n_permutations: int,
    *,
    observed: float,
) -> float:
    target = fitting.target
    rng = np.random.default_rng(fitting.random_state)
    n_splits = int(folds.max()) + 1
    exceed = 0
    for _ in range(n_permutations):
        values = target.values.copy()
        values[target.rows] = target.observed[rng.permutation(target.rows.size)]
        shuffled = replace(target, values=values)
        # the folds are drawn again, exactly as for the observed target (stratification)
        null_folds = assign_folds(shuffled, n_splits, fitting.random_state)
        oof, base, _ = fitting.out_of_fold(
            shuffled, folds if null_folds is None else null_folds, scored
        )
        y = shuffled.observed[scored]
        exceed += _raw_score(metric(shuffled, y, oof), metric(shuffled, y, base)) >= observed
    return (1 + exceed) / (1 + n_permutations)


def _explain(
    fitting: _Fitting,
    models: list[FittedTarget],
    folds: NDArray[np.intp],
    scored: NDArray[np.intp],
) -> NDArray[np.float64] | None:
    rng = np.random.default_rng(fitting.random_state)
    total = np.zeros(fitting.design.n_columns)
    used = 0
    # a multiclass model has one tree per class and round: fewer rows keep the cost flat
    outputs = fitting.target.n_classes if fitting.target.kind == "classes" else 1
    limit = SHAP_ROWS if outputs <= 2 else max(SHAP_MIN_ROWS, 2 * SHAP_ROWS // outputs)
    for k, model in enumerate(models):
        held = scored[folds[scored] == k]
        if held.size > limit:
            held = np.sort(rng.choice(held, size=limit, replace=False))
        values = model.contributions(fitting.design.X.iloc[fitting.target.rows[held]])
        if values is not None:
            total += values
            used += 1
    return total / used if used else None
