"""How the pages show a column's importance: rounding noise of a sum that is 0 reads as 0.

The domain classifier's importance of a column it never split on is a sum of mean |SHAP|
(or gain) terms that cancel to 0 but for float rounding, which would print as
``3.36e-17 ± 1.27e-17``. An importance (or its spread) below :data:`NEGLIGIBLE_SHARE` of
the largest importance of the report is shown as 0 in the terminal / CI lines, Markdown
and HTML. The JSON keeps the numbers as computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["NEGLIGIBLE_SHARE", "importance_floor", "shown_importance"]

NEGLIGIBLE_SHARE = 1e-9
"""An importance below this share of the report's largest one is shown as 0."""


def importance_floor(features: Iterable[Any]) -> float:
    """The magnitude below which an importance (or its spread) is shown as 0.

    :data:`NEGLIGIBLE_SHARE` times the largest finite importance among ``features``
    (objects with an ``importance``); 0 when none is finite and positive.

    Examples
    --------
    >>> from types import SimpleNamespace as F
    >>> importance_floor([F(importance=0.5), F(importance=3e-17), F(importance=float("nan"))])
    5e-10
    >>> importance_floor([])
    0.0
    """
    largest = 0.0
    for feature in features:
        value = _number(feature.importance)
        if value is not None:
            largest = max(largest, abs(value))
    return NEGLIGIBLE_SHARE * largest


def shown_importance(value: Any, floor: float) -> Any:
    """``value``, or 0.0 when it is a finite number whose magnitude is below ``floor``.

    Examples
    --------
    >>> shown_importance(3.36e-17, 5e-10), shown_importance(0.25, 5e-10)
    (0.0, 0.25)
    >>> shown_importance(float("nan"), 5e-10)
    nan
    """
    number = _number(value)
    if number is not None and abs(number) < floor:
        return 0.0
    return value


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
