"""read_frames: many CSV / Parquet files as one lazy Dask DataFrame, schemas checked first."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from advval.distributed._io import is_pattern, list_files, read_frames  # noqa: E402


def _part(i: int, n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50.0, 10.0, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )


def _compute(frame):
    return frame.compute(scheduler="sync")


@pytest.fixture
def parquet_dir(tmp_path: Path) -> Path:
    """train/part-0..3.parquet written by pandas (index stored), plus files to skip."""
    folder = tmp_path / "train"
    folder.mkdir()
    for i in range(4):
        _part(i).set_index(pd.RangeIndex(100 * i, 100 * i + 50)).iloc[::-1].to_parquet(
            folder / f"part-{i}.parquet"
        )
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.parquet.crc").write_text("x")
    return folder


def test_glob_reads_every_file_in_order_with_ints_as_float(parquet_dir):
    frame = read_frames(str(parquet_dir / "part-*.parquet"))
    expected = pd.concat([_part(i).iloc[::-1] for i in range(4)], ignore_index=True)
    assert frame.npartitions == 4
    assert list(frame.columns) == ["age", "income", "city"]
    result = _compute(frame).reset_index(drop=True)
    assert result["age"].dtype == np.float64
    np.testing.assert_array_equal(result["age"], expected["age"].astype(float))
    np.testing.assert_array_equal(result["income"], expected["income"])
    assert result["city"].tolist() == expected["city"].tolist()
    assert dict(frame.dtypes.astype(str)) == dict(result.dtypes.astype(str))


def test_directory_list_and_file_inputs_are_united_without_duplicates(parquet_dir, tmp_path):
    nested = parquet_dir / "day=2" / "more"
    nested.mkdir(parents=True)
    _part(9).to_parquet(nested / "late.parquet")
    files = list_files([parquet_dir, str(parquet_dir / "part-0.parquet")])
    assert [Path(f).name for f in files] == [f"part-{i}.parquet" for i in range(4)] + [
        "late.parquet"
    ]
    frame = read_frames([str(parquet_dir / "part-[01].parquet"), parquet_dir / "part-0.parquet"])
    assert len(_compute(frame)) == 100
    recursive = read_frames(str(tmp_path / "**" / "*.parquet"))
    assert len(_compute(recursive)) == 250


def test_reading_is_lazy(parquet_dir):
    frame = read_frames(parquet_dir)
    for path in parquet_dir.glob("part-*.parquet"):
        path.unlink()
    with pytest.raises(FileNotFoundError):
        _compute(frame)


def test_blocksize_groups_parquet_row_groups(tmp_path):
    table = pa.Table.from_pandas(_part(0, n=1000), preserve_index=False)
    pq.write_table(table, tmp_path / "big.parquet", row_group_size=100)
    assert read_frames(tmp_path / "big.parquet", blocksize=1).npartitions == 10
    assert read_frames(tmp_path / "big.parquet").npartitions == 1
    group = max(pq.read_metadata(tmp_path / "big.parquet").row_group(i).total_byte_size
                for i in range(10))
    frame = read_frames(tmp_path / "big.parquet", blocksize=3 * group)
    assert frame.npartitions == 4  # 3 + 3 + 3 + 1 row groups
    np.testing.assert_array_equal(_compute(frame)["income"], _part(0, n=1000)["income"])


def test_files_written_without_pandas_metadata(tmp_path):
    for i in range(2):
        pq.write_table(pa.table({"x": [i, 2, 3], "s": ["a", "b", None]}), tmp_path / f"{i}.pq")
    result = _compute(read_frames(str(tmp_path / "*.pq")))
    assert result["x"].tolist() == [0.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    assert result["s"].isna().sum() == 2


def test_type_mismatch_names_file_and_column(parquet_dir):
    bad = _part(3)
    bad["age"] = bad["age"].astype(str)
    bad.to_parquet(parquet_dir / "part-3.parquet")
    with pytest.raises(ValueError, match=r"part-3\.parquet has column 'age' as string but .*"
                       r"part-0\.parquet has it as int64"):
        read_frames(parquet_dir)


def test_categorical_against_string_is_a_mismatch(tmp_path):
    _part(0).to_parquet(tmp_path / "a.parquet")
    other = _part(1)
    other["city"] = other["city"].astype("category")
    other.to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ValueError, match=r"b\.parquet has column 'city' as category of string"):
        read_frames(str(tmp_path / "*.parquet"))


def test_all_null_column_matches_any_type(tmp_path):
    pq.write_table(pa.table({"x": [1.5, 2.5]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"x": pa.nulls(2)}), tmp_path / "b.parquet")
    assert _compute(read_frames(str(tmp_path / "*.parquet")))["x"].isna().sum() == 2


def test_missing_and_extra_columns_name_the_file(parquet_dir):
    _part(2).drop(columns="income").to_parquet(parquet_dir / "part-2.parquet")
    with pytest.raises(ValueError, match=r"Column 'income' is missing from .*part-2\.parquet "
                       r"\(.*part-0\.parquet has it\)"):
        read_frames(parquet_dir)
    _part(2).assign(extra=1).to_parquet(parquet_dir / "part-2.parquet")
    with pytest.raises(ValueError, match=r"part-2\.parquet has column 'extra' that "
                       r".*part-0\.parquet does not have"):
        read_frames(parquet_dir)


def test_pattern_matching_nothing_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "train" / "*.parquet")
    with pytest.raises(ValueError, match=r"The pattern '.*train/\*\.parquet' matches no file\."):
        read_frames(pattern)
    with pytest.raises(ValueError, match=r"The file '.*nope\.parquet' does not exist\."):
        read_frames(tmp_path / "nope.parquet")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"The directory '.*empty' holds no CSV or Parquet file"):
        read_frames(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"'pattern' parameter of read_frames must name at least"):
        read_frames([])
    with pytest.raises(TypeError, match=r"'pattern' parameter of read_frames must be a str, a "
                       r"Path or a list of them\. Got int instead"):
        read_frames([3])  # type: ignore[list-item]


def test_formats_unknown_mixed_and_forced(tmp_path):
    _part(0).to_csv(tmp_path / "a.csv", index=False)
    _part(1).to_parquet(tmp_path / "b.parquet")
    with pytest.raises(ValueError, match=r"The files mix formats: '.*a\.csv' is csv and "
                       r"'.*b\.parquet' is parquet"):
        read_frames(str(tmp_path / "*"))
    _part(0).to_csv(tmp_path / "a.txt", index=False)
    with pytest.raises(ValueError, match=r"Cannot tell the format of '.*a\.txt' from its name"):
        read_frames(tmp_path / "a.txt")
    assert len(_compute(read_frames(tmp_path / "a.txt", kind="csv"))) == 50
    with pytest.raises(ValueError, match=r"The 'kind' parameter of read_frames must be one of"):
        read_frames(tmp_path / "a.csv", kind="orc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("blocksize", "error"),
    [(0, ValueError), ("lots", ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_bad_blocksize(tmp_path, blocksize, error):
    _part(0).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(error, match=r"The 'blocksize' parameter of read_frames must be an int in "
                       r"the range \[1, inf\) or a str such as '64MiB'\. Got .* instead\."):
        read_frames(tmp_path / "a.csv", blocksize=blocksize)  # type: ignore[arg-type]


def test_corrupt_and_empty_parquet(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match=r"Cannot read the Parquet file .*bad\.parquet: "):
        read_frames(tmp_path / "bad.parquet")
    _part(0).iloc[:0].to_parquet(tmp_path / "none.parquet")
    with pytest.raises(ValueError, match=r"Parquet file\(s\) starting with .*none\.parquet have "
                       r"no rows"):
        read_frames(tmp_path / "none.parquet")


def test_csv_glob_blocks_and_missing_values(tmp_path):
    frames = [_part(i, n=400) for i in range(3)]
    frames[2].loc[350, "age"] = np.nan  # a missing integer far past the sampled rows
    for i, part in enumerate(frames):
        part.to_csv(tmp_path / f"part-{i}.csv", index=False)
    frame = read_frames(str(tmp_path / "part-*.csv"), blocksize="4KiB")
    assert frame.npartitions > 3
    result = _compute(frame).reset_index(drop=True)
    expected = pd.concat(frames, ignore_index=True)
    assert result["age"].dtype == np.float64
    np.testing.assert_allclose(result["income"], expected["income"], rtol=1e-12)
    np.testing.assert_array_equal(result["age"].isna(), expected["age"].isna())
    assert result["city"].tolist() == expected["city"].tolist()


def test_csv_schema_mismatch_names_file_and_column(tmp_path):
    _part(0).to_csv(tmp_path / "part-0.csv", index=False)
    bad = _part(1)
    bad["income"] = "high"
    bad.to_csv(tmp_path / "part-1.csv", index=False)
    with pytest.raises(ValueError, match=r"part-1\.csv has column 'income' as string but "
                       r".*part-0\.csv has it as number"):
        read_frames(str(tmp_path / "*.csv"))
    _part(1).rename(columns={"city": "town"}).to_csv(tmp_path / "part-1.csv", index=False)
    with pytest.raises(ValueError, match=r"Column 'city' is missing from .*part-1\.csv"):
        read_frames(str(tmp_path / "*.csv"))


def test_csv_empty_column_takes_the_type_of_the_others(tmp_path):
    first = _part(0)
    first["income"] = np.nan
    first.to_csv(tmp_path / "part-0.csv", index=False)
    _part(1).to_csv(tmp_path / "part-1.csv", index=False)
    result = _compute(read_frames(str(tmp_path / "*.csv")))
    assert result["income"].dtype == np.float64
    assert result["income"].notna().sum() == 50


def test_garbled_csv_names_the_file(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b'a,b\n"1,2\n')
    with pytest.raises(ValueError, match=r"Cannot read the CSV file .*bad\.csv: "):
        read_frames(tmp_path / "bad.csv")


def test_is_pattern():
    assert is_pattern("a/*.csv") and is_pattern("part-[0-3].pq") and is_pattern("x?.csv")
    assert not is_pattern(os.path.join("a", "b.csv"))


def test_a_file_named_with_glob_characters_is_that_file(tmp_path):
    _part(0).to_parquet(tmp_path / "data[1].parquet")
    _part(1).to_parquet(tmp_path / "data1.parquet")
    assert len(_compute(read_frames(tmp_path / "data[1].parquet"))) == 50
    assert list_files(str(tmp_path / "data[1]*.parquet")) == [str(tmp_path / "data1.parquet")]
