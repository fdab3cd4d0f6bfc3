"""``advval drift`` on the hostile corpus: documented exit code, no traceback, signal or
hang, inputs unchanged, outputs complete or absent."""

from __future__ import annotations

import pytest

from .corpus import build

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("case", build(["drift"]), ids=lambda case: case.id)
def test_drift(case, fuzz_run):
    problems = fuzz_run.problems(case)
    assert not problems, fuzz_run.explain(case, problems)
