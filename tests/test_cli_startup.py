"""``advval --help`` stays light: the commands are listed without importing them."""

import os
import subprocess
import sys

import click
import pytest

from advval.cli import COMMANDS, SUMMARIES, cli

#: modules a command's work needs and the command list does not (seconds of CPU to import)
HEAVY = ("lightgbm", "sklearn", "scipy", "pandas", "numpy", "torch", "dask", "jinja2")

_LISTING = (
    "import sys\n"
    "from advval.cli import main\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit as exc:\n"
    "    assert exc.code in (0, None), exc.code\n"
    "print('\\x00' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))\n"
)


def _help_in_a_fresh_interpreter() -> tuple[str, list[str]]:
    """The text of ``advval --help`` and the heavy modules it imported, in a new process."""
    result = subprocess.run(
        [sys.executable, "-c", _LISTING.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    text, _, loaded = result.stdout.rpartition("\x00")
    return text, [name for name in loaded.strip().split(",") if name]


def test_help_imports_no_command_and_nothing_heavy():
    text, heavy = _help_in_a_fresh_interpreter()
    assert heavy == []
    assert "Commands:" in text
    for name in COMMANDS:
        assert f"  {name}  " in text


def test_help_lists_what_the_loaded_commands_would_say():
    """The listing from the table is the listing click writes with every command imported."""
    text, _ = _help_in_a_fresh_interpreter()
    ctx = click.Context(cli, info_name="advval", terminal_width=100)
    for name in COMMANDS:
        cli.get_command(ctx, name)
    formatter = ctx.make_formatter()
    click.Group.format_commands(cli, ctx, formatter)
    expected = formatter.getvalue()
    assert expected.startswith("Commands:")
    assert text.rstrip().endswith(expected.rstrip())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_summary_is_the_first_paragraph_of_its_command_help(name):
    ctx = click.Context(cli, info_name="advval")
    command = cli.get_command(ctx, name)
    assert command is not None
    assert command.short_help is None
    first = " ".join((command.help or "").split("\n\n")[0].split())
    assert SUMMARIES[name] == first


def test_the_summary_table_names_every_command_and_no_other():
    assert set(SUMMARIES) == set(COMMANDS)
