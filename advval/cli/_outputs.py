"""Every output of a command: planned and checked before the work, written after it.

A command names its outputs up front (the report in one or more formats, per-row exports,
pictures) in an :class:`OutputPlan`. Building the plan refuses, before any work is done,
an output that would overwrite an input file (resolved paths and ``os.path.samefile``, so
symbolic and hard links count), two outputs naming one file, two outputs on stdout and a
folder that does not exist. :meth:`OutputPlan.write` renders every report, writes every
file to a temporary file and renames them into place only when all are complete
(:func:`advval.report._sink.write_files`), then writes stdout.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ._exit import UsageFailure
from ._options import DEFAULT_FORMAT, FORMAT_OPTIONS, resolve_format

#: report kind -> the command that writes it, where the two names differ
COMMANDS = {"robustness": "attack"}


@dataclass(frozen=True)
class Target:
    """One output: where it goes, which option named it, what it is.

    Attributes
    ----------
    option : str
        The option that named it, as typed (``--json``, ``--export-weights``).
    path : Path or None
        The file; ``None`` for stdout.
    what : str
        What is written, for messages (``json report``, ``weights``, ``picture``).
    format : str or None
        The report format, for the report's outputs; ``None`` for other files.
    make_folder : bool
        Create the file's folder (with its parents) if it does not exist.
    """

    option: str
    path: Path | None
    what: str
    format: str | None = None
    make_folder: bool = False

    @property
    def where(self) -> str:
        """``'path'`` or ``stdout``, for messages."""
        return "stdout" if self.path is None else f"'{self.path}'"


def default_output(kind: str) -> Path:
    """Where an HTML report goes without ``--output``: ``advval_<command>_report.html``.

    Examples
    --------
    >>> default_output("deps"), default_output("robustness")
    (PosixPath('advval_deps_report.html'), PosixPath('advval_attack_report.html'))
    """
    return Path(f"advval_{COMMANDS.get(kind, kind)}_report.html")


def report_targets(
    kind: str,
    *,
    fmt: str | None,
    output: Path | None,
    html_path: Path | None = None,
    json_path: Path | None = None,
    markdown_path: Path | None = None,
) -> list[Target]:
    """The report's outputs from ``--format``, ``--output``, ``--html``, ``--json``, ``--markdown``.

    ``--output`` (its format from ``--format``, else its suffix, else html) is written
    unless only ``--html``, ``--json`` or ``--markdown`` are given; without a path it is
    ``advval_<command>_report.html`` for html and stdout for json and markdown. ``-`` is
    stdout.

    Examples
    --------
    >>> [(t.option, t.format, str(t.path)) for t in report_targets(
    ...     "drift", fmt=None, output=Path("r.html"), json_path=Path("-"))]
    [('--output', 'html', 'r.html'), ('--json', 'json', 'None')]
    >>> [(t.option, str(t.path)) for t in report_targets("deps", fmt=None, output=None)]
    [('--output', 'advval_deps_report.html')]
    """
    extra = {"html": html_path, "json": json_path, "markdown": markdown_path}
    targets = []
    if output is not None or fmt is not None or all(p is None for p in extra.values()):
        chosen = resolve_format(fmt, output)
        path = output
        if path is None and chosen == DEFAULT_FORMAT == "html":
            path = default_output(kind)
        targets.append(_report_target("--output", chosen, path))
    for name, path in extra.items():
        if path is not None:
            targets.append(_report_target(FORMAT_OPTIONS[name], name, path))
    return targets


def _report_target(option: str, fmt: str, path: Path | None) -> Target:
    return Target(option, None if path is None or str(path) == "-" else path, f"{fmt} report", fmt)


class OutputPlan:
    """The outputs of one run, checked against each other and the inputs when made.

    Parameters
    ----------
    targets : sequence of Target
        Every output the run may write.
    inputs : mapping of str to Path or None
        The input files by role (``TRAIN``, ``MODEL``, ``--compare``): a file, a directory
        or a glob pattern of files; ``None`` entries are skipped.

    Raises
    ------
    UsageFailure
        Two outputs on stdout, two outputs naming one file, an output naming an input
        file, or an output whose folder does not exist or cannot be written; each message
        names the options and paths.
    """

    def __init__(self, targets: Sequence[Target], inputs: Mapping[str, Path | None]) -> None:
        self.targets = list(targets)
        #: the input files by role, as given (the CI job summary is checked against them)
        self.inputs = dict(inputs)
        _check_stdout(self.targets)
        files = [t for t in self.targets if t.path is not None]
        for target in files:
            _check_folder(target)
        for i, first in enumerate(files):
            for second in files[i + 1:]:
                if _same_file(first.path, second.path):
                    raise UsageFailure(
                        f"{second.option} and {first.option} name the same file "
                        f"{second.where}; give each output its own file"
                    )
        for role, given in inputs.items():
            if given is None:
                continue
            for source in _input_files(given):
                for target in files:
                    if _same_file(target.path, source):
                        raise UsageFailure(
                            f"{target.option} {target.where} is the {role} file "
                            f"'{source}': an output never replaces an input; choose "
                            "another path"
                        )

    def target(self, option: str, path: Path | None = None) -> Target:
        """The planned output named by ``option`` (and ``path``, for a folder's files)."""
        for target in self.targets:
            if target.option == option and (path is None or target.path == path):
                return target
        raise KeyError(option)

    def write(self, report: Any, files: Mapping[Target, bytes] | None = None) -> list[Target]:
        """Render ``report`` for every report output and write it with ``files``, all or none.

        Parameters
        ----------
        report : a report dataclass
            Rendered in each planned report format.
        files : mapping of Target to bytes, optional
            The other planned outputs this run produced (an export, a picture); planned
            outputs left out are not written.

        Returns
        -------
        list of Target
            What was written, in the order written (files, then stdout), for the
            command's messages.

        Raises
        ------
        UsageFailure
            A file that cannot be written (full disk, no permission), naming it and its
            option; no file of the run has been replaced then.
        """
        from advval.report._sink import render_report, write_files

        contents: dict[Target, bytes] = {}
        for target in self.targets:
            if target.format is not None:
                contents[target] = render_report(report, target.format).encode("utf-8")
            elif files is not None and target in files:
                contents[target] = files[target]
        on_disk = {t: data for t, data in contents.items() if t.path is not None}
        created = self._make_folders(list(on_disk))
        try:
            write_files({t.path: data for t, data in on_disk.items() if t.path is not None})
        except OSError as exc:
            failed = next((t for t in on_disk if str(t.path) == exc.filename), None)
            name = f"the {failed.what} ({failed.option}) to {failed.where}" if failed else (
                f"'{exc.filename}'")
            raise UsageFailure(
                f"cannot write {name}: {exc.strerror or exc}; no output of this run was "
                "written"
            ) from exc
        finally:
            for folder in reversed(created):
                _remove_empty(folder)
        on_stdout = [t for t in contents if t.path is None]
        for target in on_stdout:
            _write_stdout(contents[target], target)
        return [*on_disk, *on_stdout]

    @staticmethod
    def _make_folders(targets: Sequence[Target]) -> list[Path]:
        """Create the folders of ``make_folder`` outputs; those created, outermost first."""
        created: list[Path] = []
        for target in targets:
            if not target.make_folder or target.path is None:
                continue
            missing = [p for p in (target.path.parent, *target.path.parent.parents)
                       if not p.exists()]
            for folder in reversed(missing):
                try:
                    folder.mkdir()
                except OSError as exc:
                    for made in reversed(created):
                        _remove_empty(made)
                    raise UsageFailure(
                        f"cannot create the folder '{folder}' for {target.option}: "
                        f"{exc.strerror or exc}"
                    ) from exc
                created.append(folder)
        return created


def report_messages(written: Sequence[Target]) -> None:
    """``advval: <what> written to <where>`` on stderr for each output written."""
    for target in written:
        where = "stdout" if target.path is None else str(target.path)
        click.echo(f"advval: {target.what} written to {where}", err=True)


# --------------------------------------------------------------------------- checks


def _check_stdout(targets: Sequence[Target]) -> None:
    on_stdout = [t.option for t in targets if t.path is None]
    if len(on_stdout) > 1:
        raise UsageFailure(
            f"{', '.join(on_stdout[:-1])} and {on_stdout[-1]} all write to stdout; only one "
            "output can, give the others a file"
        )


def _check_folder(target: Target) -> None:
    assert target.path is not None
    path = target.path
    if path.is_dir():
        raise UsageFailure(f"{target.option} {target.where} is a folder; give a file name")
    folder = path.parent
    if target.make_folder:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise UsageFailure(f"{target.option} {target.where}: the folder '{folder}' {problem}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageFailure(
            f"{target.option} {target.where}: the folder '{folder}' cannot be written to"
        )


def _is_regular_or_absent(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _same_file(first: Path | None, second: Path | None) -> bool:
    """Whether two paths name one file: the same resolved path, or links to one file.

    Devices and pipes (``/dev/null``, ``/dev/stdout``) are never "the same file": writing
    two outputs to ``/dev/null`` is fine, and two terminals' paths can resolve alike.
    """
    if first is None or second is None:
        return False
    if not (_is_regular_or_absent(first) and _is_regular_or_absent(second)):
        return False
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist: only the resolved paths could agree
        return False


def _input_files(given: Path) -> list[Path]:
    """The files an input names: itself, or the data files a folder or pattern holds."""
    from advval.distributed._io import is_pattern, list_files

    if given.is_dir() or (is_pattern(given) and not given.exists()):
        try:
            return [Path(p) for p in list_files(given)]
        except (OSError, ValueError):  # nothing matches: reading it reports that
            return []
    return [given]


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty (the run wrote into it), or gone
        folder.rmdir()


def _write_stdout(data: bytes, target: Target) -> None:
    """Write ``data`` to stdout; a reader that went away (``| head``) is not an error."""
    stream = sys.stdout
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            stream.write(data.decode("utf-8"))
            stream.flush()
    except BrokenPipeError:
        _silence_stdout()
        click.echo(
            f"advval: stdout was closed before the whole {target.what} was read", err=True
        )
    except OSError as exc:
        raise UsageFailure(
            f"cannot write the {target.what} ({target.option}) to stdout: "
            f"{exc.strerror or exc}"
        ) from exc


def _silence_stdout() -> None:
    """Point stdout at the null device, so flushing it at exit cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner's)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
