"""Reading the input tables and choosing their columns, with errors that name the file."""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _compat
from .._progress import note
from ._delimiters import (
    TSV_SUFFIXES,
    default_sep,
    describe,
    head_lines,
    header_fields,
    likely_delimiter,
    sniff,
)
from ._exit import MissingDependency, UsageFailure

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst", *TSV_SUFFIXES)
PARQUET_SUFFIXES = (".parquet", ".pq")


def table_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` from the file name's suffix.

    Raises
    ------
    UsageFailure
        For any other suffix, naming the file and the accepted suffixes.

    Examples
    --------
    >>> table_format(Path("train.CSV")), table_format(Path("ref.pq")), table_format(Path("a.tsv"))
    ('csv', 'parquet', 'csv')
    """
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise UsageFailure(
        f"cannot read '{path}': unknown file type; expected a CSV ({', '.join(CSV_SUFFIXES)}) "
        f"or Parquet ({', '.join(PARQUET_SUFFIXES)}) file"
    )


@dataclass(frozen=True)
class CsvOptions:
    """How a delimited text file is read (``--sep``, ``--encoding``, ``--na-values``).

    Attributes
    ----------
    sep : str
        The field delimiter; ``"auto"`` sniffs it from the first lines
        (:mod:`advval.cli._delimiters`; a tab for ``.tsv`` when nothing else fits).
    encoding : str
        The text encoding (a UTF-8 byte-order mark is skipped).
    na_values : tuple of str
        Values read as missing, besides pandas' own (empty, ``NA``, ``NaN``, ``null``...).
    day_first : bool
        ``--day-first``: dates readable month first and day first are read day first
        (:func:`advval._dates.reading_day_first`, which the command runs in).
    """

    sep: str = "auto"
    encoding: str = "utf-8"
    na_values: tuple[str, ...] = ()
    day_first: bool = False

    @property
    def settings(self) -> dict[str, bool]:
        """What the report's settings record of these options: ``day_first`` when given
        (nothing otherwise, so reports without it are unchanged).

        Examples
        --------
        >>> CsvOptions().settings, CsvOptions(day_first=True).settings
        ({}, {'day_first': True})
        """
        return {"day_first": True} if self.day_first else {}


def read_table(
    path: Path,
    role: str,
    csv: CsvOptions = CsvOptions(),
    *,
    numbers: bool = True,
    keep: Collection[str] = (),
) -> pd.DataFrame:
    """Read a CSV (or other delimited text) or Parquet file (by suffix) into a DataFrame.

    With ``numbers``, string columns of numbers written for people (``$1,234.50``,
    ``12%``, ``72 kg``) are read as numbers, and columns that look like numbers with
    missing-value markers say so on stderr (:func:`read_numbers_noted`); a command reading
    two files passes ``numbers=False`` and calls that on both, so both sides agree.

    Parameters
    ----------
    path : Path
        The file.
    role : str
        What the file is (``"TRAIN"``, ``"TEST"``), for messages.
    csv : CsvOptions
        How a text file is read.
    numbers : bool, default=True
        Read decorated numbers as numbers (and note what was read).
    keep : collection of str
        Columns left as text whatever they hold (``--categorical``, ``--text-col``).

    Returns
    -------
    DataFrame
        With at least one row and one column.

    Raises
    ------
    UsageFailure
        Unknown suffix, or a file that cannot be read, is empty, is garbled or is not in
        ``encoding``: ``cannot read TRAIN file 'x.csv': ...``.
    MissingDependency
        A Parquet file without pyarrow installed.
    """
    kind = table_format(path)
    if kind == "parquet" and not _compat.has_module("pyarrow"):
        try:
            _compat.require("pyarrow", feature=f"Reading the Parquet {role} file '{path}'")
        except ImportError as exc:
            raise MissingDependency(str(exc)) from exc
    try:
        if kind == "parquet":
            from advval._parquet import MISSING_STRINGS  # pyarrow: not for --help

            frame = _missing_values(_read_parquet(path, role), (*MISSING_STRINGS, *csv.na_values))
        else:
            frame = _read_csv(path, role, csv)
    except UsageFailure:
        raise
    except UnicodeDecodeError as exc:
        byte, encoding = exc.object[exc.start : exc.start + 1].hex(), csv.encoding
        raise UsageFailure(
            f"cannot read {role} file '{path}': it is not {encoding} text (it holds the byte "
            f"0x{byte}, which {encoding} cannot decode there); pass its encoding, e.g. "
            "--encoding cp1252 (Windows exports) or --encoding latin-1"
        ) from exc
    except Exception as exc:
        # the file is the user's input: whatever the readers raise on it (pandas' and
        # pyarrow's errors, zlib.error and lzma.LZMAError on a corrupt .csv.gz / .csv.xz,
        # EOFError on a truncated one) means it cannot be read
        raise UsageFailure(f"cannot read {role} file '{path}': {error_reason(exc)}") from exc
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise UsageFailure(
            f"cannot read {role} file '{path}': it has {frame.shape[0]} rows and "
            f"{frame.shape[1]} columns"
        )
    if kind == "csv":
        _note_duplicate_names(path, role, csv, list(frame.columns))
    if numbers:
        [frame] = read_numbers_noted([frame], [role], keep=keep)
    return frame


def read_numbers_noted(
    frames: Sequence[pd.DataFrame], roles: Sequence[str], *, keep: Collection[str] = ()
) -> list[pd.DataFrame]:
    """``frames`` with decorated numbers read as numbers (:func:`~._numbers.read_numbers`),
    and a note on stderr for what was read, for number columns kept as text because of a
    few marker values (``?``, ``-``), and for sentinel numbers (-999): each names the
    option that changes it.

    Examples
    --------
    >>> import pandas as pd
    >>> [frame] = read_numbers_noted([pd.DataFrame({"fee": ["$1,200", "$35.50"]})], ["DATA"])
    >>> frame["fee"].tolist()
    [1200.0, 35.5]
    """
    from ._numbers import number_markers, read_numbers, sentinel  # pandas: not for --help

    parsed, found = read_numbers(frames, keep)
    if found:
        shown = ", ".join(f"{c!r} ({how.example!r}: {how.describe()})" for c, how in found.items())
        _say(
            f"advval: read column(s) {shown} as numbers; name a column with --categorical to "
            "keep it as text"
        )
    markers: dict[str, dict[str, None]] = {}
    sentinels: dict[str, tuple[float, str, float]] = {}
    for frame, role in zip(parsed, roles, strict=True):
        for column in frame.columns if not frame.columns.has_duplicates else ():
            if column in keep:
                continue
            values = frame[column]
            for marker in number_markers(values):
                markers.setdefault(str(column), {})[marker] = None
            mark = sentinel(values)
            if mark is not None and str(column) not in sentinels:
                share = float((values == mark).mean())
                sentinels[str(column)] = (mark, role, share)
    for column, found_markers in markers.items():
        options = " ".join(f"--na-values {shlex.quote(m)}" for m in found_markers)
        _say(
            f"advval: column {column!r} holds numbers but for the value(s) "
            f"{', '.join(repr(m) for m in found_markers)}, so it is read as text (categories); "
            f"if they mark missing values, {options} reads them as missing and the column "
            "as numbers"
        )
    for column, (mark, role, share) in sentinels.items():
        written = f"{mark:g}"
        _say(
            f"advval: column {column!r} holds {written} in {share:.1%} of the {role} rows, far "
            f"outside its other values: if it marks a missing value, --na-values {written} "
            "reads it as missing"
        )
    return parsed


#: the reading notes of the command running in this context (None: nobody collects them)
_READING_NOTES: ContextVar[list[str] | None] = ContextVar("advval_reading_notes", default=None)
#: what starts every line the command line prints, and no note in a report
_PREFIX = "advval: "


@contextmanager
def collecting_reading_notes() -> Iterator[list[str]]:
    """Collect the notes on how the input files were read, in the order they are said.

    The list it yields fills while the block runs: each note once, as printed, without
    the ``advval: `` of the terminal line; the drift and deps commands put it in their
    reports (``reading_notes``), so a report read later says what the terminal said.

    Examples
    --------
    >>> import pandas as pd
    >>> with collecting_reading_notes() as notes:
    ...     _ = read_numbers_noted([pd.DataFrame({"fee": ["$1,200", "$35.50"]})], ["DATA"])
    >>> notes[0].startswith("read column(s) 'fee'")
    True
    """
    notes: list[str] = []
    token = _READING_NOTES.set(notes)
    try:
        yield notes
    finally:
        _READING_NOTES.reset(token)


def keep_reading_note(text: str) -> None:
    """Add ``text`` to the reading notes being collected, if any (once), without saying it."""
    notes = _READING_NOTES.get()
    if notes is None:
        return
    kept = text[len(_PREFIX) :] if text.startswith(_PREFIX) else text
    if kept not in notes:
        notes.append(kept)


def _say(text: str) -> None:
    """A note on how the data were read: on the display, or on stderr without one (it
    says what was done to the user's data, so --quiet does not hide it, as with warnings),
    and in the reading notes being collected."""
    keep_reading_note(text)
    if not note(text):
        click.echo(text, err=True)


def _note_duplicate_names(path: Path, role: str, csv: CsvOptions, read: list[str]) -> None:
    """Say which columns a header repeats: pandas reads the second 'score' as 'score.1'."""
    import csv as csv_module

    lines = head_lines(path)
    if not lines:
        return
    sep = csv.sep if csv.sep != "auto" else sniff(lines, default_sep(path))
    header = next(csv_module.reader([lines[0]], delimiter=sep), [])
    seen = {name for name in header if header.count(name) > 1}
    if len(header) != len(read) or not seen:
        return
    renamed = [
        f"{new!r}" for old, new in zip(header, read, strict=True) if old in seen and old != new
    ]
    _say(
        f"advval: {role} file '{path}' has several columns named "
        f"{', '.join(repr(n) for n in sorted(seen))}: they are read as {', '.join(renamed)} "
        "(the first keeps its name); use these names in --ignore, --target and the other "
        "column options"
    )


def error_reason(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    if isinstance(exc, MemoryError):
        return "out of memory while reading it"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if type(exc).__module__ in ("zlib", "lzma", "bz2", "gzip", "zipfile") or isinstance(
        exc, EOFError
    ):
        return f"the compressed data is damaged ({first or type(exc).__name__})"
    return first or type(exc).__name__


#: pandas' message for a row with more fields than the header
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read_csv(path: Path, role: str, csv: CsvOptions) -> pd.DataFrame:
    """A delimited text file; a row with more fields than the header is an error naming its
    line, and a file read as one column whose header holds a likely delimiter is an error
    naming the ``--sep`` to pass.

    pandas would otherwise take the first column as the row index when the first data
    row has one field more than the header, shifting every column's name by one.
    """
    lines = head_lines(path)
    sep = csv.sep
    if sep == "auto":
        sep = sniff(lines, default_sep(path))
        if sep != default_sep(path):
            said = f"advval: reading {role} file '{path}' as {describe(sep)}-separated (--sep)"
            keep_reading_note(said)
            note(said)
    found = likely_delimiter(lines[0]) if lines and header_fields(lines[0], sep) == 1 else None
    if found is not None and found != sep:
        raise UsageFailure(
            f"{role} file '{path}' was read as one column, but its header holds "
            f"{describe(found)}: if that separates its fields, pass --sep {describe(found)}"
        )
    return _read_delimited(path, role, sep, csv)


def _read_delimited(path: Path, role: str, sep: str, csv: CsvOptions) -> pd.DataFrame:
    import pandas as pd
    from pandas.errors import ParserWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Length of header", category=ParserWarning)
        try:
            return pd.read_csv(
                path, sep=sep, low_memory=False, index_col=False, encoding=csv.encoding,
                na_values=list(csv.na_values),
            )  # fmt: skip
        except ParserWarning:  # the first data row is longer than the header
            pass
        except pd.errors.ParserError as exc:
            raise UsageFailure(_ragged(path, role, exc)) from exc
    try:  # the header alone sets the width here, so pandas names the long line
        pd.read_csv(
            path, sep=sep, header=None, nrows=_RAGGED_PROBE_ROWS, index_col=False, dtype=str,
            encoding=csv.encoding,
        )  # fmt: skip
    except pd.errors.ParserError as exc:
        raise UsageFailure(_ragged(path, role, exc)) from exc
    raise UsageFailure(
        f"cannot read {role} file '{path}': its first data row has more fields than the header"
    )


#: rows read again to find a row longer than the header
_RAGGED_PROBE_ROWS = 16


def _ragged(path: Path, role: str, exc: Exception) -> str:
    found = _TOO_MANY_FIELDS.search(str(exc))
    if found is None:
        return f"cannot read {role} file '{path}': {error_reason(exc)}"
    header, line, seen = found.groups()
    return (
        f"cannot read {role} file '{path}': line {line} has {seen} fields but the header has "
        f"{header}"
    )


def _read_parquet(path: Path, role: str) -> pd.DataFrame:
    """A Parquet file of flat columns; nested ones (struct, list, map) are refused by name.

    Times of day and bytes are read as the Dask reader reads them
    (:mod:`advval._parquet`), and said.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    from advval._parquet import is_bytes, is_time_of_day, readable_column, reading_notes

    schema = pq.read_schema(path)
    nested = [f"'{field.name}' ({field.type})" for field in schema if field.type.num_fields > 0]
    if nested:
        shown = ", ".join(nested[:10]) + (" ..." if len(nested) > 10 else "")
        raise UsageFailure(
            f"cannot read {role} file '{path}': column(s) {shown} are nested (struct, list or "
            "map); advval reads flat columns of numbers, strings, booleans, dates and "
            "categories. Flatten them or leave them out of the file"
        )
    frame = pd.read_parquet(path, engine="pyarrow")
    odd = [f.name for f in schema if is_time_of_day(f.type) or is_bytes(f.type)]
    if not odd or frame.columns.has_duplicates:
        return frame
    table = pq.read_table(path, columns=odd)
    read = {name: readable_column(table.column(name), ()).to_pandas() for name in odd}
    for line in reading_notes(schema, f"{role} file '{path}'"):
        _say(line)
    return frame.assign(**{name: values.set_axis(frame.index) for name, values in read.items()})


def _missing_values(frame: pd.DataFrame, na_values: Sequence[str]) -> pd.DataFrame:
    """The missing-value strings in a Parquet file: string (or category) cells equal to one
    of ``na_values`` (:data:`advval._parquet.MISSING_STRINGS` and ``--na-values``), and
    number cells equal to one read as a number, become missing (a new frame; the CSV reader
    does this itself); a string column left with plain numbers only is read as numbers, as
    in a CSV file.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": ["1", "?"], "b": [-999, 4], "c": ["x", "?"]})
    >>> read = _missing_values(frame, ["?", "-999"])
    >>> read["a"].tolist(), read["b"].tolist(), read["c"].tolist()
    ([1.0, nan], [nan, 4.0], ['x', nan])
    """
    import numpy as np
    import pandas as pd

    from ._numbers import plain_numbers

    if not na_values:
        return frame
    numbers = [float(v) for v in na_values if plain_numbers(pd.Series([v]))]
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values.dtype):
            continue
        if pd.api.types.is_numeric_dtype(values.dtype):
            hit = values.isin(numbers) if numbers else None
        elif (
            pd.api.types.is_object_dtype(values.dtype)
            or pd.api.types.is_string_dtype(values.dtype)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            hit = values.isin(list(na_values))
        else:
            continue
        if hit is None or not bool(hit.any()):
            continue
        if pd.api.types.is_integer_dtype(values.dtype):
            values = values.astype("float64")
        values = values.mask(hit.to_numpy(), np.nan)
        if not pd.api.types.is_numeric_dtype(values.dtype) and plain_numbers(values):
            values = values.astype("float64")  # as the CSV reader reads such a column
        changed[column] = values
    return frame.assign(**changed) if changed and not frame.columns.has_duplicates else frame


def _drop(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    present = [c for c in columns if c in frame.columns]
    return frame.drop(columns=present) if present else frame


def select_columns(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    target: str | None,
    ignore: Sequence[str],
    ids: Sequence[str],
    train_name: str,
    test_name: str,
    also_named: Sequence[tuple[str, str]] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the target, ignored and id columns from whichever side has them.

    The target is usually in TRAIN only; it is dropped from each side that has it. Every
    named column must exist in at least one of the two files: these and ``also_named``
    (``(option, column)`` pairs of other options, e.g. ``--parse-dates``), which are kept.

    Raises
    ------
    UsageFailure
        Naming the option, the column and both files, when a column is in neither.

    Examples
    --------
    >>> import pandas as pd
    >>> tr = pd.DataFrame({"a": [1], "y": [0], "id": [7]})
    >>> te = pd.DataFrame({"a": [2], "id": [8]})
    >>> a, b = select_columns(tr, te, target="y", ignore=[], ids=["id"],
    ...                       train_name="tr.csv", test_name="te.csv")
    >>> list(a.columns), list(b.columns)
    (['a'], ['a'])
    """
    named = [("--target", target)] if target is not None else []
    named += [("--ignore", c) for c in ignore] + [("--id", c) for c in ids]
    for option, column in [*named, *also_named]:
        if column not in train.columns and column not in test.columns:
            raise UsageFailure(
                f"{option} column '{column}' is not in TRAIN file '{train_name}' "
                f"nor in TEST file '{test_name}'"
            )
    columns = list(dict.fromkeys(column for _, column in named))
    train, test = _drop(train, columns), _drop(test, columns)
    for frame, role, name in ((train, "TRAIN", train_name), (test, "TEST", test_name)):
        if frame.shape[1] == 0:
            raise UsageFailure(
                f"no feature column is left in {role} file '{name}' after removing the "
                f"--target, --ignore and --id columns; there is nothing to compare"
            )
    only_train = [c for c in train.columns if c not in set(test.columns)]
    if only_train and len(only_train) <= 3 and set(test.columns) <= set(train.columns):
        first = only_train[0]
        raise UsageFailure(
            f"column(s) {only_train!r} are in TRAIN file '{train_name}' but not in TEST file "
            f"'{test_name}'; if {first!r} is the label pass --target {shlex.quote(first)}, "
            f"otherwise --ignore {shlex.quote(first)}"
        )
    only_test = [c for c in test.columns if c not in set(train.columns)]
    if only_test and len(only_test) <= 3 and set(train.columns) <= set(test.columns):
        options = " ".join(f"--ignore {shlex.quote(str(c))}" for c in only_test)
        raise UsageFailure(
            f"column(s) {only_test!r} are in TEST file '{test_name}' but not in TRAIN file "
            f"'{train_name}'; {options} leaves them out of the check"
        )
    return train, test


# --------------------------------------------------------------------------- many files, Dask


def is_distributed(
    *paths: Path | None, scheduler: str | None = None, workers: int | None = None
) -> bool:
    """Whether the inputs go through Dask: a glob pattern, a directory, or a cluster option.

    A path with glob characters that names an existing file is that file.

    Examples
    --------
    >>> is_distributed(Path("train.csv"), Path("test.csv"))
    False
    >>> is_distributed(Path("train/*.parquet"), Path("test.csv"))
    True
    >>> is_distributed(Path("train.csv"), Path("test.csv"), workers=2)
    True
    """
    from advval.distributed._io import is_pattern

    if scheduler is not None or workers is not None:
        return True
    return any(
        p is not None and (p.is_dir() or (is_pattern(p) and not p.exists())) for p in paths
    )


def _require_dask(what: str) -> None:
    for module in ("dask", "distributed"):
        if not _compat.has_module(module):
            try:
                _compat.require(module, feature=what)
            except ImportError as exc:
                raise MissingDependency(str(exc)) from exc


def read_files(path: Path, role: str, csv: CsvOptions = CsvOptions()) -> Any:
    """Files named by a glob pattern, a directory or one path as a lazy Dask DataFrame.

    Read as :func:`read_table` reads one file: ``csv.na_values`` are missing, and so are
    the usual missing-value strings of Parquet string columns; Parquet times of day and
    bytes are read alike and said (:mod:`advval._parquet`).

    Raises
    ------
    UsageFailure
        No file matches, unknown format, unreadable file or disagreeing schemas, naming
        the pattern, file and column: ``cannot read TRAIN files 'train/*.parquet': ...``.
    MissingDependency
        Without dask / distributed (or pyarrow for Parquet) installed.
    """
    _require_dask(f"Reading the {role} files '{path}' with Dask")
    from advval.distributed._io import _kind_of, list_files, read_frames

    try:
        files = list_files(path)
        parquet = any(_kind_of(f) == "parquet" for f in files)
        if parquet and not _compat.has_module("pyarrow"):
            _compat.require("pyarrow", feature=f"Reading the Parquet {role} files '{path}'")
        frame = read_frames(files, na_values=csv.na_values)
        if parquet:
            import pyarrow.parquet as pq

            from advval._parquet import reading_notes

            for line in reading_notes(pq.read_schema(files[0]), f"{role} files '{path}'"):
                _say(line)
        return frame
    except ImportError as exc:
        raise MissingDependency(str(exc)) from exc
    except (ValueError, TypeError) as exc:
        raise UsageFailure(f"cannot read {role} files '{path}': {exc}") from exc


@contextmanager
def dask_client(
    *, scheduler: str | None, workers: int | None, quiet: bool, timeout: float = 10.0
) -> Iterator[Any]:
    """A Dask client for the command: ``--scheduler``'s cluster, or ``--workers`` local ones.

    Without either, a local cluster of Dask's default size is started. A started cluster
    is closed when the block ends.

    Raises
    ------
    UsageFailure
        An unreachable scheduler (within ``timeout`` seconds) or a bad address, naming it.
    MissingDependency
        Without dask / distributed installed.
    """
    _require_dask("--scheduler / --workers and many-file inputs")
    from advval.distributed._cluster import connect

    try:
        handle = connect(scheduler=scheduler, workers=workers, timeout=timeout)
    except (ConnectionError, ValueError, TypeError) as exc:
        option = "--scheduler" if scheduler is not None else "--workers"
        raise UsageFailure(f"{option}: {exc}") from exc
    if not quiet:
        n = len(handle.client.scheduler_info().get("workers", {}))
        kind = "local cluster" if handle.cluster is not None else "Dask scheduler"
        click.echo(f"advval: using the {kind} at {handle.address} ({n} workers)", err=True)
    with handle as client:
        yield client


def sample_rows(frame: Any, columns: Sequence[str], n_rows: int, *, rows: int, seed: int) -> Any:
    """A seeded sample of about ``rows`` rows of ``columns`` of a Dask frame, as pandas.

    The reports draw their per-feature histograms from it, so a billion-row input does
    not come back to the driver.
    """
    fraction = min(1.0, rows / max(n_rows, 1))
    part = frame[list(columns)]
    if fraction < 1.0:
        part = part.sample(frac=fraction, random_state=seed)
    return part.compute()
