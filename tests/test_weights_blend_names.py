"""AdversarialWeighter hands the names its caller gave (the CLI's file names) to ``blend``.

``blend``'s own column check cannot be reached through the weighter: ``fit_likeness``
aligns the columns first (prefit or not) and raises any mismatch itself. So this checks
the names reach ``blend`` (and ``blend``'s message with them is tested in
tests/test_blend_names.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import advval.drift._weights as weights_module
from advval.drift import AdversarialValidator, AdversarialWeighter

FILES = ("TRAIN file 'a.csv'", "TEST file 'b.csv'")


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    X_test = pd.DataFrame({"a": rng.normal(0.5, 1, 100), "b": rng.normal(size=100)})
    return X, X_test


@pytest.mark.parametrize(("names", "expected"), [(None, ("X", "X_test")), (FILES, FILES)])
def test_the_weighter_passes_its_callers_names_to_blend(frames, monkeypatch, names, expected):
    X, X_test = frames
    seen = []
    original = weights_module.blend

    def recording_blend(*args, **kwargs):
        seen.append(kwargs.get("names"))
        return original(*args, **kwargs)

    monkeypatch.setattr(weights_module, "blend", recording_blend)
    validator = AdversarialValidator(n_jobs=1, random_state=0, n_splits=3)
    weighter = AdversarialWeighter(X_test=X_test, validator=validator, random_state=0)
    if names is None:
        weighter.fit(X)
    else:
        weighter._fit_named(X, names=names)
    assert seen == [expected]
    assert np.all(np.isfinite(weighter.test_likeness_)) and len(weighter.test_likeness_) == len(X)
