"""``advval attack`` on the hostile corpus: model files, options, constraints files and
DATA; documented exit code, no traceback, signal or hang, inputs unchanged."""

from __future__ import annotations

import pytest

from .corpus import build

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("case", build(["attack"]), ids=lambda case: case.id)
def test_attack(case, fuzz_run):
    problems = fuzz_run.problems(case)
    assert not problems, fuzz_run.explain(case, problems)
