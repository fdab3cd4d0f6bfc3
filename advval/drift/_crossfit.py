"""Cross-fitting of the domain classifier: out-of-fold scores and the sequential test.

Why two designs
---------------
*Out-of-fold scores* (ordinary stratified K-fold) give every row a score from a model that
never saw it: they give the AUC, its interval, test-likeness and attributions. They do
**not** give an honest p-value: fold ``j``'s model is trained on fold ``k`` and fold ``k``'s
model on fold ``j``, so the per-fold AUCs share the same chance pattern and are positively
correlated under no shift. A rank test on the pooled scores, or a z-test of the mean fold
AUC, then rejects far more often than ``alpha`` (DESIGN.md section 4 measured 13.5%).

The *sequential* (forward-chained) design fixes this exactly. With the same folds, the
model for fold ``k`` (``k = 2..K``) is trained on folds ``1..k-1`` only and scored on fold
``k``. Under no shift, fold ``k``'s rows are i.i.d. and independent of that model, and the
labels of fold ``k`` are fixed by the stratification, so fold ``k``'s one-sided
Mann-Whitney p-value is uniform *conditionally on everything in folds 1..k-1*. The
``K - 1`` p-values are therefore independent uniforms, and their weighted Stouffer
combination is a valid test at any sample size, with no assumption on the classifier. The
weights ``sqrt(k - 1)`` (training folds of model ``k``) are fixed in advance and give the
better-trained later models more say.

The last sequential model (trained on folds ``1..K-1``) is the ordinary K-fold model of
fold ``K``, so it is fitted once. Beyond ``SEQUENTIAL_MAX_ROWS`` rows the sequential test
runs on a stratified subsample of each fold: at that size its power is never the
bottleneck, and the verdict's effect floor (``min_effect``) decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin

from .._lightgbm import BinnedRows, can_train_on_subsets, fit_on_subset, train_params
from .._models import fit_classifier, positive_scores, stopping_rule, stopping_split
from .._stats import RankTest, forward_chained, rank_test

#: rows above which the sequential test uses a stratified subsample of each fold
SEQUENTIAL_MAX_ROWS = 200_000

#: Correlation between the evaluation errors of two folds' AUCs under ordinary K-fold
#: cross-fitting. DeLong's variance treats the pooled out-of-fold scores as independent
#: and so covers the domain classifier's true AUC only ~84% of the time at 95% nominal
#: (measured: 500 rows a side, planted 0.3-std shift, 100 replicates); the design effect
#: ``1 + (K - 1) * rho`` with this ``rho`` restores nominal coverage (the same ~1.4x spread
#: DESIGN.md section 4 measured under no shift; see tests/test_calibration.py).
FOLD_ERROR_CORRELATION = 0.25


def design_effect(n_splits: int) -> float:
    """Variance inflation of a pooled out-of-fold AUC over DeLong's independent-rows formula.

    Examples
    --------
    >>> design_effect(5)
    2.0
    """
    return 1.0 + (n_splits - 1) * FOLD_ERROR_CORRELATION


def assign_folds(
    y: NDArray[np.int_],
    *,
    n_splits: int,
    random_state: int,
    X: pd.DataFrame | None = None,
    groups: NDArray[np.int_] | None = None,
) -> NDArray[np.intp]:
    """Fold number (0..n_splits-1) of every row, stratified by ``y``; groups kept together.

    Rows of one group share a fold. Without ``groups``, rows with identical content (in
    ``X``) form the groups: otherwise a row copied into both train and test would be scored
    by a model that saw its twin with the other label, and identical data sets would score
    an AUC far below 0.5.

    Examples
    --------
    >>> folds = assign_folds(np.array([0] * 6 + [1] * 6), n_splits=3, random_state=0)
    >>> np.bincount(folds).tolist()
    [4, 4, 4]
    >>> X = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3]})
    >>> folds = assign_folds(np.array([0, 0, 0, 1, 1, 1]), n_splits=3, random_state=0, X=X)
    >>> bool((folds[:3] == folds[3:]).all())
    True
    """
    user_groups = groups is not None
    if groups is not None:
        groups = pd.factorize(pd.Series(groups))[0]
    elif X is None:
        groups = np.arange(len(y))
    else:
        hashes = pd.util.hash_pandas_object(X, index=False).to_numpy()
        _, groups = np.unique(hashes, return_inverse=True)
    folds = _folds_of_groups(y, groups, n_splits, np.random.default_rng(random_state))
    if _every_fold_has_both_sides(folds, y, n_splits):
        return folds
    if user_groups:
        raise ValueError(
            f"The groups are too few or too large to give each of the n_splits={n_splits} "
            f"folds both train and test rows; use fewer folds or finer groups."
        )
    # so many duplicates that grouping them starves a fold: fall back to single rows
    return _folds_of_groups(y, np.arange(len(y)), n_splits, np.random.default_rng(random_state))


def _folds_of_groups(
    y: NDArray[np.int_], groups: NDArray[np.intp], n_splits: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Shuffle the groups of each stratum and cut them into folds of equal row counts."""
    n_groups = int(groups.max()) + 1
    # a group's stratum: its label when all its rows share one, else "mixed"
    positives = np.bincount(groups, weights=y, minlength=n_groups)
    sizes = np.bincount(groups, minlength=n_groups)
    stratum = np.where(positives == 0, 0, np.where(positives == sizes, 1, 2))
    group_fold = np.zeros(n_groups, dtype=np.intp)
    for value in (0, 1, 2):
        members = rng.permutation(np.flatnonzero(stratum == value))
        if members.size == 0:
            continue
        counts = sizes[members].astype(np.float64)
        middle = (np.cumsum(counts) - counts / 2.0) / counts.sum()
        group_fold[members] = (
            np.floor((middle + rng.uniform()) * n_splits).astype(np.intp) % n_splits
        )
    return group_fold[groups]


def _every_fold_has_both_sides(folds: NDArray[np.intp], y: NDArray[np.int_], n_splits: int) -> bool:
    return bool(
        np.bincount(folds[y == 0], minlength=n_splits).min() > 0
        and np.bincount(folds[y == 1], minlength=n_splits).min() > 0
    )


@dataclass
class CrossFitter:
    """Fits the domain classifier on unions of folds, each union once.

    Parameters
    ----------
    estimator : classifier
        Unfitted template, cloned for every fit.
    X : DataFrame
        Encoded model matrix (train rows then test rows).
    y : ndarray of int
        1 for test rows, 0 for train rows.
    folds : ndarray of int
        Fold of every row.
    seeds : ndarray of int
        One seed per fold union size for the inner early-stopping split.
    on_fit : callable
        Called after every fit (progress bars).
    settle_auc : float or None
        Passed to :func:`~advval._models.fit_classifier`: LightGBM fits stop once their
        validation AUC is certainly above this level and no longer rising.
    """

    estimator: ClassifierMixin
    X: pd.DataFrame
    y: NDArray[np.int_]
    folds: NDArray[np.intp]
    seed: int
    on_fit: Callable[[], None] = lambda: None
    settle_auc: float | None = None
    _models: dict[tuple[tuple[int, ...], bool], ClassifierMixin] = field(default_factory=dict)
    _binned: BinnedRows | None = None
    _column_models: dict[tuple[tuple[int, ...], tuple[int, ...]], ClassifierMixin] = field(
        default_factory=dict
    )

    @property
    def n_splits(self) -> int:
        return int(self.folds.max()) + 1

    def model(
        self,
        training_folds: tuple[int, ...],
        rows: NDArray[np.bool_] | None = None,
        *,
        subsampled: bool = False,
    ) -> ClassifierMixin:
        """The model trained on ``training_folds`` (restricted to ``rows`` when given)."""
        key = (training_folds, subsampled)
        if key not in self._models:
            mask = np.isin(self.folds, training_folds)
            if rows is not None:
                mask &= rows
            index = np.flatnonzero(mask)
            seed = self.seed + len(training_folds)
            if can_train_on_subsets(self.estimator):
                self._models[key] = self._fit_subset(index, seed)
            else:
                self._models[key] = fit_classifier(
                    self.estimator,
                    self.X.iloc[index],
                    self.y[index],
                    random_state=seed,
                    settle_auc=self.settle_auc,
                )
            self.on_fit()
        return self._models[key]

    def model_on_columns(
        self, training_folds: tuple[int, ...], columns: tuple[int, ...]
    ) -> ClassifierMixin:
        """The model trained on ``training_folds`` using only the model ``columns`` (positions).

        For a LightGBM template (:func:`~advval._lightgbm.can_train_on_subsets`) only: the
        columns are restricted by an interaction constraint on the same binned dataset, so
        nothing is binned again; the model reads every column and ignores the others.
        """
        key = (training_folds, columns)
        if key not in self._column_models:
            index = np.flatnonzero(np.isin(self.folds, training_folds))
            self._column_models[key] = self._fit_subset(
                index, self.seed + len(training_folds), columns=columns
            )
            self.on_fit()
        return self._column_models[key]

    def _fit_subset(
        self, index: NDArray[np.intp], seed: int, *, columns: tuple[int, ...] | None = None
    ) -> ClassifierMixin:
        """The LightGBM template trained on ``index`` through one binned dataset.

        The same model :func:`~advval._models.fit_classifier` trains (same inner
        early-stopping split and rule), without binning the rows again for every fit.
        With ``columns``, only those model columns may be split on.
        """
        params, rounds = train_params(self.estimator)
        if columns is not None:
            params["interaction_constraints"] = [list(columns)]
        if self._binned is None:
            self._binned = BinnedRows(self.X, self.y, params)
        y = self.y[index]
        split = stopping_split(y, random_state=seed)
        if split is None:
            return fit_on_subset(
                self._binned, index, None, params=params, rounds=min(rounds, 100), callbacks=[]
            )
        fit, stop = split
        metrics, callback = stopping_rule(y[stop], self.settle_auc)
        return fit_on_subset(
            self._binned,
            index[fit],
            index[stop],
            params={**params, "metric": metrics},
            rounds=rounds,
            callbacks=[callback],
        )


@dataclass(frozen=True)
class CrossFitState:
    """What a fitted validator keeps to train more models like its own fold models.

    Attributes
    ----------
    estimator : classifier
        The template every fold model was cloned from.
    folds : ndarray of int
        Fold of every budgeted row (train rows first).
    seed : int
        The :class:`CrossFitter` seed.
    settle_auc : float or None
        The :class:`CrossFitter` early-stopping level.
    """

    estimator: ClassifierMixin
    folds: NDArray[np.intp]
    seed: int
    settle_auc: float | None

    def fitter(self, X: pd.DataFrame, y: NDArray[np.int_]) -> CrossFitter:
        """A :class:`CrossFitter` of ``X`` (the budgeted rows, any columns) with these folds."""
        return CrossFitter(
            self.estimator, X, y, self.folds, seed=self.seed, settle_auc=self.settle_auc
        )


@dataclass(frozen=True)
class OutOfFold:
    """Out-of-fold scores and the fold models."""

    scores: NDArray[np.float64]
    models: tuple[ClassifierMixin, ...]
    fold_aucs: tuple[float, ...]


def out_of_fold(fitter: CrossFitter) -> OutOfFold:
    """Score every row with the model trained on the other folds."""
    scores = np.empty(len(fitter.y), dtype=np.float64)
    models, aucs = [], []
    for k in range(fitter.n_splits):
        others = tuple(j for j in range(fitter.n_splits) if j != k)
        model = fitter.model(others)
        held_out = np.flatnonzero(fitter.folds == k)
        scores[held_out] = positive_scores(model, fitter.X.iloc[held_out])
        models.append(model)
        aucs.append(rank_test(fitter.y[held_out], scores[held_out]).auc)
    return OutOfFold(scores=scores, models=tuple(models), fold_aucs=tuple(aucs))


@dataclass(frozen=True)
class SequentialTest:
    """Result of the forward-chained test.

    Attributes
    ----------
    p_value : float
        Weighted Stouffer combination of the per-fold one-sided p-values.
    fold_p_values : tuple of float
        p-value of folds 2..K, each from a model trained on the folds before it.
    n_rows : int
        Rows the test used.
    """

    p_value: float
    z: float
    fold_p_values: tuple[float, ...]
    n_rows: int


def sequential_test(fitter: CrossFitter, *, random_state: int) -> SequentialTest:
    """Forward-chained test of "train and test come from one distribution"."""
    rows, subsampled = _sequential_rows(fitter, random_state=random_state)
    results = []
    for k in range(1, fitter.n_splits):
        model = fitter.model(tuple(range(k)), rows, subsampled=subsampled)
        held_out = np.flatnonzero((fitter.folds == k) & rows)
        results.append(
            rank_test(fitter.y[held_out], positive_scores(model, fitter.X.iloc[held_out]))
        )
    return combine_sequential(results, n_rows=int(rows.sum()))


def combine_sequential(results: Sequence[RankTest], *, n_rows: int) -> SequentialTest:
    """Weighted Stouffer combination of the forward-chained folds' rank tests.

    ``results[i]`` is the test of fold ``i + 1`` scored by a model trained on folds
    ``0..i``; its weight ``sqrt(i + 1)`` (the number of training folds) is fixed in
    advance. Shared by the single-machine and the Dask paths.

    Examples
    --------
    >>> from advval._stats import RankTest
    >>> test = combine_sequential([RankTest(0.5, 0.0, 0.5)] * 4, n_rows=100)
    >>> test.z, test.p_value
    (0.0, 0.5)
    """
    z, p_value = forward_chained([r.z for r in results], np.arange(1, len(results) + 1))
    return SequentialTest(
        p_value=p_value, z=z, fold_p_values=tuple(r.p_value for r in results), n_rows=n_rows
    )


def _sequential_rows(fitter: CrossFitter, *, random_state: int) -> tuple[NDArray[np.bool_], bool]:
    n = len(fitter.y)
    if n <= SEQUENTIAL_MAX_ROWS:
        return np.ones(n, dtype=bool), False
    rng = np.random.default_rng(random_state)
    keep = np.zeros(n, dtype=bool)
    share = SEQUENTIAL_MAX_ROWS / n
    for fold in range(fitter.n_splits):
        for label in (0, 1):
            members = np.flatnonzero((fitter.folds == fold) & (fitter.y == label))
            take = max(1, round(share * members.size))
            keep[rng.choice(members, size=take, replace=False)] = True
    return keep, True
