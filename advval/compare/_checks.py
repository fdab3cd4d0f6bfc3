"""Reading report and baseline documents: one error shape naming the file and the key.

The JSON documents compared here come from disk and may have been edited by hand; every
value is checked before it is used, and a bad one raises :class:`DocumentError`, whose
message names the file (when known) and the key path (``columns[2].tolerance``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class DocumentError(ValueError):
    """A report or baseline document that cannot be used; the message names file and key.

    Examples
    --------
    >>> print(DocumentError("must be a number", source="b.json", key="auc.tolerance"))
    b.json: key 'auc.tolerance' must be a number
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        where = f"{source}: " if source else ""
        what = f"key '{key}' " if key else ""
        super().__init__(f"{where}{what}{message}")


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object in the file ``path``; :class:`DocumentError` naming it otherwise.

    Parameters
    ----------
    path : str or path-like
        A JSON file holding one object.

    Returns
    -------
    dict
    """
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError("does not exist", source=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot be read: {exc}", source=name) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=name
        ) from exc
    if not isinstance(doc, dict):
        raise DocumentError(f"holds a JSON {type(doc).__name__}, not an object", source=name)
    return doc


def kind_of(doc: Mapping[str, Any], source: str | None) -> str:
    """The document's ``kind`` (a string), or :class:`DocumentError`."""
    kind = doc.get("kind")
    if not isinstance(kind, str):
        raise DocumentError(
            "is missing or not a string: is this an advval JSON report?", source=source,
            key="kind",
        )
    return kind


def number(
    value: Any,
    *,
    source: str | None,
    key: str,
    low: float | None = None,
    high: float | None = None,
    optional: bool = False,
) -> float | None:
    """``value`` as a finite float in ``[low, high]`` (``None`` allowed when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
        value
    ):
        kind = "a number or null" if optional else "a number"
        raise DocumentError(f"must be {kind}, got {value!r}", source=source, key=key)
    x = float(value)
    if (low is not None and x < low) or (high is not None and x > high):
        lower = "-inf" if low is None else f"{low:g}"
        upper = "inf" if high is None else f"{high:g}"
        bounds = f"[{lower}, {upper}]"
        raise DocumentError(f"must be in {bounds}, got {x:g}", source=source, key=key)
    return x


def text(value: Any, *, source: str | None, key: str) -> str:
    """``value`` as a non-empty string."""
    if not isinstance(value, str) or not value:
        raise DocumentError(f"must be a non-empty string, got {value!r}", source=source, key=key)
    return value


def entries(doc: Mapping[str, Any], key: str, source: str | None) -> list[Mapping[str, Any]]:
    """``doc[key]`` as a list of objects (missing: empty)."""
    value = doc.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise DocumentError(f"must be a list, got {type(value).__name__}", source=source, key=key)
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise DocumentError(
                f"must be an object, got {item!r}", source=source, key=f"{key}[{i}]"
            )
    return value


def interval(value: Any, *, source: str | None, key: str) -> tuple[float, float] | None:
    """A ``[low, high]`` pair of numbers, or ``None`` when absent or holding a null."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise DocumentError(f"must be a [low, high] pair, got {value!r}", source=source, key=key)
    if value[0] is None or value[1] is None:
        return None
    low = number(value[0], source=source, key=f"{key}[0]")
    high = number(value[1], source=source, key=f"{key}[1]")
    assert low is not None and high is not None
    return (low, high)
