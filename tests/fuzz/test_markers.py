"""Crafted model files: their payload runs for a careless loader (the control) and
under --trust-model, and never in ``advval attack``, ``image evaluate`` or ``load_model``."""

from __future__ import annotations

import pytest

from .corpus import build

pytestmark = pytest.mark.fuzz


@pytest.mark.parametrize("case", build(["markers"]), ids=lambda case: case.id)
def test_markers(case, fuzz_run):
    problems = fuzz_run.problems(case)
    assert not problems, fuzz_run.explain(case, problems)
