"""The core import stays light (DESIGN.md section 3)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]

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


def test_the_main_job_needs_only_what_a_plain_install_brings():
    """`pip install .` then `advval drift --demo`, as on a fresh machine: the run goes
    through with every module outside the core dependencies (and theirs) hidden, as if
    not installed (pyarrow, an extra, was once imported by the string handling)."""
    code = (
        "import json, os, sys, tempfile\n"
        "from importlib.metadata import packages_distributions\n"
        "allowed, owners = set(json.loads(sys.argv[1])), packages_distributions()\n"
        "def hidden(top):\n"
        "    names = owners.get(top, [])\n"
        "    return bool(names) and not any(\n"
        "        n.replace('_', '-').replace('.', '-').lower() in allowed for n in names)\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if hidden(name.split('.')[0]):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from advval.cli import main\n"
        "os.chdir(tempfile.mkdtemp())\n"
        "main(['drift', '--demo', '--max-rows', '2000', '--n-jobs', '1', '--quiet',\n"
        "      '--output', 'r.html'])\n"
    )
    allowed = sorted(_core_closure() | {"advval"})
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(allowed)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "html report written to r.html" in result.stderr


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _core_closure() -> set[str]:
    """advval's core dependencies and, recursively, theirs (no extras)."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(line) for line in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = _normal(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            lines = requires(requirement.name) or []
        except PackageNotFoundError:
            continue
        for line in lines:
            nested = Requirement(line)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                todo.append(nested)
    return seen
