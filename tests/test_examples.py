"""Every script in examples/ runs."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))
#: what each script's printed summary must contain (its headline number)
HEADLINE = {"drift_check.py": "AUC", "image_robustness.py": "PGD-AT: clean"}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path, monkeypatch, capsys):
    if script.name == "image_robustness.py":
        pytest.importorskip("torch")
    output = tmp_path / "report.html"
    monkeypatch.setattr(sys, "argv", [str(script), str(output)])
    runpy.run_path(str(script), run_name="__main__")
    assert HEADLINE[script.name] in capsys.readouterr().out
    assert output.exists() and output.stat().st_size > 1000


def test_there_are_examples():
    assert EXAMPLES
