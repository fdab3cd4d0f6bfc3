"""The implicit space of an array or tensor (an attack called without ``feature_space``).

``FeatureSpace.from_frame`` of a 2-D array or tensor of numbers, and the domain an attack
binds when given none, are built from the matrix with NumPy, without a DataFrame. The
definition they must meet bit for bit is the DataFrame path: ``from_frame`` of the frame
of the array (columns named ``"0"``, ``"1"``, ...), bound to the array.
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import FGSM, PGD, FeatureSpace  # noqa: E402
from advval.attacks._space import _pair, check_attack_bounds, domain_for  # noqa: E402

ARRAY_FIELDS = ("lower", "upper", "scale", "mutable", "integer", "monotone")


def _random_array(rng: np.random.Generator, trial: int) -> Any:
    """Whole-number, constant, 0/1, huge, missing and all-missing columns in many dtypes."""
    rows = [1, 2, 3, 5, 17, 60][trial % 6]
    cols = int(rng.integers(1, 9))
    X = rng.normal(size=(rows, cols)) * rng.choice([1e-3, 1.0, 1e3])
    for j in range(cols):
        kind = rng.integers(6)
        if kind == 0:
            X[:, j] = rng.integers(-5, 40, rows)
        elif kind == 1:
            X[:, j] = 7.0
        elif kind == 2:
            X[:, j] = rng.integers(0, 2, rows)
        elif kind == 3:
            X[:, j] = 2.0**60 * rng.integers(1, 4, rows)
        if rng.random() < 0.3:
            X[rng.random(rows) < 0.4, j] = np.nan
        if rng.random() < 0.05:
            X[:, j] = np.nan
    form = trial % 8
    if form == 0:
        return X.astype(np.float32)
    if form == 1:
        return np.clip(np.nan_to_num(X), -6e4, 6e4).astype(np.float16)
    if form == 2:
        return np.clip(np.round(np.nan_to_num(X)), -1e6, 1e6).astype(np.int64)
    if form == 3:
        return np.clip(np.round(np.nan_to_num(X)), 0, 1e6).astype(np.uint16)
    if form == 4:
        return torch.tensor(X, dtype=torch.float32)
    if form == 5:
        return np.asfortranarray(X)
    if form == 6:
        return np.repeat(X, 2, axis=1)[:, ::2]  # not contiguous
    return X


def _frame(X: Any) -> pd.DataFrame:
    values = X.numpy() if torch.is_tensor(X) else X
    return pd.DataFrame(values, columns=[str(j) for j in range(values.shape[1])])


def _outcome(build: Any) -> tuple[Any, Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = build(), None
        except (TypeError, ValueError) as exc:
            result, error = None, (type(exc), str(exc))
    return result, error, [str(w.message) for w in caught]


def _same_domain(a: Any, b: Any) -> bool:
    plain = ("feature_names", "categories", "categorical_distance", "raw")
    return (
        all(getattr(a, k) == getattr(b, k) for k in plain)
        and all(
            getattr(a, k).dtype == getattr(b, k).dtype
            and getattr(a, k).tobytes() == getattr(b, k).tobytes()
            for k in ARRAY_FIELDS
        )
        and len(a.groups) == len(b.groups)
        and all(np.array_equal(g, h) for g, h in zip(a.groups, b.groups, strict=True))
    )


def test_from_frame_of_an_array_is_the_space_of_its_frame():
    rng = np.random.default_rng(0)
    compared = 0
    for trial in range(96):
        X = _random_array(rng, trial)
        kept = X.clone() if torch.is_tensor(X) else X.copy()
        cols = X.shape[1]
        options: list[dict[str, Any]] = [
            {}, {"scale": "iqr"}, {"bounds": None}, {"bounds": (0, 1)}, {"integer": []},
            {"immutable": [0], "monotone": {str(cols - 1): "increase"}},
            {"one_hot": [[0, 1]] if cols > 1 else [[0]]},
            {"categorical": {0: [1.0, 2.0]}}, {"bounds": "range"}, {"scale": "mad"},
            {"one_hot": [["nope"]]},
        ]
        for option in options:
            got = _outcome(lambda: FeatureSpace.from_frame(X, **option))  # noqa: B023
            want = _outcome(lambda: FeatureSpace.from_frame(_frame(X), **option))  # noqa: B023
            assert got[1:] == want[1:], (trial, option)
            if want[0] is not None:
                assert pickle.dumps(vars(got[0])) == pickle.dumps(vars(want[0])), (trial, option)
                compared += 1
        np.testing.assert_array_equal(np.asarray(X), np.asarray(kept))  # X left as given
    assert compared > 700


def test_an_attack_without_a_space_binds_the_frame_space():
    rng = np.random.default_rng(1)
    for trial in range(64):
        X = _random_array(rng, trial)
        for bounds in (None, (0.0, 1.0), (None, 5), [-1, 2], (2, 1)):
            for raw in (False, True):
                got = _outcome(
                    lambda: domain_for(X, feature_space=None, bounds=bounds, raw=raw)  # noqa: B023
                )

                def frame_path() -> Any:
                    check_attack_bounds(bounds, owner="the attack", ndim=2)  # noqa: B023
                    space = FeatureSpace.from_frame(
                        _frame(X), bounds="data" if bounds is None else bounds  # noqa: B023
                    )
                    if bounds is not None:  # noqa: B023
                        space.bounds = _pair(bounds, "bounds")  # noqa: B023
                    return space.bind(X, raw=raw)  # noqa: B023

                want = _outcome(frame_path)
                assert got[1:] == want[1:], (trial, bounds, raw)
                assert want[0] is None or _same_domain(got[0], want[0]), (trial, bounds, raw)


def test_the_implicit_domain_reads_the_planted_columns():
    X = np.array([
        [1.0, 0.5, 7.0, np.nan, 0.0],
        [4.0, 1.5, 7.0, np.nan, 1.0],
        [2.0, np.nan, 7.0, np.nan, 1.0],
        [np.nan, -2.0, 7.0, np.nan, 0.0],
    ])
    domain = domain_for(X, feature_space=None, bounds=None, raw=True)
    assert domain.feature_names == ["0", "1", "2", "3", "4"]
    # whole numbers with 3 distinct values are integer; 0/1 (2 distinct) and constants not
    assert domain.integer.tolist() == [True, False, False, False, False]
    np.testing.assert_array_equal(domain.lower, [1.0, -2.0, 7.0, -np.inf, 0.0])
    np.testing.assert_array_equal(domain.upper, [4.0, 1.5, 7.0, np.inf, 1.0])
    spread = [np.std([1, 4, 2], ddof=1), np.std([0.5, 1.5, -2], ddof=1), 1.0, 1.0,
              np.std([0, 1, 1, 0], ddof=1)]
    np.testing.assert_allclose(domain.scale, spread, rtol=1e-15)
    assert domain.mutable.all() and not domain.monotone.any() and not domain.categories
    counts = domain_for(X[:, :1].copy().astype(np.float32), feature_space=None,
                        bounds=(0, 10), raw=False)
    np.testing.assert_array_equal(np.c_[counts.lower, counts.upper], [[0.0, 10.0]])
    with pytest.raises(ValueError, match=r"infinite values in column\(s\) \['1'\]"):
        domain_for(np.array([[1.0, np.inf]]), feature_space=None, bounds=None, raw=False)


@pytest.mark.parametrize("as_tensor", [True, False])
def test_attacks_without_a_space_match_the_frame_space_bit_for_bit(as_tensor):
    rng = np.random.default_rng(2)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    for p in net.parameters():
        p.requires_grad_(False)
    X = rng.normal(size=(50, 6))
    X[:, 1] = rng.integers(0, 9, 50)  # integer by default: the attack keeps it whole
    X[:, 4] = 3.0
    X = X.astype(np.float32)
    data = torch.tensor(X) if as_tensor else X
    space = FeatureSpace.from_frame(_frame(X))
    for make in (lambda s: FGSM(net, eps=0.8, feature_space=s),
                 lambda s: PGD(net, eps=0.8, steps=8, feature_space=s, random_state=3)):
        implicit, given = make(None), make(space)
        adv, adv_given = implicit.generate(data, None), given.generate(data, None)
        assert np.asarray(adv).tobytes() == np.asarray(adv_given).tobytes()
        assert implicit.success_.tolist() == given.success_.tolist()
        assert implicit.norms_.tobytes() == given.norms_.tobytes()
        moved = np.asarray(adv)[:, 1] != X[:, 1]
        assert moved.any() and (np.asarray(adv)[:, 1] == np.round(np.asarray(adv)[:, 1])).all()


def test_the_column_spread_is_nanstd_bit_for_bit():
    from advval.attacks._space import _column_std

    rng = np.random.default_rng(3)
    for trial in range(300):
        rows = [2, 3, 8, 9, 17, 129, 1024, 4099][trial % 8]
        cols = int(rng.integers(1, 10))
        values = rng.normal(size=(rows, cols)) * 10.0 ** rng.integers(-4, 8, cols)
        if trial % 3 == 0:
            values = values.astype(np.float32).astype(np.float64)
        if trial % 2:
            values[rng.random((rows, cols)) < 0.2 * rng.random()] = np.nan
            values[:2, 0] = [1.0, 2.0]  # at least two values
        values = np.asfortranarray(values)[:, (~np.isnan(values)).sum(0) >= 2]
        want = np.nanstd(values, axis=0, ddof=1)
        assert _column_std(values).tobytes() == want.tobytes(), trial
