"""Many CSV / Parquet files as one lazy Dask DataFrame, with the schemas checked up front.

The files are never read here: Parquet schemas come from each file's footer (pyarrow),
CSV schemas from each file's header and a small sample of its first rows. A mismatch is
reported before any work is scheduled, naming the file and the column, instead of
surfacing as a cryptic error in a worker half-way through a fit.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .._validation import check_option

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["GLOB_CHARACTERS", "is_pattern", "list_files", "read_frames"]

#: a path containing any of these is a glob pattern
GLOB_CHARACTERS = frozenset("*?[")
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet", ".pq", ".parq"),
    "csv": (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst"),
}
#: rows of each CSV file read to learn its column types
CSV_SAMPLE_ROWS = 1000
#: Parquet footers read at once
FOOTER_THREADS = 8
_OWNER = "read_frames"
#: the type of a column without a value in a file (Parquet, CSV): compatible with any type
_NO_VALUES = frozenset({"null", "empty"})
_KNOWN = ", ".join(_SUFFIXES["parquet"] + _SUFFIXES["csv"])


def is_pattern(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a glob pattern (contains ``*``, ``?`` or ``[``).

    Examples
    --------
    >>> is_pattern("train/*.parquet"), is_pattern("train.csv")
    (True, False)
    """
    return any(char in GLOB_CHARACTERS for char in str(path))


def _kind_of(path: str) -> str | None:
    name = path.lower()
    for kind, suffixes in _SUFFIXES.items():
        if name.endswith(suffixes):
            return kind
    return None


def _data_files(directory: str) -> list[str]:
    """The CSV / Parquet files under ``directory`` (recursively), but no hidden or ``_`` file."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        found += [
            os.path.join(root, name)
            for name in sorted(files)
            if not name.startswith((".", "_")) and _kind_of(name) is not None
        ]
    return found


def list_files(pattern: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files a pattern, a directory, a file or a list of them names, in order.

    A glob pattern (``**`` matches any depth) expands to its matches in sorted order; a
    directory to the CSV and Parquet files under it; a file to itself. Duplicates are
    dropped, keeping the first.

    Raises
    ------
    ValueError
        Naming the pattern that matches no file, the path that does not exist, or the
        directory without a CSV / Parquet file in it.

    Examples
    --------
    >>> list_files("surely/not/here/*.parquet")
    Traceback (most recent call last):
    ...
    ValueError: The pattern 'surely/not/here/*.parquet' matches no file.
    """
    items = [pattern] if isinstance(pattern, str | os.PathLike) else list(pattern)
    if not items:
        raise ValueError(
            f"The 'pattern' parameter of {_OWNER} must name at least one file, glob pattern "
            "or directory. Got an empty list instead."
        )
    files: list[str] = []
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise TypeError(
                f"The 'pattern' parameter of {_OWNER} must be a str, a Path or a list of "
                f"them. Got {type(item).__name__} instead."
            )
        text = os.fspath(item)
        if os.path.isfile(text):  # a file named with glob characters is still that file
            files.append(text)
        elif os.path.isdir(text):
            matches = _data_files(text)
            if not matches:
                raise ValueError(
                    f"The directory {text!r} holds no CSV or Parquet file "
                    f"(expected names ending in {_KNOWN})."
                )
            files += matches
        elif is_pattern(text):
            matches = sorted(
                path for path in glob.glob(text, recursive=True) if os.path.isfile(path)
            )
            if not matches:
                raise ValueError(f"The pattern {text!r} matches no file.")
            files += matches
        else:
            raise ValueError(f"The file {text!r} does not exist.")
    return list(dict.fromkeys(files))


def _resolve_kind(files: list[str], kind: str | None) -> str:
    kinds = {path: _kind_of(path) for path in files}
    if kind is not None:
        return kind
    unknown = [path for path, found in kinds.items() if found is None]
    if unknown:
        raise ValueError(
            f"Cannot tell the format of {unknown[0]!r} from its name: expected a name ending in "
            f"{_KNOWN}, or pass kind='parquet' or kind='csv'."
        )
    found = sorted(set(kinds.values()), key=str)
    if len(found) > 1:
        first = {k: next(path for path, v in kinds.items() if v == k) for k in found}
        raise ValueError(
            "The files mix formats: "
            + " and ".join(f"{first[k]!r} is {k}" for k in found)
            + "; read each format separately."
        )
    return str(found[0])


def _mismatch(reference: str, path: str, schema: dict[str, str], first: dict[str, str]) -> None:
    missing = [name for name in first if name not in schema]
    if missing:
        raise ValueError(
            f"Column {missing[0]!r} is missing from {path} ({reference} has it); every file "
            f"must have the same columns. Missing from {path}: {missing!r}."
        )
    extra = [name for name in schema if name not in first]
    if extra:
        raise ValueError(
            f"{path} has column {extra[0]!r} that {reference} does not have; every file "
            f"must have the same columns. Extra in {path}: {extra!r}."
        )
    for name, type_name in first.items():
        if schema[name] != type_name and not {schema[name], type_name} & _NO_VALUES:
            raise ValueError(
                f"{path} has column {name!r} as {schema[name]} but {reference} has it as "
                f"{type_name}."
            )


class _ParquetFile(NamedTuple):
    """What a Parquet footer tells: column types, rows, and uncompressed bytes per row group."""

    types: dict[str, str]
    rows: int
    group_bytes: tuple[int, ...]


def _parquet_schema(path: str) -> _ParquetFile:
    """Column -> Arrow type name, the row count and row-group sizes, from the footer only."""
    import json

    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"Cannot read the Parquet file {path}: {reason}") from exc
    index_columns: set[str] = set()
    pandas_meta = (schema.metadata or {}).get(b"pandas")
    if pandas_meta:
        index_columns = {c for c in json.loads(pandas_meta)["index_columns"] if isinstance(c, str)}
    types = {
        field.name: _arrow_type_name(field.type)
        for field in schema
        if field.name not in index_columns
    }
    sizes = tuple(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return _ParquetFile(types, int(meta.num_rows), sizes)


def _pieces(path: str, group_bytes: tuple[int, ...], limit: int) -> list[tuple[str, list[int]]]:
    """Consecutive row groups of one file, grouped up to ``limit`` uncompressed bytes."""
    pieces: list[tuple[str, list[int]]] = []
    current: list[int] = []
    size = 0
    for group, nbytes in enumerate(group_bytes):
        if current and size + nbytes > limit:
            pieces.append((path, current))
            current, size = [], 0
        current.append(group)
        size += nbytes
    if current:
        pieces.append((path, current))
    return pieces


def _read_piece(
    piece: tuple[str, list[int]], columns: list[str], missing: tuple[str, ...]
) -> pd.DataFrame:
    """One partition: some row groups of one file, integer columns as float64."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, groups = piece
    table = pq.ParquetFile(path).read_row_groups(groups, columns=columns)
    return _to_pandas(table.select(columns), pa, missing)


def _to_pandas(table: Any, pa: Any, missing: tuple[str, ...]) -> pd.DataFrame:
    """A table as a partition: its columns read as one machine reads them
    (:func:`advval._parquet.readable_table`: missing strings, times of day, bytes), then
    integers as float64. Each rule acts value by value, so the empty table gives the meta."""
    from .._parquet import readable_table

    table = readable_table(table, missing)
    fields = [
        pa.field(f.name, pa.float64()) if pa.types.is_integer(f.type) else f for f in table.schema
    ]
    frame = table.cast(pa.schema(fields)).to_pandas()
    frame.index = range(len(frame))
    return frame


def _arrow_type_name(arrow_type: object) -> str:
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):  # a pandas categorical: compare its values
        return f"category of {_arrow_type_name(arrow_type.value_type)}"  # type: ignore[attr-defined]
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return "string"
    return str(arrow_type)


def _csv_schema(path: str, na_values: tuple[str, ...] = ()) -> dict[str, str]:
    """Column -> type family (number, bool, string, empty) from the header and a sample."""
    import pandas as pd

    try:
        sample = pd.read_csv(
            path, nrows=CSV_SAMPLE_ROWS, low_memory=False, na_values=list(na_values)
        )
    except (OSError, ValueError) as exc:  # pandas parser errors are ValueErrors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"Cannot read the CSV file {path}: {reason}") from exc
    types = {}
    for name, column in sample.items():
        if column.isna().all():
            types[str(name)] = "empty"
        elif pd.api.types.is_bool_dtype(column):
            types[str(name)] = "bool"
        elif pd.api.types.is_numeric_dtype(column):
            types[str(name)] = "number"
        else:
            types[str(name)] = "string"
    return types


def _check_blocksize(blocksize: object) -> int:
    from dask.utils import parse_bytes

    message = (
        f"The 'blocksize' parameter of {_OWNER} must be an int in the range [1, inf) or a str "
        f"such as '64MiB'. Got {blocksize!r} instead."
    )
    if isinstance(blocksize, bool) or not isinstance(blocksize, int | str):
        raise TypeError(message)
    try:
        limit = int(parse_bytes(blocksize))
    except ValueError as exc:
        raise ValueError(message) from exc
    if limit < 1:
        raise ValueError(message)
    return limit


def read_frames(
    pattern: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    kind: Literal["parquet", "csv"] | None = None,
    blocksize: int | str = "64MiB",
    na_values: Sequence[str] = (),
) -> dd.DataFrame:
    """Many CSV or Parquet files as one lazy Dask DataFrame, schemas checked first.

    Parameters
    ----------
    pattern : str, Path or sequence of them
        A glob pattern (``"train/*.parquet"``, ``"logs/**/*.csv"``), a directory (every
        CSV / Parquet file under it), a single file, or a list of these.
    kind : {"parquet", "csv"}, optional
        The file format; default from the file names' suffixes.
    blocksize : int or str, default "64MiB"
        Partition size: bytes of CSV per partition (``dask.dataframe.read_csv``); for
        Parquet, consecutive row groups of one file up to this many uncompressed bytes
        (a row group is never split).
    na_values : sequence of str, default ()
        Values read as missing besides the usual ones (empty, ``NA``, ``NaN``, ``null``...:
        :data:`advval._parquet.MISSING_STRINGS`, which a Parquet file's string cells are
        read as missing for too, as ``pandas.read_csv`` reads a CSV file's).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy: nothing but the schemas (Parquet footers, CSV headers and the first
        ``CSV_SAMPLE_ROWS`` rows of each CSV file) has been read. Columns are in the first
        file's order. Integer columns are read as float64 (CSV: every numeric column), so
        a missing value in one file or block cannot change a column's type between
        partitions. Parquet partitions are read with pyarrow (``dask.dataframe.from_map``
        over row groups), a pandas index stored in the files is dropped, and every
        partition has a fresh integer index. Parquet times of day are read as timestamps
        on 1900-01-01 and bytes as labels (:mod:`advval._parquet`), as one machine reads
        them.

    Raises
    ------
    ValueError
        A pattern that matches no file (naming the pattern), a file of unknown or mixed
        format, an unreadable file, or files whose columns or column types disagree
        (naming the file and the column: ``"b.parquet has column 'age' as string but
        a.parquet has it as int64"``).

    See Also
    --------
    advval.distributed.connect : the Dask cluster that computes on the frame.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     pd.DataFrame({"age": [30 + i, 40], "city": ["a", "b"]}).to_parquet(
    ...         f"{folder}/part-{i}.parquet")
    >>> frame = read_frames(f"{folder}/*.parquet")
    >>> frame.npartitions, list(frame.columns)
    (3, ['age', 'city'])
    >>> int(frame["age"].sum().compute())
    213
    """
    check_option(kind, name="kind", owner=_OWNER, options=("parquet", "csv", None))
    limit = _check_blocksize(blocksize)
    extra = _check_na_values(na_values)
    files = list_files(pattern)
    resolved = _resolve_kind(files, kind)
    import dask.dataframe as dd

    if resolved == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # footers in parallel: on a network file system each read is a round trip
        with ThreadPoolExecutor(FOOTER_THREADS, thread_name_prefix="advval-footer") as pool:
            footers = list(pool.map(_parquet_schema, files))
        first = footers[0].types
        for path, footer in zip(files[1:], footers[1:], strict=True):
            _mismatch(files[0], path, footer.types, first)
        if sum(footer.rows for footer in footers) == 0:
            raise ValueError(
                f"The {len(files)} Parquet file(s) starting with {files[0]} have no rows."
            )
        pieces = [
            piece
            for path, footer in zip(files, footers, strict=True)
            for piece in _pieces(path, footer.group_bytes, limit)
        ]
        columns = list(first)
        from .._parquet import MISSING_STRINGS

        missing = (*MISSING_STRINGS, *extra)
        meta = _to_pandas(pq.read_schema(files[0]).empty_table().select(columns), pa, missing)
        return dd.from_map(
            _read_piece,
            pieces,
            columns=columns,
            missing=missing,
            meta=meta,
            enforce_metadata=False,
            label="read-parquet",
        )

    csv_schemas = [_csv_schema(path, extra) for path in files]
    first = csv_schemas[0]
    for path, schema in zip(files[1:], csv_schemas[1:], strict=True):
        _mismatch(files[0], path, schema, first)
        first = {name: schema[name] if t == "empty" else t for name, t in first.items()}
    dtypes = {name: "float64" for name, family in first.items() if family in ("number", "empty")}
    dtypes.update({name: "object" for name, family in first.items() if family == "string"})
    return dd.read_csv(
        files, blocksize=limit, dtype=dtypes, usecols=list(first), low_memory=False,
        na_values=list(extra),
    )  # fmt: skip


def _check_na_values(na_values: object) -> tuple[str, ...]:
    if isinstance(na_values, str) or not all(
        isinstance(v, str) for v in na_values  # type: ignore[attr-defined]
    ):
        raise TypeError(
            f"The 'na_values' parameter of {_OWNER} must be a sequence of str. Got "
            f"{na_values!r} instead."
        )
    return tuple(na_values)  # type: ignore[arg-type]
