"""Strings as a Kaggle table has them: date strings, free text, high cardinality, overrides."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from advval import AdversarialValidator
from advval._dates import ISO8601, date_formats, parse_dates, pick_format
from advval._frames import FrameEncoder
from advval._levels import MAX_COUNTED, MAX_LEVELS, OTHER, labels_and_codes
from advval._stats import category_test
from advval._summary import FrameSummary, merge_frames
from advval._text import TEXT_PARTS, text_features
from advval.datasets import make_kaggle_table
from advval.drift._univariate import compare_columns, level_table
from advval.exceptions import DataWarning, LeakWarning, ReadingWarning

PREFIXES = ("North", "South", "East", "West", "Old", "New", "Port", "Fort", "Lake", "Mount")
STEMS = ("Oak", "Elm", "Pine", "Ash", "Bay", "Rock", "Hill", "Glen", "Ford", "Dale")
CITIES = [f"{a} {b} City" for a in PREFIXES for b in STEMS]  # 100 names of 3 words
WORDS = [
    "delayed", "on", "time", "gate", "crew", "weather", "late", "early", "boarding",
    "checked", "bags", "seat", "window", "aisle", "Boston", "Denver", "NYC", "ATL",
]  # fmt: skip


def _text(rng: np.random.Generator, n: int) -> list[str]:
    """Free text: a few words and numbers per value, nearly every value distinct."""
    return [
        " ".join(rng.choice(WORDS, size=rng.integers(5, 12)))
        + f", flight {rng.integers(1, 9999)} at {rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"
        for _ in range(n)
    ]


def _codes(rng: np.random.Generator, n: int, levels: int = 5000) -> NDArray[np.object_]:
    """A code like a plane's tail number: one word, ``levels`` levels of uneven frequency."""
    names = np.array([f"N{i:05d}" for i in range(levels)], dtype=object)
    weights = 1.0 / np.arange(1, levels + 1) ** 0.7
    return names[rng.choice(levels, size=n, p=weights / weights.sum())]


def _fit(train: pd.DataFrame, test: pd.DataFrame | None = None, **kinds: str) -> FrameEncoder:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return FrameEncoder(column_kinds=kinds or None).fit(train, train if test is None else test)


# ---------------------------------------------------------------------------- date strings


def test_iso_dates_and_datetimes_become_datetime_parts_with_hour_only_when_present():
    rng = np.random.default_rng(0)
    stamps = pd.Series(
        pd.Timestamp("2019-03-01") + pd.to_timedelta(rng.integers(0, 10**7, 300), "s")
    )
    frame = pd.DataFrame(
        {
            "day": stamps.dt.strftime("%Y-%m-%d").astype("str"),
            "when": stamps.dt.strftime("%Y-%m-%d %H:%M:%S").astype("str"),
            "iso": stamps.dt.strftime("%Y-%m-%dT%H:%M").astype(object),
        }
    )
    frame.loc[::7, "day"] = None
    encoder = FrameEncoder().fit(frame, frame)
    assert encoder.kinds == {"day": "datetime", "when": "datetime", "iso": "datetime"}
    assert encoder.formats == {
        "day": "%Y-%m-%d",
        "when": "%Y-%m-%d %H:%M:%S",
        "iso": "%Y-%m-%dT%H:%M",
    }
    assert encoder.parts[:6] == ["epoch", "year", "month", "day", "day_of_week", "epoch"]
    assert encoder.parts.count("hour") == 2  # the dates have no hour part
    encoded = encoder.transform(frame)
    expected = pd.to_datetime(frame["when"], format="%Y-%m-%d %H:%M:%S")
    np.testing.assert_array_equal(encoded["when_hour__10"], expected.dt.hour.astype(float))
    np.testing.assert_array_equal(
        encoded["when_epoch__5"], (expected - pd.Timestamp(0)).dt.total_seconds()
    )
    assert encoded["day_year__1"].isna().tolist() == frame["day"].isna().tolist()
    np.testing.assert_array_equal(
        encoder.column_values(frame, "when"), (expected - pd.Timestamp(0)).dt.total_seconds()
    )


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["01/31/2013", "12/01/2013", "02/28/2014"], "%m/%d/%Y"),
        (["1/31/13", "12/1/13"], "%m/%d/%y"),
        (["31.01.2013", "01.12.2013", "28.02.2014"], "%d.%m.%Y"),
        (["31/01/2013 17:45", "01/12/2013 08:00"], "%d/%m/%Y %H:%M"),
        (["2013/01/31", "2013/12/01"], "%Y/%m/%d"),
        (["2013.01.31", "2013.12.01"], "%Y.%m.%d"),
        (["1/31/2013 5:45:00 PM", "12/1/2013 11:00:00 AM"], "%m/%d/%Y %I:%M:%S %p"),
        (["2013-01-31", "2013-12-01 08:00:00", "2013-06-01T12:30"], ISO8601),
        (["2013-01-31T05:00:00Z", "2013-06-01T05:00:00+02:00"], "%Y-%m-%dT%H:%M:%S%z"),
        (["2013-01-31 05:00:00.250", "2013-06-01 05:00:00.5"], "%Y-%m-%d %H:%M:%S.%f"),
    ],
)  # fmt: skip
def test_common_date_formats_are_found_with_the_day_month_order_the_data_allow(values, fmt):
    frame = pd.DataFrame({"d": values * 4})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encoder = FrameEncoder().fit(frame, frame)
    said = [str(w.message) for w in caught]
    # values with a UTC offset other than Z are read in UTC, and that is said
    assert said == (["Column(s) ['d'] hold times with UTC offsets ('d': '+02:00'): they are "
                     "read in UTC (each time moved by its offset), so their hours and days "
                     "are UTC ones."] if "%z" in fmt else [])  # fmt: skip
    assert encoder.kinds == {"d": "datetime"} and encoder.formats == {"d": fmt}
    assert encoder.ambiguous_dates == []
    epoch = encoder.column_values(frame, "d")
    reference = pd.to_datetime(frame["d"], format=fmt, utc=True).dt.tz_localize(None)
    np.testing.assert_array_equal(epoch, (reference - pd.Timestamp(0)).dt.total_seconds())


def test_values_with_a_utc_offset_are_read_in_utc():
    frame = pd.DataFrame({"t": ["2013-01-31T05:00:00+01:00", "2013-01-31T05:00:00Z"] * 3})
    said = r"\['t'\] hold times with UTC offsets \('t': '\+01:00'\)"
    with pytest.warns(ReadingWarning, match=said):
        encoded = FrameEncoder().fit(frame, frame).transform(frame)
    assert encoded["t_hour__5"].tolist()[:2] == [4.0, 5.0]


def test_when_both_readings_fit_every_value_month_first_is_chosen_and_said():
    frame = pd.DataFrame({"d": ["01/02/2013", "03/04/2013", "12/11/2013"] * 3})
    message = re.escape(
        "Column(s) ['d'] read as dates both month first and day first (no day above 12): "
        "read month first, {'d': '%m/%d/%Y'}. If the day comes first, pass --day-first "
        "(Python: convert them with pandas.to_datetime(..., format=...) first)."
    )
    with pytest.warns(DataWarning, match=message):
        encoder = FrameEncoder().fit(frame, frame)
    assert encoder.formats == {"d": "%m/%d/%Y"} and encoder.ambiguous_dates == ["d"]
    assert encoder.transform(frame)["d_month__2"].tolist()[:3] == [1.0, 3.0, 12.0]
    assert pick_format(frozenset({"%d.%m.%Y", "%m.%d.%Y"})) == "%m.%d.%Y"
    assert pick_format(frozenset({ISO8601, "%Y-%m-%d"})) == "%Y-%m-%d"


def test_a_time_of_day_alone_is_read_as_a_time():
    """'05:30' and '5:30 PM' are times of day: read on 1900-01-01, compared as times."""
    train = pd.DataFrame({"sched": ["05:30", "07:45", "09:05"] * 100})
    test = pd.DataFrame({"sched": ["17:30", "19:45", "21:05"] * 100})
    encoder = FrameEncoder().fit(train, test)
    assert encoder.kinds == {"sched": "datetime"} and encoder.formats == {"sched": "%H:%M"}
    values = encoder.column_values(train, "sched")
    hours = (values - values.min()) / 3600.0  # seconds of the day, relative
    assert sorted(set(np.round(hours, 3))) == [0.0, 2.25, 3.583]
    assert "hour" in encoder.parts
    pm = pd.DataFrame({"sched": ["5:30 PM", "11:05 AM"] * 100})
    assert FrameEncoder().fit(pm, pm).formats == {"sched": "%I:%M %p"}
    assert date_formats(pa.array(["05:30:15", "23:59:59.250"])) == frozenset()  # two shapes
    assert date_formats(pa.array(["05:30:15", "23:59:59"])) == {"%H:%M:%S"}


@pytest.mark.parametrize(
    "values",
    [
        ["N14228", "N24211"],  # codes
        ["2013-01-31", "2013-02-30"],  # an impossible date: strict, not coerced
        ["05:15", "24:40"],  # 24 is no hour: durations, not times of day
        ["3:1", "16:9"],  # ratios and scores: one digit after the colon
        ["1.10.12", "3.10.11"],  # version numbers (a 2-digit year only after / or -)
        ["Jan 5, 2013", "Feb 6, 2013"],  # month names: dateutil would guess, we do not
        ["2013-01-31", "2013-01-31 junk"],
        ["20130131", "20130201"],  # digits only: more often an ID than a date
        ["2013", "2014"],
    ],
)
def test_strings_that_are_not_all_dates_of_one_format_stay_categorical(values):
    frame = pd.DataFrame({"d": values * 3})
    encoder = FrameEncoder().fit(frame, frame)
    assert encoder.kinds == {"d": "categorical"} and encoder.formats == {}


def test_every_parse_uses_one_explicit_format(monkeypatch):
    calls: list[object] = []
    original = pd.to_datetime

    def spy(*args, **kwargs):
        calls.append(kwargs.get("format"))
        return original(*args, **kwargs)

    monkeypatch.setattr(pd, "to_datetime", spy)
    frame = pd.DataFrame(
        {"a": ["01/31/2013", "12/01/2013"] * 50, "b": ["2013-01-31", "2013-02-01 10:00"] * 50}
    )
    encoder = FrameEncoder().fit(frame, frame)
    encoder.transform(frame)
    encoder.column_values(frame, "a")
    assert calls and all(isinstance(f, str) for f in calls)
    # each style of 'b' is tried with its own candidates before both are read together
    assert set(calls) <= {"%m/%d/%Y", "%d/%m/%Y", ISO8601, "%Y-%m-%d", "%Y-%m-%d %H:%M"}


def test_dates_far_outside_the_nanosecond_range_are_encoded():
    frame = pd.DataFrame({"d": ["0001-01-01", "9999-12-31", "1970-01-02"]})
    values = FrameEncoder().fit(frame, frame).column_values(frame, "d")
    assert values.tolist() == [-62135596800.0, 253402214400.0, 86400.0]


def test_date_formats_of_parts_intersect_to_those_of_the_whole():
    first, second = pa.array(["01/02/2013", "11/12/2013"]), pa.array(["01/13/2013"])
    whole = pa.concat_arrays([first, second])
    assert date_formats(first) == {"%m/%d/%Y", "%d/%m/%Y"}
    assert date_formats(whole) == date_formats(first) & date_formats(second) == {"%m/%d/%Y"}
    assert date_formats(pa.array([], type=pa.string())) == frozenset()
    parsed = parse_dates(pa.array(["2013-01-31", "x"]), "%Y-%m-%d")
    assert parsed.tolist()[0].isoformat() == "2013-01-31T00:00:00" and np.isnat(parsed[1])


def test_dates_written_one_way_in_train_and_another_in_test_are_named():
    stamps = pd.date_range("2020-01-01", periods=400, freq="h")
    # month first on one side, day first on the other (days up to 17): not one order
    train = pd.DataFrame({"when": stamps.strftime("%m/%d/%Y %H:%M"), "x": np.arange(400.0)})
    test = pd.DataFrame({"when": stamps.strftime("%d/%m/%Y %H:%M"), "x": np.arange(400.0)})
    message = (
        "Column(s) ['when'] hold dates written one way in X_train and another in X_test "
        "('when': '%m/%d/%Y %H:%M' vs '%d/%m/%Y %H:%M'): no one format reads both sides, nor "
        "one order of day and month, so they are compared as categories, and differ for that "
        "alone. Write both sides in one format first (pandas.to_datetime(..., format=...))."
    )
    with pytest.warns(DataWarning, match=re.escape(message)):
        encoder = FrameEncoder().fit(train, test)
    assert encoder.kinds == {"when": "categorical", "x": "numeric"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one format on both sides: nothing to say
        same = FrameEncoder().fit(train, train.iloc[::-1])
    assert same.kinds["when"] == "datetime"


def test_a_date_string_that_separates_the_sides_is_named_a_leak_like_datetime():
    rng = np.random.default_rng(3)
    n = 600
    days = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 180, 2 * n), "D")
    text = pd.Series(days.strftime("%m/%d/%Y"))
    train = pd.DataFrame({"flight date (US)": text[:n], "x": rng.normal(size=n)})
    test = pd.DataFrame(
        {
            "flight date (US)": pd.Series((days[n:] + pd.Timedelta(days=200)).strftime("%m/%d/%Y")),
            "x": rng.normal(size=n),
        }
    )
    with pytest.warns(
        LeakWarning, match=re.escape("Column(s) ['flight date (US)'] alone separate")
    ):
        validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    row = validator.feature_report_.loc["flight date (US)"]
    assert row["kind"] == "datetime" and row["test"] == "ks" and bool(row["leak"])
    assert validator.encoder_.formats == {"flight date (US)": "%m/%d/%Y"}


# ---------------------------------------------------------------------------- free text


def test_free_text_is_told_from_codes_city_names_and_titles_and_said_once():
    rng = np.random.default_rng(1)
    n = 3000
    titles = [f"The {a} {b}" for a in ("Red", "Last", "Lost", "Big", "Dark") for b in WORDS]
    frame = pd.DataFrame(
        {
            "notes": _text(rng, n),
            "tailnum": _codes(rng, n),
            "city": rng.choice(CITIES, n),
            "title": rng.choice(titles * 10, n) + pd.Series(rng.integers(0, 30, n)).astype(str),
            "x": rng.normal(size=n),
        }
    )
    message = re.escape(
        "Column(s) ['notes'] hold free text (many distinct values of several words): the "
        "classifier sees their length, word count and shares of digits, upper-case letters "
        "and punctuation, and the per-column test compares their lengths. Name them in "
        "column_kinds as 'categorical' (CLI: --categorical) to treat them as categories "
        "instead."
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encoder = FrameEncoder().fit(frame, frame.iloc[::-1])
    # once, for every column; a DataWarning on how the columns were read
    assert len(caught) == 1 and caught[0].category is ReadingWarning
    assert re.fullmatch(message, str(caught[0].message))
    assert encoder.kinds == {
        "notes": "text", "tailnum": "categorical", "city": "categorical",
        "title": "categorical", "x": "numeric",
    }  # fmt: skip
    assert encoder.parts[:5] == list(TEXT_PARTS)
    assert encoder.encoded_columns[:5] == [
        "notes_length__0", "notes_words__1", "notes_digits__2", "notes_upper__3",
        "notes_punctuation__4",
    ]  # fmt: skip
    assert "tailnum" in encoder.others and "city" not in encoder.others


def test_a_small_table_of_comments_is_text_when_most_values_are_distinct():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"comment": _text(rng, 120), "x": rng.normal(size=120)})
    assert _fit(frame).kinds["comment"] == "text"
    repeated = pd.DataFrame({"comment": _text(rng, 30) * 4})  # 30 messages, 4 times each
    assert _fit(repeated).kinds["comment"] == "categorical"


def test_text_features_are_what_they_say():
    values = pd.Series(["Hello World 42!", None, "ÄÖ ü  x", "", "ABC-123 def"])
    frame = pd.DataFrame({"t": values})
    encoder = FrameEncoder(column_kinds={"t": "text"}).fit(frame, frame)
    encoded = encoder.transform(frame)
    columns = {
        part: encoded[name]
        for name, part in zip(encoder.encoded_columns, encoder.parts, strict=True)
    }
    assert columns["length"].tolist()[:1] + columns["length"].tolist()[2:] == [15.0, 7.0, 0.0, 11.0]
    assert np.isnan(columns["length"][1]) and columns["words"].isna().tolist()[1]
    assert columns["words"].fillna(-1).tolist() == [3.0, -1.0, 3.0, 0.0, 2.0]
    assert columns["digits"][0] == pytest.approx(2 / 15) and columns["digits"][4] == pytest.approx(
        3 / 11
    )
    assert columns["upper"][0] == pytest.approx(2 / 15) and columns["upper"][2] == 0.0  # ASCII only
    assert columns["punctuation"][0] == pytest.approx(1 / 15) and columns["punctuation"][3] == 0.0
    np.testing.assert_array_equal(encoder.column_values(frame, "t"), columns["length"])
    sliced = pa.array(["xx", "Hello World", "x y"]).slice(1)  # an array with an offset
    assert text_features(sliced)["words"].tolist() == [2.0, 2.0]


def test_two_samples_of_one_text_source_are_neither_drift_nor_leak_but_longer_text_is():
    rng = np.random.default_rng(4)
    n = 4000
    train = pd.DataFrame({"notes": _text(rng, n)})
    same = pd.DataFrame({"notes": _text(rng, n)})  # disjoint strings, same source
    longer = pd.DataFrame({"notes": [t + " and then some more words" for t in _text(rng, n)]})
    encoder = _fit(train, same)
    assert encoder.kinds == {"notes": "text"}
    tests = compare_columns(encoder, train, same, correction="holm", leak_threshold=0.95)
    assert tests.test == ("ks",) and tests.statistic[0] < 0.05 and tests.p_value[0] > 0.01
    assert tests.separation[0] < 0.6
    chi2_distance = category_test(train["notes"].to_numpy(), same["notes"].to_numpy())[0]
    assert chi2_distance > 0.95  # what a test over unique strings would have said
    shifted = compare_columns(
        _fit(train, longer), train, longer, correction="holm", leak_threshold=0.95
    )
    assert shifted.statistic[0] > 0.5 and shifted.p_value[0] < 1e-10


# ---------------------------------------------------------------------------- capped levels


def test_a_high_cardinality_column_is_capped_for_the_classifier_and_counted():
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"tailnum": _codes(rng, 20000, levels=1000)})
    test = pd.DataFrame({"tailnum": _codes(rng, 5000, levels=1000)})
    test.loc[0, "tailnum"] = "never-seen-in-fit"
    encoder = _fit(train, test.iloc[1:])
    counts = pd.concat([train["tailnum"], test["tailnum"].iloc[1:]]).value_counts()
    ranked = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    kept = sorted(ranked.index[: MAX_LEVELS - 1])
    assert encoder.categories["tailnum"] == [*kept, OTHER]
    assert encoder.others == {"tailnum": OTHER} and encoder.parts == ["", "count"]
    assert encoder.encoded_columns == ["tailnum", "tailnum_count__1"]
    encoded = encoder.transform(test)
    labels = encoded["tailnum"].astype(object)
    is_kept = test["tailnum"].isin(kept)
    assert (labels[is_kept] == test["tailnum"][is_kept]).all()
    assert (labels[~is_kept] == OTHER).all() and labels[0] == OTHER
    expected = test["tailnum"].map(counts).fillna(0.0)
    np.testing.assert_array_equal(encoded["tailnum_count__1"], expected)
    assert len(encoded["tailnum"].cat.categories) == MAX_LEVELS


def test_the_univariate_test_keeps_every_level_of_a_capped_column():
    rng = np.random.default_rng(6)
    train = pd.DataFrame({"code": _codes(rng, 6000, levels=800)})
    test = pd.DataFrame({"code": _codes(rng, 3000, levels=900)})
    test.loc[::10, "code"] = None
    encoder = _fit(train, test)
    assert "code" in encoder.others
    tests = compare_columns(encoder, train, test, correction="none", leak_threshold=0.95)
    expected = category_test(
        train["code"].to_numpy(dtype=object), test["code"].to_numpy(dtype=object)
    )
    assert tests.test == ("chi2",)
    assert tests.statistic[0] == pytest.approx(expected[0], abs=1e-12)
    assert tests.p_value[0] == pytest.approx(expected[1], rel=1e-9)
    table = level_table(train["code"], test["code"])
    assert table.shape == (2, 1 + len(set(train["code"]) | set(test["code"].dropna())))


def test_a_column_of_at_most_255_levels_is_not_capped_and_other_never_collides():
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"c": rng.choice([f"l{i}" for i in range(MAX_LEVELS)], 3000)})
    encoder = FrameEncoder().fit(frame, frame)
    assert len(encoder.categories["c"]) == MAX_LEVELS and encoder.others == {}
    many = pd.DataFrame({"c": np.r_[["(other)"] * 500, [f"l{i}" for i in range(400)]]})
    capped = FrameEncoder().fit(many, many)
    assert capped.others == {"c": "((other))"} and "(other)" in capped.categories["c"]


# ---------------------------------------------------------------------------- overrides


def test_column_kinds_say_what_a_column_is():
    frame = pd.DataFrame(
        {
            "zip": [10001, 94105, 10001, 60601],
            "zip_float": [10001.0, np.nan, 10001.0, 60601.0],
            "notes": ["short", "words", "here", "too"],
            "when": ["2013-01-31", "2013-02-01", None, "2013-02-03"],
            "day": ["2013-01-31", "2013-02-01", "2013-02-02", "2013-02-03"],
        }
    )
    kinds = {
        "zip": "categorical", "zip_float": "categorical", "notes": "text",
        "when": "datetime", "day": "categorical",
    }  # fmt: skip
    encoder = FrameEncoder(column_kinds=kinds).fit(frame, frame)
    assert encoder.kinds == kinds
    assert encoder.categories["zip"] == ["10001", "60601", "94105"]
    assert encoder.categories["zip_float"] == ["10001", "60601"]
    assert encoder.categories["day"] == sorted(frame["day"])  # not read as dates
    assert encoder.formats == {"when": "%Y-%m-%d"}
    assert encoder.transform(frame)["notes_length__2"].tolist() == [5.0, 5.0, 4.0, 3.0]
    assert frame["zip"].tolist() == [10001, 94105, 10001, 60601]  # the input is untouched


@pytest.mark.parametrize(
    ("kinds", "error", "match"),
    [
        ({"nope": "text"}, ValueError,
         "The 'column_kinds' parameter names column(s) ['nope'] that the data do not have; "
         "its columns are ['zip', 'when', 'x']."),
        ({"zip": "cat"}, ValueError,
         "The 'column_kinds' parameter gives column 'zip' the kind 'cat'; expected one of "
         "['categorical', 'datetime', 'text']."),
        ({"when": "datetime"}, ValueError,
         "Column 'when' cannot be read as dates (the 'column_kinds' parameter says "
         "'datetime'): 'soon' is not a date of a supported shape: '2013-01-31' (year first"),
        ({"x": "text"}, TypeError,
         "Column 'x' is numeric; the 'column_kinds' parameter can read only string columns "
         "as 'text'."),
        ({"x": "datetime"}, TypeError,
         "Column 'x' is numeric; the 'column_kinds' parameter can read only string or "
         "datetime columns as 'datetime'."),
        (["zip"], TypeError,
         "The 'column_kinds' parameter must be a dict of column name -> kind. Got list "
         "instead."),
    ],
)  # fmt: skip
def test_column_kinds_that_cannot_apply_are_refused_naming_the_column(kinds, error, match):
    frame = pd.DataFrame(
        {"zip": ["10001", "94105"], "when": ["2013-01-31", "soon"], "x": [1.0, 2.0]}
    )
    with pytest.raises(error, match=re.escape(match)):
        FrameEncoder(column_kinds=kinds).fit(frame, frame)


def test_dates_that_do_not_share_one_format_are_refused_as_datetime():
    frame = pd.DataFrame({"when": ["2013-01-31", "01/02/2013", "2013-02-30"]})
    match = (
        "Column 'when' cannot be read as dates (the 'column_kinds' parameter says "
        "'datetime'): its values are dates written several ways, but no one format reads "
        "all its values written like '%Y-%m-%d' or 'ISO8601' (4 rows) (some read only month "
        "first and others only day first, or some are impossible dates such as '02/30/2013')."
    )
    with pytest.raises(ValueError, match=re.escape(match)):
        FrameEncoder(column_kinds={"when": "datetime"}).fit(frame, frame)


# ---------------------------------------------------------------------------- summaries


def _mixed_table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    stamps = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s")
    frame = pd.DataFrame(
        {
            "date": stamps.strftime("%d.%m.%Y"),
            "time_hour": stamps.strftime("%Y-%m-%d %H:00:00"),
            "notes": _text(rng, n),
            "tailnum": _codes(rng, n, levels=700),
            "city": rng.choice(CITIES, n),
            "x": rng.lognormal(size=n),
            "flag": rng.random(n) < 0.3,
            "zip": rng.integers(10000, 10100, n),
        }
    )
    for column in ("date", "notes", "tailnum", "x"):
        frame.loc[rng.random(n) < 0.05, column] = None
    return frame


def test_partition_summaries_learn_the_encoder_of_the_whole_table(assert_same_encoder):
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    from advval.distributed._encode import digest, merge_digests

    rng = np.random.default_rng(9)
    train, test = _mixed_table(rng, 4000), _mixed_table(rng, 1500)
    kinds = {"zip": "categorical"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        single = FrameEncoder(column_kinds=kinds).fit(train, test)
        bounds = np.sort(rng.choice(np.arange(1, len(train)), size=6, replace=False))
        edges = [0, *bounds.tolist(), len(train)]
        parts = [
            digest(train.iloc[a:b], levels=("zip",))
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
        merged_train, n_train = merge_digests(parts)
        merged_test, n_test = merge_digests([digest(test, levels=("zip",))])
        pieced = FrameEncoder(column_kinds=kinds).fit(merged_train, merged_test)
    assert (n_train, n_test) == (4000, 1500)
    assert single.kinds == {
        "date": "datetime", "time_hour": "datetime", "notes": "text", "tailnum": "categorical",
        "city": "categorical", "x": "numeric", "flag": "boolean", "zip": "categorical",
    }  # fmt: skip
    assert single.formats == {"date": "%d.%m.%Y", "time_hour": "%Y-%m-%d %H:%M:%S"}
    assert list(single.others) == ["tailnum"]
    assert_same_encoder(pieced, single)
    pd.testing.assert_frame_equal(pieced.transform(test), single.transform(test))


def test_a_summary_is_bounded_whatever_the_rows():
    values = pd.Series([f"id-{i}" for i in range(3 * MAX_COUNTED)] + ["id-7"] * 5)
    summary = FrameSummary.of(pd.DataFrame({"id": values}))["id"]
    assert len(summary.counts) == MAX_COUNTED and not summary.complete and summary.levels is None
    assert summary.counts.index[0] == "id-7" and summary.counts.iloc[0] == 6
    halves = merge_frames(
        [FrameSummary.of(pd.DataFrame({"id": values[:6000]})),
         FrameSummary.of(pd.DataFrame({"id": values[6000:]}))]
    )  # fmt: skip
    assert len(halves["id"].counts) == MAX_COUNTED and not halves["id"].complete


def test_labels_are_the_strings_of_the_distinct_values():
    codes, labels = labels_and_codes(pd.Series([1, "1", None, 2.5, "x"], dtype=object))
    assert codes.tolist() == [0, 0, -1, 1, 2] and labels.to_pylist() == ["1", "2.5", "x"]
    category = pd.Series(["b", "a", None], dtype=pd.CategoricalDtype(["a", "b", "unused"]))
    codes, labels = labels_and_codes(category)
    assert codes.tolist() == [1, 0, -1] and labels.to_pylist() == ["a", "b", "unused"]


# ---------------------------------------------------------------------------- real tables


@pytest.fixture(scope="module")
def flights():
    table = make_kaggle_table("flights", n_rows=20_000, random_state=0)
    return table.train.drop(columns=[table.target, table.id]), table.test.drop(columns=[table.id])


def test_the_real_flights_table_reads_its_dates_text_and_codes(flights):
    train, test = flights
    with pytest.warns(DataWarning, match=re.escape("Column(s) ['flight summary'] hold free text")):
        encoder = FrameEncoder().fit(train, test)
    assert encoder.formats == {
        "date": "%Y-%m-%d", "time_hour": "%Y-%m-%d %H:%M:%S", "flight date (US)": "%m/%d/%Y",
        "sched dep (hh:mm)": "%H:%M",  # a time of day: 843 distinct values, one quantity
    }  # fmt: skip
    assert [c for c, k in encoder.kinds.items() if k == "text"] == ["flight summary"]
    assert sorted(encoder.others) == ["flight_code", "prev_flight_code", "tailnum"]
    assert (
        encoder.kinds["random_cat50"] == "categorical"
        and len(encoder.categories["random_cat50"]) == 50
    )
    assert encoder.kinds["dest name"] == "categorical"  # airport names: few levels, not text
    tests = compare_columns(encoder, train, test, correction="holm", leak_threshold=0.99)
    leaks = [c for c, s in zip(encoder.columns, tests.separation, strict=True) if s >= 0.99]
    assert leaks == ["month", "date", "time_hour", "flight date (US)"]
    text = encoder.columns.index("flight summary")
    assert tests.test[text] == "ks" and tests.statistic[text] < 0.2


def test_noise_columns_are_not_among_the_drivers_of_the_real_shift(flights):
    train, test = flights
    table_leaks = ["month", "date", "time_hour", "flight date (US)"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        validator = AdversarialValidator(random_state=0, n_jobs=1).fit(
            train.drop(columns=table_leaks), test.drop(columns=table_leaks)
        )
    ranking = list(validator.feature_report_.index)
    noise = ["random_cat50", "noise_normal", "noise uniform", "noise.int", "noise_lognormal"]
    assert min(ranking.index(c) for c in noise) >= 25, ranking[:30]
    report = validator.feature_report_
    assert report.loc["flight summary", "kind"] == "text"
    assert report.loc["flight summary", "importance"] < report["importance"].iloc[0] / 20


def test_the_real_movielens_table_reads_its_dates_and_text():
    table = make_kaggle_table("movielens", n_rows=5000, random_state=0)
    train, test = (
        table.train.drop(columns=[table.target, table.id]),
        table.test.drop(columns=[table.id]),
    )
    encoder = _fit(train, test)
    assert encoder.formats == {
        "rated_at": "%Y-%m-%d %H:%M:%S", "rated_on": "%Y-%m-%d", "rated on (US)": "%m/%d/%Y",
    }  # fmt: skip
    assert [c for c, k in encoder.kinds.items() if k == "text"] == ["movie summary"]
    assert encoder.kinds["title"] == "categorical"  # names of movies: 3 words, not free text


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["01/02/2013", "12/11/2013", "13/01/2013", "2013-01-31", "a b c d e f"]),
    st.text(alphabet="ab 1/", max_size=8),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(VALUES, min_size=1, max_size=40), st.lists(st.integers(0, 40), max_size=4))
def test_summaries_of_any_split_merge_into_the_summary_of_the_whole(values, cuts):
    frame = pd.DataFrame({"s": pd.Series(values, dtype=object), "n": np.arange(len(values))})
    edges = sorted({0, len(values), *(c for c in cuts if c < len(values))})
    parts = [FrameSummary.of(frame.iloc[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    whole, merged = FrameSummary.of(frame)["s"], merge_frames(parts)["s"]
    assert (merged.rows, merged.missing, merged.dates, merged.hour) == (
        whole.rows, whole.missing, whole.dates, whole.hour,
    )  # fmt: skip
    assert merged.chars == whole.chars and merged.words == whole.words
    assert merged.not_date == whole.not_date and merged.complete == whole.complete
    if whole.counts is None:
        assert merged.counts is None or merged.counts.empty
    else:
        pd.testing.assert_series_equal(merged.counts, whole.counts, check_index_type=False)
