"""How the columns of a Parquet file (an Arrow table) are read, alike on one machine and on
the partitions of a Dask frame.

The command line reads a Parquet file with pandas (:func:`advval.cli._io.read_table`) and
a folder of them with Dask (:func:`advval.distributed.read_frames`, partition by
partition); both read the columns below the same way, so a table gives the same report
whichever way it is read:

- a string cell equal to one of :data:`MISSING_STRINGS` (``""``, ``NA``, ``null``...: the
  strings a CSV reader reads as missing) is missing (:func:`without_missing_strings`);
- a time of day (Arrow ``time32`` / ``time64``) is read as a timestamp on
  :data:`~advval._dates.CLOCK_DAY` (1900-01-01), as a CSV column of ``05:30:15`` strings
  is (:mod:`advval._dates`): the time's parts (hour, seconds since midnight) then vary and
  the day does not;
- bytes (Arrow ``binary``) are read as labels: a value's text when it is UTF-8, else its
  bytes in hexadecimal (``b'\\x00\\xff'`` is ``'00ff'``). Parquet writers without a string
  type (old Spark, Impala) store text that way.

Each rule acts on one value at a time, never on what the rest of a column holds, so every
partition of a column gets one type and the Dask frame's metadata holds
(:func:`readable_table` of an empty table gives it).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ._dates import CLOCK_DAY

#: the strings a CSV file's cells are read as missing by default (pandas.read_csv's
#: documented list); a Parquet file's string cells holding one are read as missing too, so
#: one table written both ways gives the same columns
MISSING_STRINGS = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip

#: microseconds from 1970-01-01 to the day a time of day is read on
_CLOCK_DAY_US = int((pa.scalar(CLOCK_DAY).cast(pa.date32()).value) * 86_400 * 1_000_000)


def is_time_of_day(arrow_type: pa.DataType) -> bool:
    """Whether a column of ``arrow_type`` holds times of day (``time32`` / ``time64``).

    Examples
    --------
    >>> is_time_of_day(pa.time64("us")), is_time_of_day(pa.timestamp("us"))
    (True, False)
    """
    return bool(pa.types.is_time(arrow_type))


def is_bytes(arrow_type: pa.DataType) -> bool:
    """Whether a column of ``arrow_type`` holds bytes (``binary`` of any width).

    Examples
    --------
    >>> is_bytes(pa.binary()), is_bytes(pa.binary(16)), is_bytes(pa.string())
    (True, True, False)
    """
    return bool(
        pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_fixed_size_binary(arrow_type)
        or pa.types.is_binary_view(arrow_type)
    )


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    )


def clock_timestamps(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Times of day as timestamps (microseconds) on 1900-01-01; missing stays missing.

    Examples
    --------
    >>> import datetime as dt
    >>> clock_timestamps(pa.array([dt.time(5, 30, 15, 250000), None])).to_pylist()
    [datetime.datetime(1900, 1, 1, 5, 30, 15, 250000), None]
    """
    micros = pc.cast(pc.cast(values, pa.time64("us")), pa.int64())
    return pc.cast(pc.add(micros, _CLOCK_DAY_US), pa.timestamp("us"))


def byte_labels(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Bytes as labels: each value's UTF-8 text, or its bytes in hexadecimal when they are
    not UTF-8; missing stays missing.

    Examples
    --------
    >>> byte_labels(pa.array([b"Paris", b"\\x00\\xff", None])).to_pylist()
    ['Paris', '00ff', None]
    """
    flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    try:  # every value is text: Arrow checks and casts at once
        return pc.cast(pc.cast(flat, pa.binary()), pa.string())
    except (pa.ArrowInvalid, UnicodeDecodeError):
        pass
    labels: list[str | None] = []
    for value in flat.to_pylist():
        if value is None:
            labels.append(None)
            continue
        try:
            labels.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            labels.append(value.hex())
    return pa.array(labels, type=pa.string())


def without_missing_strings(
    values: pa.Array | pa.ChunkedArray, missing: Sequence[str] = MISSING_STRINGS
) -> pa.Array | pa.ChunkedArray:
    """A string (or dictionary of strings) column with the cells in ``missing`` missing.

    Examples
    --------
    >>> without_missing_strings(pa.array(["a", "", "NA", "b", None])).to_pylist()
    ['a', None, None, 'b', None]
    >>> coded = pa.array(["x", "null", "x"]).dictionary_encode()
    >>> without_missing_strings(coded).to_pylist()
    ['x', None, 'x']
    """
    flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(flat.type):
        hit = pc.is_in(flat.dictionary, value_set=pa.array(list(missing), flat.dictionary.type))
        if not bool(pc.any(hit).as_py()):
            return flat
        rows = pc.take(hit, flat.indices)
        indices = pc.if_else(rows, pa.scalar(None, flat.indices.type), flat.indices)
        return pa.DictionaryArray.from_arrays(indices, flat.dictionary)
    hit = pc.is_in(flat, value_set=pa.array(list(missing), flat.type))
    if not bool(pc.any(hit).as_py()):
        return flat
    return pc.if_else(hit, pa.scalar(None, flat.type), flat)


def readable_column(
    values: pa.Array | pa.ChunkedArray, missing: Sequence[str] = MISSING_STRINGS
) -> pa.Array | pa.ChunkedArray:
    """One column read by the rules of this module (the column itself when none applies)."""
    kind = values.type
    if is_time_of_day(kind):
        return clock_timestamps(values)
    if is_bytes(kind):
        return without_missing_strings(byte_labels(values), missing)
    dictionary_text = pa.types.is_dictionary(kind) and _is_text(kind.value_type)
    if missing and (_is_text(kind) or dictionary_text):
        return without_missing_strings(values, missing)
    return values


def readable_table(table: pa.Table, missing: Sequence[str] = MISSING_STRINGS) -> pa.Table:
    """``table`` with every column read by the rules of this module.

    Examples
    --------
    >>> import datetime as dt
    >>> table = pa.table({"t": pa.array([dt.time(1, 2)], pa.time32("s")),
    ...                   "b": [b"ok"], "s": ["NA"]})
    >>> readable_table(table).to_pylist()
    [{'t': datetime.datetime(1900, 1, 1, 1, 2), 'b': 'ok', 's': None}]
    """
    columns = [readable_column(table.column(i), missing) for i in range(table.num_columns)]
    return pa.Table.from_arrays(columns, names=table.column_names)


def reading_notes(schema: pa.Schema, source: str) -> list[str]:
    """What the rules did to the columns of ``schema`` that need saying (times of day,
    bytes), for the command line's reading notes; ``source`` names the file(s).

    Examples
    --------
    >>> import pyarrow as pa
    >>> schema = pa.schema([("at", pa.time64("us")), ("key", pa.binary()), ("x", pa.int64())])
    >>> for line in reading_notes(schema, "TRAIN file 'a.parquet'"):
    ...     print(line)
    advval: column(s) 'at' of TRAIN file 'a.parquet' hold times of day (Parquet time64[us]): read as times on 1900-01-01, as a CSV column of '05:30:15' is, so the hour and the seconds since midnight vary and the day does not
    advval: column(s) 'key' of TRAIN file 'a.parquet' hold bytes (Parquet binary): read as labels, each value's text when it is UTF-8, else its bytes in hexadecimal; --ignore leaves a column out
    """  # noqa: E501
    clocks = [f for f in schema if is_time_of_day(f.type)]
    blobs = [f for f in schema if is_bytes(f.type)]
    notes = []
    if clocks:
        notes.append(
            f"advval: column(s) {_names(clocks)} of {source} hold times of day "
            f"(Parquet {_types(clocks)}): read as times on {CLOCK_DAY}, as a CSV column of "
            "'05:30:15' is, so the hour and the seconds since midnight vary and the day does "
            "not"
        )
    if blobs:
        notes.append(
            f"advval: column(s) {_names(blobs)} of {source} hold bytes (Parquet "
            f"{_types(blobs)}): read as labels, each value's text when it is UTF-8, else its "
            "bytes in hexadecimal; --ignore leaves a column out"
        )
    return notes


def _names(fields: list[pa.Field]) -> str:
    shown = ", ".join(repr(f.name) for f in fields[:10])
    return shown + (f" and {len(fields) - 10} more" if len(fields) > 10 else "")


def _types(fields: list[pa.Field]) -> str:
    return ", ".join(dict.fromkeys(str(f.type) for f in fields))
