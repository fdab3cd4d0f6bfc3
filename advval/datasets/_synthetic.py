"""Synthetic train/test pairs with a known shift: the ground truth for drift checks."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["KINDS", "ShiftDataset", "make_shift"]

#: the kinds of shift :func:`make_shift` can make, in documentation order
KINDS = ("none", "mean", "variance", "correlation", "category", "leak")
_CATEGORIES = ("a", "b", "c", "d", "e")
_MAX_RHO = 0.95
_FUNC = "make_shift"

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class ShiftDataset:
    """A train/test pair with a known shift, as returned by :func:`make_shift`.

    Attributes
    ----------
    X_train : DataFrame of shape (n_train, n_columns)
        The reference side.
    X_test : DataFrame of shape (n_test, n_columns)
        The shifted side (same columns and dtypes as ``X_train``).
    shifted : tuple of str
        Ground truth: the columns whose distribution differs between the sides, in
        column order; empty when nothing differs.
    kind : str
        The kind of shift, one of ``make_shift``'s kinds.
    description : str
        One paragraph saying what was done to which columns.

    Examples
    --------
    >>> from advval.datasets import make_shift
    >>> make_shift("leak", n_train=5, n_test=3, n_features=2, random_state=0)
    ShiftDataset(kind='leak', shifted=('row_id',), X_train=DataFrame(5x3), X_test=DataFrame(3x3))
    """

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    shifted: tuple[str, ...]
    kind: str
    description: str

    def __repr__(self) -> str:
        def shape(frame: pd.DataFrame) -> str:
            return f"DataFrame({frame.shape[0]}x{frame.shape[1]})"

        return (
            f"ShiftDataset(kind={self.kind!r}, shifted={self.shifted!r}, "
            f"X_train={shape(self.X_train)}, X_test={shape(self.X_test)})"
        )


def _param_error(name: str, expected: str, value: Any) -> ValueError:
    return ValueError(
        f"The {name!r} parameter of {_FUNC} must be {expected}. Got {value!r} instead."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(
    name: str, value: Any, *, low: int, high: int | None = None, high_name: str = "inf"
) -> int:
    closing = ")" if high is None else "]"
    if not _is_int(value) or value < low or (high is not None and value > high):
        raise _param_error(name, f"an int in the range [{low}, {high_name}{closing}", value)
    return int(value)


def _check_kind(kind: Any) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        choices = ", ".join(repr(k) for k in KINDS)
        raise _param_error("kind", f"one of {choices}", kind)
    return kind


def _check_n_shifted(value: Any, *, kind: str, n_features: int) -> int:
    n_shifted = _check_int("n_shifted", value, low=0, high=n_features, high_name="n_features")
    if kind == "correlation" and (n_shifted < 2 or n_shifted % 2):
        raise _param_error(
            "n_shifted",
            "an even int in the range [2, n_features] when kind='correlation'",
            value,
        )
    return n_shifted


def _check_delta(value: Any, *, kind: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise _param_error("delta", "a finite real number", value)
    if kind in ("variance", "correlation") and value <= -1:
        raise _param_error("delta", f"a float in the range (-1, inf) when kind={kind!r}", value)
    return float(value)


def _check_random_state(value: Any) -> np.random.Generator:
    if value is None or isinstance(value, np.random.Generator) or (_is_int(value) and value >= 0):
        return np.random.default_rng(value)
    raise _param_error(
        "random_state", "an int in the range [0, inf), a numpy.random.Generator or None", value
    )


def _names(n_features: int) -> list[str]:
    return [f"x{j}" for j in range(n_features)]


def _correlate_pairs(X: FloatArray, *, n_shifted: int, rho: float) -> None:
    """In place: make columns (0, 1), (2, 3), ... correlated with ``rho``, marginals N(0, 1)."""
    first, second = X[:, 0:n_shifted:2], X[:, 1:n_shifted:2]
    X[:, 1:n_shifted:2] = rho * first + math.sqrt(1.0 - rho**2) * second


def _category_probabilities(delta: float) -> FloatArray:
    """Probabilities proportional to ``exp(delta * k)`` for level k = 0..4."""
    logits = delta * np.arange(len(_CATEGORIES), dtype=np.float64)
    weights = np.exp(logits - logits.max())
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _categorical(rng: np.random.Generator, n: int, probabilities: FloatArray) -> pd.Series:
    """``n`` draws of the levels "a".."e" with ``probabilities``, as a category Series."""
    codes = rng.choice(len(_CATEGORIES), size=n, p=probabilities)
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(list(_CATEGORIES))))


def _describe(kind: str, shifted: list[str], *, delta: float, rho: float) -> str:
    if kind == "none" or not shifted:
        return "No shift: every column has the same distribution in X_train and X_test."
    listed = ", ".join(shifted)
    if kind == "mean":
        return (
            f"Mean shift: in X_test, {listed} have mean {delta:+g} (standard deviations); "
            "every other column is standard normal on both sides."
        )
    if kind == "variance":
        return (
            f"Variance shift: in X_test, {listed} have standard deviation {1 + delta:g} "
            "(mean 0); every other column is standard normal on both sides."
        )
    if kind == "correlation":
        pairs = ", ".join(f"({a}, {b})" for a, b in zip(shifted[::2], shifted[1::2], strict=True))
        return (
            f"Correlation shift: every column is standard normal on both sides, but the pairs "
            f"{pairs} are independent in X_train and correlated with rho={rho:g} in X_test; "
            "a per-column test sees nothing."
        )
    if kind == "category":
        return (
            f"Category shift: 'cat' (levels {', '.join(_CATEGORIES)}) is uniform in X_train "
            f"and has probabilities proportional to exp({delta:g} * k) in X_test; the numeric "
            "columns are standard normal on both sides."
        )
    return (
        "Leak: 'row_id' counts rows through X_train then X_test, so it separates the sides "
        "perfectly (an ID or time stamp); the other columns are standard normal on both sides."
    )


def make_shift(
    kind: str = "mean",
    *,
    n_train: int = 1000,
    n_test: int = 1000,
    n_features: int = 10,
    n_shifted: int = 2,
    delta: float = 0.5,
    random_state: int | np.random.Generator | None = None,
) -> ShiftDataset:
    """Make a train/test pair whose shift is known: ground truth for drift checks.

    Every kind starts from independent standard-normal columns ``x0, x1, ...`` on both
    sides and changes ``X_test`` in one known way, so a drift check can be scored on
    whether it finds ``shifted`` and nothing else.

    Parameters
    ----------
    kind : {"none", "mean", "variance", "correlation", "category", "leak"}, default="mean"
        - ``"none"``: the null case, same distribution on both sides.
        - ``"mean"``: the first ``n_shifted`` columns get mean ``+delta`` in ``X_test``
          (``delta`` in standard deviations).
        - ``"variance"``: their standard deviation is multiplied by ``1 + delta`` in
          ``X_test``, the mean unchanged.
        - ``"correlation"``: marginals unchanged, but the pairs ``(x0, x1), (x2, x3), ...``
          among the first ``n_shifted`` columns are correlated with
          ``rho = min(delta, 0.95)`` in ``X_test`` and independent in ``X_train``, so
          per-column tests see nothing; ``n_shifted`` must be even.
        - ``"category"``: adds a categorical column ``cat`` with levels ``"a"``..``"e"``,
          uniform in ``X_train``, probabilities proportional to ``exp(delta * k)`` for
          level ``k`` in ``X_test``.
        - ``"leak"``: adds an int column ``row_id`` that counts rows through ``X_train``
          (``0 .. n_train - 1``) and on through ``X_test``, like an ID or a time stamp.
    n_train : int, default=1000
        Rows in ``X_train``.
    n_test : int, default=1000
        Rows in ``X_test``.
    n_features : int, default=10
        Standard-normal columns ``x0 .. x{n_features - 1}``.
    n_shifted : int, default=2
        How many of them (the first ones) are shifted, for ``"mean"``, ``"variance"`` and
        ``"correlation"``; ignored by the other kinds.
    delta : float, default=0.5
        Size of the shift (see ``kind``); ignored by ``"none"`` and ``"leak"``. Must be
        greater than -1 for ``"variance"`` and ``"correlation"``. With ``delta=0`` nothing
        differs and ``shifted`` is empty.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator for :func:`numpy.random.default_rng`. The same int gives the same
        frames; a Generator is used (and advanced) as given.

    Returns
    -------
    dataset : ShiftDataset
        ``X_train`` and ``X_test`` (DataFrames with a fresh RangeIndex each), the ground
        truth ``shifted`` columns, the ``kind`` and a ``description``.

    Raises
    ------
    ValueError
        If a parameter is out of range, in scikit-learn's wording.

    See Also
    --------
    load_flights : A real table with a natural time shift.

    Examples
    --------
    >>> from advval.datasets import make_shift
    >>> data = make_shift("mean", n_train=2000, n_test=2000, delta=0.5, random_state=0)
    >>> data.shifted
    ('x0', 'x1')
    >>> data.X_train.shape, data.X_test.shape
    ((2000, 10), (2000, 10))
    >>> gap = data.X_test.mean() - data.X_train.mean()
    >>> bool(abs(gap["x0"] - 0.5) < 0.15), bool(abs(gap["x5"]) < 0.15)
    (True, True)
    >>> data = make_shift("category", n_train=10, n_test=10, n_features=2, random_state=0)
    >>> data.shifted, list(data.X_test.columns)
    (('cat',), ['x0', 'x1', 'cat'])
    >>> data.X_test["cat"].cat.categories.tolist()
    ['a', 'b', 'c', 'd', 'e']
    """
    kind = _check_kind(kind)
    n_train = _check_int("n_train", n_train, low=1)
    n_test = _check_int("n_test", n_test, low=1)
    n_features = _check_int("n_features", n_features, low=1)
    n_shifted = _check_n_shifted(n_shifted, kind=kind, n_features=n_features)
    delta = _check_delta(delta, kind=kind)
    rng = _check_random_state(random_state)

    names = _names(n_features)
    X_train = rng.standard_normal((n_train, n_features))
    X_test = rng.standard_normal((n_test, n_features))
    rho = min(delta, _MAX_RHO)
    shifted: list[str] = []
    if kind == "mean":
        X_test[:, :n_shifted] += delta
        shifted = names[:n_shifted]
    elif kind == "variance":
        X_test[:, :n_shifted] *= 1.0 + delta
        shifted = names[:n_shifted]
    elif kind == "correlation":
        _correlate_pairs(X_test, n_shifted=n_shifted, rho=rho)
        shifted = names[:n_shifted]
    train = pd.DataFrame(X_train, columns=names)
    test = pd.DataFrame(X_test, columns=names)
    if kind == "category":
        uniform = np.full(len(_CATEGORIES), 1.0 / len(_CATEGORIES))
        train["cat"] = _categorical(rng, n_train, uniform)
        test["cat"] = _categorical(rng, n_test, _category_probabilities(delta))
        shifted = ["cat"]
    elif kind == "leak":
        train["row_id"] = np.arange(n_train, dtype=np.int64)
        test["row_id"] = np.arange(n_train, n_train + n_test, dtype=np.int64)
        shifted = ["row_id"]
    if delta == 0 and kind != "leak":
        shifted = []
    return ShiftDataset(
        X_train=train,
        X_test=test,
        shifted=tuple(shifted),
        kind=kind,
        description=_describe(kind, shifted, delta=delta, rho=rho),
    )
