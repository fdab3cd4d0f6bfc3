"""The smooth ratio model's column check calls the sides what its caller does.

Through the public path (:class:`~advval.drift.AdversarialWeighter`) the validator is
fitted on the same frames first and raises any mismatch itself, so ``blend``'s own check
is not reached there; called directly, its message names ``X`` and ``X_test`` (the
weighter's arguments) or the names passed, not ``X_train``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from advval.drift import AdversarialValidator
from advval.drift._ratio import blend


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    X_test = pd.DataFrame({"a": rng.normal(0.5, 1, 80), "b": rng.normal(size=80)})
    validator = AdversarialValidator(n_jobs=1, random_state=0).fit(X, X_test)
    return validator, X, X_test


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (None, "X_test has 1 columns but X has 2: missing in X_test: ['b']"),
        (
            ("TRAIN file 'a.csv'", "TEST file 'b.csv'"),
            "TEST file 'b.csv' has 1 columns but TRAIN file 'a.csv' has 2: missing in TEST "
            "file 'b.csv': ['b']",
        ),
    ],
)
def test_blend_names_the_sides_as_its_caller(fitted, names, message):
    validator, X, X_test = fitted
    train_likeness = np.full(len(X), 0.4)
    named = {} if names is None else {"names": names}
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        blend(validator, X, X_test[["a"]], train_likeness, ratio_model="blend",
              calibrate=True, seed=0, **named)
