"""advval.results is the low floor of the reports: plain frozen data, NumPy and stdlib only.

Checked three ways: what a fresh interpreter loads for ``import advval.results``, what the
package's source imports (every statement, lazy ones included), and that the old import
paths and public names give the very same classes.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

import advval.results as results

PACKAGE = Path(results.__file__).parent
#: the packages results must never import (they compute or render results)
DOMAIN = ("drift", "dependency", "attacks", "image", "report", "cli", "distributed")
#: what a result module may import: the standard library, NumPy, and these low modules
ALLOWED_ADVVAL = {"advval._display", "advval.results", "advval.compare"}

RESULT_CLASSES = [getattr(results, name) for name in results.__all__
                  if isinstance(getattr(results, name), type)]


def test_import_results_loads_no_domain_package_and_no_heavy_library():
    code = (
        "import sys, advval.results\n"
        "print(sorted(m for m in sys.modules if m.startswith('advval.') and not "
        "m.startswith(('advval.results', 'advval._display', 'advval._version'))))\n"
        "print(sorted(m for m in ('pandas', 'sklearn', 'scipy', 'torch', 'lightgbm', 'click',"
        " 'jinja2', 'dask') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    advval_modules, heavy = done.stdout.splitlines()
    assert advval_modules == "[]"
    assert heavy == "[]"


def _imports(path: Path) -> set[str]:
    """Every module an ``import`` statement of ``path`` names (relative ones resolved)."""
    package = "advval.results"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module or "")
    return found


def test_the_source_imports_only_the_standard_library_numpy_and_low_modules():
    stdlib = sys.stdlib_module_names
    for path in sorted(PACKAGE.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "advval":
                assert any(name == a or name.startswith(a + ".") for a in ALLOWED_ADVVAL), (
                    f"{path.name} imports {name}")
                assert not any(name.startswith(f"advval.{d}") for d in DOMAIN)
            else:
                assert top in stdlib or top in ("numpy", "__future__"), (
                    f"{path.name} imports {name}")


def test_the_import_check_catches_a_domain_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from ..report import render_json\n\ndef f():\n    import pandas\n")
    assert _imports(planted) == {"advval.report", "pandas"}


@pytest.mark.parametrize("cls", RESULT_CLASSES, ids=lambda c: c.__name__)
def test_every_result_is_a_frozen_dataclass(cls):
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen


def test_a_result_cannot_be_changed():
    report = results.DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.n_rows = 11  # type: ignore[misc]


def test_old_import_paths_give_the_same_classes():
    from advval import report
    from advval.attacks import evaluate
    from advval.attacks.evaluate import _report
    from advval.report import _dependency

    for name in ("ColumnFacts", "DatasetSummary", "Distribution", "DriftReport",
                 "DriftSegment", "FeatureDrift", "RemedyStep", "RocCurve",
                 "SegmentSearchSummary", "SideSummary", "WithoutLeaks"):
        assert getattr(report, name) is getattr(results, name)
    for name in ("DependencyReport", "DependencyShift", "FeatureDependency"):
        assert getattr(report, name) is getattr(results, name)
        assert getattr(_dependency, name) is getattr(results, name)
    for name in ("AttackResult", "CurvePoint", "FeatureUse", "RobustnessReport",
                 "SanityFlag"):
        assert getattr(evaluate, name) is getattr(results, name)
        assert getattr(_report, name) is getattr(results, name)
    assert _dependency.SCHEMA_VERSION == _report.SCHEMA_VERSION
    assert _report.SCHEMA_VERSION == results.SCHEMA_VERSION == 1


def test_image_names_give_the_same_classes():
    image = pytest.importorskip("advval.image")  # needs torch
    from advval.image import _evaluate

    for name in ("AdversarialExamples", "ImageRobustnessReport"):
        assert getattr(image, name) is getattr(results, name)
        assert getattr(_evaluate, name) is getattr(results, name)
    assert _evaluate.KIND == "image_robustness"


def test_a_result_shows_itself_without_importing_the_report_layer_first():
    """The repr comes from advval.report, which registers it on import; a result made
    from advval.results alone imports it on its first display (no import arrow from
    results to report)."""
    code = (
        "import sys\n"
        "from advval.results import DependencyReport\n"
        "assert 'advval.report' not in sys.modules\n"
        "report = DependencyReport(10, 2, (), ('a',), None, (), (), (), {}, '0')\n"
        "print(repr(report))\n"
        "print('advval-nb' in report._repr_html_())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines() == [
        "<DependencyReport: 2 features, 1 redundant, 0 id-like, 0 near-duplicate pairs>",
        "True",
    ]


def test_register_display_replaces_the_functions_and_refuses_non_callables(monkeypatch):
    from advval import _display

    monkeypatch.setattr(_display, "_DISPLAY", {})
    _display.register_display(text=lambda r: "T", html=lambda r: "H")
    report = results.DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")
    assert repr(report) == "T" and report._repr_html_() == "H"
    with pytest.raises(TypeError, match="The 'html' parameter of register_display"):
        _display.register_display(text=lambda r: "T", html="H")  # type: ignore[arg-type]


def test_to_dict_is_plain_data_with_the_schema_version():
    report = results.DependencyReport(10, 2, (), ("a",), None, (), (), (), {}, "0")
    document = report.to_dict()
    assert document["schema_version"] == results.SCHEMA_VERSION
    assert json.loads(results.json_text(document))["redundant"] == ["a"]
