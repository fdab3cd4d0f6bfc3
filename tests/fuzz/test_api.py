"""The Python API on hostile inputs: a result or a documented exception naming the
parameter or column, never a crash; inputs and models left as found."""

from __future__ import annotations

import pytest

from .corpus import build

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("case", build(["api"]), ids=lambda case: case.id)
def test_api(case, fuzz_run):
    problems = fuzz_run.problems(case)
    assert not problems, fuzz_run.explain(case, problems)
