"""Which renderers draw which result: one table from a result's type to its renderers.

Every result type the report layer renders (drift, dependency, robustness, image
robustness, report diff) is registered here once, with its JSON, Markdown and HTML
renderers, its notebook fragment and its one-line text. :func:`advval.report.write_report`,
``render_report`` and the notebook display (:mod:`advval.report._notebook`) look a result
up by its type (through its base classes), so a new result type is one
:func:`register_renderers` call, not another branch in each of them. The result classes
live in :mod:`advval.results`, which imports nothing from here (and no torch), so every
type is registered without importing a heavy package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..compare import ReportDiff
from ..results import DependencyReport, DriftReport, ImageRobustnessReport, RobustnessReport
from . import _notebook
from ._dependency import render_dependency_markdown, summary_line
from ._dependency_html import render_dependency_html
from ._diff import render_diff_json, render_diff_markdown
from ._diff_html import render_diff_html
from ._html import render_html
from ._image import render_image_html, render_image_json, render_image_markdown
from ._json import render_json
from ._markdown import render_markdown, verdict_line
from ._robustness import render_robustness_json, render_robustness_markdown
from ._robustness_html import render_robustness_html

#: the formats every registered result renders to
FORMATS = ("html", "json", "markdown")

Renderer = Callable[[Any], str]


@dataclass(frozen=True)
class Renderers:
    """The renderers of one result type.

    Attributes
    ----------
    html, json, markdown : callable
        ``report -> str``: the page, the document, the pull-request comment.
    fragment : callable
        ``report -> str``: the HTML fragment a notebook cell shows (``_repr_html_``).
    text : callable
        ``report -> str``: the one-line verdict of the plain-text repr (without the
        ``<Kind: ...>`` frame).
    line, card : callable or None
        ``report -> str``: the verdict line and the HTML card a fitted estimator whose
        summary the result is adds to its repr and under its diagram
        (:func:`advval._display.verdict_line`); ``None`` for results no estimator shows.
    """

    html: Renderer
    json: Renderer
    markdown: Renderer
    fragment: Renderer
    text: Renderer
    line: Renderer | None = None
    card: Renderer | None = None

    def format(self, name: str) -> Renderer:
        """The renderer of one of :data:`FORMATS`."""
        renderer: Renderer = getattr(self, name)
        return renderer


_TABLE: dict[type, Renderers] = {}


def register_renderers(kind: type, renderers: Renderers) -> None:
    """Render results of ``kind`` (and of its subclasses) with ``renderers``.

    A later registration of the same type replaces the earlier one.

    Parameters
    ----------
    kind : type
        The result class.
    renderers : Renderers

    Raises
    ------
    TypeError
        When ``kind`` is not a class or ``renderers`` not a :class:`Renderers`.
    """
    if not isinstance(kind, type):
        raise TypeError(
            f"The 'kind' parameter of register_renderers must be a class. Got {kind!r} instead."
        )
    if not isinstance(renderers, Renderers):
        raise TypeError(
            "The 'renderers' parameter of register_renderers must be a Renderers. "
            f"Got {type(renderers).__name__} instead."
        )
    _TABLE[kind] = renderers


def renderers_for(report: Any, owner: str = "renderers_for") -> Renderers:
    """The renderers registered for ``report``'s type, or for its nearest base class.

    Parameters
    ----------
    report : result
        A registered result: DriftReport, DependencyReport, RobustnessReport,
        ImageRobustnessReport or ReportDiff.
    owner : str, default="renderers_for"
        The public function asking, named in the error.

    Returns
    -------
    Renderers

    Raises
    ------
    TypeError
        When no renderer is registered for the type of ``report``.

    Examples
    --------
    >>> from advval.report import DependencyReport
    >>> report = DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")
    >>> renderers_for(report).markdown(report).splitlines()[0]
    '## advval dependency check: redundancy'
    >>> renderers_for(3, owner="write_report")
    Traceback (most recent call last):
    TypeError: The 'report' parameter of write_report must be a DriftReport, ...
    """
    for kind in type(report).__mro__:
        found = _TABLE.get(kind)
        if found is not None:
            return found
    known = ", ".join(kind.__name__ for kind in _TABLE)
    raise TypeError(
        f"The 'report' parameter of {owner} must be a {known}. "
        f"Got {type(report).__name__} instead."
    )


register_renderers(DriftReport, Renderers(
    html=render_html, json=render_json, markdown=render_markdown,
    fragment=_notebook.drift_fragment, text=_notebook.drift_text,
    line=verdict_line, card=_notebook.drift_card,
))
register_renderers(DependencyReport, Renderers(
    html=render_dependency_html, json=render_json, markdown=render_dependency_markdown,
    fragment=_notebook.dependency_fragment, text=_notebook.dependency_text,
    line=summary_line, card=_notebook.dependency_card,
))
register_renderers(RobustnessReport, Renderers(
    html=render_robustness_html, json=render_robustness_json,
    markdown=render_robustness_markdown,
    fragment=_notebook.robustness_fragment, text=_notebook.robustness_text,
))
register_renderers(ImageRobustnessReport, Renderers(
    html=render_image_html, json=render_image_json, markdown=render_image_markdown,
    fragment=_notebook.image_fragment, text=_notebook.image_text,
))
register_renderers(ReportDiff, Renderers(
    html=render_diff_html, json=render_diff_json, markdown=render_diff_markdown,
    fragment=_notebook.diff_fragment, text=_notebook.diff_text,
))
