"""Markdown rendering (a pull-request comment) and the number formats shared by renderers.

Renderers never compute statistics: the helpers here only format numbers already in a
:class:`~advval.report.DriftReport`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from .._dates import format_instant  # noqa: F401 - its old import path
from .._display import HEADLINE_MAX_NAMES as HEADLINE_MAX_NAMES  # re-export
from .._display import display_name as display_name  # re-export
from .._display import format_fixed as format_fixed  # re-export
from .._display import is_finite_number as _is_number
from .._display import plain_names as plain_names  # re-export
from ..results import DriftReport, FeatureDrift, WithoutLeaks
from ._importance import importance_floor, shown_importance
from ._remedy_stop import max_drop_text

#: features listed in the Markdown table (the rest are counted, not shown)
MARKDOWN_TOP_FEATURES = 10
#: names listed in one Markdown line (leaks, dropped columns) before "and N more"
MARKDOWN_MAX_NAMES = 20

_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_WHITESPACE = re.compile(r"\s+")


def format_number(x: Any, digits: int = 3) -> str:
    """Format a float with ``digits`` significant digits; ``"n/a"`` when not finite.

    Examples
    --------
    >>> format_number(0.123456), format_number(1234.5), format_number(float("nan"))
    ('0.123', '1.23e+03', 'n/a')
    """
    if not _is_number(x):
        return "n/a"
    return f"{float(x):.{digits}g}"


def format_p(p: Any) -> str:
    """Format a p-value: 3 significant digits, scientific notation below 0.001.

    A p-value of 0 is one below what a float holds (its tail probability underflowed): it
    is shown as ``< 1e-300``, never as 0, which no test can give.

    Examples
    --------
    >>> format_p(0.04567), format_p(1.234e-20), format_p(0.0), format_p(1.0)
    ('0.0457', '1.2e-20', '< 1e-300', '1')
    """
    if not _is_number(p):
        return "n/a"
    p = float(p)
    if p < 1e-300:
        return "< 1e-300"
    if p < 1e-3:
        return f"{p:.1e}"
    return f"{p:.3g}"


def p_clause(p: Any) -> str:
    """``p=0.0457`` in a sentence; ``p < 1e-300`` for a p-value below a float's reach.

    Examples
    --------
    >>> p_clause(0.04567), p_clause(0.0)
    ('p=0.0457', 'p < 1e-300')
    """
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p={text}"


def format_count(n: Any) -> str:
    """Format a count with thousands separators.

    Examples
    --------
    >>> format_count(1234567)
    '1,234,567'
    """
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return str(n)


def ci_label(report: DriftReport) -> str:
    """``"95% CI"`` when the report's settings give the confidence level, else ``"CI"``."""
    level = report.settings.get("confidence")
    if level is not None and _is_number(level) and 0.0 < float(level) < 1.0:
        return f"{100 * float(level):g}% CI"
    return "CI"


def format_auc(report: DriftReport | WithoutLeaks) -> str:
    """``"0.734 [0.710, 0.760]"``: the AUC and its confidence interval."""
    low, high = report.auc_ci
    return f"{format_fixed(report.auc)} [{format_fixed(low)}, {format_fixed(high)}]"


def without_leaks_target(report: DriftReport) -> str:
    """``"them"`` when the leak-free check left out every leak-like column, else their names."""
    without = report.without_leaks
    if without is None or set(without.columns) == set(report.leaks):
        return "them"
    return plain_names(without.columns)


def leak_clause(report: DriftReport) -> str:
    """What the leak-like columns do to the headline, for one line of plain text.

    ``""`` without leak-like columns; else ``"with leak-like columns a, b"`` and, when
    the feature dropper checked the data without them, ``"; without them: drift
    detected, AUC 0.943 [0.931, 0.954], p=1.2e-30"``.

    Examples
    --------
    >>> from advval.report import WithoutLeaks
    >>> class R:
    ...     leaks = ("month", "date")
    ...     without_leaks = WithoutLeaks(("month", "date"), 8, 0.61, (0.58, 0.64), 2e-9, True)
    >>> print(leak_clause(R()))  # doctest: +NORMALIZE_WHITESPACE
    with leak-like columns month, date; without them: drift detected,
    AUC 0.610 [0.580, 0.640], p=2.0e-09
    """
    if not report.leaks:
        return ""
    plural = "s" if len(report.leaks) != 1 else ""
    text = f"with leak-like column{plural} {plain_names(report.leaks)}"
    without = report.without_leaks
    if without is not None:
        verdict = "drift detected" if without.drift else "no drift"
        text += (
            f"; without {without_leaks_target(report)}: {verdict}, AUC {format_auc(without)}, "
            f"{p_clause(without.p_value)}"
        )
    return text


def verdict_line(report: DriftReport) -> str:
    """One line: verdict, AUC with its interval and the p-value, and the verdict without leaks.

    Used by the command line (``advval: drift detected: AUC 0.734 [0.710, 0.760]; the
    classifier tells the sides apart (p=1.2e-20 < alpha 0.05, and the AUC's lower bound
    0.710 exceeds 0.510)``): the verdict, then which evidence decided it
    (:func:`advval.report._verdict.reason`). With leak-like columns it goes on with
    :func:`leak_clause`: ``...; with leak-like columns month, date; without them: no drift,
    AUC 0.503 [0.490, 0.516], p=0.41``.
    """
    from ._baseline_text import gate_verdict
    from ._verdict import reason  # it formats with this module's helpers

    verdict = gate_verdict(getattr(report, "baseline", None), report.drift) or (
        "drift detected" if report.drift else "no drift"
    )
    line = f"{verdict}: AUC {format_auc(report)}; {reason(report)}"
    clause = leak_clause(report)
    return f"{line}; {clause}" if clause else line


def inputs_text(report: DriftReport) -> str:
    """``"TRAIN train.csv: 1,200 rows · TEST test.csv: 800 rows · 3 features"``.

    A side whose name the caller did not give is called ``train`` / ``test``.
    """
    sides = []
    for label, name, rows in (
        ("TRAIN", report.train_name, report.n_train),
        ("TEST", report.test_name, report.n_test),
    ):
        shown = label if name is None else f"{label} {display_name(name)}"
        sides.append(f"{shown}: {format_count(rows)} rows")
    return " · ".join([*sides, f"{format_count(report.n_features)} features"])


def rows_used_text(report: DriftReport) -> str:
    """How many rows the domain classifier used, the row budget, and how to change it.

    ``""`` when the report does not know the rows used (a report built by hand).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class R:
    ...     n_train: int = 244_737; n_test: int = 82_609
    ...     n_train_used: int = 14_962; n_test_used: int = 5_038
    ...     row_budget: int = 20_000; settings: dict = None
    >>> print(rows_used_text(R(settings={"max_rows": 20_000})))  # doctest: +NORMALIZE_WHITESPACE
    The domain classifier used 20,000 of the 327,346 rows (14,962 train + 5,038 test, drawn
    in proportion from each side): the row budget is 20,000 rows. Change the budget with
    max_rows (Python) or --max-rows (command line).
    """
    if report.n_train_used is None or report.n_test_used is None:
        return ""
    used = report.n_train_used + report.n_test_used
    given = report.n_train + report.n_test
    settings = report.settings or {}
    auto = settings.get("max_rows") == "auto"
    if used < given:
        why = (
            " (max_rows='auto': past it, more rows would not change whether a shift of "
            "twice the effect floor is flagged)"
            if auto
            else ""
        )
        text = (
            f"The domain classifier used {format_count(used)} of the {format_count(given)} "
            f"rows ({format_count(report.n_train_used)} train + "
            f"{format_count(report.n_test_used)} test, drawn in proportion from each side)"
            + (
                ""
                if report.row_budget is None
                else f": the row budget is {format_count(report.row_budget)} rows{why}"
            )
            + "."
        )
    else:
        text = f"The domain classifier used all {format_count(given)} rows"
        if report.row_budget is not None:
            text += f" (within the row budget of {format_count(report.row_budget)})"
        elif auto:
            text += " (max_rows='auto': the derived budget covers them)"
        text += "."
    cap = settings.get("univariate_max_rows")
    if isinstance(cap, int | float) and _is_number(cap):
        capped = max(report.n_train, report.n_test) > cap
        text += (
            " The per-column tests and the leak screen read every row"
            + (f" (at most {format_count(cap)} a side)" if capped else "")
            + "."
        )
    return text + " Change the budget with max_rows (Python) or --max-rows (command line)."


def importance_text(feature: FeatureDrift, floor: float = 0.0) -> str:
    """``"0.512 ± 0.0213"``: mean |SHAP| and its spread across folds.

    Either below ``floor`` (:func:`~advval.report._importance.importance_floor` of the
    report's features) reads 0: the rounding noise of a sum that is really 0.
    """
    importance = shown_importance(feature.importance, floor)
    spread = shown_importance(feature.importance_std, floor)
    return f"{format_number(importance)} ± {format_number(spread)}"


def statistic_text(feature: FeatureDrift) -> str:
    """``"0.413 (KS)"``: the univariate distance and the test that produced it."""
    test = {"ks": "KS", "chi2": "TV"}.get(feature.test, feature.test)
    return f"{format_fixed(feature.statistic)} ({test})"


def md_escape(text: Any) -> str:
    r"""Escape a data-derived string for Markdown (tables included) and its raw HTML.

    Examples
    --------
    >>> md_escape("<b>a|b</b>")
    '&lt;b&gt;a\\|b&lt;/b&gt;'
    """
    text = _WHITESPACE.sub(" ", str(text))
    return _MD_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def md_name(name: Any) -> str:
    r"""A column name for Markdown: :func:`display_name`, then :func:`md_escape`.

    Examples
    --------
    >>> md_name("a|b\nc")
    "'a\\|b\\\\nc'"
    """
    return md_escape(display_name(name))


def _name_list(names: Iterable[str], limit: int = MARKDOWN_MAX_NAMES) -> str:
    names = list(names)
    shown = ", ".join(md_name(n) for n in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown


def _setting_text(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value, 6)
    if isinstance(value, (list, tuple)):
        return ", ".join(_setting_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_setting_text(v)}" for k, v in value.items())
    return str(value)


def settings_items(report: Any) -> list[tuple[str, str]]:
    """The settings as ``(name, text)`` pairs, with alpha, min_effect and the version.

    ``report`` is a DriftReport or a DependencyReport (anything with ``settings`` and
    ``advval_version``); ``alpha`` and ``min_effect`` are added when it has them.
    """
    items = {str(k): _setting_text(v) for k, v in report.settings.items()}
    for name in ("alpha", "min_effect"):
        value = getattr(report, name, None)
        if value is not None:
            items.setdefault(name, format_number(value, 6))
    items["advval version"] = str(report.advval_version)
    return list(items.items())


def remedy_summary(report: DriftReport) -> str:
    """One sentence: which columns the dropper would remove and what the AUC becomes.

    Examples
    --------
    >>> from advval.report import RemedyStep
    >>> class R:
    ...     remedy = (RemedyStep(3, 0.8, (0.78, 0.82), True, ("a",), None),
    ...               RemedyStep(2, 0.51, (0.49, 0.53), False, (), None))
    >>> remedy_summary(R())
    'Dropping 1 column (a) brings the AUC from 0.800 to 0.510; no drift remains.'

    When drift remains, it says what else to do and what the dropped columns cost:

    >>> class Left:
    ...     remedy = (RemedyStep(3, 0.7, (0.68, 0.72), True, ("a",), 0.25),
    ...               RemedyStep(2, 0.65, (0.63, 0.67), True, (), None))
    >>> remedy_summary(Left()).endswith("carry 25% of the signal for y.")
    True

    When its budget of columns ran out, it says so, and what it did not reach:

    >>> from advval.report import RemedyStop
    >>> class Budget(Left):
    ...     remedy_stop = RemedyStop("max_drop", 1, ("b",))
    >>> print(remedy_summary(Budget()))  # doctest: +NORMALIZE_WHITESPACE
    Dropping 1 column (a) brings the AUC from 0.700 to 0.650; drift remains. The remedy
    stopped at its budget of --max-drop 1 columns with drift left (AUC 0.650 without the
    1 dropped): it did not reach the columns still flagged on their own, b. --max-drop 2
    lets it try them (one more check each). The dropped columns carry 25% of the signal
    for y.
    """
    steps = report.remedy
    names = [name for step in steps for name in step.dropped]
    if not names:
        return "No column needs dropping."
    last = steps[-1]
    ending = "drift remains" if last.drift else "no drift remains"
    plural = "s" if len(names) != 1 else ""
    sentence = (
        f"Dropping {len(names)} column{plural} ({', '.join(map(display_name, names))}) "
        f"brings the AUC from "
        f"{format_fixed(steps[0].auc)} to {format_fixed(last.auc)}; {ending}."
    )
    if not last.drift:
        return sentence
    return f"{sentence} {_why_left(report, last.auc, len(names))}{_signal_cost(steps)}"


def _why_left(report: DriftReport, auc: float, dropped: int) -> str:
    """Why the remedy stopped with drift left (its ``remedy_stop``), and what else to do.

    Its budget: the budget, the columns still flagged it did not reach and the option
    (the command line's words); the columns it was told to keep; the target AUC asked
    for; otherwise (no droppable column left, or the reason not known) the drift is
    spread wider than dropping can follow: :data:`REMEDY_LEFT_NOTE`.
    """
    stop = getattr(report, "remedy_stop", None)
    reason = None if stop is None else stop.reason
    if stop is not None and reason == "max_drop" and stop.max_drop is not None:
        text = max_drop_text(stop.max_drop, auc, dropped, stop.flagged_left)
        spread = len(stop.flagged_left) >= SPREAD_COLUMNS
        return f"{text[0].upper()}{text[1:]}." + (f" {REMEDY_SPREAD_NOTE}" if spread else "")
    if reason == "protected_drift":
        return REMEDY_KEPT_NOTE
    if reason == "target_auc":
        return REMEDY_TARGET_NOTE
    return REMEDY_LEFT_NOTE


#: what to do when dropping columns leaves drift (Markdown, HTML): the shift is spread
#: over many columns, as a change of population is on a wide table
REMEDY_LEFT_NOTE = (
    "The difference is spread over more columns than those dropped, so dropping more "
    "would cost columns, not remove it: weight the train rows (AdversarialWeighter, "
    "--export-weights) or validate on the test-like rows (TestLikeSplit, "
    "--export-test-likeness) and keep the columns."
)


#: columns still flagged on their own, after the budget ran out, from which dropping them
#: all is no longer a remedy but a rebuilt table (a natural time split of a Kaggle table:
#: 68 of the flights table's 125 columns)
SPREAD_COLUMNS = 10

#: what to do besides a larger --max-drop when that many columns are still flagged
REMEDY_SPREAD_NOTE = (
    "With that many columns still flagged, the difference is spread wide: weighting the "
    "train rows (AdversarialWeighter, --export-weights) or validating on the test-like "
    "rows (TestLikeSplit, --export-test-likeness) keeps the columns."
)

#: the drift left sits in columns the dropper was told to keep (``keep``)
REMEDY_KEPT_NOTE = (
    "The remedy stopped because the drift left sits in columns it was told to keep: "
    "dropping more would remove only columns that pass their own test."
)

#: the dropper reached the target AUC it was given (``target_auc``) with drift left
REMEDY_TARGET_NOTE = (
    "The remedy stopped once the AUC reached the target it was given (target_auc), "
    "though the check still flags drift."
)


def _signal_cost(steps: Any) -> str:
    """`` The dropped columns carry N% of the model of y's signal.`` when it is known."""
    shares = [s.target_signal for s in steps if s.dropped and s.target_signal is not None]
    if not shares:
        return ""
    return f" The dropped columns carry {sum(shares):.0%} of the signal for y."


def _remedy_lines(report: DriftReport) -> list[str]:
    lines = ["### Remedy: drop drifting features", "", md_escape(remedy_summary(report)), ""]
    lines.append(
        "| features left | AUC | interval | p-value | drift | then drop | its signal for y |"
    )
    lines.append("| ---: | ---: | --- | ---: | :---: | --- | ---: |")
    for step in report.remedy:
        signal = "" if step.target_signal is None else format_fixed(step.target_signal)
        p_value = "" if step.p_value is None else format_p(step.p_value)
        lines.append(
            f"| {step.n_features} | {format_fixed(step.auc)} | "
            f"[{format_fixed(step.auc_ci[0])}, {format_fixed(step.auc_ci[1])}] | {p_value} | "
            f"{'yes' if step.drift else ''} | {_dropped_text(step.dropped)} | {signal} |"
        )
    lines.append("")
    lines.append(REMEDY_NOTE)
    lines.append("")
    return lines


#: how each row of the remedy path was checked (Markdown and HTML)
REMEDY_NOTE = (
    "Each row is a held-out check of the columns left: one model, trained like the drift "
    "check's last fold model, scored on that fold's rows (which it never saw). The first "
    "row uses every column; the leak-like columns are dropped first, together. A row drifts "
    "while that check flags drift or a column left is flagged by its own test (the "
    "verdict's other evidence); those columns go once the check no longer flags drift."
)

#: where the verdict without the leak-like columns comes from (Markdown and HTML)
WITHOUT_LEAKS_NOTE = (
    "From the remedy's first step: a held-out check (one model trained like the drift "
    "check's last fold model, scored on that fold's rows) of every other column."
)


def _without_leaks_markdown(report: DriftReport, without: WithoutLeaks) -> str:
    verdict = "drift detected" if without.drift else "no drift"
    target = without_leaks_target(report)
    named = (
        f"the leak-like columns ({_name_list(without.columns)})"
        if target == "them"
        else _name_list(without.columns)
    )
    return (
        f"**Without {named}: {verdict}**, AUC **{format_fixed(without.auc)}** "
        f"({ci_label(report)} {format_fixed(without.auc_ci[0])}–"
        f"{format_fixed(without.auc_ci[1])}), p-value {format_p(without.p_value)}. "
        f"{md_escape(WITHOUT_LEAKS_NOTE)}"
    )


def _dropped_text(dropped: tuple[str, ...]) -> str:
    return ", ".join(md_name(name) for name in dropped)


def render_markdown(report: DriftReport) -> str:
    """Render a drift report as Markdown, short enough for a pull-request comment.

    Parameters
    ----------
    report : DriftReport
        The result to render.

    Returns
    -------
    str
        A heading with the verdict, the AUC with its confidence interval and the p-value,
        the verdict rule, a table of the top features (importance ± spread, univariate
        statistic, adjusted p-value, drift and leak flags), leak warnings, the segments,
        the dataset summary and the per-column facts (every column when few, else the flagged ones),
        dropped columns and the settings. Every column name is escaped.

    See Also
    --------
    render_json, render_html, write_report
    """
    from ._baseline_text import gate_verdict

    lines: list[str] = []
    gate = gate_verdict(report.baseline, report.drift)  # with a baseline: what it decided
    verdict = "DRIFT" if report.drift else "no drift"
    if gate is not None:
        failed = report.baseline is not None and report.baseline.failed
        verdict = gate.replace("drift", verdict, 1) if failed else gate
    heading = f"## advval drift check: {verdict}"
    if report.without_leaks is not None:
        after = "DRIFT" if report.without_leaks.drift else "no drift"
        heading += f" (without leak-like columns: {after})"
    lines.append(heading)
    lines.append("")
    from ._absent import absent_sides
    from ._verdict import disagreement, reason, rule

    auc = f"AUC **{format_fixed(report.auc)}** ({ci_label(report)} " + (
        f"{format_fixed(report.auc_ci[0])}–{format_fixed(report.auc_ci[1])}), "
        f"p-value {format_p(report.p_value)}"
    )
    headline = "**Drift detected.**" if report.drift else "**No drift detected.**"
    if gate is not None:
        headline = f"**{gate[:1].upper()}{gate[1:]}.**"
    lines.append(f"{headline} {auc}: {md_escape(reason(report))}.")
    why = disagreement(report)
    if why:
        lines.append(why)
    lines.append(md_escape(rule(report)))
    lines.append("")
    from ._baseline_text import baseline_markdown

    lines.extend(baseline_markdown(report.baseline, report.segments))
    if report.without_leaks is not None:
        lines.append(_without_leaks_markdown(report, report.without_leaks))
        lines.append("")
    lines.append(md_escape(inputs_text(report)))
    used = rows_used_text(report)
    if used:
        lines.append(md_escape(used))
    lines.append("")

    if report.leaks:
        lines.append(
            "> **Possible leak:** these columns alone separate train from test almost "
            f"perfectly (an ID or a timestamp?): {_name_list(report.leaks)}. "
            "Exclude them with `--id` or `--ignore` if they are not real features."
        )
        lines.append("")

    top = report.features[:MARKDOWN_TOP_FEATURES]
    if top:
        shown = (
            f" ({len(top)} of {len(report.features)})"
            if len(report.features) > len(top)
            else ""
        )
        lines.append(f"### Top features{shown}")
        lines.append("")
        lines.append(
            "| # | feature | kind | importance (± std) | statistic | adjusted p | drift | leak |"
        )
        lines.append("| ---: | --- | --- | ---: | ---: | ---: | :---: | :---: |")
        floor = importance_floor(report.features)
        absent = absent_sides(report)
        for rank, f in enumerate(top, start=1):
            test_cells = (
                f"| {absent[f.name]} | n/a "
                if f.name in absent
                else f"| {statistic_text(f)} | {format_p(f.p_value)} "
            )
            lines.append(
                f"| {rank} | {md_name(f.name)} | {md_escape(f.kind)} | "
                f"{importance_text(f, floor)} "
                f"{test_cells}| {'yes' if f.drift else ''} "
                f"| {'yes' if f.leak else ''} |"
            )
        lines.append("")
        lines.append(
            "kind: how the column was encoded; "
            "importance: mean |SHAP| of the domain classifier (log-odds of *test*) ± its "
            "spread across folds; statistic: Kolmogorov-Smirnov D (KS) or total-variation "
            "distance (TV); adjusted p: univariate test after multiple-testing correction."
        )
        lines.append("")

    from ._facts_text import facts_markdown, summary_markdown
    from ._segments_text import segments_markdown

    lines.extend(segments_markdown(report))

    if report.summary is not None:
        lines.extend(summary_markdown(report.summary))
    lines.extend(facts_markdown(report.column_facts))

    if report.remedy:
        lines.extend(_remedy_lines(report))

    if report.dropped_columns:
        lines.append(f"Dropped before the check: {_name_list(report.dropped_columns)}.")
        lines.append("")

    from ._reading_notes import reading_notes_markdown

    lines.extend(reading_notes_markdown(report.reading_notes))

    lines.append("<details><summary>Settings</summary>")
    lines.append("")
    lines.append("| setting | value |")
    lines.append("| --- | --- |")
    for key, value in settings_items(report):
        lines.append(f"| {md_escape(key)} | {md_escape(value)} |")
    lines.append("")
    lines.append("</details>")
    lines.append("")
    return "\n".join(lines)
