"""Words for the drift report's baseline section: what was accepted, what is new, what grew.

The section reads a :class:`~advval.compare.BaselineCheck` (``DriftReport.baseline``);
the terminal prints :func:`baseline_line`, the Markdown report :func:`baseline_markdown`
and the HTML page the rows of :func:`baseline_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compare import BaselineCheck, BaselineItem
from ..results import DriftSegment
from ._markdown import display_name, format_fixed, md_escape
from ._segments_text import format_lift, lift_text, one_side_text

#: items listed in the Markdown table (the rest are counted)
MARKDOWN_MAX_ITEMS = 30
#: names listed in the terminal's line per status
LINE_MAX_NAMES = 5

#: how each status reads in the reports
STATUS_WORDS = {
    "new": "new",
    "grown": "grown",
    "accepted": "accepted",
    "resolved": "no longer flagged",
}
#: the order of the rows: what fails the gate first
_ORDER = ("new", "grown", "accepted", "resolved")

RULE_TEXT = (
    "A column is new when the baseline does not accept it, grown when its distance (KS D "
    "or total-variation distance) exceeds the accepted one plus its tolerance and the "
    "sampling margin of a distance at these sizes (limit); the AUC "
    "grew when its lower confidence bound exceeds the accepted AUC plus the tolerance; a "
    "segment matching an accepted one (same side, same rule or columns) grew when its lift "
    "interval moved beyond the accepted lift by the tolerance; one matching none is new "
    "unless it reads accepted columns only. Only new or grown drift that counts toward the "
    "verdict fails the gate. A limit marked max is the largest value its measure can take "
    "(the accepted value plus the tolerance reaches past it): that item cannot grow."
)


def _value(item: BaselineItem, value: float | None) -> str:
    if value is None:
        return ""
    return format_lift(value) if item.what == "segment" else format_fixed(value)


def limit_text(item: BaselineItem) -> str:
    """The limit, marked ``(max)`` when it is the largest value its measure can take.

    Examples
    --------
    >>> limit_text(BaselineItem("auc", "AUC", "accepted", 0.99, 0.98, 1.0, True))
    '1.000 (max)'
    >>> limit_text(BaselineItem("column", "a", "accepted", 0.2, 0.2, 0.31, True))
    '0.310'
    """
    shown = _value(item, item.limit)
    return f"{shown} (max)" if item.at_top else shown


def item_name(item: BaselineItem) -> str:
    """What the row is about: ``AUC``, the column, or the segment with its side."""
    if item.what == "segment":
        return f"segment: {item.name} (more {item.side} rows)"
    if item.what == "column":
        return display_name(item.name)
    return item.name


def measure_text(item: BaselineItem) -> str:
    """What was compared: ``lower bound 0.712``, ``D 0.310``, ``lift bound 2.10x``."""
    return {"auc": "AUC lower bound", "column": "distance", "segment": "lift bound"}[item.what]


def current_text(item: BaselineItem, segments: Sequence[DriftSegment] = ()) -> str:
    """The new report's value, or how a segment only one side has reads in the report.

    A segment of the report (``segments``, matched by rule and side) that no train row
    (or no test row) falls in has no lift to speak of (its bound comes from the half row
    that keeps the interval finite): it reads as in the segments section, ``new in test
    (no train row in it)`` (:func:`~._segments_text.lift_text`).

    Examples
    --------
    >>> new = DriftSegment("version in {v2}", "test", 0.0, 0.5, 1.9e5, (3.9e3, 8.9e6), 0, 7)
    >>> item = BaselineItem("segment", "version in {v2}", "new", None, 3.9e3, None, True, "test")
    >>> current_text(item), current_text(item, [new])
    ('3.90e+03x', 'new in test (no train row in it)')
    """
    if item.what == "segment" and item.current is not None:
        for segment in segments:
            if (segment.rule, segment.over_represented) == (item.name, item.side):
                if one_side_text(segment) is not None:
                    return lift_text(segment)
                break
    return _value(item, item.current)


def baseline_rows(
    check: BaselineCheck, segments: Sequence[DriftSegment] = ()
) -> list[dict[str, Any]]:
    """One dict per item, failing ones first: the table of every renderer.

    ``segments``: the report's (``DriftReport.segments``), so that a segment only one side
    has reads as in the segments section (:func:`current_text`).
    """
    items = sorted(check.items, key=lambda i: _ORDER.index(i.status))
    return [
        {
            "status": STATUS_WORDS[i.status],
            "fails": i.counts and i.status in ("new", "grown"),
            "name": item_name(i),
            "measure": measure_text(i),
            "accepted": _value(i, i.accepted),
            "current": current_text(i, segments),
            "limit": limit_text(i),
        }
        for i in items
    ]


def baseline_summary(check: BaselineCheck) -> str:
    """One sentence: counts by status and the gate's outcome.

    Examples
    --------
    >>> from advval.compare import BaselineItem
    >>> check = BaselineCheck("b.json", (
    ...     BaselineItem("column", "age", "accepted", 0.3, 0.31, 0.35, True),
    ...     BaselineItem("column", "city", "new", None, 0.2, None, True)))
    >>> baseline_summary(check)
    'against baseline b.json: 1 new (city), 0 grown, 1 accepted: new or grown drift'
    """
    parts = []
    for status in ("new", "grown", "accepted"):
        names = check.names(status)
        shown = ", ".join(display_name(n) for n in names[:LINE_MAX_NAMES])
        more = f" and {len(names) - LINE_MAX_NAMES} more" if len(names) > LINE_MAX_NAMES else ""
        listed = f" ({shown}{more})" if names and status != "accepted" else ""
        parts.append(f"{len(names)} {status}{listed}")
    resolved = len(check.names("resolved"))
    if resolved:
        parts.append(f"{resolved} no longer flagged")
    where = f" {check.source}" if check.source else ""
    outcome = "new or grown drift" if check.failed else "only accepted drift"
    return f"against baseline{where}: {', '.join(parts)}: {outcome}"


def gate_verdict(check: BaselineCheck | None, drift: bool) -> str | None:
    """The verdict a headline gives when a baseline judged the drift; ``None`` without a
    baseline or without drift (the plain verdict then says it all).

    The drift a report flags stays flagged (``drift`` in the JSON); what the headline adds
    is what the gate decided: drift beyond the baseline (new or grown, counted by the
    verdict: the gate fails), or drift all of which the baseline accepts.

    Examples
    --------
    >>> from advval.compare import BaselineItem
    >>> accepted = BaselineItem("column", "age", "accepted", 0.3, 0.31, 0.35, True)
    >>> gate_verdict(BaselineCheck("b.json", (accepted,)), True)
    'drift, all of it accepted by the baseline (0 new, 0 grown)'
    >>> new = BaselineItem("column", "city", "new", None, 0.2, None, True)
    >>> gate_verdict(BaselineCheck("b.json", (accepted, new)), True)
    'drift beyond the baseline (1 new, 0 grown)'
    >>> auc = BaselineItem("auc", "AUC", "new", None, 0.6, None, False)  # not counted
    >>> gate_verdict(BaselineCheck("b.json", (accepted, auc)), True)
    'drift, all it counts accepted by the baseline (0 new, 0 grown; 1 new not counted)'
    >>> gate_verdict(BaselineCheck("b.json", (accepted,)), False) is None
    True
    """
    if check is None or not drift:
        return None
    moved = [i for i in check.items if i.status in ("new", "grown")]
    failing = [i for i in moved if i.counts]
    counted = (
        f"{sum(i.status == 'new' for i in failing)} new, "
        f"{sum(i.status == 'grown' for i in failing)} grown"
    )
    if failing:
        return f"drift beyond the baseline ({counted})"
    if not moved:
        return f"drift, all of it accepted by the baseline ({counted})"
    others = [
        f"{n} {status}"
        for status in ("new", "grown")
        if (n := sum(i.status == status for i in moved))
    ]
    return (
        f"drift, all it counts accepted by the baseline ({counted}; "
        f"{', '.join(others)} not counted)"
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def baseline_line(check: BaselineCheck) -> str:
    """The terminal's line (``advval: baseline: ...``)."""
    return "baseline: " + baseline_summary(check).removeprefix("against baseline").lstrip(" ")


def baseline_markdown(
    check: BaselineCheck | None, segments: Sequence[DriftSegment] = ()
) -> list[str]:
    """The Markdown section (nothing without a baseline); ``segments`` the report's."""
    if check is None:
        return []
    summary = md_escape(_sentence(baseline_summary(check)))
    lines = ["### Against the accepted-drift baseline", "", f"{summary}.", ""]
    rows = baseline_rows(check, segments)
    if rows:
        lines += [
            "| status | what | compared | accepted | now | limit |",
            "| --- | --- | --- | ---: | ---: | ---: |",
        ]
        for row in rows[:MARKDOWN_MAX_ITEMS]:
            status = f"**{row['status']}**" if row["fails"] else row["status"]
            lines.append(
                f"| {status} | {md_escape(row['name'])} | {row['measure']} | {row['accepted']} "
                f"| {row['current']} | {row['limit']} |"
            )
        if len(rows) > MARKDOWN_MAX_ITEMS:
            lines.append(f"| | and {len(rows) - MARKDOWN_MAX_ITEMS} more | | | | |")
        lines.append("")
    lines += [RULE_TEXT, ""]
    return lines


def baseline_context(
    check: BaselineCheck | None, limit: int = 200, segments: Sequence[DriftSegment] = ()
) -> dict[str, Any] | None:
    """The HTML section's variables (``None`` without a baseline), at most ``limit`` rows;
    ``segments`` the report's."""
    if check is None:
        return None
    rows = baseline_rows(check, segments)
    for row in rows:
        if len(row["name"]) > 120:
            row["name"] = row["name"][:119] + "…"
    return {
        "summary": _sentence(baseline_summary(check)),
        "failed": check.failed,
        "rows": rows[:limit],
        "more": max(len(rows) - limit, 0),
        "rule": RULE_TEXT,
    }
