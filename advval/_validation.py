"""Parameter checks with one error shape for the whole package.

"The 'eps' parameter of PGD must be a float in the range (0, inf). Got -0.1 instead."
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np


class ParameterError(ValueError, TypeError):
    """A parameter of the wrong type or value (scikit-learn's ``InvalidParameterError``
    shape): caught by ``except ValueError`` and by ``except TypeError`` alike, so a check
    that moved here raises what it raised before."""


def check_number(
    value: object,
    *,
    name: str,
    owner: str,
    kind: type = float,
    low: float = -np.inf,
    high: float = np.inf,
    closed: str = "both",
    allow_none: bool = False,
) -> None:
    """Raise ``ValueError`` unless ``value`` is a number of ``kind`` in the interval.

    NaN is never in an interval, and an infinite end is always open (the message writes
    it ``inf)``): ``value`` must be a finite number.

    Parameters
    ----------
    value : object
        What the user passed.
    name, owner : str
        Parameter and class / function names for the message.
    kind : {int, float}
        ``int`` accepts integers only; ``float`` accepts any real number.
    low, high : float
        Interval ends.
    closed : {"both", "left", "right", "neither"}
        Which ends belong to the interval.
    allow_none : bool
        Whether ``None`` is accepted.

    Examples
    --------
    >>> check_number(0.5, name="alpha", owner="AdversarialValidator", low=0, high=1,
    ...              closed="neither")
    >>> check_number(2.0, name="alpha", owner="AdversarialValidator", low=0, high=1,
    ...              closed="neither")
    Traceback (most recent call last):
    ...
    ValueError: The 'alpha' parameter of AdversarialValidator must be a float in the ...
    >>> check_number(float("inf"), name="eps", owner="PGD", low=0)
    Traceback (most recent call last):
    ...
    ValueError: The 'eps' parameter of PGD must be a float in the range [0, inf). Got inf instead.
    """
    if value is None and allow_none:
        return
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok_type = integral if kind is int else real
    left_ok = right_ok = False
    number = _finite_float(value) if ok_type else None
    if number is not None:
        left_ok = number >= low if closed in ("both", "left") else number > low
        right_ok = number <= high if closed in ("both", "right") else number < high
    if ok_type and left_ok and right_ok:
        return
    left = "[" if closed in ("both", "left") and np.isfinite(low) else "("
    right = "]" if closed in ("both", "right") and np.isfinite(high) else ")"
    interval = f"{left}{_fmt(low)}, {_fmt(high)}{right}"
    type_name = "an int" if kind is int else "a float"
    none_text = " or None" if allow_none else ""
    raise ValueError(
        f"The {name!r} parameter of {owner} must be {type_name} in the range {interval}"
        f"{none_text}. Got {value!r} instead."
    )


def _finite_float(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` (NaN, infinite, or too large for a float)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if np.isfinite(number) else None


def check_option(value: object, *, name: str, owner: str, options: Iterable[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``options``.

    Examples
    --------
    >>> check_option("holm", name="correction", owner="X", options=("holm", "fdr_bh"))
    """
    choices = tuple(options)
    if value in choices:
        return
    listed = ", ".join(repr(c) for c in choices)
    raise ValueError(
        f"The {name!r} parameter of {owner} must be one of {listed}. Got {value!r} instead."
    )


def _fmt(bound: float) -> str:
    if np.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def check_bounds(value: object, *, owner: str, name: str = "bounds") -> tuple[float, float]:
    """Return ``value`` as ``(lower, upper)`` floats, or raise the package's ``ValueError``.

    Parameters
    ----------
    value : object
        What the user passed: a pair of finite real numbers with ``lower < upper``.
    owner, name : str
        Class / function and parameter names for the message.

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> check_bounds((0, 255), owner="PGD")
    (0.0, 255.0)
    >>> check_bounds((1, 0), owner="PGD")
    Traceback (most recent call last):
    ...
    ValueError: The 'bounds' parameter of PGD must be a pair (lower, upper) of finite floats with lower < upper. Got (1, 0) instead.
    """  # noqa: E501
    message = (
        f"The {name!r} parameter of {owner} must be a pair (lower, upper) of finite floats "
        f"with lower < upper. Got {value!r} instead."
    )
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(message)
    try:
        pair = [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if len(pair) != 2 or not (np.isfinite(pair).all() and pair[0] < pair[1]):
        raise ValueError(message)
    return pair[0], pair[1]


def check_n_jobs(value: object, *, owner: str) -> None:
    """Raise ``ValueError`` unless ``value`` is None, -1 (every core) or a positive int.

    Counts above the machine's cores are accepted and run on every core
    (:func:`advval._models.lightgbm_threads`).

    Examples
    --------
    >>> check_n_jobs(-1, owner="AdversarialValidator")
    >>> check_n_jobs(0, owner="AdversarialValidator")
    Traceback (most recent call last):
    ...
    ValueError: The 'n_jobs' parameter of AdversarialValidator must be None, -1 (every core) or a positive int. Got 0 instead.
    """  # noqa: E501
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if value is None or (integral and (value == -1 or value >= 1)):  # type: ignore[operator]
        return
    raise ValueError(
        f"The 'n_jobs' parameter of {owner} must be None, -1 (every core) or a positive int. "
        f"Got {value!r} instead."
    )


def check_seed(value: object, *, owner: str) -> None:
    """Raise ``ValueError`` unless ``value`` can seed numpy: None, an int in [0, 2**32 - 1]
    or a ``numpy.random.RandomState``.

    Examples
    --------
    >>> check_seed(-1, owner="AdversarialValidator")
    Traceback (most recent call last):
    ...
    ValueError: The 'random_state' parameter of AdversarialValidator must be None, an int in the range [0, 4294967295] or a numpy.random.RandomState. Got -1 instead.
    """  # noqa: E501
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if value is None or isinstance(value, np.random.RandomState):
        return
    if integral and 0 <= int(value) <= 2**32 - 1:  # type: ignore[call-overload]
        return
    raise ValueError(
        f"The 'random_state' parameter of {owner} must be None, an int in the range "
        f"[0, {2**32 - 1}] or a numpy.random.RandomState. Got {value!r} instead."
    )


def check_bool(value: object, *, name: str, owner: str) -> None:
    """Raise :class:`ParameterError` unless ``value`` is a bool (``numpy.bool_`` included).

    The package's one wording for a flag (0, 1 and strings are not flags).

    Examples
    --------
    >>> check_bool(True, name="prefit", owner="TestLikeSplit")
    >>> check_bool("yes", name="prefit", owner="TestLikeSplit")
    Traceback (most recent call last):
    ...
    advval._validation.ParameterError: The 'prefit' parameter of TestLikeSplit must be a bool. Got 'yes' instead.
    """  # noqa: E501
    if isinstance(value, (bool, np.bool_)):
        return
    raise ParameterError(
        f"The {name!r} parameter of {owner} must be a bool. Got {value!r} instead."
    )


def check_min_rows(
    n_rows: int, *, name: str, minimum: int, needed_by: str, each_side: bool = False
) -> None:
    """Raise ``ValueError`` when ``name`` has fewer than ``minimum`` rows.

    The package's one wording for too few rows. It says "sample(s)" as scikit-learn's
    common checks expect of an estimator given one row.

    Parameters
    ----------
    n_rows : int
        Rows the data has.
    name : str
        What the caller calls the data (``"X_test"``).
    minimum : int
        Rows needed.
    needed_by : str
        Who needs them and why (``"adversarial validation with n_splits=5"``).
    each_side : bool, default=False
        The minimum applies to each of two frames (train and test).

    Examples
    --------
    >>> check_min_rows(3, name="X_test", minimum=5, needed_by="adversarial validation with "
    ...                "n_splits=5", each_side=True)
    Traceback (most recent call last):
    ...
    ValueError: X_test has 3 sample(s) but adversarial validation with n_splits=5 needs at least 5 rows on each side.
    """  # noqa: E501
    if n_rows >= minimum:
        return
    side = " on each side" if each_side else ""
    raise ValueError(
        f"{name} has {n_rows} sample(s) but {needed_by} needs at least {minimum} rows{side}."
    )
