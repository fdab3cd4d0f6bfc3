"""The HTML drift report's table of every column, its dataset summary card and its script.

Every column of the check gets a row (importance, univariate statistic and p-value, the
per-column facts, flags) and a small plot of its train and test shares inside a
``<details>`` element, opened on demand without any script. The one inline script
(``templates/columns.js``) only sorts and filters the rows; the page lists its sha256 in
its Content-Security-Policy (:func:`script_source`), so no other script can run, and the
table reads in full with scripts off. The size stays bounded: a row is a few hundred bytes
plus its plot (about a kilobyte), whatever the number of rows of the data.

Renders only: every number comes from the :class:`~advval.report.DriftReport`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from importlib import resources
from typing import Any

from ..results import ColumnFacts, DatasetSummary, Distribution, DriftReport, FeatureDrift
from . import _svg
from ._absent import absent_side
from ._importance import importance_floor, shown_importance
from ._markdown import format_count, format_fixed, format_number, format_p

#: what the table calls the flags of a column (drift verdicts, then the per-column facts)
FLAG_LABELS = {
    "drift": "drift",
    "leak": "leak",
    "missing_rate": "missing rate",
    "unseen_levels": "new levels",
    "gone_levels": "gone levels",
    "constant_train": "constant in train",
    "constant_test": "constant in test",
    "out_of_range": "out of range",
}
#: a column's most frequent value is written under its plot from this share of one side
NEAR_CONSTANT = 0.9
#: the script that sorts and filters the table (package data)
SCRIPT_FILE = "columns.js"


@functools.cache
def table_script() -> str:
    """The inline script of the table, exactly as the page holds it.

    Examples
    --------
    >>> "</script" in table_script().lower()
    False
    """
    text = resources.files("advval.report").joinpath("templates", SCRIPT_FILE).read_text(
        encoding="utf-8"
    )
    if "</script" in text.lower() or "<!--" in text:  # would end or confuse the element
        raise RuntimeError(f"templates/{SCRIPT_FILE} must not contain '</script' or '<!--'")
    return text


def script_source(script: str) -> str:
    """The CSP source that allows exactly ``script`` as an inline script: its sha256.

    Examples
    --------
    >>> script_source("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def distribution_facts(dist: Distribution) -> list[str]:
    """What a distribution's levels show, as sentences (distinct values, unseen shares)."""
    facts = []
    if dist.n_levels is not None:
        facts.append(
            f"{format_count(dist.n_levels[0])} distinct values in train, "
            f"{format_count(dist.n_levels[1])} in test"
        )
    if dist.unseen_test is not None and dist.unseen_train is not None:
        facts.append(
            f"values unseen on the other side: {share_text(dist.unseen_test)} of test rows, "
            f"{share_text(dist.unseen_train)} of train rows (rows with a value)"
        )
    return facts


def share_text(x: float) -> str:
    """A share as a percentage that never rounds to 0% or 100% unless it is exactly that.

    Examples
    --------
    >>> share_text(1.0), share_text(0.38234), share_text(0.9999), share_text(2e-5), share_text(0)
    ('100%', '38.2%', '>99.9%', '<0.1%', '0%')
    """
    value = 100 * float(x)
    if value <= 0:
        return "0%"
    if value >= 100:
        return "100%"
    if value < 0.1:
        return "<0.1%"
    if value > 99.9:
        return ">99.9%"
    return f"{value:.1f}%"


def _sort_value(x: float | None) -> str:
    """A cell's ``data-v``: the number the script sorts by (``""``: none, sorted last)."""
    if x is None or not math.isfinite(float(x)):
        return ""
    return f"{float(x):.6g}"


def columns_context(report: DriftReport, name_text: Any) -> dict[str, Any]:
    """The table of every column: its rows, the filters' choices and what it shows.

    Parameters
    ----------
    report : DriftReport
    name_text : callable
        How the page shows a column name (display form, clipped).

    Returns
    -------
    dict
        ``rows`` (one per feature, importance order), ``kinds`` and ``flags`` (the
        choices of the filters: ``(value, label)``), ``has_facts``, ``has_plots``.
    """
    facts = {f.name: f for f in report.column_facts}
    plots = {d.name: d for d in report.distributions}
    floor = importance_floor(report.features)
    rows = [
        _row(rank, f, facts.get(f.name), plots.get(f.name), name_text, floor)
        for rank, f in enumerate(report.features, start=1)
    ]
    present = {flag for row in rows for flag in row["flags"]}
    flags = [(key, label) for key, label in FLAG_LABELS.items() if key in present]
    flags += [(key, key) for key in sorted(present - set(FLAG_LABELS))]
    return {
        "rows": rows,
        "kinds": sorted({f.kind for f in report.features}),
        "flags": flags,
        "has_facts": bool(facts),
        "has_plots": bool(plots),
    }


def _row(
    rank: int,
    feature: FeatureDrift,
    facts: ColumnFacts | None,
    dist: Distribution | None,
    name_text: Any,
    floor: float = 0.0,
) -> dict[str, Any]:
    flags = [key for key, on in (("drift", feature.drift), ("leak", feature.leak)) if on]
    if facts is not None:
        flags += [flag for flag in facts.flags if flag not in flags]
    row: dict[str, Any] = {
        "rank": rank,
        "name": name_text(feature.name),
        "kind": feature.kind,
        "importance": format_number(shown_importance(feature.importance, floor)),
        "importance_std": format_number(shown_importance(feature.importance_std, floor)),
        "importance_v": _sort_value(shown_importance(feature.importance, floor)),
        "statistic": format_fixed(feature.statistic),
        "statistic_v": _sort_value(feature.statistic),
        "test": {"ks": "KS D", "chi2": "TV"}.get(feature.test, feature.test),
        "p_value": format_p(feature.p_value),
        "p_value_v": _sort_value(feature.p_value),
        "flags": flags,
        "badges": [
            (flag if flag in ("drift", "leak") else "fact", FLAG_LABELS.get(flag, flag))
            for flag in flags
        ],
        "svg": None,
        "facts": [],
    }
    if facts is not None:
        row.update(_facts_cells(facts))
        absent = absent_side({feature.name: facts}, feature.name)
        if absent is not None:  # no distance to show: the numbers would read "no change"
            row.update(statistic=absent, test="", p_value="n/a")
    if dist is not None:
        row["svg"] = _svg.small_distribution_chart(dist)
        measure = [f"bins: {dist.measure}"] if dist.measure else []
        row["facts"] = measure + distribution_facts(dist) + row["facts"]
    return row


def _facts_cells(facts: ColumnFacts) -> dict[str, Any]:
    """The missing-share and new-values cells of a row, and the facts under its plot."""
    change = abs(facts.missing_test - facts.missing_train)
    missing = f"{share_text(facts.missing_train)} → {share_text(facts.missing_test)}"
    if facts.unseen_share is not None:
        new = f"{share_text(facts.unseen_share)}"
        if facts.unseen_levels:
            new += f" ({format_count(facts.unseen_levels)} levels)"
        new_v = facts.unseen_share
    elif facts.out_of_range_share is not None:
        new_v = facts.out_of_range_share
        new = share_text(new_v)
    else:
        new, new_v = "", None
    lines = []
    if facts.missing_p_value is not None:
        lines.append(
            f"missing: {share_text(facts.missing_train)} of train, "
            f"{share_text(facts.missing_test)} of test "
            f"(adjusted p {format_p(facts.missing_p_value)})"
        )
    if facts.gone_levels:
        lines.append(
            f"{format_count(facts.gone_levels)} train levels never in test "
            f"({share_text(facts.gone_share or 0.0)} of train rows with a value)"
        )
    low, high = facts.out_of_range_low, facts.out_of_range_high
    if low is not None and high is not None and (low or high):
        lines.append(
            f"test values outside the train range: {share_text(low)} below its minimum, "
            f"{share_text(high)} above its maximum"
        )
    if max(facts.dominant_train, facts.dominant_test) >= NEAR_CONSTANT:
        lines.append(
            f"most frequent value: {share_text(facts.dominant_train)} of train, "
            f"{share_text(facts.dominant_test)} of test (rows with a value)"
        )
    return {
        "missing": missing,
        "missing_v": _sort_value(change),
        "new": new,
        "new_v": _sort_value(new_v),
        "facts": lines,
    }


def summary_context(summary: DatasetSummary | None, name_list: Any) -> dict[str, Any] | None:
    """The dataset summary card: each side's rows, kinds, missing and duplicate shares."""
    if summary is None:
        return None
    sides = []
    for side, data in (("train", summary.train), ("test", summary.test)):
        sides.append(
            {
                "side": side,
                "rows": format_count(data.rows),
                "kinds": ", ".join(
                    f"{format_count(count)} {kind}" for kind, count in data.columns_by_kind
                ),
                "missing": share_text(data.missing_share),
                "duplicates": share_text(data.duplicate_rows_share),
            }
        )
    everything = summary.test_rows_in_train_all_columns
    return {
        "sides": sides,
        "in_train": share_text(summary.test_rows_in_train),
        "in_train_all": None if everything is None else share_text(everything),
        "excluded": name_list(summary.excluded_columns),
    }

