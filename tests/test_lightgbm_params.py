"""One factory of LightGBM parameters by role, and the thread rule, used by every model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advval import SubstitutionImputer
from advval._lightgbm_params import (
    ROLES,
    SINGLE_THREAD_ROWS,
    lightgbm_params,
    lightgbm_threads,
    machine_cores,
    quiet,
)
from advval._models import default_domain_classifier
from advval.dependency._fitting import default_params, estimator_params
from advval.dependency._imputer import _ModelFactory
from advval.drift._dropper import default_signal_model


def test_every_role_is_silent_deterministic_and_column_wise():
    for role in ROLES:
        params = lightgbm_params(role, n_rows=1_000)  # type: ignore[arg-type]
        assert params["verbose"] == -1
        assert params["deterministic"] is True and params["force_col_wise"] is True


@pytest.mark.parametrize(
    ("role", "n_rows", "key", "expected"),
    [
        ("domain", 100, "min_child_samples", 5),  # n // 50 = 2, clipped up to 5
        ("domain", 1_000, "min_child_samples", 20),
        ("domain", 10_000, "min_child_samples", 50),  # clipped down to 50
        ("signal", 10_000, "min_child_samples", 20),  # the small model clips at 20
        ("substitution", 1_000, "min_data_in_leaf", 10),  # n // 100
        ("substitution", 100_000, "min_data_in_leaf", 50),
        ("single", 100, "min_data_in_leaf", 5),
    ],
)
def test_leaf_sizes_grow_with_the_rows_within_their_limits(role, n_rows, key, expected):
    assert lightgbm_params(role, n_rows=n_rows)[key] == expected


def test_each_default_model_is_built_from_its_role():
    domain = default_domain_classifier(n_rows=2_000, random_state=3, n_jobs=1).get_params()
    expected = lightgbm_params("domain", n_rows=2_000, random_state=3, n_jobs=1)
    assert {k: domain[k] for k in expected} == expected
    assert domain["num_leaves"] == 4 and domain["n_estimators"] == 1000

    for classes in (True, False):
        signal = default_signal_model(classes=classes, n_rows=500, random_state=5).get_params()
        expected = lightgbm_params("signal", n_rows=500, random_state=5)
        assert {k: signal[k] for k in expected} == expected

    assert default_params(n_rows=400, single=True) == lightgbm_params("single", n_rows=400)
    multivariate = default_params(n_rows=400, single=False)
    substitution = lightgbm_params("substitution", n_rows=400)
    assert {k: multivariate[k] for k in substitution} == substitution


def test_the_imputer_models_use_the_imputer_role_and_its_threads():
    imputer = SubstitutionImputer(random_state=0, n_jobs=1)
    factory = _ModelFactory.build(imputer, n_rows=300, seed=11)
    assert factory.params == lightgbm_params("imputer", n_rows=300, random_state=11, n_jobs=1)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    X.loc[::7, "a"] = np.nan
    fitted = SubstitutionImputer(random_state=0, n_jobs=1, early_stopping=False).fit(X)
    booster = fitted.models_["a"].booster_model_.get_params()
    assert booster["num_leaves"] == 15 and booster["n_jobs"] == 1 and booster["verbose"] == -1


def test_a_users_estimator_keeps_its_settings_and_gets_the_thread_rule():
    import lightgbm as lgb

    user = lgb.LGBMRegressor(num_leaves=5, verbose=2, n_jobs=None)
    factory = _ModelFactory.build(
        SubstitutionImputer(estimator=user, random_state=0), n_rows=100, seed=4
    )
    assert factory.params["num_leaves"] == 5 and factory.params["verbose"] == 2
    assert factory.params["n_jobs"] == lightgbm_threads(None, 100) == 1
    assert factory.params["random_state"] == 4
    assert user.get_params()["n_jobs"] is None  # the user's estimator is not modified
    assert estimator_params(lgb.LGBMRegressor(num_leaves=5))["verbose"] == -1


def test_thread_rule():
    assert lightgbm_params("domain", n_rows=100, n_jobs=None)["n_jobs"] == 1
    assert lightgbm_threads(None, SINGLE_THREAD_ROWS - 1) == 1
    assert 1 <= lightgbm_threads(None, SINGLE_THREAD_ROWS) <= machine_cores()
    assert lightgbm_threads(-1, 10) == machine_cores() == lightgbm_threads(10**6, 10)


def test_quiet_keeps_a_level_that_was_set():
    assert quiet({"verbose": 0}) == {"verbose": 0}
    assert quiet({}) == {"verbose": -1}


def test_unknown_role_is_refused_by_name():
    with pytest.raises(ValueError, match=r"The 'role' parameter of lightgbm_params .* 'weights'"):
        lightgbm_params("weights", n_rows=10)  # type: ignore[arg-type]


def test_the_old_home_of_the_thread_rule_still_imports():
    from advval import _models

    assert _models.lightgbm_threads is lightgbm_threads
