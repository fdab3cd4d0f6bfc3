"""Writing rendered reports: to a text file object, or atomically to one or more paths.

A path is never written in place: the bytes go to a temporary file in the same folder,
which replaces the destination only once it is complete (``os.replace``). A kill, Ctrl-C
or a full disk leaves the previous file as it was, and a failed write leaves no temporary
file behind. :func:`write_files` does this for several files at once, all or nothing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
from collections.abc import Mapping
from typing import Any

from ..results import DependencyReport, DriftReport, ImageRobustnessReport, RobustnessReport
from ._renderers import FORMATS, renderers_for


def _is_image_report(report: Any) -> bool:
    """Whether ``report`` is an ImageRobustnessReport (kept for older callers)."""
    return isinstance(report, ImageRobustnessReport)


def render_report(
    report: DriftReport | DependencyReport | RobustnessReport, format: str
) -> str:
    """The text of ``report`` in ``format``, ending with a newline.

    The renderer is the one registered for the report's type
    (:mod:`advval.report._renderers`).

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport, ImageRobustnessReport or ReportDiff
        The result to render.
    format : {"html", "json", "markdown"}
        Output format.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``format`` is not one of the three.
    TypeError
        If no renderer is registered for the type of ``report``.

    Examples
    --------
    >>> render_report(None, "xml")
    Traceback (most recent call last):
    ValueError: The 'format' parameter of render_report must be one of [...]. Got 'xml' instead.
    """
    _check_format(format, "render_report")
    return _render(report, format, "render_report")


def _check_format(format: str, owner: str) -> None:
    if format not in FORMATS:
        raise ValueError(
            f"The 'format' parameter of {owner} must be one of {sorted(FORMATS)}. "
            f"Got {format!r} instead."
        )


def _render(report: Any, format: str, owner: str) -> str:
    text = renderers_for(report, owner).format(format)(report)
    return text if text.endswith("\n") else text + "\n"


def write_report(
    report: DriftReport | DependencyReport | RobustnessReport, sink: Any, *, format: str
) -> None:
    """Render ``report`` in ``format`` and write it to ``sink``.

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport, ImageRobustnessReport or ReportDiff
        The result to write (rendered by the renderers registered for its type).
    sink : str, os.PathLike or text file object
        A path (written as UTF-8 with ``\\n`` line endings, atomically: see
        :func:`write_files`) or an object with a ``write(str)`` method, such as
        ``sys.stdout`` or :class:`io.StringIO` (written to, not closed).
    format : {"html", "json", "markdown"}
        Output format. The text always ends with a newline.

    Raises
    ------
    ValueError
        If ``format`` is not one of the three.
    TypeError
        If ``sink`` is neither a path nor a text file object, or no renderer is
        registered for the type of ``report``.
    OSError
        If the file cannot be written; the previous file, if any, is left as it was.

    See Also
    --------
    render_json, render_markdown, render_html, render_dependency_html, render_robustness_html
    """
    _check_format(format, "write_report")
    if isinstance(sink, (io.RawIOBase, io.BufferedIOBase)):
        raise TypeError(
            "write_report needs a path or a text file object for 'sink'; got a binary file "
            f"({type(sink).__name__}). Open the file in text mode ('w') instead."
        )
    is_path = isinstance(sink, (str, os.PathLike))
    if not is_path and not callable(getattr(sink, "write", None)):
        raise TypeError(
            "write_report needs a path (str or os.PathLike) or a text file object with a "
            f"write() method for 'sink'; got {type(sink).__name__}."
        )
    text = _render(report, format, "write_report")
    if is_path:
        write_files({sink: text.encode("utf-8")})
    else:
        sink.write(text)


# --------------------------------------------------------------------------- atomic files

#: bytes handed to the operating system per write call
CHUNK_BYTES = 1 << 20
#: the marker in every temporary file's name (``.<name>.<random>.advval-tmp``)
TEMP_SUFFIX = ".advval-tmp"


def write_files(files: Mapping[str | os.PathLike[str], bytes]) -> None:
    """Write every file of ``files``, or none of them.

    Each file's bytes go to a new temporary file next to its destination (next to the
    file a symbolic link points at, so the link stays a link), synced to disk. Only when
    every temporary file is complete do they replace their destinations, one
    ``os.replace`` each. A destination that exists and is not a regular file (``/dev/null``,
    a named pipe) is written directly, at that last step.

    If anything fails or is interrupted (``KeyboardInterrupt`` included) before the last
    step, no destination has changed and no temporary file is left. If a replacement
    fails during the last step, the destinations already replaced get their previous
    content back (kept as hard links while the step runs) or, if they did not exist, are
    removed. A process killed outright (``SIGKILL``) can leave a temporary file, never a
    truncated destination.

    Parameters
    ----------
    files : mapping of path to bytes
        Destination -> content, written in this order.

    Raises
    ------
    OSError
        The first failure, with ``filename`` set to the destination as given (not to the
        temporary file). ``IsADirectoryError`` for a destination that is a folder.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_files({folder / "a.json": b"{}\\n", folder / "b.md": b"# b\\n"})
    >>> sorted(p.name for p in folder.iterdir())
    ['a.json', 'b.md']
    """
    entries = [(os.fspath(path), data) for path, data in files.items()]
    staged: list[tuple[str, str, str | None, bytes]] = []  # given, real, temporary, content
    try:
        for given, data in entries:
            kind = _kind(given)
            if kind == "folder":
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), given)
            if kind == "special":  # written in place at commit time
                staged.append((given, given, None, data))
                continue
            real = os.path.realpath(given)
            try:
                staged.append((given, real, _stage(real, data), data))
            except OSError as exc:
                raise _naming(exc, given) from exc
        _commit(staged)
    finally:
        for _, _, temporary, _ in staged:
            if temporary is not None:
                _remove(temporary)  # already renamed on success: nothing to do


def _kind(path: str) -> str:
    """``"file"`` (a regular file or nothing yet), ``"folder"`` or ``"special"``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # does not exist (yet), or a dangling link: written as a new file
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "special"


def _temporary_name(real: str) -> str:
    folder, name = os.path.split(real)
    return os.path.join(folder, f".{name[:180]}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _write_chunk(fd: int, chunk: memoryview) -> int:
    """One ``os.write`` (a seam for tests that slow a write down or fill the disk)."""
    return os.write(fd, chunk)


def _stage(real: str, data: bytes) -> str:
    """``data`` in a new, synced temporary file next to ``real``; its name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = _temporary_name(real)
        try:
            fd = os.open(temporary, flags | getattr(os, "O_BINARY", 0), 0o666)  # umask applies
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        with contextlib.suppress(FileNotFoundError):  # keep the mode it had
            os.chmod(temporary, stat.S_IMODE(os.stat(real).st_mode))
        view = memoryview(data)
        while view:
            written = _write_chunk(fd, view[:CHUNK_BYTES])
            if written <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _remove(temporary)
        raise
    os.close(fd)
    return temporary


def _commit(staged: list[tuple[str, str, str | None, bytes]]) -> None:
    """Replace every destination by its temporary file; undo them all if one fails."""
    existed = {real: os.path.lexists(real) for _, real, temporary, _ in staged if temporary}
    backups: dict[str, str] = {}
    if len(staged) > 1:
        for _, real, temporary, _ in staged:
            if temporary is not None and existed[real]:
                backup = _temporary_name(real)
                try:
                    os.link(real, backup)
                    backups[real] = backup
                except OSError:  # no hard links here: that file cannot be restored
                    pass
    replaced: list[str] = []
    try:
        for given, real, temporary, data in staged:
            try:
                if temporary is None:
                    with open(real, "wb") as handle:
                        handle.write(data)
                else:
                    os.replace(temporary, real)
                    replaced.append(real)
            except OSError as exc:
                raise _naming(exc, given) from exc
        for folder in dict.fromkeys(os.path.dirname(real) for real in replaced):
            _sync_folder(folder)
    except BaseException:
        for real in reversed(replaced):
            try:
                if real in backups:
                    os.replace(backups.pop(real), real)
                elif not existed[real]:
                    os.remove(real)
            except OSError:  # pragma: no cover - best effort while failing already
                pass
        raise
    finally:
        for backup in backups.values():
            _remove(backup)


def _naming(exc: OSError, path: str) -> OSError:
    """``exc`` as the same kind of error, naming the destination instead of a temporary."""
    return type(exc)(exc.errno, exc.strerror or str(exc), path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # gone (renamed), or nothing more can be done
        os.remove(path)


def _sync_folder(folder: str) -> None:
    """Make the renames durable (POSIX); folders cannot be opened for syncing on Windows."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse to sync a folder
        pass
    finally:
        os.close(fd)
