"""The drift page's segments section: each region's rule, side, lift and a two-bar chart.

The chart is a small inline SVG (a few hundred bytes): the share of train rows and the
share of test rows in the region, on one scale for every segment of the page, so the bars
compare down the table. Labels are escaped here, like every chart of :mod:`._svg`.
"""

from __future__ import annotations

from typing import Any

from ..results import DriftReport, DriftSegment
from ._facts_text import format_share
from ._segments_text import lift_text, search_text
from ._svg import TEST_COLOR, TRAIN_COLOR, _c, _esc

BAR_WIDTH = 180
BAR_HEIGHT = 10


def share_bars(segment: DriftSegment, scale: float) -> str:
    """Two bars, train share over test share, ``scale`` the share that fills the width.

    Examples
    --------
    >>> from advval.report import DriftSegment
    >>> s = DriftSegment("x > 1", "test", 0.1, 0.4, 4.0, (3.0, 5.0), 10, 40)
    >>> svg = share_bars(s, scale=0.4)
    >>> svg.startswith("<svg") and 'width="45"' in svg and 'width="180"' in svg
    True
    """
    label = (
        f"train rows in the region: {format_share(segment.train_share)}; "
        f"test rows: {format_share(segment.test_share)}"
    )
    height = 2 * BAR_HEIGHT + 6
    parts = [
        f'<svg class="chart segment-bars" viewBox="0 0 {BAR_WIDTH} {height}" '
        f'width="{BAR_WIDTH}" height="{height}" role="img" aria-label="{_esc(label)}">',
        f"<title>{_esc(label)}</title>",
    ]
    for row, (share, color) in enumerate(
        ((segment.train_share, TRAIN_COLOR), (segment.test_share, TEST_COLOR))
    ):
        width = BAR_WIDTH * min(1.0, share / scale) if scale > 0 else 0.0
        parts.append(
            f'<rect x="0" y="{row * (BAR_HEIGHT + 4)}" width="{_c(width)}" '
            f'height="{BAR_HEIGHT}" rx="2" fill="{color}" fill-opacity="0.75"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def segments_context(report: DriftReport) -> dict[str, Any] | None:
    """The template's ``segments``: ``None`` when they were not searched."""
    if report.segment_search is None:
        return None
    scale = max(
        (max(s.train_share, s.test_share) for s in report.segments), default=0.0
    )
    return {
        "note": search_text(report),
        "rows": [
            {
                "rank": rank,
                "rule": segment.rule,
                "side": segment.over_represented,
                "train": format_share(segment.train_share),
                "test": format_share(segment.test_share),
                "lift": lift_text(segment),
                "svg": share_bars(segment, scale),
            }
            for rank, segment in enumerate(report.segments, start=1)
        ],
    }
