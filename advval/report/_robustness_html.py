"""HTML rendering of a robustness report (``advval attack --format html``), and its summary.

Same page as the drift and dependency reports (``templates/robustness.html.j2`` extends
``_base.html.j2``: one self-contained file, a Content-Security-Policy that forbids any
fetch, inline CSS, no script) and the same escaping: Jinja2 autoescapes every data string,
and the charts are inline SVG from :mod:`advval.report._svg`, which escapes its labels.
The size is bounded whatever the data: at most ``HTML_MAX_ATTACKS`` attacks and
``HTML_MAX_FLAGS`` sanity flags listed, ``HTML_TOP_FEATURES`` columns in the table and
``HTML_CHART_FEATURES`` bars, ``MAX_SERIES`` attack lines per curve, names and settings
clipped.
"""

from __future__ import annotations

from typing import Any

from ..results import AttackResult, RobustnessReport
from . import _svg
from ._html import clip, page_context, render_page
from ._markdown import format_count, format_fixed, format_number
from ._robustness import _setting_text, format_queries

#: attacks listed in the table (and their settings)
HTML_MAX_ATTACKS = 50
#: sanity flags listed
HTML_MAX_FLAGS = 50
#: columns listed in the feature-use table
HTML_TOP_FEATURES = 25
#: bars in the feature-use chart
HTML_CHART_FEATURES = 15
#: characters of a setting's value shown
HTML_MAX_SETTING_CHARS = 300

NORM_LABELS = {"inf": "L∞", "2": "L2", "0": "L0"}
#: what each sanity flag is called on the page
FLAG_TITLES = {
    "blackbox_stronger": "black-box stronger than white-box",
    "zero_gradients": "zero gradients",
    "robust_accuracy_rising": "robust accuracy rising with eps",
    "randomized_outputs": "randomized outputs",
    "unverified_successes": "unverified successes",
    "out_of_budget": "out of budget",
    "majority_class": "accuracy of the common class",
}


def _budget(report: RobustnessReport) -> str:
    """``"L∞ eps 0.3"`` when every attack ran with one budget, else ``"mixed budgets"``."""
    budgets = {(a.norm, a.eps) for a in report.attacks}
    if len(budgets) != 1:
        return "mixed budgets"
    norm, eps = budgets.pop()
    value = "none (minimum norm)" if eps is None else f"{eps:g}"
    return f"{NORM_LABELS.get(norm, norm)} eps {value}"


def worst_attack(report: RobustnessReport) -> AttackResult | None:
    """The attack with the lowest robust accuracy on its own (the first on a tie), or
    ``None`` when no attack fooled any sample."""
    fooling = [a for a in report.attacks if a.n_fooled > 0]
    return min(fooling, key=lambda a: a.robust_accuracy) if fooling else None


def summary_line(report: RobustnessReport) -> str:
    """One line: clean and robust accuracy, the budget, the worst attack, the flags.

    Used by the command line (``advval: robustness: clean accuracy 0.950, robust accuracy
    0.420 (L∞ eps 0.3, worst case over 3 attacks); worst attack TreeAttack 0.430``) and as
    the HTML page's explanation.
    """
    n = len(report.attacks)
    worst = worst_attack(report)
    line = (
        f"robustness: clean accuracy {format_fixed(report.clean_accuracy)}, robust accuracy "
        f"{format_fixed(report.robust_accuracy)} ({_budget(report)}, worst case over {n} "
        f"attack{'s' if n != 1 else ''}); "
    )
    line += (
        f"worst attack {worst.name} {format_fixed(worst.robust_accuracy)}"
        if worst is not None
        else "no attack fooled any sample"
    )
    if report.flags:
        line += f"; {len(report.flags)} sanity flag{'s' if len(report.flags) != 1 else ''}"
    return line


def _verdict(report: RobustnessReport) -> tuple[str, str]:
    """The banner's label and CSS class: green when nothing was fooled, red when the
    attacks fooled at least half of the correctly classified samples, amber otherwise."""
    if report.n_correct == 0:
        return "No sample is classified correctly", "drift"
    label = f"Robust accuracy {format_fixed(report.robust_accuracy)}"
    kept = report.robust_accuracy / report.clean_accuracy
    if kept >= 1.0:
        return label, ""
    return label, "drift" if kept < 0.5 else "warn"


def _access(result: AttackResult) -> str:
    if result.white_box is None:
        return "unknown"
    return "white-box" if result.white_box else "black-box"


def _curves(report: RobustnessReport, *, units: str = "standard units") -> list[dict[str, Any]]:
    """One chart (and table) per norm of the accuracy-vs-eps curve (eps in ``units``)."""
    charts = []
    for norm in dict.fromkeys(p.norm for p in report.curve):
        points = [p for p in report.curve if p.norm == norm]
        names = list(dict.fromkeys(name for p in points for name, _ in p.attacks))
        series = [
            (name, [(p.eps, acc) for p in points for n, acc in p.attacks if n == name])
            for name in names
        ]
        label = NORM_LABELS.get(norm, norm)
        charts.append({
            "norm": label,
            "svg": _svg.accuracy_curve_chart(
                [(p.eps, p.robust_accuracy) for p in points],
                series,
                clean=report.clean_accuracy,
                norm=label,
                units=units,
            ),
            "names": [clip(n) for n in names],
            "more_series": max(len(names) - _svg.MAX_SERIES, 0),
            "rows": [
                {
                    "eps": format_number(p.eps, 4),
                    "worst": format_fixed(p.robust_accuracy),
                    "cells": [format_fixed(dict(p.attacks)[n]) if n in dict(p.attacks) else ""
                              for n in names],
                }
                for p in points
            ],
        })
    return charts


def _settings_text(value: Any) -> str:
    return clip(_setting_text(value), HTML_MAX_SETTING_CHARS)


def _context(report: RobustnessReport) -> dict[str, Any]:
    """Everything the template shows, as formatted strings and escaped SVG strings."""
    label, verdict_class = _verdict(report)
    worst = worst_attack(report)
    attacks = report.attacks[:HTML_MAX_ATTACKS]
    features = report.features[:HTML_TOP_FEATURES]
    n_fooled = report.n_correct - round(report.robust_accuracy * report.n_samples)
    context = {
        "label": label,
        "verdict_class": verdict_class,
        "summary": summary_line(report).removeprefix("robustness: "),
        "n_samples": format_count(report.n_samples),
        "n_correct": format_count(report.n_correct),
        "n_fooled": format_count(n_fooled),
        "clean_accuracy": format_fixed(report.clean_accuracy),
        "robust_accuracy": format_fixed(report.robust_accuracy),
        "budget": _budget(report),
        "n_attacks": len(report.attacks),
        "worst": None if worst is None else {
            "name": clip(worst.name), "accuracy": format_fixed(worst.robust_accuracy)
        },
        "flags": [
            {
                "title": FLAG_TITLES.get(f.code, f.code),
                "attack": None if f.attack is None else clip(f.attack),
                "message": clip(f.message, 1000),
            }
            for f in report.flags[:HTML_MAX_FLAGS]
        ],
        "more_flags": max(len(report.flags) - HTML_MAX_FLAGS, 0),
        "attacks": [
            {
                "name": clip(a.name),
                "access": _access(a),
                "norm": NORM_LABELS.get(a.norm, a.norm),
                "eps": "none (min. norm)" if a.eps is None else format_number(a.eps, 4),
                "robust_accuracy": format_fixed(a.robust_accuracy),
                "success_rate": format_fixed(a.success_rate),
                "fooling_rate": format_fixed(a.fooling_rate),
                "fooled": f"{format_count(a.n_fooled)} / {format_count(a.n_attacked)}",
                "norm_median": format_number(a.norm_median),
                "norm_mean": format_number(a.norm_mean),
                "queries": format_queries(a.queries_median, a.queries_max),
                "seconds": f"{a.seconds:.2f} s",
                "is_worst": worst is not None and a.name == worst.name,
                "settings": [(clip(k), _settings_text(v)) for k, v in a.settings.items()],
            }
            for a in attacks
        ],
        "more_attacks": max(len(report.attacks) - HTML_MAX_ATTACKS, 0),
        "curves": _curves(report),
        "features_svg": (
            _svg.share_bars(
                [
                    (f.name, f.frequency, f"changed in {format_count(f.count)} rows")
                    for f in report.features[:HTML_CHART_FEATURES]
                ],
                title="Columns attackers change: share of successful adversarial rows",
                axis="share of successful adversarial rows in which the column changed",
            )
            if report.features
            else None
        ),
        "n_chart": min(len(report.features), HTML_CHART_FEATURES),
        "features": [
            {
                "rank": rank,
                "name": clip(f.name),
                "count": format_count(f.count),
                "frequency": format_fixed(f.frequency),
            }
            for rank, f in enumerate(features, start=1)
        ],
        "n_features": len(report.features),
        **page_context(report),
    }
    context["settings"] = [(k, clip(v, HTML_MAX_SETTING_CHARS)) for k, v in context["settings"]]
    return context


def render_robustness_html(report: RobustnessReport) -> str:
    """Render a robustness report as one self-contained HTML page.

    Parameters
    ----------
    report : RobustnessReport
        The result of :func:`advval.attacks.robustness_report`.

    Returns
    -------
    str
        A complete HTML document: the headline (clean versus robust accuracy, worst case
        per sample over the attacks, the worst attack), the sanity flags in a warning box
        above everything else, the attacks table (access, norm, eps, robust accuracy,
        success and fooling rates, perturbation norms, queries, time), the
        accuracy-vs-eps curve per norm as a line chart with its table, the columns
        attackers change (bars and table), each attack's settings and the report's
        settings. Inline CSS and SVG only; every data-derived string is escaped; the size
        is bounded (see the module notes).

    See Also
    --------
    advval.report.render_robustness_json, advval.report.render_robustness_markdown,
    advval.report.write_report
    """
    return render_page("robustness.html.j2", robustness_context(report), svg_keys=("features_svg",))


def robustness_context(report: RobustnessReport) -> dict[str, Any]:
    """The template's variables, the curves' SVG marked safe (the page's and the notebook's)."""
    from markupsafe import Markup

    context = _context(report)
    for chart in context["curves"]:  # escaped by _svg, like the other charts
        chart["svg"] = Markup(chart["svg"])
    return context
