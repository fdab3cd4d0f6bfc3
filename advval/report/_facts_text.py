"""Words for the per-column facts and the dataset summary: Markdown tables and one line.

Renderers share these: the flag names in plain words (:data:`FLAG_TEXT`), a share as a
percentage (:func:`format_share`), the Markdown sections and the terminal's line.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..results import ColumnFacts, DatasetSummary, SideSummary
from ._markdown import format_count, format_p, md_escape, md_name

#: the flags of :class:`ColumnFacts`, in words
FLAG_TEXT = {
    "missing_rate": "missing rate changed",
    "unseen_levels": "levels unseen in train",
    "gone_levels": "levels gone from test",
    "constant_train": "constant in train",
    "constant_test": "constant in test",
    "out_of_range": "outside the train range",
}
#: with at most this many columns the Markdown facts table lists every column
FACTS_ALL_COLUMNS = 10
#: at most this many flagged columns in the Markdown facts table
FACTS_MAX_ROWS = 25


def format_share(share: float | None) -> str:
    """A share in [0, 1] as a percentage: 3 significant digits, ``""`` for ``None``.

    Examples
    --------
    >>> format_share(0.1234), format_share(0.000123), format_share(0.0), format_share(None)
    ('12.3%', '0.0123%', '0%', '')
    """
    if share is None:
        return ""
    return f"{100.0 * share:.3g}%"


def flags_text(flags: Sequence[str]) -> str:
    """The flags in words, comma-separated.

    Examples
    --------
    >>> flags_text(("missing_rate", "constant_test"))
    'missing rate changed, constant in test'
    """
    return ", ".join(FLAG_TEXT.get(flag, flag) for flag in flags)


def _kinds_text(side: SideSummary) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in side.columns_by_kind) or "none"


def summary_markdown(summary: DatasetSummary) -> list[str]:
    """The dataset summary card as a Markdown table and a sentence on shared rows.

    Examples
    --------
    >>> from advval.report import DatasetSummary, SideSummary
    >>> side = SideSummary(rows=100, columns_by_kind=(("numeric", 2),),
    ...                    missing_share=0.01, duplicate_rows_share=0.0)
    >>> lines = summary_markdown(DatasetSummary(side, side, 0.05, 0.0, ("id",)))
    >>> lines[-2].split("; ")[1]
    '0% with the excluded columns too (id).'
    """
    train, test = summary.train, summary.test
    lines = [
        "### Dataset",
        "",
        "| | train | test |",
        "| --- | ---: | ---: |",
        f"| rows | {format_count(train.rows)} | {format_count(test.rows)} |",
        f"| columns | {_kinds_text(train)} | {_kinds_text(test)} |",
        f"| missing cells | {format_share(train.missing_share)} "
        f"| {format_share(test.missing_share)} |",
        f"| duplicated rows | {format_share(train.duplicate_rows_share)} "
        f"| {format_share(test.duplicate_rows_share)} |",
        "",
    ]
    sentence = (
        "Test rows that exactly match a train row: "
        f"{format_share(summary.test_rows_in_train)} (checked columns)"
    )
    if summary.test_rows_in_train_all_columns is not None:
        names = ", ".join(md_escape(name) for name in summary.excluded_columns)
        sentence += (
            f"; {format_share(summary.test_rows_in_train_all_columns)} with the excluded "
            f"columns too ({names})"
        )
    lines.extend([sentence + ".", ""])
    return lines


def _levels_text(levels: int | None, share: float | None) -> str:
    if levels is None:
        return ""
    return f"{format_count(levels)} ({format_share(share)})" if levels else "0"


def facts_markdown(facts: Sequence[ColumnFacts]) -> list[str]:
    """The per-column facts as a Markdown table: every column if few, else the flagged.

    Examples
    --------
    >>> from advval.report import ColumnFacts
    >>> fact = ColumnFacts("age", "numeric", 0.05, 0.2, 1e-9, None, None, None, None,
    ...                    0.01, 0.2, 0.0, ("missing_rate",))
    >>> facts_markdown([fact])[4]
    '| age | numeric | 5% → 20% | 1.0e-09 |  |  | 1% / 20% | 0% | missing rate changed |'
    """
    if not facts:
        return []
    flagged = [fact for fact in facts if fact.flags]
    if len(facts) <= FACTS_ALL_COLUMNS:
        shown, title = list(facts), "### Column facts"
    else:
        shown = flagged[:FACTS_MAX_ROWS]
        title = f"### Column facts ({len(flagged)} of {len(facts)} columns flagged)"
    lines = [title, ""]
    if not shown:
        return [*lines, "No column is flagged.", ""]
    lines.extend(
        [
            "| column | kind | missing train → test | adjusted p "
            "| levels new in test (test rows) | levels gone from test (train rows) "
            "| top value train / test | outside train range "
            "| flags |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
    )
    for fact in shown:
        p_value = "" if fact.missing_p_value is None else format_p(fact.missing_p_value)
        lines.append(
            f"| {md_name(fact.name)} | {md_escape(fact.kind)} "
            f"| {format_share(fact.missing_train)} → {format_share(fact.missing_test)} "
            f"| {p_value} | {_levels_text(fact.unseen_levels, fact.unseen_share)} "
            f"| {_levels_text(fact.gone_levels, fact.gone_share)} "
            f"| {format_share(fact.dominant_train)} / {format_share(fact.dominant_test)} "
            f"| {format_share(fact.out_of_range_share)} | {flags_text(fact.flags)} |"
        )
    if len(flagged) > len(shown) and len(facts) > FACTS_ALL_COLUMNS:
        lines.append("")
        lines.append(f"… and {len(flagged) - len(shown)} more flagged columns (see the JSON).")
    lines.extend(
        [
            "",
            "Counted on every row, no model. Missing rate: the change is tested (chi-squared, "
            "Fisher's exact test on small counts; adjusted p after multiple-testing "
            "correction). Levels new in test: how many levels train never has, and the "
            "share of test rows holding them; levels gone from test: how many levels test "
            "never has, and the share of train rows holding them. Top value: the share of "
            "the most frequent value (missing included). Outside train range: test rows "
            "below the train minimum or above its maximum.",
            "",
        ]
    )
    return lines


def facts_line(facts: Sequence[ColumnFacts], summary: DatasetSummary | None) -> str:
    """One line for the terminal: columns per flag, and the test rows found in train.

    Examples
    --------
    >>> from advval.report import ColumnFacts
    >>> fact = ColumnFacts("c", "categorical", 0.0, 0.0, None, 2, 0.3, 0, 0.0,
    ...                    0.5, 0.4, None, ("unseen_levels",))
    >>> facts_line([fact], None)
    'column facts: levels unseen in train in 1 column'
    """
    counts: dict[str, int] = {}
    for fact in facts:
        for flag in fact.flags:
            counts[flag] = counts.get(flag, 0) + 1
    parts = [
        f"{FLAG_TEXT[flag]} in {counts[flag]} column{'' if counts[flag] == 1 else 's'}"
        for flag in FLAG_TEXT
        if flag in counts
    ]
    if summary is not None and summary.test_rows_in_train > 0:
        parts.append(f"{format_share(summary.test_rows_in_train)} of test rows found in train")
    return "column facts: " + ("; ".join(parts) if parts else "nothing flagged")
