"""A baseline's limits stay within their measure's range, and the table says when one is
at the top (an AUC limit of 1.020, a distance limit of 1.093 were printed before)."""

from __future__ import annotations

import json

import pytest

from advval.compare import Baseline, apply_baseline
from advval.report._baseline_text import RULE_TEXT, baseline_context, baseline_markdown

N = 1000  # rows a side: a distance's sampling margin of 0.0607


def _report(auc, ci, features):
    return {
        "kind": "drift", "auc": auc, "auc_ci": list(ci), "drift": True,
        "drift_by": ["classifier", "columns"], "n_train": N, "n_test": N,
        "features": [
            {"name": name, "statistic": d, "drift": True, "leak": d == 1.0}
            for name, d in features
        ],
        "segments": [],
    }


# an AUC near 1 and a column that separates the sides (a leak-like date): both limits
# would pass 1 with the default tolerances (0.02; 0.05 plus the margin)
OLD = _report(0.995, (0.99, 0.998), [("signup date", 1.0), ("age", 0.3)])
MARGIN = 1.358 * (2 / N) ** 0.5


def test_limits_are_clipped_to_the_measures_range():
    check = apply_baseline(Baseline.from_report(OLD), OLD)
    items = {i.name: i for i in check.items}
    assert items["AUC"].limit == 1.0 and items["AUC"].at_top
    assert items["signup date"].limit == 1.0 and items["signup date"].at_top
    # an unclipped limit is what the rule says: accepted + tolerance + margin
    assert items["age"].limit == pytest.approx(0.3 + 0.05 + MARGIN)
    assert not items["age"].at_top
    assert all(0.0 <= i.limit <= 1.0 for i in check.items)
    # the measure at its largest value is still accepted; the rule decides as before
    assert not check.failed and set(check.names("accepted")) == {"AUC", "signup date", "age"}


def test_the_clip_does_not_hide_growth_below_the_top():
    grown = _report(0.995, (0.99, 0.998), [("signup date", 1.0), ("age", 0.3 + 0.06 + MARGIN)])
    check = apply_baseline(Baseline.from_report(OLD), grown)
    assert check.failed and check.names("grown") == ("age",)


def test_the_table_marks_a_limit_at_the_top_and_the_json_holds_the_clipped_number():
    check = apply_baseline(Baseline.from_report(OLD), OLD)
    text = "\n".join(baseline_markdown(check))
    assert "| accepted | AUC | AUC lower bound | 0.995 | 0.990 | 1.000 (max) |" in text
    assert "| accepted | signup date | distance | 1.000 | 1.000 | 1.000 (max) |" in text
    assert f"| accepted | age | distance | 0.300 | 0.300 | {0.35 + MARGIN:.3f} |" in text
    assert "1.0" not in text.replace("1.000", "")  # no 1.020 / 1.093 or the like
    assert "A limit marked max" in RULE_TEXT and RULE_TEXT in text
    rows = baseline_context(check)["rows"]
    assert [r["limit"] for r in rows] == ["1.000 (max)", "1.000 (max)", f"{0.35 + MARGIN:.3f}"]
    limits = [i["limit"] for i in json.loads(json.dumps(check.to_dict()))["items"]]
    assert limits[:2] == [1.0, 1.0]
