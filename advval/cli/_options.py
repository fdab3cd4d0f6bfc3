"""Options shared by the ``advval`` commands, each defined once as a decorator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: report formats, and the file suffixes that imply them
FORMATS = ("html", "json", "markdown")
SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".json": "json", ".md": "markdown",
                  ".markdown": "markdown"}


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


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
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="Start a local Dask cluster of N worker processes (127.0.0.1 only) for "
        "inputs larger than memory. Globs and directories use a local cluster too.",
    ),
    click.option(
        "--scheduler-timeout",
        type=click.FloatRange(0.0, min_open=True),
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

def output_options(default_format: str) -> Callable[[F], F]:
    """--format, --output: where the report goes (``default_format`` without either)."""
    return _compose(
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default=None,
            help="Report format. Default: from the --output suffix (.html, .json, .md), "
            f"else {default_format}.",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
            default=None,
            help="Report file ('-' for stdout). Default: advval_<command>_report.html for "
            "html, stdout for json and markdown.",
        ),
    )

seed_option = click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed (random_state): same inputs and seed give the same report.",
)

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress output on stderr (the verdict still prints)."
)


def resolve_format(fmt: str | None, output: Path | None, default: str = "html") -> str:
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
