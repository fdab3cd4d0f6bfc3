"""Words for the drift report's segments: the Markdown section and the terminal's line.

A segment is a region of the rows one side over-fills
(:meth:`~advval.AdversarialValidator.segments`); renderers show its rule, the share of
each side's rows in it and the lift (test share / train share) with its interval.
"""

from __future__ import annotations

from ..results import DriftReport, DriftSegment
from ._facts_text import format_share
from ._markdown import md_escape


def format_lift(value: float) -> str:
    """A lift: 3 significant digits, ``x`` after it.

    Examples
    --------
    >>> format_lift(3.7735), format_lift(0.11496), format_lift(2.0), format_lift(429.0)
    ('3.77x', '0.115x', '2.00x', '429x')
    """
    return f"{value:#.3g}".rstrip(".") + "x"


def one_side_text(segment: DriftSegment) -> str | None:
    """``"new in test"`` for a region no measured train row falls in, ``"absent from test"``
    for one no measured test row falls in, else ``None``.

    Its lift (test share / train share) divides by a share of 0: the number shown would
    come from the half row added to keep the interval finite, and depend on the sample
    size only ("1.87e+05x" for a level train never has).

    Examples
    --------
    >>> from advval.results import DriftSegment
    >>> new = DriftSegment("version in {v2}", "test", 0.0, 0.5, 1.9e5, (3.9e3, 8.9e6), 0, 7)
    >>> one_side_text(new), lift_text(new)
    ('new in test', 'new in test (no train row in it)')
    """
    if segment.train_rows == 0 and segment.test_rows > 0:
        return "new in test"
    if segment.test_rows == 0 and segment.train_rows > 0:
        return "absent from test"
    return None


def lift_text(segment: DriftSegment) -> str:
    """``3.77x [3.64x, 3.91x]``, or ``new in test (no train row in it)`` (one side empty)."""
    side = one_side_text(segment)
    if side is not None:
        empty = "train" if side == "new in test" else "test"
        return f"{side} (no {empty} row in it)"
    low, high = segment.lift_ci
    return f"{format_lift(segment.lift)} [{format_lift(low)}, {format_lift(high)}]"


def search_text(report: DriftReport) -> str:
    """How the segments were found and measured, in one sentence ("" when not searched)."""
    search = report.segment_search
    if search is None:
        return ""
    return (
        f"Regions searched on {search.search_rows:,} rows by a shallow tree "
        f"({search.candidates} candidates), shares measured on the other "
        f"{search.measure_rows:,} rows; a region is shown only when its lift interval "
        f"(Bonferroni over the candidates) excludes 1."
    )


def segments_markdown(report: DriftReport) -> list[str]:
    """The Markdown section of the segments (nothing when they were not searched)."""
    if report.segment_search is None:
        return []
    lines = ["### Where the sides differ (segments)", ""]
    if not report.segments:
        lines += ["No region of the rows is over-represented on either side.", ""]
    else:
        lines += [
            "| # | region | more rows of | train share | test share | lift (interval) |",
            "| ---: | --- | --- | ---: | ---: | ---: |",
        ]
        for rank, segment in enumerate(report.segments, start=1):
            lines.append(
                f"| {rank} | {md_escape(segment.rule)} | {segment.over_represented} "
                f"| {format_share(segment.train_share)} | {format_share(segment.test_share)} "
                f"| {lift_text(segment)} |"
            )
        lines.append("")
    lines += [md_escape(search_text(report)), ""]
    return lines


def segments_line(report: DriftReport) -> str:
    """The terminal's line: the largest segment, and how many more ("" when none)."""
    if not report.segments:
        return ""
    top = report.segments[0]
    more = len(report.segments) - 1
    tail = f" (+{more} more in the report)" if more else ""
    return (
        f"where: {top.rule}: {format_share(top.test_share)} of test rows vs "
        f"{format_share(top.train_share)} of train rows, "
        f"{one_side_text(top) or 'lift ' + lift_text(top)}{tail}"
    )
