"""Dependency reports (``advval deps``): their builder and Markdown renderer.

A :class:`~advval.results.DependencyReport` (defined in :mod:`advval.results`, re-exported
here) holds what a fitted :class:`~advval.FeatureDependencyChecker` found (and optionally
its :meth:`~advval.FeatureDependencyChecker.dependency_shift` table), already summarised:
one row per column, no per-row payloads, and at most ``MATRIX_MAX_FEATURES`` rows and
columns of the dependency matrix.
"""

from __future__ import annotations

import math
from typing import Any

from .._version import __version__
from ..results._dependency import DependencyReport, DependencyShift, FeatureDependency
from ..results._json import SCHEMA_VERSION as SCHEMA_VERSION  # re-export
from ._markdown import format_count, format_fixed, format_number, format_p, md_escape, md_name

#: columns listed in the Markdown table (the rest are counted, not shown)
MARKDOWN_TOP_DEPENDENCIES = 15
#: names listed in one Markdown line before "and N more"
_MAX_NAMES = 20
#: rows (and columns) of the dependency matrix kept in a report (the heatmap's size)
MATRIX_MAX_FEATURES = 40


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _settings(checker: Any) -> dict[str, Any]:
    seed = checker.random_state
    estimator = checker.estimator
    return {
        "estimator": "default" if estimator is None else type(estimator).__name__,
        "n_splits": checker.n_splits,
        "n_permutations": checker.n_permutations,
        "alpha": checker.alpha,
        "correction": checker.correction,
        "leak_threshold": checker.leak_threshold,
        "redundancy_threshold": checker.redundancy_threshold,
        "random_state": seed if seed is None or isinstance(seed, int) else str(seed),
    }


def _shares(matrix: Any, name: Any, top: Any) -> tuple[float, ...]:
    """The part of ``name``'s score each of its top features carries."""
    if matrix is None or name not in matrix.index:
        return ()
    return tuple(_float(matrix.loc[name, c]) for c in top if c in matrix.columns)


def _heatmap(
    matrix: Any, rows_by_score: list[str], limit: int
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[float, ...], ...]]:
    """The heatmap's part of the dependency matrix: top rows by score, top explainers."""
    if matrix is None or not rows_by_score or limit < 1:
        return (), (), ()
    rows = rows_by_score[:limit]
    values = matrix.loc[rows].to_numpy(dtype=float)
    totals = values.sum(axis=0)
    order = sorted(range(len(matrix.columns)), key=lambda k: (-totals[k], k))[:limit]
    columns = tuple(str(matrix.columns[k]) for k in order)
    cells = tuple(tuple(float(values[i, k]) for k in order) for i in range(len(rows)))
    return tuple(rows), columns, cells


def build_dependency_report(
    checker: Any,
    shift: Any = None,
    *,
    n_rows: int | None = None,
    settings: dict[str, Any] | None = None,
    matrix_features: int = MATRIX_MAX_FEATURES,
) -> DependencyReport:
    """Summarise a fitted :class:`~advval.FeatureDependencyChecker` as a report.

    Parameters
    ----------
    checker : FeatureDependencyChecker
        Fitted (``fit`` was called, with or without ``y``).
    shift : DataFrame or None, default=None
        The result of ``checker.dependency_shift(X_train, X_test)`` (index: column).
    n_rows : int, optional
        Rows of the data; default: the most rows any column was observed on.
    settings : dict, optional
        Extra settings to record (merged over the checker's).
    matrix_features : int, default=40
        Rows and columns of the dependency matrix kept for the heatmap: the most
        predictable columns, and the columns that explain them most.

    Returns
    -------
    DependencyReport
    """
    scores = checker.scores_
    has_target = "leak" in scores.columns
    matrix_all = getattr(checker, "dependency_matrix_", None)
    row_order = {str(c) for c in getattr(checker, "row_order_features_", ())}
    rows = []
    for position, (name, row) in enumerate(scores.iterrows()):
        score = _float(row["score"])
        feature = FeatureDependency(
            name=str(name),
            kind=str(row["kind"]),
            score=score,
            p_value=_float(row["p_value_adjusted"]),
            significant=bool(row["significant"]),
            redundant=bool(row["redundant"]),
            leak=bool(row["leak"]) if has_target else None,
            id_like=bool(row["id_like"]),
            top_features=tuple(str(c) for c in row["top_features"]),
            metric_name=str(row.get("metric_name", "")),
            metric=_float(row.get("metric")),
            baseline=_float(row.get("baseline")),
            row_order=str(name) in row_order,
            target_score=_float(row["target_score"]) if has_target else None,
            score_low=_float(row.get("score_low")),
            score_high=_float(row.get("score_high")),
            top_shares=_shares(matrix_all, name, row["top_features"]),
        )
        rows.append((-(score if math.isfinite(score) else -1.0), position, feature))
    features = tuple(f for _, _, f in sorted(rows, key=lambda r: (r[0], r[1])))

    shift_rows: tuple[DependencyShift, ...] = ()
    if shift is not None:
        shift_rows = tuple(
            DependencyShift(
                name=str(name),
                train_score=_float(row["train_score"]),
                test_score=_float(row["test_score"]),
                drop=_float(row["drop"]),
                p_value=_float(row["p_value_adjusted"]),
                shifted=bool(row["shifted"]),
                marginal_p_value=_float(row["marginal_p_value"]),
            )
            for name, row in shift.iterrows()
        )
    if n_rows is None:
        n_rows = int(scores["n_rows"].max()) if len(scores) else 0
    matrix_rows, matrix_columns, matrix = _heatmap(
        getattr(checker, "dependency_matrix_", None),
        [f.name for f in features],
        matrix_features,
    )
    return DependencyReport(
        n_rows=int(n_rows),
        n_features=len(scores),
        features=features,
        redundant=tuple(str(c) for c in checker.redundant_features_),
        leaking=tuple(str(c) for c in checker.leaking_features_) if has_target else None,
        id_like=tuple(str(c) for c in checker.id_like_features_),
        near_duplicates=tuple((str(a), str(b)) for a, b in checker.near_duplicates_),
        shift=shift_rows,
        settings={**_settings(checker), **(settings or {})},
        advval_version=__version__,
        compared=shift is not None,
        row_order_score=_float(getattr(checker, "row_order_score_", math.nan)),
        row_order=tuple(str(c) for c in getattr(checker, "row_order_features_", ())),
        dropped=tuple(str(c) for c in getattr(checker, "dropped_features_", ())),
        matrix_rows=matrix_rows,
        matrix_columns=matrix_columns,
        matrix=matrix,
    )


def _names(names: Any, limit: int = _MAX_NAMES) -> str:
    names = list(names)
    shown = ", ".join(md_name(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown


def feature_flags(feature: FeatureDependency) -> list[str]:
    """The findings about one column, as short words.

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
            ("id-like", feature.id_like),
            ("row-order", feature.row_order),
        )
        if on
    ]


def report_findings(report: DependencyReport) -> list[str]:
    """The headline findings, most serious first: ``leak``, ``redundancy``, ``shift``."""
    found = (("leak", report.leaking), ("redundancy", report.redundant), ("shift", report.shifted))
    return [word for word, names in found if names]


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
        f"{len(report.id_like)} id-like",
        f"{len(report.near_duplicates)} near-duplicate pairs",
    ]
    if report.leaking is not None:
        parts.append(f"{len(report.leaking)} leaking")
    if report.compared:
        parts.append(f"{len(report.shifted)} shifted")
    return "dependency check: " + ", ".join(parts)


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
    text = ", ".join(f"{f.name} {score_text(f)}" for f in shown[:limit])
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
        ("ID-like", report.id_like),
        ("Row order (predicted by the row position alone)", report.row_order),
        ("Dropped (all values missing)", report.dropped),
    ):
        if names:
            lines.append(f"**{label}:** {_names(names)}.")
            lines.append("")
    if report.near_duplicates:
        pairs = [f"{md_name(a)} ≈ {md_name(b)}" for a, b in report.near_duplicates]
        shown = ", ".join(pairs[:_MAX_NAMES])
        if len(pairs) > _MAX_NAMES:
            shown += f" and {len(pairs) - _MAX_NAMES} more"
        lines.append(f"**Near-duplicate pairs:** {shown}.")
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
                for c, v in zip(
                    f.top_features, _padded(f.top_shares, f.top_features), strict=True
                )
            )
            lines.append(
                f"| {rank} | {md_name(f.name)} | {f.kind} | {score_text(f)} "
                f"| {format_p(f.p_value)} | {explained} "
                f"| {', '.join(feature_flags(f))} |"
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
            for s in report.shift:
                lines.append(
                    f"| {md_name(s.name)} | {format_fixed(s.train_score)} "
                    f"| {format_fixed(s.test_score)} | {format_fixed(s.drop)} "
                    f"| {format_p(s.p_value)} | {'yes' if s.shifted else ''} "
                    f"| {format_p(s.marginal_p_value)} |"
                )
        else:
            lines.append("No column could be compared.")
        lines.append("")

    settings = ", ".join(
        f"{md_escape(k)}={md_escape(format_number(v, 6) if isinstance(v, float) else v)}"
        for k, v in report.settings.items()
    )
    lines.append(f"<sub>settings: {settings}; advval {md_escape(report.advval_version)}</sub>")
    return "\n".join(lines) + "\n"
