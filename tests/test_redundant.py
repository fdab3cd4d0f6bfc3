"""RedundantFeatureDropper: one survivor per redundant group, pipelines, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from advval.dependency import FeatureDependencyChecker, RedundantFeatureDropper

CHECKER = FeatureDependencyChecker(n_jobs=1)


def _dropper(**params):
    return RedundantFeatureDropper(**{"checker": CHECKER, "random_state": 0, **params})


def duplicated(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    X["a_copy"] = X["a"] * 2 + rng.normal(scale=0.01, size=n)
    X.loc[:19, "a_copy"] = np.nan
    return X


def test_of_a_duplicate_pair_the_one_with_less_missing_data_stays():
    X = duplicated()
    before = X.copy()
    dropper = _dropper().fit(X)
    assert dropper.dropped_features_ == ["a_copy"]
    assert dropper.get_support().tolist() == [True, True, True, False]
    assert dropper.get_feature_names_out().tolist() == ["a", "b", "c"]
    assert dropper.path_["dropped"].tolist() == ["a_copy", None]
    assert dropper.path_["n_features"].tolist() == [4, 3]
    assert "a" not in dropper.checker_.redundant_features_
    pd.testing.assert_frame_equal(X, before)


def test_keep_protects_a_column_and_its_partner_goes():
    X = duplicated().assign(a_copy=lambda d: d["a"] * 2)
    assert len(_dropper().fit(X).dropped_features_) == 1  # one of the pair stays
    dropper = _dropper(keep=["a_copy"]).fit(X)
    assert dropper.dropped_features_ == ["a"]


def test_a_function_of_three_columns_goes_and_its_parents_stay():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=["p0", "p1", "p2", "noise"])
    X["f"] = X[["p0", "p1", "p2"]].max(axis=1) + rng.normal(scale=0.03, size=600)
    dropper = _dropper().fit(X)
    assert dropper.dropped_features_ == ["f"]
    assert dropper.path_.loc[0, "score"] >= 0.9


def test_set_output_pandas_keeps_names_and_dtypes():
    X = duplicated().assign(city=np.random.default_rng(1).choice(["x", "y"], size=300))
    out = _dropper().set_output(transform="pandas").fit(X).transform(X)
    assert list(out.columns) == ["a", "b", "c", "city"]
    assert out["city"].dtype == X["city"].dtype


def test_pipeline_clone_and_cross_val_score():
    X = duplicated().assign(a_copy=lambda d: d["a"] * 2)
    y = X["a"] + X["b"]
    pipeline = make_pipeline(_dropper(), LinearRegression())
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.min() > 0.95
    assert clone(pipeline).get_params()["redundantfeaturedropper__threshold"] == 0.9


def test_arrays_and_nothing_to_drop():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(80, 3))
    dropper = _dropper().fit(A)
    assert dropper.dropped_features_ == []
    assert dropper.transform(A).shape == (80, 3)
    assert dropper.get_feature_names_out().tolist() == ["x0", "x1", "x2"]
    # a single column has nothing to be redundant with
    assert _dropper().fit(A[:, :1]).get_support().tolist() == [True]


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"threshold": 0.0}, ValueError, r"The 'threshold' parameter of RedundantFeatureDropper"),
        ({"checker": "auto"}, TypeError, "'checker' parameter .* FeatureDependencyChecker"),
        ({"keep": ["zz"]}, ValueError, r"'keep' parameter .* not in X: \['zz'\]"),
    ],
)
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        RedundantFeatureDropper(**params).fit(duplicated(n=30))


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RedundantFeatureDropper().transform(duplicated(n=10))
