"""A strict check of LightGBM's text model format, run before LightGBM parses a file.

LightGBM's own parser (``GBDT::LoadModelFromString`` and ``Tree::Tree(const char*)`` in its
C++ sources) trusts the file: a truncated file makes it read past the end of the text, a
``tree_sizes`` line that disagrees with the trees makes it parse from the wrong offsets, a
child index out of range or a feature index past ``max_feature_idx`` is used as an array
index, and bytes that are not text can make it loop. Any of these aborts or hangs the whole
process. :func:`check_lightgbm_text` accepts only what LightGBM writes:

- the header: ``tree``, ``version=v2|v3|v4``, ``num_class``, ``num_tree_per_iteration``,
  ``label_index``, ``max_feature_idx``, ``objective`` (a known objective with ``name:value``
  parameters; a classifier's class count agreeing with ``num_class``), ``average_output``,
  ``feature_names`` and ``feature_infos`` (``max_feature_idx + 1`` of each),
  ``monotone_constraints``, ``tree_sizes``;
- each ``Tree=i`` block (numbered from 0): ``num_leaves`` (1 to 131072), ``num_cat``, the
  split arrays (``split_feature``, ``split_gain``, ``threshold``, ``decision_type``,
  ``left_child``, ``right_child``, ``internal_value``, ``internal_weight``,
  ``internal_count``) with ``num_leaves - 1`` values, the leaf arrays (``leaf_value``,
  ``leaf_weight``, ``leaf_count``) with ``num_leaves``, ``cat_boundaries`` /
  ``cat_threshold`` consistent with ``num_cat`` and the categorical splits, the linear-tree
  fields, ``is_linear`` and ``shrinkage``. Feature indices lie within ``max_feature_idx``;
  every node and every leaf is reached from the root exactly once (a tree, no cycles);
  values are finite where LightGBM computes with them (thresholds may be infinite, not NaN);
- ``end of trees``; ``tree_sizes``, when present, equal to the byte size of every block
  (LightGBM jumps by those sizes); a number of trees that is a multiple of
  ``num_tree_per_iteration``;
- after the trees: ``feature_importances:``, ``parameters:`` (``[name: value]`` lines) up
  to ``end of parameters``, ``parser:`` up to ``end of parser``, and the
  ``pandas_categorical:`` JSON line the Python package appends.

Only UTF-8 text with ``\\n`` line ends and no other control characters is read. Nothing is
allocated from a count the file claims: lengths are counted from the values present.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: LightGBM's own limit on leaves per tree
MAX_LEAVES = 131072
#: the most classes a model may declare
MAX_CLASSES = 100_000
#: LightGBM's largest valid ``decision_type`` (categorical 1 | default left 2 | missing 4, 8)
MAX_DECISION_TYPE = 11
#: objectives LightGBM writes in a model file
OBJECTIVES = frozenset({
    "binary", "multiclass", "multiclassova", "cross_entropy", "cross_entropy_lambda",
    "regression", "regression_l1", "huber", "fair", "poisson", "quantile", "mape", "gamma",
    "tweedie", "lambdarank", "rank_xendcg", "custom",
})
#: header keys (``average_output`` has no value)
HEADER_KEYS = frozenset({
    "version", "num_class", "num_tree_per_iteration", "label_index", "max_feature_idx",
    "objective", "average_output", "feature_names", "monotone_constraints", "feature_infos",
    "tree_sizes",
})
#: keys of a tree block (LightGBM reads at most 22 lines of a block)
TREE_KEYS = frozenset({
    "num_leaves", "num_cat", "split_feature", "split_gain", "threshold", "decision_type",
    "left_child", "right_child", "leaf_value", "leaf_weight", "leaf_count", "internal_value",
    "internal_weight", "internal_count", "cat_boundaries", "cat_threshold", "is_linear",
    "leaf_const", "num_features", "leaf_features", "leaf_coeff", "shrinkage",
})

_INT = r"-?[0-9]{1,10}"
_FLOAT = r"-?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+][0-9]{1,3})?|inf|nan)"
_INTS = re.compile(rf"(?:{_INT} )*{_INT}")
_FLOATS = re.compile(rf"(?:{_FLOAT} )*{_FLOAT}")
_SPACED_INTS = re.compile(rf" *(?:{_INT} +)*(?:{_INT})? *")
_SPACED_FLOATS = re.compile(rf" *(?:{_FLOAT} +)*(?:{_FLOAT})? *")
_SIZES = re.compile(r"(?:[0-9]{1,12} )*[0-9]{1,12}")
_FEATURE_INFO = re.compile(rf"none|\[{_FLOAT}:{_FLOAT}\]|{_INT}(?::{_INT})*")
_OBJECTIVE_PARAM = re.compile(rf"[a-z_]+(?::{_FLOAT})?")
_PARAMETER = re.compile(r"\[[A-Za-z0-9_]+: [^\"\\]*\]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_TREE = re.compile(r"Tree=([0-9]{1,9})")


@dataclass(frozen=True)
class _Header:
    num_class: int
    per_iteration: int
    n_features: int
    tree_sizes: list[int] | None


def check_lightgbm_text(data: bytes, path: Path) -> str:
    """The text of a LightGBM model file, after checking it is a model LightGBM can load.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    path : Path
        The file, for messages.

    Returns
    -------
    str
        The text, to hand to ``lightgbm.Booster(model_str=...)``.

    Raises
    ------
    ValueError
        Naming the file, the line or tree and field, and what was expected.

    Examples
    --------
    >>> import lightgbm as lgb, numpy as np
    >>> X = np.random.RandomState(0).normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
    ...                     lgb.Dataset(X, y), num_boost_round=2)
    >>> text = booster.model_to_string()
    >>> check_lightgbm_text(text.encode(), Path("model.txt")) == text
    True
    >>> check_lightgbm_text(text[: len(text) // 2].encode(), Path("model.txt"))
    Traceback (most recent call last):
    ...
    ValueError: cannot load the LightGBM model 'model.txt': ...
    """
    fail = _failure(path)
    text = _text(data, fail)
    lines = text.split("\n")
    if lines[0] != "tree":
        raise fail("line 1: expected 'tree', the first line of a LightGBM model")
    header, first_tree = _header(lines, fail)
    end = _trees(lines, first_tree, header, fail)
    _tail(lines, end + 1, fail)
    return text


def _failure(path: Path) -> Callable[[str], ValueError]:
    def fail(reason: str) -> ValueError:
        return ValueError(f"cannot load the LightGBM model '{path}': {reason}")

    return fail


def _text(data: bytes, fail: Callable[[str], ValueError]) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail(f"line {line}: byte {exc.start} is not UTF-8 text") from exc
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        what = "a carriage return (lines must end with \\n only)" if control.group() == "\r" \
            else f"the control character {control.group()!r}"
        raise fail(f"line {line}: {what} is not part of a LightGBM text model")
    return text


# -- header ----------------------------------------------------------------------------


def _header(lines: list[str], fail: Callable[[str], ValueError]) -> tuple[_Header, int]:
    """The header's values and the index of the line after it."""
    values: dict[str, str] = {}
    index = 1
    while index < len(lines):
        line = lines[index]
        if line.startswith("Tree=") or line == "end of trees":
            break
        if line:
            key, sep, value = line.partition("=")
            if key not in HEADER_KEYS or (key == "average_output") == bool(sep):
                raise fail(f"line {index + 1}: unexpected header line {line[:80]!r}")
            if key in values:
                raise fail(f"line {index + 1}: '{key}' given twice")
            if "=" in value and key not in ("feature_names", "monotone_constraints"):
                raise fail(f"line {index + 1}: '{key}' has more than one '='")
            values[key] = value
        index += 1
    for key in ("version", "num_class", "label_index", "max_feature_idx", "feature_names",
                "feature_infos"):
        if key not in values:
            raise fail(f"the header has no '{key}' line")
    if values["version"] not in ("v2", "v3", "v4"):
        raise fail(f"version {values['version'][:20]!r} is not v2, v3 or v4")
    num_class = _header_int(values, "num_class", 1, MAX_CLASSES, fail)
    per_iteration = _header_int(
        {"num_tree_per_iteration": str(num_class), **values}, "num_tree_per_iteration", 1,
        MAX_CLASSES, fail,
    )
    _header_int(values, "label_index", 0, 2**31 - 1, fail)
    n_features = _header_int(values, "max_feature_idx", 0, 2**31 - 2, fail) + 1
    names = values["feature_names"].split(" ")
    if len(names) != n_features or "" in names:
        raise fail(
            f"feature_names: expected {n_features} names separated by single spaces "
            f"(max_feature_idx + 1), got {len(names)}"
        )
    infos = values["feature_infos"].split(" ")
    if len(infos) != n_features:
        raise fail(f"feature_infos: expected {n_features} entries, got {len(infos)}")
    bad = next((info for info in infos if not _FEATURE_INFO.fullmatch(info)), None)
    if bad is not None:
        raise fail(f"feature_infos: {bad[:40]!r} is not 'none', '[min:max]' or categories")
    if "monotone_constraints" in values:
        constraints = values["monotone_constraints"].split(" ")
        if len(constraints) != n_features or set(constraints) - {"-1", "0", "1"}:
            raise fail(f"monotone_constraints: expected {n_features} values in -1, 0, 1")
    if "objective" in values:
        _objective(values["objective"], num_class, per_iteration, fail)
    sizes = None
    if "tree_sizes" in values:
        if values["tree_sizes"] and not _SIZES.fullmatch(values["tree_sizes"]):
            raise fail("tree_sizes: expected sizes separated by single spaces")
        sizes = [int(v) for v in values["tree_sizes"].split(" ") if v]
    return _Header(num_class, per_iteration, n_features, sizes), index


def _header_int(
    values: dict[str, str], key: str, low: int, high: int, fail: Callable[[str], ValueError]
) -> int:
    value = values[key]
    if not re.fullmatch(_INT, value) or not low <= int(value) <= high:
        raise fail(f"{key}: expected an integer in [{low}, {high}], got {value[:20]!r}")
    return int(value)


def _objective(
    value: str, num_class: int, per_iteration: int, fail: Callable[[str], ValueError]
) -> None:
    name, *params = value.split(" ")
    if name not in OBJECTIVES:
        raise fail(f"objective: {name[:40]!r} is not a LightGBM objective")
    bad = next((p for p in params if not _OBJECTIVE_PARAM.fullmatch(p)), None)
    if bad is not None:
        raise fail(f"objective: parameter {bad[:40]!r} is not 'name:number'")
    numbers = {p.split(":")[0]: float(p.split(":")[1]) for p in params if ":" in p}
    if not all(math.isfinite(v) for v in numbers.values()):
        raise fail("objective: parameters must be finite numbers")
    needs_sigmoid = name in ("binary", "multiclassova")
    if ("sigmoid" in numbers or needs_sigmoid) and not numbers.get("sigmoid", 0) > 0:
        raise fail(f"objective: {name} needs sigmoid:<number > 0>")
    if name in ("multiclass", "multiclassova"):
        if numbers.get("num_class") != num_class or per_iteration != num_class:
            raise fail(
                f"objective: {name} needs num_class:{num_class} and num_tree_per_iteration="
                f"{num_class} (num_class={num_class})"
            )
    elif name in ("binary", "cross_entropy", "cross_entropy_lambda") and (
        num_class != 1 or per_iteration != 1
    ):
        raise fail(f"objective: {name} needs num_class=1 and num_tree_per_iteration=1")


# -- trees -----------------------------------------------------------------------------


def _trees(
    lines: list[str], index: int, header: _Header, fail: Callable[[str], ValueError]
) -> int:
    """Check every tree block; return the index of the ``end of trees`` line."""
    sizes: list[int] = []
    number = 0
    while True:
        while index < len(lines) and not lines[index]:
            index += 1
        if index >= len(lines):
            raise fail("the file ends before 'end of trees' (is it truncated?)")
        line = lines[index]
        if line == "end of trees":
            break
        match = _TREE.fullmatch(line)
        if match is None or int(match.group(1)) != number:
            raise fail(f"line {index + 1}: expected 'Tree={number}' or 'end of trees', "
                       f"got {line[:40]!r}")
        start = index
        fields, index = _block(lines, index + 1, number, fail)
        _check_tree(fields, number, header.n_features, fail)
        while index < len(lines) and not lines[index]:
            index += 1
        sizes.append(sum(len(lines[i]) + 1 for i in range(start, index)))
        number += 1
    if number % header.per_iteration:
        raise fail(
            f"{number} trees is not a multiple of num_tree_per_iteration="
            f"{header.per_iteration}"
        )
    if header.tree_sizes is not None and header.tree_sizes != sizes:
        wrong = next(
            (i for i, (a, b) in enumerate(zip(header.tree_sizes, sizes, strict=False)) if a != b),
            min(len(sizes), len(header.tree_sizes)),
        )
        raise fail(
            f"tree_sizes does not match the trees (tree {wrong}: "
            f"{_at(header.tree_sizes, wrong)} bytes listed, {_at(sizes, wrong)} found; "
            f"{len(header.tree_sizes)} sizes for {len(sizes)} trees)"
        )
    return index


def _at(values: list[int], i: int) -> str:
    return str(values[i]) if i < len(values) else "none"


def _block(
    lines: list[str], index: int, number: int, fail: Callable[[str], ValueError]
) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    while index < len(lines) and lines[index]:
        key, sep, value = lines[index].partition("=")
        if not sep or key not in TREE_KEYS:
            raise fail(f"tree {number}: unexpected line {lines[index][:40]!r} "
                       f"(line {index + 1})")
        if key in fields:
            raise fail(f"tree {number}: '{key}' given twice")
        fields[key] = value
        index += 1
    return fields, index


def _check_tree(
    fields: dict[str, str], number: int, n_features: int, fail: Callable[[str], ValueError]
) -> None:
    def field_fail(key: str, reason: str) -> ValueError:
        return fail(f"tree {number}: {key}: {reason}")

    leaves = _scalar(fields, "num_leaves", None, field_fail)
    if not 1 <= leaves <= MAX_LEAVES:
        raise field_fail("num_leaves", f"expected 1 to {MAX_LEAVES}, got {leaves}")
    n_cat = _scalar(fields, "num_cat", None, field_fail)
    linear = _scalar(fields, "is_linear", 0, field_fail)
    if linear not in (0, 1):
        raise field_fail("is_linear", f"expected 0 or 1, got {linear}")
    _floats(fields, "shrinkage", 1, field_fail, finite=True)
    _floats(fields, "leaf_value", leaves, field_fail, finite=True, required=True)
    _counts(fields, "leaf_count", leaves, field_fail)
    if not (leaves == 1 and fields.get("leaf_weight") == ""):  # none for a one-leaf tree
        _floats(fields, "leaf_weight", leaves, field_fail, finite=True)
    if linear:
        _check_linear(fields, leaves, n_features, field_fail)
    else:
        for key in ("leaf_const", "num_features", "leaf_features", "leaf_coeff"):
            if key in fields:
                raise field_fail(key, "given for a tree that is not linear (is_linear=0)")
    if leaves == 1:
        if n_cat != 0:
            raise field_fail("num_cat", f"a one-leaf tree has no splits, got {n_cat}")
        for key in ("split_feature", "split_gain", "threshold", "decision_type", "left_child",
                    "right_child", "internal_value", "internal_weight", "internal_count",
                    "cat_boundaries", "cat_threshold"):
            if fields.get(key, ""):
                raise field_fail(key, "values given for a one-leaf tree, which has no splits")
        return
    _check_splits(fields, leaves, n_cat, n_features, field_fail)


def _check_splits(
    fields: dict[str, str], leaves: int, n_cat: int, n_features: int,
    field_fail: Callable[[str, str], ValueError],
) -> None:
    nodes = leaves - 1
    feature = _ints(fields, "split_feature", nodes, field_fail, required=True)
    if min(feature) < 0 or max(feature) >= n_features:
        bad = next(f for f in feature if not 0 <= f < n_features)
        raise field_fail(
            "split_feature", f"feature {bad} is outside 0..{n_features - 1} (max_feature_idx)"
        )
    threshold = _floats(fields, "threshold", nodes, field_fail, finite=False, required=True)
    _floats(fields, "split_gain", nodes, field_fail, finite=False)
    _floats(fields, "internal_value", nodes, field_fail, finite=True)
    _floats(fields, "internal_weight", nodes, field_fail, finite=True)
    _counts(fields, "internal_count", nodes, field_fail)
    decision = _ints(fields, "decision_type", nodes, field_fail) or [0] * nodes
    if min(decision) < 0 or max(decision) > MAX_DECISION_TYPE:
        raise field_fail("decision_type", f"values must be in 0..{MAX_DECISION_TYPE}")
    left = _ints(fields, "left_child", nodes, field_fail, required=True)
    right = _ints(fields, "right_child", nodes, field_fail, required=True)
    _check_structure(left, right, leaves, field_fail)
    categorical = [i for i, d in enumerate(decision) if d & 1]
    _check_categorical(fields, categorical, threshold, n_cat, field_fail)


def _check_structure(
    left: list[int], right: list[int], leaves: int,
    field_fail: Callable[[str, str], ValueError],
) -> None:
    """Every node and leaf is reached from node 0 exactly once: a tree, no cycle."""
    nodes = leaves - 1
    for key, children in (("left_child", left), ("right_child", right)):
        if max(children) >= nodes or min(children) < -leaves:
            bad = next(c for c in children if not -leaves <= c < nodes)
            raise field_fail(
                key, f"child {bad} is neither a node in 0..{nodes - 1} nor a leaf in "
                f"-1..-{leaves}"
            )
    seen_nodes, seen_leaves = bytearray(nodes), bytearray(leaves)
    stack, once = [0], True
    while stack and once:
        node = stack.pop()
        once = not seen_nodes[node]
        seen_nodes[node] = 1
        for child in (left[node], right[node]):
            if child >= 0:
                stack.append(child)
            else:
                once = once and not seen_leaves[~child]
                seen_leaves[~child] = 1
    if not once or seen_nodes.count(0) or seen_leaves.count(0):
        raise field_fail(
            "left_child/right_child",
            "the children do not form a tree (every node and leaf must be reached from the "
            "root exactly once)",
        )


def _check_categorical(
    fields: dict[str, str], categorical: list[int], threshold: str, n_cat: int,
    field_fail: Callable[[str, str], ValueError],
) -> None:
    if n_cat != len(categorical):
        raise field_fail(
            "num_cat", f"{n_cat} does not match the {len(categorical)} categorical splits"
        )
    if n_cat == 0:
        for key in ("cat_boundaries", "cat_threshold"):
            if fields.get(key, ""):
                raise field_fail(key, "given for a tree with no categorical split")
        return
    bounds = _ints(fields, "cat_boundaries", n_cat + 1, field_fail, required=True)
    if bounds[0] != 0 or any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
        raise field_fail("cat_boundaries", "expected increasing offsets starting at 0")
    words = _ints(fields, "cat_threshold", bounds[-1], field_fail, required=True)
    if min(words) < 0 or max(words) >= 2**32:
        raise field_fail("cat_threshold", "bitset words must be in 0..2**32-1")
    values = threshold.split(" ")
    used = sorted(float(values[i]) for i in categorical)
    if used != list(range(n_cat)):
        raise field_fail(
            "threshold", f"categorical splits must use the bitsets 0..{n_cat - 1} once each"
        )


def _check_linear(
    fields: dict[str, str], leaves: int, n_features: int,
    field_fail: Callable[[str, str], ValueError],
) -> None:
    _floats(fields, "leaf_const", leaves, field_fail, finite=True)
    counts = _ints(fields, "num_features", leaves, field_fail)
    if not counts:
        for key in ("leaf_features", "leaf_coeff"):
            if fields.get(key, "").strip():
                raise field_fail(key, "given without num_features")
        return
    if min(counts) < 0 or max(counts) > n_features:
        raise field_fail("num_features", f"counts must be in 0..{n_features}")
    total = sum(counts)
    features = _spaced(fields, "leaf_features", _SPACED_INTS, total, field_fail)
    if any(not 0 <= int(f) < n_features for f in features):
        raise field_fail("leaf_features", f"features must be in 0..{n_features - 1}")
    coeff = _spaced(fields, "leaf_coeff", _SPACED_FLOATS, total, field_fail)
    if not all(math.isfinite(float(c)) for c in coeff):
        raise field_fail("leaf_coeff", "coefficients must be finite")


# -- values ----------------------------------------------------------------------------


def _scalar(
    fields: dict[str, str], key: str, default: int | None,
    field_fail: Callable[[str, str], ValueError],
) -> int:
    if key not in fields:
        if default is None:
            raise field_fail(key, "missing")
        return default
    if not re.fullmatch(_INT, fields[key]):
        raise field_fail(key, f"expected an integer, got {fields[key][:20]!r}")
    return int(fields[key])


def _field(
    fields: dict[str, str], key: str, pattern: re.Pattern[str], count: int,
    field_fail: Callable[[str, str], ValueError], required: bool,
) -> str | None:
    """The field's text after checking it holds ``count`` numbers; None when absent."""
    if key not in fields:
        if required:
            raise field_fail(key, "missing")
        return None
    value = fields[key]
    found = value.count(" ") + 1 if value else 0
    if found != count:
        raise field_fail(key, f"expected {count} values, got {found}")
    if count and not pattern.fullmatch(value):
        raise field_fail(key, f"expected {count} numbers separated by single spaces")
    return value


def _floats(
    fields: dict[str, str], key: str, count: int, field_fail: Callable[[str, str], ValueError],
    *, finite: bool, required: bool = False,
) -> str:
    """Check a field of floats (never NaN; finite if asked); its text, "" when absent."""
    value = _field(fields, key, _FLOATS, count, field_fail, required)
    if value is None:
        return ""
    if "nan" in value:
        raise field_fail(key, "NaN is not a valid value")
    if finite and ("inf" in value or (
        ("e+" in value or "E+" in value)
        and not all(map(math.isfinite, map(float, value.split(" "))))
    )):
        raise field_fail(key, "values must be finite (no infinity)")
    return value


def _ints(
    fields: dict[str, str], key: str, count: int, field_fail: Callable[[str, str], ValueError],
    *, required: bool = False,
) -> list[int]:
    """The integers of a field ([] when absent and not required)."""
    value = _field(fields, key, _INTS, count, field_fail, required)
    return list(map(int, value.split(" "))) if value else []


def _counts(
    fields: dict[str, str], key: str, count: int, field_fail: Callable[[str, str], ValueError],
) -> None:
    value = _field(fields, key, _INTS, count, field_fail, False)
    if value and "-" in value:
        raise field_fail(key, "counts must be >= 0")


def _spaced(
    fields: dict[str, str], key: str, pattern: re.Pattern[str], count: int,
    field_fail: Callable[[str, str], ValueError],
) -> list[str]:
    """The linear-tree lists, which LightGBM pads with extra spaces."""
    value = fields.get(key, "")
    if not pattern.fullmatch(value):
        raise field_fail(key, f"expected {count} numbers separated by spaces")
    values = value.split()
    if len(values) != count:
        raise field_fail(key, f"expected {count} values (the sum of num_features), "
                         f"got {len(values)}")
    return values


# -- after the trees -------------------------------------------------------------------


def _tail(lines: list[str], index: int, fail: Callable[[str], ValueError]) -> None:
    """``feature_importances:``, ``parameters:``, ``parser:`` (each optional, in this
    order), then the ``pandas_categorical:`` line."""
    order = ("feature_importances:", "parameters:", "parser:")
    position = 0
    while index < len(lines):
        line = lines[index]
        if not line:
            index += 1
        elif line.startswith("pandas_categorical:"):
            if any(lines[index + 1 :]):
                raise fail(f"line {index + 1}: pandas_categorical must be the last line")
            _pandas_categorical(line[len("pandas_categorical:") :], index + 1, fail)
            return
        elif line in order[position:]:
            position = order.index(line) + 1
            if line == "feature_importances:":
                index = _importances(lines, index + 1, fail)
            else:
                index = _section(lines, index + 1, line, fail)
        else:
            raise fail(f"line {index + 1}: unexpected line {line[:40]!r} after the trees")


def _importances(lines: list[str], index: int, fail: Callable[[str], ValueError]) -> int:
    """Skip the ``feature=count`` lines from ``index``; return the index after them."""
    while index < len(lines) and lines[index]:
        name, sep, count = lines[index].rpartition("=")
        if not sep or not name or not re.fullmatch("[0-9]+", count):
            raise fail(f"line {index + 1}: expected 'feature=count' in feature_importances")
        index += 1
    return index


def _section(
    lines: list[str], index: int, section: str, fail: Callable[[str], ValueError]
) -> int:
    """Skip a section's lines from ``index`` to its end line; return the index after it."""
    end = f"end of {section.rstrip(':')}"
    while index < len(lines) and lines[index] != end:
        line = lines[index]
        if section == "parameters:" and line and not _PARAMETER.fullmatch(line):
            raise fail(f"line {index + 1}: expected '[name: value]' in parameters, "
                       f"got {line[:40]!r}")
        index += 1
    if index >= len(lines):
        raise fail(f"'{section}' has no '{end}' line")
    return index + 1


def _pandas_categorical(value: str, number: int, fail: Callable[[str], ValueError]) -> None:
    try:
        categories = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise fail(f"line {number}: pandas_categorical is not valid JSON") from exc
    scalars = (str, int, float, bool)
    if categories is not None and not (
        isinstance(categories, list)
        and all(isinstance(c, list) and all(isinstance(v, scalars) for v in c)
                for c in categories)
    ):
        raise fail(f"line {number}: pandas_categorical must be a list of lists of values")
