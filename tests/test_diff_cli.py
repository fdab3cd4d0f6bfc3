"""``advval diff``: formats, outputs, exit codes (worse: 5; mismatched kinds: 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import advval
from advval.cli import ExitCode, cli

ROOT = Path(advval.__file__).resolve().parent.parent


def _doc(robust: float, kind: str = "robustness") -> dict:
    return {"kind": kind, "n_samples": 1000, "clean_accuracy": 0.95, "robust_accuracy": robust,
            "attacks": [{"name": "PGD", "robust_accuracy": robust, "eps": 0.3, "norm": "inf"}],
            "flags": []}


@pytest.fixture
def reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = {}
    for name, doc in {"old": _doc(0.80), "worse": _doc(0.70), "noise": _doc(0.79),
                      "image": _doc(0.70, "image_robustness")}.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(doc))
    return paths


def _run(*args):
    return CliRunner().invoke(cli, ["diff", *map(str, args)])


def test_markdown_on_stdout_by_default_and_exit_codes(reports):
    result = _run(reports["old"], reports["worse"])
    assert result.exit_code == 0  # no --fail-on-worse
    assert result.stdout.startswith("## advval diff (robustness): **worse**")
    assert "| robust accuracy | 0.800 [0.774, 0.824] | 0.700 [0.671, 0.728] | **worse** |" in (
        result.stdout)
    assert "advval: diff (robustness): robust accuracy 0.800 (clean 0.950) -> robust " in (
        result.stderr)
    assert _run(reports["old"], reports["worse"], "--fail-on-worse").exit_code == ExitCode.WORSE
    calm = _run(reports["old"], reports["noise"], "--fail-on-worse")
    assert calm.exit_code == 0 and "not worse" in calm.stdout


def test_formats_and_output_files(reports, tmp_path):
    result = _run(reports["old"], reports["worse"], "-o", tmp_path / "d.json")
    assert result.exit_code == 0 and "advval: json diff written to" in result.stderr
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["worse"] is True and doc["compared"] == "robustness"
    again = _run(reports["old"], reports["worse"], "--format", "json")
    assert again.stdout == (tmp_path / "d.json").read_text()  # byte-identical
    _run(reports["old"], reports["worse"], "-o", tmp_path / "d.html")
    assert (tmp_path / "d.html").read_text().startswith("<!DOCTYPE html>")
    _run(reports["old"], reports["worse"], "--format", "markdown", "-o", tmp_path / "d.txt")
    assert (tmp_path / "d.txt").read_text().startswith("## advval diff")


def test_usage_errors_name_the_file_and_key(reports, tmp_path):
    mismatched = _run(reports["old"], reports["image"])
    assert mismatched.exit_code == ExitCode.USAGE
    assert (f"Error: {reports['image']}: key 'kind' is 'image_robustness' but "
            f"{reports['old']} is 'robustness'") in mismatched.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = _run(reports["old"], broken)
    assert result.exit_code == ExitCode.USAGE
    assert f"Error: NEW report {broken}: is not valid JSON" in result.output
    result = _run(reports["old"], reports["worse"], "-o", reports["old"])
    assert result.exit_code == ExitCode.USAGE and "never replaces an input" in result.output
    assert json.loads(reports["old"].read_text())["robust_accuracy"] == 0.8


def test_help_documents_the_rule_and_the_exit_code():
    result = CliRunner().invoke(cli, ["diff", "--help"])
    assert result.exit_code == 0
    assert "--fail-on-worse" in result.output and "quadrature" in result.output
    assert "  5    diff: the new report is worse" in result.output


def test_a_real_process_exits_5(reports):
    """The console entry point, as a CI job runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "advval", "diff", str(reports["old"]), str(reports["worse"]),
         "--fail-on-worse", "--format", "json"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 5, result.stderr
    assert json.loads(result.stdout)["reasons"] == ["robust accuracy fell"]
