"""The core import stays light (DESIGN.md section 3)."""

import subprocess
import sys

HEAVY = ("torch", "click", "jinja2", "dask", "distributed", "matplotlib", "shap")


def test_import_advval_does_not_import_heavy_modules():
    code = (
        "import sys, advval, advval.datasets, advval.report; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
