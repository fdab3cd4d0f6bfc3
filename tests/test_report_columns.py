"""The drift page's table of every column and its dataset summary card, read as HTML.

Hand-built reports with known facts check what each cell says; a real validator on a
table with planted facts (new levels, missing values, values beyond the train range)
checks that the flags reach the rows; the small plots are checked against the shares they
draw. The same table in a browser: ``tests/test_html_columns.py``.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval.report import (
    ColumnFacts,
    DatasetSummary,
    Distribution,
    SideSummary,
    build_drift_report,
    render_html,
)
from advval.report._svg import SMALL_BINS, SMALL_HEIGHT, small_distribution_chart


def _facts(name: str, kind: str, **values: object) -> ColumnFacts:
    plain = {
        "missing_train": 0.0, "missing_test": 0.0, "missing_p_value": None,
        "unseen_levels": None, "unseen_share": None, "gone_levels": None, "gone_share": None,
        "dominant_train": 0.3, "dominant_test": 0.3, "out_of_range_share": None, "flags": (),
    }
    return ColumnFacts(name=name, kind=kind, **{**plain, **values})  # type: ignore[arg-type]


def _rows(page: str) -> dict[str, str]:
    """Each table row's HTML, by the column name it shows."""
    rows = re.findall(r'<tr data-kind=.*?</tr>', page, re.S)
    return {re.search(r'class="col-name">(.*?)<', row).group(1): row for row in rows}


def test_rows_show_each_columns_facts_and_flags(make_drift_report):
    report = make_drift_report(("age", "income", "city"))
    facts = (
        _facts("age", "numeric", out_of_range_share=0.031, out_of_range_low=0.001,
               out_of_range_high=0.03, flags=("out_of_range",)),
        _facts("income", "numeric", missing_train=0.02, missing_test=0.125,
               missing_p_value=3e-9, out_of_range_share=0.0, out_of_range_low=0.0,
               out_of_range_high=0.0, flags=("missing_rate",)),
        _facts("city", "categorical", unseen_levels=3, unseen_share=0.075, gone_levels=1,
               gone_share=0.01, dominant_train=0.995, dominant_test=0.6,
               flags=("unseen_levels", "constant_train")),
    )
    page = render_html(dataclasses.replace(report, column_facts=facts))
    rows = _rows(page)
    assert list(rows) == ["age", "income", "city"]
    age, income, city = rows["age"], rows["income"], rows["city"]
    assert 'data-flags="drift out_of_range"' in age  # the verdict's flags, then the facts'
    assert '<td class="num" data-v="0.031">3.1%</td>' in age
    assert "0.1% below its minimum, 3.0% above its maximum" in age
    assert '<td class="num" data-v="0.105">2.0% → 12.5%</td>' in income  # sorts by the change
    assert "adjusted p 3.0e-09" in income and 'data-flags="drift missing_rate"' in income
    assert '<td class="num" data-v="0.075">7.5% (3 levels)</td>' in city
    assert "1 train levels never in test (1.0% of train rows with a value)" in city
    assert "most frequent value: 99.5% of train, 60.0% of test" in city
    assert "most frequent value" not in age  # only near-constant columns say it
    badges = re.findall(r'<span class="badge (\w+)">([^<]+)</span>', city)
    assert badges == [("fact", "new levels"), ("fact", "constant in train")]
    options = re.search(r'<select id="columns-flag">(.*?)</select>', page).group(1)
    assert re.findall(r'<option value="([^"]*)">', options) == [
        "", "*", "drift", "missing_rate", "unseen_levels", "constant_train", "out_of_range"
    ]
    assert "<th class=\"num\" data-sort>missing</th>" in page


def test_rows_without_facts_or_frames_still_list_every_column(make_drift_report):
    report = dataclasses.replace(make_drift_report(("a", "b", "c", "d")), column_facts=())
    page = render_html(report)
    rows = _rows(page)
    assert list(rows) == ["a", "b", "c", "d"]
    assert "data-sort>missing</th>" not in page  # no facts: no facts columns
    assert "<details>" not in page and 'class="small"' not in page  # no frames: no plots
    assert 'id="columns-expand" aria-pressed="false" hidden' in page
    assert 'id="summary"' not in page


def test_summary_card_shows_both_sides(make_drift_report):
    summary = DatasetSummary(
        train=SideSummary(1200, (("categorical", 1), ("numeric", 3)), 0.0412, 0.005),
        test=SideSummary(800, (("categorical", 1), ("numeric", 3)), 0.25, 0.0),
        test_rows_in_train=0.0375,
        test_rows_in_train_all_columns=0.00125,
        excluded_columns=("id", "<b>target</b>"),
    )
    page = render_html(dataclasses.replace(make_drift_report(), summary=summary))
    card = page[page.index('id="summary"') : page.index('id="features"')]
    train = re.search(r'<tr id="summary-train">(.*?)</tr>', card).group(1)
    test = re.search(r'<tr id="summary-test">(.*?)</tr>', card).group(1)
    cells = [re.sub("<.*?>", "", c) for c in re.findall(r"<td.*?</td>", train)]
    assert cells == ["1,200", "1 categorical, 3 numeric", "4.1%", "0.5%"]
    cells = [re.sub("<.*?>", "", c) for c in re.findall(r"<td.*?</td>", test)]
    assert cells == ["800", "1 categorical, 3 numeric", "25.0%", "0%"]
    assert "<strong>3.8%</strong> on the checked columns, 0.1% on every column" in card
    assert "<li>&lt;b&gt;target&lt;/b&gt;</li>" in card and "<li>id</li>" in card


def test_real_report_flags_the_planted_facts():
    rng = np.random.default_rng(0)
    n = 600
    train = pd.DataFrame({
        "city": rng.choice(["a", "b", "c"], n),
        "income": rng.normal(50, 5, n),
        "age": rng.normal(40, 10, n),
    })
    test = pd.DataFrame({
        "city": rng.choice(["a", "b", "c", "new"], n, p=[0.2, 0.2, 0.2, 0.4]),
        "income": np.where(rng.random(n) < 0.4, np.nan, rng.normal(50, 5, n)),
        "age": rng.normal(40, 10, n) + 100.0,  # every value beyond the train range
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    report = build_drift_report(validator, train, test)
    assert [d.name for d in report.distributions] == [f.name for f in report.features]
    rows = _rows(render_html(report))
    assert set(rows) == {"city", "income", "age"}
    flags = {name: re.search(r'data-flags="([^"]*)"', row).group(1).split() for name, row
             in rows.items()}
    assert "unseen_levels" in flags["city"] and "missing_rate" in flags["income"]
    assert "out_of_range" in flags["age"]
    new_share = (test["city"] == "new").mean()
    assert f"{100 * new_share:.1f}% (1 levels)" in rows["city"]
    assert '<td class="num" data-v="1">100%</td>' in rows["age"]
    assert all(row.count('<svg class="small"') == 1 for row in rows.values())


# --------------------------------------------------------------------------- small plots


def _steps(svg: str) -> list[list[float]]:
    """The heights of each outline of a small histogram, bin by bin."""
    return [[float(v) for v in re.findall(r"V([\d.]+)H", d)]
            for d in re.findall(r'<path class="h \w+" d="([^"]+)"', svg)]


def test_small_histogram_draws_the_merged_bins():
    edges = tuple(float(e) for e in np.linspace(0.0, 30.0, 31))
    train = tuple(float(v) for v in np.r_[np.full(10, 0.05), np.full(20, 0.025)])
    test = tuple(float(v) for v in np.r_[np.zeros(20), np.full(10, 0.1)])
    dist = Distribution("x", "numeric", tuple(str(i) for i in range(30)), edges, train, test)
    svg = small_distribution_chart(dist)
    outlines = _steps(svg)
    assert [len(o) for o in outlines] == [SMALL_BINS, SMALL_BINS]
    base = SMALL_HEIGHT - 13.0  # the axis, above the range's labels
    top = max(0.1 + 0.1, 0.05 + 0.05)  # the tallest merged bin: test's 0.2
    merged = [
        [a + b for a, b in zip(shares[::2], shares[1::2], strict=True)] for shares in (train, test)
    ]
    for drawn, truth in zip(outlines, merged, strict=True):
        heights = [(base - y) / (base - 4) * top for y in drawn]
        assert heights == pytest.approx(truth, abs=0.002)
    assert f'<text x="3" y="{SMALL_HEIGHT - 2}">0</text>' in svg and ">30</text>" in svg


def test_small_bars_write_each_levels_shares_and_escape_them():
    labels = ("<b>x</b>", "paris", "(missing)", "(other)")
    train, test = (0.5, 0.3, 0.0, 0.2), (0.25, 0.005, 0.1, 0.645)
    dist = Distribution("c", "categorical", labels, (), train, test)
    svg = small_distribution_chart(dist)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts == ["&lt;b&gt;x&lt;/b&gt;", "paris", "(missing)", "(other)",
                     "50/25%", "30/0.5%", "0/10%", "20/64%"]
    assert "<b>" not in svg


def test_small_plots_stay_about_a_kilobyte():
    long = tuple(f"level {i} " + "x" * 300 for i in range(30))
    worst = Distribution("c", "categorical", long, (), (1 / 30,) * 30, (1 / 30,) * 30)
    assert len(small_distribution_chart(worst)) < 3_000  # 24 levels drawn at most
    edges = tuple(float(e) for e in np.linspace(-1e6, 1e6, 31))
    shares = tuple(float(v) for v in np.random.default_rng(0).dirichlet(np.ones(30)))
    numeric = Distribution("x", "numeric", ("",) * 30, edges, shares, shares[::-1])
    assert len(small_distribution_chart(numeric)) < 800
