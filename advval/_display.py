"""How a result shows itself, and the verdict a fitted estimator adds to its own repr.

:class:`Displayed` gives the report classes (drift, dependency, robustness, image
robustness, report diff) a one-line repr and a notebook fragment. A fitted estimator that
has a summary result (a validator's drift report, a checker's dependency report) adds that
result's verdict line to its repr and its verdict card under its HTML diagram
(:func:`verdict_line`, :func:`verdict_card`). The rendering belongs to
:mod:`advval.report`, which registers its display functions here
(:func:`register_display`) when it is imported; this module imports nothing, so neither the
low packages that define results (:mod:`advval.results`, :mod:`advval.compare`) nor the
estimators (:mod:`advval.drift`, :mod:`advval.dependency`) depend on the report layer. The
first display of a result imports the report layer by name if nothing is registered yet
(``import advval.results`` alone stays light).

The plain-text formats of a number and of a list of column names shared by those lines
and by the report layer's renderers are here too (:func:`format_fixed`,
:func:`display_name`, :func:`plain_names`), so an estimator writing its own line (the
feature dropper's) formats as the reports do without importing them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

#: the package whose import registers the display functions (``register_display``)
RENDERING_PACKAGE = "advval.report"

#: leak-like or dropped columns named in one line of plain text before "and N more"
HEADLINE_MAX_NAMES = 5

#: how a result is shown -> the function that shows any result that way: "text" (its
#: repr), "html" (its notebook fragment), "line" and "card" (the verdict a fitted
#: estimator whose summary it is adds to its repr and under its HTML diagram)
_DISPLAY: dict[str, Callable[[Any], str]] = {}


def register_display(
    *,
    text: Callable[[Any], str],
    html: Callable[[Any], str],
    line: Callable[[Any], str] | None = None,
    card: Callable[[Any], str] | None = None,
) -> None:
    """Set the functions results and fitted estimators are shown with.

    Called by :mod:`advval.report` when it is imported; a later call replaces them (a
    ``line`` or ``card`` left out is then not shown).

    Parameters
    ----------
    text : callable
        ``result -> str``: the one-line plain-text repr (``<DriftReport: ...>``).
    html : callable
        ``result -> str``: the notebook fragment (``_repr_html_``).
    line : callable, optional
        ``result -> str``: the verdict line a fitted estimator adds to its repr, from
        its summary result (:func:`verdict_line`).
    card : callable, optional
        ``result -> str``: the verdict card a fitted estimator shows under its HTML
        diagram, from its summary result (:func:`verdict_card`).

    Raises
    ------
    TypeError
        When one given is not callable.
    """
    given = {"text": text, "html": html, "line": line, "card": card}
    optional = ("line", "card")
    for name, value in given.items():
        if not callable(value) and not (value is None and name in optional):
            raise TypeError(
                f"The '{name}' parameter of register_display must be a callable. "
                f"Got {type(value).__name__} instead."
            )
    _DISPLAY.clear()
    _DISPLAY.update({name: value for name, value in given.items() if value is not None})


def _shown(result: Any, how: str) -> str:
    if how not in _DISPLAY:
        import_module(RENDERING_PACKAGE)  # registers the display functions
    if how not in _DISPLAY:
        raise LookupError(f"No '{how}' display function is registered (register_display).")
    return _DISPLAY[how](result)


def verdict_line(result: Any) -> str:
    """The verdict line of a fitted estimator's summary result, for the estimator's repr.

    Parameters
    ----------
    result : DriftReport or DependencyReport
        What ``advval.drift.summarize`` or ``advval.dependency.summarize`` returns.

    Returns
    -------
    str
        One line (without the ``fitted:`` the estimator puts before it).

    Raises
    ------
    TypeError
        When no verdict line is registered for the type of ``result``.

    Examples
    --------
    >>> from advval.results import DependencyReport
    >>> verdict_line(DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0"))
    'dependency check: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs'
    """
    return _shown(result, "line")


def verdict_card(result: Any) -> str:
    """The verdict card of a fitted estimator's summary result, an HTML fragment.

    What a fitted validator or checker shows under its scikit-learn diagram: the report's
    card alone, scoped like the notebook fragment of the report.

    Parameters
    ----------
    result : DriftReport or DependencyReport

    Returns
    -------
    str

    Raises
    ------
    TypeError
        When no verdict card is registered for the type of ``result``.

    Examples
    --------
    >>> from advval.results import DependencyReport
    >>> card = verdict_card(DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0"))
    >>> card.startswith("<div class=")
    True
    """
    return _shown(result, "card")


def is_finite_number(x: Any) -> bool:
    """Whether ``x`` reads as a finite float.

    Examples
    --------
    >>> is_finite_number("0.5"), is_finite_number(float("nan")), is_finite_number(None)
    (True, False, False)
    """
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_fixed(x: Any, decimals: int = 3) -> str:
    """Format a float with a fixed number of decimals; ``"n/a"`` when not finite.

    Examples
    --------
    >>> format_fixed(0.73449), format_fixed(None)
    ('0.734', 'n/a')
    """
    if not is_finite_number(x):
        return "n/a"
    return f"{float(x):.{decimals}f}"


def display_name(name: Any) -> str:
    r"""A column name (or category) as reports show it: as it is, or its Python ``repr``.

    Names that read unambiguously on one line (not empty, printable, single spaces, no
    leading or trailing space, not starting with a quote) are shown as they are. The
    others (``""``, ``"  "``, ``"a\nb"``, ``"a\tb"``, ``"'x'"``) are shown as their
    ``repr``, which always starts with a quote: so two different names never look the
    same, and a newline cannot break a Markdown table row.

    Examples
    --------
    >>> display_name("Unnamed: 0"), display_name("a|b"), display_name("a\nb")
    ('Unnamed: 0', 'a|b', "'a\\nb'")
    >>> display_name(""), display_name("  ")
    ("''", "'  '")
    """
    text = str(name)
    if text and text.isprintable() and text == " ".join(text.split()) and text[0] not in "'\"":
        return text
    return repr(text)


def plain_names(names: Sequence[str], limit: int = HEADLINE_MAX_NAMES) -> str:
    """Names for one line of plain text: :func:`display_name`, ``and N more`` past ``limit``.

    Examples
    --------
    >>> plain_names(["month", "date"]), plain_names(list("abcdefg"), limit=3)
    ('month, date', 'a, b, c and 4 more')
    """
    shown = ", ".join(display_name(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class Displayed:
    """Mixin: ``repr`` is the verdict line; ``_repr_html_`` the report as a notebook fragment.

    A dataclass using it must say ``repr=False`` (otherwise the dataclass writes its own
    ``__repr__``, every field included, over this one).

    Examples
    --------
    >>> from advval.compare import diff_reports
    >>> report = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    >>> diff_reports(report, report)
    <ReportDiff: drift, no drift -> no drift; not worse>
    """

    __slots__ = ()

    def __repr__(self) -> str:
        """One line: the kind of report and its verdict (not every field)."""
        return _shown(self, "text")

    def _repr_html_(self) -> str:
        """The report in a notebook cell: the HTML report's cards and charts, as a fragment.

        Self-contained (inline CSS scoped to the fragment, inline SVG, no script, nothing
        fetched) and bounded in size; see :mod:`advval.report._notebook`.
        """
        return _shown(self, "html")
