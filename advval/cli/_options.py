"""Options shared by the ``advval`` commands, each defined once as a decorator."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: report formats, and the file suffixes that imply them
FORMATS = ("html", "json", "markdown")
#: the report format of every command without --format, --output or a --<format> option
DEFAULT_FORMAT = "html"
SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".json": "json", ".md": "markdown",
                  ".markdown": "markdown"}


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


class _FiniteMixin:
    """Refuse NaN and infinity: ``float()`` accepts ``nan`` and ``inf``, a gate must not."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            raise click.BadParameter(f"{value!r} is not a finite number.", ctx, param)
        return super().convert(number, param, ctx)  # type: ignore[misc]


class _Finite(_FiniteMixin, click.types.FloatParamType):
    name = "float"


class _FiniteRange(_FiniteMixin, click.FloatRange):
    name = "float range"


def finite_float(
    min: float | None = None,
    max: float | None = None,
    *,
    min_open: bool = False,
    max_open: bool = False,
) -> click.ParamType:
    """The click type of every float option: a finite number, optionally in a range.

    ``nan``, ``inf`` and ``-inf`` are refused with a message naming the option as typed
    (``Invalid value for '--alpha': 'nan' is not a finite number.``), as are values
    outside the range (shown in ``--help``).

    Examples
    --------
    >>> finite_float(0, 1, min_open=True).convert("0.5", None, None)
    0.5
    >>> finite_float().convert("inf", None, None)
    Traceback (most recent call last):
    click.exceptions.BadParameter: 'inf' is not a finite number.
    """
    if min is None and max is None:
        return _Finite()
    return _FiniteRange(min, max, min_open=min_open, max_open=max_open)


class FiniteFloatList(click.ParamType):
    """Comma-separated finite numbers >= 0 (``0.1,0.2,0.5``), as a list of floats."""

    name = "floats"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in str(value).split(",") if part.strip()]
        if not parts:
            self.fail(f"expected comma-separated numbers like 0.1,0.2,0.5; got {value!r}",
                      param, ctx)
        element = finite_float(0)
        numbers = []
        for part in parts:
            try:
                numbers.append(element.convert(part, param, ctx))
            except click.BadParameter as exc:
                self.fail(f"{part!r} in {value!r}: {exc.message}", param, ctx)
        return numbers


def cpu_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS says, else all).

    Examples
    --------
    >>> cpu_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class Threads(click.ParamType):
    """A thread or process count: 1 to the number of CPU cores, or -1 for all of them.

    More threads than cores only slow the work down, and a count in the thousands can
    stall the machine; such counts are refused naming the option and the core count.
    """

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.INT.convert(value, param, ctx)
        cores = cpu_cores()
        if number == -1 or 1 <= number <= cores:
            return number
        self.fail(
            f"{number} is not a count from 1 to {cores} (the CPU cores here) nor -1 (all "
            "cores).",
            param,
            ctx,
        )


def resolve_threads(n_jobs: int) -> int:
    """``n_jobs`` with ``-1`` replaced by the number of cores.

    Examples
    --------
    >>> resolve_threads(2), resolve_threads(-1) == cpu_cores()
    (2, True)
    """
    return cpu_cores() if n_jobs == -1 else n_jobs


def n_jobs_option(default: int | None, what: str) -> Callable[[F], F]:
    """``--n-jobs``: ``what`` (a sentence) and the shared rule for thread counts."""
    return click.option(
        "--n-jobs",
        type=Threads(),
        default=default,
        show_default=default is not None,
        metavar="N",
        help=f"{what} N is 1 to the number of CPU cores, or -1 for all cores.",
    )


#: --categorical, --parse-dates, --text-col: what a column is (the library's column_kinds)
kind_options = _compose(
    click.option(
        "--categorical",
        "categorical_cols",
        metavar="COL",
        multiple=True,
        help="Read this column as categorical (a numeric zip code, a numbered level); "
        "repeatable. It also keeps as text a column of numbers written for people, which "
        "is read as numbers otherwise: money ($1,234.50), percentages (12% reads 12), "
        "thousands separators (1,234) and units (72 kg), when every value is one.",
    ),
    click.option(
        "--parse-dates",
        "date_cols",
        metavar="COL",
        multiple=True,
        help="Read this column as dates: every value a date of one format (ISO, MM/DD/YYYY, "
        "DD.MM.YYYY, ...); repeatable. Date strings are recognised without it; this makes a "
        "column that does not parse an error.",
    ),
    click.option(
        "--text-col",
        "text_cols",
        metavar="COL",
        multiple=True,
        help="Read this column as free text (compared by length, words and the shares of "
        "digits, upper case and punctuation); repeatable. Free text (many distinct values "
        "of several words) is recognised without it.",
    ),
)

#: the kind each of those options gives its columns
KIND_OPTIONS = {"--categorical": "categorical", "--parse-dates": "datetime", "--text-col": "text"}


def column_kinds(
    categorical: Sequence[str], dates: Sequence[str], text: Sequence[str]
) -> dict[str, str] | None:
    """The ``column_kinds`` of ``--categorical``, ``--parse-dates`` and ``--text-col``.

    Raises
    ------
    click.UsageError
        A column given two kinds, naming both options.

    Examples
    --------
    >>> column_kinds(["zip"], [], ["notes"])
    {'zip': 'categorical', 'notes': 'text'}
    >>> column_kinds([], [], []) is None
    True
    """
    chosen: dict[str, tuple[str, str]] = {}
    for option, columns in zip(KIND_OPTIONS, (categorical, dates, text), strict=True):
        for column in columns:
            if column in chosen and chosen[column][0] != option:
                raise click.UsageError(
                    f"column {column!r} is given by both {chosen[column][0]} and {option}; "
                    "a column has one kind"
                )
            chosen[column] = (option, KIND_OPTIONS[option])
    return {column: kind for column, (_, kind) in chosen.items()} or None


def kind_columns(
    categorical: Sequence[str], dates: Sequence[str], text: Sequence[str]
) -> list[tuple[str, str]]:
    """``(option, column)`` of every column those options name, for the existence check."""
    return [
        (option, column)
        for option, columns in zip(KIND_OPTIONS, (categorical, dates, text), strict=True)
        for column in columns
    ]


class RowBudget(click.ParamType):
    """``--max-rows``: ``auto`` (the library's derived budget), ``all`` (every row) or a count.

    Converts to what the estimators' ``max_rows`` takes: ``"auto"``, ``None`` or an int.

    Examples
    --------
    >>> budget = RowBudget(minimum=10)
    >>> budget.convert("auto", None, None), budget.convert("ALL", None, None)
    ('auto', None)
    >>> budget.convert("20000", None, None)
    20000
    """

    name = "auto|all|N"

    def __init__(self, *, minimum: int = 1) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip().lower()
            if text in ("auto", "all"):
                return "auto" if text == "auto" else None
            try:
                number = int(text)
            except ValueError:
                self.fail(f"{value!r} is not 'auto', 'all' or a whole number of rows", param, ctx)
        if number is not None and number < self.minimum:
            self.fail(f"{number} is below the smallest budget, {self.minimum} rows", param, ctx)
        return number


def max_rows_option(what: str) -> Callable[[F], F]:
    """``--max-rows``: a row budget (``auto`` by default), ``what`` says what it bounds."""
    return click.option(
        "--max-rows",
        type=RowBudget(minimum=10),
        default="auto",
        show_default=True,
        help=what,
    )


class Separator(click.ParamType):
    """``--sep``: one delimiter character, ``\\t`` / ``tab`` for a tab, or ``auto``."""

    name = "CHAR|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ._delimiters import parse_sep

        try:
            return parse_sep(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Encoding(click.ParamType):
    """``--encoding``: the name of a text encoding Python knows (``latin-1``, ``cp1252``)."""

    name = "CODEC"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import codecs

        try:
            return codecs.lookup(str(value)).name
        except LookupError:
            self.fail(
                f"unknown encoding {str(value)!r}: give a text encoding such as utf-8, "
                "latin-1 or cp1252",
                param,
                ctx,
            )


encoding_option = click.option(
    "--encoding",
    type=Encoding(),
    default="utf-8",
    show_default=True,
    help="Text encoding of CSV/TSV inputs (utf-8 also reads a byte-order mark). A file "
    "that is not in it is an error naming the --encoding to try (Windows and older "
    "exports: cp1252 or latin-1).",
)


sep_option = click.option(
    "--sep",
    type=Separator(),
    default="auto",
    show_default=True,
    help="Field delimiter of CSV/TSV inputs: one character (',', ';', '|'), '\\t' for a "
    "tab, or auto: sniffed from the first lines (a tab for .tsv files). A file that still "
    "reads as one column although its header holds ';', a tab or '|' is an error naming "
    "the --sep to pass.",
)


class InputPath(click.Path):
    """An existing CSV / Parquet file or directory, or a glob pattern (expanded when read)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from advval.distributed._io import is_pattern

        if isinstance(value, str) and is_pattern(value) and not Path(value).exists():
            return Path(value)
        return super().convert(value, param, ctx)


def input_file(name: str, *, required: bool = False) -> Callable[[F], F]:
    """A positional input: a CSV / Parquet file, a directory of them, or a quoted glob."""
    return click.argument(
        name,
        required=required,
        type=InputPath(exists=True, dir_okay=True, readable=True, path_type=Path),
    )


#: --scheduler, --workers: run on a Dask cluster (shared by drift and deps)
cluster_options = _compose(
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Address of a running Dask scheduler (tcp://host:8786): read the inputs "
        "lazily and fit on that cluster. Needs advval[dask].",
    ),
    click.option(
        "--workers",
        type=Threads(),
        default=None,
        metavar="N",
        help="Start a local Dask cluster of N worker processes (127.0.0.1 only) for "
        "inputs larger than memory; N is 1 to the number of CPU cores, or -1 for one per "
        "core. Globs and directories use a local cluster too.",
    ),
    click.option(
        "--scheduler-timeout",
        type=finite_float(0.0, min_open=True),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Give up (exit 2) when the --scheduler does not answer within this time.",
    ),
)


#: --target, --ignore, --id: columns excluded from the check
column_options = _compose(
    click.option(
        "--target",
        metavar="COL",
        help="Label column; dropped from each file that has it (usually TRAIN only).",
    ),
    click.option(
        "--ignore",
        metavar="COL",
        multiple=True,
        help="Column to leave out of the check (repeatable).",
    ),
    click.option(
        "--id",
        "ids",
        metavar="COL",
        multiple=True,
        help="Row identifier column, excluded from the check (repeatable).",
    ),
)

#: --html, --json, --markdown: the option that writes the report in each format
FORMAT_OPTIONS = {"html": "--html", "json": "--json", "markdown": "--markdown"}


def _format_option(fmt: str, label: str) -> Callable[[F], F]:
    return click.option(
        FORMAT_OPTIONS[fmt],
        f"{fmt}_path",
        type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
        default=None,
        metavar="FILE",
        help=f"Also write the report as {label} to FILE ('-' for stdout), in the same run "
        "as --output and the other formats.",
    )


#: --format, --output, --html, --json, --markdown: where the report goes
output_options = _compose(
    click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Format of the --output report. Default: from the --output suffix (.html, "
        f".json, .md), else {DEFAULT_FORMAT}.",
    ),
    click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
        default=None,
        help="Report file ('-' for stdout). Default: advval_<command>_report.html for "
        "html, stdout for json and markdown; none when only --html, --json or --markdown "
        "are given. Every output is written whole or not at all (a temporary file "
        "renamed into place once all are complete), never over an input file.",
    ),
    _format_option("html", "one self-contained HTML page"),
    _format_option("json", "JSON"),
    _format_option("markdown", "Markdown"),
)

seed_option = click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Random seed (random_state): same inputs and seed give the same report.",
)

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress output on stderr (the verdict still prints)."
)


def resolve_format(fmt: str | None, output: Path | None, default: str = DEFAULT_FORMAT) -> str:
    """The report format: given, else implied by the output suffix, else ``default``.

    Examples
    --------
    >>> resolve_format(None, Path("r.md")), resolve_format("json", Path("r.html"))
    ('markdown', 'json')
    >>> resolve_format(None, None), resolve_format(None, None, "json")
    ('html', 'json')
    """
    if fmt is not None:
        return fmt
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), default)
    return default


na_values_option = click.option(
    "--na-values",
    "na_values",
    multiple=True,
    metavar="VALUE",
    help="Read this value of CSV/TSV inputs as missing, besides the usual empty cells, NA, "
    "NaN, null (repeatable: --na-values '?' --na-values unknown); in Parquet inputs, the "
    "string cells equal to it and the number cells equal to it as a number (-999).",
)


day_first_option = click.option(
    "--day-first",
    "day_first",
    is_flag=True,
    help="Read date strings whose day and month are both 12 or less (03/04/2016) day first, "
    "as 3 April; without it they are read month first (the US reading) and a note says so. "
    "Columns where some day is above 12 are read the one way their values allow either way.",
)


def csv_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--sep``, ``--encoding``, ``--na-values`` and ``--day-first``, given to the command
    as ``csv``; with ``--day-first`` the command runs inside
    :func:`advval._dates.reading_day_first`."""
    from ._io import CsvOptions

    @functools.wraps(command)
    def with_csv(
        *args: Any,
        sep: str,
        encoding: str,
        na_values: tuple[str, ...],
        day_first: bool,
        **kwargs: Any,
    ) -> Any:
        csv = CsvOptions(sep, encoding, tuple(na_values), day_first)
        if not day_first:
            return command(*args, csv=csv, **kwargs)
        from advval._dates import reading_day_first  # the library: not for --help

        with reading_day_first():
            return command(*args, csv=csv, **kwargs)

    for option in (day_first_option, na_values_option, encoding_option, sep_option):
        with_csv = option(with_csv)
    return with_csv
