"""``advval image evaluate`` on the hostile corpus: image archives, model files,
options; documented exit code, no traceback, signal or hang, inputs unchanged."""

from __future__ import annotations

import pytest

from .corpus import build

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("case", build(["image"]), ids=lambda case: case.id)
def test_image(case, fuzz_run):
    problems = fuzz_run.problems(case)
    assert not problems, fuzz_run.explain(case, problems)
