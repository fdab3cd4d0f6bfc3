"""XGBoost model files (JSON and UBJ), recognised by content and checked before loading.

XGBoost's own loader is C++; a file crafted to be inconsistent (a child index outside its
tree, a category segment past its array, a count larger than the file) is not something
it promises to reject cleanly. So the bytes are parsed here first, strictly and with
bounded sizes (JSON by :mod:`json` with duplicate keys and NaN refused; UBJ by
:mod:`._ubjson`), the document is checked field by field
(:func:`advval.attacks.trees._xgboost.parse_document`), and XGBoost is then handed a
*rebuilt* JSON document holding only the checked fields: nothing in the file that was
not checked reaches XGBoost.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..trees._xgboost import Document, ModelError, parse_document
from ._ubjson import loads as ubjson_loads

#: largest model file read, in bytes: JSON becomes Python objects (up to ~20 bytes of
#: memory per byte of a hostile file), UBJ's typed arrays become NumPy arrays
MAX_JSON_BYTES = 100 * 2**20
MAX_UBJ_BYTES = 512 * 2**20

_JSON_HEAD = re.compile(rb'\A\s*\{\s*"(learner|version)"\s*:')
_UBJ_KEYS = (b"learner", b"version")


def xgboost_kind(head: bytes) -> str | None:
    """``"json"`` or ``"ubj"`` when the first bytes open an XGBoost model, else None.

    Examples
    --------
    >>> xgboost_kind(b'{"learner": {"attributes": {}'), xgboost_kind(b"tree\\nversion=v4")
    ('json', None)
    >>> xgboost_kind(b"{L" + (7).to_bytes(8, "big") + b"learner{")
    'ubj'
    """
    if _JSON_HEAD.match(head):
        return "json"
    if len(head) > 2 and head[:1] == b"{":
        widths = {ord("i"): 1, ord("U"): 1, ord("I"): 2, ord("l"): 4, ord("L"): 8}
        width = widths.get(head[1])
        if width is not None:
            size = int.from_bytes(head[2 : 2 + width], "big")
            key = head[2 + width : 2 + width + size]
            return "ubj" if key in _UBJ_KEYS else None
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ModelError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ModelError(f"the JSON holds {name}, which is not a number XGBoost writes")


def parse_xgboost_bytes(data: bytes, path: Path) -> Document:
    """Parse and check an XGBoost JSON or UBJ model file's bytes.

    Raises
    ------
    ValueError
        Naming the file and the first problem (malformed, oversized, inconsistent).
    TypeError
        A well-formed model advval cannot attack (from :func:`parse_document`).
    """
    kind = xgboost_kind(bytes(data[:64]))
    if kind is None:
        raise ValueError(f"cannot load the XGBoost model '{path}': not an XGBoost JSON or UBJ "
                         "model")
    limit = MAX_JSON_BYTES if kind == "json" else MAX_UBJ_BYTES
    if len(data) > limit:
        hint = " (save large models as .ubj)" if kind == "json" else ""
        raise ValueError(
            f"cannot load the XGBoost model '{path}': more than the {limit} bytes advval "
            f"reads from a {kind.upper()} model{hint}"
        )
    try:
        if kind == "json":
            doc = json.loads(
                bytes(data).decode("utf-8"),
                object_pairs_hook=_no_duplicates,
                parse_constant=_no_constant,
            )
        else:
            doc = ubjson_loads(bytes(data))
        return parse_document(doc)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"cannot load the XGBoost model '{path}': malformed {kind.upper()} model "
            f"({detail})"
        ) from None


def _plain(value: Any) -> Any:
    """NumPy arrays and scalars as JSON-ready lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rebuilt_json(document: Document) -> bytes:
    """The checked document as the JSON model XGBoost loads: only checked fields.

    Float arrays hold float32 values as float64 numbers; JSON writes them with enough
    digits that XGBoost reads back the same float32.
    """
    trees = []
    for tree in document.trees:
        entry: dict[str, Any] = {key: _plain(array) for key, array in tree.arrays.items()}
        entry["id"] = tree.id
        entry["tree_param"] = dict(tree.params)
        trees.append(entry)
    model: dict[str, Any] = {
        "gbtree_model_param": dict(document.booster_param),
        "tree_info": document.tree_info.tolist(),
        "trees": trees,
    }
    if document.indptr_given:
        model["iteration_indptr"] = document.iteration_indptr.tolist()
    if document.cats is not None:
        model["cats"] = _plain(document.cats)
    booster: dict[str, Any] = {"name": "gbtree", "model": model}
    if document.booster == "dart":
        assert document.weight_drop is not None
        booster = {
            "name": "dart",
            "gbtree": booster,
            "weight_drop": document.weight_drop.tolist(),
        }
    doc = {
        "learner": {
            "attributes": dict(document.attributes),
            "feature_names": list(document.feature_names),
            "feature_types": list(document.feature_types),
            "gradient_booster": booster,
            "learner_model_param": dict(document.learner_param),
            "objective": document.objective,
        },
        "version": list(document.version),
    }
    return json.dumps(doc, allow_nan=False).encode("utf-8")
