"""The Dask backends return frozen fits and leave the estimators alone (issue #16).

The estimators dispatch through ``advval._dask``; the drift backend returns a
``_DriftFit``, the dependency backend a ``RowSample``; the estimator sets its own
attributes, so nothing of an earlier fit survives a refit on the other backend.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from advval import AdversarialValidator, DriftFeatureDropper, FeatureDependencyChecker  # noqa: E402
from advval._dask import fit_drift, sample_rows  # noqa: E402
from advval._stats import auc_interval  # noqa: E402
from advval.dependency._fitted import RowSample  # noqa: E402
from advval.drift._crossfit import design_effect  # noqa: E402
from advval.drift._fitted import _DriftFit, fit_seeds  # noqa: E402

N = 600  # rows a side


@pytest.fixture(scope="module")
def sides() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    train = pd.DataFrame({"a": rng.normal(size=N), "b": rng.normal(size=N)})
    test = pd.DataFrame({"a": rng.normal(0.8, 1.0, size=N), "b": rng.normal(size=N)})
    return train, test


def _dask(frame: pd.DataFrame, parts: int):
    return dd.from_pandas(frame, npartitions=parts, sort=False)


def test_the_drift_backend_returns_a_frozen_fit_and_leaves_the_validator_alone(sides, client):
    train, test = sides
    validator = AdversarialValidator(random_state=0, n_jobs=1, client=client)
    before = dict(vars(validator))
    fit = fit_drift(validator, _dask(train, 3), _dask(test, 2), groups=None, seeds=fit_seeds(0))
    assert vars(validator) == before  # read, never written
    assert isinstance(fit, _DriftFit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.auc = 0.5  # type: ignore[misc]
    # the planted 0.8-std shift of "a": a clear AUC, "a" first in the attribution
    assert fit.auc > 0.6
    assert fit.encoder.columns[int(np.argmax(fit.attribution.mean))] == "a"
    assert (fit.n_train, fit.n_test, fit.n_rows_used) == (N, N, 2 * N)
    assert fit.crossfit is None and fit.budget is None and fit.column_facts is None

    # the validator's fit is that fit: same seeds, same numbers, attributes derived from it
    validator.fit(_dask(train, 3), _dask(test, 2))
    assert validator.auc_ == fit.auc
    np.testing.assert_array_equal(validator.oof_proba_, fit.oof_proba)
    np.testing.assert_array_equal(validator.fold_aucs_, fit.fold_aucs)
    assert validator.sequential_p_value_ == fit.sequential.p_value
    expected_ci = auc_interval(fit.auc, fit.auc_variance * design_effect(5), 0.95)
    assert validator.auc_ci_ == expected_ci
    assert validator.feature_report_.index[0] == "a" and validator.drift_
    assert not [name for name in vars(validator) if name.startswith("_dask")]


def test_a_dask_refit_leaves_nothing_of_an_in_memory_fit(sides, client):
    train, test = sides
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    assert validator._crossfit is not None and validator.column_facts_ is not None
    validator.set_params(client=client).fit(_dask(train, 2), _dask(test, 2))
    # the in-memory fit's fold state would pair old folds with the new fold models
    assert validator._crossfit is None and validator._budget is None
    assert validator.column_facts_ is None and validator.dataset_summary_ is None
    with pytest.raises(ValueError, match=re.escape("cannot reuse a validator fitted on Dask")):
        DriftFeatureDropper(X_test=test, validator=validator, prefit=True).fit(train)


def test_the_dependency_backend_returns_a_row_sample_within_the_budget(client):
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    asked: list[int] = []

    def budget(n_rows: int) -> int:
        asked.append(n_rows)
        return 300

    sample = sample_rows(_dask(X, 4), None, client=client, budget=budget, seed=0)
    assert isinstance(sample, RowSample) and sample.target is None
    assert asked == [2000] and sample.n_rows == 2000
    assert 300 <= len(sample.frame) < 2000  # the budget plus its margin, not every row
    # rows of the frame, in their order
    merged = sample.frame.merge(X.reset_index(), on=["a", "b"])
    assert len(merged) == len(sample.frame) and merged["index"].is_monotonic_increasing

    every = sample_rows(_dask(X, 4), X["a"] > 0, client=client, budget=lambda n: None, seed=0)
    pd.testing.assert_frame_equal(every.frame, X)
    np.testing.assert_array_equal(every.target, (X["a"] > 0).to_numpy())


def test_the_checker_fits_the_sample_and_a_pandas_refit_drops_the_sample_count(client):
    rng = np.random.default_rng(6)
    a = rng.normal(size=400)
    X = pd.DataFrame({"a": a, "b": 2 * a + 0.1 * rng.normal(size=400), "c": rng.normal(size=400)})
    checker = FeatureDependencyChecker(random_state=0, n_jobs=1, client=client)
    checker.fit(_dask(X, 3))
    single = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(X)
    pd.testing.assert_frame_equal(checker.scores_, single.scores_)
    assert checker.n_rows_sampled_ == checker.n_rows_in_ == 400
    assert set(checker.redundant_features_) == {"a", "b"}  # planted: b is 2a plus noise
    checker.set_params(client=None).fit(X)
    assert not hasattr(checker, "n_rows_sampled_")
    pd.testing.assert_frame_equal(checker.scores_, single.scores_)
