"""The members of a torch.export archive (``.pt2``) that load without running its code.

What ``torch.export.save`` writes and ``torch.export.load`` reads (PyTorch 2.13,
``torch/export/pt2_archive/_package.py`` and ``constants.py``), below the archive's top folder:

=========================================  ==========================================
member                                     how ``torch.export.load`` reads it
=========================================  ==========================================
``archive_format``, ``archive_version``,   plain text / bookkeeping of the zip writer
``byteorder``, ``.data/version``,
``.data/serialization_id``
``models/<name>.json``                     the program as JSON (checked by
                                           :mod:`._export_program`)
``data/weights/<name>_weights_config.json``  JSON: for each weight, its member, and
``data/constants/<name>_constants_config.json``  ``use_pickle``
``data/weights/weight_<i>``,               raw tensor bytes when ``use_pickle`` is false;
``data/constants/tensor_<i>``              ``torch.load(weights_only=False)``, a full
                                           unpickling, when it is true
``data/constants/custom_obj_<i>``          a TorchBind object rebuilt by its C++ class
``data/constants/opaque_obj_<i>``          ``pickle.loads``
``data/sample_inputs/<name>.pt``           the example inputs: ``torch.load`` with
                                           ``weights_only=True`` and, if that fails, again
                                           with ``weights_only=False``
``data/weights/<name>.pt``,                legacy state dict / constants: unpickled the
``data/constants/<name>.pt``               same way
``data/aotinductor/...``                   compiled native code, loaded into the process
``extra/<file>``                           read as UTF-8 text
=========================================  ==========================================

Without trust, :func:`check_export_archive` accepts an archive only if every member is in
the first rows of this table (bookkeeping, program JSON, configs, raw tensors, extra text)
or is the example inputs, and no config entry sets ``use_pickle`` or names a custom or opaque
object; anything else is refused, naming the member. The example inputs are a pickle in
every archive; they are accepted when their opcodes (parsed, not run:
:mod:`._tensor_pickle`) rebuild only tensors in plain containers, and even then never read:
the archive that is loaded is a copy in which that member is empty (torch then leaves
``example_inputs`` unset; the module does not use them). A raw tensor that is empty must
have no elements, because torch allocates zeros of the declared shape for it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from ._export_program import check_program
from ._refusal import pickle_refusal, refusal
from ._tensor_pickle import tensor_pickle_problem
from ._zip import Archive, rebuilt

BOOKKEEPING = frozenset({
    "archive_format", "archive_version", "byteorder", ".data/version",
    ".data/serialization_id", ".format_version", ".storage_alignment",
})
_MODEL = re.compile(r"models/([A-Za-z0-9_]+)\.json")
_PAYLOAD = re.compile(r"data/(weights|constants)/([^/]+)")
_CONFIG = re.compile(r"data/(weights|constants)/([A-Za-z0-9_]+)_\1_config\.json")
_LEGACY = re.compile(r"data/(weights|constants)/[A-Za-z0-9_]+\.pt")
_SAMPLE_INPUTS = re.compile(r"data/sample_inputs/([A-Za-z0-9_]+)\.pt")


def check_export_archive(archive: Archive) -> bytes:
    """The bytes of an untrusted torch.export archive that are safe to load.

    Parameters
    ----------
    archive : Archive
        The archive, read with :func:`._zip.read_archive`.

    Returns
    -------
    bytes
        The archive rebuilt from the checked members, its example inputs emptied.

    Raises
    ------
    ValueError
        A member that loading would unpickle or run (naming the file and the member and
        saying that trust loads it), or an archive that is not a torch.export program.

    Examples
    --------
    >>> from pathlib import Path
    >>> archive = Archive(Path("m.pt2"), "m", {"archive_version": b"0",
    ...                   "models/model.json": b"{}", "data/weights/model.pt": b"..."})
    >>> check_export_archive(archive)
    Traceback (most recent call last):
    ...
    ValueError: refusing to load 'm.pt2': its member 'data/weights/model.pt' is a pickle ...
    """
    path, members = archive.path, archive.members

    def fail(reason: str) -> ValueError:
        return ValueError(f"cannot load the torch.export model '{path}': {reason}")

    if "archive_version" not in members or not any(map(_MODEL.fullmatch, members)):
        raise fail("it is not a torch.export archive (no archive_version or models/*.json)")
    payloads: dict[str, bool] = {}
    for name, data in members.items():
        if _CONFIG.fullmatch(name):
            payloads.update(_check_config(archive, name, _decode(data, name, fail), fail))
        elif _MODEL.fullmatch(name):
            check_program(_decode(data, name, fail), functools.partial(refusal, path, name))
    blank = {}
    for name, data in members.items():
        if name in BOOKKEEPING or _CONFIG.fullmatch(name) or _MODEL.fullmatch(name):
            continue
        if _SAMPLE_INPUTS.fullmatch(name):
            problem = tensor_pickle_problem(data) if data else None
            if problem is not None:
                raise pickle_refusal(path, name, f"the example inputs; it {problem}")
            blank[name] = b""
        elif name.startswith("extra/"):
            _text(data, name, fail)
        elif _LEGACY.fullmatch(name):
            raise pickle_refusal(path, name, "a legacy state dict or constants file")
        elif name.startswith("data/aotinductor/"):
            raise refusal(path, name, "is native code compiled by AOTInductor, which loading "
                          "runs in this process")
        elif _PAYLOAD.fullmatch(name) and name in payloads:
            continue
        else:
            raise refusal(path, name, "is not part of a torch.export program advval can check")
    return rebuilt(archive, blank)


def _decode(data: bytes, name: str, fail: Callable[[str], ValueError]) -> Any:
    try:
        return json.loads(_text(data, name, fail))
    except (ValueError, RecursionError) as exc:
        raise fail(f"its member '{name}' is not valid JSON") from exc


def _text(data: bytes, name: str, fail: Callable[[str], ValueError]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"its member '{name}' is not UTF-8 text") from exc


def _check_config(
    archive: Archive, name: str, config: Any, fail: Callable[[str], ValueError]
) -> dict[str, bool]:
    """The raw payload members a weights / constants config names (member -> True)."""
    folder = name.split("/")[1]
    entries = config.get("config") if isinstance(config, dict) else None
    if not isinstance(entries, dict):
        raise fail(f"its member '{name}' is not a torch.export payload config")
    payloads: dict[str, bool] = {}
    for fqn, meta in entries.items():
        path_name = meta.get("path_name") if isinstance(meta, dict) else None
        if not isinstance(path_name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", path_name):
            raise fail(f"its member '{name}' has an entry {str(fqn)[:60]!r} without a plain "
                       "path_name")
        member = f"data/{folder}/{path_name}"
        what = f"the {'weight' if folder == 'weights' else 'constant'} {str(fqn)[:60]!r}"
        if folder == "constants" and path_name.startswith("custom_obj_"):
            raise refusal(
                archive.path, member, f"holds {what}, a TorchBind object rebuilt by native "
                "code advval cannot check",
            )
        if meta.get("use_pickle") is not False or not (
            folder == "weights" or path_name.startswith("tensor_")
        ):
            raise pickle_refusal(archive.path, member, f"{what}, use_pickle in '{name}'")
        if member not in archive.members:
            raise fail(f"'{name}' names the member '{member}', which is missing")
        if not archive.members[member] and _elements(meta) != 0:
            raise fail(
                f"the member '{member}' is empty but '{name}' gives it a shape with elements"
            )
        payloads[member] = True
    return payloads


def _elements(meta: dict[str, Any]) -> int | None:
    """The number of elements of the declared shape, or None if it is not plain integers."""
    tensor_meta = meta.get("tensor_meta")
    sizes = tensor_meta.get("sizes") if isinstance(tensor_meta, dict) else None
    if not isinstance(sizes, list):
        return None
    values = [size.get("as_int") if isinstance(size, dict) else None for size in sizes]
    counts = [v for v in values if type(v) is int and v >= 0]
    return math.prod(counts) if len(counts) == len(values) else None
