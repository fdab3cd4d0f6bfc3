"""JSON rendering: the machine-readable drift document of DESIGN.md section 6.

The document is deterministic: keys are sorted, every float is rounded to 6 significant
digits and NaN / infinity become ``null``, so one report always gives the same bytes.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._dependency import DependencyReport
from ._result import DriftReport

#: significant digits kept for every float in the JSON document
SIGNIFICANT_DIGITS = 6


def round_floats(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """Return a JSON-ready copy of ``value`` with every float rounded to ``digits`` digits.

    Floats (NumPy floats included) are rounded to ``digits`` significant digits; NaN and
    infinities become ``None``; NumPy integers and booleans become Python ones; tuples
    become lists; mapping keys become strings; paths become strings; any other object
    becomes its ``str``.

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
    >>> round_floats({"auc": 0.123456789, "ci": (0.1, float("nan")), "n": 3})
    {'auc': 0.123457, 'ci': [0.1, None], 'n': 3}
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            return None
        rounded = float(f"{x:.{digits}g}")
        return 0.0 if rounded == 0.0 else rounded  # no "-0.0"
    if isinstance(value, Mapping):
        return {str(k): round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def render_json(report: DriftReport | DependencyReport) -> str:
    """Render a drift (or dependency) report as a deterministic JSON document.

    Parameters
    ----------
    report : DriftReport or DependencyReport
        The result to render.

    Returns
    -------
    str
        ``report.to_dict()`` with floats rounded to 6 significant digits (NaN and infinity
        as ``null``), keys sorted, indented by 2 spaces. The same report always gives the
        same string.

    See Also
    --------
    render_markdown, render_html, write_report
    """
    return json.dumps(round_floats(report.to_dict()), sort_keys=True, indent=2, allow_nan=False)
