"""A :class:`~advval.attacks.FeatureSpace` from a constraints file (JSON or YAML) or mapping.

The schema (every key optional)::

    immutable: [column, ...]
    integer: [column, ...]
    continuous: [column, ...]           # whole-valued floats that may take fractions
    categorical: [column, ...]          # or {column: [allowed values]}
    one_hot: [[column, ...], ...]
    monotone: {column: increase | decrease}
    bounds: {column: [lower, upper]}    # null: no bound on that side
    scale: std | iqr
    categorical_distance: 1.0

The space is :meth:`FeatureSpace.from_frame` of the data with these declarations added:
integer and categorical columns add to those recognised from the dtypes (and, for
integer, from whole-valued float columns: :func:`~advval.attacks._space.whole_number_columns`),
``continuous`` columns are taken out of the integer ones, ``bounds`` replace the data
range of the columns they name. This is what ``advval attack
--constraints`` reads; :meth:`FeatureSpace.from_config` is the same from Python.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._space import FeatureSpace

#: keys of a constraints file -> what their value must be (for messages)
CONSTRAINT_KEYS = {
    "immutable": "a list of column names",
    "integer": "a list of column names",
    "continuous": "a list of column names",
    "categorical": "a list of column names or a mapping {column: [allowed values]}",
    "one_hot": "a list of lists of column names",
    "monotone": 'a mapping {column: "increase" or "decrease"}',
    "bounds": "a mapping {column: [lower, upper]} (null for no bound)",
    "scale": '"std" or "iqr"',
    "categorical_distance": "a finite number >= 0",
}
CONSTRAINT_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
#: the largest constraints file read (a column list is a few kilobytes)
MAX_CONSTRAINTS_BYTES = 16 * 2**20
#: the most values (lists, mappings, scalars, aliases counted each time) a constraints
#: file may hold: a YAML file of nested aliases ("billion laughs") names billions
MAX_CONSTRAINTS_VALUES = 1_000_000


class UnknownColumnsError(ValueError):
    """A constraint names columns the data does not have.

    ``key`` is the constraint, ``unknown`` the names not found, ``columns`` the data's
    columns and ``where`` the source ("the constraints file 'rules.yaml'").
    """

    def __init__(self, key: str, unknown: list[str], columns: list[str], where: str) -> None:
        self.key, self.unknown, self.columns, self.where = key, unknown, columns, where
        super().__init__(
            f"'{key}' in {where} names column(s) {unknown!r} that X does not have; its "
            f"columns are {columns[:20]!r}{' ...' if len(columns) > 20 else ''}"
        )


def from_config(config: Any, X: Any) -> FeatureSpace:
    """:meth:`FeatureSpace.from_config`: a path is read, a mapping checked, then built."""
    if isinstance(config, (str, os.PathLike)):
        path: Path | None = Path(config)
        constraints = read_config(Path(config))
    elif isinstance(config, Mapping):
        path = None
        constraints = check_keys(config, where="the constraints mapping")
    else:
        raise TypeError(
            "The 'config' parameter of FeatureSpace.from_config must be a mapping or the "
            f"path of a JSON or YAML file. Got {type(config).__name__} instead."
        )
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "The 'X' parameter of FeatureSpace.from_config must be a DataFrame (the "
            f"constraints name its columns). Got {type(X).__name__} instead."
        )
    return space_from_config(constraints, X, path)


def read_config(path: Path) -> dict[str, Any]:
    """The constraints file (JSON or YAML by suffix) as a mapping with known keys only.

    Raises
    ------
    ValueError
        Unknown suffix, unreadable file, not a mapping, or unknown keys (named); a file
        over :data:`MAX_CONSTRAINTS_BYTES`, nested deeper than Python's parsers go, or
        holding more than :data:`MAX_CONSTRAINTS_VALUES` values. The message names the
        file.
    """
    kind = CONSTRAINT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"cannot read the constraints file '{path}': expected a JSON (.json) or YAML "
            "(.yaml, .yml) file"
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONSTRAINTS_BYTES + 1)
    except OSError as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"cannot read the constraints file '{path}': {reason}") from exc
    if len(raw) > MAX_CONSTRAINTS_BYTES:
        raise ValueError(
            f"cannot read the constraints file '{path}': it is larger than "
            f"{MAX_CONSTRAINTS_BYTES // 2**20} MiB; a constraints file lists columns"
        )
    try:
        text = raw.decode("utf-8")
        if kind == "json":
            content = json.loads(text) if text.strip() else {}
        else:
            import yaml

            content = yaml.safe_load(text) or {}
    except (UnicodeDecodeError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"cannot read the constraints file '{path}': {reason}") from exc
    except RecursionError as exc:
        raise ValueError(
            f"cannot read the constraints file '{path}': it is nested too deeply to read"
        ) from exc
    except Exception as exc:  # yaml.YAMLError, without importing yaml for JSON files
        if type(exc).__module__.startswith("yaml"):
            reason = " ".join(str(exc).split())
            raise ValueError(f"cannot read the constraints file '{path}': {reason}") from exc
        raise
    if _count_values(content, MAX_CONSTRAINTS_VALUES) > MAX_CONSTRAINTS_VALUES:
        raise ValueError(
            f"cannot read the constraints file '{path}': it holds more than "
            f"{MAX_CONSTRAINTS_VALUES:,} values (YAML aliases counted each time they are used)"
        )
    return check_keys(content, where=f"the constraints file '{path}'")


def check_keys(content: Any, *, where: str) -> dict[str, Any]:
    """``content`` as a dict, if it is a mapping with known keys only (else ValueError)."""
    if not isinstance(content, Mapping):
        raise ValueError(
            f"{where} must hold a mapping with the keys "
            f"{', '.join(CONSTRAINT_KEYS)}; it holds a {type(content).__name__}"
        )
    unknown = [str(k) for k in content if k not in CONSTRAINT_KEYS]
    if unknown:
        raise ValueError(
            f"{where} has unknown key(s) {unknown!r}; the keys are "
            f"{', '.join(CONSTRAINT_KEYS)}"
        )
    return dict(content)


def space_from_config(
    constraints: Mapping[str, Any], X: pd.DataFrame, path: Path | None
) -> FeatureSpace:
    """``FeatureSpace.from_frame(X)`` with the declarations of ``constraints`` added.

    Raises
    ------
    UnknownColumnsError
        A key names columns ``X`` does not have.
    ValueError
        A value of the wrong shape (``'<key>' in <where> must be ...``) or a declaration
        the data contradicts (``invalid constraints in <where>: ...``).
    """
    where = f"the constraints file '{path}'" if path is not None else "the constraints mapping"
    columns = [str(c) for c in X.columns]
    for key, names in _referenced(constraints, where).items():
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise UnknownColumnsError(key, unknown, columns, where)
    one_hot = [[str(c) for c in g] for g in constraints.get("one_hot", [])]
    scale = constraints.get("scale", "std")
    distance = float(constraints.get("categorical_distance", 1.0))
    try:
        detected = FeatureSpace.from_frame(X, one_hot=one_hot, scale=scale)
        declared = constraints.get("categorical") or {}
        if not isinstance(declared, Mapping):  # columns whose allowed values are those seen
            columns_only = X[[str(c) for c in declared]]
            declared = _categories(FeatureSpace.from_frame(columns_only, categorical=declared))
        categorical = _categories(detected)
        categorical.update((str(k), list(v)) for k, v in declared.items())
        continuous = {str(c) for c in constraints.get("continuous", [])}
        both = continuous.intersection(str(c) for c in constraints.get("integer", []))
        if both:
            raise ValueError(
                f"'integer' and 'continuous' both name column(s) {sorted(both)!r}"
            )
        integer = [
            c for c in dict.fromkeys([*detected.integer, *constraints.get("integer", [])])
            if c not in categorical and c not in continuous
        ]
        space = FeatureSpace.from_frame(
            X,
            immutable=[str(c) for c in constraints.get("immutable", [])],
            integer=integer,
            categorical=categorical,
            one_hot=one_hot,
            monotone={str(k): v for k, v in constraints.get("monotone", {}).items()} or None,
            scale=scale,
            categorical_distance=distance,
        )
        directed = [str(c) for c in constraints.get("monotone", {})]
        unordered = [c for c in directed if c in categorical or any(c in g for g in one_hot)]
        if unordered:
            raise ValueError(
                f"'monotone' names categorical column(s) {unordered!r}; a category has no "
                "direction to increase or decrease in"
            )
        bounds = dict(space.bounds or {})
        for name, (low, high) in constraints.get("bounds", {}).items():
            if str(name) in categorical or any(str(name) in g for g in one_hot):
                raise ValueError(f"bounds apply to numeric columns; '{name}' is categorical")
            bounds[str(name)] = (
                -math.inf if low is None else float(low),
                math.inf if high is None else float(high),
            )
        space.bounds = bounds
        space.bind(X).encode(X)  # every declaration checked against the data now
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid constraints in {where}: {exc}") from exc
    return space


def _count_values(content: Any, limit: int) -> int:
    """The values in ``content``, counted without recursion and only up to ``limit + 1``.

    Examples
    --------
    >>> shared = [1, 2, 3]
    >>> _count_values({"a": shared, "b": [shared, shared]}, 100)  # keys count too
    16
    >>> _count_values([[0] * 10] * 10, 50)
    51
    """
    count, stack = 0, [content]
    while stack and count <= limit:
        value = stack.pop()
        count += 1
        if isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return count


def _names(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    return None


def _referenced(constraints: Mapping[str, Any], where: str) -> dict[str, list[str]]:
    """Every column each key names, after checking the shape of its value."""

    def bad(key: str) -> ValueError:
        return ValueError(
            f"'{key}' in {where} must be {CONSTRAINT_KEYS[key]}; got {constraints[key]!r}"
        )

    columns: dict[str, list[str]] = {}
    for key in ("immutable", "integer", "continuous"):
        if key in constraints:
            names = _names(constraints[key])
            if names is None:
                raise bad(key)
            columns[key] = names
    if "categorical" in constraints:
        value = constraints["categorical"]
        if isinstance(value, Mapping) and all(isinstance(v, list) for v in value.values()):
            columns["categorical"] = [str(k) for k in value]
        elif _names(value) is not None:
            columns["categorical"] = _names(value) or []
        else:
            raise bad("categorical")
    if "one_hot" in constraints:
        groups = constraints["one_hot"]
        if not isinstance(groups, list) or any(_names(g) is None for g in groups):
            raise bad("one_hot")
        columns["one_hot"] = [name for group in groups for name in _names(group) or []]
    for key in ("monotone", "bounds"):
        if key in constraints:
            value = constraints[key]
            if not isinstance(value, Mapping):
                raise bad(key)
            columns[key] = [str(k) for k in value]
    if "bounds" in constraints:
        for pair in constraints["bounds"].values():
            if not (
                isinstance(pair, list) and len(pair) == 2
                and all(v is None or _is_number(v) for v in pair)
            ):
                raise bad("bounds")
    if "scale" in constraints and constraints["scale"] not in ("std", "iqr"):
        raise bad("scale")
    distance = constraints.get("categorical_distance", 1.0)
    if not (_is_number(distance) and math.isfinite(float(distance)) and distance >= 0):
        raise bad("categorical_distance")
    return columns


def _is_number(value: Any) -> bool:
    """An int or float that converts to a float other than NaN (infinity allowed)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return not math.isnan(float(value))
    except OverflowError:  # an integer literal with hundreds of digits
        return False


def _categories(space: FeatureSpace) -> dict[Hashable, Sequence[Any]]:
    """The label-coded columns of a space built by ``from_frame`` and their values."""
    found = space.categorical
    return {str(k): list(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


__all__ = [
    "CONSTRAINT_KEYS",
    "CONSTRAINT_SUFFIXES",
    "MAX_CONSTRAINTS_BYTES",
    "MAX_CONSTRAINTS_VALUES",
    "UnknownColumnsError",
    "check_keys",
    "from_config",
    "read_config",
    "space_from_config",
]
