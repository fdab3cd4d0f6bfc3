"""One seam to the Dask backend; estimators set their own attributes from a frozen fit."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import advval
from advval import AdversarialValidator, FeatureDependencyChecker
from advval._dask import is_dask, on_dask
from advval.dependency._fitted import _DependencyFit, fit_seed, sample_seed
from advval.drift._fitted import _DriftFit, check_sides, fit_seeds

PACKAGE = Path(advval.__file__).parent


def _imports_of(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_seam_and_the_cli_import_the_dask_backend():
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parts[len(PACKAGE.parts)] not in ("distributed", "cli")
        and any(name.startswith("advval.distributed") for name in _imports_of(path))
    )
    assert importers == ["_dask.py"]


def test_the_import_reader_resolves_relative_imports():
    seam = _imports_of(PACKAGE / "_dask.py")
    assert "advval.distributed._drift.fit_validator" in seam
    assert "advval.drift._fitted._DriftFit" in seam


def test_the_in_memory_fit_is_frozen_and_the_validator_sets_its_attributes_from_it():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    test = pd.DataFrame({"a": rng.normal(1.0, 1.0, size=300), "b": rng.normal(size=300)})
    validator = AdversarialValidator(random_state=0, n_jobs=1, max_rows=400)
    before = dict(vars(validator))
    fit = validator._fit_frames(train, test, None, fit_seeds(0))
    assert vars(validator) == before
    assert isinstance(fit, _DriftFit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n_rows_used = 1  # type: ignore[misc]
    train_rows, test_rows = fit.budget
    assert fit.n_rows_used == len(train_rows) + len(test_rows) == 400
    assert np.isnan(fit.oof_proba).sum() == 600 - 400  # NaN outside the row budget

    validator.fit(train, test)
    assert validator.auc_ == fit.auc > 0.7  # a 1-std shift of "a"
    np.testing.assert_array_equal(validator.oof_proba_, fit.oof_proba)
    assert [m.booster_.model_to_string() for m in validator.estimators_] == [
        m.booster_.model_to_string() for m in fit.estimators
    ]
    assert validator.feature_report_.index[0] == "a"
    assert validator._crossfit.folds.shape == (400,)
    np.testing.assert_array_equal(validator._budget[0], train_rows)


def test_the_checker_sets_its_attributes_from_its_frozen_fit():
    rng = np.random.default_rng(1)
    a = rng.normal(size=300)
    X = pd.DataFrame({"a": a, "b": a + 0.05 * rng.normal(size=300), "c": rng.normal(size=300)})
    checker = FeatureDependencyChecker(random_state=0, n_jobs=1)
    fit = checker._fit_frame(X, None, fit_seed(0))
    assert isinstance(fit, _DependencyFit) and fit.n_rows_sampled is None
    assert "n_rows_sampled_" not in fit.attributes()
    checker.fit(X)
    for name, value in fit.attributes().items():
        got = getattr(checker, name)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got, value)
        else:
            assert got == value, name
    assert fit.redundant_features == ["a", "b"]  # planted: b is a plus a little noise


def test_the_seed_protocols():
    # the drift fit: four draws from random_state, as RandomState(seed).randint gives them
    expected = np.random.RandomState(7).randint(0, 2**31 - 1, size=4)
    np.testing.assert_array_equal(fit_seeds(7), expected)
    np.testing.assert_array_equal(fit_seeds(np.random.RandomState(7)), expected)
    # the dependency fit: one base seed with room for the per-target offsets
    assert fit_seed(7) == int(np.random.RandomState(7).randint(0, 2**31 - 10**8))
    # the Dask row hash: the int seed itself, else 0 (it does not draw from random_state)
    state = np.random.RandomState(3)
    assert (sample_seed(5), sample_seed(None), sample_seed(state)) == (5, 0, 0)
    assert state.randint(10**6) == np.random.RandomState(3).randint(10**6)


def test_one_row_check_for_every_backend():
    check_sides(3, 3, 3)
    with pytest.raises(ValueError, match=re.escape("X_train has 2 sample(s) but adversarial")):
        check_sides(2, 9, 3)
    with pytest.raises(ValueError, match=re.escape("needs at least 3 rows on each side")):
        AdversarialValidator(n_splits=3).fit(
            pd.DataFrame({"a": [1.0] * 5}), pd.DataFrame({"a": [2.0, 3.0]})
        )


def test_dispatch_needs_no_dask():
    frame = pd.DataFrame({"a": [1.0]})
    assert not is_dask(frame) and not on_dask(None, frame, None)
    assert on_dask(object(), frame)
