"""Read an XGBoost classifier (``Booster`` or ``XGBClassifier``) from its JSON model.

The model document (``save_raw("json")``, or a ``.json`` / ``.ubj`` model file parsed by
:mod:`advval.attacks._model_files._xgboost`) is checked strictly by :func:`parse_document`
and flattened by :func:`ensemble_from_document`. Thresholds and leaf values are the
float32 numbers XGBoost stores (its text dumps round them; JSON and UBJ do not).

Supported: objectives ``binary:logistic`` and ``multi:softprob`` / ``multi:softmax``;
boosters ``gbtree`` (any ``num_parallel_tree``) and ``dart`` (each tree scaled by its
``weight_drop``); numerical splits (``float32(x) < threshold``, NaN the default way) and
categorical splits (one-hot and partition; the listed categories go right, NaN the
default way, negative and unknown categories left). ``XGBClassifier`` is read at the
iteration it predicts with (``best_iteration`` after early stopping); a ``Booster``
predicts with all its trees. Not supported: ``gblinear``, multi-target trees
(``multi_strategy="multi_output_tree"``), regression and ranking objectives, and a
``missing`` value other than NaN.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._ensemble import Ensemble, EnsembleBuilder, unsupported

#: objective -> link of the ensemble
OBJECTIVES = {
    "binary:logistic": "logistic",
    "multi:softprob": "softmax",
    "multi:softmax": "softmax",
}
#: largest category code XGBoost reads as a category (float32 holds whole numbers to 2**24)
MAX_CATEGORY = 2**24
#: most cells of the (category sets x categories) table built for categorical splits
MAX_CATEGORY_CELLS = 2**26
_WHOLE = re.compile(r"-?[0-9]{1,12}")
#: the parent id XGBoost writes for a root
_NO_PARENT = 2147483647

_TREE_KEYS = {
    "base_weights": "float",
    "categories": "int",
    "categories_nodes": "int",
    "categories_segments": "int",
    "categories_sizes": "int",
    "default_left": "int",
    "left_children": "int",
    "loss_changes": "float",
    "parents": "int",
    "right_children": "int",
    "split_conditions": "float",
    "split_indices": "int",
    "split_type": "int",
    "sum_hessian": "float",
}
_TREE_PARAMS = ("num_deleted", "num_feature", "num_nodes", "size_leaf_vector")


class ModelError(ValueError):
    """A model document that is not a well-formed XGBoost model (``where`` names the field)."""


@dataclass
class Tree:
    """One checked tree: per-node arrays of equal length, ``-1`` children at leaves."""

    arrays: dict[str, np.ndarray]
    params: dict[str, str]
    id: int

    @property
    def n_nodes(self) -> int:
        """Number of nodes, deleted ones included."""
        return len(self.arrays["left_children"])


@dataclass
class Document:
    """A checked XGBoost model document (what :func:`parse_document` returns)."""

    version: list[int]
    objective: dict[str, Any]
    learner_param: dict[str, str]
    feature_names: list[str]
    feature_types: list[str]
    attributes: dict[str, str]
    booster: str
    trees: list[Tree]
    tree_info: np.ndarray
    iteration_indptr: np.ndarray
    booster_param: dict[str, str]
    weight_drop: np.ndarray | None
    cats: dict[str, Any] | None
    indptr_given: bool
    base_score: np.ndarray = field(default_factory=lambda: np.zeros(1))

    @property
    def n_classes(self) -> int:
        """Classes predicted: 2 for a binary model."""
        return max(int(self.learner_param["num_class"]), 2)

    @property
    def n_features(self) -> int:
        """Features the model reads."""
        return int(self.learner_param["num_feature"])


# -- checking a document -----------------------------------------------------------------


def _dict(value: Any, where: str, keys: dict[str, bool] | None = None) -> dict[str, Any]:
    """``value`` as a dict; with ``keys`` (name -> required) no other key is allowed."""
    if not isinstance(value, dict):
        raise ModelError(f"'{where}' must be an object, got {type(value).__name__}")
    if keys is not None:
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise ModelError(f"'{where}' has fields advval does not know: {unknown[:5]}")
        missing = [k for k, required in keys.items() if required and k not in value]
        if missing:
            raise ModelError(f"'{where}' lacks the field(s) {missing}")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    """A flat object of string values (XGBoost's parameter objects)."""
    value = _dict(value, where)
    for key, item in value.items():
        if not isinstance(item, str):
            raise ModelError(f"'{where}.{key}' must be a string, got {type(item).__name__}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelError(f"'{where}' must be a list of strings")
    return value


def _count(text: Any, where: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """A whole number written as a string (``"3"``), within ``[low, high]``."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text):
        raise ModelError(f"'{where}' must be a whole number, got {str(text)[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise ModelError(f"'{where}' is {value}, outside [{low}, {high}]")
    return value


def _array(value: Any, where: str, kind: str) -> np.ndarray:
    """A list of numbers (or a typed UBJSON array) as int64 / float64, type-checked."""
    if isinstance(value, np.ndarray):
        ok = value.ndim == 1 and (
            value.dtype.kind in "iub" or (kind == "float" and value.dtype.kind == "f")
        )
        if not ok:
            raise ModelError(f"'{where}' must be a list of {kind} numbers")
        out = value.astype(np.int64 if kind == "int" else np.float64)
    else:
        if not isinstance(value, list):
            raise ModelError(f"'{where}' must be a list of numbers")
        allowed: tuple[type, ...] = (int,) if kind == "int" else (int, float)
        if not all(type(v) in allowed for v in value):
            raise ModelError(f"'{where}' must be a list of {kind} numbers")
        try:
            out = np.array(value, dtype=np.int64 if kind == "int" else np.float64)
        except OverflowError:
            raise ModelError(f"'{where}' holds a number too large for 64 bits") from None
    if kind == "float":
        with np.errstate(over="ignore"):
            if not np.isfinite(out.astype(np.float32)).all():
                raise ModelError(f"'{where}' holds NaN or infinite (or too large) numbers")
    return out


def _floats(text: Any, where: str) -> np.ndarray:
    """``"0.5"`` or ``"[5E-1,2E-1]"`` (XGBoost's base_score) as finite floats."""
    if not isinstance(text, str) or len(text) > 100_000:
        raise ModelError(f"'{where}' must be a number or a list of numbers as text")
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    try:
        values = np.array([float(part) for part in body.split(",")], dtype=np.float64)
    except ValueError:
        raise ModelError(f"'{where}' must be a number or a list of numbers, got "
                         f"{text[:40]!r}") from None
    if not np.isfinite(values).all():
        raise ModelError(f"'{where}' holds NaN or infinite numbers")
    return values


def parse_document(doc: Any) -> Document:
    """Check an XGBoost model document (the parsed JSON / UBJSON) and collect its parts.

    Every array is type- and length-checked, every tree must be a tree (children in
    range, no node reached twice) and every split must read an existing feature.

    Raises
    ------
    ModelError
        A ``ValueError`` naming the first field that is not as XGBoost writes it.
    TypeError
        A well-formed model advval cannot attack (gblinear, multi-target trees, a
        regression objective).

    Examples
    --------
    >>> import json, numpy as np, xgboost as xgb
    >>> X = np.random.RandomState(0).normal(size=(50, 2)); y = (X[:, 0] > 0).astype(int)
    >>> booster = xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, y).get_booster()
    >>> document = parse_document(json.loads(booster.save_raw("json")))
    >>> len(document.trees), document.n_classes, document.n_features
    (2, 2, 2)
    """
    root = _dict(doc, "model", {"learner": True, "version": True})
    version = root["version"]
    if (
        not isinstance(version, list) or len(version) != 3
        or not all(type(v) is int and 0 <= v < 10_000 for v in version)
    ):
        raise ModelError("'version' must be a list of three small whole numbers")
    learner = _dict(root["learner"], "learner", {
        "attributes": True, "feature_names": True, "feature_types": True,
        "gradient_booster": True, "learner_model_param": True, "objective": True,
    })
    param = _strings(learner["learner_model_param"], "learner.learner_model_param")
    for key in ("base_score", "num_class", "num_feature"):
        if key not in param:
            raise ModelError(f"'learner.learner_model_param' lacks the field '{key}'")
    n_class = _count(param["num_class"], "learner.learner_model_param.num_class", high=100_000)
    n_feature = _count(
        param["num_feature"], "learner.learner_model_param.num_feature", low=1, high=10**8
    )
    if n_class == 1:
        raise ModelError("'learner.learner_model_param.num_class' is 1 (0 means binary)")
    if "num_target" in param and _count(param["num_target"], "num_target", high=10**6) > 1:
        raise TypeError("multi-target models (num_target > 1) are not classifiers")
    objective = _dict(learner["objective"], "learner.objective")
    name = objective.get("name")
    if not isinstance(name, str):
        raise ModelError("'learner.objective.name' must be a string")
    for key, value in objective.items():
        if key != "name":
            _strings(value, f"learner.objective.{key}")
    if name not in OBJECTIVES:
        raise TypeError(
            f"objective {name!r} is not a supported classification objective "
            f"({', '.join(OBJECTIVES)})"
        )
    if (OBJECTIVES[name] == "logistic") != (n_class == 0):
        raise ModelError(f"objective {name!r} does not match num_class {n_class}")
    names = _string_list(learner["feature_names"], "learner.feature_names")
    types = _string_list(learner["feature_types"], "learner.feature_types")
    for what, values in (("feature_names", names), ("feature_types", types)):
        if values and len(values) != n_feature:
            raise ModelError(
                f"'learner.{what}' has {len(values)} entries for {n_feature} features"
            )
    if any(t not in ("q", "c", "float", "int", "i") for t in types):
        raise ModelError("'learner.feature_types' holds a type XGBoost does not write")
    attributes = _strings(learner["attributes"], "learner.attributes")
    booster = _dict(learner["gradient_booster"], "learner.gradient_booster")
    kind = booster.get("name")
    weight_drop = None
    if kind == "dart":
        booster = _dict(booster, "learner.gradient_booster",
                        {"name": True, "gbtree": True, "weight_drop": True})
        weight_drop = _array(booster["weight_drop"], "gradient_booster.weight_drop", "float")
        inner = _dict(booster["gbtree"], "gradient_booster.gbtree", {"name": True, "model": True})
        if inner["name"] != "gbtree":
            raise ModelError("'gradient_booster.gbtree.name' must be 'gbtree'")
        model = inner["model"]
    elif kind == "gbtree":
        booster = _dict(booster, "learner.gradient_booster", {"name": True, "model": True})
        model = booster["model"]
    elif kind == "gblinear":
        raise TypeError("a gblinear model has no trees")
    else:
        raise ModelError(f"'learner.gradient_booster.name' is {kind!r}, not gbtree or dart")
    model = _dict(model, "gradient_booster.model", {
        "gbtree_model_param": True, "iteration_indptr": False, "tree_info": True,
        "trees": True, "cats": False,
    })
    booster_param = _strings(model["gbtree_model_param"], "gbtree_model_param")
    n_trees = _count(booster_param.get("num_trees"), "gbtree_model_param.num_trees", high=10**7)
    if not isinstance(model["trees"], list) or len(model["trees"]) != n_trees:
        raise ModelError(f"'gradient_booster.model.trees' must be a list of {n_trees} trees")
    n_outputs = max(n_class, 1)
    tree_info = _array(model["tree_info"], "gradient_booster.model.tree_info", "int")
    if len(tree_info) != n_trees or np.any((tree_info < 0) | (tree_info >= n_outputs)):
        raise ModelError(
            f"'gradient_booster.model.tree_info' must give one output in [0, {n_outputs}) "
            "per tree"
        )
    per_iteration = n_outputs * _count(
        booster_param.get("num_parallel_tree", "1"), "gbtree_model_param.num_parallel_tree",
        low=1, high=10**6,
    )
    indptr = np.minimum(np.arange(0, n_trees + per_iteration, per_iteration), n_trees)
    if "iteration_indptr" in model:
        indptr = _array(model["iteration_indptr"], "gradient_booster.model.iteration_indptr",
                        "int")
        if (
            len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != n_trees
            or np.any(np.diff(indptr) < 0)
        ):
            raise ModelError("'gradient_booster.model.iteration_indptr' must rise from 0 to "
                             "the number of trees")
    if weight_drop is not None and len(weight_drop) != n_trees:
        raise ModelError("'gradient_booster.weight_drop' must have one weight per tree")
    trees = [
        _tree(t, i, n_feature) for i, t in enumerate(model["trees"])
    ]
    base = _floats(param["base_score"], "learner.learner_model_param.base_score")
    if len(base) not in (1, n_outputs):
        raise ModelError(f"'base_score' has {len(base)} values for {n_outputs} outputs")
    if "best_iteration" in attributes:
        _count(attributes["best_iteration"], "learner.attributes.best_iteration",
               high=max(len(indptr) - 2, 0))
    classes = objective.get("softmax_multiclass_param", {}).get("num_class")
    if classes is not None and _count(classes, "objective num_class") != n_class:
        raise ModelError(f"the objective's num_class {classes} is not the model's {n_class}")
    cats = None
    if "cats" in model:
        cats = _check_cats(model["cats"], n_feature, types)
    return Document(
        version=list(version), objective=objective, learner_param=param,
        feature_names=names, feature_types=types, attributes=attributes, booster=kind,
        trees=trees, tree_info=tree_info, iteration_indptr=indptr,
        booster_param=booster_param, weight_drop=weight_drop, cats=cats,
        indptr_given="iteration_indptr" in model, base_score=base,
    )


def _tree(value: Any, index: int, n_feature: int) -> Tree:
    where = f"gradient_booster.model.trees[{index}]"
    keys = {key: True for key in _TREE_KEYS} | {"id": True, "tree_param": True}
    tree = _dict(value, where, keys)
    ident = tree["id"]
    if type(ident) is not int or ident != index:  # XGBoost places each tree by its id
        raise ModelError(f"'{where}.id' must be {index}, its place in the list")
    params = _strings(tree["tree_param"], f"{where}.tree_param")
    if set(params) - set(_TREE_PARAMS) or "num_nodes" not in params:
        raise ModelError(f"'{where}.tree_param' must hold {list(_TREE_PARAMS)}")
    n = _count(params["num_nodes"], f"{where}.tree_param.num_nodes", low=1, high=2**30)
    for key in _TREE_PARAMS:
        if key in params:
            _count(params[key], f"{where}.tree_param.{key}", high=2**31 - 1)
    if int(params.get("size_leaf_vector", "1")) > 1:
        raise TypeError("multi-target trees (multi_strategy='multi_output_tree')")
    arrays = {key: _array(tree[key], f"{where}.{key}", kind) for key, kind in _TREE_KEYS.items()}
    for key in _TREE_KEYS:
        if not key.startswith("categories") and len(arrays[key]) != n:
            raise ModelError(f"'{where}.{key}' has {len(arrays[key])} entries for {n} nodes")
    left, right = arrays["left_children"], arrays["right_children"]
    if np.any((left < -1) | (left >= n) | (right < -1) | (right >= n)) or np.any(
        (left < 0) != (right < 0)
    ):
        raise ModelError(f"'{where}' has a child outside the tree, or a node with one child")
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    level = np.array([0])
    while level.size:
        inner = level[left[level] >= 0]
        kids = np.concatenate([left[inner], right[inner]])
        if np.any(seen[kids]) or len(np.unique(kids)) != len(kids):
            raise ModelError(f"'{where}' is not a tree: a node is reached twice")
        seen[kids] = True
        if np.any(arrays["parents"][left[inner]] != inner) or np.any(
            arrays["parents"][right[inner]] != inner
        ):
            raise ModelError(f"'{where}.parents' does not match its children")
        level = kids
    if arrays["parents"][0] != _NO_PARENT:
        raise ModelError(f"'{where}.parents' must mark node 0 as the root")
    inner = seen & (left >= 0)
    feature, kind = arrays["split_indices"], arrays["split_type"]
    outside = (feature < 0) | (feature >= n_feature)
    if np.any(outside & (seen | (feature != _NO_PARENT))):  # deleted nodes: 2**31 - 1
        raise ModelError(f"'{where}.split_indices' reads a feature outside [0, {n_feature})")
    if np.any((kind != 0) & (kind != 1)) or np.any(
        (arrays["default_left"] != 0) & (arrays["default_left"] != 1)
    ):
        raise ModelError(f"'{where}' has a split type or default direction not 0 or 1")
    if np.any((left < 0) & (kind != 0)):
        raise ModelError(f"'{where}.split_type' marks a leaf as a categorical split")
    _check_categories(arrays, where, np.flatnonzero((left >= 0) & (kind == 1)))
    return Tree(arrays=arrays, params=params, id=ident)


def _check_categories(arrays: dict[str, np.ndarray], where: str, split_nodes: np.ndarray) -> None:
    """The category sets of the categorical splits, laid out exactly as XGBoost writes them
    (XGBoost reads them without checking and aborts the process on a wrong layout)."""
    nodes, segments = arrays["categories_nodes"], arrays["categories_segments"]
    sizes, categories = arrays["categories_sizes"], arrays["categories"]
    if not len(nodes) == len(segments) == len(sizes):
        raise ModelError(f"'{where}.categories_nodes', '_segments' and '_sizes' differ in length")
    if not np.array_equal(nodes, split_nodes):
        raise ModelError(f"'{where}.categories_nodes' must list the categorical splits in order")
    starts = np.cumsum(sizes) - sizes
    if np.any(sizes < 0) or not np.array_equal(segments, starts) or sizes.sum() != len(
        categories
    ):
        raise ModelError(f"'{where}.categories_segments' and '_sizes' do not tile its categories")
    if np.any((categories < 0) | (categories >= MAX_CATEGORY)):
        raise ModelError(f"'{where}.categories' holds a category outside [0, 2**24)")
    rising = np.diff(categories) > 0
    rising[starts[1:][sizes[1:] > 0] - 1] = True  # a new segment may start lower
    if not rising.all():
        raise ModelError(f"'{where}.categories' must rise within each split's set")


#: category encoder value types XGBoost writes (pandas integer categories): type -> bounds
_ENCODER_TYPES = {9: (-(2**7), 2**7 - 1), 10: (0, 2**8 - 1), 13: (-(2**31), 2**31 - 1),
                  15: (-(2**63), 2**63 - 1)}


def _check_cats(value: Any, n_feature: int, types: list[str]) -> dict[str, Any]:
    """The category encoder of XGBoost >= 3.1 (the pandas categories seen in training):
    per feature its categories (whole numbers, or text as bytes with offsets), and per
    feature the order that sorts them (XGBoost searches it; a wrong one aborts)."""
    cats = _dict(value, "gradient_booster.model.cats",
                 {"enc": True, "feature_segments": True, "sorted_idx": True})
    enc = cats["enc"]
    if not isinstance(enc, list) or len(enc) not in (0, n_feature):
        raise ModelError("'cats.enc' must hold one entry per feature")
    segments = _array(cats["feature_segments"], "cats.feature_segments", "int")
    order = _array(cats["sorted_idx"], "cats.sorted_idx", "int")
    if not enc:
        if len(segments) or len(order):
            raise ModelError("'cats' sorts categories it does not have")
        return {"enc": [], "feature_segments": segments, "sorted_idx": order}
    clean: list[dict[str, Any]] = []
    keys: list[list[Any]] = []
    for i, entry in enumerate(enc):
        where = f"cats.enc[{i}]"
        entry = _dict(entry, where, {"type": False, "values": True, "offsets": False})
        if "type" in entry:
            kind = entry["type"]
            if type(kind) is not int or kind not in _ENCODER_TYPES or "offsets" in entry:
                raise ModelError(f"'{where}.type' is not one XGBoost writes for categories")
            values = _array(entry["values"], f"{where}.values", "int")
            low, high = _ENCODER_TYPES[kind]
            if np.any((values < low) | (values > high)):
                raise ModelError(f"'{where}.values' do not fit its type {kind}")
            clean.append({"type": kind, "values": values})
            keys.append(values.tolist())
        elif "offsets" in entry:
            values = _array(entry["values"], f"{where}.values", "int")
            offsets = _array(entry["offsets"], f"{where}.offsets", "int")
            if np.any((values < -128) | (values > 255)):
                raise ModelError(f"'{where}.values' must be the bytes of its categories")
            if len(offsets) and (
                offsets[0] != 0 or offsets[-1] != len(values) or np.any(np.diff(offsets) < 0)
            ):
                raise ModelError(f"'{where}.offsets' must rise from 0 to its length")
            if not len(offsets) and len(values):
                raise ModelError(f"'{where}' has text without offsets")
            raw = bytes((values & 0xFF).astype(np.uint8).tolist())
            keys.append([raw[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
            clean.append({"offsets": offsets, "values": values})
        else:
            raise ModelError(f"'{where}' has neither 'type' nor 'offsets'")
        if keys[-1] and types and types[i] != "c":
            raise ModelError(f"'{where}' gives categories to a numerical feature")
    counts = np.array([len(k) for k in keys], dtype=np.int64)
    if not np.array_equal(segments, np.concatenate([[0], np.cumsum(counts)])):
        raise ModelError("'cats.feature_segments' does not match the features' categories")
    for i, key in enumerate(keys):
        part = order[segments[i] : segments[i + 1]]
        if not np.array_equal(np.sort(part), np.arange(len(key))) or any(
            key[a] >= key[b] for a, b in zip(part[:-1], part[1:], strict=True)
        ):
            raise ModelError(f"'cats.sorted_idx' does not sort the categories of feature {i}")
    return {"enc": clean, "feature_segments": segments, "sorted_idx": order}


# -- the ensemble --------------------------------------------------------------------------


def base_margin(document: Document) -> np.ndarray:
    """The margin every row starts from: ``logit(base_score)`` for binary:logistic."""
    n_outputs = max(int(document.learner_param["num_class"]), 1)
    base = np.broadcast_to(document.base_score, (n_outputs,)).astype(np.float32)
    if OBJECTIVES[document.objective["name"]] == "logistic":
        p = float(base[0])
        if not 0.0 < p < 1.0:
            raise ModelError(f"base_score {p} of a binary:logistic model is not in (0, 1)")
        return np.array([np.float32(-math.log(1.0 / p - 1.0))], dtype=np.float64)
    return base.astype(np.float64)


def category_values(document: Document) -> list[list[Any]] | None:
    """Per categorical feature (in order), its categories in code order, as stored by
    XGBoost >= 3.1 for a model trained on pandas categories (None when not stored).

    Examples
    --------
    >>> import json, numpy as np, pandas as pd, xgboost as xgb
    >>> X = pd.DataFrame({"c": pd.Categorical(["b", "a", "b", "c"]), "x": [0.0, 1, 2, 3]})
    >>> model = xgb.XGBClassifier(n_estimators=1, enable_categorical=True).fit(X, [0, 1, 0, 1])
    >>> category_values(parse_document(json.loads(model.get_booster().save_raw("json"))))
    [['a', 'b', 'c']]
    """
    cats = document.cats
    if not cats or not cats["enc"]:
        return None
    out: list[list[Any]] = []
    for i, entry in enumerate(cats["enc"]):
        if document.feature_types and document.feature_types[i] != "c":
            continue
        if "offsets" in entry:
            raw = bytes((entry["values"] & 0xFF).astype(np.uint8).tolist())
            offsets = entry["offsets"].tolist()
            out.append([raw[a:b].decode("utf-8", "replace")
                        for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
        else:
            out.append(entry["values"].tolist())
    return out


def ensemble_from_document(document: Document, n_trees: int | None = None) -> Ensemble:
    """Flatten the first ``n_trees`` trees (default: all) of a checked document."""
    count = len(document.trees) if n_trees is None else n_trees
    n_outputs = max(int(document.learner_param["num_class"]), 1)
    builder = EnsembleBuilder(n_outputs=n_outputs)
    sets: list[np.ndarray] = []
    for index in range(count):
        tree = document.trees[index]
        weight = 1.0 if document.weight_drop is None else float(document.weight_drop[index])
        _add_tree(builder, tree, int(document.tree_info[index]), weight, sets)
    width = max((int(s.max(initial=-1)) + 1 for s in sets), default=0)
    if width * max(len(sets), 1) > MAX_CATEGORY_CELLS:
        raise TypeError(
            f"categorical splits over {width} categories in {len(sets)} splits: too large a "
            "table to evaluate"
        )
    for categories in sets:
        builder.add_category_set(categories.tolist())
    return builder.build(
        base=base_margin(document),
        link=OBJECTIVES[document.objective["name"]],
        n_classes=document.n_classes,
        n_features=document.n_features,
        float32=True,
        pandas_categorical=category_values(document),
        xgboost_categories=True,
    )


def _add_tree(builder: EnsembleBuilder, tree: Tree, output: int, weight: float,
              sets: list[np.ndarray]) -> None:
    a = tree.arrays
    left, right = a["left_children"].copy(), a["right_children"].copy()
    leaf = left < 0
    condition = a["split_conditions"].astype(np.float32)
    # x < t in float32 holds exactly for the float32 x at or below the float32 before t
    below = np.nextafter(condition, np.float32(-np.inf)).astype(np.float64)
    default_left = a["default_left"].astype(bool)
    category = np.full(len(left), -1, dtype=np.int64)
    categorical = (~leaf) & (a["split_type"] == 1)
    where = {int(node): k for k, node in enumerate(a["categories_nodes"])}
    for node in np.flatnonzero(categorical):
        k = where[int(node)]
        start, size = a["categories_segments"][k], a["categories_sizes"][k]
        category[node] = len(sets)
        sets.append(a["categories"][start : start + size])
    # the listed categories go right in XGBoost; here a category set goes left: swap
    left[categorical], right[categorical] = right[categorical], left[categorical].copy()
    default_left[categorical] = ~default_left[categorical]
    builder.add_tree(
        feature=a["split_indices"],
        threshold=below,
        left=left,
        right=right,
        value=condition.astype(np.float64) * weight,
        output=output,
        default_left=default_left,
        category=category,
    )


# -- models --------------------------------------------------------------------------------


def read_xgboost(model: Any) -> Ensemble:
    """Flatten the trees of an XGBoost ``Booster`` or fitted ``XGBClassifier``.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = xgb.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1).fit(X, y)
    >>> ens = read_xgboost(model)
    >>> ens.n_trees, ens.n_classes, ens.link
    (9, 3, 'softmax')
    >>> bool(np.allclose(ens.predict_proba(X), model.predict_proba(X), atol=1e-6))
    True
    """
    import json

    booster = model
    n_iterations = None
    if type(model).__name__ != "Booster":
        if not hasattr(model, "predict_proba"):
            raise unsupported(model, "an XGBoost regressor or ranker is not a classifier")
        try:
            booster = model.get_booster()
        except Exception:  # xgboost's NotFittedError
            raise ValueError(
                f"This {type(model).__name__} is not fitted yet: fit it before attacking it."
            ) from None
        missing = getattr(model, "missing", np.nan)
        if missing is not None and not (isinstance(missing, float) and math.isnan(missing)):
            raise unsupported(model, f"missing={missing!r}; TreeAttack reads NaN as missing")
        best = getattr(model, "best_iteration", None) if _has_best(model) else None
        if best is not None:
            n_iterations = int(best) + 1
    try:
        document = parse_document(json.loads(bytes(booster.save_raw("json"))))
    except TypeError as exc:
        raise unsupported(model, str(exc)) from None
    n_trees = None
    if n_iterations is not None and n_iterations < len(document.iteration_indptr):
        n_trees = int(document.iteration_indptr[n_iterations])
    return ensemble_from_document(document, n_trees)


def _has_best(model: Any) -> bool:
    try:
        getattr(model, "best_iteration")  # noqa: B009 - a property that raises when unset
    except AttributeError:
        return False
    return True
