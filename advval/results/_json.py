"""The one rule for numbers in advval's JSON documents, and the document's text.

Every JSON document advval writes (drift, dependency, robustness, image robustness, report
diff; the MLflow artifact) goes through :func:`json_ready` and :func:`json_text`, and every
float in it follows :func:`json_number`:

- a finite float is kept to ``SIGNIFICANT_DIGITS`` (6) significant digits, ``-0.0`` is
  written ``0.0``, and NumPy scalars become Python ones;
- a float that is not finite (NaN, ``inf``, ``-inf``) is a *missing* measurement and is
  written ``null``: JSON has no literal for it, and a reader that expects a number must not
  meet the non-standard ``NaN`` / ``Infinity`` tokens.

A parameter value recorded in a document's ``settings`` is not a measurement: an infinite
setting means "no limit", which ``null`` ("not set") would misstate. Such values are
described first by :func:`json_setting`, which names a non-finite number (``"inf"``,
``"-inf"``, ``"nan"``) and describes objects by their type; the names are strings, so the
document rule leaves them as they are.

A result's ``to_dict`` returns its values unrounded (NaN as ``float("nan")``); the rule
applies once, when the document is written, so the same result always gives the same bytes.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

#: version of every JSON document's layout (drift, deps, robustness, image robustness)
SCHEMA_VERSION = 1
#: significant digits kept for every float in a JSON document
SIGNIFICANT_DIGITS = 6

__all__ = [
    "SCHEMA_VERSION",
    "SIGNIFICANT_DIGITS",
    "json_number",
    "json_ready",
    "json_setting",
    "json_text",
]


def json_number(value: Any, digits: int | None = SIGNIFICANT_DIGITS) -> float | None:
    """One float as a JSON document holds it: rounded, or ``None`` when not finite.

    Parameters
    ----------
    value : real number
        A Python or NumPy float or integer (not a bool).
    digits : int or None, default=6
        Significant digits to keep; ``None`` keeps the value unrounded.

    Returns
    -------
    float or None
        ``None`` for NaN, ``inf`` and ``-inf``; otherwise the value rounded to ``digits``
        significant digits (the nearest float to the decimal ``f"{value:.{digits}g}"``),
        with ``-0.0`` written as ``0.0``.

    Examples
    --------
    >>> json_number(0.123456789), json_number(float("nan")), json_number(-float("inf"))
    (0.123457, None, None)
    >>> json_number(-0.0), json_number(np.float32(0.1)), json_number(1234567.0, digits=None)
    (0.0, 0.1, 1234567.0)
    """
    x = float(value)
    if not math.isfinite(x):
        return None
    rounded = x if digits is None else float(f"{x:.{digits}g}")
    return 0.0 if rounded == 0.0 else rounded  # no "-0.0"


def json_ready(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """A JSON-ready copy of a document, every float following :func:`json_number`.

    Floats (NumPy floats included) are rounded to ``digits`` significant digits; NaN and
    infinities become ``None``; NumPy integers and booleans become Python ones; tuples
    become lists; mapping keys become strings; paths become strings; any other object
    becomes its ``str``. The value passed is not changed.

    Parameters
    ----------
    value : object
        A number, string, ``None``, mapping or sequence of these (nested).
    digits : int, default=6
        Significant digits to keep.

    Returns
    -------
    object
        Plain ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` / ``None``.

    Examples
    --------
    >>> json_ready({"auc": 0.123456789, "ci": (0.1, float("nan")), "n": np.int64(3)})
    {'auc': 0.123457, 'ci': [0.1, None], 'n': 3}
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return json_number(value, digits)
    if isinstance(value, Mapping):
        return {str(k): json_ready(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v, digits) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def json_text(document: Mapping[str, Any]) -> str:
    """The text of a JSON document: :func:`json_ready`, keys sorted, indented by 2 spaces.

    The same document always gives the same string; it never holds ``NaN`` or
    ``Infinity`` (a non-finite float that escaped :func:`json_ready` would raise).

    Parameters
    ----------
    document : mapping
        A result's ``to_dict()``.

    Returns
    -------
    str
        Without a final newline.

    Examples
    --------
    >>> print(json_text({"b": float("inf"), "a": [1, 0.30000000000000004]}))
    {
      "a": [
        1,
        0.3
      ],
      "b": null
    }
    """
    return json.dumps(json_ready(document), sort_keys=True, indent=2, allow_nan=False)


def json_setting(value: Any) -> Any:
    """A parameter value as a document's ``settings`` records it: JSON-ready, deterministic.

    Numbers stay unrounded (the document rounds them when written), except that a
    non-finite number is named (``"inf"``, ``"-inf"``, ``"nan"``): as a setting, ``inf``
    means "no limit", which ``null`` would misstate. Mappings and sequences are described
    item by item (keys as strings); a random generator by its type name; any other object
    by its ``repr``, or its type name when the repr holds a memory address (which would
    differ from run to run).

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        Plain ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` / ``None``.

    Examples
    --------
    >>> json_setting({"eps": np.float64(0.5), "norm": np.inf, "steps": (1, 2), "space": None})
    {'eps': 0.5, 'norm': 'inf', 'steps': [1, 2], 'space': None}
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, dict):
        return {str(k): json_setting(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_setting(v) for v in value]
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return type(value).__name__
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text
