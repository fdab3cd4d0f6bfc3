"""The baseline table reads a segment only test has as the segments section does, not 3.91e+03x."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd

from advval import AdversarialValidator
from advval.compare import Baseline, BaselineItem, apply_baseline
from advval.report import build_drift_report, render_html, render_json, render_markdown
from advval.report._baseline_text import current_text
from advval.results import DriftSegment

_NUMBER_LIFT = re.compile(r"\d(e[+-]\d+)?x")


def test_a_new_level_segment_reads_new_in_test_in_the_baseline_table():
    rng = np.random.default_rng(5)
    n = 1500
    train = pd.DataFrame({"x": rng.normal(size=n), "version": ["v1"] * n})
    test = pd.DataFrame(
        {"x": rng.normal(size=n), "version": np.where(rng.random(n) < 0.5, "v1", "v2")}
    )
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    report = build_drift_report(validator, train, test, segments=validator.segments(train, test))
    top = report.segments[0]
    assert top.rule == "version in {v2}" and top.train_rows == 0 and top.test_rows > 0
    check = apply_baseline(Baseline(auc=None), json.loads(render_json(report)))
    item = next(i for i in check.items if i.what == "segment" and i.name == top.rule)
    assert item.status == "new" and item.current > 10  # JSON keeps the half-row bound (17.4)
    report = dataclasses.replace(report, baseline=check)
    row = next(
        r for r in render_markdown(report).splitlines()
        if r.startswith("| ") and "segment: version in" in r
    )
    assert "new in test (no train row in it)" in row and not _NUMBER_LIFT.search(row)
    page = render_html(report)
    section = page[page.index("Against the accepted-drift baseline"):]
    assert "new in test (no train row in it)" in section
    assert json.loads(render_json(report))["baseline"]["items"] == [
        i.to_dict() for i in check.items
    ]


def test_two_sided_segments_keep_their_bound_and_unmatched_items_their_number():
    both = DriftSegment("age > 60", "test", 0.1, 0.3, 3.0, (2.5, 3.6), 40, 120)
    gone = DriftSegment("plan in {old}", "train", 0.2, 0.0, 0.002, (1e-4, 0.03), 300, 0)
    age = BaselineItem("segment", "age > 60", "grown", 2.0, 2.5, 2.2, True, "test")
    plan = BaselineItem("segment", "plan in {old}", "new", None, 0.03, None, True, "train")
    # same rule, other side: not the report's segment
    other = BaselineItem("segment", "plan in {old}", "new", None, 0.03, None, True, "test")
    assert current_text(age, [both, gone]) == "2.50x"
    assert current_text(plan, [both, gone]) == "absent from test (no test row in it)"
    assert current_text(other, [both, gone]) == "0.0300x"
    column = BaselineItem("column", "age", "new", None, 0.31, None, True)
    assert current_text(column, [both, gone]) == "0.310"
