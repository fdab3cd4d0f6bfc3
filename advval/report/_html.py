"""HTML rendering: one self-contained file, no network access, every data string escaped.

The page is a Jinja2 template (package data ``templates/drift.html.j2``, which extends the
shared ``templates/_base.html.j2``: head, Content-Security-Policy, inline CSS) rendered with
``autoescape=True`` by :func:`render_page`, which the dependency report uses too. Charts are
inline SVG drawn by :mod:`advval.report._svg`, which escapes every label before the
fragment is marked safe. The CSP forbids fetching anything; the drift page's one inline
script (sorting and filtering the table of every column, :mod:`advval.report._columns`)
runs because the CSP names its sha256, and no other script can. The size is bounded: one
row and one small plot (about a kilobyte) per column, ``HTML_CHART_FEATURES`` bars and
``HTML_MAX_OVERLAYS`` large distribution plots, whatever the number of rows.

jinja2 is imported inside :func:`render_page` only, so ``import advval`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from typing import Any

from ..results import Distribution, DriftReport, FeatureDrift
from . import _svg
from ._absent import absent_sides
from ._baseline_text import baseline_context, gate_verdict
from ._columns import (
    columns_context,
    distribution_facts,
    script_source,
    share_text,
    summary_context,
    table_script,
)
from ._markdown import (
    REMEDY_NOTE,
    WITHOUT_LEAKS_NOTE,
    ci_label,
    display_name,
    format_count,
    format_fixed,
    format_number,
    format_p,
    remedy_summary,
    rows_used_text,
    settings_items,
    without_leaks_target,
)
from ._segments_html import segments_context
from ._verdict import disagreement, reason, rule

#: features in the importance chart
HTML_CHART_FEATURES = 15
#: distribution overlays drawn
HTML_MAX_OVERLAYS = 12
#: names listed (leaks, dropped columns) before "and N more"
HTML_MAX_NAMES = 50
#: characters of a column name shown in the table
HTML_MAX_NAME_CHARS = 120
#: the reports' stylesheet, package data under ``templates/``
CSS_FILE = "report.css"

#: the page may use its own inline CSS and data: images, and nothing else
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

__all__ = ["CONTENT_SECURITY_POLICY", "render_html", "render_page", "share_text"]


def content_security_policy(scripts: Sequence[str] = ()) -> str:
    """The page's CSP: :data:`CONTENT_SECURITY_POLICY`, plus exactly these inline scripts.

    Each script is allowed by its sha256 (never ``'unsafe-inline'``); without scripts no
    ``script-src`` is given, so ``default-src 'none'`` forbids every script.

    Examples
    --------
    >>> content_security_policy() == CONTENT_SECURITY_POLICY
    True
    >>> content_security_policy([""]).split("; ")[-1]
    "script-src 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    if not scripts:
        return CONTENT_SECURITY_POLICY
    return f"{CONTENT_SECURITY_POLICY}; script-src " + " ".join(script_source(s) for s in scripts)


def clip(name: object, limit: int = HTML_MAX_NAME_CHARS) -> str:
    """A column name cut to ``limit`` characters with an ellipsis (the page's size bound)."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def name_text(name: object) -> str:
    r"""A column name as the page shows it: :func:`display_name`, clipped.

    Examples
    --------
    >>> name_text("age"), name_text("a\nb"), name_text("")
    ('age', "'a\\nb'", "''")
    """
    return clip(display_name(name))


def name_list(names: Sequence[str]) -> dict[str, Any]:
    """``{"shown": [...], "more": n}`` for the template's ``name_list`` macro."""
    return {
        "shown": [name_text(n) for n in names[:HTML_MAX_NAMES]],
        "more": max(len(names) - HTML_MAX_NAMES, 0),
    }


def page_context(report: Any, *, scripts: Sequence[str] = ()) -> dict[str, Any]:
    """What the base page and the settings list need from any report.

    ``scripts`` are the page's inline scripts, exactly as it holds them: the CSP allows
    those and no other.
    """
    return {
        "settings": settings_items(report),
        "version": str(report.advval_version),
        "csp": content_security_policy(scripts),
    }


def _context(report: DriftReport, max_columns: int | None = None) -> dict[str, Any]:
    """Everything the template shows, as formatted strings and escaped SVG strings.

    ``max_columns``: rows of the column table (the most important columns; ``None``: all).
    """
    by_name = {str(f.name): f for f in report.features}
    gate = gate_verdict(report.baseline, report.drift)  # with a baseline: what it decided
    verdict = gate or ("drift detected" if report.drift else "no drift")
    return {
        "drift": bool(report.drift),
        "verdict": verdict,
        "headline": gate[:1].upper() + gate[1:] if gate else None,
        "accepted_drift": gate is not None and not (report.baseline and report.baseline.failed),
        "reason": reason(report),
        "disagreement": disagreement(report),
        "rule": rule(report),
        "auc": format_fixed(report.auc),
        "ci_label": ci_label(report),
        "ci_low": format_fixed(report.auc_ci[0]),
        "ci_high": format_fixed(report.auc_ci[1]),
        "p_value": format_p(report.p_value),
        "alpha": format_number(report.alpha),
        "min_effect": format_number(report.min_effect),
        "threshold": format_number(0.5 + report.min_effect),
        "n_train": format_count(report.n_train),
        "n_test": format_count(report.n_test),
        "n_features": format_count(report.n_features),
        "train_name": None if report.train_name is None else name_text(report.train_name),
        "test_name": None if report.test_name is None else name_text(report.test_name),
        "n_used": _rows_used(report),
        "rows_used": rows_used_text(report),
        "without_leaks": _without_leaks(report),
        "baseline": baseline_context(report.baseline, segments=report.segments),
        "n_drifting": sum(f.drift for f in report.features),
        "roc_svg": _svg.roc_chart(report.roc, report.auc),
        "likeness_svg": _svg.distribution_chart(
            report.test_likeness,
            title="Out-of-fold P(test) for train rows and test rows",
        ),
        "importance_svg": (
            _svg.importance_chart(
                report.features[:HTML_CHART_FEATURES], absent=absent_sides(report)
            )
            if report.features
            else None
        ),
        "n_chart": min(len(report.features), HTML_CHART_FEATURES),
        "leaks_off_scale": _svg.off_scale(report.features[:HTML_CHART_FEATURES]),
        "columns": _columns(report, max_columns),
        "summary": summary_context(report.summary, name_list),
        "segments": segments_context(report),
        "table_script": table_script(),
        "overlays": [
            _overlay(d, by_name.get(str(d.name))) for d in report.overlays[:HTML_MAX_OVERLAYS]
        ],
        "leaks": name_list(report.leaks),
        "remedy_summary": remedy_summary(report) if report.remedy else None,
        "remedy_note": REMEDY_NOTE,
        "remedy_has_p": any(step.p_value is not None for step in report.remedy),
        "remedy_has_signal": any(step.target_signal is not None for step in report.remedy),
        "remedy": [
            {
                "n_features": step.n_features,
                "auc": format_fixed(step.auc),
                "ci": f"[{format_fixed(step.auc_ci[0])}, {format_fixed(step.auc_ci[1])}]",
                "drift": step.drift,
                "p_value": "" if step.p_value is None else format_p(step.p_value),
                "dropped": ", ".join(name_text(name) for name in step.dropped),
                "signal": "" if step.target_signal is None else format_fixed(step.target_signal),
            }
            for step in report.remedy
        ],
        "dropped": name_list(report.dropped_columns),
        "reading_notes": list(report.reading_notes),
        "fold_aucs": ", ".join(format_fixed(a) for a in report.fold_aucs),
        **page_context(report, scripts=[table_script()]),
    }


def _columns(report: DriftReport, max_columns: int | None) -> dict[str, Any]:
    """The column table; cut to the ``max_columns`` most important, ``more`` says how many
    were left out (the filters' choices then cover the rows shown)."""
    total = len(report.features)
    shown = report.features if max_columns is None else report.features[:max_columns]
    if len(shown) < total:
        report = replace(report, features=shown)
    return {**columns_context(report, name_text), "more": total - len(shown)}


def _rows_used(report: DriftReport) -> str | None:
    """``"20,000 of 327,346"`` (or ``"all 2,000"``) rows used by the classifier, if known."""
    if report.n_train_used is None or report.n_test_used is None:
        return None
    used, given = report.n_train_used + report.n_test_used, report.n_train + report.n_test
    if used >= given:
        return f"all {format_count(given)}"
    return f"{format_count(used)} of {format_count(given)}"


def _without_leaks(report: DriftReport) -> dict[str, Any] | None:
    without = report.without_leaks
    if without is None:
        return None
    target = without_leaks_target(report)
    return {
        "drift": bool(without.drift),
        "auc": format_fixed(without.auc),
        "ci_low": format_fixed(without.auc_ci[0]),
        "ci_high": format_fixed(without.auc_ci[1]),
        "p_value": format_p(without.p_value),
        "n_features": format_count(without.n_features),
        "columns": name_list(without.columns),
        "all_leaks": target == "them",
        "note": WITHOUT_LEAKS_NOTE,
    }


def _overlay(dist: Distribution, feature: FeatureDrift | None) -> dict[str, Any]:
    """One distribution card: the chart, the column's kind and what its levels show."""
    return {
        "name": name_text(dist.name),
        "kind": feature.kind if feature is not None else dist.kind,
        "measure": dist.measure,
        "leak": bool(feature is not None and feature.leak),
        "facts": distribution_facts(dist),
        "svg": _svg.distribution_chart(dist, width=340, height=200),
    }


def render_html(report: DriftReport) -> str:
    """Render a drift report as one self-contained HTML page.

    Parameters
    ----------
    report : DriftReport
        The result to render.

    Returns
    -------
    str
        A complete HTML document: verdict banner (AUC with confidence interval, p-value,
        alpha, min_effect), ROC curve, histograms of test-likeness, importance chart with
        fold spread, dataset summary, the table of every column (sortable, filterable,
        each column's distribution on demand), large distribution plots of the top
        features, leak warnings, dropped columns and settings. Inline CSS and SVG, and one
        inline script that only sorts and filters the table (the page reads in full
        without it); a Content-Security-Policy forbids any fetch and any other script;
        every data-derived string is escaped; the size does not grow with the number of
        rows and grows by about a kilobyte per column.

    See Also
    --------
    render_json, render_markdown, write_report
    """
    return render_page("drift.html.j2", drift_context(report), svg_keys=DRIFT_SVG_KEYS)


#: the drift context's chart entries :func:`render_page` marks safe
DRIFT_SVG_KEYS = ("roc_svg", "likeness_svg", "importance_svg")


def drift_context(report: DriftReport, *, max_columns: int | None = None) -> dict[str, Any]:
    """The drift template's variables, with the nested SVG fragments marked safe.

    The page (:func:`render_html`) and the notebook fragment
    (:mod:`advval.report._notebook`, which lists ``max_columns`` columns) render this.
    """
    from markupsafe import Markup

    context = _context(report, max_columns)
    for overlay in context["overlays"]:  # escaped by _svg, like the other charts
        overlay["svg"] = Markup(overlay["svg"])
    for row in context["columns"]["rows"]:
        if row["svg"] is not None:
            row["svg"] = Markup(row["svg"])
    for row in context["segments"]["rows"] if context["segments"] else ():
        row["svg"] = Markup(row["svg"])  # escaped by _segments_html, like the other charts
    context["table_script"] = Markup(context["table_script"])  # static package data
    return context


def report_css() -> str:
    """The reports' CSS (package data ``templates/report.css``, its opening comment left out).

    Examples
    --------
    >>> report_css().startswith(":root {")
    True
    """
    text = resources.files("advval.report").joinpath("templates", CSS_FILE).read_text(
        encoding="utf-8"
    )
    if text.startswith("/*"):
        text = text[text.index("*/") + 2 :].lstrip("\n")
    if "</" in text:  # would end the style element
        raise RuntimeError(f"templates/{CSS_FILE} must not contain '</'")
    return text


def render_page(
    template: str,
    context: dict[str, Any],
    *,
    svg_keys: Sequence[str] = (),
    fragment: bool = False,
) -> str:
    """Render one of the package's HTML templates with autoescaping.

    Parameters
    ----------
    template : str
        File name under ``advval/report/templates`` (extending ``_base.html.j2``).
    context : dict
        The template's variables; ``csp`` and ``version`` are required by the base page.
        Every string is escaped on output except the ``svg_keys`` entries.
    svg_keys : sequence of str
        Context entries holding SVG fragments from :mod:`advval.report._svg` (or None).
        Those escape every label themselves, so they are marked safe here, and only here.
    fragment : bool, default=False
        Render the notebook fragment instead of the page: the template's blocks in the
        layout ``_notebook.html.j2``, with the CSS scoped to its element
        (:func:`advval.report._notebook.scope_css`).

    Returns
    -------
    str
        The page (or the fragment).
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(
        loader=PackageLoader("advval.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    context = dict(context)
    css = report_css()
    if fragment:
        from ._notebook import SCOPE, scope_css

        context.update(layout="_notebook.html.j2", scope=SCOPE, css=Markup(scope_css(css)))
        context.setdefault("card_only", False)
        context.setdefault("fragment_note", "")
    else:
        context.update(layout="_base.html.j2", css=Markup(css))  # static package data
    for key in svg_keys:
        if context[key] is not None:
            context[key] = Markup(context[key])
    return env.get_template(template).render(context)
