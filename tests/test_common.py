"""scikit-learn's common checks on every public advval estimator (found by discovery).

The remedies take the test frame as a parameter (``X_test``), and scikit-learn's checks fit
on data of 1 to 10 columns. Each estimator is checked with a 3-column ``X_test``; the checks
that fit on another width fail only because of that mismatch (listed with their reason) and
are rerun below with an ``X_test`` of the matching width, where they must pass.
``AdversarialValidator`` is a two-sample test whose ``fit`` takes ``(X_train, X_test)``, not
``(X, y)``, so only the API checks that do not fit apply to it.
"""

import inspect

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from advval import AdversarialValidator
from advval._discovery import all_estimators
from advval.attacks import SquareAttack

CHECK_VALIDATOR = AdversarialValidator(n_splits=3, n_jobs=1)
#: settings that keep the checks fast without changing what they test
FAST_PARAMS = {"SubstitutionImputer": {"max_iter": 2}, "TorchTabularClassifier": {"epochs": 10}}


#: meta-estimators: their required constructor arguments
CONSTRUCTOR_ARGS = {
    "AdversarialTrainingClassifier": lambda: (
        LogisticRegression(), SquareAttack(None, eps=0.1, steps=5)
    ),
}


def _x_test(width):
    return np.random.default_rng(0).normal(size=(40, width))


def _needs_x_test(cls):
    return "X_test" in inspect.signature(cls).parameters


def _instance(cls, width=3):
    """A fast instance: one LightGBM thread; the remedies get an ``X_test`` of ``width``."""
    if _needs_x_test(cls):
        return cls(X_test=_x_test(width), validator=CHECK_VALIDATOR, random_state=0)
    params = {"random_state": 0, **FAST_PARAMS.get(cls.__name__, {})}
    if "n_jobs" in inspect.signature(cls).parameters:
        params["n_jobs"] = 1
    args = CONSTRUCTOR_ARGS.get(cls.__name__, tuple)()
    return cls(*args, **params)


def _expected_failures(estimator):
    return EXPECTED_FAILED_CHECKS if _needs_x_test(type(estimator)) else {}


#: check -> number of columns it fits on (its X_test must match)
CHECK_WIDTH = {
    "check_estimators_overwrite_params": 2,
    "check_estimators_fit_returns_self": 2,
    "check_readonly_memmap_input": 2,
    "check_fit_idempotent": 2,
    "check_fit_check_is_fitted": 2,
    "check_n_features_in": 2,
    "check_n_features_in_after_fitting": 4,
    "check_positive_only_tag_during_fit": 4,
    "check_estimators_dtypes": 5,
    "check_dtype_object": 10,
    "check_fit2d_1feature": 1,
}
EXPECTED_FAILED_CHECKS = {
    name: f"fits X with {width} column(s) while X_test has 3; rerun with a matching X_test"
    for name, width in CHECK_WIDTH.items()
}
#: public checks scikit-learn does not run by default, for selectors (width they use)
SELECTOR_EXTRA_CHECKS = {
    "check_set_output_transform": 5,
    "check_set_output_transform_pandas": 5,
    "check_global_output_transform_pandas": 5,
    "check_dataframe_column_names_consistency": 8,
    "check_get_feature_names_out_error": 3,
}
#: reruns that still fail, with the reason
RERUN_FAILURES = {
    ("AdversarialWeighter", "check_dtype_object"): (
        "object columns of numbers are categorical in advval (like strings), so they cannot "
        "match the numeric X_test"
    ),
}

CHECKED_ESTIMATORS = [cls for _, cls in all_estimators() if cls is not AdversarialValidator]
X_TEST_ESTIMATORS = [cls for cls in CHECKED_ESTIMATORS if _needs_x_test(cls)]
API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
]


def test_discovery_finds_every_public_estimator():
    names = {name for name, _ in all_estimators()}
    assert {
        "AdversarialValidator",
        "AdversarialWeighter",
        "DriftFeatureDropper",
        "FeatureDependencyChecker",
        "RedundantFeatureDropper",
        "SubstitutionImputer",
        "AdversarialTrainingClassifier",
    } <= names


@pytest.mark.filterwarnings("ignore::advval.exceptions.AdvvalWarning")
@parametrize_with_checks(
    [_instance(cls) for cls in CHECKED_ESTIMATORS],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


def _reruns():
    for cls in X_TEST_ESTIMATORS:
        checks = dict(CHECK_WIDTH)
        if hasattr(cls, "get_feature_names_out"):
            checks.update(SELECTOR_EXTRA_CHECKS)
        for name, width in sorted(checks.items()):
            reason = RERUN_FAILURES.get((cls.__name__, name))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(cls, name, width, id=f"{cls.__name__}-{name}", marks=marks)


@pytest.mark.filterwarnings("ignore::advval.exceptions.AdvvalWarning")
# the set_output checks fit on a frame and transform an array (and back), by design
@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names:UserWarning")
@pytest.mark.parametrize(("cls", "name", "width"), list(_reruns()))
def test_expected_failures_pass_with_a_matching_x_test(cls, name, width):
    getattr(estimator_checks, name)(cls.__name__, _instance(cls, width))


@pytest.mark.parametrize("name", API_CHECKS)
def test_validator_api_checks(name):
    getattr(estimator_checks, name)("AdversarialValidator", AdversarialValidator())
