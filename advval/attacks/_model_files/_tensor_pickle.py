"""Whether a ``torch.save`` archive holds only tensors in plain containers, read without
unpickling it.

``torch.save`` writes a zip archive whose ``data.pkl`` is a pickle (protocol 2) that rebuilds
each tensor with ``torch._utils._rebuild_tensor_v2`` from a storage (``torch.FloatStorage``
and its kin, loaded by ``persistent_load``) and containers with tuple, list and dict opcodes
(and ``collections.OrderedDict`` for the backward hooks). :func:`tensor_pickle_problem` walks
the pickle's opcodes with :func:`pickletools.genops`, which only parses them, and accepts
nothing else: any other global (``builtins.eval``, ``os.system``...), any opcode that builds
an object by other means, or a pickle it cannot parse is reported.
"""

from __future__ import annotations

import pickletools
import re
from pathlib import Path

from ._zip import read_archive

#: the globals a pickle of tensors, tuples, lists and dicts names
TENSOR_GLOBALS = frozenset({
    "torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter",
    "collections OrderedDict",
})
#: opcodes that push plain values, build containers or use the memo
PLAIN_OPCODES = frozenset({
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1",
    "FLOAT", "BINFLOAT", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "EMPTY_LIST", "APPEND", "APPENDS",
    "LIST", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
    "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
    # calls and storages: safe because every callable comes from an allowed GLOBAL
    "GLOBAL", "REDUCE", "BINPERSID",
})
#: members of a torch.save archive besides data.pkl
_ARCHIVE_MEMBERS = re.compile(
    r"data/[0-9]+|byteorder|version|\.format_version|\.storage_alignment|"
    r"\.data/serialization_id|\.data/version"
)
_STORAGE = re.compile(r"torch [A-Z][A-Za-z0-9]*Storage")


def tensor_pickle_problem(data: bytes) -> str | None:
    """What in the ``torch.save`` archive ``data`` is more than tensors, or None.

    Examples
    --------
    >>> import io, torch
    >>> buffer = io.BytesIO()
    >>> torch.save(((torch.ones(2),), {"scale": torch.zeros(1)}), buffer)
    >>> tensor_pickle_problem(buffer.getvalue()) is None
    True
    >>> buffer = io.BytesIO()
    >>> torch.save(print, buffer)
    >>> tensor_pickle_problem(buffer.getvalue())
    "names the global '__builtin__ print'"
    """
    try:
        archive = read_archive(Path("inputs"), data, what="torch.save")
    except ValueError:
        return "is not a torch.save archive"
    if "data.pkl" not in archive.members:
        return "is not a torch.save archive (no data.pkl)"
    other = next((n for n in archive.members if n != "data.pkl"
                  and not _ARCHIVE_MEMBERS.fullmatch(n)), None)
    if other is not None:
        return f"has the member {other!r}, which torch.save does not write"
    try:
        for opcode, argument, _ in pickletools.genops(archive.members["data.pkl"]):
            if opcode.name not in PLAIN_OPCODES:
                return f"uses the pickle opcode {opcode.name}"
            if opcode.name == "GLOBAL" and not (
                argument in TENSOR_GLOBALS or _STORAGE.fullmatch(str(argument))
            ):
                return f"names the global {argument!r}"
    except (ValueError, EOFError) as exc:
        return f"is not a readable pickle ({exc})"
    return None
