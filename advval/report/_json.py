"""JSON rendering: the machine-readable drift document of DESIGN.md section 6.

The document is deterministic: keys are sorted, every float is rounded to 6 significant
digits and NaN / infinity become ``null`` (the one rule of :mod:`advval.results._json`,
shared by every advval document), so one report always gives the same bytes.
"""

from __future__ import annotations

from ..results._dependency import DependencyReport
from ..results._drift import DriftReport
from ..results._json import SIGNIFICANT_DIGITS as SIGNIFICANT_DIGITS  # re-export
from ..results._json import json_ready, json_text

#: the old name of :func:`advval.results.json_ready` (kept: MLflow and tests import it)
round_floats = json_ready


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
    advval.results.json_text : the rule every JSON document follows.

    Examples
    --------
    >>> from advval.report import DependencyReport
    >>> text = render_json(DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0"))
    >>> '"row_order_score": null' in text, '"redundant": [\\n    "a"\\n  ]' in text
    (True, True)
    """
    return json_text(report.to_dict())
