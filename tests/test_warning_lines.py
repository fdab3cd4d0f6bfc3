"""Every warning about the data points at the user's line, whatever the public entry.

A fixed ``stacklevel`` counts frames from where the warning is raised; the public
wrappers (``dependency_shift``, the checker's and validator's named fits, the weighter
and split around the validator) nest that point at different depths, and the warnings
named a line inside advval (``_shift.py``, ``_checker.py``, ``_validator.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from advval.dependency import FeatureDependencyChecker, SubstitutionImputer, dependency_shift
from advval.drift import AdversarialValidator, AdversarialWeighter, DriftFeatureDropper
from advval.drift import TestLikeSplit as _TestLikeSplit

WORDS = np.array(["red", "cat", "runs", "far", "blue", "dog", "sleeps", "near"])


def _frame(seed: int, n: int = 300, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(shift, 1.0, n)
    return pd.DataFrame(
        {
            "a": a,
            "b": a + rng.normal(size=n),
            "note": [" ".join(rng.choice(WORDS, 5)) + f" {k}" for k in range(n)],  # free text
            "code": [f"C{k}" for k in rng.integers(0, 3000, n)],  # no frequent value
            "row": np.arange(n) + (10_000 if shift else 0),  # separates the sides alone
            "empty": np.nan,
        }
    )


TRAIN, TEST = _frame(0), _frame(1, shift=0.5)


def _caught(call: Callable[[], Any]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UserWarning)]


CALLS = {
    "FeatureDependencyChecker.fit": lambda: FeatureDependencyChecker(
        n_jobs=1, random_state=0
    ).fit(TRAIN.drop(columns="row")),
    "dependency_shift": lambda: dependency_shift(
        TRAIN.drop(columns=["row", "empty"]), TEST.drop(columns=["row", "empty"]), n_jobs=1,
        random_state=0,
    ),
    "FeatureDependencyChecker.dependency_shift": lambda: FeatureDependencyChecker(
        n_jobs=1, random_state=0
    ).dependency_shift(TRAIN.drop(columns=["row", "empty"]), TEST.drop(columns=["row", "empty"])),
    "AdversarialValidator.fit": lambda: AdversarialValidator(n_jobs=1, random_state=0).fit(
        TRAIN, TEST
    ),
    "DriftFeatureDropper.fit": lambda: DriftFeatureDropper(X_test=TEST, random_state=0).fit(
        TRAIN
    ),
    "AdversarialWeighter.fit": lambda: AdversarialWeighter(X_test=TEST, random_state=0).fit(
        TRAIN
    ),
    "TestLikeSplit.split": lambda: next(_TestLikeSplit(X_test=TEST, random_state=0).split(TRAIN)),
    "SubstitutionImputer.fit_transform": lambda: SubstitutionImputer(
        max_iter=1, random_state=0
    ).fit_transform(TRAIN.drop(columns=["row", "empty"]).mask(np.eye(300, 4, dtype=bool))),
}


def _transfer_on_a_constant_model() -> None:
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from advval.attacks.transfer import TransferAttack

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.r_[np.zeros(20), np.ones(20)].astype(int)
    model = DummyClassifier(strategy="most_frequent").fit(X, y)  # one answer: no surrogate
    TransferAttack(model, eps=0.1, surrogate=LogisticRegression(), random_state=0).generate(X, y)


CALLS["TransferAttack.generate"] = _transfer_on_a_constant_model


@pytest.mark.parametrize("entry", list(CALLS))
def test_the_warnings_point_at_the_callers_line(entry):
    caught = _caught(CALLS[entry])
    assert caught, entry  # free text / codes / an empty or leak-like column: warned
    assert {w.filename for w in caught} == {__file__}, [
        (w.filename, w.lineno, str(w.message)[:60]) for w in caught
    ]
