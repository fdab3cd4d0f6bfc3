"""The type -> renderers table: write_report, render_report and the notebook display use it."""

from __future__ import annotations

import dataclasses
import io

import pytest

from advval.compare import diff_reports
from advval.report import (
    DependencyReport,
    render_dependency_html,
    render_dependency_markdown,
    render_diff_html,
    render_diff_json,
    render_diff_markdown,
    render_json,
    write_report,
)
from advval.report._notebook import dependency_fragment, notebook_fragment, report_text
from advval.report._renderers import (
    _TABLE,
    FORMATS,
    Renderers,
    register_renderers,
    renderers_for,
)
from advval.report._sink import render_report
from advval.results import DriftReport, ImageRobustnessReport, RobustnessReport


def _dependency() -> DependencyReport:
    return DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")


@pytest.fixture
def table():
    """The table as it was, restored after the test."""
    saved = dict(_TABLE)
    yield _TABLE
    _TABLE.clear()
    _TABLE.update(saved)


def test_every_result_type_has_its_renderers():
    from advval.compare import ReportDiff

    for kind in (DriftReport, DependencyReport, RobustnessReport, ImageRobustnessReport,
                 ReportDiff):
        assert kind in _TABLE
    dependency = renderers_for(_dependency())
    assert dependency.html is render_dependency_html
    assert dependency.markdown is render_dependency_markdown
    assert dependency.json is render_json
    assert [dependency.format(name) for name in FORMATS] == [
        render_dependency_html, render_json, render_dependency_markdown]


def test_the_sink_and_the_notebook_render_through_the_table():
    report = _dependency()
    for fmt in FORMATS:
        sink = io.StringIO()
        write_report(report, sink, format=fmt)
        expected = renderers_for(report).format(fmt)(report)
        assert sink.getvalue() == expected + ("" if expected.endswith("\n") else "\n")
        assert render_report(report, fmt) == sink.getvalue()
    assert notebook_fragment(report) == dependency_fragment(report) == report._repr_html_()
    assert repr(report) == report_text(report) == (
        "<DependencyReport: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs>")


def test_a_report_diff_is_written_with_the_diff_renderers(tmp_path):
    old = {"kind": "drift", "drift": False, "auc": 0.5, "auc_ci": [0.48, 0.52]}
    new = {"kind": "drift", "drift": True, "auc": 0.9, "auc_ci": [0.88, 0.92]}
    diff = diff_reports(old, new)
    expected = {"html": render_diff_html, "json": render_diff_json,
                "markdown": render_diff_markdown}
    for fmt, render in expected.items():
        text = render(diff)
        assert render_report(diff, fmt) == text + ("" if text.endswith("\n") else "\n")
    write_report(diff, tmp_path / "diff.md", format="markdown")
    assert (tmp_path / "diff.md").read_text(encoding="utf-8").rstrip("\n") == (
        render_diff_markdown(diff).rstrip("\n"))
    assert repr(diff) == "<ReportDiff: drift, no drift -> drift; worse: " + "; ".join(
        diff.reasons) + ">"


def test_a_subclass_renders_as_its_base_and_a_registered_type_as_registered(table):
    @dataclasses.dataclass(frozen=True, repr=False)
    class Tagged(DependencyReport):
        tag: str = "t"

    tagged = Tagged(10, 2, (), ("a",), None, (), (), (), {}, "0")
    assert render_report(tagged, "markdown") == render_report(_dependency(), "markdown")

    def own(report):
        return f"{type(report).__name__} as {report.tag}"

    register_renderers(Tagged, Renderers(html=own, json=own, markdown=own, fragment=own,
                                         text=own))
    assert render_report(tagged, "json") == "Tagged as t\n"
    assert notebook_fragment(tagged) == "Tagged as t"
    assert repr(tagged) == "<Tagged: Tagged as t>"
    assert render_report(_dependency(), "json") == render_json(_dependency()) + "\n"


def test_a_result_without_renderers_and_bad_registrations_are_refused(table):
    with pytest.raises(TypeError, match=r"The 'report' parameter of write_report must be a "
                                        r"DriftReport, DependencyReport, .*Got dict instead"):
        write_report({"kind": "drift"}, io.StringIO(), format="json")
    with pytest.raises(TypeError, match=r"'report' parameter of notebook_fragment"):
        notebook_fragment(3)
    with pytest.raises(ValueError, match=r"'format' parameter of render_report must be one"):
        render_report(_dependency(), "pdf")
    with pytest.raises(TypeError, match=r"'kind' parameter of register_renderers must be a "
                                        r"class"):
        register_renderers("DriftReport", renderers_for(_dependency()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'renderers' parameter of register_renderers must be "
                                        r"a Renderers\. Got dict"):
        register_renderers(dict, {"json": render_json})  # type: ignore[arg-type]
