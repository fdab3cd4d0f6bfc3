"""HTML rendering of a dependency report (``advval deps --format html``).

Same page as the drift report (``templates/deps.html.j2`` extends ``_base.html.j2``: one
self-contained file, a Content-Security-Policy that forbids any fetch, inline CSS, no
script) and the same escaping: Jinja2 autoescapes every data string, and the heatmap is
inline SVG from :func:`advval.report._svg.dependency_heatmap`, which escapes its labels.
The size is bounded: at most ``MATRIX_MAX_FEATURES`` rows and columns in the heatmap (the
report keeps no more), ``HTML_TOP_DEPENDENCIES`` rows in each table and
``HTML_MAX_NAMES`` names in each list, column names clipped.
"""

from __future__ import annotations

import math
from typing import Any

from . import _svg
from ._dependency import (
    DependencyReport,
    feature_flags,
    formats_apart_text,
    near_duplicate_groups,
    near_duplicate_note,
    report_findings,
    row_order_sentence,
    score_legend,
    summary_line,
    threshold_text,
)
from ._html import name_list, name_text, page_context, render_page
from ._markdown import format_count, format_fixed, format_p

#: columns listed in the per-feature table and the shift table
HTML_TOP_DEPENDENCIES = 50

_METRICS = {"r2": "R²", "auc": "AUC"}
_HEADLINES = {
    "leak": "Possible target leak",
    "shift": "Relationships changed",
    "redundancy": "Redundant columns",
}


def _verdict(report: DependencyReport) -> tuple[str, str]:
    """The banner's label and CSS class: red for a leak or a shift, amber for redundancy."""
    findings = report_findings(report)
    if not findings:
        return "No findings", ""
    label = "; ".join(_HEADLINES[f] for f in sorted(findings, key=list(_HEADLINES).index))
    return label, "drift" if {"leak", "shift"} & set(findings) else "warn"


def dependency_context(report: DependencyReport) -> dict[str, Any]:
    """Everything the template shows, as formatted strings (and one escaped SVG string).

    The page and the notebook fragment (:mod:`advval.report._notebook`) render it.
    """
    label, verdict_class = _verdict(report)
    scores = {f.name: f.score for f in report.features}
    features = report.features[:HTML_TOP_DEPENDENCIES]
    # shifted relationships first, largest drop first: the rows a reader came for
    shift = sorted(
        report.shift, key=lambda s: (not s.shifted, -s.drop if math.isfinite(s.drop) else 0.0)
    )[:HTML_TOP_DEPENDENCIES]
    groups = near_duplicate_groups(report.near_duplicates)
    pairs = tuple(" ≈ ".join(name_text(n) for n in group) for group in groups)
    grouped_note = near_duplicate_note(report)
    return {
        "label": label,
        "verdict_class": verdict_class,
        "summary": summary_line(report).removeprefix("dependency check: "),
        "n_rows": format_count(report.n_rows),
        "n_features": format_count(report.n_features),
        "has_target": report.leaking is not None,
        "compared": report.compared,
        "counts": {
            "redundant": len(report.redundant),
            "leaking": len(report.leaking or ()),
            "id_like": len(report.id_like),
            "near_duplicates": len(report.near_duplicates),
            "shifted": len(report.shifted),
        },
        "row_order_score": format_fixed(report.row_order_score),
        "reading_notes": list(report.reading_notes),
        "row_order_text": row_order_sentence(report),
        "legend": [line for line in score_legend(report) if line],
        "heatmap_svg": (
            _svg.dependency_heatmap(
                report.matrix_rows,
                report.matrix_columns,
                report.matrix,
                row_scores=[scores.get(name, 0.0) for name in report.matrix_rows],
            )
            if report.matrix_rows
            else None
        ),
        "matrix_capped": report.matrix_capped,
        "matrix_n_rows": len(report.matrix_rows),
        "matrix_n_columns": len(report.matrix_columns),
        "features": [
            {
                "rank": rank,
                "name": name_text(f.name),
                "kind": f.kind,
                "score": format_fixed(f.score),
                "interval": (
                    f"[{format_fixed(f.score_low)}, {format_fixed(f.score_high)}]"
                    if math.isfinite(f.score_low) and math.isfinite(f.score_high)
                    else ""
                ),
                "metric_name": _METRICS.get(f.metric_name, f.metric_name),
                "metric": format_fixed(f.metric),
                "baseline": format_fixed(f.baseline),
                "p_value": format_p(f.p_value),
                "significant": f.significant,
                "explained_by": ", ".join(
                    name_text(c) + (f" {format_fixed(v)}" if math.isfinite(v) else "")
                    for c, v in zip(
                        f.top_features,
                        f.top_shares
                        if len(f.top_shares) == len(f.top_features)
                        else (math.nan,) * len(f.top_features),
                        strict=True,
                    )
                ),
                "target_score": None if f.target_score is None else format_fixed(f.target_score),
                "flags": feature_flags(f, report.timestamp_like),
            }
            for rank, f in enumerate(features, start=1)
        ],
        "n_features_listed": len(report.features),
        "flags": [
            (title, note, name_list(names))
            for title, note, names in (
                (
                    "Redundant",
                    "Predicted by the other columns: significant, and the lower end of the "
                    f"score's 95% interval is at least {threshold_text(report)}. They add "
                    "little a model does not already have."
                    + (f" {grouped_note}" if grouped_note else ""),
                    report.redundant,
                ),
                (
                    "Near-duplicate pairs"
                    if len(groups) == len(report.near_duplicates)
                    else "Near-duplicate groups",
                    "Near-identical columns: |Spearman| above 0.99 (monotone transforms "
                    "included) or a one-to-one relabelling"
                    + (
                        ""
                        if len(groups) == len(report.near_duplicates)
                        else f"; {len(report.near_duplicates)} such pairs, joined into "
                        "groups of columns linked by a chain of pairs"
                    )
                    + ".",
                    pairs,
                ),
                (
                    "ID-like",
                    "Unique per row, or monotone in row order: identifiers, counters, "
                    "timestamps of a sorted file. Exclude them with --id if they are not "
                    "features.",
                    tuple(n for n in report.id_like if n not in set(report.timestamp_like)),
                ),
                (
                    "Timestamp-like",
                    "Numbers that read as epoch seconds or milliseconds (2001 to 2033) and "
                    "rise with the rows: the time of each row, written as a number, not an "
                    "identifier. Exclude them with --id if they are not features.",
                    report.timestamp_like,
                ),
                (
                    "Row order",
                    "Predicted by the row position alone: the file is sorted by them.",
                    report.row_order,
                ),
                ("Dropped", "Every value was missing; not checked.", report.dropped),
            )
            if names
        ],
        "leaks": name_list(report.leaking or ()),
        "shift": [
            {
                "name": name_text(s.name),
                "train_score": format_fixed(s.train_score),
                "test_score": format_fixed(s.test_score),
                "drop": format_fixed(s.drop),
                "p_value": "n/a" if s.formats_apart else format_p(s.p_value),
                "shifted": s.shifted,
                "marginal_p_value": format_p(s.marginal_p_value),
                "apart": formats_apart_text(s),
            }
            for s in shift
        ],
        "n_shift": len(report.shift),
        "n_shift_text": format_count(len(report.shift)),
        **page_context(report),
    }


def render_dependency_html(report: DependencyReport) -> str:
    """Render a dependency report as one self-contained HTML page.

    Parameters
    ----------
    report : DependencyReport
        The result to render (see :func:`build_dependency_report`).

    Returns
    -------
    str
        A complete HTML document: the findings banner with the counts, a heatmap of the
        dependency matrix (which columns explain which; the most predictable
        ``MATRIX_MAX_FEATURES`` columns, and the page says when it is capped), the
        per-column table (score, out-of-fold metric and its naive baseline, adjusted
        p-value, explaining columns, flags), the flagged columns (leaks, redundant,
        near-duplicates, ID-like, row order), the dependency-shift table when a
        comparison ran, and the settings. Inline CSS and SVG only; every data-derived
        string is escaped; the size is bounded whatever the number of columns.

    See Also
    --------
    render_dependency_markdown, render_json, write_report
    """
    return render_page("deps.html.j2", dependency_context(report), svg_keys=("heatmap_svg",))
