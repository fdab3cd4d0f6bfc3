"""The corpus is written and run once per session, for the cases pytest selected.

The first fuzz test that asks for an outcome triggers the whole batch: every selected case
of every surface is written under a temporary folder and run over two worker processes
(``harness.run_cases``); each parametrised test then checks its own case. Selecting a few
cases with ``-k`` runs only those.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import harness
from .corpus import Case, materialize


class FuzzRun:
    """The outcomes of the selected cases, computed on first use."""

    def __init__(self, root: Path, scratch: Path, cases: list[Case]) -> None:
        self.root = root
        self.scratch = scratch
        self.cases = cases
        self.outcomes: dict[str, harness.Outcome] | None = None
        self.before: dict[str, dict[str, Any]] = {}

    def _run(self) -> None:
        materialize(self.cases, self.root)
        self.before = {c.id: harness.snapshot(c, self.root) for c in self.cases}
        self.outcomes = harness.run_cases(self.cases, self.root, self.scratch)

    def problems(self, case: Case) -> list[str]:
        """What ``case`` broke (empty when it held)."""
        if self.outcomes is None:
            self._run()
        assert self.outcomes is not None
        outcome = self.outcomes[case.id]
        if case.surface == "api":
            return harness.check_api(case, outcome, self.root)
        return harness.check_cli(case, outcome, self.before[case.id], self.root)

    def explain(self, case: Case, problems: list[str]) -> str:
        """A failure message the lead can route: the case, what broke, the output's tail."""
        assert self.outcomes is not None
        outcome = self.outcomes[case.id]
        command = " ".join(repr(a) if (" " in a or not a) else a for a in case.argv)
        lines = [f"case {case.id}: {outcome.describe()}",
                 f"  run:      {'advval ' + command if case.argv else case.api}",
                 f"  in:       {self.root / case.folder}",
                 f"  expected: {case.expect} ({case.why})",
                 *(f"  - {p}" for p in problems)]
        tail = "\n".join(outcome.stderr.rstrip().splitlines()[-25:])
        if tail:
            lines += ["  stderr (tail):", *("    " + line for line in tail.splitlines())]
        return "\n".join(lines)


@pytest.fixture(scope="session")
def fuzz_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> FuzzRun:
    params = (getattr(getattr(item, "callspec", None), "params", {})
              for item in request.session.items)
    selected = list({p["case"].id: p["case"] for p in params
                     if isinstance(p.get("case"), Case)}.values())
    return FuzzRun(tmp_path_factory.mktemp("fuzz"), tmp_path_factory.mktemp("fuzz-workers"),
                   selected)
