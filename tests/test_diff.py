"""Report diffs: planted changes for each kind, the noise rule, the renderers."""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval import AdversarialValidator
from advval.compare import DocumentError, diff_reports, moved_beyond_noise, wilson_interval
from advval.report import (
    build_drift_report,
    render_diff_html,
    render_diff_json,
    render_diff_markdown,
)

XSS = "<script>alert(1)</script>"


# --------------------------------------------------------------------------- the rule


def test_wilson_interval_matches_its_formula_and_known_values():
    # Wilson (1927): centre (p + z²/2n) / (1 + z²/n), half-width z sqrt(p(1-p)/n + z²/4n²)
    # / (1 + z²/n); 0.5 on 100 samples gives [0.4038, 0.5962] (Agresti & Coull 1998)
    low, high = wilson_interval(0.5, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    low, high = wilson_interval(0.0, 20)
    assert low == 0.0 and high == pytest.approx(1.959964**2 / (20 + 1.959964**2))
    assert wilson_interval(1.0, 20)[1] == 1.0


def test_moved_beyond_noise_is_a_z_test_on_the_half_widths():
    # symmetric intervals of half-width h: the change counts beyond h * sqrt(2)
    h = 0.02
    edge = h * math.sqrt(2)
    assert moved_beyond_noise(0.6, (0.58, 0.62), 0.6 + edge + 1e-6,
                              (0.58 + edge + 1e-6, 0.62 + edge + 1e-6)) == 1
    assert moved_beyond_noise(0.6, (0.58, 0.62), 0.6 + edge - 1e-6,
                              (0.58 + edge - 1e-6, 0.62 + edge - 1e-6)) == 0
    assert moved_beyond_noise(0.6, (0.58, 0.62), 0.5, (0.48, 0.52)) == -1
    assert moved_beyond_noise(0.6, None, 0.9, (0.88, 0.92)) == 0


def test_robust_accuracy_is_worse_at_about_the_nominal_rate_under_no_change():
    """Two evaluations of one model on fresh samples (same true accuracy): "worse" must be
    rare (a one-sided 2.5% test), and a real drop of 0.1 on 1,000 samples is always seen."""
    rng = np.random.default_rng(0)
    n, trials = 400, 2000
    old = rng.binomial(n, 0.7, trials) / n
    new = rng.binomial(n, 0.7, trials) / n

    def worse(a, b, size):
        doc = {"kind": "robustness", "n_samples": size, "clean_accuracy": 0.9}
        diff = diff_reports({**doc, "robust_accuracy": a}, {**doc, "robust_accuracy": b})
        return diff.worse

    rate = np.mean([worse(a, b, n) for a, b in zip(old, new, strict=True)])
    assert rate < 0.05  # measured 0.024 here
    drops = rng.binomial(1000, 0.6, 200) / 1000
    assert all(worse(0.7, b, 1000) for b in drops)


# --------------------------------------------------------------------------- drift


def _drift(auc, ci, drift, features):
    return {
        "kind": "drift",
        "advval_version": "1",
        "auc": auc,
        "auc_ci": list(ci),
        "drift": drift,
        "n_train": 1000,
        "n_test": 1000,
        "alpha": 0.05,
        "features": [
            {"name": name, "statistic": d, "drift": flagged, "leak": leak}
            for name, d, flagged, leak in features
        ],
    }


OLD_DRIFT = _drift(0.60, (0.58, 0.62), True,
                   [("age", 0.2, True, False), ("city", 0.01, False, False),
                    ("gone", 0.0, False, False)])


def _changes(diff):
    return {(c.name, c.change): c.effect for c in diff.changes}


def test_drift_columns_that_start_or_stop_drifting():
    new = _drift(0.61, (0.59, 0.63), True,
                 [("age", 0.02, False, False), ("city", 0.3, True, True),
                  ("added", 0.4, True, False)])
    diff = diff_reports(OLD_DRIFT, new, old_name="old.json", new_name="new.json")
    assert _changes(diff) == {
        ("age", "stopped drifting"): "better",
        ("city", "started drifting"): "worse",
        ("city", "became leak-like"): "worse",
        ("added", "added, started drifting"): "worse",
        ("gone", "removed"): "changed",
    }
    assert diff.metrics[0].effect == "same"  # 0.60 -> 0.61 within the intervals
    assert diff.worse and diff.reasons == ("city started drifting", "city became leak-like",
                                           "added added, started drifting")


def test_drift_auc_rise_beyond_the_intervals_is_worse_and_a_fall_better():
    same_columns = [(n, d, f, leak) for n, d, f, leak in
                    [("age", 0.2, True, False), ("city", 0.01, False, False),
                     ("gone", 0.0, False, False)]]
    up = diff_reports(OLD_DRIFT, _drift(0.65, (0.63, 0.67), True, same_columns))
    assert up.metrics[0].effect == "worse" and up.worse and up.reasons == ("AUC rose",)
    down = diff_reports(OLD_DRIFT, _drift(0.55, (0.53, 0.57), True, same_columns))
    assert down.metrics[0].effect == "better" and not down.worse
    flip = diff_reports(_drift(0.5, (0.48, 0.52), False, same_columns), OLD_DRIFT)
    assert ("verdict", "drift flagged") in _changes(flip) and flip.worse
    assert (flip.old_verdict, flip.new_verdict) == ("no drift", "drift")


def _fit_report(shift: float, seed: int):
    rng = np.random.default_rng(seed)
    n = 500
    train = pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n)})
    test = pd.DataFrame({"a": rng.normal(shift, 1, n), "b": rng.normal(0, 1, n)})
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    return build_drift_report(validator, train, test).to_dict()


@pytest.fixture(scope="module")
def real_drift():
    return _fit_report(0.0, 0), _fit_report(0.8, 1)


def test_diff_of_real_drift_reports_finds_the_planted_shift(real_drift):
    quiet, shifted = real_drift
    assert not quiet["drift"] and shifted["drift"]
    diff = diff_reports(quiet, shifted)
    assert diff.worse
    assert _changes(diff)[("a", "started drifting")] == "worse"
    assert ("b", "started drifting") not in _changes(diff)
    assert diff.metrics[0].effect == "worse"
    back = diff_reports(shifted, quiet)
    assert not back.worse and _changes(back)[("a", "stopped drifting")] == "better"
    assert not diff_reports(shifted, shifted).worse
    assert diff_reports(shifted, shifted).changes == ()


# --------------------------------------------------------------------------- deps


def _deps(features, shift=()):
    return {
        "kind": "deps",
        "n_rows": 500,
        "features": [
            {"name": name, "score": score, "score_ci": list(ci), "significant": True,
             "redundant": redundant, "leak": leak, "id_like": False}
            for name, score, ci, redundant, leak in features
        ],
        "leaking": [f[0] for f in features if f[4]],
        "redundant": [f[0] for f in features if f[3]],
        "shift": [{"name": n, "shifted": s, "drop": d} for n, s, d in shift],
    }


def test_deps_new_leaks_and_shifts_are_worse_score_moves_are_listed():
    old = _deps([("x", 0.5, (0.45, 0.55), False, False), ("y", 0.3, (0.25, 0.35), True, False)],
                shift=[("x", False, 0.0), ("y", True, 0.2)])
    new = _deps([("x", 0.8, (0.75, 0.85), False, True), ("y", 0.31, (0.26, 0.36), False, False)],
                shift=[("x", True, 0.3), ("y", False, 0.0)])
    diff = diff_reports(old, new)
    assert _changes(diff) == {
        ("x", "newly leaking"): "worse",
        ("y", "no longer redundant"): "changed",
        ("x", "started shifting"): "worse",
        ("y", "stopped shifting"): "better",
        ("x", "score rose"): "changed",  # 0.5 -> 0.8 beyond the intervals; y's 0.01 is not
    }
    assert diff.worse
    assert diff.old_verdict == "1 shifted, 1 redundant"
    assert diff.new_verdict == "1 leaking, 1 shifted"
    # a score that rose alone is not worse
    calm = _deps([("x", 0.8, (0.75, 0.85), False, False), ("y", 0.3, (0.25, 0.35), True, False)],
                 shift=[("x", False, 0.0), ("y", True, 0.2)])
    assert not diff_reports(old, calm).worse


# --------------------------------------------------------------------------- robustness


def _robustness(robust, clean, attacks, n=1000, flags=(), kind="robustness"):
    return {
        "kind": kind,
        "n_samples": n,
        "clean_accuracy": clean,
        "robust_accuracy": robust,
        "attacks": [{"name": a, "robust_accuracy": r, "eps": 0.5, "norm": "inf",
                     "n_attacked": round(n * clean), "success_rate": 1 - r / clean}
                    for a, r in attacks],
        "flags": [{"code": c, "attack": a, "message": "m"} for c, a in flags],
    }


def test_robustness_drop_beyond_wilson_intervals_is_worse():
    old = _robustness(0.80, 0.95, [("PGD", 0.80), ("Square", 0.85)])
    small = _robustness(0.78, 0.95, [("PGD", 0.78), ("Square", 0.85)])
    assert not diff_reports(old, small).worse
    big = _robustness(0.70, 0.95, [("PGD", 0.70), ("Square", 0.85), ("NES", 0.9)],
                      flags=[("zero_gradients", "PGD")])
    diff = diff_reports(old, big)
    assert diff.worse and diff.reasons == ("robust accuracy fell",)
    by_name = {m.name: m for m in diff.metrics}
    assert by_name["robust accuracy"].old_ci == pytest.approx(wilson_interval(0.8, 1000))
    assert by_name["robust accuracy: PGD"].effect == "changed"  # listed, not counted
    assert by_name["robust accuracy: Square"].effect == "same"
    # PGD's success rate over the 950 attacked samples: 1 - 0.8/0.95 -> 1 - 0.7/0.95
    assert by_name["success rate: PGD"].effect == "changed"
    assert by_name["success rate: PGD"].new_ci == pytest.approx(
        wilson_interval(1 - 0.7 / 0.95, 950))
    assert _changes(diff) == {("NES", "added"): "changed",
                              ("zero_gradients (PGD)", "raised"): "changed"}
    better = diff_reports(big, old)
    assert not better.worse and better.metrics[0].effect == "better"


def test_image_reports_diff_like_robustness_and_kinds_must_match():
    old = _robustness(0.5, 0.9, [], n=500, kind="image_robustness")
    new = _robustness(0.4, 0.9, [], n=400, kind="image_robustness")
    diff = diff_reports(old, new)
    assert diff.kind == "image_robustness" and diff.worse
    assert "n_samples 500 -> 400" in diff.notes
    with pytest.raises(DocumentError, match=r"^new.json: key 'kind' is 'robustness' but "
                       r"old.json is 'image_robustness'"):
        diff_reports(old, _robustness(0.4, 0.9, []), old_name="old.json", new_name="new.json")
    with pytest.raises(DocumentError, match="key 'kind' is 'drift_baseline'; a diff reads"):
        diff_reports({"kind": "drift_baseline"}, {"kind": "drift_baseline"})
    with pytest.raises(DocumentError, match=r"key 'auc' must be in \[0, 1\], got 2"):
        diff_reports({**OLD_DRIFT, "auc": 2}, OLD_DRIFT)


def test_real_robustness_reports():
    from advval.attacks import SquareAttack, robustness_report

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    weak = robustness_report(model, X, y, [SquareAttack(None, eps=0.05, steps=10)],
                             random_state=0).to_dict()
    strong = robustness_report(model, X, y, [SquareAttack(None, eps=1.0, steps=10)],
                               random_state=0).to_dict()
    assert strong["robust_accuracy"] < weak["robust_accuracy"] - 0.2
    diff = diff_reports(weak, strong)
    assert diff.worse and diff.reasons == ("robust accuracy fell",)
    assert any("eps 0.05 -> norm inf eps 1.0" in note for note in diff.notes)


# --------------------------------------------------------------------------- renderers


def _named_diff():
    old = _drift(0.60, (0.58, 0.62), False, [(XSS, 0.01, False, False), ("a|b", 0.0, False, False)])
    new = _drift(0.70, (0.68, 0.72), True, [(XSS, 0.30, True, False), ("a|b", 0.0, False, False)])
    return diff_reports(old, new, old_name="main/<b>.json", new_name="pr.json")


def test_markdown_is_a_short_escaped_table():
    text = render_diff_markdown(_named_diff())
    lines = text.splitlines()
    assert lines[0] == "## advval diff (drift): **worse**"
    assert "| AUC | 0.600 [0.580, 0.620] | 0.700 [0.680, 0.720] | **worse** |" in lines
    assert ("| column | &lt;script&gt;alert(1)&lt;/script&gt; | **started drifting** | "
            "0.010 | 0.300 |") in lines
    assert "<script>" not in text and "main/&lt;b&gt;.json → pr.json" in lines
    many = diff_reports(
        _drift(0.5, (0.48, 0.52), False, [(f"c{i}", 0.0, False, False) for i in range(80)]),
        _drift(0.5, (0.48, 0.52), False, [(f"c{i}", 0.2, True, False) for i in range(80)]),
    )
    text = render_diff_markdown(many)
    assert "| | and 55 more | | | |" in text and len(text.splitlines()) < 45


def test_json_is_deterministic_and_sorted(real_drift, tmp_path):
    quiet, shifted = real_drift
    paths = [tmp_path / "q.json", tmp_path / "s.json"]
    for path, doc in zip(paths, real_drift, strict=True):
        path.write_text(json.dumps(doc))
    first = render_diff_json(diff_reports(quiet, shifted, old_name="q", new_name="s"))
    again = render_diff_json(diff_reports(json.loads(paths[0].read_text()),
                                          json.loads(paths[1].read_text()),
                                          old_name="q", new_name="s"))
    assert first == again
    doc = json.loads(first)
    assert list(doc) == sorted(doc)
    assert doc["kind"] == "diff" and doc["compared"] == "drift" and doc["worse"] is True
    assert doc["schema_version"] == 1


def test_html_is_self_contained_and_escaped():
    page = render_diff_html(_named_diff())
    assert page.startswith("<!DOCTYPE html>")
    assert XSS not in page and html.escape(XSS) in page
    assert "<script" not in page  # no script at all
    assert not re.search(r"(src|href)=", page)
    assert not re.search(r"https?://", page)
    assert "Content-Security-Policy" in page and "default-src &#39;none&#39;" in page
    assert 'class="card verdict drift"' in page and "started drifting" in page
    calm = render_diff_html(diff_reports(OLD_DRIFT, OLD_DRIFT))
    assert "Not worse" in calm and "No column, feature, attack or flag changed state." in calm


def test_real_dependency_reports_find_a_planted_target_leak():
    from advval import FeatureDependencyChecker
    from advval.report import build_dependency_report

    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.normal(size=n)})
    y = pd.Series((X["a"] + rng.normal(size=n) > 0).astype(int), name="y")

    def report(frame):
        checker = FeatureDependencyChecker(random_state=0, n_jobs=1).fit(frame, y)
        return build_dependency_report(checker).to_dict()

    clean = report(X)
    leaky = report(X.assign(c=y.to_numpy()))  # c becomes a copy of the target
    assert clean["leaking"] == [] and leaky["leaking"] == ["c"]
    diff = diff_reports(clean, leaky)
    assert diff.worse and "c newly leaking" in diff.reasons
    assert not diff_reports(leaky, clean).worse


def test_nothing_given_is_changed():
    import copy

    old = _robustness(0.80, 0.95, [("PGD", 0.80)])
    new = _robustness(0.70, 0.95, [("PGD", 0.70)], flags=[("zero_gradients", "PGD")])
    kept = copy.deepcopy((old, new))
    render_diff_html(diff_reports(old, new))
    assert (old, new) == kept
