"""The HTML robustness report: self-contained, escaped, bounded; and the shared writer."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from advval.attacks import NESAttack, SquareAttack, robustness_report
from advval.attacks.evaluate import SanityFlag
from advval.report import (
    render_robustness_html,
    render_robustness_json,
    render_robustness_markdown,
    write_report,
)
from advval.report._robustness_html import (
    HTML_MAX_ATTACKS,
    HTML_MAX_FLAGS,
    HTML_TOP_FEATURES,
    summary_line,
)
from advval.report._svg import MAX_SERIES, accuracy_curve_chart, share_bars

XSS = "<script>alert(1)</script>"


def _data(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=[XSS, "income", "age", "debt"])
    y = (X[XSS] + X["income"] > 0).astype(int).to_numpy()
    return X, y


def _real_report(seed: int = 0):
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    attacks = [SquareAttack(None, eps=0.5, steps=20), NESAttack(None, eps=0.5, steps=5)]
    return robustness_report(model, X, y, attacks, eps=[0.1, 0.5], random_state=seed)


@pytest.fixture(scope="module")
def report():
    return _real_report()


def test_page_is_self_contained_and_escaped(report):
    page = render_robustness_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src &#39;none" in page
    assert "<script" not in page.lower()
    assert html.escape(XSS) in page or html.escape(XSS, quote=False) in page
    assert not re.search(r"(src|href)=", page)
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert page.count("<svg") == 2  # the accuracy-vs-eps curve and the feature bars
    assert f"Robust accuracy {report.robust_accuracy:.3f}" in page
    assert f"{report.clean_accuracy:.3f}" in page
    for attack in report.attacks:
        assert attack.name in page


def test_page_shows_headline_attacks_curve_features_and_settings(report):
    page = render_robustness_html(report)
    for section in ('id="verdict"', 'id="attacks"', 'id="curve"', 'id="features"',
                    'id="attack-settings"', 'id="details"'):
        assert section in page
    assert "No sanity flag was raised" in page and 'id="flags"' not in page
    assert "eps (L∞, standard units)" in page  # the curve's axis
    assert report.robust_accuracy < report.clean_accuracy
    assert 'badge drift">worst' in page


def test_sanity_flags_come_first_and_are_escaped(report):
    flagged = dataclasses.replace(report, flags=(
        SanityFlag("blackbox_stronger", f"SquareAttack fooled 3 samples via {XSS}",
                   "SquareAttack"),
        SanityFlag("randomized_outputs", "The model's outputs differ between two calls."),
    ))
    page = render_robustness_html(flagged)
    assert page.index('id="flags"') < page.index('id="attacks"')
    assert "black-box stronger than white-box" in page and "randomized outputs" in page
    assert "<script" not in page.lower()
    assert "2 sanity flags" in page


def test_size_is_bounded_whatever_the_number_of_columns_attacks_and_flags(report):
    def widened(k: int):
        features = tuple(
            dataclasses.replace(report.features[0], name=f"{XSS}{j}" * 20) for j in range(k)
        )
        attacks = tuple(
            dataclasses.replace(report.attacks[0], name=f"Attack#{j}") for j in range(k)
        )
        flags = tuple(SanityFlag("zero_gradients", "x" * 5000, f"Attack#{j}") for j in range(k))
        return dataclasses.replace(report, features=features, attacks=attacks, flags=flags)

    small, large = render_robustness_html(widened(60)), render_robustness_html(widened(2000))
    assert len(large) < 600_000
    assert len(large) - len(small) < 2_000  # only the counts in the text grow
    assert large.count("<li><span class=\"badge drift\">") == HTML_MAX_FLAGS
    assert f"The first {HTML_MAX_ATTACKS} of 2000 attacks" in large
    assert f"{HTML_TOP_FEATURES} in the table" in large


def test_one_budget_explains_how_to_get_a_curve():
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    single = robustness_report(model, X, y, [SquareAttack(None, eps=0.5, steps=10)],
                               random_state=0)
    page = render_robustness_html(single)
    assert "One budget only" in page and "--curve" in page


def test_nothing_fooled_is_green_without_feature_bars(report):
    calm = dataclasses.replace(
        report,
        robust_accuracy=report.clean_accuracy,
        attacks=tuple(dataclasses.replace(a, n_fooled=0, robust_accuracy=report.clean_accuracy)
                      for a in report.attacks),
        features=(),
    )
    page = render_robustness_html(calm)
    assert 'class="card verdict " id="verdict"' in page
    assert "No attack succeeded" in page and page.count("<svg") == 1
    assert summary_line(calm).endswith("no attack fooled any sample")


def test_summary_line_names_the_worst_attack(report):
    line = summary_line(report)
    worst = min(report.attacks, key=lambda a: a.robust_accuracy)
    assert line.startswith(f"robustness: clean accuracy {report.clean_accuracy:.3f}, robust "
                           f"accuracy {report.robust_accuracy:.3f} (L∞ eps 0.5, worst case over "
                           "2 attacks)")
    assert f"worst attack {worst.name} {worst.robust_accuracy:.3f}" in line


def test_json_is_byte_identical_across_two_runs():
    first, second = _real_report(seed=3), _real_report(seed=3)
    text = render_robustness_json(first)
    assert text == render_robustness_json(second)
    assert json.loads(text)["features"][0]["name"] in {XSS, "income", "age", "debt"}


@pytest.mark.parametrize(
    ("fmt", "render"),
    [("html", render_robustness_html), ("json", render_robustness_json),
     ("markdown", render_robustness_markdown)],
)
def test_write_report_takes_robustness_reports(report, tmp_path, fmt, render):
    sink = io.StringIO()
    write_report(report, sink, format=fmt)
    assert sink.getvalue().rstrip("\n") == render(report).rstrip("\n")
    path = tmp_path / f"r.{fmt}"
    write_report(report, path, format=fmt)
    assert path.read_text(encoding="utf-8") == sink.getvalue()


def test_curve_chart_draws_at_most_max_series_and_escapes():
    attacks = [(f"{XSS}{i}", [(0.1, 0.9), (0.5, 0.4)]) for i in range(MAX_SERIES + 3)]
    svg = accuracy_curve_chart([(0.1, 0.8), (0.5, 0.3)], attacks, clean=0.95, norm="L2")
    assert svg.startswith("<svg") and "<script" not in svg
    assert svg.count("<polyline") == MAX_SERIES + 1  # the attacks shown and the worst case
    assert "clean 0.950" in svg and "eps (L2, standard units)" in svg
    for number in re.findall(r'c[xy]="(-?[\d.]+)"', svg):
        assert 0 <= float(number) <= 600


def test_share_bars_clip_values_to_the_unit_interval():
    svg = share_bars([("a", 1.7, "x"), ("b", -0.2, "y"), ("c", float("nan"), "z")],
                     title="t", axis="share")
    assert "100%" in svg and svg.count("0%") >= 2
