"""Rendering a diff of two reports (``advval diff``): Markdown for a pull request, JSON.

Both read a :class:`~advval.compare.ReportDiff` and compute nothing. The Markdown is short
(a heading with the outcome, one table of figures with their intervals, one table of what
changed, worst first, capped); the JSON is deterministic like every advval document (keys
sorted, floats rounded to 6 significant digits): the same two reports give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compare import ItemChange, MetricChange, ReportDiff
from ..results._json import json_text
from ._markdown import display_name, format_fixed, md_escape

#: changed items listed in the Markdown table (the rest are counted)
MARKDOWN_MAX_CHANGES = 25
#: reasons a headline names before ``and N more``
HEADLINE_MAX_REASONS = 5
#: the figures' table rows at most (per-attack rows after the headline ones)
MARKDOWN_MAX_METRICS = 12
#: how the reports' kinds are named
KIND_NAMES = {
    "drift": "drift",
    "deps": "dependencies",
    "robustness": "robustness",
    "image_robustness": "image robustness",
}
#: the rule each kind is judged by, in one sentence
RULES = {
    "drift": "Worse: drift newly flagged, a column that started drifting or became "
    "leak-like, or an AUC that rose by more than the two 95% intervals allow "
    "(half-widths combined in quadrature).",
    "deps": "Worse: a column newly leaking the target, or whose relationship to the others "
    "started shifting (both significance-tested flags); score changes beyond their "
    "intervals are listed only.",
    "robustness": "Worse: clean or robust accuracy fell by more than the two 95% Wilson "
    "intervals allow (half-widths combined in quadrature); per-attack changes are listed "
    "only.",
}
RULES["image_robustness"] = RULES["robustness"]
#: the order of the changes' rows
_EFFECT_ORDER = {"worse": 0, "better": 1, "changed": 2, "same": 3}
EFFECT_WORDS = {
    "worse": "worse",
    "better": "better",
    "changed": "changed",
    "same": "within noise",
}


def interval_text(value: float | None, ci: tuple[float, float] | None) -> str:
    """``0.620 [0.600, 0.640]``; a dash when absent.

    Examples
    --------
    >>> interval_text(0.62, (0.6, 0.64)), interval_text(0.5, None), interval_text(None, None)
    ('0.620 [0.600, 0.640]', '0.500', '—')
    """
    if value is None:
        return "—"
    if ci is None:
        return format_fixed(value)
    return f"{format_fixed(value)} [{format_fixed(ci[0])}, {format_fixed(ci[1])}]"


def headline(diff: ReportDiff) -> str:
    """``worse`` / ``not worse``, with the reasons: the first line of every format.

    At most :data:`HEADLINE_MAX_REASONS` reasons, then how many more (the table lists
    them): 24 columns that started shifting on a wide table made one line of 900
    characters.
    """
    if diff.worse:
        return "worse: " + reasons_text(diff.reasons)
    return "not worse"


def reasons_text(reasons: Sequence[str], limit: int = HEADLINE_MAX_REASONS) -> str:
    """The first ``limit`` reasons joined by ``; ``, then ``and N more``.

    Examples
    --------
    >>> reasons_text(["AUC rose"]), reasons_text(["a started shifting"] * 3, limit=2)
    ('AUC rose', 'a started shifting; a started shifting; and 1 more')
    """
    shown = "; ".join(display_name(r) for r in reasons[:limit])
    return shown + (f"; and {len(reasons) - limit} more" if len(reasons) > limit else "")


def summary_line(diff: ReportDiff) -> str:
    """The terminal's line: ``diff (drift): no drift -> drift; worse: AUC rose``."""
    return (
        f"diff ({KIND_NAMES.get(diff.kind, diff.kind)}): {diff.old_verdict} -> "
        f"{diff.new_verdict}; {headline(diff)}"
    )


def metric_rows(diff: ReportDiff) -> list[dict[str, Any]]:
    """The figures as strings for the tables."""
    return [_metric_row(m) for m in diff.metrics]


def _metric_row(m: MetricChange) -> dict[str, Any]:
    return {
        "name": m.name,
        "old": interval_text(m.old, m.old_ci),
        "new": interval_text(m.new, m.new_ci),
        "effect": EFFECT_WORDS[m.effect],
        "worse": m.effect == "worse",
    }


def change_rows(diff: ReportDiff) -> list[dict[str, Any]]:
    """The changes as strings for the tables, worse first (stable within an effect)."""
    ordered = sorted(diff.changes, key=lambda c: _EFFECT_ORDER[c.effect])
    return [_change_row(c) for c in ordered]


def _change_row(c: ItemChange) -> dict[str, Any]:
    return {
        "what": c.what,
        "name": display_name(c.name),
        "change": c.change,
        "effect": EFFECT_WORDS[c.effect],
        "worse": c.effect == "worse",
        "old": "" if c.old is None else format_fixed(c.old),
        "new": "" if c.new is None else format_fixed(c.new),
    }


def render_diff_markdown(diff: ReportDiff) -> str:
    """Render a report diff as Markdown, short enough for a pull-request comment.

    Parameters
    ----------
    diff : ReportDiff

    Returns
    -------
    str
        A heading with the outcome, the verdicts, a table of the figures with their
        intervals, a table of what changed (worse first, at most
        ``MARKDOWN_MAX_CHANGES`` rows), the notes and the rule. Names are escaped.

    Examples
    --------
    >>> from advval.compare import diff_reports
    >>> old = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    >>> print(render_diff_markdown(diff_reports(old, old)).splitlines()[0])
    ## advval diff (drift): not worse
    """
    kind = KIND_NAMES.get(diff.kind, diff.kind)
    lines = [f"## advval diff ({kind}): {'**worse**' if diff.worse else 'not worse'}", ""]
    if diff.old_name or diff.new_name:
        lines.append(
            f"{md_escape(diff.old_name or 'old')} → {md_escape(diff.new_name or 'new')}"
        )
        lines.append("")
    lines.append(f"Verdict: {md_escape(diff.old_verdict)} → {md_escape(diff.new_verdict)}.")
    if diff.worse:
        lines.append(f"Worse: {md_escape(reasons_text(diff.reasons))}.")
    lines.append("")
    rows = metric_rows(diff)
    if rows:
        lines += ["| figure | old | new | change |", "| --- | ---: | ---: | --- |"]
        for row in rows[:MARKDOWN_MAX_METRICS]:
            effect = f"**{row['effect']}**" if row["worse"] else row["effect"]
            lines.append(
                f"| {md_escape(row['name'])} | {row['old']} | {row['new']} | {effect} |"
            )
        if len(rows) > MARKDOWN_MAX_METRICS:
            lines.append(f"| and {len(rows) - MARKDOWN_MAX_METRICS} more | | | |")
        lines.append("")
    changes = change_rows(diff)
    if changes:
        lines += ["| what | name | change | old | new |", "| --- | --- | --- | ---: | ---: |"]
        for row in changes[:MARKDOWN_MAX_CHANGES]:
            change = f"**{md_escape(row['change'])}**" if row["worse"] else md_escape(
                row["change"]
            )
            lines.append(
                f"| {row['what']} | {md_escape(row['name'])} | {change} | {row['old']} "
                f"| {row['new']} |"
            )
        if len(changes) > MARKDOWN_MAX_CHANGES:
            lines.append(f"| | and {len(changes) - MARKDOWN_MAX_CHANGES} more | | | |")
        lines.append("")
    else:
        lines += ["No column, feature, attack or flag changed state.", ""]
    if diff.notes:
        lines.append("Compare with care: " + md_escape("; ".join(diff.notes)) + ".")
        lines.append("")
    lines += [RULES.get(diff.kind, ""), ""]
    return "\n".join(lines)


def render_diff_json(diff: ReportDiff) -> str:
    """Render a report diff as a deterministic JSON document.

    Returns
    -------
    str
        ``diff.to_dict()`` with floats rounded to 6 significant digits (NaN and infinity
        as ``null``), keys sorted, indented by 2 spaces.

    Examples
    --------
    >>> import json
    >>> from advval.compare import diff_reports
    >>> old = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    >>> json.loads(render_diff_json(diff_reports(old, old)))["worse"]
    False
    """
    return json_text(diff.to_dict())
