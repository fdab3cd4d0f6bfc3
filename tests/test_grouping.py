"""Group- and time-aware domain cross-fitting: the check itself must not leak."""

import re

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval.drift._crossfit import assign_folds


def _customers(seed=0, n_customers=60, rows_each=10):
    """Train and test customers drawn from one population; each customer's rows are alike."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_customers, 3)) * 3
    rows = np.repeat(centres, rows_each, axis=0) + rng.normal(
        scale=0.1, size=(n_customers * rows_each, 3)
    )
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    frame["customer"] = np.repeat([f"c{i}" for i in range(n_customers)], rows_each)
    half = n_customers * rows_each // 2
    return frame.iloc[:half].reset_index(drop=True), frame.iloc[half:].reset_index(drop=True)


def test_groups_stop_the_classifier_recognising_customers():
    train, test = _customers()
    naive = AdversarialValidator(random_state=0, n_jobs=1).fit(
        train.drop(columns="customer"), test.drop(columns="customer")
    )
    grouped = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test, groups="customer")
    # random folds: sibling rows give the customer away
    assert naive.auc_ > 0.9 and naive.drift_
    # grouped folds: the classifier must generalise to unseen customers
    assert grouped.auc_ < 0.75
    assert "customer" not in grouped.feature_report_.index


def test_groups_as_labels_match_groups_as_column():
    train, test = _customers()
    labels = pd.concat([train["customer"], test["customer"]]).to_numpy()
    by_column = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test, groups="customer")
    by_labels = AdversarialValidator(random_state=0, n_jobs=1).fit(
        train.drop(columns="customer"), test.drop(columns="customer"), groups=labels
    )
    assert by_column.auc_ == by_labels.auc_


def test_folds_keep_groups_together():
    y = np.r_[np.zeros(50, dtype=int), np.ones(50, dtype=int)]
    groups = np.arange(100) // 4
    folds = assign_folds(y, n_splits=5, random_state=0, groups=groups)
    for g in np.unique(groups):
        assert np.unique(folds[groups == g]).size == 1


def _alternating_weeks(seed):
    """Alternating weeks of one slowly wandering process: neighbours are near-duplicates."""
    rng = np.random.default_rng(seed)
    n = 1200
    x = np.zeros((n, 2))
    for t in range(1, n):
        x[t] = 0.995 * x[t - 1] + rng.normal(scale=0.2, size=2)
    frame = pd.DataFrame(x, columns=["a", "b"])
    frame["when"] = pd.date_range("2024-01-01", periods=n, freq="h")
    week = (np.arange(n) // 168) % 2
    return frame[week == 0], frame[week == 1]


def test_time_blocks_reduce_leakage_from_autocorrelation():
    gaps = []
    for seed in range(3):
        train, test = _alternating_weeks(seed)
        naive = AdversarialValidator(random_state=0, n_jobs=1).fit(
            train.drop(columns="when"), test.drop(columns="when")
        )
        blocked = AdversarialValidator(time_col="when", random_state=0, n_jobs=1).fit(train, test)
        assert "when" not in blocked.feature_report_.index
        gaps.append(naive.auc_ - blocked.auc_)
    # random folds score rows by their hour-old neighbours; time blocks cannot
    assert min(gaps) > 0.04 and np.mean(gaps) > 0.08, gaps


def test_heavily_duplicated_data_falls_back_to_row_folds():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.integers(0, 2, 30).astype(float)})  # two distinct rows
    test = pd.DataFrame({"a": rng.normal(size=30)})
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    assert validator.auc_ > 0.9


@pytest.mark.filterwarnings("ignore::advval.exceptions.LeakWarning")
def test_too_coarse_user_groups_are_refused():
    train, test = _customers(n_customers=6)
    with pytest.raises(ValueError, match="The groups are too few or too large"):
        AdversarialValidator(random_state=0).fit(train, test, groups="customer")


def test_groups_errors():
    train, test = _customers()
    with pytest.raises(ValueError, match=re.escape("The 'groups' column 'client' is not in")):
        AdversarialValidator().fit(train, test, groups="client")
    with pytest.raises(
        ValueError,
        match=re.escape(
            "groups must be a column name or one label per row of X_train then X_test (600 "
            "labels); got an array of shape (3,)."
        ),
    ):
        AdversarialValidator().fit(train, test, groups=[1, 2, 3])
    with pytest.raises(
        TypeError, match=re.escape("The 'time_col' column 'customer' must be datetime or numeric")
    ):
        AdversarialValidator(time_col="customer").fit(train, test)
