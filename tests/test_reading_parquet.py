"""A Parquet file read on one machine (pandas) and as a Dask frame gives the same columns:
missing-value strings, times of day (Arrow ``time64``) and bytes (Arrow ``binary``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from advval._frames import FrameEncoder
from advval._parquet import MISSING_STRINGS, byte_labels, clock_timestamps
from advval.cli import ExitCode, cli
from advval.cli._io import CsvOptions, read_files, read_table
from advval.exceptions import ReadingWarning

pytest.importorskip("dask")
pytest.importorskip("distributed")

CITIES = ["Paris", "Lyon", "", "NA", "null", "N/A", "?", "Nice"]


def _table(rng: np.random.Generator, n: int) -> pa.Table:
    """Kaggle-shaped Parquet columns: a city with missing-value strings (plain and
    dictionary-coded), a time of day (some with microseconds), an id as bytes (UTF-8) and a
    hash as bytes (not UTF-8)."""
    cities = rng.choice(CITIES, n)
    seconds = rng.integers(0, 86_400, n)
    micros = np.where(rng.random(n) < 0.3, rng.integers(0, 1_000_000, n), 0)
    times = [
        None if i % 17 == 0 else dt.time(int(s) // 3600, int(s) // 60 % 60, int(s) % 60, int(u))
        for i, (s, u) in enumerate(zip(seconds, micros, strict=True))
    ]
    return pa.table(
        {
            "amount": pa.array(rng.normal(100, 20, n)),
            "city": pa.array(cities),
            "coded": pa.array(cities).dictionary_encode(),
            "at": pa.array(times, pa.time64("us")),
            "user": pa.array([f"u{i % 40}".encode() for i in range(n)], pa.binary()),
            "hash": pa.array([bytes([int(b), 255]) for b in rng.integers(0, 256, n)], pa.binary(2)),
        }
    )


def _write(folder: Path, rng: np.random.Generator) -> Path:
    """Three files (the last with no city but missing-value strings) in ``folder``."""
    folder.mkdir()
    for i, n in enumerate((300, 250, 40)):
        table = _table(rng, n)
        if i == 2:
            empty = pa.array(["", "NA"] * (n // 2))
            table = table.set_column(1, "city", empty)
            table = table.set_column(2, "coded", empty.dictionary_encode())
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=100)
    return folder


def _cells(frame: pd.DataFrame) -> dict[str, list[object]]:
    """Each column's values, missing as None, text as str: comparable across dtypes."""
    return {
        str(c): [None if pd.isna(v) else (v if isinstance(v, float | pd.Timestamp) else str(v))
                 for v in frame[c].tolist()]
        for c in frame.columns
    }  # fmt: skip


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    return {
        str(c): "category" if isinstance(t, pd.CategoricalDtype) else str(t)
        for c, t in frame.dtypes.items()
    }


@pytest.mark.parametrize("na_values", [(), ("?",)])
def test_one_parquet_file_read_with_pandas_and_with_dask_gives_the_same_cells(tmp_path, na_values):
    rng = np.random.default_rng(5)
    folder = _write(tmp_path / "parts", rng)
    whole = pa.concat_tables(
        [pq.read_table(p) for p in sorted(folder.glob("*.parquet"))], promote_options="default"
    )
    pq.write_table(whole, tmp_path / "one.parquet")
    csv = CsvOptions(na_values=na_values)
    single = read_table(tmp_path / "one.parquet", "TRAIN", csv, numbers=False)
    lazy = read_files(folder, "TRAIN", csv)
    many = lazy.compute().reset_index(drop=True)
    assert _cells(single) == _cells(many)
    # every partition has the dtypes of the frame's metadata (no per-partition change; a
    # categorical's levels are each partition's own)
    for i in range(lazy.npartitions):
        assert _kinds(lazy.get_partition(i).compute()) == _kinds(lazy._meta)
    # known truths: the missing-value strings are missing, the rest kept
    expected = [
        None if c in (*MISSING_STRINGS, *na_values) else c for c in whole["city"].to_pylist()
    ]
    assert _cells(single)["city"] == expected == _cells(single)["coded"]
    midnight = dt.datetime(1900, 1, 1)
    assert _cells(single)["at"] == [
        None if t is None else pd.Timestamp(dt.datetime.combine(midnight, t))
        for t in whole["at"].to_pylist()
    ]
    assert _cells(single)["user"] == [b.decode() for b in whole["user"].to_pylist()]
    assert _cells(single)["hash"] == [b.hex() for b in whole["hash"].to_pylist()]


def test_times_of_day_read_as_a_csv_column_of_times_is():
    times = [dt.time(5, 30, 15), dt.time(17, 5), dt.time(23, 59, 59, 250_000), None]
    arrow = pd.Series(clock_timestamps(pa.array(times, pa.time64("us"))).to_pandas())
    text = pd.Series(["05:30:15", "17:05:00", "23:59:59.25", None])  # as a CSV writes them
    frame = pd.DataFrame({"arrow": arrow, "text": text})
    with pytest.warns(ReadingWarning, match=r"'text' holds dates written 2 ways: '%H:%M:%S' "):
        encoder = FrameEncoder().fit(frame, frame)  # with and without fractions of seconds
    assert encoder.kinds == {"arrow": "datetime", "text": "datetime"}
    np.testing.assert_array_equal(
        encoder.column_values(frame, "arrow"), encoder.column_values(frame, "text")
    )
    since_midnight = encoder.column_values(frame, "arrow")[:3] + 2_208_988_800  # 1900 to 1970
    np.testing.assert_allclose(since_midnight, [19_815.0, 61_500.0, 86_399.25])


def test_byte_labels_are_text_when_utf8_else_hex_value_by_value():
    values = pa.array([b"caf\xc3\xa9", b"\xff\x00", None, b""], pa.large_binary())
    assert byte_labels(values).to_pylist() == ["café", "ff00", None, ""]
    # a part holding only text and a part holding the hash give each value one label
    assert byte_labels(values[:1]).to_pylist() + byte_labels(values[1:2]).to_pylist() == [
        "café",
        "ff00",
    ]


@pytest.mark.parametrize("dask_inputs", [False, True])
def test_drift_on_parquet_with_times_and_bytes_reads_and_says_so(
    tmp_path, monkeypatch, dask_inputs
):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(6)
    for side in ("train", "test"):
        if dask_inputs:
            _write(Path(side), rng)
        else:
            pq.write_table(_table(rng, 400), f"{side}.parquet")
    inputs = ["train", "test"] if dask_inputs else ["train.parquet", "test.parquet"]
    args = ["drift", *inputs, "--n-jobs", "1", "--n-splits", "3", "--no-remedy", "--json", "r.json"]
    result = CliRunner().invoke(cli, [*args, *(["--workers", "1"] if dask_inputs else [])])
    assert result.exit_code in (ExitCode.OK, ExitCode.DRIFT), result.output
    assert "Traceback" not in result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    kinds = {f["name"]: f["kind"] for f in report["features"]}
    assert kinds["at"] == "datetime" and kinds["user"] == "categorical"
    files = "TRAIN files 'train'" if dask_inputs else "TRAIN file 'train.parquet'"
    notes = report["reading_notes"]
    assert f"column(s) 'at' of {files} hold times of day (Parquet time64[us])" in " ".join(notes)
    assert f"column(s) 'user', 'hash' of {files} hold bytes (Parquet binary, " in " ".join(notes)
