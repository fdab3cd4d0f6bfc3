"""JSON Schemas (draft 2020-12) of the JSON documents advval writes, one per report kind.

The schemas ship as package data (``advval/report/schemas/<kind>.schema.json``); the
document's ``kind`` names its schema and ``schema_version`` the version of that schema.
Floats are written rounded to 6 significant digits, NaN and infinity as ``null``, so
every float key accepts ``null``. Fixed structures refuse unknown keys
(``additionalProperties: false``); ``settings`` is an open record of how a run was set up.

Versioning rule (each kind has its own ``schema_version``, an integer; the tests hold it):

- **Bump** it when a key is removed or renamed, when a key's type changes (a number that
  becomes a string, an object that becomes a list, a key that may now be ``null`` or
  missing), when an allowed value is removed from a closed list (``test``, ``flags``,
  ``code``...) or when a key keeps its name and changes meaning (another unit, scale or
  definition).
- **Keep** it when a key is added (required or not) or a value is added to a closed
  list: a reader written for version ``N`` still finds every key it reads, of the type
  it expects. Readers should therefore ignore keys they do not know.

``tests/test_schemas.py`` keeps, for every kind and version, the list of the paths, types
and allowed values the schema promises (``tests/schema_contracts/<kind>.v<N>.txt``): a
schema change under the same version that removes or changes a line fails, and so does
an addition until it is recorded. See ``docs/json-schemas.md``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

#: report kinds that have a schema: the ``kind`` key of the documents
SCHEMA_KINDS: tuple[str, ...] = ("drift", "deps", "robustness", "image_robustness", "diff")
#: the ``$id`` of each schema: ``urn:advval:schema:<kind>``
SCHEMA_ID_PREFIX = "urn:advval:schema:"


@cache
def _load(kind: str) -> dict[str, Any]:
    text = resources.files("advval.report").joinpath("schemas", f"{kind}.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def _references(node: Any) -> set[str]:
    """The other schemas ``node`` refers to (``$ref`` to ``urn:advval:schema:<kind>``)."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_ID_PREFIX):
            found.add(ref[len(SCHEMA_ID_PREFIX) :].split("#", 1)[0])
        for value in node.values():
            found |= _references(value)
    elif isinstance(node, list):
        for value in node:
            found |= _references(value)
    return found


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON reports of one kind.

    Parameters
    ----------
    kind : {"drift", "deps", "robustness", "image_robustness", "diff"}
        The ``kind`` key of the document: ``advval drift`` writes ``"drift"``, ``advval
        deps`` ``"deps"``, ``advval attack`` ``"robustness"``, ``advval image evaluate``
        ``"image_robustness"`` and ``advval diff`` ``"diff"``.

    Returns
    -------
    dict
        A new, self-contained copy of the schema: a schema that builds on another (the
        image report extends the robustness report) carries it under ``$defs``, keyed by
        its ``$id``, so any draft 2020-12 validator takes it alone. Its
        ``properties.schema_version.const`` is the version documents of this kind carry.

    Raises
    ------
    ValueError
        If ``kind`` is not one of the report kinds.

    See Also
    --------
    render_json, render_robustness_json, render_image_json

    Examples
    --------
    >>> schema = json_schema("drift")
    >>> schema["properties"]["schema_version"]
    {'const': 1}
    >>> sorted(schema["required"])[:4]
    ['advval_version', 'alpha', 'auc', 'auc_ci']
    >>> json_schema("csv")
    Traceback (most recent call last):
    ValueError: The 'kind' parameter of json_schema must be one of ['deps', ...]. Got 'csv' instead.
    """
    if kind not in SCHEMA_KINDS:
        raise ValueError(
            f"The 'kind' parameter of json_schema must be one of {sorted(SCHEMA_KINDS)}. "
            f"Got {kind!r} instead."
        )
    schema = copy.deepcopy(_load(kind))
    pending = sorted(_references(schema) - {kind})
    bundled: set[str] = set()
    while pending:
        other = pending.pop()
        if other in bundled:
            continue
        bundled.add(other)
        part = copy.deepcopy(_load(other))
        schema.setdefault("$defs", {})[f"{SCHEMA_ID_PREFIX}{other}"] = part
        pending.extend(sorted(_references(part) - bundled - {kind}))
    return schema
