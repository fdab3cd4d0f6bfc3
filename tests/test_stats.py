"""advval._stats against independent computations and analytic cases."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from advval._stats import (
    adjust_p_values,
    auc_interval,
    auc_score,
    category_test,
    delong_variance,
    ks_test,
    rank_test,
    stouffer,
)


@pytest.fixture
def tied_scores():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    scores = np.round(rng.normal(size=400) + 0.4 * y, 1)  # many ties
    return y, scores


def test_auc_matches_sklearn_with_ties(tied_scores):
    y, scores = tied_scores
    assert auc_score(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_rank_test_matches_scipy_mannwhitneyu(tied_scores):
    y, scores = tied_scores
    expected = stats.mannwhitneyu(scores[y == 1], scores[y == 0], alternative="greater")
    assert rank_test(y, scores).p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_rank_test_all_tied_carries_no_information():
    result = rank_test([0, 0, 1, 1], [0.3, 0.3, 0.3, 0.3])
    assert (result.auc, result.z, result.p_value) == (0.5, 0.0, 0.5)


def test_rank_test_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        rank_test([1, 1, 1], [0.1, 0.2, 0.3])


def _delong_bruteforce(y, s):
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size


def test_delong_variance_matches_quadratic_definition(tied_scores):
    y, scores = tied_scores
    assert delong_variance(y, scores) == pytest.approx(_delong_bruteforce(y, scores), rel=1e-10)


def test_auc_interval_contains_estimate_and_stays_in_unit_interval():
    low, high = auc_interval(0.99, 1e-5)
    assert 0 < low < 0.99 < high < 1
    low, high = auc_interval(0.5, 0.0)
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_stouffer_analytic():
    z, p = stouffer([1.0, 2.0], weights=[1.0, 1.0])
    assert z == pytest.approx(3 / np.sqrt(2))
    assert p == pytest.approx(stats.norm.sf(3 / np.sqrt(2)))


def _holm_bruteforce(p):
    m = len(p)
    order = np.argsort(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def _bh_bruteforce(p):
    m = len(p)
    return np.array(
        [
            min(1.0, min(m * p[j] / (np.sum(p <= p[j])) for j in range(m) if p[j] >= p[i]))
            for i in range(m)
        ]
    )


def test_holm_and_bh_match_definitions():
    p = np.random.default_rng(3).uniform(size=25) ** 3
    np.testing.assert_allclose(adjust_p_values(p, "holm"), _holm_bruteforce(p))
    np.testing.assert_allclose(adjust_p_values(p, "fdr_bh"), _bh_bruteforce(p))
    np.testing.assert_allclose(adjust_p_values(p, "bonferroni"), np.minimum(p * 25, 1))
    np.testing.assert_allclose(adjust_p_values(p, "none"), p)


def test_adjust_rejects_unknown_method():
    with pytest.raises(ValueError, match="The 'method' parameter of adjust_p_values"):
        adjust_p_values([0.1], "sidak")  # type: ignore[arg-type]


def test_ks_matches_scipy_and_ignores_nan():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.3, 1, size=200)
    expected = stats.ks_2samp(a, b, method="asymp")
    a_nan = np.r_[a, np.nan, np.nan]
    d, p = ks_test(a_nan, b)
    assert d == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue)


def test_category_test_matches_chi2_contingency_and_counts_missing():
    left = np.array(["a"] * 30 + ["b"] * 50 + [None] * 20, dtype=object)
    right = np.array(["a"] * 60 + ["b"] * 30 + [None] * 10, dtype=object)
    tv, p = category_test(left, right)
    table = np.array([[30, 50, 20], [60, 30, 10]])
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False)[1])
    assert tv == pytest.approx(0.5 * (0.3 + 0.2 + 0.1))
