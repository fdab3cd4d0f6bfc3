"""One validation module: one wording for a flag and for too few rows, wherever checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialWeighter, DriftFeatureDropper, SubstitutionImputer, TestLikeSplit
from advval._validation import ParameterError, check_bool, check_min_rows


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_bools_pass(value):
    check_bool(value, name="prefit", owner="X")


@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.0])
def test_anything_else_is_refused_as_value_and_type_error(value):
    message = f"The 'prefit' parameter of X must be a bool. Got {value!r} instead."
    for caught in (ValueError, TypeError):
        with pytest.raises(caught) as error:
            check_bool(value, name="prefit", owner="X")
        assert str(error.value) == message
        assert isinstance(error.value, ParameterError)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return (pd.DataFrame({"a": rng.normal(size=40)}), pd.DataFrame({"a": rng.normal(size=40)}))


@pytest.mark.parametrize(
    ("make", "name", "owner"),
    [
        (lambda t: TestLikeSplit(X_test=t, prefit="yes"), "prefit", "TestLikeSplit"),
        (lambda t: TestLikeSplit(X_test=t, stratify=1), "stratify", "TestLikeSplit"),
        (lambda t: DriftFeatureDropper(X_test=t, prefit=0), "prefit", "DriftFeatureDropper"),
        (lambda t: AdversarialWeighter(X_test=t, calibrate="no"), "calibrate",
         "AdversarialWeighter"),
        (lambda t: SubstitutionImputer(linear_start="yes"), "linear_start",
         "SubstitutionImputer"),
    ],
)
def test_every_estimator_says_it_the_same_way(make, name, owner):
    train, test = _frames()
    estimator = make(test)
    with pytest.raises(ValueError, match=rf"^The '{name}' parameter of {owner} must be a bool\."):
        if isinstance(estimator, TestLikeSplit):
            list(estimator.split(train))
        else:
            estimator.fit(train)


def test_too_few_rows_has_one_wording():
    with pytest.raises(ValueError) as error:
        check_min_rows(1, name="X", minimum=2, needed_by="SubstitutionImputer")
    assert str(error.value) == "X has 1 sample(s) but SubstitutionImputer needs at least 2 rows."
    check_min_rows(2, name="X", minimum=2, needed_by="SubstitutionImputer")
    with pytest.raises(ValueError, match=r"^X has 1 sample\(s\) but SubstitutionImputer needs"):
        SubstitutionImputer().fit(pd.DataFrame({"a": [1.0], "b": [np.nan]}))
    train, test = _frames()
    with pytest.raises(
        ValueError,
        match=r"^X has 3 sample\(s\) but the validator \(n_splits=5\) needs at least 5 rows on "
        r"each side\.$",
    ):
        AdversarialWeighter(X_test=test).fit(train.head(3))
