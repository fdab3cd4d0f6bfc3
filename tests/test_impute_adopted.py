"""A large column's first round imputes with the model its held-out choice fitted.

Where the choice rests on a single split (at least 1,000 observed rows), the chosen
family's model was fitted on four fifths of the rows; the first round imputes with it
instead of fitting it again on every row (``adoptable``), and later rounds fit every row
with the number of trees scaled up for them. Small columns (folds) refit as before.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from advval import SubstitutionImputer
from advval.dependency._impute_choice import VALIDATION_SHARE
from advval.dependency._impute_models import early_stopped

#: rows of a large table: above FOREST_MAX_ROWS observed rows, so no forest family
LARGE = 6_000


def _table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n_rows)
    b = rng.normal(size=n_rows)
    c = np.sin(2 * a) + 0.5 * b + rng.normal(scale=0.2, size=n_rows)
    label = np.where(a + rng.normal(scale=0.5, size=n_rows) > 0, "up", "down")
    truth = pd.DataFrame({"a": a, "b": b, "c": c, "label": pd.Categorical(label)})
    X = truth.copy()
    X.loc[rng.random(n_rows) < 0.15, "c"] = np.nan
    X.loc[rng.random(n_rows) < 0.15, "label"] = np.nan
    return truth, X


class _Counted:
    """Counts the LightGBM fits made while it is active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fits = 0
        original = lgb.LGBMModel.fit

        def fit(model, *args, **kwargs):
            self.fits += 1
            return original(model, *args, **kwargs)

        monkeypatch.setattr(lgb.LGBMModel, "fit", fit)


def test_a_large_column_is_not_boosted_again_in_the_round_of_its_choice(monkeypatch):
    truth, X = _table(LARGE)
    counted = _Counted(monkeypatch)
    imputer = SubstitutionImputer(
        random_state=0, n_jobs=1, max_iter=1, tol=0.0, linear_start=False
    ).fit(X)
    # trees are the only family (no forest above FOREST_MAX_ROWS observed rows); each
    # column (the complete ones too, modelled for transform) has one early-stopped fit
    # and no refit: the old imputer fitted each twice
    assert set(imputer.families_.values()) == {"trees"}
    assert counted.fits == X.shape[1]


def test_later_rounds_fit_every_row_with_the_trees_scaled_up():
    truth, X = _table(LARGE)
    imputer = SubstitutionImputer(
        random_state=0, n_jobs=1, max_iter=2, tol=0.0, linear_start=False
    ).fit(X)
    first, second = imputer.round_models_
    for column in ("c", "label"):
        best = first[column].n_trees_
        limit = 100  # the default template's n_estimators
        assert 1 <= best < limit
        assert second[column].n_trees_ == min(limit, round(best / (1 - VALIDATION_SHARE)))


def test_the_adopted_model_is_the_choice_fitted_on_its_training_rows():
    """Its predictions equal an early-stopped model fitted here on the same rows."""
    truth, X = _table(LARGE)
    imputer = SubstitutionImputer(
        random_state=0, n_jobs=1, max_iter=1, tol=0.0, linear_start=False
    ).fit(X)
    model = imputer.round_models_[0]["label"]
    assert model.family_ == "trees"
    observed = X["label"].notna().to_numpy()
    # the same split and trees, recomputed: the held rows are those the seeded split holds
    # out; refit with every parameter the imputer's template has
    booster = model.model_
    predictors = _predictors(imputer, X, "label")[observed].reset_index(drop=True)
    target = _codes(imputer, X, "label")[observed]
    held = _held(len(target), imputer, "label")
    held &= np.isin(target, target[~held])
    fresh = lgb.LGBMClassifier(**booster.get_params())
    best = early_stopped(fresh, predictors, target, None, held)
    assert best == model.n_trees_
    np.testing.assert_allclose(
        fresh.predict_proba(predictors, num_iteration=best),
        model.predict_proba(predictors),
    )


def test_a_small_column_is_fitted_again_on_every_row(monkeypatch):
    truth, X = _table(400)  # 340 observed rows: five folds, no single split
    counted = _Counted(monkeypatch)
    imputer = SubstitutionImputer(
        random_state=0, n_jobs=1, max_iter=1, tol=0.0, linear_start=False
    ).fit(X)
    members = [imputer.blends_.get(c, {f: 1.0}) for c, f in imputer.families_.items()]
    refits = sum("trees" in blend for blend in members)
    # five early-stopped fits per column (four: the complete ones too), then a refit
    # on every row of each column whose model has trees
    assert counted.fits == 5 * X.shape[1] + refits
    assert refits > 0


def test_adopted_imputations_are_as_good_as_refitted_ones():
    """On a planted relation the first round's imputations (adopted) err about as little
    as the noise allows, and ``transform`` replays them."""
    truth, X = _table(LARGE, seed=3)
    imputer = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=1, tol=0.0)
    filled = imputer.fit_transform(X)
    gaps = X["c"].isna().to_numpy()
    rmse = float(np.sqrt(np.mean((filled["c"][gaps] - truth["c"][gaps]) ** 2)))
    assert rmse < 0.3  # noise 0.2; the mean would err by about 0.8
    wrong = float(np.mean(filled["label"][X["label"].isna()] != truth["label"][X["label"].isna()]))
    assert wrong < 0.3  # the planted sign's noise alone errs on about 0.16
    pd.testing.assert_frame_equal(imputer.transform(X), filled)


def _predictors(imputer: SubstitutionImputer, X: pd.DataFrame, name: str) -> pd.DataFrame:
    from advval.dependency._imputer import _State

    columns = imputer._columns
    state = _State.initial(X, columns)
    target = next(c for c in columns if c.name == name)
    for earlier in imputer.imputation_order_[: imputer.imputation_order_.index(name)]:
        column = next(c for c in columns if c.name == earlier)
        if earlier in imputer.round_models_[0]:  # a column with gaps
            state.update(column, imputer.round_models_[0][earlier], columns)
    return state.predictors(target, columns, np.ones(len(X), dtype=bool))


def _codes(imputer: SubstitutionImputer, X: pd.DataFrame, name: str) -> np.ndarray:
    column = next(c for c in imputer._columns if c.name == name)
    return column.encode(X[name])


def _held(n_rows: int, imputer: SubstitutionImputer, name: str) -> np.ndarray:
    from advval.dependency._impute_choice import folds

    column = next(c for c in imputer._columns if c.name == name)
    seed = imputer._factory._seed(column)
    (held,) = folds(n_rows, seed)
    return held
