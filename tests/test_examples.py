"""Every script in examples/ runs."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path, monkeypatch, capsys):
    output = tmp_path / "report.html"
    monkeypatch.setattr(sys, "argv", [str(script), str(output)])
    runpy.run_path(str(script), run_name="__main__")
    assert "AUC" in capsys.readouterr().out
    assert output.exists() and output.stat().st_size > 1000


def test_there_are_examples():
    assert EXAMPLES
