"""Accepted-drift baselines: the rule on planted documents, the file, its errors."""

from __future__ import annotations

import json

import pytest

from advval.compare import (
    BASELINE_KIND,
    BASELINE_VERSION,
    Baseline,
    DocumentError,
    apply_baseline,
)
from advval.report._baseline_text import baseline_line, baseline_markdown


def _report(features, *, auc=0.70, ci=(0.68, 0.72), drift=True, by=("classifier", "columns"),
            segments=(), dropped=()):
    """A drift JSON document with the keys the rule reads."""
    return {
        "kind": "drift",
        "advval_version": "test",
        "train_name": "train.csv",
        "test_name": "test.csv",
        "auc": auc,
        "auc_ci": list(ci),
        "drift": drift,
        "drift_by": list(by),
        "features": [
            {"name": name, "statistic": d, "drift": flagged, "leak": False}
            for name, d, flagged in features
        ],
        "segments": [dict(s) for s in segments],
        "dropped_columns": list(dropped),
    }


def _segment(rule, side, lift, ci, columns):
    return {"rule": rule, "over_represented": side, "lift": lift, "lift_ci": list(ci),
            "columns": list(columns)}


OLD = _report(
    [("age", 0.30, True), ("city", 0.20, True), ("noise", 0.01, False)],
    segments=[_segment("age > 60", "test", 2.0, (1.6, 2.5), ["age"]),
              _segment("city in {a}", "train", 0.5, (0.4, 0.6), ["city"])],
)


def _status(check):
    return {(i.what, i.name): i.status for i in check.items}


def test_accepting_a_report_accepts_its_flags():
    baseline = Baseline.from_report(OLD, column_tolerance=0.1, auc_tolerance=0.03,
                                    lift_tolerance=0.5)
    assert baseline.auc == 0.70 and baseline.auc_tolerance == 0.03
    assert [(c.name, c.statistic, c.tolerance) for c in baseline.columns] == [
        ("age", 0.30, 0.1), ("city", 0.20, 0.1)]
    assert [(s.rule, s.over_represented, s.lift, s.tolerance, s.columns)
            for s in baseline.segments] == [("age > 60", "test", 2.0, 0.5, ("age",)),
                                            ("city in {a}", "train", 0.5, 0.5, ("city",))]
    assert baseline.made_from == {"advval_version": "test", "train_name": "train.csv",
                                  "test_name": "test.csv"}


def test_the_same_report_passes_and_everything_is_accepted():
    check = apply_baseline(Baseline.from_report(OLD), OLD)
    assert not check.failed
    assert set(_status(check).values()) == {"accepted"}
    assert check.counts() == {"accepted": 5, "new": 0, "grown": 0, "resolved": 0}


def test_a_column_grown_beyond_its_tolerance_fails_and_one_within_passes():
    baseline = Baseline.from_report(OLD)  # column tolerance 0.05
    within = _report([("age", 0.349, True), ("city", 0.20, True)])
    beyond = _report([("age", 0.351, True), ("city", 0.20, True)])
    assert not apply_baseline(baseline, within).failed
    check = apply_baseline(baseline, beyond)
    assert check.failed and check.names("grown") == ("age",)
    item = next(i for i in check.items if i.name == "age")
    assert (item.accepted, item.current) == (0.30, 0.351)
    assert item.limit == pytest.approx(0.35)


def test_a_newly_drifting_column_fails_and_a_shrunk_one_passes():
    baseline = Baseline.from_report(OLD)
    new = _report([("age", 0.10, True), ("city", 0.20, True), ("noise", 0.15, True)])
    check = apply_baseline(baseline, new)
    assert check.failed and check.names("new") == ("noise",)
    shrunk = _report([("age", 0.10, True), ("city", 0.05, False)])
    check = apply_baseline(baseline, shrunk)
    assert not check.failed
    assert check.names("accepted", "column") == ("age",)
    assert check.names("resolved", "column") == ("city",)


def test_the_auc_grows_only_when_its_lower_bound_passes_the_tolerance():
    baseline = Baseline.from_report(OLD)  # accepted 0.70, tolerance 0.02
    kept = [("age", 0.3, True), ("city", 0.2, True)]
    noisy = _report(kept, auc=0.74, ci=(0.715, 0.765))  # the point is above 0.72
    grown = _report(kept, auc=0.76, ci=(0.725, 0.795))
    assert _status(apply_baseline(baseline, noisy))[("auc", "AUC")] == "accepted"
    check = apply_baseline(baseline, grown)
    assert _status(check)[("auc", "AUC")] == "grown" and check.failed


def test_drift_where_the_baseline_had_none_is_new():
    quiet = _report([("age", 0.01, False)], auc=0.5, ci=(0.48, 0.52), drift=False, by=())
    baseline = Baseline.from_report(quiet)
    assert baseline.auc is None and baseline.columns == ()
    check = apply_baseline(baseline, OLD)
    assert check.failed
    assert check.names("new") == ("AUC", "age", "city", "age > 60", "city in {a}")


def test_new_items_fail_only_when_the_verdict_counts_them():
    baseline = Baseline.from_report(OLD)
    # the classifier alone decided; a newly flagged column that does not count
    classifier_only = _report([("age", 0.3, True), ("city", 0.2, True), ("noise", 0.2, True)],
                              by=("classifier",))
    check = apply_baseline(baseline, classifier_only)
    assert check.names("new") == ("noise",) and not check.failed
    no_drift = _report([("age", 0.0, False), ("city", 0.0, False), ("noise", 0.2, True)],
                       drift=False, by=())
    assert not apply_baseline(baseline, no_drift).failed


def test_segments_match_on_rule_or_columns_and_grow_away_from_one():
    baseline = Baseline.from_report(OLD)  # lift tolerance 0.25
    moved = _report(
        [("age", 0.3, True), ("city", 0.2, True), ("noise", 0.0, False)],
        segments=[_segment("age > 58.5", "test", 2.3, (2.4, 2.6), ["age"]),  # 2.4 < 2.5
                  _segment("city in {a}", "train", 0.3, (0.25, 0.39), ["city"]),  # < 0.4
                  _segment("age > 60", "train", 0.5, (0.4, 0.6), ["age"]),  # other side
                  _segment("age <= 20 and noise > 1", "test", 1.5, (1.2, 1.8),
                           ["age", "noise"])],
    )
    check = apply_baseline(baseline, moved)
    assert _status(check) == {
        ("auc", "AUC"): "accepted",
        ("column", "age"): "accepted",
        ("column", "city"): "accepted",
        ("segment", "age > 58.5"): "accepted",
        ("segment", "city in {a}"): "grown",
        # matches no accepted segment, reads accepted columns only: judged on them
        ("segment", "age > 60"): "accepted",
        # reads a column the baseline does not accept
        ("segment", "age <= 20 and noise > 1"): "new",
    }
    assert check.failed


def test_a_baseline_round_trips_through_its_file(tmp_path):
    baseline = Baseline.from_report(OLD, column_tolerance=0.07)
    path = tmp_path / "accepted.json"
    path.write_text(baseline.dumps(), encoding="utf-8")
    doc = json.loads(path.read_text())
    assert doc["kind"] == BASELINE_KIND and doc["baseline_version"] == BASELINE_VERSION
    loaded = Baseline.load(path)
    assert loaded == baseline and loaded.source == str(path)
    # a hand-edited file: tolerances may be left out (defaults), a column accepted by hand
    doc["columns"] = [{"name": "noise", "statistic": 0.2}]
    path.write_text(json.dumps(doc))
    edited = Baseline.load(path)
    assert [(c.name, c.tolerance) for c in edited.columns] == [("noise", 0.05)]
    # a drift report is a baseline too
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(OLD))
    assert Baseline.load(report_path) == Baseline.from_report(OLD)


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (lambda d: d.update(kind="deps"), "kind", "'deps'"),
        (lambda d: d.pop("kind"), "kind", "missing"),
        (lambda d: d.update(baseline_version=2), "baseline_version", "reads version 1"),
        (lambda d: d["columns"][1].update(tolerance=-1), "columns[1].tolerance", r"\[0, inf\]"),
        (lambda d: d["columns"][0].update(statistic="big"), "columns[0].statistic", "number"),
        (lambda d: d["columns"][0].pop("name"), "columns[0].name", "non-empty string"),
        (lambda d: d["columns"].append(dict(d["columns"][0])), "columns[2].name", "twice"),
        (lambda d: d.update(columns={"age": 1}), "columns", "must be a list"),
        (lambda d: d["auc"].update(accepted=1.5), "auc.accepted", r"\[0, 1\]"),
        (lambda d: d["segments"][0].update(over_represented="both"),
         "segments[0].over_represented", "'test' or 'train'"),
        (lambda d: d["segments"][0].update(lift=0), "segments[0].lift", "above 0"),
    ],
)
def test_a_bad_baseline_file_names_the_file_and_the_key(tmp_path, edit, key, message):
    doc = Baseline.from_report(OLD).to_dict()
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DocumentError, match=message) as info:
        Baseline.load(path)
    assert str(info.value).startswith(f"{path}: key '{key}' ")


def test_unreadable_baseline_files_name_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"kind": "drift_baseline",')
    with pytest.raises(DocumentError, match=r"broken.json: is not valid JSON \(line 1"):
        Baseline.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(DocumentError, match="broken.json: holds a JSON list, not an object"):
        Baseline.load(path)
    with pytest.raises(DocumentError, match="missing.json: does not exist"):
        Baseline.load(tmp_path / "missing.json")


def test_a_baseline_accepting_columns_that_are_gone_is_refused(tmp_path):
    path = tmp_path / "accepted.json"
    path.write_text(Baseline.from_report(OLD).dumps())
    without_city = _report([("age", 0.3, True)])
    with pytest.raises(DocumentError, match=r"accepted.json: key 'columns' accepts columns "
                       r"the report does not have: 'city'"):
        apply_baseline(Baseline.load(path), without_city)
    # a column dropped as entirely missing is still there
    dropped = _report([("age", 0.3, True)], dropped=["city"])
    assert not apply_baseline(Baseline.load(path), dropped).failed


def test_tolerances_and_reports_are_checked():
    with pytest.raises(DocumentError, match="key 'column_tolerance' must be in"):
        Baseline.from_report(OLD, column_tolerance=-0.1)
    with pytest.raises(DocumentError, match="is 'deps', not a drift report"):
        apply_baseline(Baseline.from_report(OLD), {"kind": "deps"})


def test_the_report_says_what_was_accepted_new_and_grown():
    baseline = Baseline(auc=0.70, columns=(), source="acc.json")
    new = _report([("age", 0.3, True), ("<b>x|y</b>", 0.2, True)], auc=0.8, ci=(0.78, 0.82))
    check = apply_baseline(baseline, new)
    line = baseline_line(check)
    assert line == ("baseline: acc.json: 2 new (age, <b>x|y</b>), 1 grown (AUC), 0 accepted: "
                    "new or grown drift")
    text = "\n".join(baseline_markdown(check))
    assert "| **new** | &lt;b&gt;x\\|y&lt;/b&gt; | distance |  | 0.200 |  |" in text
    assert "| **grown** | AUC | AUC lower bound | 0.700 | 0.780 | 0.720 |" in text
    assert baseline_markdown(None) == []
    doc = check.to_dict()
    assert doc["failed"] is True and doc["new"] == ["age", "<b>x|y</b>"]
    assert doc["grown"] == ["AUC"] and doc["source"] == "acc.json"


def test_a_column_may_move_by_its_sampling_margin_at_the_reports_sizes():
    baseline = Baseline.from_report(OLD)
    margin = 1.358 * (2 / 1000) ** 0.5  # KS D's 5% critical value, 1,000 rows a side
    sized = {"n_train": 1000, "n_test": 1000}
    within = {**_report([("age", 0.30 + 0.05 + margin - 0.001, True), ("city", 0.2, True)]),
              **sized}
    beyond = {**_report([("age", 0.30 + 0.05 + margin + 0.001, True), ("city", 0.2, True)]),
              **sized}
    assert not apply_baseline(baseline, within).failed
    check = apply_baseline(baseline, beyond)
    assert check.names("grown") == ("age",)
    assert check.items[1].limit == pytest.approx(0.35 + margin)


def test_nothing_given_is_changed():
    import copy

    old, new = copy.deepcopy(OLD), _report([("age", 0.5, True), ("city", 0.2, True)])
    before = copy.deepcopy(new)
    apply_baseline(Baseline.from_report(old), new)
    assert old == OLD and new == before
