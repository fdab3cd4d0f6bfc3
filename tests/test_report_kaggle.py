"""The drift report on a real Kaggle-shaped table: a time split whose time stamps leak.

A seeded sample of the flights table (:func:`advval.datasets.make_kaggle_table`): train is
January-September, test October-December, and ``month``, ``date``, ``time_hour`` and
``flight date (US)`` tell them apart on their own. The report must name the inputs and the
rows the classifier used, give the verdict without the leaks next to the one with them,
scale its charts without the leaks and draw the leak columns as the disjoint columns they
are.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest

from advval import AdversarialValidator, DriftFeatureDropper
from advval.datasets import make_kaggle_table
from advval.exceptions import LeakWarning
from advval.report import build_drift_report, render_html, render_json, render_markdown
from advval.report._markdown import format_auc, format_count, p_clause, verdict_line
from advval.report._svg import importance_chart, importance_scale, nice_ticks
from advval.report._verdict import reason

BUDGET = 2_000
LEAKS = ("month", "date", "time_hour", "flight date (US)")


def _fit(table):
    X_train = table.train.drop(columns=[table.id, table.target])
    X_test = table.test.drop(columns=[table.id])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # the leak warning; a note on free text, if any
        validator = AdversarialValidator(max_rows=BUDGET, n_jobs=1, random_state=0).fit(
            X_train, X_test
        )
    leak_warnings = [str(w.message) for w in caught if issubclass(w.category, LeakWarning)]
    assert len(leak_warnings) == 1
    assert leak_warnings[0].startswith(f"Column(s) {list(LEAKS)!r} alone separate")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dropper = DriftFeatureDropper(
            X_test=X_test, validator=validator, prefit=True, max_drop=1, random_state=0
        ).fit(X_train, table.train[table.target])
    report = build_drift_report(
        validator, X_train, X_test, dropper=dropper, train_name="train.csv", test_name="test.csv"
    )
    return validator, dropper, report


@pytest.fixture(scope="module")
def kaggle():
    """(table, validator, dropper, report) on 4,000 sampled flights, budget 2,000 rows."""
    table = make_kaggle_table("flights", n_rows=4_000, random_state=0)
    return (table, *_fit(table))


def test_header_names_the_files_and_the_rows_used(kaggle):
    table, validator, _, report = kaggle
    n_train, n_test = len(table.train), len(table.test)
    assert (report.train_name, report.test_name) == ("train.csv", "test.csv")
    assert (report.n_train, report.n_test) == (n_train, n_test)
    assert report.row_budget == BUDGET == validator.max_rows_
    assert report.n_train_used + report.n_test_used == validator.n_rows_used_ == BUDGET
    assert report.n_train_used == round(BUDGET * n_train / (n_train + n_test))  # in proportion

    doc = json.loads(render_json(report))
    assert doc["train_name"] == "train.csv" and doc["test_name"] == "test.csv"
    assert (doc["n_train"], doc["n_test"]) == (n_train, n_test)
    assert doc["n_train_used"] + doc["n_test_used"] == BUDGET and doc["row_budget"] == BUDGET

    used = (
        f"The domain classifier used 2,000 of the {format_count(n_train + n_test)} rows "
        f"({format_count(report.n_train_used)} train + {format_count(report.n_test_used)} "
        f"test, drawn in proportion from each side): the row budget is 2,000 rows. The "
        f"per-column tests and the leak screen read every row. Change the budget with "
        f"max_rows (Python) or --max-rows (command line)."
    )
    text = render_markdown(report)
    assert (
        f"TRAIN train.csv: {format_count(n_train)} rows · TEST test.csv: "
        f"{format_count(n_test)} rows · {report.n_features} features"
    ) in text
    assert used.replace("_", "\\_") in text
    page = render_html(report)
    assert f'<dd id="rows-used">2,000 of {format_count(n_train + n_test)}</dd>' in page
    assert f'<span class="file">train.csv</span> {format_count(n_train)} <small>rows' in page
    assert f'<p class="rule" id="budget">{used}</p>' in page
    assert "train.csv vs test.csv adversarial validation" in page


def test_headline_gives_the_verdict_without_the_leaks(kaggle):
    _, validator, dropper, report = kaggle
    assert set(validator.leak_features_) == set(LEAKS) and report.leaks == tuple(LEAKS)
    assert report.auc > 0.99  # the leaks decide the headline AUC on their own
    without = report.without_leaks
    assert without is not None
    assert without.columns == tuple(dropper.path_["dropped"].iat[0]) == LEAKS
    after = dropper.path_.iloc[1]  # the held-out check right after the leak step
    assert without.auc == after["auc"] and without.p_value == after["p_value"]
    assert without.auc_ci == (after["auc_low"], after["auc_high"])
    assert without.drift == bool(after["drift"])
    assert without.n_features == report.n_features - len(LEAKS)
    assert without.auc < report.auc

    verdict = "drift detected" if without.drift else "no drift"
    assert verdict_line(report) == (
        f"drift detected: AUC {format_auc(report)}; {reason(report)}; with "
        f"leak-like columns month, date, time_hour, flight date (US); without them: "
        f"{verdict}, AUC {format_auc(without)}, {p_clause(without.p_value)}"
    )
    text = render_markdown(report)
    assert text.startswith(
        f"## advval drift check: DRIFT (without leak-like columns: "
        f"{'DRIFT' if without.drift else 'no drift'})\n"
    )
    assert (
        f"**Without the leak-like columns (month, date, time\\_hour, flight date (US)): "
        f"{verdict}**, AUC **{without.auc:.3f}**"
    ) in text
    page = render_html(report)
    assert f'<dd id="auc-without-leaks">{without.auc:.3f} <small>95% CI' in page
    assert f"<strong>{verdict}</strong>" in page
    doc = json.loads(render_json(report))
    assert doc["without_leaks"]["columns"] == list(LEAKS)
    assert doc["without_leaks"]["auc"] == pytest.approx(without.auc, rel=1e-5)
    assert [step["dropped"] for step in doc["remedy"]["path"]][0] == list(LEAKS)
    assert all(step["p_value"] is not None for step in doc["remedy"]["path"])


def test_importance_chart_is_scaled_without_the_leaks(kaggle):
    _, _, _, report = kaggle
    drawn = report.features[:15]
    leaks = [f for f in drawn if f.leak]
    others = [f for f in drawn if not f.leak]
    assert leaks and others
    axis = nice_ticks(importance_scale(drawn), 5)[-1]
    assert axis < max(f.importance for f in leaks)  # a leak would have set the scale
    assert axis >= max(f.importance + f.importance_std for f in others)
    svg = importance_chart(drawn)
    for f in leaks:
        if f.importance > axis:
            assert f"{f.importance:.3g} (leak)</text>" in svg
    ticks = [float(t.replace(",", "")) for t in re.findall(r'text-anchor="middle">([\d.,]+)<', svg)]
    assert max(ticks) == pytest.approx(axis)
    page = render_html(report)
    assert "the bars of leak-like columns that exceed it are cut at its end" in page


def test_leak_columns_are_drawn_disjoint(kaggle):
    _, _, _, report = kaggle
    names = [o.name for o in report.overlays]
    kinds = {f.name: f.kind for f in report.features}
    leaks = [n for n in names if n in LEAKS]
    assert leaks and names[-len(leaks):] == leaks  # after the other columns
    assert len(names) - len(leaks) == 6
    for overlay in report.overlays:
        if overlay.name not in LEAKS:
            continue
        both = [
            label
            for label, a, b in zip(overlay.labels, overlay.train, overlay.test, strict=True)
            if a > 0 and b > 0 and label not in ("(missing)", "(other)")
        ]
        if overlay.kind == "categorical":  # date strings read as categories
            assert overlay.unseen_train == overlay.unseen_test == 1.0, overlay.name
            assert both == [], overlay.name
        else:  # numbers, or dates on a time axis: at most the bin holding the cut
            assert overlay.kind == ("datetime" if kinds[overlay.name] == "datetime" else "numeric")
            assert len(both) <= 1, (overlay.name, both)
    page = render_html(report)
    assert page.count('<span class="badge leak">leak</span></h3>') == len(leaks)


def test_feature_table_names_the_encoders_kinds(kaggle):
    _, validator, _, report = kaggle
    kinds = validator.encoder_.kinds
    assert {f.name: f.kind for f in report.features} == {str(c): k for c, k in kinds.items()}
    text = render_markdown(report)
    first = report.features[0]
    assert f"| 1 | {first.name} | {first.kind} | " in text
    page = render_html(report)
    assert "<th data-sort>kind</th>" in page
    row = page[page.index('<tr data-kind="') :].split("</tr>")[0]
    assert f'<summary class="col-name">{first.name}</summary>' in row
    assert f"</details></td><td>{first.kind}</td>" in row


def test_json_is_the_same_bytes_from_a_second_run(kaggle):
    table, _, _, report = kaggle
    _, _, again = _fit(table)
    assert render_json(again).encode() == render_json(report).encode()
    doc = json.loads(render_json(report))
    assert list(doc) == sorted(doc)
