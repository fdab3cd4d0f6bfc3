"""Read a CatBoost classifier into an :class:`~._ensemble.Ensemble` from its JSON model.

CatBoost writes its model as JSON (``save_model(..., format="json")``); the reader takes
that document, checked strictly (a model file may be hostile: every index, length and
number is checked before it is used, and a tree's size is bounded by the values the file
itself holds).

Semantics, as CatBoost evaluates them:

- features are rounded to float32 and compared ``x > border`` against float32 borders
  (the split is true, the leaf index bit is 1, when the value is above the border);
- a float feature's ``nan_value_treatment``: ``AsFalse`` (``nan_mode="Min"``) sends NaN
  where the split is false, ``AsTrue`` (``"Max"``) where it is true, ``AsIs`` (a feature
  with no NaN in training) compares NaN as is, which is false;
- oblivious (symmetric) trees: level ``l`` of a tree is one split shared by the whole
  level, and a row's leaf is ``sum(bit_l << l)``; each tree is expanded into ``2**depth``
  leaves (CatBoost's depth is at most 16);
- non-symmetric trees (``grow_policy="Depthwise"`` or ``"Lossguide"``): the split's false
  side is the left child (one-hot splits in them are refused);
- leaf values of a model with ``k`` outputs are stored leaf by leaf, ``k`` values each;
  the raw output is ``scale * sum(leaves) + bias`` (``scale_and_bias``);
- one-hot categorical splits (categorical features with at most ``one_hot_max_size``
  categories) are true when the category's hash equals the split's: each such split
  becomes a categorical split whose set holds one code; the codes of a feature's
  categories are found by asking CatBoost which leaf each category reaches
  (:func:`catboost_category_codes`), so no hash is recomputed here;
- CTR splits (target statistics of categorical features with more categories) depend on
  counters stored in the model and are not attacked exactly: reading such a model is a
  ``TypeError`` that names the features (retrain with a larger ``one_hot_max_size``, or
  use a black-box attack). Text and embedding features are refused the same way.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from ._ensemble import Ensemble, EnsembleBuilder, unsupported

#: CatBoost's largest tree depth
MAX_DEPTH = 16
#: loss function -> link of the raw outputs
_LINKS = {
    "Logloss": "logistic",
    "CrossEntropy": "logistic",
    "MultiClass": "softmax",
    "MultiClassOneVsAll": "ova",
}


class CatBoostModelError(ValueError):
    """A CatBoost JSON model that is malformed (the message says where)."""


def read_catboost(model: Any) -> Ensemble:
    """Flatten the trees of a fitted ``CatBoostClassifier`` (or classifier ``CatBoost``).

    Examples
    --------
    >>> import catboost
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = catboost.CatBoostClassifier(iterations=3, depth=2, verbose=0, thread_count=1,
    ...                                     random_seed=0, allow_writing_files=False).fit(X, y)
    >>> ens = read_catboost(model)
    >>> ens.n_trees, ens.n_classes, ens.link
    (3, 3, 'softmax')
    >>> raw = model.predict(X, prediction_type="RawFormulaVal")
    >>> bool(np.allclose(ens.raw(X), raw, rtol=0, atol=1e-9))
    True
    """
    fitted = getattr(model, "is_fitted", None)
    if fitted is None or not callable(fitted):
        raise unsupported(model)
    if not fitted():
        raise ValueError(
            f"This {type(model).__name__} is not fitted yet: fit it before attacking it."
        )
    with tempfile.TemporaryDirectory(prefix="advval-catboost-") as tmp:
        path = os.path.join(tmp, "model.json")
        model.save_model(path, format="json")
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    reader = _Reader(doc, type(model).__name__, model)
    ensemble = reader.ensemble()
    if reader.one_hot_levels:
        ensemble.encode_categories = _category_encoder(
            model, reader.one_hot_levels, ensemble.n_features, set(reader.cat_flat)
        )
    return ensemble


def ensemble_from_json(
    doc: Any, *, source: str = "the CatBoost model", model: Any = None
) -> Ensemble:
    """The :class:`Ensemble` of a CatBoost JSON model document (already parsed).

    Parameters
    ----------
    doc : dict
        The JSON document (``save_model(..., format="json")``).
    source : str
        What to call the model in errors (a file name or a class name).
    model : object, optional
        The model object, for :func:`~._ensemble.unsupported` messages.

    Raises
    ------
    CatBoostModelError
        A malformed document (a ``ValueError``): the message says which entry.
    TypeError
        A model that cannot be attacked exactly (CTR, text or embedding features, or a
        loss that is not a classification loss).

    Examples
    --------
    One tree of one split ``x > 0.5`` (NaN counts as below, ``nan_mode="Min"``), leaves
    -1 and 2, bias 0.25:

    >>> doc = {
    ...     "features_info": {"float_features": [{
    ...         "feature_index": 0, "flat_feature_index": 0, "borders": [0.5],
    ...         "nan_value_treatment": "AsFalse"}]},
    ...     "model_info": {"params": {"loss_function": {"type": "Logloss"}}},
    ...     "oblivious_trees": [{"leaf_values": [-1.0, 2.0], "splits": [{
    ...         "split_type": "FloatFeature", "float_feature_index": 0, "border": 0.5}]}],
    ...     "scale_and_bias": [1.0, [0.25]],
    ... }
    >>> ensemble_from_json(doc).raw(np.array([[0.5], [0.6], [np.nan]]))[:, 0].tolist()
    [-0.75, 2.25, -0.75]
    """
    reader = _Reader(doc, source, model)
    return reader.ensemble()


class _Reader:
    """Checks and reads one document; every error names ``source`` and the entry."""

    def __init__(self, doc: Any, source: str, model: Any) -> None:
        self.doc = doc
        self.source = source
        self.model = model

    # -- errors ------------------------------------------------------------------------

    def bad(self, where: str, why: str) -> CatBoostModelError:
        return CatBoostModelError(
            f"malformed CatBoost model ({self.source}): {where}: {why}"
        )

    def cannot(self, why: str) -> TypeError:
        if self.model is not None:
            return unsupported(self.model, why)
        return TypeError(
            f"TreeAttack cannot read the trees of {self.source} ({why}). Use a black-box "
            "attack (HopSkipJump, SquareAttack) for this model."
        )

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(obj, dict):
            raise self.bad(where, "expected an object")
        if key not in obj:
            raise self.bad(where, f"missing {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.bad(f"{where}.{key}", f"expected {_kind_name(kind)}, got {_show(value)}")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.bad(where, f"expected a number, got {_show(value)}")
        out = float(value)
        if not math.isfinite(out):
            raise self.bad(where, f"not a finite number: {value!r}")
        return out

    def index(self, value: Any, size: int, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise self.bad(where, f"expected an index in [0, {size}), got {_show(value)}")
        return value

    # -- the document ------------------------------------------------------------------

    def ensemble(self) -> Ensemble:
        doc = self.doc
        if not isinstance(doc, dict):
            raise self.bad("the document", "expected a JSON object")
        info = self.get(doc, "features_info", dict, "the document")
        self.read_features(info)
        link, dims, n_classes = self.read_loss(doc)
        scale, bias = self.read_scale_and_bias(doc, dims)
        builder = EnsembleBuilder(n_outputs=dims)
        if "oblivious_trees" in doc:
            trees = self.get(doc, "oblivious_trees", list, "the document")
            for t, tree in enumerate(trees):
                self.add_oblivious(builder, tree, t, dims, scale)
        elif "trees" in doc:
            trees = self.get(doc, "trees", list, "the document")
            for t, tree in enumerate(trees):
                self.add_nonsymmetric(builder, tree, f"trees[{t}]", dims, scale)
        else:
            raise self.bad("the document", "no 'oblivious_trees' or 'trees'")
        if not builder.parts:
            raise self.bad("the document", "the model has no trees")
        ensemble = builder.build(
            base=np.asarray(bias, dtype=np.float64),
            link=link,
            n_classes=n_classes,
            n_features=self.n_features,
            float32=True,
        )
        return ensemble

    def read_features(self, info: dict[str, Any]) -> None:
        for kind in ("text_features", "embedding_features"):
            if info.get(kind):
                raise self.cannot(f"it reads {kind.replace('_', ' ')}")
        floats = info.get("float_features", [])
        cats = info.get("categorical_features", [])
        if not isinstance(floats, list) or not isinstance(cats, list):
            raise self.bad("features_info", "float_features and categorical_features must be lists")
        n_declared = len(floats) + len(cats)
        # CatBoost numbers every split a model can make (``split_index``): the borders of
        # each float feature in order, then the one-hot values of each categorical one
        self.slots: dict[tuple[str, int, float], int] = {}
        self.float_flat: list[int] = []
        self.float_borders: list[np.ndarray] = []
        self.float_nan: list[str] = []
        for i, feat in enumerate(floats):
            where = f"features_info.float_features[{i}]"
            position = self.get(feat, "feature_index", int, where)
            self.index(position, len(floats), where + ".feature_index")
            if feat["feature_index"] != i:
                raise self.bad(where, "feature_index out of order")
            self.float_flat.append(
                self.index(self.get(feat, "flat_feature_index", int, where), n_declared, where)
            )
            treatment = feat.get("nan_value_treatment", "AsIs")
            if treatment not in ("AsIs", "AsFalse", "AsTrue"):
                raise self.bad(where + ".nan_value_treatment", f"unknown value {_show(treatment)}")
            self.float_nan.append(treatment)
            if not isinstance(feat.get("has_nans", False), bool):
                raise self.bad(where + ".has_nans", "expected true or false")
            borders = feat.get("borders", [])
            if not isinstance(borders, list):
                raise self.bad(where + ".borders", "expected a list")
            previous = -math.inf
            for k, border in enumerate(borders):
                at = f"{where}.borders[{k}]"
                value = self.float32(border, at)
                if value <= previous:
                    raise self.bad(at, "borders must increase")
                previous = value
                self.slots[("float", i, value)] = len(self.slots)
        self.cat_flat: list[int] = []
        self.cat_names: list[str] = []
        for i, feat in enumerate(cats):
            where = f"features_info.categorical_features[{i}]"
            position = self.get(feat, "feature_index", int, where)
            self.index(position, len(cats), where + ".feature_index")
            if feat["feature_index"] != i:
                raise self.bad(where, "feature_index out of order")
            self.cat_flat.append(
                self.index(self.get(feat, "flat_feature_index", int, where), n_declared, where)
            )
            self.cat_names.append(str(feat.get("feature_id") or feat.get("feature_name") or ""))
        for i, feat in enumerate(cats):  # one-hot values are numbered after every border
            values = feat.get("values", [])
            if not isinstance(values, list):
                raise self.bad(f"features_info.categorical_features[{i}].values", "expected a list")
            for k, value in enumerate(values):
                at = f"features_info.categorical_features[{i}].values[{k}]"
                key = ("cat", i, self.hash32(value, at))
                if key in self.slots:
                    raise self.bad(at, "a value is listed twice")
                self.slots[key] = len(self.slots)
        flat = self.float_flat + self.cat_flat
        if len(set(flat)) != len(flat):
            raise self.bad("features_info", "two features share a flat_feature_index")
        self.n_features = n_declared
        # one-hot split values per flat feature index, in order of first use
        self.one_hot_values: dict[int, list[int]] = {}
        # (tree, level, column, code) of every one-hot split of a symmetric tree
        self.one_hot_levels: list[tuple[int, int, int, int]] = []
        ctrs = info.get("ctrs")
        if ctrs:
            used: set[int] = set()
            for ctr in ctrs if isinstance(ctrs, list) else []:
                elements = ctr.get("elements", []) if isinstance(ctr, dict) else []
                for element in elements if isinstance(elements, list) else []:
                    index = element.get("cat_feature_index") if isinstance(element, dict) else None
                    if isinstance(index, int) and 0 <= index < len(self.cat_flat):
                        used.add(index)
            raise self.ctr_error(sorted(used) or list(range(len(self.cat_flat))))

    def ctr_error(self, which: list[int] | None = None) -> TypeError:
        which = list(range(len(self.cat_flat))) if which is None else which
        names = [
            f"{self.cat_names[c] or 'column'} (column {self.cat_flat[c]})" for c in which
        ]
        return self.cannot(
            "its trees split on CTR target statistics of categorical features "
            f"{', '.join(names) or ''}, computed from counters stored in the model; those "
            "cannot be attacked exactly. Retrain with one_hot_max_size at least the "
            "number of categories (one-hot splits are attacked exactly), drop the "
            "features, or use a black-box attack"
        )

    def read_loss(self, doc: dict[str, Any]) -> tuple[str, int, int]:
        info = doc.get("model_info", {})
        params = info.get("params", {}) if isinstance(info, dict) else {}
        loss = params.get("loss_function", {}) if isinstance(params, dict) else {}
        name = loss.get("type") if isinstance(loss, dict) else None
        classes = info.get("class_params", {}) if isinstance(info, dict) else {}
        names = classes.get("class_names") if isinstance(classes, dict) else None
        if name is None:
            raise self.cannot("its loss function is not recorded (model_info.params)")
        link = _LINKS.get(str(name))
        if link is None:
            raise self.cannot(f"loss function {name!r} is not a classification loss")
        if link == "logistic":
            return link, 1, 2
        if not isinstance(names, list) or len(names) < 2:
            raise self.bad("model_info.class_params.class_names", "expected the class names")
        return link, len(names), len(names)

    def read_scale_and_bias(self, doc: dict[str, Any], dims: int) -> tuple[float, list[float]]:
        pair = doc.get("scale_and_bias", [1.0, [0.0] * dims])
        if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[1], list):
            raise self.bad("scale_and_bias", "expected [scale, [bias, ...]]")
        scale = self.number(pair[0], "scale_and_bias[0]")
        bias = [self.number(b, f"scale_and_bias[1][{k}]") for k, b in enumerate(pair[1])]
        if len(bias) == 0:
            bias = [0.0] * dims
        if len(bias) != dims:
            raise self.bad("scale_and_bias[1]", f"expected {dims} bias values, got {len(bias)}")
        return scale, bias

    # -- splits ------------------------------------------------------------------------

    def split(self, split: Any, where: str) -> tuple[int, float, bool, int]:
        """``(flat feature, border, NaN goes where the split is true, one-hot value)``.

        ``one-hot value`` is ``-1`` for a float split (CatBoost's hashes are unsigned
        32-bit numbers here).
        """
        kind = self.get(split, "split_type", str, where)
        if kind == "FloatFeature":
            f = self.index(
                self.get(split, "float_feature_index", int, where), len(self.float_flat),
                where + ".float_feature_index",
            )
            border = self.float32(split.get("border"), where + ".border")
            self.slot(split, where)
            return self.float_flat[f], border, self.float_nan[f] == "AsTrue", -1
        if kind == "OneHotFeature":
            c = self.index(
                self.get(split, "cat_feature_index", int, where), len(self.cat_flat),
                where + ".cat_feature_index",
            )
            value = self.hash32(self.get(split, "value", int, where), where + ".value")
            self.slot(split, where)
            flat = self.cat_flat[c]
            values = self.one_hot_values.setdefault(flat, [])
            if value not in values:
                values.append(value)
            return flat, math.inf, False, value
        if kind in ("OnlineCtr", "Ctr"):
            raise self.ctr_error()
        raise self.cannot(f"split type {kind!r}")

    def slot(self, split: dict[str, Any], where: str) -> int:
        """The ``split_index`` of a checked float or one-hot split: its border (value)
        must be one the feature lists, and a ``split_index`` in the file must agree."""
        if split["split_type"] == "FloatFeature":
            key = ("float", split["float_feature_index"], float(split["border"]))
            what = "border is not among the feature's borders"
        else:
            key = ("cat", split["cat_feature_index"], split["value"] & 0xFFFFFFFF)
            what = "value is not among the feature's one-hot values"
        index = self.slots.get(key)
        if index is None:
            raise self.bad(where, f"the split's {what}")
        given = split.get("split_index", index)
        if isinstance(given, bool) or given != index:
            raise self.bad(where + ".split_index", f"expected {index}, got {_show(given)}")
        return index

    def float32(self, value: Any, where: str) -> float:
        out = self.number(value, where)
        if abs(out) > float(np.finfo(np.float32).max):
            raise self.bad(where, f"not a float32 number: {value!r}")
        if float(np.float32(out)) != out:
            raise self.bad(where, f"{value!r} is not a float32 value")
        return out

    def hash32(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**32:
            raise self.bad(where, f"not a 32-bit hash: {_show(value)}")
        return value & 0xFFFFFFFF

    def code(self, flat: int, value: int) -> int:
        return self.one_hot_values[flat].index(value)

    def add_oblivious(
        self, builder: EnsembleBuilder, tree: Any, t: int, dims: int, scale: float
    ) -> None:
        where = f"oblivious_trees[{t}]"
        splits = self.get(tree, "splits", list, where)
        depth = len(splits)
        if depth > MAX_DEPTH:
            raise self.bad(where + ".splits", f"depth {depth} is above CatBoost's {MAX_DEPTH}")
        raw = self.get(tree, "leaf_values", list, where)
        if len(raw) != dims << depth:
            raise self.bad(
                where + ".leaf_values",
                f"expected {dims << depth} values (2**{depth} leaves x {dims}), got {len(raw)}",
            )
        values = np.array(
            [self.number(v, f"{where}.leaf_values[{i}]") for i, v in enumerate(raw)]
        ).reshape(1 << depth, dims) * scale
        read = [self.split(s, f"{where}.splits[{level}]") for level, s in enumerate(splits)]
        n_inner = (1 << depth) - 1
        n = 2 * n_inner + 1
        heap = np.arange(n)
        level = np.floor(np.log2(heap + 1)).astype(np.int64)
        inner = heap < n_inner
        feature = np.zeros(n, dtype=np.int64)
        threshold = np.full(n, np.inf)
        default_left = np.zeros(n, dtype=bool)
        category = np.full(n, -1, dtype=np.int64)
        # child0 / child1: where the split is false / true
        child0 = np.where(inner, 2 * heap + 1, -1)
        child1 = np.where(inner, 2 * heap + 2, -1)
        left, right = child0.copy(), child1.copy()
        for lv, (flat, border, nan_true, hashed) in enumerate(read):
            at = inner & (level == lv)
            feature[at] = flat
            if hashed < 0:
                threshold[at] = border
                default_left[at] = not nan_true
            else:
                code = self.code(flat, hashed)
                self.one_hot_levels.append((t, lv, flat, code))
                category[at] = builder.add_category_set([code])
                left[at], right[at] = child1[at], child0[at]  # in the set: the split is true
        # heap leaf r (root decision as its highest bit) is CatBoost's leaf bit-reversed
        r = np.arange(1 << depth)
        index = np.zeros_like(r)
        for lv in range(depth):
            index |= ((r >> (depth - 1 - lv)) & 1) << lv
        value = np.zeros((n, dims))
        value[n_inner:] = values[index]
        builder.add_tree(
            feature=feature, threshold=threshold, left=left, right=right, value=value,
            default_left=default_left, category=category,
        )

    def add_nonsymmetric(
        self, builder: EnsembleBuilder, tree: Any, where: str, dims: int, scale: float
    ) -> None:
        feature: list[int] = []
        threshold: list[float] = []
        default_left: list[bool] = []
        category: list[int] = []
        left: list[int] = []
        right: list[int] = []
        value: list[list[float]] = []
        stack: list[tuple[Any, int, bool, str]] = [(tree, -1, True, where)]
        while stack:
            node, parent, false_side, at = stack.pop()
            i = len(feature)
            if i >= 1 << (MAX_DEPTH + 1):
                raise self.bad(where, "more nodes than a tree of CatBoost's depth can have")
            if parent >= 0:
                # a parent's false side is stored in ``left`` (swapped below for one-hot)
                (left if false_side else right)[parent] = i
            feature.append(0)
            threshold.append(math.inf)
            default_left.append(False)
            category.append(-1)
            left.append(-1)
            right.append(-1)
            if not isinstance(node, dict):
                raise self.bad(at, "expected an object")
            if "split" in node:
                flat, border, nan_true, hashed = self.split(node["split"], at + ".split")
                feature[i] = flat
                threshold[i] = border
                default_left[i] = not nan_true
                if hashed >= 0:
                    raise self.cannot(
                        "one-hot categorical splits in non-symmetric trees (grow_policy "
                        "Depthwise or Lossguide); TreeAttack reads them in symmetric trees"
                    )
                value.append([0.0] * dims)
                stack.append((node.get("right"), i, False, at + ".right"))
                stack.append((node.get("left"), i, True, at + ".left"))
            elif "value" in node:
                leaf = node["value"]
                leaf = leaf if isinstance(leaf, list) else [leaf]
                if len(leaf) != dims:
                    raise self.bad(at + ".value", f"expected {dims} values, got {len(leaf)}")
                value.append([self.number(v, at + ".value") * scale for v in leaf])
            else:
                raise self.bad(at, "a node needs a 'split' or a 'value'")
        cat = np.asarray(category)
        lo, hi = np.asarray(left), np.asarray(right)
        swap = cat >= 0
        lo[swap], hi[swap] = hi[swap], lo[swap].copy()
        builder.add_tree(
            feature=feature, threshold=threshold, left=lo, right=hi,
            value=np.asarray(value, dtype=np.float64).reshape(len(feature), dims),
            default_left=default_left, category=cat,
        )


def _category_encoder(
    model: Any, levels: list[tuple[int, int, int, int]], n_features: int, cats: set[int]
) -> Callable[[int, list[Any]], np.ndarray]:
    """A function giving, for column ``j`` and its category values, what the ensemble
    reads: codes for CatBoost's categorical features (see
    :func:`catboost_category_codes`), the values as numbers for its float features."""

    def encode(j: int, values: list[Any]) -> np.ndarray:
        if j in cats:
            return catboost_category_codes(model, levels, n_features, j, values)
        try:
            return np.array([float(v) for v in values], dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"TreeAttack: column {j} holds categories such as {values[0]!r}, but the "
                "CatBoost model reads it as a number (it is not one of its cat_features)."
            ) from None

    return encode


def catboost_category_codes(
    model: Any, levels: list[tuple[int, int, int, int]], n_features: int, j: int,
    values: list[Any],
) -> np.ndarray:
    """The code of each category value of column ``j`` in the one-hot splits of a model.

    CatBoost compares a hash of the category's text; rather than recompute it, the
    values are sent through the model (``calc_leaf_indexes``) and the leaf bits of the
    one-hot splits on column ``j`` (``levels``: tree, level, column, code) say which
    split value each equals. Values equal to none get NaN (every one-hot split on the
    column is false for them).
    """
    out = np.full(len(values), np.nan)
    mine = [(t, level, code) for t, level, flat, code in levels if flat == j]
    if not mine or not values:
        return out
    import catboost
    import pandas as pd

    cat_index = [int(i) for i in model.get_cat_feature_indices()]
    names = list(getattr(model, "feature_names_", None) or range(n_features))
    columns: dict[Any, Any] = {}
    for c in range(n_features):
        if c == j:
            columns[names[c]] = [v if isinstance(v, (int, np.integer)) else str(v) for v in values]
        elif c in cat_index:
            columns[names[c]] = ["0"] * len(values)
        else:
            columns[names[c]] = np.zeros(len(values))
    pool = catboost.Pool(pd.DataFrame(columns), cat_features=cat_index)
    leaves = np.asarray(model.calc_leaf_indexes(pool), dtype=np.int64)
    for t, level, code in mine:
        out[((leaves[:, t] >> level) & 1).astype(bool)] = code
    return out


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def one_hot_tables(ensemble: Ensemble, domain: Any) -> dict[int, np.ndarray]:
    """TreeAttack's category tables for a CatBoost model: per categorical column of the
    data, the code the one-hot splits read for each of its categories (NaN: none).

    Raises
    ------
    TypeError
        When a column the model splits on by category is not a categorical column of the
        data (give it as strings, integers or a pandas ``category`` column in a DataFrame).
    """
    encode = ensemble.encode_categories
    assert encode is not None
    split_on = sorted(set(ensemble.feature[(~ensemble.leaf) & (ensemble.category >= 0)].tolist()))
    missing = [j for j in split_on if j not in domain.categories]
    if missing:
        names = [str(domain.feature_names[j]) for j in missing]
        raise TypeError(
            f"TreeAttack: the CatBoost model splits on categorical feature(s) {names} by "
            "category, but the data does not hold them as categories. Pass a DataFrame "
            "whose categorical columns hold the values CatBoost was trained on (strings, "
            "integers or a pandas 'category' column)."
        )
    return {j: encode(j, list(allowed)) for j, allowed in domain.categories.items()}
