"""Robustness results (``robustness_report``) rendered as JSON and Markdown.

The result is a :class:`~advval.results.RobustnessReport`; the renderers here
only format it. The JSON document follows the drift report's conventions (sorted keys,
floats rounded to 6 significant digits, ``schema_version``, ``kind``, ``advval_version``)
and leaves wall times out unless asked, so the same inputs and seed give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

from ..results._json import json_text
from ..results._robustness import AttackResult, RobustnessReport
from ._markdown import format_count, format_fixed, format_number, md_escape

#: columns listed in the Markdown table of features attackers change
MARKDOWN_TOP_FEATURES = 15

_NORMS = {"inf": "L∞", "2": "L2", "0": "L0"}


def format_queries(median: Any, largest: Any) -> str:
    """Median and largest queries per attacked row, both with thousands separators.

    Examples
    --------
    >>> format_queries(1000.0, 1000), format_queries(1234.5, 2000), format_queries(None, 0)
    ('1,000 / 1,000', '1,234.5 / 2,000', 'n/a / 0')
    """
    try:
        value = float(median)
    except (TypeError, ValueError):
        return f"n/a / {format_count(largest)}"
    if not math.isfinite(value):
        shown = "n/a"
    elif value.is_integer():
        shown = format_count(value)
    else:
        shown = f"{value:,.1f}"
    return f"{shown} / {format_count(largest)}"


def render_robustness_json(report: RobustnessReport, *, timings: bool = False) -> str:
    """Render a robustness report as a deterministic JSON document.

    Parameters
    ----------
    report : RobustnessReport
    timings : bool, default=False
        Include each attack's wall time (``seconds``), which differs between runs.

    Returns
    -------
    str
        ``report.to_dict()`` with floats rounded to 6 significant digits (NaN and
        infinity as ``null``), keys sorted, indented by 2 spaces.

    See Also
    --------
    render_robustness_markdown
    """
    return json_text(report.to_dict(timings=timings))


def render_robustness_markdown(report: RobustnessReport, *, timings: bool = True) -> str:
    """Render a robustness report as Markdown (a pull-request comment).

    Parameters
    ----------
    report : RobustnessReport
    timings : bool, default=True
        Show each attack's wall time (leave it out for text that must not change
        between runs).

    Returns
    -------
    str
        A heading with clean and robust accuracy, the sanity flags, a table of the
        attacks, the accuracy-vs-eps table, the features attackers change most and the
        settings. Every name is escaped.
    """
    lines = [
        f"## advval robustness: robust accuracy {format_fixed(report.robust_accuracy)} "
        f"(clean {format_fixed(report.clean_accuracy)})",
        "",
        f"{format_count(report.n_samples)} samples · {format_count(report.n_correct)} "
        f"classified correctly and attacked · worst case per sample over "
        f"{len(report.attacks)} attack{'s' if len(report.attacks) != 1 else ''}",
        "",
    ]
    lines.extend(flag_lines(report.flags))
    lines.extend(_attack_lines(report, timings))
    lines.extend(_curve_lines(report))
    lines.extend(_feature_lines(report))
    lines.extend(_settings_lines(report))
    return "\n".join(lines) + "\n"


def flag_lines(flags: Any) -> list[str]:
    """The sanity flags as Markdown block quotes (or a line saying there is none)."""
    if not flags:
        return ["No sanity flag raised.", ""]
    lines = []
    for flag in flags:
        lines.extend([f"> **Sanity flag ({flag.code}):** {md_escape(flag.message)}", ">"])
    lines[-1] = ""
    return lines


def _access(result: AttackResult) -> str:
    if result.white_box is None:
        return ""
    return "white-box" if result.white_box else "black-box"


def _eps(value: Any) -> str:
    return "none (minimum norm)" if value is None else format_number(value, 4)


def _attack_lines(report: RobustnessReport, timings: bool) -> list[str]:
    time_head, time_rule = (" time |", " ---: |") if timings else ("", "")
    lines = [
        "### Attacks",
        "",
        "| attack | access | norm | eps | robust accuracy | success rate | fooling rate "
        f"| median norm | mean norm | queries (median / max) |{time_head}",
        f"| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |{time_rule}",
    ]
    for a in report.attacks:
        time_cell = f" {a.seconds:.2f} s |" if timings else ""
        lines.append(
            f"| {md_escape(a.name)} | {_access(a)} | {_NORMS.get(a.norm, a.norm)} "
            f"| {_eps(a.eps)} | {format_fixed(a.robust_accuracy)} "
            f"| {format_fixed(a.success_rate)} | {format_fixed(a.fooling_rate)} "
            f"| {format_number(a.norm_median)} | {format_number(a.norm_mean)} "
            f"| {format_queries(a.queries_median, a.queries_max)} |{time_cell}"
        )
    lines.extend([
        "",
        "robust accuracy: share of all samples classified correctly and not fooled; success "
        "rate: successes the attack claims, fooling rate: those the model confirms (both "
        "over the attacked samples); norms in standard units, over the fooled samples.",
        "",
    ])
    return lines


def _curve_lines(report: RobustnessReport) -> list[str]:
    if not report.curve:
        return []
    names: list[str] = []
    for point in report.curve:
        names.extend(name for name, _ in point.attacks if name not in names)
    lines = [
        "### Accuracy versus eps",
        "",
        "| norm | eps | worst case | " + " | ".join(md_escape(n) for n in names) + " |",
        "| --- | ---: | ---: |" + " ---: |" * len(names),
    ]
    for point in report.curve:
        own = dict(point.attacks)
        cells = " | ".join(format_fixed(own[n]) if n in own else "" for n in names)
        lines.append(
            f"| {_NORMS.get(point.norm, point.norm)} | {format_number(point.eps, 4)} "
            f"| {format_fixed(point.robust_accuracy)} | {cells} |"
        )
    lines.append("")
    return lines


def _feature_lines(report: RobustnessReport) -> list[str]:
    if not report.features:
        return []
    top = report.features[:MARKDOWN_TOP_FEATURES]
    shown = f" ({len(top)} of {len(report.features)})" if len(report.features) > len(top) else ""
    lines = [
        f"### Features attackers change{shown}",
        "",
        "| # | feature | changed in | share of successful rows |",
        "| ---: | --- | ---: | ---: |",
    ]
    for rank, f in enumerate(top, start=1):
        lines.append(
            f"| {rank} | {md_escape(f.name)} | {format_count(f.count)} "
            f"| {format_fixed(f.frequency)} |"
        )
    lines.append("")
    return lines


def _setting_text(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value, 6)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_setting_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_setting_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _settings_lines(report: RobustnessReport) -> list[str]:
    lines = ["<details><summary>attack settings</summary>", ""]
    for a in report.attacks:
        items = ", ".join(f"{k}={_setting_text(v)}" for k, v in a.settings.items())
        lines.append(f"- **{md_escape(a.name)}**: {md_escape(items)}")
    lines.extend(["", "</details>", ""])
    settings = ", ".join(
        f"{md_escape(k)}={md_escape(_setting_text(v))}" for k, v in report.settings.items()
    )
    lines.append(f"<sub>settings: {settings}; advval {md_escape(report.advval_version)}</sub>")
    return lines
