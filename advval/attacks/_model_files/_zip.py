"""Reading a model archive (a zip file) once, in memory, the same way for every check.

PyTorch reads its archives with its own zip reader (miniz), the checks here read them with
:mod:`zipfile`. Two readers can disagree about a crafted zip (two members with one name,
data before the archive, a central directory that lies), so a check could pass one reading
while PyTorch loads the other. :func:`rebuilt` closes that gap: the archive PyTorch loads
is written afresh from exactly the bytes the checks read.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: the most members an archive may hold
MAX_MEMBERS = 100_000
#: the most bytes an archive may unpack to (a zip bomb claims far more)
MAX_UNPACKED = 4 * 2**30


@dataclass(frozen=True)
class Archive:
    """The members of a model archive, all under one top folder, read into memory.

    Attributes
    ----------
    path : Path
        The file, for messages.
    root : str
        The top folder every member lives under (PyTorch names it after the file).
    members : dict of str to bytes
        Member name below ``root`` -> its bytes, in the archive's order.
    """

    path: Path
    root: str
    members: dict[str, bytes]


def read_archive(path: Path, data: bytes, *, what: str) -> Archive:
    """The members of the zip archive ``data`` (the bytes of ``path``).

    Parameters
    ----------
    path : Path
        The file, for messages.
    data : bytes
        Its bytes.
    what : str
        The format, for messages (``"TorchScript"``).

    Returns
    -------
    Archive

    Raises
    ------
    ValueError
        Not a zip archive, unreadable, too large, a member name twice, or members outside
        one top folder; the message names the file.

    Examples
    --------
    >>> import io, zipfile
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as z:
    ...     z.writestr("net/data.pkl", b"x")
    >>> archive = read_archive(Path("net.pt"), buffer.getvalue(), what="TorchScript")
    >>> archive.root, list(archive.members)
    ('net', ['data.pkl'])
    """
    fail = _failure(path, what)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise fail(f"it is not a zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise fail(f"it has {len(infos)} members, more than {MAX_MEMBERS}")
        unpacked = sum(info.file_size for info in infos)
        if unpacked > MAX_UNPACKED:
            raise fail(
                f"it unpacks to {unpacked} bytes, more than the {MAX_UNPACKED} advval loads"
            )
        names = Counter(info.filename for info in infos)
        twice = sorted(name for name, count in names.items() if count > 1)
        if twice:
            raise fail(f"the member {twice[0]!r} appears more than once")
        root = _root([info.filename for info in infos if not info.is_dir()], fail)
        members: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            members[info.filename[len(root) + 1 :]] = _read_member(archive, info, fail)
    return Archive(path=path, root=root, members=members)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, fail: Callable[[str], ValueError]
) -> bytes:
    """The member's bytes, never more than the size it declares (a bomb inflates further)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError,
            NotImplementedError, zlib.error) as exc:
        raise fail(f"cannot read its member {info.filename!r} ({exc})") from exc
    if len(data) != info.file_size:
        raise fail(
            f"its member {info.filename!r} unpacks to more or fewer bytes than the "
            f"{info.file_size} it declares"
        )
    return data


def _root(names: list[str], fail: Callable[[str], ValueError]) -> str:
    """The one top folder of the archive's files."""
    if not names:
        raise fail("the archive holds no files")
    roots = {name.split("/", 1)[0] for name in names}
    bad = [name for name in names if "/" not in name or name.startswith("/")]
    if len(roots) != 1 or bad:
        shown = bad[0] if bad else sorted(roots)[1]
        raise fail(
            f"its members are not all in one top folder (e.g. {shown!r}), as PyTorch "
            "writes them"
        )
    return roots.pop()


def _failure(path: Path, what: str) -> Callable[[str], ValueError]:
    def fail(reason: str) -> ValueError:
        return ValueError(f"cannot load the {what} model '{path}': {reason}")

    return fail


def rebuilt(archive: Archive, replace: dict[str, bytes] | None = None) -> bytes:
    """The archive written afresh from the bytes that were checked (stored, uncompressed).

    Parameters
    ----------
    archive : Archive
    replace : dict of str to bytes, optional
        Members whose bytes to replace.

    Returns
    -------
    bytes
        A zip archive with the same member names under the same top folder.

    Examples
    --------
    >>> archive = Archive(Path("m.pt"), "m", {"data.pkl": b"x", "version": b"3"})
    >>> again = read_archive(Path("m.pt"), rebuilt(archive, {"version": b"4"}), what="x")
    >>> again.members
    {'data.pkl': b'x', 'version': b'4'}
    """
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as out:
        for name, data in archive.members.items():
            out.writestr(f"{archive.root}/{name}", replace.get(name, data))
    return buffer.getvalue()
