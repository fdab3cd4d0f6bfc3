"""HTML rendering: one self-contained file, no network access, every data string escaped.

The page is a Jinja2 template (package data ``templates/drift.html.j2``, which extends the
shared ``templates/_base.html.j2``: head, Content-Security-Policy, inline CSS) rendered with
``autoescape=True`` by :func:`render_page`, which the dependency report uses too. Charts are
inline SVG drawn by :mod:`advval.report._svg`, which escapes every label before the
fragment is marked safe. The CSP forbids fetching anything. The size is bounded: at most
``HTML_TOP_FEATURES`` rows in the table, ``HTML_CHART_FEATURES`` bars and
``HTML_MAX_OVERLAYS`` distribution plots, whatever the number of rows or columns.

jinja2 is imported inside :func:`render_page` only, so ``import advval`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _svg
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
from ._result import Distribution, DriftReport, FeatureDrift
from ._verdict import disagreement, reason, rule

#: features listed in the HTML table
HTML_TOP_FEATURES = 25
#: features in the importance chart
HTML_CHART_FEATURES = 15
#: distribution overlays drawn
HTML_MAX_OVERLAYS = 12
#: names listed (leaks, dropped columns) before "and N more"
HTML_MAX_NAMES = 50
#: characters of a column name shown in the table
HTML_MAX_NAME_CHARS = 120

#: the page may use its own inline CSS and data: images, and nothing else
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


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


def page_context(report: Any) -> dict[str, Any]:
    """What the base page and the settings list need from any report."""
    return {
        "settings": settings_items(report),
        "version": str(report.advval_version),
        "csp": CONTENT_SECURITY_POLICY,
    }


def _context(report: DriftReport) -> dict[str, Any]:
    """Everything the template shows, as formatted strings and escaped SVG strings."""
    features = report.features[:HTML_TOP_FEATURES]
    by_name = {str(f.name): f for f in report.features}
    return {
        "drift": bool(report.drift),
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
        "n_drifting": sum(f.drift for f in report.features),
        "roc_svg": _svg.roc_chart(report.roc, report.auc),
        "likeness_svg": _svg.distribution_chart(
            report.test_likeness,
            title="Out-of-fold P(test) for train rows and test rows",
        ),
        "importance_svg": (
            _svg.importance_chart(report.features[:HTML_CHART_FEATURES])
            if report.features
            else None
        ),
        "n_chart": min(len(report.features), HTML_CHART_FEATURES),
        "leaks_off_scale": _svg.off_scale(report.features[:HTML_CHART_FEATURES]),
        "features": [
            {
                "rank": rank,
                "name": name_text(f.name),
                "kind": f.kind,
                "importance": format_number(f.importance),
                "importance_std": format_number(f.importance_std),
                "statistic": format_fixed(f.statistic),
                "test": {"ks": "KS D", "chi2": "TV"}.get(f.test, f.test),
                "p_value": format_p(f.p_value),
                "drift": bool(f.drift),
                "leak": bool(f.leak),
            }
            for rank, f in enumerate(features, start=1)
        ],
        "n_features_listed": len(report.features),
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
        "fold_aucs": ", ".join(format_fixed(a) for a in report.fold_aucs),
        **page_context(report),
    }


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
    return {
        "name": name_text(dist.name),
        "kind": feature.kind if feature is not None else dist.kind,
        "measure": dist.measure,
        "leak": bool(feature is not None and feature.leak),
        "facts": facts,
        "svg": _svg.distribution_chart(dist, width=340, height=200),
    }


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
        fold spread, feature table, distribution overlays, leak warnings, dropped columns
        and settings. Inline CSS and SVG only; a Content-Security-Policy forbids any fetch;
        every data-derived string is escaped; the size does not grow with the number of
        rows and is capped in the number of features.

    See Also
    --------
    render_json, render_markdown, write_report
    """
    from markupsafe import Markup

    context = _context(report)
    for overlay in context["overlays"]:  # escaped by _svg, like the other charts
        overlay["svg"] = Markup(overlay["svg"])
    return render_page(
        "drift.html.j2", context, svg_keys=("roc_svg", "likeness_svg", "importance_svg")
    )


def render_page(template: str, context: dict[str, Any], *, svg_keys: Sequence[str] = ()) -> str:
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

    Returns
    -------
    str
        The page.
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
    for key in svg_keys:
        if context[key] is not None:
            context[key] = Markup(context[key])
    return env.get_template(template).render(context)
