"""Comparing reports: accepted-drift baselines and diffs of two reports.

Everything here reads the reports' JSON documents (``report.to_dict()`` or the files the
command line writes), so a report from last week's run compares with today's. Nothing
here renders: :mod:`advval.report` does (``render_diff_markdown``, ``render_diff_json``,
``render_diff_html``), and the command line wires both (``advval baseline accept``,
``advval drift --baseline``, ``advval diff``).
"""

from ._baseline import (
    BASELINE_KIND,
    BASELINE_VERSION,
    AcceptedColumn,
    AcceptedSegment,
    Baseline,
    BaselineCheck,
    BaselineItem,
    apply_baseline,
)
from ._checks import DocumentError, read_document
from ._diff import ItemChange, MetricChange, ReportDiff, diff_reports
from ._intervals import moved_beyond_noise, wilson_interval

__all__ = [
    "BASELINE_KIND",
    "BASELINE_VERSION",
    "AcceptedColumn",
    "AcceptedSegment",
    "Baseline",
    "BaselineCheck",
    "BaselineItem",
    "DocumentError",
    "ItemChange",
    "MetricChange",
    "ReportDiff",
    "apply_baseline",
    "diff_reports",
    "moved_beyond_noise",
    "read_document",
    "wilson_interval",
]
