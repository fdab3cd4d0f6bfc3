"""The import contracts of .importlinter hold and cover the whole package."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return parser


def _listed(section: str, key: str) -> list[str]:
    value = _contracts()[section][key]
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_every_core_module_is_under_the_core_contracts():
    """A new advval/_*.py joins the core contracts (they name modules one by one)."""
    core = {f"advval.{path.stem}" for path in (ROOT / "advval").glob("*.py")
            if not path.stem.startswith("__")}
    for contract in ("core", "torch", "dask"):
        sources = set(_listed(f"importlinter:contract:{contract}", "source_modules"))
        assert core <= sources, (contract, sorted(core - sources))


def test_every_package_is_in_a_layer():
    packages = {f"advval.{path.parent.name}" for path in (ROOT / "advval").glob("*/__init__.py")}
    layers = _listed("importlinter:contract:layers", "layers")
    named = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    assert packages == named


def test_the_contracts_are_kept():
    pytest.importorskip("importlinter")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
         "sys.exit(lint_imports_command())", "--no-cache"],
        capture_output=True, text=True, cwd=ROOT,  # reads ROOT/.importlinter
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contracts_catch_an_arrow_against_the_design(tmp_path):
    """The same contracts on a copy of the package where a core module imports report/."""
    pytest.importorskip("importlinter")
    copy = tmp_path / "advval"
    subprocess.run(["cp", "-r", str(ROOT / "advval"), str(copy)], check=True)
    (tmp_path / ".importlinter").write_text(CONFIG.read_text())
    stats = copy / "_stats.py"
    stats.write_text(stats.read_text() + "\n\ndef _render():\n    from .report import _json\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
         "sys.exit(lint_imports_command())", "--no-cache"],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "advval._stats is not allowed to import advval.report" in result.stdout
