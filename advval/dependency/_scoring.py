"""Targets, scores and chance tests for "how well do the other columns predict this one".

Arrays in, numbers out; nothing here fits a model.

A target is either *numeric* (numeric and datetime columns; scored by R^2) or *classes*
(boolean and categorical columns; scored by ROC AUC, for more than two classes the
one-vs-rest AUCs averaged with the classes' shares as weights, so that a class of a few
rows cannot swing the score). A class is a label on at least ``MIN_CLASS_SHARE`` of the
rows, at most ``MAX_CLASSES`` of them; rarer labels share one "other" class. Both kinds
are turned into a 0..1 dependency score against a naive baseline::

    score = max(0, (metric - baseline) / (perfect - baseline))

with ``perfect = 1``; the baseline is what predicting the training folds' mean (numeric)
or class shares (classes) scores out-of-fold: an R^2 slightly below 0, and an AUC of
exactly 0.5.

The chance test (:func:`association_z`) is a permutation test of one held-out fold:
under "X_j is independent of the other columns" a model trained on other rows gives
predictions that are independent of the held-out rows' X_j, so every permutation of X_j
within the fold is equally likely. The statistic is linear in the permutation, so its
exact permutation mean and variance are known (Hoeffding's combinatorial central limit
theorem) and no Monte-Carlo permutations are needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .._frames import magnitude_unit

TargetKind = Literal["numeric", "classes"]

#: a categorical target keeps its most frequent classes; the rest become one "other" class
#: (one LightGBM tree per class and round: a 1,000-level column would cost 1,000 trees)
MAX_CLASSES = 20
#: a label needs this share of the observed rows to be a class of its own: a rarer one
#: weighs less than this in the score, costs a tree per round like any class, and has too
#: few rows in a budget of thousands to be learnt. A column where no label reaches it (a
#: code per plane, per flight, per customer) has nothing to predict as classes
MIN_CLASS_SHARE = 0.01

#: probabilities are clipped here for per-row log losses
_EPS = 1e-12


@dataclass(frozen=True)
class Target:
    """One column prepared as a prediction target.

    Attributes
    ----------
    kind : {"numeric", "classes"}
    values : ndarray of shape (n_rows,)
        Floats (numeric) or class codes ``0..n_classes-1`` (classes); only the ``rows``
        entries are meaningful.
    rows : ndarray of int
        Rows where the column is not missing.
    n_classes : int
        Number of classes (0 for numeric targets).
    unit : float
        Numeric targets hold the column's values divided by this power of two (see
        :func:`~advval._frames.magnitude_unit`); 1.0 for ordinary data and for classes.
    """

    kind: TargetKind
    values: NDArray[np.float64] | NDArray[np.intp]
    rows: NDArray[np.intp]
    n_classes: int = 0
    unit: float = 1.0

    @property
    def observed(self) -> NDArray[np.float64] | NDArray[np.intp]:
        """The values of the non-missing rows."""
        return self.values[self.rows]

    def subset(self, rows: NDArray[np.intp]) -> Target:
        """The target on ``rows`` only (positions into ``values``), renumbered 0..len-1.

        Examples
        --------
        >>> numeric_target(np.array([1.0, np.nan, 3.0, 4.0])).subset(np.array([1, 3])).rows
        array([1])
        """
        values = self.values[rows]
        present = np.zeros(len(self.values), dtype=bool)
        present[self.rows] = True
        return Target(self.kind, values, np.flatnonzero(present[rows]), self.n_classes, self.unit)

    @property
    def is_constant(self) -> bool:
        """Whether fewer than two distinct values are observed."""
        observed = self.observed
        return observed.size == 0 or bool(np.all(observed == observed[0]))


def numeric_target(values: NDArray[np.float64], *, unit: float | None = None) -> Target:
    """A numeric target; NaN marks missing rows.

    Parameters
    ----------
    values : ndarray of float
    unit : float or None
        Divide the values by this power of two; ``None`` uses
        :func:`~advval._frames.magnitude_unit` of ``values`` (1 unless they are near the
        float limits, where means, R^2 and LightGBM's sums would overflow). Pass one unit
        to targets that are compared (train and test).

    Examples
    --------
    >>> numeric_target(np.array([1.0, np.nan, 3.0])).rows.tolist()
    [0, 2]
    >>> numeric_target(np.array([1e308, -1e308])).observed.tolist()
    [1.1125369292536007, -1.1125369292536007]
    """
    values = np.asarray(values, dtype=np.float64)
    if unit is None:
        unit = magnitude_unit(values)
    if unit != 1.0:
        values = values / unit
    return Target("numeric", values, np.flatnonzero(~np.isnan(values)), unit=unit)


def class_mapping(labels: ArrayLike) -> dict[object, int]:
    """Label -> class code, most frequent first (ties by label); rare labels merged.

    The labels on at least ``MIN_CLASS_SHARE`` of the observed rows get codes of their
    own, at most ``MAX_CLASSES - 1`` of them (all ``MAX_CLASSES`` when no label is left
    over); every other label shares the next code, the "other" class.

    Examples
    --------
    >>> class_mapping(pd.Series(["b", "a", None, "b"]))
    {'b': 0, 'a': 1}
    >>> class_mapping(pd.Series(["a"] * 200 + ["b", "c"]))  # b and c: under 1% each
    {'a': 0, 'b': 1, 'c': 1}
    >>> class_mapping(pd.Series([f"id{i}" for i in range(200)]))["id7"]
    0
    """
    counts = pd.Series(np.asarray(labels, dtype=object)).value_counts(dropna=True)
    order = sorted(counts.index, key=lambda label: (-int(counts[label]), str(label)))
    floor = MIN_CLASS_SHARE * float(counts.sum())
    frequent = [label for label in order[:MAX_CLASSES] if counts[label] >= floor]
    if len(frequent) == len(order):
        return {label: i for i, label in enumerate(order)}
    frequent = frequent[: MAX_CLASSES - 1]
    other = len(frequent)
    return {label: (i if i < other else other) for i, label in enumerate(order)}


def is_code(labels: ArrayLike) -> bool:
    """Whether no label is on ``MIN_CLASS_SHARE`` of the observed rows: nothing to predict.

    Such a column (a code per plane, per flight, per customer) would be one "other" class.

    Examples
    --------
    >>> is_code(pd.Series(list("aab"))), is_code(pd.Series([f"id{i}" for i in range(200)]))
    (False, True)
    """
    counts = pd.Series(np.asarray(labels, dtype=object)).value_counts(dropna=True)
    return bool(len(counts)) and int(counts.max()) < MIN_CLASS_SHARE * float(counts.sum())


def class_target(labels: ArrayLike, mapping: dict[object, int] | None = None) -> Target:
    """A class target from labels (missing stays missing).

    Parameters
    ----------
    labels : Series or ndarray
    mapping : dict or None
        Label -> code from :func:`class_mapping` (of another sample); ``None`` learns it
        from ``labels``. Labels the mapping does not know get one extra code.

    Examples
    --------
    >>> target = class_target(pd.Series(["b", "a", None, "b"]))
    >>> target.observed.tolist(), target.n_classes
    ([0, 1, 0], 2)
    >>> class_target(pd.Series(["a", "c"]), {"a": 0, "b": 1}).observed.tolist()
    [0, 2]
    """
    series = pd.Series(np.asarray(labels, dtype=object))
    if mapping is None:
        mapping = class_mapping(series)
    known = max(mapping.values()) + 1 if mapping else 0
    missing = series.isna().to_numpy()
    codes = np.array(series.map(mapping).to_numpy(dtype=np.float64, na_value=np.nan))
    unseen = ~missing & np.isnan(codes)
    codes[unseen] = known
    values = np.where(missing, -1, codes).astype(np.intp)
    n_classes = known + int(unseen.any())
    return Target("classes", values, np.flatnonzero(~missing), n_classes)


def metric(target: Target, y: NDArray[np.generic], prediction: NDArray[np.float64]) -> float:
    """R^2 (numeric) or ROC AUC (classes, one-vs-rest, share-weighted); NaN when undefined.

    Parameters
    ----------
    target : Target
        Says the kind and the number of classes.
    y : ndarray of shape (n,)
        True values (floats or class codes).
    prediction : ndarray of shape (n,) or (n, n_classes)
        Predicted values, or class probabilities.

    Examples
    --------
    >>> t = numeric_target(np.array([0.0, 1.0, 2.0]))
    >>> metric(t, np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    1.0
    """
    if target.kind == "numeric":
        values = np.asarray(y, dtype=np.float64)
        total = float(((values - values.mean()) ** 2).sum())
        if total <= 0.0:
            return float("nan")
        return 1.0 - float(((values - prediction) ** 2).sum()) / total
    labels = np.asarray(y, dtype=np.intp)
    aucs, weights = [], []
    for c in range(target.n_classes):
        positive = labels == c
        if positive.all() or not positive.any():
            continue
        aucs.append(_auc(positive, prediction[:, c]))
        weights.append(float(positive.sum()))
        if target.n_classes == 2:  # both one-vs-rest AUCs are the same number
            break
    return float(np.average(aucs, weights=weights)) if aucs else float("nan")


def _auc(positive: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    ranks = stats.rankdata(scores)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def normalized_score(value: float, baseline: float) -> float:
    """``max(0, (value - baseline) / (1 - baseline))``; 0 when undefined.

    Examples
    --------
    >>> normalized_score(0.75, 0.5)
    0.5
    >>> normalized_score(float("nan"), 0.5)
    0.0
    """
    if not np.isfinite(value) or not np.isfinite(baseline) or baseline >= 1.0:
        return 0.0
    return float(max(0.0, (value - baseline) / (1.0 - baseline)))


#: two-sided level of a score's interval
INTERVAL_LEVEL = 0.95


def score_interval(value: float, baseline: float, se: float) -> tuple[float, float]:
    """The score's ``INTERVAL_LEVEL`` interval, clipped to [0, 1]; NaN when undefined.

    The normal interval of the unclipped score ``(value - baseline) / (1 - baseline)``
    with standard error ``se`` (:func:`score_standard_error`), then clipped as the score.

    Examples
    --------
    >>> [round(x, 4) for x in score_interval(0.9, 0.0, 0.01)]
    [0.8804, 0.9196]
    >>> score_interval(-0.1, 0.0, 0.02)
    (0.0, 0.0)
    """
    if not (np.isfinite(value) and np.isfinite(baseline) and np.isfinite(se)) or baseline >= 1:
        return float("nan"), float("nan")
    raw = (value - baseline) / (1.0 - baseline)
    half = float(stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2.0)) * se
    low, high = np.clip([raw - half, raw + half], 0.0, 1.0)
    return float(low), float(high)


def score_standard_error(
    target: Target,
    y: NDArray[np.generic],
    prediction: NDArray[np.float64],
    baseline: NDArray[np.float64],
) -> float:
    """Standard error of the (unclipped) normalised score of held-out predictions.

    The delta method on the per-row terms the score is made of, treating the predictions
    as fixed (they come from models that never saw these rows): the standard deviation
    of each row's influence on the score over ``sqrt(n)``.

    Numbers: ``score = 1 - A / C`` with ``A`` the mean squared error of the model and
    ``C`` that of the naive prediction (``baseline``), so a row's influence is
    ``-(e_i^2 - A) / C + A (d_i^2 - C) / C^2``. Classes: ``score = 2 AUC - 1``; the AUC of
    class ``c`` against the rest is a two-sample U-statistic whose influence is each row's
    placement value (the share of the other group it out-ranks) less the AUC, over the
    group's share (DeLong's variance); the share-weighted average adds each row's change
    of the weights. NaN when the score is undefined.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=4000)
    >>> t = numeric_target(y)
    >>> se = score_standard_error(t, y, 0.9 * y, np.zeros(4000))
    >>> bool(0.0 < se < 0.01)
    True
    """
    n = len(y)
    if n < 3:
        return float("nan")
    if target.kind == "numeric":
        values = np.asarray(y, dtype=np.float64)
        e2 = (values - prediction) ** 2
        d2 = (values - baseline) ** 2
        A, C = float(e2.mean()), float(d2.mean())
        if C <= 0.0:
            return float("nan")
        influence = -(e2 - A) / C + A * (d2 - C) / C**2
        return float(influence.std(ddof=1) / np.sqrt(n))
    labels = np.asarray(y, dtype=np.intp)
    influence = np.zeros(n)
    aucs = np.zeros(target.n_classes)
    shares = np.zeros(target.n_classes)
    for c in range(target.n_classes):
        positive = labels == c
        m = int(positive.sum())
        if m == 0 or m == n:
            continue
        auc, placements = _placements(positive, prediction[:, c])
        share = m / n
        row = np.where(positive, (placements - auc) / share, (placements - auc) / (1 - share))
        if target.n_classes == 2:  # both one-vs-rest AUCs are the same number
            return float(2.0 * row.std(ddof=1) / np.sqrt(n))
        aucs[c], shares[c] = auc, share
        influence += share * row
    if not shares.any():
        return float("nan")
    weights = shares / shares.sum()
    # the weights are the classes' shares: a row moves its own class's weight
    present = (shares > 0)[labels]
    influence = influence / shares.sum() + (aucs[labels] - float(weights @ aucs)) * present
    return float(2.0 * influence.std(ddof=1) / np.sqrt(n))


def _placements(
    positive: NDArray[np.bool_], scores: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64]]:
    """The AUC and each row's placement: the share of the other group it out-ranks.

    A positive row's placement is the share of negatives scored below it (ties half); a
    negative row's, the share of positives scored above it. Both average to the AUC.
    """
    ranks_all = stats.rankdata(scores)
    ranks_pos = stats.rankdata(scores[positive])
    ranks_neg = stats.rankdata(scores[~positive])
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    placements = np.empty(len(scores))
    placements[positive] = (ranks_all[positive] - ranks_pos) / n_neg
    placements[~positive] = 1.0 - (ranks_all[~positive] - ranks_neg) / n_pos
    auc = float(placements[positive].mean())
    return auc, placements


def association_z(target: Target, y: NDArray[np.generic], prediction: NDArray[np.float64]) -> float:
    """Standardised association of held-out predictions with the truth, under permutation.

    Numeric targets: the Spearman correlation of prediction and truth times
    ``sqrt(n - 1)``. Classes: ``T = sum_i P[i, y_i]`` (probability given to the true
    class) standardised by its exact permutation mean and variance. Large values mean the
    predictions carry information about ``y``; under independence the statistic is
    approximately standard normal. 0 when the predictions or ``y`` are constant.

    Examples
    --------
    >>> t = numeric_target(np.arange(50.0))
    >>> association_z(t, np.arange(50.0), np.arange(50.0)) > 6
    True
    """
    n = len(y)
    if n < 3:
        return 0.0
    if target.kind == "numeric":
        a = stats.rankdata(prediction)
        b = stats.rankdata(y)
        a = a - a.mean()
        b = b - b.mean()
        scale = float(np.sqrt((a**2).sum() * (b**2).sum()))
        if scale <= 0.0:
            return 0.0
        return float((a * b).sum() / scale * np.sqrt(n - 1))
    labels = np.asarray(y, dtype=np.intp)
    counts = np.bincount(labels, minlength=target.n_classes).astype(np.float64)
    weights = counts / n
    A = np.asarray(prediction, dtype=np.float64)
    row_mean = A @ weights  # mean over permutations of A[i, y_pi(i)]
    class_mean = A.mean(axis=0)  # mean over rows of A[:, c]
    grand = float(weights @ class_mean)
    observed = float(A[np.arange(n), labels].sum())
    expected = float(row_mean.sum())
    D = A - row_mean[:, None] - class_mean[None, :] + grand
    variance = float(((D**2) @ counts).sum()) / (n - 1)
    if variance <= 1e-18:
        return 0.0
    return (observed - expected) / float(np.sqrt(variance))


def row_losses(
    target: Target, y: NDArray[np.generic], prediction: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-row loss: squared error (numeric) or log loss of the true class (classes).

    Examples
    --------
    >>> t = numeric_target(np.zeros(2))
    >>> row_losses(t, np.array([0.0, 2.0]), np.array([1.0, 1.0])).tolist()
    [1.0, 1.0]
    """
    if target.kind == "numeric":
        return (np.asarray(y, dtype=np.float64) - prediction) ** 2
    labels = np.asarray(y, dtype=np.intp)
    return -np.log(np.clip(prediction[np.arange(len(labels)), labels], _EPS, 1.0))
