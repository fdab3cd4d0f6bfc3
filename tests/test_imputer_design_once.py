"""The imputer's linear design read once and shared (fits, folds, starts): the same
numbers, bit for bit, as each design read again from its own rows."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval.dependency import _impute_choice, _impute_models
from advval.dependency._impute_choice import MAX_WEIGHT, missing_auc, missing_odds
from advval.dependency._impute_models import (
    ColumnRegressor,
    LinearClassifier,
    LinearDesign,
    LinearStart,
)
from advval.dependency._imputer import SubstitutionImputer


def mixed(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numbers, a categorical predictor, missing values in both."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    level = np.where(a + rng.normal(scale=0.5, size=n) > 0, "hi", "lo").astype(object)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "c": 2 * a - b + rng.normal(scale=0.3, size=n),
            "d": np.sin(2 * a) + b**2 + rng.normal(scale=0.2, size=n),
            "level": pd.Categorical(level),
            "shade": pd.Categorical(rng.choice(["x", "y", "z"], n)),
        }
    )
    holes = rng.random(frame.shape) < 0.15
    holes[:, 0] &= frame["b"].to_numpy() > 0  # missing at random: where b is large
    return frame.mask(holes)


def old_matrix(X: pd.DataFrame, skip: frozenset[str] = frozenset()) -> np.ndarray:
    """The design of ``X`` read from ``X`` alone: the way before it was shared."""
    return LinearDesign.learn(X, skip).matrix(X)


def test_a_design_learned_on_a_shared_raw_equals_one_read_from_its_rows() -> None:
    X = mixed().drop(columns=["c"])
    held = np.random.default_rng(1).random(len(X)) < 0.3
    raw = LinearDesign.reading(X).raw(X)
    shared = LinearDesign.learn(X[~held], raw=raw[~held])
    alone = LinearDesign.learn(X[~held])
    assert np.array_equal(shared.center, alone.center)
    assert np.array_equal(shared.scale, alone.scale)
    # the rows of a design of every row are the design of those rows
    assert np.array_equal(shared.standardised(raw)[held], alone.matrix(X[held]))
    assert np.array_equal(shared.standardised(raw[~held]), old_matrix(X[~held]))
    assert alone.width == 3 + 2 + 3  # a, b, d; two levels; three shades


def test_the_ridge_with_a_shared_raw_is_the_ridge_without() -> None:
    frame = mixed()
    y = frame["c"].fillna(0.0).to_numpy()
    X = frame.drop(columns=["c"])
    skip = frozenset({"shade"})
    held = np.random.default_rng(2).random(len(X)) < 0.2
    raw = LinearDesign.reading(X, skip).raw(X)
    shared = LinearStart.fit(X[~held], y[~held], seed=0, skip=skip, raw=raw[~held])
    alone = LinearStart.fit(X[~held], y[~held], seed=0, skip=skip)
    assert np.array_equal(shared.coef, alone.coef) and shared.intercept == alone.intercept
    assert np.array_equal(shared.predict(X, raw), alone.predict(X))
    # and it is a ridge fitted to the planted line c = 2a - b (a and b observed here)
    assert np.corrcoef(alone.predict(X[~held]), y[~held])[0, 1] > 0.8


def test_the_ridge_of_a_budgeted_column_reads_the_same_sampled_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_impute_models, "MAX_LINEAR_ROWS", 100)
    frame = mixed()
    y = frame["c"].fillna(0.0).to_numpy()
    X = frame.drop(columns=["c"])
    raw = LinearDesign.reading(X).raw(X)
    shared = LinearStart.fit(X, y, seed=3, skip=frozenset(), raw=raw)
    alone = LinearStart.fit(X, y, seed=3, skip=frozenset())
    assert np.array_equal(shared.coef, alone.coef) and shared.intercept == alone.intercept


def test_the_logistic_classifier_is_unchanged() -> None:
    frame = mixed().dropna(subset=["level"])
    X, y = frame.drop(columns=["level"]), frame["level"].cat.codes.to_numpy()
    fitted = LinearClassifier().fit(X, y, seed=0)
    reference = LogisticRegression(C=1.0, max_iter=500).fit(old_matrix(X), y)
    assert np.array_equal(fitted.model_.coef_, reference.coef_)
    assert np.array_equal(fitted.predict_proba(X), reference.predict_proba(old_matrix(X)))


def test_missing_odds_equal_the_odds_computed_from_each_design() -> None:
    X = mixed()
    missing = X["a"].isna().to_numpy()
    predictors = X.drop(columns=["a"])
    weights = missing_odds(predictors, missing, ~missing, seed=0)
    design = LinearDesign.learn(predictors)
    model = LogisticRegression(max_iter=500).fit(design.matrix(predictors), missing)
    p = np.clip(model.predict_proba(design.matrix(predictors[~missing]))[:, 1], 1e-6, 1 - 1e-6)
    odds = np.minimum((p / (1 - p)) / np.mean(p / (1 - p)), MAX_WEIGHT)
    assert np.array_equal(weights, odds / odds.mean())
    # planted at random (a missing where b is large): the rows like the missing weigh more
    b = predictors["b"].to_numpy()[~missing]
    assert weights[b > 1].mean() > 2 * weights[b < -1].mean()


def test_missing_auc_equals_the_auc_from_each_folds_design() -> None:
    X = mixed(n=300)
    missing = X["a"].isna().to_numpy()
    predictors = X.drop(columns=["a"])
    auc, error = missing_auc(predictors, missing, seed=4)
    rng = np.random.default_rng(4)
    fold = np.empty(len(missing), dtype=np.intp)
    for label in (False, True):
        rows = rng.permutation(np.flatnonzero(missing == label))
        fold[rows] = np.arange(len(rows)) % _impute_choice.MISSING_FOLDS
    score = np.empty(len(missing))
    for k in range(_impute_choice.MISSING_FOLDS):
        held = fold == k
        design = LinearDesign.learn(predictors[~held])
        model = LogisticRegression(max_iter=500).fit(
            design.matrix(predictors[~held]), missing[~held]
        )
        score[held] = model.decision_function(design.matrix(predictors[held]))
    ranks = pd.Series(score).rank().to_numpy()
    n1, n0 = int(missing.sum()), int((~missing).sum())
    assert auc == (float(ranks[missing].sum()) - n1 * (n1 + 1) / 2) / (n1 * n0)
    assert auc - 0.5 > 2 * error  # planted: missing where b is large


def test_column_regressor_start_is_the_ridge_read_again() -> None:
    frame = mixed().dropna(subset=["c"])
    X, y = frame.drop(columns=["c"]), frame["c"].to_numpy()
    params = dict(n_estimators=20, num_leaves=7, random_state=0, n_jobs=1, verbose=-1)
    model = ColumnRegressor(lgb.LGBMRegressor(**params)).fit(
        X, y, family="linear+trees", n_trees=None, seed=0
    )
    ridge = LinearStart.fit(X, y, seed=0, skip=frozenset())
    assert np.array_equal(model.linear_.coef, ridge.coef)
    reference = lgb.LGBMRegressor(**params).fit(X, y, init_score=ridge.predict(X))
    expected = np.clip(ridge.predict(X) + reference.predict(X), *model.bounds_)
    assert np.array_equal(model.predict(X), expected)


def test_the_imputer_is_bit_for_bit_the_imputer_reading_every_design_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole imputer (choice, blends, the move towards the ridge) against the same
    imputer whose ridge, logistic and missingness models read each design from their own
    rows, as before the design was shared."""
    X = mixed(n=200, seed=5)
    before = X.copy()
    shared = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=3).fit_transform(X)
    pd.testing.assert_frame_equal(X, before)  # nothing the user passed is changed

    def ignore_raw(method):  # type: ignore[no-untyped-def]
        def call(*args, raw=None, **kwargs):  # type: ignore[no-untyped-def]
            return method(*args, **kwargs)

        return call

    fit = LinearStart.fit.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        LinearStart, "fit", classmethod(lambda cls, *a, raw=None, **k: fit(cls, *a, **k))
    )
    monkeypatch.setattr(LinearStart, "predict", ignore_raw(LinearStart.predict))
    learn = LinearDesign.learn.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        LinearDesign,
        "learn",
        classmethod(lambda cls, X, skip=frozenset(), raw=None: learn(cls, X, skip)),
    )
    again = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=3).fit_transform(X)
    pd.testing.assert_frame_equal(shared, again, check_exact=True)
    assert shared.notna().all().all()
