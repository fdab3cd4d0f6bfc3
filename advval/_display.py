"""How a result object shows itself: a one-line repr and, in a notebook, its report.

:class:`Displayed` gives the report classes (drift, dependency, robustness, image
robustness, report diff) the same two methods; the rendering lives in
:mod:`advval.report._notebook`, imported only when an object is shown, so this module
imports nothing and any package may use it.
"""

from __future__ import annotations


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
        from advval.report._notebook import report_text

        return report_text(self)

    def _repr_html_(self) -> str:
        """The report in a notebook cell: the HTML report's cards and charts, as a fragment.

        Self-contained (inline CSS scoped to the fragment, inline SVG, no script, nothing
        fetched) and bounded in size; see :mod:`advval.report._notebook`.
        """
        from advval.report._notebook import notebook_fragment

        return notebook_fragment(self)
