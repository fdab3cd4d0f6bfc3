"""One fit per run: the remedies reuse a fitted validator (prefit) and refit only what changes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from advval import AdversarialValidator, AdversarialWeighter, DriftFeatureDropper, TestLikeSplit
from advval._stats import auc_interval, delong_variance, rank_test
from advval.datasets import make_shift
from advval.drift import _crossfit
from advval.exceptions import LeakWarning


@pytest.fixture(scope="module")
def shift():
    return make_shift(
        "mean", n_train=800, n_test=800, n_features=6, n_shifted=2, delta=1.0, random_state=3
    )


@pytest.fixture(scope="module")
def fitted(shift):
    return AdversarialValidator(n_jobs=1, random_state=0).fit(shift.X_train, shift.X_test)


def _count_fits(monkeypatch):
    """Count the models trained (every fit goes through one of these two functions)."""
    calls = []
    for name in ("fit_on_subset", "fit_classifier"):
        original = getattr(_crossfit, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(_crossfit, name, counted)
    return calls


def test_prefit_dropper_reuses_the_validator_and_fits_one_model_a_step(
    shift, fitted, monkeypatch
):
    calls = _count_fits(monkeypatch)
    model = DriftFeatureDropper(
        X_test=shift.X_test, validator=fitted, prefit=True, random_state=0
    ).fit(shift.X_train)
    assert model.validator_ is fitted
    assert sorted(model.dropped_features_) == ["x0", "x1"]
    # one model per step after the first (no refit of the validator's eight)
    assert calls == ["fit_on_subset"] * len(model.dropped_features_)


def test_path_is_the_held_out_check_of_the_last_fold(shift, fitted):
    """Step 0 is recomputed independently from the validator's last fold."""
    model = DriftFeatureDropper(
        X_test=shift.X_test, validator=fitted, prefit=True, random_state=0
    ).fit(shift.X_train)
    folds = fitted._crossfit.folds
    last = np.flatnonzero(folds == folds.max())
    y = np.r_[np.zeros(fitted.n_train_), np.ones(fitted.n_test_)][last]
    scores = fitted.oof_proba_[last]
    first = model.path_.iloc[0]
    assert first["auc"] == pytest.approx(fitted.fold_aucs_[-1])
    assert first["p_value"] == pytest.approx(rank_test(y, scores).p_value)
    low, high = auc_interval(first["auc"], delong_variance(y, scores), 0.95)
    assert (first["auc_low"], first["auc_high"]) == pytest.approx((low, high))
    assert model.path_["drift"].tolist() == [True, True, False]


def test_prefit_and_refit_paths_agree(shift):
    validator = AdversarialValidator(n_jobs=1, random_state=5)
    prefit = DriftFeatureDropper(
        X_test=shift.X_test,
        validator=validator.fit(shift.X_train, shift.X_test),
        prefit=True,
        random_state=0,
    ).fit(shift.X_train)
    refit = DriftFeatureDropper(
        X_test=shift.X_test, validator=AdversarialValidator(n_jobs=1, random_state=5),
        random_state=0,
    ).fit(shift.X_train)
    pd.testing.assert_frame_equal(prefit.path_, refit.path_)


def test_leaks_are_dropped_together_first_and_do_not_count_toward_max_drop():
    data = make_shift("mean", n_train=600, n_test=600, n_features=4, n_shifted=1, delta=1.0,
                      random_state=1)
    train, test = data.X_train.copy(), data.X_test.copy()
    train["row_id"], test["row_id"] = np.arange(600), np.arange(600, 1200)
    train["day"], test["day"] = np.repeat(np.arange(60), 10), np.repeat(np.arange(60, 120), 10)
    with pytest.warns(LeakWarning, match=re.escape("['row_id', 'day']")):
        validator = AdversarialValidator(n_jobs=1, random_state=0).fit(train, test)
    model = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, max_drop=1, random_state=0
    ).fit(train)
    assert model.path_["dropped"].tolist()[:2] == [("row_id", "day"), ("x0",)]
    assert model.dropped_features_ == ["row_id", "day", "x0"]
    assert model.stop_reason_ == "no_drift"


def test_prefit_weighter_and_splitter_fit_nothing(shift, fitted, monkeypatch):
    calls = _count_fits(monkeypatch)
    weighter = AdversarialWeighter(
        X_test=shift.X_test, validator=fitted, prefit=True, random_state=0
    ).fit(shift.X_train)
    assert weighter.validator_ is fitted
    splitter = TestLikeSplit(X_test=shift.X_test, validator=fitted, prefit=True, random_state=0)
    assert len(list(splitter.split(shift.X_train))) == 5
    assert calls == []
    refit = AdversarialWeighter(
        X_test=shift.X_test, validator=AdversarialValidator(n_jobs=1, random_state=0),
        random_state=0,
    ).fit(shift.X_train)
    np.testing.assert_allclose(weighter.weights_, refit.weights_)


def test_prefit_errors(shift, fitted):
    other = shift.X_train.iloc[:700]
    with pytest.raises(
        ValueError,
        match=re.escape(
            "DriftFeatureDropper(prefit=True) needs the validator fitted on X and X_test: it "
            "was fitted on 800 + 800 rows of the columns ['x0', 'x1', 'x2', 'x3', 'x4', "
            "'x5'], but X and X_test have 700 + 800 rows"
        ),
    ):
        DriftFeatureDropper(X_test=shift.X_test, validator=fitted, prefit=True).fit(other)
    with pytest.raises(ValueError, match=re.escape("AdversarialWeighter(prefit=True) needs")):
        AdversarialWeighter(X_test=shift.X_test, validator=fitted, prefit=True).fit(
            shift.X_train[["x1", "x0", "x2", "x3", "x4", "x5"]]
        )
    with pytest.raises(NotFittedError):
        DriftFeatureDropper(
            X_test=shift.X_test, validator=AdversarialValidator(), prefit=True
        ).fit(shift.X_train)
    with pytest.raises(
        ValueError, match=re.escape("DriftFeatureDropper(prefit=True) needs the fitted validator")
    ):
        DriftFeatureDropper(X_test=shift.X_test, prefit=True).fit(shift.X_train)
    with pytest.raises(
        ValueError,
        match=re.escape("The 'prefit' parameter of TestLikeSplit must be a bool. Got 'yes'"),
    ):
        list(TestLikeSplit(X_test=shift.X_test, prefit="yes").split(shift.X_train))


def _copies_frames(seed: int = 0):
    rng = np.random.default_rng(seed)

    def side(shift: float, n: int = 800) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, n)
        return pd.DataFrame({
            "x": x, "x_lag": x + 0.15 * rng.normal(size=n), "x_scaled": 3 * x - 1,
            "z": rng.normal(0.8 * shift, 1.0, n), "noise": rng.normal(size=n),
        })

    return side(0.0), side(1.0)


def test_a_column_goes_with_its_near_copies():
    train, test = _copies_frames()
    validator = AdversarialValidator(n_jobs=1, random_state=0).fit(train, test)
    model = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, random_state=0
    ).fit(train)
    steps = [set(step) for step in model.path_["dropped"]]
    # x and its copies go in one step (the quantity, not one column of it); z on its own
    assert steps == [{"z"}, {"x", "x_lag", "x_scaled"}, set()]
    assert model.stop_reason_ == "no_drift"
    one_at_a_time = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, near_copy_threshold=None,
        random_state=0,
    ).fit(train)
    assert all(len(step) <= 1 for step in one_at_a_time.path_["dropped"])
    assert len(one_at_a_time.path_) > len(model.path_)
    capped = DriftFeatureDropper(
        X_test=test, validator=validator, prefit=True, max_drop=2, random_state=0
    ).fit(train)
    assert len(capped.dropped_features_) == 2 and capped.stop_reason_ == "max_drop"


def test_near_copy_threshold_is_checked():
    train, test = _copies_frames()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'near_copy_threshold' parameter of DriftFeatureDropper must be a float in "
            "the range (0, 1] or None. Got 1.5 instead."
        ),
    ):
        DriftFeatureDropper(X_test=test, near_copy_threshold=1.5).fit(train)
