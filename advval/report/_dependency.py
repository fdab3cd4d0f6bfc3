"""Dependency reports (``advval deps``): their Markdown renderer and the builder's older name.

A :class:`~advval.results.DependencyReport` (defined in :mod:`advval.results`, re-exported
here) holds what a fitted :class:`~advval.FeatureDependencyChecker` found (and optionally
its :meth:`~advval.FeatureDependencyChecker.dependency_shift` table), already summarised:
one row per column, no per-row payloads, and at most ``MATRIX_MAX_FEATURES`` rows and
columns of the dependency matrix.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from ..results._dependency import DependencyReport, FeatureDependency
from ..results._dependency import DependencyShift as DependencyShift  # re-export
from ..results._json import SCHEMA_VERSION as SCHEMA_VERSION  # re-export
from ._markdown import (
    display_name,
    format_count,
    format_fixed,
    format_number,
    format_p,
    md_escape,
    md_name,
)
from ._reading_notes import reading_notes_markdown


def formats_apart_text(shift: DependencyShift) -> str:
    """What the shift table says for a column of dates written one way in each file
    (``""`` for any other column): it is not compared, and why.

    Examples
    --------
    >>> row = DependencyShift("visit", *[float("nan")] * 4, False, float("nan"),
    ...                       formats_apart=("%Y-%m-%d", "%m/%d/%Y"))
    >>> formats_apart_text(row)
    'not compared: dates written %Y-%m-%d in DATA, %m/%d/%Y in the comparison'
    """
    if shift.formats_apart is None:
        return ""
    data, other = shift.formats_apart
    return f"not compared: dates written {data} in DATA, {other} in the comparison"


def __getattr__(name: str) -> Any:
    """The builder's older name and its size cap, from :mod:`advval.dependency` on first
    use: that package imports scikit-learn and LightGBM, which rendering does not need."""
    if name in ("MATRIX_MAX_FEATURES", "build_dependency_report"):
        from ..dependency import _summary

        return getattr(_summary, "summarize" if name == "build_dependency_report" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: columns listed in the Markdown table (the rest are counted, not shown)
MARKDOWN_TOP_DEPENDENCIES = 15
#: names listed in one Markdown line before "and N more"
_MAX_NAMES = 20


def _names(names: Any, limit: int = _MAX_NAMES) -> str:
    names = list(names)
    shown = ", ".join(md_name(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown


#: rows of the Markdown dependency-shift table; a longer one is cut to the shifted
#: columns first, then the largest drops (a wide table has one row per column)
MARKDOWN_TOP_SHIFT = 20


def shift_rows(report: DependencyReport, limit: int) -> tuple[DependencyShift, ...]:
    """The dependency-shift rows to show: all of them in column order when there are at
    most ``limit``, else the shifted ones first and then the largest drops, ``limit`` in
    all.

    Examples
    --------
    >>> rows = tuple(DependencyShift(n, 0.9, 0.9 - d, d, 0.5, d > 0.2, 0.5)
    ...              for n, d in (("a", 0.01), ("b", 0.3), ("c", 0.05)))
    >>> r = DependencyReport(10, 3, (), (), None, (), (), rows, {}, "0", compared=True)
    >>> [s.name for s in shift_rows(r, 3)], [s.name for s in shift_rows(r, 2)]
    (['a', 'b', 'c'], ['b', 'c'])
    """
    if len(report.shift) <= limit:
        return tuple(report.shift)
    ranked = sorted(
        report.shift, key=lambda s: (not s.shifted, -s.drop if math.isfinite(s.drop) else 0.0)
    )
    return tuple(ranked[:limit])


def near_duplicate_groups(pairs: Any) -> list[tuple[str, ...]]:
    """The near-duplicate pairs joined into groups: columns linked by a chain of pairs.

    A statistic written three ways (Home Credit's ``_AVG``, ``_MODE`` and ``_MEDI``
    building columns) is three pairs but one group; a wide table has dozens of them.
    Groups and their columns come in the order the pairs first name them.

    Examples
    --------
    >>> near_duplicate_groups([("a_avg", "a_mode"), ("a_avg", "a_medi"), ("x", "y"),
    ...                        ("a_mode", "a_medi")])
    [('a_avg', 'a_mode', 'a_medi'), ('x', 'y')]
    """
    group_of: dict[str, list[str]] = {}
    groups: list[list[str]] = []
    for a, b in pairs:
        first, second = group_of.get(a), group_of.get(b)
        if first is None and second is None:
            group = [a, b]
            groups.append(group)
        elif first is not None and second is not None:
            if first is second:
                continue
            first.extend(second)  # the later group joins the earlier one
            groups.remove(second)
            group = first
        else:
            group = first if first is not None else second  # type: ignore[assignment]
            group.append(b if first is not None else a)
        for name in group:
            group_of[name] = group
    return [tuple(g) for g in groups]


def near_duplicate_note(report: DependencyReport) -> str | None:
    """How many redundant columns sit in near-duplicate groups, and what that means;
    ``None`` when fewer than two do.

    Each column of a group is predicted by its copies, so each is redundant, but dropping
    them all would drop what they say.

    Examples
    --------
    >>> r = DependencyReport(10, 3, (), ("a", "b", "c"), None, (), (("a", "b"),), (), {}, "0")
    >>> import textwrap
    >>> print(textwrap.fill(near_duplicate_note(r), 80))
    2 of them are in 1 near-duplicate group: each is predicted by its copies, so
    keep one column of each group rather than dropping them all.
    """
    groups = near_duplicate_groups(report.near_duplicates)
    grouped = {name for group in groups for name in group}
    inside = [name for name in report.redundant if name in grouped]
    if len(inside) < 2:
        return None
    touched = sum(1 for group in groups if any(name in set(inside) for name in group))
    return (
        f"{len(inside)} of them are in {touched} near-duplicate group"
        f"{'s' if touched != 1 else ''}: each is predicted by its copies, so keep one "
        "column of each group rather than dropping them all."
    )


def feature_flags(feature: FeatureDependency, timestamps: Collection[str] = ()) -> list[str]:
    """The findings about one column, as short words; an ID-like column among
    ``timestamps`` (the report's ``timestamp_like``) is ``timestamp-like``.

    Examples
    --------
    >>> f = FeatureDependency("a", "numeric", 0.97, 1e-9, True, True, False, False, ("b",))
    >>> feature_flags(f)
    ['redundant']
    """
    return [
        flag
        for flag, on in (
            ("leak", bool(feature.leak)),
            ("redundant", feature.redundant),
            ("timestamp-like" if feature.name in timestamps else "id-like", feature.id_like),
            ("row-order", feature.row_order),
        )
        if on
    ]


def report_findings(report: DependencyReport) -> list[str]:
    """The headline findings, most serious first: ``leak``, ``redundancy``, ``shift``."""
    found = (("leak", report.leaking), ("redundancy", report.redundant), ("shift", report.shifted))
    return [word for word, names in found if names]


def _timestamps_text(report: DependencyReport) -> str:
    """`` (1 of them a timestamp)`` after the ID-like count, when some are timestamps."""
    n = len(report.timestamp_like)
    if not n:
        return ""
    return f" ({n} of them {'a timestamp' if n == 1 else 'timestamps'})"


#: what the reports say of a timestamp written as a number
TIMESTAMP_LABEL = "Timestamp-like (epoch seconds or milliseconds rising with the rows)"


def summary_line(report: DependencyReport) -> str:
    """One line for stderr: the counts of each finding.

    Examples
    --------
    >>> r = DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")
    >>> summary_line(r)
    'dependency check: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs'
    """
    parts = [
        f"{report.n_features} features",
        f"{len(report.redundant)} redundant",
        f"{len(report.id_like)} id-like{_timestamps_text(report)}",
        f"{len(report.near_duplicates)} near-duplicate pairs{_groups_text(report)}",
    ]
    if report.leaking is not None:
        parts.append(f"{len(report.leaking)} leaking")
    if report.compared:
        parts.append(f"{len(report.shifted)} shifted")
    return "dependency check: " + ", ".join(parts)


def _groups_text(report: DependencyReport) -> str:
    """`` (in N groups)`` when the pairs join into fewer groups than pairs, else ``""``."""
    n_groups = len(near_duplicate_groups(report.near_duplicates))
    return f" (in {n_groups} groups)" if n_groups < len(report.near_duplicates) else ""


def _padded(values: tuple[float, ...], names: tuple[str, ...]) -> tuple[float, ...]:
    return values if len(values) == len(names) else (math.nan,) * len(names)


def score_text(feature: FeatureDependency) -> str:
    """The score with its interval: ``0.957 [0.953, 0.961]`` (no interval when undefined).

    Examples
    --------
    >>> f = FeatureDependency("a", "numeric", 0.9571, 1e-9, True, True, False, False, ("b",),
    ...                       score_low=0.9528, score_high=0.9609)
    >>> score_text(f)
    '0.957 [0.953, 0.961]'
    """
    text = format_fixed(feature.score)
    if math.isfinite(feature.score_low) and math.isfinite(feature.score_high):
        text += f" [{format_fixed(feature.score_low)}, {format_fixed(feature.score_high)}]"
    return text


def threshold_text(report: DependencyReport) -> str:
    """The redundancy threshold of the report's settings, formatted (``"0.9"``)."""
    value = report.settings.get("redundancy_threshold")
    return format_number(value, 6) if isinstance(value, (int, float)) else "the threshold"


def score_legend(report: DependencyReport) -> list[str]:
    """What every number of the column table means, as sentences (one paragraph each).

    The ranks-only paragraph is there only when a column is significant with a score of 0.
    """
    legend = [
        "score: how well the other columns predict the column on rows their models never "
        "saw: R² for numbers and dates, 2 × AUC − 1 for classes (the AUC share-weighted "
        "over the classes), each relative to guessing the training rows' mean or class "
        "shares, so 0 = no better than guessing and 1 = determined. It estimates what the "
        "best predictor learnable from these rows would score (the models stop training "
        "when held-out rows stop improving); a model can only fall short of the best one, "
        "so a score is more likely low than high. [95% interval]: the score's uncertainty "
        "from the number of scored rows. adjusted p: the chance that the others look this "
        "informative about the column when they carry nothing about it (a rank test), "
        "corrected over the columns. explained by: the columns the model used most, each "
        "with the part of the score it carries (its share of the mean |SHAP|). redundant: "
        f"significant, and the interval's lower end is at least {threshold_text(report)}, "
        "so the others explain at least that much of the column."
    ]
    odd = [f.name for f in report.features if f.ranks_only]
    if odd:
        legend += [
            "",
            f"Significant with a score of 0 ({_names(odd)}): the other columns predict "
            "the column's order (the chance test compares ranks), but not its values "
            "better than its mean (the score compares squared errors). Typical of a few "
            "extreme values that decide the squared error: try the column's logarithm.",
        ]
    return legend


def row_order_sentence(report: DependencyReport, *, bold: str = "") -> str:
    """The row-order score, and what it says about the file's order.

    Examples
    --------
    >>> r = DependencyReport(10, 2, (), (), None, (), (), (), {}, "0", row_order_score=0.0)
    >>> row_order_sentence(r).split(":")[0]
    'Row order 0.000'
    """
    score = report.row_order_score
    if not math.isfinite(score):
        reading = "it could not be scored"
    elif score >= 0.5:
        reading = (
            "the file is sorted by something the columns reveal (a date, an ID): its first "
            "and last rows differ, so a split by position is not a random split"
        )
    elif score > 0.1:
        reading = "the columns say a little about where a row sits in the file"
    else:
        reading = "the file's order is unrelated to its values"
    return (
        f"{bold}Row order {format_fixed(score)}{bold}: the R² of each row's position in the "
        f"file predicted from all columns, scored like a column (0 = the order looks "
        f"random); {reading}."
    )


def redundant_line(report: DependencyReport, limit: int = 5) -> str | None:
    """One line for the terminal: the redundant columns with their scores and intervals.

    ``None`` when no column is redundant.

    Examples
    --------
    >>> f = FeatureDependency("a", "numeric", 0.9571, 1e-9, True, True, False, False, ("b",),
    ...                       score_low=0.9528, score_high=0.9609)
    >>> r = DependencyReport(10, 2, (f,), ("a",), None, (), (), (), {}, "0")
    >>> redundant_line(r)
    'redundant (score [95% interval]): a 0.957 [0.953, 0.961]'
    """
    shown = [f for f in report.features if f.redundant]
    if not shown:
        return None
    # a name with a trailing space or a newline is quoted: 'Votes ' is not Votes
    text = ", ".join(f"{display_name(f.name)} {score_text(f)}" for f in shown[:limit])
    if len(shown) > limit:
        text += f" and {len(shown) - limit} more"
    return f"redundant (score [95% interval]): {text}"


def render_dependency_markdown(report: DependencyReport) -> str:
    """Render a dependency report as Markdown (a pull-request comment).

    Parameters
    ----------
    report : DependencyReport

    Returns
    -------
    str
        A heading, the findings (leaks, redundant, ID-like, near-duplicate columns), a
        table of the most predictable columns, the shift table when a comparison ran,
        and the settings. Every column name is escaped.
    """
    findings = report_findings(report)
    headline = ", ".join(findings) if findings else "no findings"
    lines = [f"## advval dependency check: {headline}", ""]
    lines.append(f"{format_count(report.n_rows)} rows · {format_count(report.n_features)} features")
    lines.append("")
    if report.leaking is not None:
        if report.leaking:
            lines.append(
                "> **Possible target leak:** these columns alone predict the target almost "
                f"perfectly: {_names(report.leaking)}."
            )
        else:
            lines.append("No column alone predicts the target almost perfectly (no leak).")
        lines.append("")
    lines.append(row_order_sentence(report, bold="**"))
    lines.append("")
    for label, names in (
        ("Redundant (predicted by the other columns)", report.redundant),
        ("ID-like", tuple(n for n in report.id_like if n not in set(report.timestamp_like))),
        (TIMESTAMP_LABEL, report.timestamp_like),
        ("Row order (predicted by the row position alone)", report.row_order),
        ("Dropped (all values missing)", report.dropped),
    ):
        if names:
            note = near_duplicate_note(report) if names is report.redundant else None
            lines.append(f"**{label}:** {_names(names)}." + (f" {note}" if note else ""))
            lines.append("")
    if report.near_duplicates:
        groups = near_duplicate_groups(report.near_duplicates)
        shown = "; ".join(" ≈ ".join(md_name(n) for n in group) for group in groups[:_MAX_NAMES])
        if len(groups) > _MAX_NAMES:
            shown += f"; and {len(groups) - _MAX_NAMES} more"
        label = (
            "Near-duplicate pairs"
            if len(groups) == len(report.near_duplicates)
            else f"Near-duplicate groups ({len(report.near_duplicates)} pairs)"
        )
        lines.append(f"**{label}:** {shown}.")
        lines.append("")

    top = report.features[:MARKDOWN_TOP_DEPENDENCIES]
    if top:
        shown_count = (
            f" ({len(top)} of {len(report.features)})" if len(report.features) > len(top) else ""
        )
        lines.append(f"### Most predictable columns{shown_count}")
        lines.append("")
        lines.append(
            "| # | feature | kind | score [95% interval] | adjusted p | explained by (part "
            "of the score) | flags |"
        )
        lines.append("| ---: | --- | --- | ---: | ---: | --- | --- |")
        for rank, f in enumerate(top, start=1):
            explained = ", ".join(
                md_name(c) + (f" {format_fixed(v)}" if math.isfinite(v) else "")
                for c, v in zip(f.top_features, _padded(f.top_shares, f.top_features), strict=True)
            )
            lines.append(
                f"| {rank} | {md_name(f.name)} | {f.kind} | {score_text(f)} "
                f"| {format_p(f.p_value)} | {explained} "
                f"| {', '.join(feature_flags(f, report.timestamp_like))} |"
            )
        lines.append("")
        lines.extend(score_legend(report))
        lines.append("")

    if report.compared:
        lines.append("### Dependency shift")
        lines.append("")
        if report.shift:
            lines.append(
                "| feature | train score | test score | drop | adjusted p | shifted | marginal p |"
            )
            lines.append("| --- | ---: | ---: | ---: | ---: | :---: | ---: |")
            rows = shift_rows(report, MARKDOWN_TOP_SHIFT)
            for s in rows:
                apart = formats_apart_text(s)
                shifted = md_escape(apart) if apart else ("yes" if s.shifted else "")
                lines.append(
                    f"| {md_name(s.name)} | {format_fixed(s.train_score)} "
                    f"| {format_fixed(s.test_score)} | {format_fixed(s.drop)} "
                    f"| {'n/a' if apart else format_p(s.p_value)} | {shifted} "
                    f"| {format_p(s.marginal_p_value)} |"
                )
            if len(rows) < len(report.shift):
                lines.append("")
                lines.append(
                    f"{len(rows)} of {len(report.shift)} columns: the shifted ones first, then "
                    "the largest drops; the JSON report has every column."
                )
        else:
            lines.append("No column could be compared.")
        lines.append("")

    lines.extend(reading_notes_markdown(report.reading_notes))

    settings = ", ".join(
        f"{md_escape(k)}={md_escape(format_number(v, 6) if isinstance(v, float) else v)}"
        for k, v in report.settings.items()
    )
    lines.append(f"<sub>settings: {settings}; advval {md_escape(report.advval_version)}</sub>")
    return "\n".join(lines) + "\n"
