"""Date strings as Kaggle files write them: several formats in one column, UTC offsets,
day-first dates (``--day-first``).

Every expected timestamp is computed independently: from the instants the values were
written from, with :meth:`datetime.strftime` and the format each row was written in.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from advval._dates import date_styles, merge_styles, mixed_reading, reading_day_first
from advval._frames import FrameEncoder
from advval._summary import FrameSummary, merge_frames
from advval.cli import ExitCode, cli
from advval.exceptions import ReadingWarning

EPOCH = dt.datetime(1970, 1, 1)


def _instants(rng: np.random.Generator, n: int, *, hours: bool = False) -> list[dt.datetime]:
    """``n`` instants in 2016 (whole days, or with a time of day)."""
    days = rng.integers(0, 366, n)
    seconds = rng.integers(0, 86_400, n) // 60 * 60 if hours else np.zeros(n, dtype=int)
    return [
        dt.datetime(2016, 1, 1) + dt.timedelta(days=int(d), seconds=int(s))
        for d, s in zip(days, seconds, strict=True)
    ]


def _written(instants: list[dt.datetime], formats: list[str]) -> list[str]:
    return [t.strftime(f) for t, f in zip(instants, formats, strict=True)]


def _seconds(instants: list[dt.datetime]) -> np.ndarray:
    return np.array([(t - EPOCH).total_seconds() for t in instants])


def _fit(train: pd.DataFrame, test: pd.DataFrame) -> tuple[FrameEncoder, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encoder = FrameEncoder().fit(train, test)
    return encoder, [str(w.message) for w in caught if issubclass(w.category, ReadingWarning)]


@pytest.mark.parametrize(
    ("formats", "hour"),
    [
        (("%Y-%m-%d", "%m/%d/%Y"), False),  # ISO and US in one column
        (("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"), False),  # three ways, two of them day first
        (("%m/%d/%Y %H:%M", "%m/%d/%Y"), True),  # datetimes, and dates without a time
        (("%Y-%m-%d %H:%M:%S", "%Y/%m/%d"), True),
    ],
)
def test_dates_written_several_ways_in_one_column_are_read_each_with_its_format(formats, hour):
    rng = np.random.default_rng(len(formats))
    n = 240
    instants = _instants(rng, n, hours=hour)
    share = np.arange(len(formats), 0, -1, dtype=float)  # the first format the most
    written = list(rng.choice(formats, n, p=share / share.sum()))
    values = _written(instants, written)
    frame = pd.DataFrame({"when": values, "x": rng.normal(size=n)})
    encoder, said = _fit(frame, frame)
    assert encoder.kinds["when"] == "datetime"
    read = [dt.datetime.strptime(v, f) for v, f in zip(values, written, strict=True)]
    np.testing.assert_array_equal(encoder.column_values(frame, "when"), _seconds(read))
    assert ("hour" in encoder.parts) is hour
    rows = {f: written.count(f) for f in formats}  # one frame given as both sides
    assert len(set(rows.values())) == len(formats)  # said most rows first
    shown = ", ".join(f"{f!r} ({rows[f]} rows)" for f in sorted(rows, key=lambda f: -rows[f]))
    assert said == [
        f"Column 'when' holds dates written {len(formats)} ways: {shown}; each value is read "
        "as a date with its own format."
    ]
    # the part of a Dask frame: summaries of pieces merge to the whole column's reading
    pieces = [FrameSummary.of(frame.iloc[i : i + 50]) for i in range(0, n, 50)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReadingWarning)  # said as above
        merged = FrameEncoder().fit(merge_frames(pieces), merge_frames(pieces))
    assert merged.formats == encoder.formats and merged.parts == encoder.parts


def test_a_frame_fitted_against_itself_counts_its_rows_once():
    frame = pd.DataFrame({"d": ["2016-01-05", "2016-02-05", "01/15/2016"]})
    _, said = _fit(frame, frame)
    assert "'%Y-%m-%d' (2 rows), '%m/%d/%Y' (1 rows)" in said[0]
    _, said = _fit(frame, frame.copy())  # two sides: each side's rows
    assert "'%Y-%m-%d' (4 rows), '%m/%d/%Y' (2 rows)" in said[0]


def test_one_rule_for_dates_written_one_way_per_file():
    """A column written ISO in train and US in test is read as the same dates, not as
    categories that differ for their format alone."""
    rng = np.random.default_rng(1)
    first, second = _instants(rng, 200), _instants(rng, 150)
    train = pd.DataFrame({"day": [t.strftime("%Y-%m-%d") for t in first]})
    test = pd.DataFrame({"day": [t.strftime("%m/%d/%Y") for t in second]})
    encoder, said = _fit(train, test)
    assert encoder.kinds == {"day": "datetime"} and encoder.formats_apart == {}
    np.testing.assert_array_equal(encoder.column_values(test, "day"), _seconds(second))
    assert said == [
        "Column 'day' holds dates written 2 ways in X_train and X_test: '%Y-%m-%d' (200 rows), "
        "'%m/%d/%Y' "
        "(150 rows); each value is read as a date with its own format."
    ]


def test_dates_written_month_first_and_day_first_in_one_column_stay_labels_and_say_so():
    rng = np.random.default_rng(2)
    instants = _instants(rng, 300)
    us = [t.strftime("%m/%d/%Y") for t in instants[:200]]
    eu = [t.strftime("%d/%m/%Y %H:%M") for t in instants[200:]]
    frame = pd.DataFrame({"when": us + eu})
    encoder, said = _fit(frame, frame)
    assert encoder.kinds == {"when": "categorical"} and encoder.formats == {}
    assert said == [
        "Column 'when' holds dates written several ways that cannot be read together: its "
        "dates are written month first ('%m/%d/%Y', 200 rows) and day first "
        "('%d/%m/%Y %H:%M', 100 rows); so it is compared as categories. Write its dates in "
        "one format (pandas.to_datetime(..., format=...) on each part, then one strftime), "
        "or name it in column_kinds as 'categorical' (CLI: --categorical) to read it as "
        "labels without this note."
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named categorical: nothing to say
        kept = FrameEncoder(column_kinds={"when": "categorical"}).fit(frame, frame)
    assert kept.kinds == {"when": "categorical"}


def test_a_style_no_order_reads_leaves_the_column_as_labels():
    # '/' dates month first and day first on one skeleton, with ISO dates beside them
    frame = pd.DataFrame({"d": ["2016-01-05", "05/13/2016", "13/05/2016"] * 2})
    encoder, said = _fit(frame, frame)
    assert encoder.kinds == {"d": "categorical"}
    assert len(said) == 1 and "no one format reads all its values written like" in said[0]
    assert "'%m/%d/%Y' or '%d/%m/%Y' (4 rows)" in said[0]


def test_times_with_several_utc_offsets_are_read_in_utc_and_said():
    rng = np.random.default_rng(3)
    instants = _instants(rng, 120, hours=True)
    offsets = [dt.timezone(dt.timedelta(hours=h)) for h in (1, 2, -5)]
    zoned = [t.replace(tzinfo=offsets[i % 3]) for i, t in enumerate(instants)]
    frame = pd.DataFrame({"at": [t.isoformat() for t in zoned]})  # 2016-03-01T10:00:00+01:00
    encoder, said = _fit(frame, frame)
    assert encoder.kinds == {"at": "datetime"}
    utc = [t.astimezone(dt.timezone.utc).replace(tzinfo=None) for t in zoned]
    np.testing.assert_array_equal(encoder.column_values(frame, "at"), _seconds(utc))
    assert said == [
        "Column(s) ['at'] hold times with UTC offsets ('at': '+01:00', '+02:00', '-05:00'): "
        "they are read in UTC (each time moved by its offset), so their hours and days are "
        "UTC ones."
    ]


def test_day_first_reads_ambiguous_dates_day_first_and_only_those():
    ambiguous = pd.DataFrame({"d": ["03/04/2016", "12/01/2016", "05/06/2016"]})
    with reading_day_first():
        encoder, said = _fit(ambiguous, ambiguous)
    assert encoder.formats == {"d": "%d/%m/%Y"}
    assert (
        encoder.column_values(ambiguous, "d")[0]
        == (dt.datetime(2016, 4, 3) - EPOCH).total_seconds()
    )
    assert said == [
        "Column(s) ['d'] read as dates both month first and day first (no day above 12): read "
        "day first as --day-first asks, {'d': '%d/%m/%Y'}."
    ]
    # a column only month first reads stays month first: the values decide first
    us = pd.DataFrame({"d": ["03/04/2016", "12/31/2016"]})
    with reading_day_first():
        assert FrameEncoder().fit(us, us).formats == {"d": "%m/%d/%Y"}
    # written several ways: the ambiguous '/' dates follow --day-first too
    mixed = pd.DataFrame({"d": ["2016-01-05", "03/04/2016"]})
    with reading_day_first():
        encoder, _ = _fit(mixed, mixed)
    assert encoder.formats == {"d": "%Y-%m-%d|%d/%m/%Y"}
    assert encoder.column_values(mixed, "d")[1] == (dt.datetime(2016, 4, 3) - EPOCH).total_seconds()
    encoder, said = _fit(mixed, mixed)
    assert encoder.formats == {"d": "%Y-%m-%d|%m/%d/%Y"} and encoder.ambiguous_dates == ["d"]
    assert any("If the day comes first, pass --day-first" in s for s in said)


def test_styles_of_parts_merge_to_those_of_the_whole():
    values = ["2016-01-05", "01/13/2016", "1/5/2016", "2016-2-7", "12/01/2016 10:00"]
    rows = np.array([3, 1, 2, 1, 4])
    whole = date_styles(pa.array(values), rows)
    parts = [
        date_styles(pa.array(values[:2]), rows[:2]),
        date_styles(pa.array(values[2:]), rows[2:]),
    ]
    assert merge_styles(*parts) == whole
    assert mixed_reading(whole).format == "%Y-%m-%d|%m/%d/%Y|%m/%d/%Y %H:%M"
    assert date_styles(pa.array(["2016-01-05", "soon"]), np.array([1, 1])) == {}


# ------------------------------------------------------------------------------- the CLI


def _orders(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Orders with a sign-up date whose day and month are both 12 or less, written
    ``03/04/2016`` (the shop writes the day first), and an order date written two ways."""
    days = [
        dt.date(2016, int(m), int(d))
        for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 13, n), strict=True)
    ]
    return pd.DataFrame(
        {
            "amount": rng.normal(100, 20, n).round(2),
            "signup": [d.strftime("%d/%m/%Y") for d in days],
            "placed": [
                t.strftime("%Y-%m-%d") if i % 3 else t.strftime("%m/%d/%Y %H:%M")
                for i, t in enumerate(_instants(rng, n))
            ],
        }
    )


@pytest.mark.parametrize("command", ["drift", "deps"])
def test_day_first_option_is_said_and_recorded_in_the_settings(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    _orders(rng, 300).to_csv("train.csv", index=False)
    _orders(rng, 300).to_csv("test.csv", index=False)
    files = (
        ["train.csv", "test.csv"] if command == "drift" else ["train.csv", "--compare", "test.csv"]
    )
    base = [command, *files, "--n-jobs", "1", "--n-splits", "3", "--json", "r.json"]
    if command == "drift":
        base.append("--no-remedy")
    reports = {}
    for flag in ([], ["--day-first"]):
        result = CliRunner().invoke(cli, [*base, *flag], catch_exceptions=False)
        assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
        assert "Traceback" not in result.output
        reports[bool(flag)] = json.loads(Path("r.json").read_text(encoding="utf-8"))
    plain, day_first = reports[False], reports[True]
    assert "day_first" not in plain["settings"] and day_first["settings"]["day_first"] is True
    [note] = [n for n in plain["reading_notes"] if "['signup'] read as dates both" in n]
    assert (
        "read month first, {'signup': '%m/%d/%Y'}. If the day comes first, pass --day-first" in note
    )
    [note] = [n for n in day_first["reading_notes"] if "['signup'] read as dates both" in n]
    assert "read day first as --day-first asks, {'signup': '%d/%m/%Y'}" in note
    # 'placed' is written two ways, the '/' ones month first with a time: read as dates
    # (deps says it of DATA alone too, as its checks of DATA read it)
    [note] = [n for n in plain["reading_notes"] if "and TEST file 'test.csv': " in n]
    side = "TRAIN" if command == "drift" else "DATA"
    assert note == (
        f"Column 'placed' holds dates written 2 ways in {side} file 'train.csv' and TEST file "
        "'test.csv': '%Y-%m-%d' (400 rows), '%m/%d/%Y %H:%M' (200 rows); each value is read "
        "as a date with its own format."
    )
    alone = [n for n in plain["reading_notes"] if n.startswith("Column 'placed' holds")]
    assert (
        alone == [note]
        if command == "drift"
        else alone
        == [
            "Column 'placed' holds dates written 2 ways: '%Y-%m-%d' (200 rows), '%m/%d/%Y %H:%M' "
            "(100 rows); each value is read as a date with its own format.",
            note,
        ]
    )


def test_times_of_day_alone_are_not_mixed_with_dates():
    frame = pd.DataFrame({"d": ["05:30", "17:45:10", "2016-01-05", "2016-02-05"]})
    encoder, said = _fit(frame, frame)
    assert encoder.kinds == {"d": "categorical"}
    assert "it holds times of day alone ('%H:%M', 1 rows, '%H:%M:%S', 1 rows) beside " in said[0]
    times = pd.DataFrame({"d": ["05:30", "17:45:10", "5:30 PM"]})
    encoder, said = _fit(times, times)
    assert encoder.formats == {"d": "%H:%M|%H:%M:%S|%I:%M %p"}
    np.testing.assert_array_equal(
        encoder.column_values(times, "d") + 2_208_988_800,  # seconds since 1900-01-01
        [19_800.0, 63_910.0, 63_000.0],
    )
