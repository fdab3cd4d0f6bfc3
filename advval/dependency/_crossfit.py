"""Scoring one target out-of-sample: score, chance test, attributions.

Two designs, chosen by the checker's row budget (:mod:`advval.dependency._budget`):

*Cross-fitting* (fewer than ``MAX_TRAIN_ROWS`` rows): K folds over the rows where the target is
observed (K from :func:`~advval.dependency._budget.cross_fit_folds`); every row is scored
by a model trained on the other folds (at most ``MAX_TRAIN_ROWS`` of their rows). The
chance test uses the same folds, forward-chained as in ``advval.drift._crossfit``, in two
steps: the folds ``h..K-2`` (``h = ceil((K - 1) / 2)``) are scored by one model trained
on folds ``0..h-1``, and the last fold by its out-of-fold model (trained on folds
``0..K-2``). Each step's permutation z-statistic
(:func:`~advval.dependency._scoring.association_z`) is standard normal given everything
its model was trained on when the target is independent of the predictors, and the
second step's model saw every row of the first: the two statistics are independent, and
their weighted Stouffer combination (weights ``sqrt(training folds x scored folds)``) is
a valid test. (Pooled out-of-fold predictions do **not** give one: each fold's model was
trained on the other folds' targets, which correlates the folds' errors; DESIGN.md
section 4.) The test costs one extra fit whatever K; at K = 3 it is the fold-by-fold
forward chain.

*Hold-out* (from ``MAX_TRAIN_ROWS`` rows): two "folds", the training rows (fold 0) and the scored
rows (fold 1), shared by every target; one model, trained on fold 0, gives the score, the
chance test (the z-statistic of fold 1 alone, the last step of the forward chain) and the
attributions. One fit instead of ``2K - 2``.

With ``n_permutations = B > 0`` the p-value is instead the exact refit permutation
p-value ``(1 + #{null >= observed}) / (1 + B)``: the target is shuffled, the whole
procedure rerun, and the unclipped normalised score compared (``B`` times the cost).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import KFold, StratifiedKFold

from .._stats import forward_chained
from ._fitting import (
    SHAP_MIN_ROWS,
    SHAP_ROWS,
    Design,
    FittedTarget,
    constant_prediction,
    fit_target,
)
from ._scoring import Target, association_z, metric, normalized_score, score_standard_error


@dataclass(frozen=True)
class HeldOut:
    """A target's model on the hold-out split, with what it predicted for the held-out rows.

    Attributes
    ----------
    model : FittedTarget
        Trained on the split's training rows.
    y : ndarray
        The target on the held-out rows where it is observed.
    prediction : ndarray
        The model's predictions (or class probabilities) of those rows.
    """

    model: FittedTarget
    y: NDArray[np.generic]
    prediction: NDArray[np.float64]


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
    held_out : HeldOut or None
        On the hold-out split, when asked to keep it: the model and its held-out rows.
    score_se : float
        Standard error of the unclipped score on the scored rows
        (:func:`~advval.dependency._scoring.score_standard_error`); NaN when undefined.
    """

    metric: float
    baseline: float
    score: float
    p_value: float
    contributions: NDArray[np.float64] | None
    n_rows: int
    held_out: HeldOut | None = None
    score_se: float = float("nan")

    @classmethod
    def undefined(cls, n_rows: int) -> TargetFit:
        """A target that cannot be scored: constant, or too few rows (score 0)."""
        return cls(float("nan"), float("nan"), 0.0, 1.0, None, n_rows)

    @classmethod
    def unscored(cls) -> TargetFit:
        """A column that is not predicted at all (free text, codes): score NaN."""
        nan = float("nan")
        return cls(nan, nan, nan, 1.0, None, 0)


@dataclass(frozen=True)
class Folds:
    """The fold of every observed row of a target, and the folds that are scored.

    Attributes
    ----------
    of_row : ndarray of int
        Fold of each observed row (position ``i`` is ``target.rows[i]``).
    scored : tuple of int
        Folds whose rows are scored, each by a model trained on the other folds: every
        fold for cross-fitting, fold 1 for the hold-out split.
    """

    of_row: NDArray[np.intp]
    scored: tuple[int, ...]

    @property
    def n_folds(self) -> int:
        return int(self.of_row.max()) + 1

    def rows(self, k: int) -> NDArray[np.intp]:
        """Positions (among the observed rows) of fold ``k``."""
        return np.flatnonzero(self.of_row == k)

    @property
    def scored_rows(self) -> NDArray[np.intp]:
        """Positions of every scored row, in order."""
        return np.flatnonzero(np.isin(self.of_row, self.scored))


def assign_folds(
    target: Target,
    n_splits: int,
    random_state: int,
    holdout: NDArray[np.bool_] | None = None,
) -> Folds | None:
    """Folds of the observed rows; None when there are too few to score.

    Parameters
    ----------
    holdout : ndarray of bool or None
        Over every row of the design: True for the hold-out split's scored rows. ``None``
        assigns ``n_splits`` cross-fitting folds (stratified for classes when possible).
    """
    n = target.rows.size
    if holdout is not None:
        of_row = np.asarray(holdout[target.rows], dtype=np.intp)
        if (of_row == 0).sum() < 2 or (of_row == 1).sum() < 3:
            return None
        return Folds(of_row, (1,))
    if n < 2 * n_splits:
        return None
    y = target.observed
    folds = np.empty(n, dtype=np.intp)
    splitter: KFold | StratifiedKFold = KFold(n_splits, shuffle=True, random_state=random_state)
    if target.kind == "classes" and np.bincount(np.asarray(y, dtype=np.intp)).min() >= n_splits:
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros(n), y)):
        folds[held_out] = k
    return Folds(folds, tuple(range(n_splits)))


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
    holdout: NDArray[np.bool_] | None = None,
    test: bool = True,
    explain: bool = True,
    n_permutations: int = 0,
    keep: bool = False,
) -> TargetFit:
    """Score how well the design's columns predict ``target`` out-of-sample.

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
    holdout : ndarray of bool or None
        The hold-out split (True: scored rows) over the design's rows; ``None``
        cross-fits ``n_splits`` folds.
    test : bool
        Compute the chance test (else ``p_value`` is NaN).
    explain : bool
        Compute TreeSHAP attributions.
    n_permutations : int
        0: forward-chained test; otherwise the refit permutation test.
    keep : bool
        On the hold-out split, keep the model and its held-out predictions
        (``held_out``), for :func:`~advval.dependency._shift.shift_from_fit`.
    """
    n = target.rows.size
    folds = assign_folds(target, n_splits, random_state, holdout)
    if folds is None or target.is_constant:
        return TargetFit.undefined(n)
    fitting = _Fitting(target, design, params, exclude, random_state, n_jobs, holdout)
    value, baseline, models, oof, base = fitting.out_of_fold(target, folds)
    score = normalized_score(value, baseline)
    scored = folds.scored_rows
    se = score_standard_error(target, target.observed[scored], oof[scored], base[scored])
    p_value = float("nan")
    if test and n_permutations > 0:
        p_value = _permutation_p_value(
            fitting, folds, n_permutations, observed=_raw_score(value, baseline)
        )
    elif test:
        p_value = _forward_p_value(fitting, folds, oof)
    contributions = _explain(fitting, models, folds) if explain else None
    held_out = None
    if keep and holdout is not None:
        held = folds.rows(1)
        held_out = HeldOut(models[1], target.observed[held], oof[held])
    return TargetFit(value, baseline, score, p_value, contributions, n, held_out, se)


@dataclass(frozen=True)
class _Fitting:
    target: Target
    design: Design
    params: dict[str, Any]
    exclude: NDArray[np.intp] | None
    random_state: int
    n_jobs: int | None
    holdout: NDArray[np.bool_] | None

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
        return model.predict(self.design.matrix[self.target.rows[positions]])

    def out_of_fold(
        self, target: Target, folds: Folds
    ) -> tuple[
        float, float, dict[int, FittedTarget], NDArray[np.float64], NDArray[np.float64]
    ]:
        """The metric of the model and of the baseline on the scored rows; the models.

        Each scored fold ``k`` is predicted by ``models[k]``, trained on the other folds;
        the arrays hold those predictions and the naive ones (the training folds' mean or
        class shares; rows of unscored folds are zeros).
        """
        y = target.observed
        n = len(folds.of_row)
        shape = (n,) if target.kind == "numeric" else (n, target.n_classes)
        oof, base = np.zeros(shape), np.zeros(shape)
        models = {}
        for k in folds.scored:
            train = np.flatnonzero(folds.of_row != k)
            held = folds.rows(k)
            model = self.fit(target, train, self.random_state + k)
            oof[held] = self.predict(model, held)
            base[held] = constant_prediction(target, y[train], held.size)
            models[k] = model
        scored = folds.scored_rows
        value = metric(target, y[scored], oof[scored])
        return value, metric(target, y[scored], base[scored]), models, oof, base


def _forward_p_value(fitting: _Fitting, folds: Folds, oof: NDArray[np.float64]) -> float:
    """Folds ``h..K-2`` scored by a model of folds ``0..h-1``, then the last fold."""
    target = fitting.target
    y = target.observed
    last = folds.n_folds - 1
    first = -(-last // 2)  # h = ceil((K - 1) / 2)
    z_values, trained, scored = [], [], []
    if first < last:
        held = np.flatnonzero((folds.of_row >= first) & (folds.of_row < last))
        model = fitting.fit(
            target, np.flatnonzero(folds.of_row < first), fitting.random_state + 100 + first
        )
        z_values.append(association_z(target, y[held], fitting.predict(model, held)))
        trained.append(first)
        scored.append(last - first)
    held = folds.rows(last)  # its out-of-fold model was trained on folds 0..K-2: forward
    z_values.append(association_z(target, y[held], oof[held]))
    trained.append(last)
    scored.append(1)
    return forward_chained(z_values, trained, scored)[1]


def _permutation_p_value(
    fitting: _Fitting, folds: Folds, n_permutations: int, *, observed: float
) -> float:
    target = fitting.target
    rng = np.random.default_rng(fitting.random_state)
    n_splits = folds.n_folds
    exceed = 0
    for _ in range(n_permutations):
        values = target.values.copy()
        values[target.rows] = target.observed[rng.permutation(target.rows.size)]
        shuffled = replace(target, values=values)
        # the folds are drawn again, exactly as for the observed target (stratification)
        null_folds = assign_folds(shuffled, n_splits, fitting.random_state, fitting.holdout)
        value, baseline, _, _, _ = fitting.out_of_fold(
            shuffled, folds if null_folds is None else null_folds
        )
        exceed += _raw_score(value, baseline) >= observed
    return (1 + exceed) / (1 + n_permutations)


def _explain(
    fitting: _Fitting, models: dict[int, FittedTarget], folds: Folds
) -> NDArray[np.float64] | None:
    """Mean |TreeSHAP| of each predictor over at most ``SHAP_ROWS`` scored rows in all."""
    rng = np.random.default_rng(fitting.random_state)
    total = np.zeros(fitting.design.n_columns)
    used = 0
    # a multiclass model has one tree per class and round: fewer rows keep the cost flat
    outputs = fitting.target.n_classes if fitting.target.kind == "classes" else 1
    limit = SHAP_ROWS if outputs <= 2 else max(SHAP_MIN_ROWS, 2 * SHAP_ROWS // outputs)
    per_fold = -(-limit // len(models))
    for k, model in models.items():
        held = folds.rows(k)
        if held.size > per_fold:
            held = np.sort(rng.choice(held, size=per_fold, replace=False))
        values = model.contributions(fitting.design.matrix[fitting.target.rows[held]])
        if values is not None:
            total += values
            used += 1
    return total / used if used else None
