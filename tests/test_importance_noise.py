"""An importance that is rounding noise of a sum that is 0 reads 0 on the pages, not 3.36e-17."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from advval import AdversarialValidator
from advval.cli._ci_outcome import outcome
from advval.report import build_drift_report, render_html, render_json, render_markdown
from advval.report._importance import NEGLIGIBLE_SHARE, importance_floor, shown_importance
from advval.report._svg import importance_chart
from advval.results import FeatureDrift

NOISE, NOISE_STD = 3.36e-17, 1.27e-17


def _report_with_a_noise_column():
    rng = np.random.default_rng(3)
    n = 400
    train = pd.DataFrame({"x": rng.normal(size=n), "quiet": rng.normal(size=n)})
    test = pd.DataFrame({"x": rng.normal(1.0, 1.0, size=n), "quiet": rng.normal(size=n)})
    validator = AdversarialValidator(random_state=0, n_jobs=1, n_splits=3).fit(train, test)
    report = build_drift_report(validator, train, test)
    features = [
        dataclasses.replace(f, importance=NOISE, importance_std=NOISE_STD)
        if f.name == "quiet" else f
        for f in report.features
    ]
    return dataclasses.replace(report, features=tuple(features))


def test_floor_is_a_share_of_the_largest_importance():
    features = [
        FeatureDrift("a", "numeric", 0.4, 0.05, 0.3, 1e-4, "ks", True, False),
        FeatureDrift("b", "numeric", NOISE, NOISE_STD, 0.01, 1.0, "ks", False, False),
        FeatureDrift("c", "numeric", float("nan"), float("nan"), 0.0, 1.0, "ks", False, False),
    ]
    assert importance_floor(features) == NEGLIGIBLE_SHARE * 0.4
    floor = importance_floor(features)
    assert shown_importance(NOISE, floor) == 0.0
    # a small but real importance stays: 1e-6 of the largest is above the floor
    assert shown_importance(4e-7, floor) == 4e-7
    assert np.isnan(shown_importance(float("nan"), floor))
    # with nothing larger to compare to, nothing is rounded away
    assert importance_floor(features[1:]) == NEGLIGIBLE_SHARE * NOISE
    assert shown_importance(NOISE, importance_floor(features[1:])) == NOISE
    assert importance_floor([]) == 0.0


def test_noise_reads_zero_in_markdown_html_and_ci_but_json_keeps_the_number():
    report = _report_with_a_noise_column()
    x = next(f for f in report.features if f.name == "x")
    assert x.importance > 0.01  # a real shift: the floor is far above the noise
    row = next(r for r in render_markdown(report).splitlines() if r.startswith("| ") and
               "| quiet |" in r)
    assert "| 0 ± 0 |" in row and "e-17" not in row
    page = render_html(report)
    assert "e-17" not in page and "3.36" not in page
    chart = importance_chart(report.features)
    assert "quiet: importance 0 ± 0," in chart
    result = outcome(report, failed=False)
    text = "\n".join(c.failure or c.detail for c in result.checks) + "\n".join(result.summary)
    assert "e-17" not in text
    assert any("quiet" in c.name and "importance 0," in (c.failure or c.detail)
               for c in result.checks)
    data = json.loads(render_json(report))
    stored = next(f for f in data["features"] if f["name"] == "quiet")
    assert stored["importance"] == NOISE and stored["importance_std"] == NOISE_STD
