"""Reading the input tables and choosing their columns, with errors that name the file."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import _compat
from ._exit import MissingDependency, UsageFailure

if TYPE_CHECKING:
    import pandas as pd

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")


def table_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` from the file name's suffix.

    Raises
    ------
    UsageFailure
        For any other suffix, naming the file and the accepted suffixes.

    Examples
    --------
    >>> table_format(Path("train.CSV")), table_format(Path("ref.pq"))
    ('csv', 'parquet')
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


def read_table(path: Path, role: str) -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by suffix) into a DataFrame.

    Parameters
    ----------
    path : Path
        The file.
    role : str
        What the file is (``"TRAIN"``, ``"TEST"``), for messages.

    Returns
    -------
    DataFrame
        With at least one row and one column.

    Raises
    ------
    UsageFailure
        Unknown suffix, or a file that cannot be read, is empty or is garbled:
        ``cannot read TRAIN file 'x.csv': ...``.
    MissingDependency
        A Parquet file without pyarrow installed.
    """
    kind = table_format(path)
    import pandas as pd

    if kind == "parquet" and not _compat.has_module("pyarrow"):
        try:
            _compat.require("pyarrow", feature=f"Reading the Parquet {role} file '{path}'")
        except ImportError as exc:
            raise MissingDependency(str(exc)) from exc
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path, engine="pyarrow")
        else:
            frame = pd.read_csv(path, low_memory=False)
    except (OSError, ValueError, NotImplementedError) as exc:  # pandas, pyarrow errors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageFailure(f"cannot read {role} file '{path}': {reason}") from exc
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise UsageFailure(
            f"cannot read {role} file '{path}': it has {frame.shape[0]} rows and "
            f"{frame.shape[1]} columns"
        )
    return frame


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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the target, ignored and id columns from whichever side has them.

    The target is usually in TRAIN only; it is dropped from each side that has it. Every
    named column must exist in at least one of the two files.

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
    for option, column in named:
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
            f"'{test_name}'; if {first!r} is the label pass --target {first}, otherwise "
            f"--ignore {first}"
        )
    return train, test


#: report kind -> the command that writes it, where the two names differ
COMMANDS = {"robustness": "attack"}


def default_output(kind: str) -> Path:
    """Where an HTML report goes without ``--output``: ``advval_<command>_report.html``.

    Examples
    --------
    >>> default_output("deps"), default_output("robustness")
    (PosixPath('advval_deps_report.html'), PosixPath('advval_attack_report.html'))
    """
    return Path(f"advval_{COMMANDS.get(kind, kind)}_report.html")


def write_output(report: Any, fmt: str, output: Path | None) -> str:
    """Write a rendered report to ``output`` and return where it went.

    Without ``output``, an HTML page goes to :func:`default_output` (``report.kind``
    names it) and JSON or Markdown to stdout; ``-`` is stdout for every format.

    Raises
    ------
    UsageFailure
        When the file cannot be written, naming the path.
    """
    from advval.report import write_report

    if output is None and fmt == "html":
        output = default_output(report.kind)
    if output is None or str(output) == "-":
        write_report(report, sys.stdout, format=fmt)
        return "stdout"
    try:
        write_report(report, output, format=fmt)
    except OSError as exc:
        raise UsageFailure(f"cannot write the report to '{output}': {exc.strerror or exc}") from exc
    return str(output)


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


def read_files(path: Path, role: str) -> Any:
    """Files named by a glob pattern, a directory or one path as a lazy Dask DataFrame.

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
        if any(_kind_of(f) == "parquet" for f in files) and not _compat.has_module("pyarrow"):
            _compat.require("pyarrow", feature=f"Reading the Parquet {role} files '{path}'")
        return read_frames(files)
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
