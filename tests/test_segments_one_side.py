"""A region only one side has: the reports say "new in test", not a lift like 1.87e+05x."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from advval import AdversarialValidator
from advval.cli._ci_outcome import _segment_lines
from advval.report._segments_text import lift_text, one_side_text
from advval.results import DriftSegment

_NUMBER_LIFT = re.compile(r"\d(e[+-]\d+)?x")


def _new_level_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train has version 'v1' only; half the test rows have 'v2'."""
    rng = np.random.default_rng(5)
    n, m = 1500, 1500
    train = pd.DataFrame({"x": rng.normal(size=n), "version": ["v1"] * n})
    test = pd.DataFrame(
        {"x": rng.normal(size=m), "version": np.where(rng.random(m) < 0.5, "v1", "v2")}
    )
    return train, test


def test_a_level_train_never_has_reads_new_in_test_in_every_report():
    from advval.report import build_drift_report, render_html, render_markdown
    from advval.report._segments_text import segments_line

    train, test = _new_level_pair()
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    report = build_drift_report(
        validator, train, test, segments=validator.segments(train, test)
    )
    top = report.segments[0]
    assert top.rule == "version in {v2}" and top.train_rows == 0 and top.test_rows > 0
    assert top.lift > 100  # the stored number stays (JSON unchanged): a half-row artefact
    line = segments_line(report)
    assert "new in test" in line and "lift" not in line and not _NUMBER_LIFT.search(line)
    row = next(r for r in render_markdown(report).splitlines() if "version in" in r)
    assert "new in test (no train row in it)" in row and not _NUMBER_LIFT.search(row)
    page = render_html(report)
    assert "new in test (no train row in it)" in page
    ci = "\n".join(_segment_lines(report))
    assert "(new in test)" in ci and "lift" not in ci


def test_two_sided_regions_keep_their_lift_and_the_reverse_reads_absent_from_test():
    both = DriftSegment("age > 60", "test", 0.1, 0.3, 3.0, (2.5, 3.6), 40, 120)
    assert one_side_text(both) is None
    assert lift_text(both) == "3.00x [2.50x, 3.60x]"
    gone = DriftSegment("plan in {old}", "train", 0.2, 0.0, 0.002, (1e-4, 0.03), 300, 0)
    assert one_side_text(gone) == "absent from test"
    assert lift_text(gone) == "absent from test (no test row in it)"
    empty = DriftSegment("never", "train", 0.0, 0.0, 1.0, (0.1, 10.0), 0, 0)
    assert lift_text(empty) == "1.00x [0.100x, 10.0x]"
