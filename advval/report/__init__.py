"""Drift, dependency and robustness results as data, and their renderers: JSON, Markdown, HTML.

Results are frozen dataclasses; each renderer is a pure function of one result and
computes nothing. :func:`write_report` sends a rendered report to a path or a text file.
Image robustness reports (``advval.image.evaluate_robustness``) render with the
``render_image_*`` functions, which import nothing from torch.
"""

import importlib
from typing import Any

from .._display import register_display
from ..results import (
    ColumnFacts,
    DatasetSummary,
    Distribution,
    DriftReport,
    DriftSegment,
    FeatureDrift,
    RemedyStep,
    RemedyStop,
    RocCurve,
    SegmentSearchSummary,
    SideSummary,
    WithoutLeaks,
)
from ._dependency import (
    DependencyReport,
    DependencyShift,
    FeatureDependency,
    render_dependency_markdown,
)
from ._dependency_html import render_dependency_html
from ._diff import render_diff_json, render_diff_markdown
from ._diff_html import render_diff_html
from ._html import render_html
from ._image import (
    render_image_curve_svg,
    render_image_html,
    render_image_json,
    render_image_markdown,
    render_image_pictures,
)
from ._json import render_json
from ._markdown import render_markdown
from ._notebook import fitted_card, fitted_line, notebook_fragment, report_text
from ._robustness import render_robustness_json, render_robustness_markdown
from ._robustness_html import render_robustness_html
from ._schemas import SCHEMA_KINDS, json_schema
from ._sink import write_report

#: how every result shows itself (repr, notebook), and the verdict line and card of the
#: fitted estimator whose summary it is: see advval._display
register_display(text=report_text, html=notebook_fragment, line=fitted_line, card=fitted_card)

#: builders that live with the estimators (scikit-learn, LightGBM): imported on first use,
#: so rendering a report (and the command line's help) does not import them
_BUILDERS = {"build_drift_report": "._build", "build_dependency_report": "._dependency"}


def __getattr__(name: str) -> Any:
    if name in _BUILDERS:
        return getattr(importlib.import_module(_BUILDERS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ColumnFacts",
    "DatasetSummary",
    "DependencyReport",
    "DependencyShift",
    "Distribution",
    "DriftReport",
    "DriftSegment",
    "FeatureDependency",
    "FeatureDrift",
    "RemedyStep",
    "RemedyStop",
    "RocCurve",
    "SCHEMA_KINDS",
    "SegmentSearchSummary",
    "SideSummary",
    "WithoutLeaks",
    "build_dependency_report",
    "build_drift_report",
    "json_schema",
    "render_dependency_html",
    "render_dependency_markdown",
    "render_diff_html",
    "render_diff_json",
    "render_diff_markdown",
    "render_html",
    "render_image_curve_svg",
    "render_image_html",
    "render_image_json",
    "render_image_markdown",
    "render_image_pictures",
    "render_json",
    "render_markdown",
    "render_robustness_html",
    "render_robustness_json",
    "render_robustness_markdown",
    "write_report",
]
