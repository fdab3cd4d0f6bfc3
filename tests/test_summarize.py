"""advval.drift.summarize and advval.dependency.summarize: the summaries, next to their models.

The numbers of a summary are checked against independent computations on the same fit (the
ROC area against scikit-learn's AUC of the out-of-fold scores, histograms against NumPy's,
category shares counted by hand, the heatmap against the checker's matrix), and the older
names in the report layer give the very same results.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from advval import AdversarialValidator, FeatureDependencyChecker
from advval.dependency import summarize as summarize_dependency
from advval.drift import summarize as summarize_drift
from advval.drift._distributions import NUMERIC_BINS
from advval.drift._summary import LIKENESS_BINS, ROC_POINTS
from advval.exceptions import LeakWarning
from advval.report import build_dependency_report, build_drift_report, render_json
from advval.results import DependencyReport, DriftReport


@pytest.fixture(scope="module")
def drift_data():
    """A planted mean shift in 'a', a planted new level 'z' in 'c', nothing in 'b'."""
    rng = np.random.default_rng(3)
    n = 400
    train = pd.DataFrame({
        "a": rng.normal(0.0, 1.0, n),
        "b": rng.normal(0.0, 1.0, n),
        "c": rng.choice(["x", "y"], n, p=[0.5, 0.5]),
    })
    test = pd.DataFrame({
        "a": rng.normal(1.5, 1.0, n),
        "b": rng.normal(0.0, 1.0, n),
        "c": rng.choice(["x", "y", "z"], n, p=[0.25, 0.25, 0.5]),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)
        validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    return validator, train, test


def test_drift_summary_finds_the_planted_shift_and_matches_the_old_name(drift_data):
    validator, train, test = drift_data
    before = (train.copy(), test.copy())
    report = summarize_drift(validator, train, test, train_name="train.csv")
    assert isinstance(report, DriftReport)
    pd.testing.assert_frame_equal(train, before[0])  # the frames are left as found
    pd.testing.assert_frame_equal(test, before[1])
    assert report.drift and report.train_name == "train.csv"
    assert {f.name for f in report.features} == {"a", "b", "c"}
    assert report.features[0].name in {"a", "c"}  # a planted column leads, not 'b'
    assert report.auc == pytest.approx(float(validator.auc_))
    old = build_drift_report(validator, train, test, train_name="train.csv")
    assert render_json(old) == render_json(report)  # the same document, byte for byte


def test_drift_summary_roc_and_likeness_agree_with_independent_computations(drift_data):
    validator, train, test = drift_data
    report = summarize_drift(validator)
    labels = np.r_[np.zeros(validator.n_train_), np.ones(validator.n_test_)]
    scored = ~np.isnan(validator.oof_proba_)
    scores, labels = validator.oof_proba_[scored], labels[scored]
    fpr, tpr = np.array(report.roc.fpr), np.array(report.roc.tpr)
    assert fpr.size <= ROC_POINTS and fpr[0] == 0.0 and fpr[-1] == 1.0 == tpr[-1]
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoids
    # the curve is resampled on a 201-point grid: its area is the AUC up to the grid step
    assert area == pytest.approx(roc_auc_score(labels, scores), abs=1.0 / (ROC_POINTS - 1))
    edges = np.linspace(0.0, 1.0, LIKENESS_BINS + 1)
    for side, shares in ((0, report.test_likeness.train), (1, report.test_likeness.test)):
        counts, _ = np.histogram(scores[labels == side], bins=edges)
        np.testing.assert_allclose(shares, counts / counts.sum())
    assert report.n_train_used + report.n_test_used == int(scored.sum())


def test_drift_summary_distributions_are_the_columns_shares(drift_data):
    validator, train, test = drift_data
    report = summarize_drift(validator, train, test)
    by_name = {d.name: d for d in report.distributions}
    numeric = by_name["b"]
    assert numeric.kind == "numeric" and len(numeric.train) == NUMERIC_BINS
    edges = np.array(numeric.edges)
    for values, shares in ((train["b"], numeric.train), (test["b"], numeric.test)):
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        np.testing.assert_allclose(shares, counts / len(values))
    levels = by_name["c"]
    assert levels.kind == "categorical"
    shares = dict(zip(levels.labels, zip(levels.train, levels.test, strict=True), strict=True))
    for level in ("x", "y", "z"):
        assert shares[level] == pytest.approx((
            float((train["c"] == level).mean()), float((test["c"] == level).mean())))
    assert shares["z"][0] == 0.0 and levels.unseen_train == 0.0
    assert levels.unseen_test == pytest.approx(float((test["c"] == "z").mean()))
    assert summarize_drift(validator).distributions == ()  # no frames: no distributions


def test_drift_summary_errors_name_the_function_called(drift_data):
    validator, _, _ = drift_data
    with pytest.raises(TypeError, match=r"The 'train_name' parameter of summarize must be"):
        summarize_drift(validator, train_name=3)
    with pytest.raises(TypeError, match=r"The 'test_name' parameter of build_drift_report "):
        build_drift_report(validator, test_name=b"x")
    with pytest.raises(NotFittedError):
        summarize_drift(AdversarialValidator())


def test_dependency_summary_ranks_the_planted_dependency_and_matches_the_old_name():
    rng = np.random.default_rng(0)
    n = 400
    a = rng.normal(size=n)
    X = pd.DataFrame({
        "a": a,
        "b": 2.0 * a + rng.normal(0.0, 0.05, n),  # planted: b is a function of a
        "c": rng.normal(size=n),
        "d": rng.normal(size=n),
    })
    checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(X)
    report = summarize_dependency(checker, n_rows=n, settings={"input": "x.csv"})
    assert isinstance(report, DependencyReport)
    assert {f.name for f in report.features[:2]} == {"a", "b"}
    assert {f.name for f in report.features[2:]} == {"c", "d"}
    scores = [f.score for f in report.features]
    assert scores == sorted(scores, key=lambda s: -s if math.isfinite(s) else 1.0)
    assert report.settings["input"] == "x.csv" and report.settings["random_state"] == 0
    assert report.n_rows == n and report.n_features == 4 and not report.compared
    matrix = checker.dependency_matrix_
    for i, row in enumerate(report.matrix_rows):  # the heatmap holds the matrix's cells
        for j, column in enumerate(report.matrix_columns):
            assert report.matrix[i][j] == pytest.approx(float(matrix.loc[row, column]))
    small = summarize_dependency(checker, matrix_features=2)
    assert len(small.matrix_rows) == len(small.matrix_columns) == 2
    assert render_json(build_dependency_report(checker, n_rows=n, settings={"input": "x.csv"})
                       ) == render_json(report)
    with pytest.raises(NotFittedError):
        summarize_dependency(FeatureDependencyChecker())
