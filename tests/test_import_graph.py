"""tools/import_graph.py counts the imports between the package's parts of a known tree."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    path = ROOT / "tools" / "import_graph.py"
    spec = importlib.util.spec_from_file_location("_import_graph", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "advval" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


#: a package whose arrows are known: module-level, lazy, type-only, relative, and a cycle
FILES = {
    "__init__.py": "from ._version import __version__\n",
    "_version.py": "__version__ = '0'\n",
    "_stats.py": "import numpy as np\n",
    "drift/__init__.py": "from ._validator import Validator\n",
    "drift/_validator.py": """\
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from .. import _stats
        from advval._stats import np
        import advval._version
        if TYPE_CHECKING:
            from ..report import Report
        else:
            from ._helpers import helper  # same part: not counted
        class Validator:
            def render(self):
                from advval.report import render
                return render(self)
        """,
    "drift/_helpers.py": "def helper():\n    pass\n",
    "report/__init__.py": """\
        from advval.drift import Validator
        from advval import __version__
        def render(x):
            from ..drift._validator import Validator
        """,
}


def test_counts_by_kind_and_part(graph, tmp_path):
    root = _tree(tmp_path, FILES)
    table = graph.edges(graph.collect(root))
    counts = {pair: dict(c) for pair, c in table.items()}
    assert counts == {
        ("advval", "_version"): {"module": 1},
        ("drift", "_stats"): {"module": 2},
        ("drift", "_version"): {"module": 1},
        ("drift", "report"): {"typing": 1, "lazy": 1},
        ("report", "drift"): {"module": 1, "lazy": 1},
        ("report", "advval"): {"module": 1},
    }
    assert graph.cycles(table) == [["drift", "report"]]
    assert graph.cycles(table, ("module",)) == []


def test_json_and_text_outputs(graph, tmp_path, capsys):
    root = _tree(tmp_path, FILES)
    assert graph.main([str(root), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {"from": "drift", "to": "report", "module": 0, "lazy": 1, "typing": 1} in (
        document["edges"]
    )
    assert document["cycles"] == {"module": [], "module+lazy": [["drift", "report"]]}
    assert graph.main([str(root)]) == 0
    text = capsys.readouterr().out
    assert "parts: 5, arrows: 6, statements: 9 (6 module-level, 2 lazy, 1 type-only)" in text
    assert "cycles (module-level arrows): none" in text
    assert "cycles (module-level and lazy arrows): drift <-> report" in text
    assert graph.main([str(root), "--from", "report"]) == 0
    assert "advval.report -> advval.drift._validator  lazy  line 4" in capsys.readouterr().out


def test_runs_on_this_checkout(graph, capsys):
    assert graph.main([str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "cli\n" in out and "  -> report" in out


def test_refuses_a_folder_without_the_package(graph, tmp_path):
    with pytest.raises(SystemExit, match="no advval/__init__.py under"):
        graph.main([str(tmp_path)])
