"""Pure statistical functions: AUC, its variance and tests, combinations, univariate tests.

Nothing here knows about estimators or frames: arrays in, numbers out. Every function is
checked in ``tests/test_stats.py`` against an independent computation (scikit-learn's
``roc_auc_score``, scipy's tests) or an analytic case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

Correction = Literal["holm", "fdr_bh", "bonferroni", "none"]


@dataclass(frozen=True)
class RankTest:
    """One-sided rank test of ``scores`` being larger for positives than for negatives.

    Attributes
    ----------
    auc : float
        Area under the ROC curve (ties count one half), the Mann-Whitney ``U / (m n)``.
    z : float
        Standardised ``U`` with the tie correction; 0 when every score is tied.
    p_value : float
        One-sided p-value of ``auc > 0.5`` from the normal approximation with continuity
        correction.
    """

    auc: float
    z: float
    p_value: float


def _split_by_label(
    y: ArrayLike, scores: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    labels = np.asarray(y).astype(bool)
    values = np.asarray(scores, dtype=np.float64)
    if labels.shape != values.shape or labels.ndim != 1:
        raise ValueError(
            f"y and scores must be 1-d arrays of one length; got shapes {labels.shape} "
            f"and {values.shape}"
        )
    if labels.all() or not labels.any():
        raise ValueError("y must contain both classes (positives and negatives)")
    return labels, values


def auc_score(y: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve from ranks, ties counted one half.

    Parameters
    ----------
    y : array-like of shape (n,)
        Binary labels; true / 1 is the positive class.
    scores : array-like of shape (n,)
        Higher means more positive.

    Returns
    -------
    auc : float

    Examples
    --------
    >>> auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    return rank_test(y, scores).auc


def rank_test(y: ArrayLike, scores: ArrayLike) -> RankTest:
    """Mann-Whitney test that positives score higher than negatives (one-sided).

    The p-value is exact in the limit and conservative-leaning for small samples through
    the continuity correction. When all scores are tied the test carries no information
    and returns ``z = 0`` (``p = 0.5``).

    Parameters
    ----------
    y : array-like of shape (n,)
        Binary labels.
    scores : array-like of shape (n,)
        Scores, higher meaning more positive.

    Returns
    -------
    RankTest

    Examples
    --------
    >>> result = rank_test([0] * 50 + [1] * 50, list(range(100)))
    >>> result.auc, result.p_value < 1e-15
    (1.0, True)
    """
    labels, values = _split_by_label(y, scores)
    _, positives, negatives = score_counts(labels, values)
    return rank_test_counts(positives, negatives)


def score_counts(
    y: ArrayLike, scores: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distinct scores in increasing order with the positives and negatives at each.

    The sufficient statistic of every rank-based quantity here (AUC, Mann-Whitney test,
    DeLong variance): tables from disjoint parts of the data add up, so the same numbers
    can be reduced across machines (``advval.distributed``).

    Examples
    --------
    >>> values, pos, neg = score_counts([0, 1, 1, 0], [0.2, 0.2, 0.9, 0.1])
    >>> values.tolist(), pos.tolist(), neg.tolist()
    ([0.1, 0.2, 0.9], [0.0, 1.0, 1.0], [1.0, 1.0, 0.0])
    """
    labels, values = _split_by_label(y, scores)
    distinct, inverse = np.unique(values, return_inverse=True)
    positives = np.asarray(
        np.bincount(inverse, weights=labels.astype(np.float64), minlength=distinct.size),
        dtype=np.float64,
    )
    totals = np.bincount(inverse, minlength=distinct.size).astype(np.float64)
    return distinct.astype(np.float64), positives, totals - positives


def _check_counts(
    positives: ArrayLike, negatives: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    pos = np.asarray(positives, dtype=np.float64)
    neg = np.asarray(negatives, dtype=np.float64)
    if pos.shape != neg.shape or pos.ndim != 1:
        raise ValueError(
            f"positives and negatives must be 1-d arrays of one length; got shapes "
            f"{pos.shape} and {neg.shape}"
        )
    n_pos, n_neg = float(pos.sum()), float(neg.sum())
    if n_pos <= 0 or n_neg <= 0:
        raise ValueError("y must contain both classes (positives and negatives)")
    return pos, neg, n_pos, n_neg


def rank_test_counts(positives: ArrayLike, negatives: ArrayLike) -> RankTest:
    """:func:`rank_test` from the counts of positives and negatives at each distinct score.

    Parameters
    ----------
    positives, negatives : array-like of shape (n_distinct,)
        Counts at each distinct score, in increasing score order (see
        :func:`score_counts`).

    Returns
    -------
    RankTest

    Examples
    --------
    >>> rank_test_counts([0, 1, 1], [1, 1, 0]).auc
    0.875
    """
    pos, neg, n_pos, n_neg = _check_counts(positives, negatives)
    below = np.cumsum(neg) - neg
    # Mann-Whitney U: each positive beats the negatives below it and ties half of its own
    u = float((pos * (below + 0.5 * neg)).sum())
    auc = u / (n_pos * n_neg)
    n = n_pos + n_neg
    ties = pos + neg
    tie_term = float(((ties**3) - ties).sum())
    variance = n_pos * n_neg / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0.0:
        return RankTest(auc=auc, z=0.0, p_value=0.5)
    excess = u - n_pos * n_neg / 2.0
    corrected = np.sign(excess) * max(abs(excess) - 0.5, 0.0)
    z = float(corrected / np.sqrt(variance))
    return RankTest(auc=auc, z=z, p_value=float(stats.norm.sf(z)))


def delong_variance(y: ArrayLike, scores: ArrayLike) -> float:
    """DeLong's estimate of the variance of the empirical AUC.

    Computed from placement values in ``O(n log n)``.

    References
    ----------
    DeLong, DeLong and Clarke-Pearson (1988), "Comparing the areas under two or more
    correlated receiver operating characteristic curves", Biometrics 44(3).

    Examples
    --------
    >>> v = delong_variance([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(v, 6)
    0.125
    """
    _, positives, negatives = score_counts(y, scores)
    return delong_variance_counts(positives, negatives)


def delong_variance_counts(positives: ArrayLike, negatives: ArrayLike) -> float:
    """:func:`delong_variance` from the counts at each distinct score (increasing order).

    Every positive at one score has the same placement among the negatives (those below
    plus half those tied), and likewise for negatives, so the placement variances are
    weighted variances over the distinct scores.

    Examples
    --------
    >>> round(delong_variance_counts([0, 0, 1, 1], [1, 1, 0, 0]), 6)
    0.0
    """
    pos, neg, n_pos, n_neg = _check_counts(positives, negatives)
    below = np.cumsum(neg) - neg
    above = pos[::-1].cumsum()[::-1] - pos
    v10 = (below + 0.5 * neg) / n_neg  # placement of each positive among negatives
    v01 = (above + 0.5 * pos) / n_pos  # placement of each negative among positives
    var_pos = _weighted_variance(v10, pos, n_pos)
    var_neg = _weighted_variance(v01, neg, n_neg)
    return var_pos / n_pos + var_neg / n_neg


def _weighted_variance(
    values: NDArray[np.float64], weights: NDArray[np.float64], total: float
) -> float:
    """Sample variance (ddof=1) of ``values`` repeated ``weights`` times."""
    if total <= 1:
        return 0.0
    mean = float((weights * values).sum() / total)
    return float((weights * (values - mean) ** 2).sum() / (total - 1))


def auc_interval(auc: float, variance: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wald interval for an AUC on the logit scale, so it stays inside (0, 1).

    Parameters
    ----------
    auc : float
        Point estimate.
    variance : float
        Variance of the estimate on the AUC scale (e.g. :func:`delong_variance`).
    confidence : float, default=0.95
        Two-sided coverage.

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> low, high = auc_interval(0.7, 0.0004)
    >>> round(low, 3), round(high, 3)
    (0.659, 0.738)
    """
    quantile = float(stats.norm.ppf(0.5 + confidence / 2.0))
    clipped = float(np.clip(auc, 1e-6, 1.0 - 1e-6))
    logit = np.log(clipped / (1.0 - clipped))
    # delta method: d logit / d auc = 1 / (auc (1 - auc))
    se = np.sqrt(max(variance, 0.0)) / (clipped * (1.0 - clipped))
    low = 1.0 / (1.0 + np.exp(-(logit - quantile * se)))
    high = 1.0 / (1.0 + np.exp(-(logit + quantile * se)))
    return float(low), float(high)


def stouffer(z: ArrayLike, weights: ArrayLike | None = None) -> tuple[float, float]:
    """Combine independent one-sided z-statistics (weighted Stouffer).

    Valid when the z's are independent standard normal under the null; with weights fixed
    before seeing the data.

    Returns
    -------
    (z, p_value) : tuple of float
        The combined statistic and its one-sided p-value.

    Examples
    --------
    >>> z, p = stouffer([1.0, 1.0, 1.0, 1.0])
    >>> round(z, 6), round(p, 6)
    (2.0, 0.02275)
    """
    values = np.asarray(z, dtype=np.float64)
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    combined = float((w * values).sum() / np.sqrt((w**2).sum()))
    return combined, float(stats.norm.sf(combined))


def forward_chained(
    z: ArrayLike, training_folds: ArrayLike, scored_folds: ArrayLike | None = None
) -> tuple[float, float]:
    """Combine the steps of a forward-chained (sequential) test into one p-value.

    Step ``i`` scores ``scored_folds[i]`` folds with a model trained on the
    ``training_folds[i]`` folds before them, and every step's model saw every row of the
    steps before it. Under the null each step's one-sided z-statistic is standard normal
    given everything its model was trained on, so the steps are independent and their
    weighted Stouffer combination (:func:`stouffer`) is an exact-size test. The weights
    ``sqrt(training folds x scored folds)`` are fixed before seeing the data: a
    better-trained model, and a step of more rows, has more say. The drift check
    (:mod:`advval.drift._crossfit`: one scored fold a step) and the dependency check
    (:mod:`advval.dependency._crossfit`: two steps) both use it.

    Parameters
    ----------
    z : array-like of shape (n_steps,)
        One-sided z-statistic of each step (large: evidence against the null).
    training_folds : array-like of shape (n_steps,)
        Folds the model of each step was trained on.
    scored_folds : array-like of shape (n_steps,) or None, default=None
        Folds each step scores; ``None``: one each.

    Returns
    -------
    (z, p_value) : tuple of float

    Examples
    --------
    >>> z, p = forward_chained([1.0, 1.0], training_folds=[1, 3])
    >>> round(z, 6), round(p, 6)
    (1.366025, 0.085965)
    >>> forward_chained([1.0, 2.0], [2, 4], [2, 1]) == stouffer([1.0, 2.0], [2.0, 2.0])
    True
    """
    trained = np.asarray(training_folds, dtype=np.float64)
    scored = np.ones_like(trained) if scored_folds is None else np.asarray(
        scored_folds, dtype=np.float64
    )
    values = np.asarray(z, dtype=np.float64)
    if not (values.shape == trained.shape == scored.shape) or values.ndim != 1:
        raise ValueError(
            f"z, training_folds and scored_folds must be 1-d arrays of one length; got "
            f"shapes {values.shape}, {trained.shape} and {scored.shape}"
        )
    return stouffer(values, np.sqrt(trained * scored))


def adjust_p_values(p_values: ArrayLike, method: Correction = "holm") -> NDArray[np.float64]:
    """Multiple-testing adjusted p-values.

    Parameters
    ----------
    p_values : array-like of shape (m,)
    method : {"holm", "fdr_bh", "bonferroni", "none"}, default="holm"
        Holm's step-down (family-wise error), Benjamini-Hochberg (false discovery rate),
        Bonferroni, or no adjustment.

    Returns
    -------
    adjusted : ndarray of shape (m,)
        Adjusted p-values, each at least the raw one and at most 1.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03], "holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_p_values([0.01, 0.04, 0.03], "fdr_bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    if method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        stepped = np.maximum.accumulate(ranked * (m - np.arange(m)))
    elif method == "fdr_bh":
        stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ValueError(
            f"The 'method' parameter of adjust_p_values must be one of 'holm', 'fdr_bh', "
            f"'bonferroni', 'none'. Got {method!r} instead."
        )
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


#: effective sample size m n / (m + n) from which the KS p-value comes from Kolmogorov's
#: limit law (scipy's finite-n distribution costs about 0.1 s a call there, and the two
#: agree to within 1% of the p-value at this size)
KS_LIMIT_ROWS = 5_000


def ks_test(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test, ignoring NaN.

    Returns
    -------
    (statistic, p_value) : tuple of float
        The largest distance between the two empirical CDFs, and its two-sided p-value.
        ``(0.0, 1.0)`` when either side has no finite value.

    Examples
    --------
    >>> d, p = ks_test([1, 2, 3, 4], [1, 2, 3, 4])
    >>> d, p
    (0.0, 1.0)
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x = x[~np.isnan(x)]
    y = y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return 0.0, 1.0
    effective = x.size * y.size / (x.size + y.size)
    if effective < KS_LIMIT_ROWS:
        method = "exact" if x.size * y.size <= 10_000 else "asymp"
        result = stats.ks_2samp(x, y, method=method)
        return float(result.statistic), float(result.pvalue)
    x.sort()
    y.sort()
    grid = np.concatenate([x, y])
    distance = float(
        np.abs(
            np.searchsorted(x, grid, side="right") / x.size
            - np.searchsorted(y, grid, side="right") / y.size
        ).max()
    )
    return distance, _kolmogorov_p(distance, effective)


def _kolmogorov_p(distance: float, effective: float) -> float:
    """KS p-value of ``distance`` at ``m n / (m + n)`` rows from Kolmogorov's limit law."""
    root = np.sqrt(effective)
    # Stephens' (1970) finite-sample form of Kolmogorov's limit law
    return min(1.0, float(stats.kstwobign.sf((root + 0.12 + 0.11 / root) * distance)))


def location_and_shape_test(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """KS distance of two samples, with a p-value from the KS and Mann-Whitney tests.

    The Kolmogorov-Smirnov test sees any change of distribution but is weak for the
    commonest one, a shift of location, where the Mann-Whitney (Wilcoxon rank-sum) test
    needs about two thirds of the rows for the same power (asymptotic relative efficiency
    0.95 against the t-test for normal data, KS about 0.64). The p-value is twice the smaller
    of the two (Bonferroni over two tests, valid whatever their dependence), so a column
    is tested with the power of the better test for its kind of change. NaN are ignored.

    Returns
    -------
    (statistic, p_value) : tuple of float
        The KS distance (the largest gap between the two empirical CDFs, in [0, 1]) and
        the combined two-sided p-value. ``(0.0, 1.0)`` when either side has no finite value.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=5_000), rng.normal(0.1, 1, size=5_000)
    >>> d, p = location_and_shape_test(x, y)
    >>> round(d, 3), p < ks_test(x, y)[1]  # a shift of location: Mann-Whitney decides
    (0.068, True)
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return 0.0, 1.0
    labels = np.r_[np.zeros(x.size, dtype=bool), np.ones(y.size, dtype=bool)]
    # one sort serves both tests: the rows of each side at every distinct value
    _, positives, negatives = score_counts(labels, np.concatenate([x, y]))
    effective = x.size * y.size / (x.size + y.size)
    if effective < KS_LIMIT_ROWS:
        distance, p_ks = ks_test(x, y)
    else:
        gaps = np.cumsum(negatives) / x.size - np.cumsum(positives) / y.size
        distance = float(np.abs(gaps).max())
        p_ks = _kolmogorov_p(distance, effective)
    z = rank_test_counts(positives, negatives).z
    p_rank = float(2.0 * stats.norm.sf(abs(z)))
    return distance, min(1.0, 2.0 * min(p_ks, p_rank))


def category_test(a: ArrayLike, b: ArrayLike) -> tuple[float, float]:
    """Chi-squared test of equal category frequencies in two samples.

    Missing values count as a category of their own.

    Returns
    -------
    (statistic, p_value) : tuple of float
        The total-variation distance between the two category distributions (0: identical,
        1: disjoint; comparable to the KS statistic), and the chi-squared p-value.

    Examples
    --------
    >>> tv, p = category_test(["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 10)
    >>> round(tv, 2), p < 1e-6
    (0.4, True)
    """
    left = np.asarray(a, dtype=object)
    right = np.asarray(b, dtype=object)
    codes, uniques = pd.factorize(np.concatenate([left, right]), use_na_sentinel=False)
    k = len(uniques)
    counts_left = np.bincount(codes[: left.size], minlength=k).astype(np.float64)
    counts_right = np.bincount(codes[left.size :], minlength=k).astype(np.float64)
    if counts_left.sum() == 0 or counts_right.sum() == 0:
        return 0.0, 1.0
    tv = 0.5 * float(
        np.abs(counts_left / counts_left.sum() - counts_right / counts_right.sum()).sum()
    )
    if k < 2:
        return tv, 1.0
    table = np.vstack([counts_left, counts_right])
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    return tv, float(p_value)
