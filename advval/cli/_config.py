"""Config files: the options a CI job repeats, as defaults that command-line flags override.

A ``[tool.advval.<command>]`` table in ``pyproject.toml``, or a ``[<command>]`` table in
``advval.toml`` (``[tool.advval.image.evaluate]`` / ``[image.evaluate]`` for ``advval image
evaluate``). Keys are the command's long option names without the dashes, values TOML
values of the option's type::

    [tool.advval.drift]
    fail-on-drift = true
    min-effect = 0.02
    ignore = ["id"]

The file is ``advval --config FILE`` when given (a file named ``pyproject.toml`` is read
from its ``[tool.advval]`` table, any other from its top level), else the first found
looking in the current directory and then its parents up to the repository root (the
nearest folder holding ``.git``; outside a repository, the current directory only), in
each folder ``advval.toml`` before a ``pyproject.toml`` that has a ``[tool.advval]``
table. The values become click's ``default_map``: a flag given on the command line wins.
Relative paths in the file are read from the current directory, like the command line's.
``advval --no-config`` reads no file (a flag set to true in a file has no command-line
switch to turn it off).

An unknown table or key, or a value of the wrong type, is a usage error (exit status 2)
naming the key, the table and the file. Each command checks its own table when it runs.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from ._exit import UsageFailure

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: the config file of its own, and the project file whose [tool.advval] table counts
CONFIG_NAME = "advval.toml"
PYPROJECT_NAME = "pyproject.toml"
F = TypeVar("F", bound=Callable[..., Any])

#: where the group keeps the config of a run (click's ctx.meta)
META_KEY = "advval.config"


@dataclass(frozen=True)
class ConfigFile:
    """A config file's advval tables.

    Attributes
    ----------
    path : Path
    tables : dict
        Command name -> its table (``image`` -> ``{"evaluate": {...}}``).
    prefix : str
        How its tables are named: ``tool.advval.`` in ``pyproject.toml``, else ``""``.
    """

    path: Path
    tables: dict[str, Any]
    prefix: str

    def label(self, *names: str) -> str:
        """``[tool.advval.drift]``: a table's name as the file spells it."""
        return f"[{self.prefix}{'.'.join(names)}]"


def read_config(path: Path) -> ConfigFile:
    """Read a config file: its ``[tool.advval]`` table (``pyproject.toml``) or all of it.

    Raises
    ------
    UsageFailure
        A file that cannot be read or is not valid TOML, naming it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "pyproject.toml").write_text('[tool.advval.drift]\\nseed = 3\\n')
    >>> read_config(folder / "pyproject.toml").tables
    {'drift': {'seed': 3}}
    """
    document = _parse(path)
    if path.name == PYPROJECT_NAME:
        tool = document.get("tool", {})
        tables = tool.get("advval", {}) if isinstance(tool, dict) else {}
        if not isinstance(tables, dict):
            raise UsageFailure(f"config file '{path}': tool.advval must be a table")
        return ConfigFile(path, tables, "tool.advval.")
    return ConfigFile(path, document, "")


def _parse(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as exc:
        raise UsageFailure(f"cannot read config file '{path}': {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageFailure(f"config file '{path}' is not valid TOML: {exc}") from exc


def find_config(start: Path) -> ConfigFile | None:
    """The config file that applies in ``start``, or ``None``.

    ``start`` and its parents up to the repository root (the nearest folder holding
    ``.git``; without one, ``start`` only); in each, ``advval.toml``, then a
    ``pyproject.toml`` with a ``[tool.advval]`` table.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> find_config(folder) is None
    True
    >>> _ = (folder / "advval.toml").write_text("[deps]\\nseed = 1\\n")
    >>> find_config(folder).tables
    {'deps': {'seed': 1}}
    """
    folders = [start, *start.parents]
    root = next((i for i, folder in enumerate(folders) if (folder / ".git").exists()), 0)
    for folder in folders[: root + 1]:
        if (folder / CONFIG_NAME).is_file():
            return read_config(folder / CONFIG_NAME)
        if (folder / PYPROJECT_NAME).is_file():
            config = read_config(folder / PYPROJECT_NAME)
            if config.tables:
                return config
    return None


def default_map(config: ConfigFile, group: click.Group, ctx: click.Context,
                command: str | None) -> dict[str, Any]:
    """click's ``default_map`` from ``config``, the table of ``command`` checked.

    Raises
    ------
    UsageFailure
        A table that names no command, or (in ``command``'s table) an unknown key or a
        value of the wrong type, naming the key, the table and the file.
    """
    for name, table in config.tables.items():
        if name not in group.list_commands(ctx):
            raise UsageFailure(
                f"config file '{config.path}': {config.label(name)} names no command of "
                f"advval{_suggestion(name, group.list_commands(ctx))}; the commands are "
                f"{', '.join(group.list_commands(ctx))}"
            )
        if not isinstance(table, dict):
            raise UsageFailure(
                f"config file '{config.path}': {config.label(name)} must be a table of "
                f"options, not {_toml_type(table)}"
            )
    if command is None or command not in config.tables:
        return {}
    found = group.get_command(ctx, command)
    assert found is not None
    return {command: _defaults(config, found, ctx, config.tables[command], (command,))}


def _defaults(config: ConfigFile, command: click.Command, ctx: click.Context,
              table: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """One command's table as its ``default_map`` (a group's: its commands' tables)."""
    if isinstance(command, click.Group):
        out = {}
        for name, value in table.items():
            sub = command.get_command(ctx, name)
            if sub is None or not isinstance(value, dict):
                raise UsageFailure(
                    f"config file '{config.path}': {config.label(*names, name)} names no "
                    f"command of advval {' '.join(names)}; the commands are "
                    f"{', '.join(command.list_commands(ctx))}"
                )
            out[name] = _defaults(config, sub, ctx, value, (*names, name))
        return out
    options: dict[str, tuple[click.Option, bool]] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            options.update({o[2:]: (param, False) for o in param.opts if o.startswith("--")})
            options.update(
                {o[2:]: (param, True) for o in param.secondary_opts if o.startswith("--")}
            )
    out = {}
    for key, value in table.items():
        where = f"config file '{config.path}', {config.label(*names)}"
        option = options.get(key.replace("_", "-"))
        if option is None:
            raise UsageFailure(
                f"{where}: unknown key '{key}': advval {' '.join(names)} has no option "
                f"--{key.replace('_', '-')}{_suggestion(key, list(options))}"
            )
        param, inverted = option
        assert param.name is not None
        out[param.name] = _value(param, value, inverted, ctx, f"{where}: key '{key}'")
    return out


def _value(param: click.Option, value: Any, inverted: bool, ctx: click.Context,
           where: str) -> Any:
    """``value`` checked against the option's type, as click reads it when it runs.

    Numbers are given to click as the text they are written as, like the command line's:
    ``seed = 1.5`` is then refused as not a whole number instead of rounded.
    """
    if param.is_flag and not param.multiple:
        if not isinstance(value, bool):
            raise UsageFailure(f"{where} is a flag: give true or false, not {_toml_type(value)}")
        return not value if inverted else value
    if param.nargs != 1:  # --bounds LOW HIGH: a list of that many values
        if not isinstance(value, list) or len(value) != param.nargs:
            raise UsageFailure(f"{where} takes a list of {param.nargs} values, not "
                               f"{_toml_type(value)}")
        for item in value:
            _check_scalar(param, item, ctx, where, convert=False)
        items = [str(item) for item in value]
        _convert(param, items, ctx, where)
        return items
    if param.multiple:
        items = value if isinstance(value, list) else [value]
        for item in items:
            _check_scalar(param, item, ctx, where)
        return [str(item) for item in items]
    from ._options import FiniteFloatList

    if isinstance(param.type, FiniteFloatList) and isinstance(value, list):
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise UsageFailure(f"{where}: expected an array of numbers")
        value = ",".join(str(v) for v in value)
    _check_scalar(param, value, ctx, where)
    return str(value)


def _check_scalar(param: click.Option, value: Any, ctx: click.Context, where: str,
                  convert: bool = True) -> None:
    """A string or number the option's type converts; ``convert=False``: the kind only."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UsageFailure(f"{where}: expected {_expected(param)}, not {_toml_type(value)}")
    if convert:
        _convert(param, str(value), ctx, where)


def _convert(param: click.Option, value: Any, ctx: click.Context, where: str) -> None:
    try:
        param.type.convert(value, param, ctx)
    except click.BadParameter as exc:
        raise UsageFailure(f"{where}: {exc.message}") from exc
    except (TypeError, ValueError) as exc:  # a type that takes strings only
        raise UsageFailure(f"{where}: expected {_expected(param)}, not "
                           f"{_toml_type(value)}") from exc


def _expected(param: click.Option) -> str:
    name = param.type.name
    if isinstance(param.type, click.Choice):
        return "one of " + ", ".join(map(str, param.type.choices))
    return {"text": "a string", "integer": "a whole number", "float": "a number",
            "path": "a path (a string)", "file": "a path (a string)"}.get(name, f"a {name}")


def _toml_type(value: Any) -> str:
    """What a TOML value is, for messages.

    Examples
    --------
    >>> _toml_type(True), _toml_type([1]), _toml_type({"a": 1}), _toml_type("x")
    ('a boolean (true)', 'an array', 'a table', "a string ('x')")
    """
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    return f"a {type(value).__name__} ({value})"


def _suggestion(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name.replace("_", "-"), choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: ctx.meta key set by --no-config
NO_CONFIG_KEY = "advval.no_config"


def _no_config(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[NO_CONFIG_KEY] = True


def config_option(group: F) -> F:
    """The group's ``--config FILE`` and ``--no-config`` (its callback loads the file)."""
    group = click.option(
        "--no-config",
        is_flag=True,
        expose_value=False,
        callback=_no_config,
        help="Read no config file (the command line's defaults; not with --config).",
    )(group)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
        default=None,
        metavar="FILE",
        help=f"Config file of option defaults: [<command>] tables of a TOML file, or the "
        f"[tool.advval.<command>] tables of a {PYPROJECT_NAME}. Default: {CONFIG_NAME} or "
        f"a {PYPROJECT_NAME} with [tool.advval] in the current directory or a parent up to "
        "the repository root. Flags on the command line override it.",
    )(group)


def load_defaults(ctx: click.Context, config_path: Path | None) -> None:
    """Find or read the config file and set ``ctx.default_map`` for the invoked command."""
    if ctx.meta.get(NO_CONFIG_KEY):
        if config_path is not None:
            raise click.UsageError("give --config FILE or --no-config, not both", ctx)
        return
    config = read_config(config_path) if config_path is not None else find_config(
        Path.cwd())
    if config is None:
        return
    assert isinstance(ctx.command, click.Group)
    command = ctx.invoked_subcommand
    ctx.default_map = default_map(config, ctx.command, ctx, command)
    ctx.meta[META_KEY] = config


def announce_config(quiet: bool) -> None:
    """``advval: options from [tool.advval.drift] in config file 'pyproject.toml'``.

    Printed by every command that writes a report, unless ``quiet``; a config file with
    no table for the command says so.
    """
    ctx = click.get_current_context(silent=True)
    config = None if ctx is None else ctx.meta.get(META_KEY)
    if ctx is None or config is None or quiet:
        return
    names = ctx.command_path.split()[1:]
    if ctx.default_map:
        click.echo(f"advval: options from {config.label(*names)} in config file "
                   f"'{config.path}'", err=True)
    else:
        click.echo(f"advval: config file '{config.path}' has no {config.label(*names)} "
                   "table; no option taken from it", err=True)
