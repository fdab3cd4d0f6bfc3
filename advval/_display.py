"""How a result object shows itself: a one-line repr and, in a notebook, its report.

:class:`Displayed` gives the report classes (drift, dependency, robustness, image
robustness, report diff) the same two methods. The rendering belongs to
:mod:`advval.report`, which registers its two display functions here
(:func:`register_display`) when it is imported; this module imports nothing, so the low
packages that define results (:mod:`advval.results`, :mod:`advval.compare`) do not depend
on the report layer. The first display of a result imports the report layer by name if
nothing is registered yet (``import advval.results`` alone stays light).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

#: the package whose import registers the display functions (``register_display``)
RENDERING_PACKAGE = "advval.report"

#: "text" / "html" -> the function that shows any result that way
_DISPLAY: dict[str, Callable[[Any], str]] = {}


def register_display(*, text: Callable[[Any], str], html: Callable[[Any], str]) -> None:
    """Set the two functions every :class:`Displayed` result is shown with.

    Called by :mod:`advval.report` when it is imported; a later call replaces them.

    Parameters
    ----------
    text : callable
        ``result -> str``: the one-line plain-text repr (``<DriftReport: ...>``).
    html : callable
        ``result -> str``: the notebook fragment (``_repr_html_``).

    Raises
    ------
    TypeError
        When either is not callable.
    """
    for name, value in (("text", text), ("html", html)):
        if not callable(value):
            raise TypeError(
                f"The '{name}' parameter of register_display must be a callable. "
                f"Got {type(value).__name__} instead."
            )
    _DISPLAY["text"] = text
    _DISPLAY["html"] = html


def _shown(result: Any, how: str) -> str:
    if how not in _DISPLAY:
        import_module(RENDERING_PACKAGE)  # registers the display functions
    return _DISPLAY[how](result)


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
