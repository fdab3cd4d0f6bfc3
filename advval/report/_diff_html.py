"""HTML rendering of a report diff (``advval diff --format html``).

The same page as every advval report (the template extends the shared layout: one
self-contained file, a Content-Security-Policy that forbids any fetch, inline CSS, no
script), every string escaped by Jinja2. The size is bounded: at most
``HTML_MAX_CHANGES`` changes and ``HTML_MAX_METRICS`` figures, names clipped.
"""

from __future__ import annotations

from typing import Any

from .._version import __version__
from ..compare import ReportDiff
from ._diff import KIND_NAMES, RULES, change_rows, metric_rows
from ._html import clip, content_security_policy, render_page

#: changed items listed on the page
HTML_MAX_CHANGES = 500
#: figures listed on the page
HTML_MAX_METRICS = 200


def render_diff_html(diff: ReportDiff) -> str:
    """Render a report diff as one self-contained HTML page.

    Parameters
    ----------
    diff : ReportDiff

    Returns
    -------
    str
        A complete HTML document: the outcome (worse or not, and why), both verdicts,
        the figures with their intervals, what changed (worse first) and the notes. No
        script, no network URL; a Content-Security-Policy forbids any fetch.

    Examples
    --------
    >>> from advval.compare import diff_reports
    >>> old = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    >>> "Not worse" in render_diff_html(diff_reports(old, old))
    True
    """
    return render_page("diff.html.j2", diff_context(diff))


def diff_context(
    diff: ReportDiff, *, max_changes: int = HTML_MAX_CHANGES, max_metrics: int = HTML_MAX_METRICS
) -> dict[str, Any]:
    """The diff template's context: the page's, or a notebook fragment's with tighter bounds.

    Parameters
    ----------
    diff : ReportDiff
    max_changes, max_metrics : int
        Changed items and figures listed (the rest counted in a sentence).

    Returns
    -------
    dict
    """
    changes = change_rows(diff)
    metrics = metric_rows(diff)
    for row in (*changes, *metrics):
        row["name"] = clip(row["name"])
    return {
        "layout": "_base.html.j2",
        "csp": content_security_policy(),
        "version": __version__,
        "kind": KIND_NAMES.get(diff.kind, diff.kind),
        "old_name": clip(diff.old_name or "old"),
        "new_name": clip(diff.new_name or "new"),
        "worse": diff.worse,
        "reasons": [clip(r) for r in diff.reasons[:max_changes]],
        "old_verdict": diff.old_verdict,
        "new_verdict": diff.new_verdict,
        "rule": RULES.get(diff.kind, ""),
        "metrics": metrics[:max_metrics],
        "changes": changes[:max_changes],
        "more_changes": max(len(changes) - max_changes, 0),
        "notes": list(diff.notes),
    }
