"""ONNX tree ensembles (``ai.onnx.ml`` TreeEnsembleClassifier / TreeEnsembleRegressor, and
the opset-5 TreeEnsemble), read by structure into an :class:`~._ensemble.Ensemble` and run
by onnxruntime. Classifiers are attacked; regressors (and TreeEnsemble, which has no class
labels) are read exactly but refused by :class:`OnnxTreeClassifier`.

What onnxruntime computes, and how it is read:

- a split compares the input in the tree operator's input type (float32 for skl2onnx and
  onnxmltools exports), against a threshold stored as a float32 (or a double tensor):
  ``BRANCH_LEQ`` / ``BRANCH_LT`` / ``BRANCH_GTE`` / ``BRANCH_GT`` become one ``x <= t``
  node (``x < t`` is ``x <= `` the float just below ``t``; ``>`` and ``>=`` swap the
  children), ``BRANCH_EQ`` / ``BRANCH_NEQ`` two nodes (the interval ``(prev(t), t]``); NaN
  takes the true branch where ``nodes_missing_value_tracks_true`` is set (and always for
  ``NEQ``), the false branch otherwise;
- leaves add ``class_weights`` (``target_weights``) to their class's sum, ``base_values``
  are added once; a regressor's ``AVERAGE`` divides by the number of trees;
- a classifier with two classes whose weights all go to one class has one score ``s``:
  probabilities ``[1 - s, s]`` when every weight is non-negative (class 1 when
  ``s > 0.5``; ``[1 - sigmoid(s), sigmoid(s)]`` after ``LOGISTIC``), else ``[-s, s]`` or,
  after ``LOGISTIC``, ``[sigmoid(-s), sigmoid(s)]`` (class 1 when ``s > 0``); otherwise one
  score per class, through the post-transform (``NONE``, ``LOGISTIC``, ``SOFTMAX``,
  ``SOFTMAX_ZERO``), all of which keep the order of the scores (``SOFTMAX_ZERO`` differs
  from softmax only where a score is exactly 0). ``PROBIT`` classifiers are refused
  (onnxruntime's output is not one score per class).

- a classifier with two classes and weights for both (onnxmltools' export of an XGBoost
  ``multi:softprob`` model with two classes, for one) is read as onnxruntime runs it: with two
  base values, class 1 scores ``base[1]`` plus the class-0 sum and class 0 its negative (the
  class-1 weights and ``base[0]`` are not read), ``(-s, s)`` through the post-transform;
  with one base value, it is added to class 0. Such a layout must give every row a class-1
  weight (some tree has one at each leaf): onnxruntime scores rows that reach none another
  way, and those models are refused.

Every model is checked at load: the parsed probabilities and classes are compared with
onnxruntime's on rows at, just below and just above every threshold, NaN, and random rows;
a model whose trees are read differently from how onnxruntime runs them is refused (it
can still be attacked as a black box).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._model_files._onnx import TREE_OPS
from ._ensemble import Ensemble, EnsembleBuilder

#: more nodes than any real export has (bounds the work a hostile file can ask for)
MAX_NODES = 50_000_000
#: more features / classes than any real tree model reads
MAX_FEATURES = 1_000_000
MAX_CLASSES = 100_000
#: the most (node, output) cells of the parsed leaf values (float64: 1.6 GB)
MAX_CELLS = 200_000_000
#: most cells (rows x features) of the rows checked against onnxruntime at load
_CHECK_CELLS = 4_000_000
#: the deepest tree read: onnxruntime builds its trees recursively and overflows the stack
#: (a crash, not an error) somewhere past 10,000 levels; real trees are far shallower
MAX_DEPTH = 2048
_MODES = ("BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "LEAF")
_LEAF = 6
_TRANSFORMS = ("NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT")
_FLOAT, _DOUBLE = 1, 11
#: rows of each kind (boundary, random) the parsed model is checked on at load
CHECK_ROWS = 256


class NotPlainTrees(TypeError):
    """The ONNX graph is not a tree ensemble this reader reproduces exactly."""


@dataclass
class TreeLayout:
    """How the parsed raw outputs become onnxruntime's scores (internal)."""

    kind: str  # "classifier" or "regressor"
    transform: str
    scores: str  # "plain", "one_minus" ([1-s, s]), "mirror" ([-s, s]) or "negated"
    classes: np.ndarray
    tree_node: Any
    float32: bool


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper, numpy_helper

    out: dict[str, Any] = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if attr.type == attr.TENSOR:
            value = numpy_helper.to_array(value)
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode("utf-8", "replace") for v in value]
        out[attr.name] = value
    return out


def _array(attrs: dict[str, Any], name: str, dtype: Any, default: Any = None) -> np.ndarray:
    for key in (f"{name}_as_tensor", name):
        if key in attrs:
            value = np.asarray(attrs[key])
            if value.size > MAX_NODES:
                raise NotPlainTrees(f"attribute {key!r} has {value.size:,} entries")
            try:
                return value.astype(dtype).ravel()
            except (TypeError, ValueError, OverflowError):
                raise NotPlainTrees(f"attribute {key!r} does not hold numbers") from None
    if default is None:
        raise NotPlainTrees(f"the tree operator lacks the attribute {name!r}")
    return np.asarray(default, dtype=dtype)


def tree_node(model: Any) -> tuple[Any, bool]:
    """The graph's one tree operator and whether its splits compare float32 values."""
    graph = model.graph
    trees = [n for n in graph.node if n.op_type in TREE_OPS]
    if len(trees) != 1:
        raise NotPlainTrees(f"the graph has {len(trees)} tree ensemble operators, not one")
    inputs = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    if len(inputs) != 1:
        raise NotPlainTrees(f"the graph has {len(inputs)} inputs; one feature matrix expected")
    elem = inputs[0].type.tensor_type.elem_type
    if elem not in (_FLOAT, _DOUBLE):
        raise NotPlainTrees("the graph input is not a float or double tensor")
    # the chain of Cast / Identity nodes from the input to the trees
    producer = {out: n for n in graph.node for out in n.output}
    name, float32 = trees[0].input[0], elem == _FLOAT
    for _ in range(len(graph.node) + 1):
        if name == inputs[0].name:
            break
        step = producer.get(name)
        if step is None or step.op_type not in ("Cast", "Identity"):
            raise NotPlainTrees("the trees do not read the graph input directly")
        if step.op_type == "Cast":
            to = next((a.i for a in step.attribute if a.name == "to"), 0)
            if to not in (_FLOAT, _DOUBLE):
                raise NotPlainTrees("the input is cast to a type other than float or double")
            float32 = float32 or to == _FLOAT
        name = step.input[0]
    else:
        raise NotPlainTrees("the graph has a cycle")
    return trees[0], float32


def n_input_features(model: Any) -> int | None:
    """The input's declared number of columns (None when not fixed)."""
    graph = model.graph
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 2 and dims[1].HasField("dim_value"):
            return int(dims[1].dim_value)
    return None


def read_onnx_trees(model: Any) -> tuple[Ensemble, TreeLayout]:
    """Read the tree operator of an ONNX ``ModelProto`` into an :class:`Ensemble`.

    Raises
    ------
    NotPlainTrees
        A graph that is not one tree operator on one input, malformed tree attributes
        (unknown ids, cycles, NaN thresholds, ...), or semantics this reader does not
        reproduce (``MIN`` / ``MAX`` aggregation).
    """
    node, float32 = tree_node(model)
    attrs = _attributes(node)
    if node.op_type == "TreeEnsemble":
        attrs = _from_tree_ensemble(attrs)
    classifier = node.op_type == "TreeEnsembleClassifier"
    # float32 thresholds (attributes of floats): compared in float32 with float32 inputs
    float32_thresholds = float32 and not any(
        np.asarray(attrs.get(k)).dtype == np.float64 for k in ("nodes_values_as_tensor",)
        if k in attrs
    )
    prefix = "class" if classifier else "target"
    tree_ids = _array(attrs, "nodes_treeids", np.int64)
    node_ids = _array(attrs, "nodes_nodeids", np.int64)
    n = len(tree_ids)
    features = _array(attrs, "nodes_featureids", np.int64)
    values = _array(attrs, "nodes_values", np.float64)
    true_ids = _array(attrs, "nodes_truenodeids", np.int64)
    false_ids = _array(attrs, "nodes_falsenodeids", np.int64)
    tracks = _array(attrs, "nodes_missing_value_tracks_true", np.int64, np.zeros(n))
    modes_text = list(attrs.get("nodes_modes", []))
    lengths = {len(a) for a in (node_ids, features, values, true_ids, false_ids, modes_text)}
    if n == 0 or lengths != {n} or len(tracks) not in (0, n):
        raise NotPlainTrees("the node attributes have different lengths or no nodes")
    if len(tracks) == 0:
        tracks = np.zeros(n, dtype=np.int64)
    unknown = sorted({str(m) for m in modes_text} - set(_MODES))
    if unknown:
        raise NotPlainTrees(f"unknown node mode(s) {unknown[:5]!r}")
    modes = np.array([_MODES.index(str(m)) for m in modes_text], dtype=np.int64)
    leaf = modes == _LEAF
    if np.isnan(values[~leaf]).any():
        raise NotPlainTrees("a split has a NaN threshold")

    # dense ids: trees 0..T-1, nodes sorted by (tree, node id)
    trees, tree_of = np.unique(tree_ids, return_inverse=True)
    ranks = np.unique(node_ids)
    key = tree_of * len(ranks) + np.searchsorted(ranks, node_ids)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if np.any(sorted_key[1:] == sorted_key[:-1]):
        raise NotPlainTrees("two nodes of one tree have the same id")

    def find(tree: np.ndarray, ids: np.ndarray, what: str) -> np.ndarray:
        rank = np.minimum(np.searchsorted(ranks, ids), len(ranks) - 1)
        wanted = tree * len(ranks) + rank
        pos = np.minimum(np.searchsorted(sorted_key, wanted), n - 1)
        if not (np.all(ranks[rank] == ids) and np.all(sorted_key[pos] == wanted)):
            raise NotPlainTrees(f"{what} names a node its tree does not have")
        return order[pos]

    inner = np.flatnonzero(~leaf)
    true_at = np.full(n, -1, dtype=np.int64)
    false_at = np.full(n, -1, dtype=np.int64)
    true_at[inner] = find(tree_of[inner], true_ids[inner], "a true child")
    false_at[inner] = find(tree_of[inner], false_ids[inner], "a false child")
    _check_trees(true_at, false_at, inner, tree_of, len(trees))

    # leaf weights
    w_tree = _array(attrs, f"{prefix}_treeids", np.int64)
    w_node = _array(attrs, f"{prefix}_nodeids", np.int64)
    w_out = _array(attrs, f"{prefix}_ids", np.int64)
    w_value = _array(attrs, f"{prefix}_weights", np.float64)
    if not len(w_tree) == len(w_node) == len(w_out) == len(w_value):
        raise NotPlainTrees("the weight attributes have different lengths")
    w_tree_dense = np.searchsorted(trees, w_tree)
    if np.any(trees[np.minimum(w_tree_dense, len(trees) - 1)] != w_tree):
        raise NotPlainTrees("a weight names a tree the model does not have")
    w_at = find(w_tree_dense, w_node, "a weight")
    if np.any(~leaf[w_at]):
        raise NotPlainTrees("a weight is attached to a split node")
    base = _array(attrs, "base_values", np.float64, np.zeros(0))
    transform = str(attrs.get("post_transform", "NONE"))
    if transform not in _TRANSFORMS:
        raise NotPlainTrees(f"unknown post_transform {transform!r}")
    if classifier and transform == "PROBIT":
        raise NotPlainTrees(
            "post_transform PROBIT on a classifier: onnxruntime's output is not one score "
            "per class"
        )

    if classifier:
        labels = attrs.get("classlabels_int64s", attrs.get("classlabels_strings"))
        if not labels:
            raise NotPlainTrees("the classifier has no class labels")
        classes = np.asarray(labels)
        n_out = len(classes)
    else:
        classes = np.zeros(0)
        n_out = int(attrs.get("n_targets", 1))
        aggregate = str(attrs.get("aggregate_function", "SUM"))
        if aggregate not in ("SUM", "AVERAGE"):
            raise NotPlainTrees(f"aggregate_function {aggregate!r} is not additive")
        if aggregate == "AVERAGE":
            w_value = w_value / len(trees)
    if not 1 <= n_out <= MAX_CLASSES or np.any((w_out < 0) | (w_out >= n_out)):
        raise NotPlainTrees("a weight names an output the model does not have")

    scores = "plain"
    used = np.unique(w_out)
    both = classifier and n_out == 2 and len(used) == 2
    if both and len(base) in (1, 2) and not _covers_every_row(tree_of, leaf, w_at, w_out, 1):
        raise NotPlainTrees(
            "a two-class model with base values whose class-1 weights are missing from some "
            "leaves (onnxruntime scores the rows that reach none of them another way)"
        )
    if both and len(base) == 2:
        # onnxruntime: class 1 scores base[1] + the class-0 sum, class 0 its negative (the
        # class-1 weights and base[0] are not read)
        scores, outputs, bias = "negated", 1, np.array([base[1]])
        keep = w_out == 0
        w_at, w_out, w_value = w_at[keep], w_out[keep], w_value[keep]
    elif classifier and n_out == 2 and len(used) == 1:
        if used[0] != 0 or len(base) > 1:
            raise NotPlainTrees("a two-class model with weights of class 1 only")
        scores = "one_minus" if bool(np.all(w_value >= 0)) else "mirror"
        outputs, bias = 1, np.array([base[0] if len(base) else 0.0])
        if scores == "one_minus" and transform != "LOGISTIC":
            bias = bias - 0.5  # [1 - s, s]: the larger is class 1 where s > 0.5
        w_out = np.zeros_like(w_out)
    elif both and len(base) == 1:  # onnxruntime adds the one base value to class 0
        outputs, bias = 2, np.array([base[0], 0.0])
    else:
        outputs = n_out
        bias = base if len(base) == n_out else np.zeros(n_out)
        if len(base) not in (0, n_out) and not (len(base) == 1 and n_out == 1):
            raise NotPlainTrees(f"{len(base)} base values for {n_out} outputs")
        if len(base) == 1 and n_out == 1:
            bias = base

    if n * outputs > MAX_CELLS:
        raise NotPlainTrees(
            f"{n:,} nodes x {outputs:,} outputs would need {n * outputs * 8 / 2**30:.0f} GiB"
        )
    leaf_value = np.zeros((n, outputs))
    np.add.at(leaf_value, (w_at, w_out), w_value)
    n_features = n_input_features(model)
    used_features = features[inner]
    if used_features.size and (used_features.min() < 0 or used_features.max() >= MAX_FEATURES):
        raise NotPlainTrees("a split reads a negative or huge feature index")
    needed = int(used_features.max(initial=-1)) + 1
    if n_features is None:
        n_features = needed
    if n_features > MAX_FEATURES:
        raise NotPlainTrees(f"the input declares {n_features:,} columns")
    if needed > n_features:
        raise NotPlainTrees(
            f"a split reads feature {needed - 1} of an input with {n_features} columns"
        )

    builder = EnsembleBuilder(n_outputs=outputs)
    starts = np.searchsorted(tree_of[order], np.arange(len(trees) + 1))
    local = np.empty(n, dtype=np.int64)
    local[order] = np.arange(n) - np.repeat(starts[:-1], np.diff(starts))
    for t in range(len(trees)):
        members = order[starts[t]:starts[t + 1]]
        _add_tree(builder, members, local, modes, values, features, true_at, false_at,
                  tracks, leaf_value, float32_thresholds)
    ensemble = builder.build(
        base=np.asarray(bias, dtype=np.float64),
        link="identity",
        n_classes=max(n_out, 2) if classifier else n_out,
        n_features=n_features,
        float32=float32,
    )
    layout = TreeLayout(
        kind="classifier" if classifier else "regressor", transform=transform, scores=scores,
        classes=classes, tree_node=node, float32=float32,
    )
    return ensemble, layout


def _covers_every_row(
    tree_of: np.ndarray, leaf: np.ndarray, w_at: np.ndarray, w_out: np.ndarray, out: int,
) -> bool:
    """Whether every row reaches a leaf with a weight of output ``out``: some tree has one
    at each of its leaves (onnxruntime tells rows that reach none apart)."""
    has = np.zeros(len(leaf), dtype=bool)
    has[w_at[w_out == out]] = True
    n_trees = int(tree_of.max(initial=-1)) + 1
    leaves = np.bincount(tree_of[leaf], minlength=n_trees)
    covered = np.bincount(tree_of[leaf & has], minlength=n_trees)
    return bool(np.any((leaves > 0) & (covered == leaves)))


_V5_MODES = {0: "BRANCH_LEQ", 1: "BRANCH_LT", 2: "BRANCH_GTE", 3: "BRANCH_GT",
             4: "BRANCH_EQ", 5: "BRANCH_NEQ"}
_V5_AGGREGATE = {0: "AVERAGE", 1: "SUM", 2: "MIN", 3: "MAX"}
_V5_TRANSFORM = {0: "NONE", 1: "SOFTMAX", 2: "LOGISTIC", 3: "SOFTMAX_ZERO", 4: "PROBIT"}


def _from_tree_ensemble(attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes of an ``ai.onnx.ml`` opset-5 ``TreeEnsemble`` in the regressor's form.

    Split nodes keep their index as id; leaf ``k`` becomes node ``n_splits + k``; each node
    gets the tree of the root that reaches it.
    """
    features = _array(attrs, "nodes_featureids", np.int64)
    n = len(features)
    splits = np.asarray(attrs.get("nodes_splits", np.zeros(0)))
    modes = _array(attrs, "nodes_modes", np.int64)
    true_ids = _array(attrs, "nodes_truenodeids", np.int64)
    false_ids = _array(attrs, "nodes_falsenodeids", np.int64)
    true_leaf = _array(attrs, "nodes_trueleafs", np.int64)
    false_leaf = _array(attrs, "nodes_falseleafs", np.int64)
    tracks = _array(attrs, "nodes_missing_value_tracks_true", np.int64, np.zeros(n))
    roots = _array(attrs, "tree_roots", np.int64)
    weights = _array(attrs, "leaf_weights", np.float64)
    targets = _array(attrs, "leaf_targetids", np.int64)
    n_leaves = len(weights)
    arrays = (splits.ravel(), modes, true_ids, false_ids, true_leaf, false_leaf)
    if n == 0 or {len(a) for a in arrays} != {n} or len(targets) != n_leaves:
        raise NotPlainTrees("the node or leaf attributes have different lengths")
    if len(tracks) not in (0, n):
        raise NotPlainTrees("nodes_missing_value_tracks_true has the wrong length")
    bad = sorted(set(modes.tolist()) - set(_V5_MODES))
    if bad:
        raise NotPlainTrees(f"node mode(s) {bad[:5]} (6 is set membership) are not supported")
    for ids, leafy in ((true_ids, true_leaf), (false_ids, false_leaf)):
        limit = np.where(leafy != 0, n_leaves, n)
        if np.any((ids < 0) | (ids >= limit)):
            raise NotPlainTrees("a child index is out of range")
    if len(roots) == 0 or np.any((roots < 0) | (roots >= n)):
        raise NotPlainTrees("a tree root is out of range")
    true_all = np.where(true_leaf != 0, n + true_ids, true_ids)
    false_all = np.where(false_leaf != 0, n + false_ids, false_ids)
    tree = np.full(n + n_leaves, -1, dtype=np.int64)
    level, owner = roots, np.arange(len(roots))
    for _ in range(MAX_DEPTH + 2):
        if not level.size:
            break
        if np.any(tree[level] >= 0) or len(np.unique(level)) < len(level):
            raise NotPlainTrees("a node is reached twice (the trees must be trees)")
        tree[level] = owner
        inner = level < n
        level, owner = level[inner], owner[inner]
        level, owner = np.concatenate([true_all[level], false_all[level]]), np.tile(owner, 2)
    else:
        raise NotPlainTrees(f"a tree is deeper than {MAX_DEPTH} levels")
    if np.any(tree < 0):
        raise NotPlainTrees("a node or leaf no root reaches")
    return {
        "nodes_treeids": tree,
        "nodes_nodeids": np.arange(n + n_leaves),
        "nodes_featureids": np.concatenate([features, np.zeros(n_leaves, np.int64)]),
        ("nodes_values_as_tensor" if splits.dtype == np.float64 else "nodes_values"):
            np.concatenate([splits.astype(np.float64), np.zeros(n_leaves)]),
        "nodes_truenodeids": np.concatenate([true_all, np.zeros(n_leaves, np.int64)]),
        "nodes_falsenodeids": np.concatenate([false_all, np.zeros(n_leaves, np.int64)]),
        "nodes_missing_value_tracks_true": np.concatenate(
            [tracks if len(tracks) else np.zeros(n, np.int64), np.zeros(n_leaves, np.int64)]
        ),
        "nodes_modes": [_V5_MODES[int(m)] for m in modes] + ["LEAF"] * n_leaves,
        "target_treeids": tree[n:],
        "target_nodeids": n + np.arange(n_leaves),
        "target_ids": targets,
        "target_weights": weights,
        "n_targets": int(attrs.get("n_targets", 1)),
        "aggregate_function": _V5_AGGREGATE.get(int(attrs.get("aggregate_function", 1)), "?"),
        "post_transform": _V5_TRANSFORM.get(int(attrs.get("post_transform", 0)), "?"),
    }


def _check_trees(
    true_at: np.ndarray, false_at: np.ndarray, inner: np.ndarray, tree_of: np.ndarray,
    n_trees: int,
) -> None:
    """Every tree is a tree: one root, one parent per other node, every node reached."""
    n = len(true_at)
    children = np.concatenate([true_at[inner], false_at[inner]])
    parents = np.bincount(children, minlength=n)
    if parents.max(initial=0) > 1 or np.any(true_at[inner] == false_at[inner]):
        raise NotPlainTrees("a node has two parents (the trees must be trees)")
    roots = np.flatnonzero(parents == 0)
    if len(roots) != n_trees or len(np.unique(tree_of[roots])) != n_trees:
        raise NotPlainTrees("a tree has no root or several (a cycle or a stray node)")
    reached, level, depth = len(roots), roots, 0
    while level.size:
        level = level[true_at[level] >= 0]
        level = np.concatenate([true_at[level], false_at[level]])
        reached += len(level)
        depth += 1
        if reached > n:
            raise NotPlainTrees("the trees have a cycle")
        if depth > MAX_DEPTH:
            raise NotPlainTrees(f"a tree is deeper than {MAX_DEPTH} levels")
    if reached != n:
        raise NotPlainTrees("a tree has a cycle or nodes its root does not reach")


def _below(t: np.ndarray, float32: bool) -> np.ndarray:
    """The largest value below ``t`` in the compared precision (``x < t`` iff ``x <= it``)."""
    if float32:
        return np.nextafter(t.astype(np.float32), np.float32(-np.inf)).astype(np.float64)
    return np.nextafter(t, -np.inf)


def _add_tree(
    builder: EnsembleBuilder, members: np.ndarray, local: np.ndarray, modes: np.ndarray,
    values: np.ndarray, features: np.ndarray, true_at: np.ndarray, false_at: np.ndarray,
    tracks: np.ndarray, leaf_value: np.ndarray, float32: bool,
) -> None:
    m = len(members)
    mode = modes[members]
    t = values[members].astype(np.float32).astype(np.float64) if float32 else values[members]
    below = _below(t, float32)
    leaf = mode == _LEAF
    T = np.where(leaf, -1, local[np.maximum(true_at[members], 0)])
    F = np.where(leaf, -1, local[np.maximum(false_at[members], 0)])
    nan_true = tracks[members] != 0
    swap = (mode == 2) | (mode == 3)  # GTE, GT: the false branch is "<="
    threshold = np.where((mode == 1) | (mode == 2), below, t)
    left = np.where(swap, F, T)
    right = np.where(swap, T, F)
    default_left = np.where(swap, ~nan_true, nan_true)
    feature = features[members].copy()
    extra = np.flatnonzero((mode == 4) | (mode == 5))  # EQ, NEQ: two nodes each
    j = m + np.arange(len(extra))
    eq = mode[extra] == 4
    # node i: x <= below(t) -> (EQ: false, NEQ: true), else node j; NaN at i: EQ -> j if
    # tracks, else false; NEQ -> true. Node j: x <= t -> (EQ: true, NEQ: false), else the other
    j_left = np.where(eq, T[extra], F[extra])
    j_right = np.where(eq, F[extra], T[extra])
    j_default = np.where(eq, True, False)
    left[extra] = np.where(eq, F[extra], T[extra])
    right[extra] = j
    default_left[extra] = np.where(eq, ~nan_true[extra], True)
    threshold[extra] = below[extra]
    builder.add_tree(
        feature=np.concatenate([np.where(leaf, 0, feature), feature[extra]]),
        threshold=np.concatenate([threshold, t[extra]]),
        left=np.concatenate([left, j_left]),
        right=np.concatenate([right, j_right]),
        value=np.concatenate([leaf_value[members], np.zeros((len(extra), leaf_value.shape[1]))]),
        default_left=np.concatenate([default_left, j_default]),
    )


# -- scores as onnxruntime gives them -----------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def transformed(raw: np.ndarray, layout: TreeLayout) -> np.ndarray:
    """The tree operator's score output from the ensemble's raw outputs."""
    if layout.scores == "one_minus":
        if layout.transform == "LOGISTIC":
            p = _sigmoid(raw[:, 0])
            return np.column_stack([1.0 - p, p])
        s = raw[:, 0] + 0.5
        return np.column_stack([1.0 - s, s])
    if layout.scores == "negated":  # two scores (-s, s) through the post-transform
        raw = np.column_stack([-raw[:, 0], raw[:, 0]])
    elif layout.scores == "mirror":
        s = raw[:, 0]
        if layout.transform == "LOGISTIC":
            return np.column_stack([_sigmoid(-s), _sigmoid(s)])
        return np.column_stack([-s, s])
    if layout.transform == "LOGISTIC":
        return _sigmoid(raw)
    if layout.transform in ("SOFTMAX", "SOFTMAX_ZERO"):
        live = (raw != 0) | (layout.transform == "SOFTMAX")
        shifted = np.where(live, raw, -np.inf)
        top = shifted.max(1, keepdims=True)
        e = np.where(live, np.exp(shifted - np.where(np.isfinite(top), top, 0.0)), 0.0)
        total = e.sum(1, keepdims=True)
        return e / np.where(total == 0, 1.0, total)
    if layout.transform == "PROBIT":
        from scipy.special import erfinv

        with np.errstate(invalid="ignore"):
            return np.sqrt(2.0) * erfinv(2.0 * raw - 1.0)
    return raw


def check_rows(ensemble: Ensemble, rng: np.random.RandomState, n: int = CHECK_ROWS) -> np.ndarray:
    """Rows at, just below and just above the thresholds, with NaN, and random rows."""
    d = ensemble.n_features
    n = max(8, min(n, _CHECK_CELLS // max(d, 1)))
    thresholds = ensemble.numeric_thresholds()
    boundary = np.zeros((n, d))
    spread = np.zeros((n, d))
    for j, cut in enumerate(thresholds):
        cut = cut[np.isfinite(cut)]
        if not cut.size:
            spread[:, j] = rng.normal(size=n)
            continue
        down = np.nextafter(cut.astype(np.float32), np.float32(-np.inf)).astype(np.float64)
        up = np.nextafter(cut.astype(np.float32), np.float32(np.inf)).astype(np.float64)
        near = np.concatenate([cut, down, up, np.nextafter(cut, -np.inf),
                               np.nextafter(cut, np.inf)])
        boundary[:, j] = near[rng.randint(len(near), size=n)]
        low, high = cut.min(), cut.max()
        pad = max(high - low, 1.0) * 0.1
        spread[:, j] = rng.uniform(low - pad, high + pad, size=n)
    boundary[rng.uniform(size=(n, d)) < 0.05] = np.nan
    return np.vstack([boundary, spread])


# -- the loaded model -----------------------------------------------------------------------


class OnnxTreeClassifier:
    """An ONNX tree-ensemble classifier: onnxruntime answers queries, the parsed trees
    serve TreeAttack.

    Made by :func:`advval.attacks.load_model` for an ``.onnx`` file (or
    :meth:`from_bytes`); the graph was checked to be one tree classifier and plain
    operators, and the parsed trees to give onnxruntime's scores on boundary rows.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the order of :meth:`predict_proba`'s columns.
    n_features_in_ : int
    ensemble_ : Ensemble
        The parsed trees (what :class:`~advval.attacks.TreeAttack` reads).
    max_score_gap_ : float
        Largest difference between the parsed and onnxruntime's scores at load.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X = np.random.RandomState(0).normal(size=(80, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    >>> model = OnnxTreeClassifier.from_bytes(to_onnx(forest, X[:1]).SerializeToString())
    >>> model
    OnnxTreeClassifier('<bytes>', 3 trees, 2 classes, 3 features)
    >>> bool(np.allclose(model.predict_proba(X), forest.predict_proba(X), atol=1e-6))
    True
    """

    def __init__(self, data: bytes, name: str = "<bytes>") -> None:
        from .._model_files._onnx import check_onnx_bytes

        proto = check_onnx_bytes(data, name)
        self._data = data
        self.name = name
        self._setup(proto)

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<bytes>") -> OnnxTreeClassifier:
        """Check, parse and load serialized ONNX bytes (``ModelProto.SerializeToString()``)."""
        return cls(bytes(data), name)

    def _setup(self, proto: Any) -> None:
        try:
            ensemble, layout = read_onnx_trees(proto)
        except NotPlainTrees as exc:
            raise ValueError(
                f"cannot attack the ONNX model '{self.name}': not a plain tree ensemble ({exc})"
            ) from None
        if layout.kind != "classifier":
            raise ValueError(
                f"cannot attack the ONNX model '{self.name}': its trees are a "
                "TreeEnsembleRegressor; attacks need a classifier (TreeEnsembleClassifier)"
            )
        self.ensemble_ = ensemble
        self._layout = layout
        self.classes_ = layout.classes
        self.n_features_in_ = ensemble.n_features
        self._dtype = np.float32 if _input_elem(proto) == _FLOAT else np.float64
        self._session, self._outputs = _session(proto, layout.tree_node, self.name)
        self.max_score_gap_ = self._check_parsed()

    def _run(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        data = np.ascontiguousarray(np.asarray(X, dtype=np.float64), dtype=self._dtype)
        if data.ndim != 2 or data.shape[1] != self.n_features_in_:
            raise ValueError(
                f"the ONNX model reads {self.n_features_in_} features; got an array of "
                f"shape {data.shape}"
            )
        final, scores = self._session.run(self._outputs, {self._session.get_inputs()[0].name:
                                                           data})
        return np.asarray(final, dtype=np.float64), np.asarray(scores, dtype=np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The model's probability output (onnxruntime), shape (n_rows, n_classes)."""
        return self._run(X)[0]

    def predict(self, X: Any) -> np.ndarray:
        """The class of the largest probability."""
        return self.classes_[self.predict_proba(X).argmax(1)]

    def parsed_scores(self, X: Any) -> np.ndarray:
        """The tree operator's scores computed from the parsed trees (no onnxruntime)."""
        return transformed(self.ensemble_.raw(X), self._layout)

    def _check_parsed(self) -> float:
        rows = check_rows(self.ensemble_, np.random.RandomState(0))
        final, scores = self._run(rows)
        rows = rows.astype(self._dtype).astype(np.float64)
        mine = self.parsed_scores(rows)
        gap = float(np.max(np.abs(mine - scores), initial=0.0))
        tol = 1e-6 + (2.0**-21 if self._layout.float32 else 1e-12) * self.ensemble_.scale()
        raw = self.ensemble_.scores(self.ensemble_.raw(rows))
        top = np.sort(raw, axis=1)
        clear = (top[:, -1] - top[:, -2]) > 2 * tol
        same = raw.argmax(1) == final.argmax(1)
        if mine.shape != scores.shape or gap > tol or not np.all(same[clear]):
            raise ValueError(
                f"cannot attack the ONNX model '{self.name}' by its trees: the parsed trees "
                f"give scores up to {gap:.3g} away from onnxruntime's (tolerance {tol:.1g}) "
                "on boundary rows; please report this model"
            )
        return gap

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["data"], state["name"])  # type: ignore[misc]

    def __repr__(self) -> str:
        ens = self.ensemble_
        return (
            f"OnnxTreeClassifier({self.name!r}, {ens.n_trees} trees, {len(self.classes_)} "
            f"classes, {ens.n_features} features)"
        )


def _input_elem(proto: Any) -> int:
    init = {t.name for t in proto.graph.initializer}
    return int(next(i for i in proto.graph.input if i.name not in init).type.tensor_type.elem_type)


def _session(proto: Any, node: Any, name: str) -> tuple[Any, list[str]]:
    """An onnxruntime session of the graph with ZipMap outputs read as tensors.

    Returns the session and the names of the final probability output and of the tree
    operator's score output.
    """
    import onnx
    import onnxruntime as ort

    graph = onnx.GraphProto()
    graph.CopyFrom(proto.graph)
    for step in graph.node:  # a ZipMap's list of dicts -> the tensor it was made from
        if step.op_type == "ZipMap":
            step.op_type, step.domain = "Identity", ""
            del step.attribute[:]
    del graph.value_info[:]  # declared types of ZipMap outputs no longer hold
    follows = {node.output[1]}
    for step in graph.node:
        if any(i in follows for i in step.input) and step.op_type in ("Cast", "Identity",
                                                                        "Softmax"):
            follows.update(step.output)
    outputs = [o.name for o in graph.output]
    final = next((o for o in outputs if o in follows), node.output[1])
    del graph.output[:]
    for out in dict.fromkeys([final, node.output[1]]):
        graph.output.append(onnx.helper.make_empty_tensor_value_info(out))
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    model.graph.CopyFrom(graph)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime's own errors on a model it will not run
        text = " ".join(str(exc).split())[:300]
        raise ValueError(f"onnxruntime cannot run the ONNX model '{name}': {text}") from None
    return session, [final, node.output[1]]
