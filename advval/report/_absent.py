"""What a drift report shows instead of a column's distance when one side has no value of it.

A column missing in every test row has no distribution to compare: its per-column test
reads "KS D 0.000, adjusted p 1", which says "no change" where everything changed. The
Markdown, HTML and command-line summaries say "missing in every test row" there instead;
the JSON report and the baseline file keep the numbers (``advval baseline accept`` and
``--baseline`` compare them).
"""

from __future__ import annotations

from collections.abc import Mapping

from advval.results import ColumnFacts, DriftReport


def absent_sides(report: DriftReport) -> dict[str, str]:
    """Column name -> ``"missing in every test row"`` (or train) for each column with no
    value on one side, from the report's column facts (:func:`absent_side`); empty
    without facts."""
    facts = {f.name: f for f in report.column_facts}
    found = {name: absent_side(facts, name) for name in facts}
    return {name: text for name, text in found.items() if text is not None}


def absent_side(facts: Mapping[str, ColumnFacts], name: str) -> str | None:
    """``"missing in every test row"`` / ``"missing in every train row"`` for column
    ``name`` when its facts say so, else None.

    Examples
    --------
    >>> facts = ColumnFacts(name="bonus", kind="numeric", missing_train=0.0, missing_test=1.0,
    ...                     missing_p_value=1e-9, unseen_levels=None, unseen_share=None,
    ...                     gone_levels=None, gone_share=None, dominant_train=0.01,
    ...                     dominant_test=1.0, out_of_range_share=None, flags=())
    >>> absent_side({"bonus": facts}, "bonus"), absent_side({"bonus": facts}, "other")
    ('missing in every test row', None)
    """
    column = facts.get(name)
    if column is None:
        return None
    if column.missing_test >= 1.0 and column.missing_train < 1.0:
        return "missing in every test row"
    if column.missing_train >= 1.0 and column.missing_test < 1.0:
        return "missing in every train row"
    return None
