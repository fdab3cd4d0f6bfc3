"""Writing a rendered report to a path or to an open text file."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any

from ..attacks.evaluate import RobustnessReport
from ._dependency import DependencyReport, render_dependency_markdown
from ._dependency_html import render_dependency_html
from ._html import render_html
from ._image import render_image_html, render_image_json, render_image_markdown
from ._json import render_json
from ._markdown import render_markdown
from ._result import DriftReport
from ._robustness import render_robustness_json, render_robustness_markdown
from ._robustness_html import render_robustness_html

#: format name -> renderer of an ImageRobustnessReport (advval.image.evaluate_robustness)
IMAGE_RENDERERS: dict[str, Callable[[Any], str]] = {
    "html": render_image_html,
    "json": render_image_json,
    "markdown": render_image_markdown,
}


def _is_image_report(report: Any) -> bool:
    """Whether ``report`` is an ImageRobustnessReport, without importing torch: the class
    exists only once ``advval.image`` (which needs torch) has been imported."""
    module = sys.modules.get("advval.image._evaluate")
    return module is not None and isinstance(report, module.ImageRobustnessReport)


#: format name -> renderer
RENDERERS: dict[str, Callable[[DriftReport], str]] = {
    "html": render_html,
    "json": render_json,
    "markdown": render_markdown,
}
#: format name -> renderer of a DependencyReport
DEPENDENCY_RENDERERS: dict[str, Callable[[DependencyReport], str]] = {
    "html": render_dependency_html,
    "json": render_json,
    "markdown": render_dependency_markdown,
}
#: format name -> renderer of a RobustnessReport
ROBUSTNESS_RENDERERS: dict[str, Callable[[RobustnessReport], str]] = {
    "html": render_robustness_html,
    "json": render_robustness_json,
    "markdown": render_robustness_markdown,
}


def write_report(
    report: DriftReport | DependencyReport | RobustnessReport, sink: Any, *, format: str
) -> None:
    """Render ``report`` in ``format`` and write it to ``sink``.

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport or ImageRobustnessReport
        The result to write.
    sink : str, os.PathLike or text file object
        A path (written as UTF-8 with ``\\n`` line endings, replacing any existing file)
        or an object with a ``write(str)`` method, such as ``sys.stdout`` or
        :class:`io.StringIO` (written to, not closed).
    format : {"html", "json", "markdown"}
        Output format. The text always ends with a newline.

    Raises
    ------
    ValueError
        If ``format`` is not one of the three.
    TypeError
        If ``sink`` is neither a path nor a text file object.

    See Also
    --------
    render_json, render_markdown, render_html, render_dependency_html, render_robustness_html
    """
    if format not in RENDERERS:
        raise ValueError(
            f"The 'format' parameter of write_report must be one of {sorted(RENDERERS)}. "
            f"Got {format!r} instead."
        )
    if isinstance(sink, (io.RawIOBase, io.BufferedIOBase)):
        raise TypeError(
            "write_report needs a path or a text file object for 'sink'; got a binary file "
            f"({type(sink).__name__}). Open the file in text mode ('w') instead."
        )
    is_path = isinstance(sink, (str, os.PathLike))
    if not is_path and not callable(getattr(sink, "write", None)):
        raise TypeError(
            "write_report needs a path (str or os.PathLike) or a text file object with a "
            f"write() method for 'sink'; got {type(sink).__name__}."
        )
    if _is_image_report(report):
        text = IMAGE_RENDERERS[format](report)
    elif isinstance(report, DependencyReport):
        text = DEPENDENCY_RENDERERS[format](report)
    elif isinstance(report, RobustnessReport):
        text = ROBUSTNESS_RENDERERS[format](report)
    else:
        text = RENDERERS[format](report)
    if not text.endswith("\n"):
        text += "\n"
    if is_path:
        with open(sink, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    else:
        sink.write(text)
