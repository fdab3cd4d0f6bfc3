"""Without torch or dask the suite collects cleanly: what needs them skips, nothing errors.

The extras are hidden from a child interpreter by ``tools/block_imports.py`` (a pytest
plugin that wraps the import finders), as on a machine where they are not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = "torch,torchvision,dask,distributed"


def _hidden_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT / "tools"), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "ADVVAL_BLOCK_IMPORTS": HIDDEN, "PYTHONPATH": path}


def test_the_blocker_hides_a_package_as_if_not_installed():
    code = (
        "import importlib.util, sys\n"
        "import block_imports\n"
        "assert importlib.util.find_spec('torch') is None\n"
        "assert importlib.util.find_spec('dask') is None\n"
        "try:\n"
        "    import torch\n"
        "except ModuleNotFoundError as exc:\n"
        "    assert exc.name == 'torch', exc.name\n"
        "else:\n"
        "    raise AssertionError('torch was imported')\n"
        "import numpy, advval, advval.attacks\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'dask')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_hidden_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_the_suite_collects_without_torch_and_dask():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "block_imports", "--collect-only", "-q",
         "-p", "no:cacheprovider", "advval", "tests"],
        capture_output=True, text=True, env=_hidden_env(), cwd=ROOT,
    )
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-2000:]
    assert not re.search(r"\berrors?\b", out.splitlines()[-1]), out[-4000:]
    collected = int(re.search(r"(\d+) tests? collected", out).group(1))
    assert collected > 1000
    # what skipped, skipped for the hidden extras (and nothing else is missing)
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert skipped
    assert all(re.search(r"No module named '(torch|dask|distributed)'", line)
               for line in skipped), skipped
    # the library's own modules that need no extra are still collected (their doctests)
    assert "advval/attacks/_space.py::" in out
    assert "tests/attacks/test_space.py::" in out  # FeatureSpace is NumPy code
    assert "advval/attacks/gradient/" not in out.split("short test summary")[0]
