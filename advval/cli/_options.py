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


def input_file(name: str) -> Callable[[F], F]:
    """An optional positional CSV / Parquet file argument that must exist."""
    return click.argument(
        name,
        required=False,
        type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
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
