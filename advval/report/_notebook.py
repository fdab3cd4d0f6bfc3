"""Reports in a notebook: an HTML fragment per result (``_repr_html_``), and short reprs.

A result object shows itself in a Jupyter cell as the HTML report does, with the same
templates, renderers and CSS (``templates/report.css``): the report's blocks rendered in
the layout ``_notebook.html.j2`` instead of the page ``_base.html.j2``. The fragment is
one ``<div class="advval-nb">`` holding its own ``<style>``, whose every rule is scoped to
that element (:func:`scope_css`), so it does not restyle the notebook; it has no script
(the drift page's sortable table is a static table here), loads nothing (inline SVG and
``data:`` pictures only) and escapes every data string as the page does. Its size is
bounded more tightly than the page's: the ``NOTEBOOK_MAX_COLUMNS`` most important columns
of a drift report (a sentence gives the total), ``NOTEBOOK_MAX_ROWS`` rows in the other
reports' tables, ``NOTEBOOK_MAX_EXAMPLES`` example pictures; ``write_report(report, path,
format="html")`` writes the whole page.

The plain-text reprs are one line: the verdict line the command line prints.
"""

from __future__ import annotations

import re
from typing import Any

from ..results import DriftReport
from ._dependency import DependencyReport, summary_line
from ._dependency_html import dependency_context
from ._html import DRIFT_SVG_KEYS, drift_context, render_page
from ._markdown import format_count, verdict_line
from ._robustness_html import robustness_context
from ._robustness_html import summary_line as robustness_line

#: the class of the fragment's element: every CSS rule is scoped to it
SCOPE = "advval-nb"
#: rows of a drift report's column table in the fragment (the most important columns)
NOTEBOOK_MAX_COLUMNS = 20
#: large distribution plots in a drift fragment
NOTEBOOK_MAX_OVERLAYS = 6
#: rows of a dependency or robustness table in the fragment
NOTEBOOK_MAX_ROWS = 20
#: example pictures in an image robustness fragment
NOTEBOOK_MAX_EXAMPLES = 4

_FULL = 'the whole report: write_report(report, "report.html", format="html").'

__all__ = [
    "SCOPE",
    "dependency_card",
    "dependency_fragment",
    "dependency_text",
    "diff_fragment",
    "diff_text",
    "drift_card",
    "drift_fragment",
    "drift_text",
    "image_fragment",
    "image_text",
    "notebook_fragment",
    "report_text",
    "robustness_fragment",
    "robustness_text",
    "scope_css",
]


def _scope_selector(selector: str, scope: str) -> str:
    """One selector scoped: ``:root``, ``html`` and ``body`` become the scope itself."""
    selector = selector.strip()
    head, _, rest = selector.partition(" ")
    if head in (":root", "html", "body"):
        return f".{scope} {rest}".rstrip() if rest else f".{scope}"
    return f".{scope} {selector}"


def scope_css(css: str, scope: str = SCOPE) -> str:
    """Scope every rule of a stylesheet to the elements inside ``.scope``.

    Each selector of each rule gets ``.scope`` in front (``:root``, ``html`` and ``body``
    become ``.scope`` itself, so the custom properties and the base font apply to the
    fragment); the rules inside ``@media`` blocks are scoped the same way. Comments are
    dropped. The stylesheet must be plain CSS: rules and ``@media`` blocks, no other
    at-rule, no brace inside a string.

    Parameters
    ----------
    css : str
        The stylesheet (``templates/report.css``).
    scope : str, default="advval-nb"
        A class name.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When ``css`` holds another at-rule or unbalanced braces.

    Examples
    --------
    >>> scope_css(":root { --a: 1; } body { margin: 0; } th, td { padding: 2px; }", "s")
    '.s { --a: 1; }\\n.s { margin: 0; }\\n.s th, .s td { padding: 2px; }\\n'
    >>> scope_css("@media print { .card { color: red; } }", "s")
    '@media print {\\n.s .card { color: red; }\\n}\\n'
    """
    out: list[str] = []
    _scope_rules(re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL), scope, out)
    return "".join(out)


def _scope_rules(css: str, scope: str, out: list[str]) -> None:
    position = 0
    while True:
        start = css.find("{", position)
        if start < 0:
            if css[position:].strip() or "}" in css[position:]:
                raise ValueError(f"unbalanced braces in the stylesheet near {css[position:]!r}")
            return
        prelude = css[position:start].strip()
        end = _closing(css, start)
        body = css[start + 1 : end]
        if prelude.startswith("@media"):
            out.append(f"{prelude} {{\n")
            _scope_rules(body, scope, out)
            out.append("}\n")
        elif prelude.startswith("@") or "{" in body:
            raise ValueError(f"scope_css cannot scope the at-rule {prelude!r}")
        else:
            selectors = ", ".join(_scope_selector(s, scope) for s in prelude.split(","))
            out.append(f"{selectors} {{ {body.strip()} }}\n")
        position = end + 1


def _closing(css: str, start: int) -> int:
    """Index of the brace that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(css)):
        if css[i] == "{":
            depth += 1
        elif css[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced braces in the stylesheet near {css[start : start + 80]!r}")


def _drift(report: DriftReport) -> dict[str, Any]:
    """The drift page's context, cut to the fragment's bounds and without the script."""
    context = drift_context(report, max_columns=NOTEBOOK_MAX_COLUMNS)
    columns = context["columns"]
    context["overlays"] = context["overlays"][:NOTEBOOK_MAX_OVERLAYS]
    context["table_script"] = ""
    shown = (
        f"the {len(columns['rows'])} most important of {format_count(len(report.features))} "
        "columns"
        if columns["more"]
        else "every column"
    )
    context["fragment_note"] = f"This view shows {shown}; {_FULL}"
    return context


def drift_fragment(report: DriftReport) -> str:
    """A drift report as an HTML fragment for a notebook cell (``DriftReport._repr_html_``).

    Parameters
    ----------
    report : DriftReport

    Returns
    -------
    str
        The page's verdict card, inputs, charts, segments, dataset summary, remedy and
        settings, its column table cut to the ``NOTEBOOK_MAX_COLUMNS`` most important
        columns (static: no script) and ``NOTEBOOK_MAX_OVERLAYS`` distribution plots;
        inside one ``<div class="advval-nb">`` with its scoped CSS.
    """
    return render_page("drift.html.j2", _drift(report), svg_keys=DRIFT_SVG_KEYS, fragment=True)


def drift_card(report: DriftReport) -> str:
    """The verdict card of a drift report alone, as a fragment (a fitted validator's)."""
    context = _drift(report)
    context["card_only"] = True
    return render_page("drift.html.j2", context, svg_keys=DRIFT_SVG_KEYS, fragment=True)


def _dependency(report: DependencyReport) -> dict[str, Any]:
    context = dependency_context(report)
    cut = len(context["features"]) > NOTEBOOK_MAX_ROWS or len(context["shift"]) > NOTEBOOK_MAX_ROWS
    context["features"] = context["features"][:NOTEBOOK_MAX_ROWS]
    context["shift"] = context["shift"][:NOTEBOOK_MAX_ROWS]
    context["fragment_note"] = _note(cut)
    return context


def _note(cut: bool) -> str:
    """The fragment's footer: whether its tables were cut, and how to get the page."""
    shown = f"Tables here show at most {NOTEBOOK_MAX_ROWS} rows" if cut else "This is every row"
    return f"{shown}; {_FULL}"


def dependency_fragment(report: DependencyReport) -> str:
    """A dependency report as an HTML fragment (``DependencyReport._repr_html_``).

    The page's content, its tables cut to ``NOTEBOOK_MAX_ROWS`` rows.
    """
    return render_page(
        "deps.html.j2", _dependency(report), svg_keys=("heatmap_svg",), fragment=True
    )


def dependency_card(report: DependencyReport) -> str:
    """The findings card of a dependency report alone (a fitted checker's)."""
    context = _dependency(report)
    context["card_only"] = True
    return render_page("deps.html.j2", context, svg_keys=("heatmap_svg",), fragment=True)


def _cut_robustness(context: dict[str, Any]) -> dict[str, Any]:
    n_attacks = len(context["attacks"])
    cut = n_attacks > NOTEBOOK_MAX_ROWS or len(context["features"]) > NOTEBOOK_MAX_ROWS
    context["attacks"] = context["attacks"][:NOTEBOOK_MAX_ROWS]
    context["more_attacks"] += n_attacks - len(context["attacks"])
    context["features"] = context["features"][:NOTEBOOK_MAX_ROWS]
    context["fragment_note"] = _note(cut)
    return context


def robustness_fragment(report: Any) -> str:
    """A robustness report as an HTML fragment (``RobustnessReport._repr_html_``).

    The page's content, its tables cut to ``NOTEBOOK_MAX_ROWS`` rows.
    """
    context = _cut_robustness(robustness_context(report))
    return render_page("robustness.html.j2", context, svg_keys=("features_svg",), fragment=True)


def image_fragment(report: Any) -> str:
    """An image robustness report as an HTML fragment (``_repr_html_``).

    The page's content with at most ``NOTEBOOK_MAX_EXAMPLES`` example pictures (``data:``
    PNGs) and tables cut to ``NOTEBOOK_MAX_ROWS`` rows.
    """
    from ._image import image_context

    context = _cut_robustness(image_context(report))
    examples = context["examples"]
    n_rows = len(examples["rows"])
    examples["rows"] = examples["rows"][:NOTEBOOK_MAX_EXAMPLES]
    examples["more"] = examples["more"] + n_rows - len(examples["rows"])
    return render_page("image.html.j2", context, svg_keys=("features_svg",), fragment=True)


def diff_fragment(diff: Any) -> str:
    """A report diff as an HTML fragment (``ReportDiff._repr_html_``).

    The diff page's outcome card, figures and changes, at most ``NOTEBOOK_MAX_ROWS`` of
    each (a sentence counts the rest).
    """
    from ._diff_html import diff_context

    context = diff_context(diff, max_changes=NOTEBOOK_MAX_ROWS, max_metrics=NOTEBOOK_MAX_ROWS)
    cut = len(diff.changes) > NOTEBOOK_MAX_ROWS or len(diff.metrics) > NOTEBOOK_MAX_ROWS
    context["fragment_note"] = _note(cut)
    return render_page("diff.html.j2", context, fragment=True)


def notebook_fragment(report: Any) -> str:
    """The notebook fragment of any report (``_repr_html_`` of :class:`advval._display.Displayed`).

    The fragment renderer registered for the report's type
    (:mod:`advval.report._renderers`).

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport, ImageRobustnessReport or ReportDiff

    Returns
    -------
    str

    Raises
    ------
    TypeError
        When no renderer is registered for the type of ``report``.
    """
    from ._renderers import renderers_for

    return renderers_for(report, "notebook_fragment").fragment(report)


def drift_text(report: DriftReport) -> str:
    """A drift report's verdict line with its sizes (the repr's body)."""
    return (
        f"{verdict_line(report)}; {format_count(report.n_train)} train and "
        f"{format_count(report.n_test)} test rows, {format_count(report.n_features)} "
        "columns"
    )


def dependency_text(report: DependencyReport) -> str:
    """A dependency report's summary line (the repr's body)."""
    return summary_line(report).removeprefix("dependency check: ")


def robustness_text(report: Any) -> str:
    """A robustness report's summary line (the repr's body)."""
    return robustness_line(report).removeprefix("robustness: ")


def image_text(report: Any) -> str:
    """An image robustness report's summary line: its robustness report's (the repr's body)."""
    return robustness_text(report.robustness)


def diff_text(diff: Any) -> str:
    """A report diff's kind, verdicts and outcome (the repr's body)."""
    outcome = "worse: " + "; ".join(diff.reasons) if diff.worse else "not worse"
    return f"{diff.kind}, {diff.old_verdict} -> {diff.new_verdict}; {outcome}"


def report_text(report: Any) -> str:
    """The one-line plain-text repr of a report: its kind and the command line's verdict line.

    The text renderer registered for the report's type (:mod:`advval.report._renderers`),
    framed as ``<Kind: ...>``.

    Examples
    --------
    >>> from advval.report import DependencyReport
    >>> report_text(DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0"))
    '<DependencyReport: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs>'
    """
    from ._renderers import renderers_for

    line = renderers_for(report, "report_text").text(report)
    return f"<{type(report).__name__}: {line}>"


def _fitted(report: Any, how: str) -> Any:
    """The verdict line or card registered for ``report``'s type (``how``: "line", "card")."""
    from ._renderers import renderers_for

    owner = f"verdict_{how}"
    renderer = getattr(renderers_for(report, owner), how)
    if renderer is None:
        raise TypeError(
            f"The 'result' parameter of {owner} must be the summary of a fitted estimator "
            f"(a DriftReport or DependencyReport). Got {type(report).__name__} instead."
        )
    return renderer


def fitted_line(report: Any) -> str:
    """The verdict line a fitted estimator adds to its repr, from its summary ``report``.

    The line renderer registered for the report's type (:mod:`advval.report._renderers`):
    a drift report's verdict line, a dependency report's counts of findings. Shown by
    :func:`advval._display.verdict_line`.

    Examples
    --------
    >>> from advval.report import DependencyReport
    >>> fitted_line(DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0"))
    'dependency check: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs'
    """
    line: str = _fitted(report, "line")(report)
    return line


def fitted_card(report: Any) -> str:
    """The verdict card a fitted estimator shows under its HTML diagram, from its summary.

    The card renderer registered for the report's type (:func:`drift_card`,
    :func:`dependency_card`). Shown by :func:`advval._display.verdict_card`.
    """
    card: str = _fitted(report, "card")(report)
    return card
