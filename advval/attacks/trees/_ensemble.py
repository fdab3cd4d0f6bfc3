"""A tree ensemble as flat NumPy arrays, evaluated exactly and vectorized.

Every supported model (LightGBM, scikit-learn trees, forests and gradient boosting) is
read into one :class:`Ensemble`: the nodes of all trees side by side, with per node the
split feature, threshold, children, missing-value handling and (LightGBM) category sets,
and per leaf its contribution to each output. Leaves point to themselves, so one loop over
depth levels walks every (row, tree) pair at once.

Split semantics replicate the libraries exactly:

- scikit-learn trees compare ``float32(x) <= threshold`` (thresholds are float64) and send
  NaN along ``missing_go_to_left``; ``float32`` is set and rows are rounded to float32
  before the comparison;
- HistGradientBoosting compares float64 values, NaN along ``missing_go_to_left``;
- LightGBM reads every input ``|x| <= 1e-35`` (its ``kZeroThreshold``) as 0 before the
  trees see it (``zero_band``: dense rows, as its ``predict`` and ``predict_proba`` pass
  them), then compares float64 values ``x <= threshold``; missing type ``NaN`` sends NaN
  the default way, ``Zero`` turns NaN into 0 and sends 0 the default way, ``None`` turns
  NaN into 0; categorical splits send ``int(x)`` left when it is in the split's category
  set (negative, NaN and unknown values go right);
- XGBoost compares ``float32(x) < threshold`` (float32 thresholds, stored here as the
  float32 just below, so ``<=`` holds for the same rows) and sends NaN the default way;
  its categorical splits (``xgboost_categories``) send NaN the default way and negative
  values right (children swapped, so its category set goes left here);
- CatBoost compares ``float32(x) > border`` (float32 borders: the split is true on the
  right), NaN where ``nan_mode`` sends it; symmetric trees are expanded into ``2**depth``
  leaves; a one-hot categorical split is a category set of one code, the codes of the
  data's categories given by ``encode_categories`` (:mod:`._catboost`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: LightGBM's kZeroThreshold (the float 1e-35f, as a double)
ZERO_THRESHOLD = float(np.float32(1e-35))

#: missing-value handling codes of a node
MISSING_NAN = 0  # NaN follows the default direction
MISSING_ZERO = 1  # LightGBM 'Zero': NaN becomes 0, |x| <= ZERO_THRESHOLD follows the default
MISSING_NONE = 2  # LightGBM 'None': NaN becomes 0 and is compared as a number

#: (row, node) pairs walked together (see Ensemble.traverse)
_PAIRS = 16_384

_SUPPORTED = (
    "LightGBM (Booster, LGBMClassifier) and scikit-learn DecisionTreeClassifier, "
    "ExtraTreeClassifier, RandomForestClassifier, ExtraTreesClassifier, "
    "GradientBoostingClassifier and HistGradientBoostingClassifier; XGBoost (Booster, "
    "XGBClassifier; gbtree and dart); CatBoost (CatBoostClassifier; symmetric, Depthwise "
    "and Lossguide trees; one-hot categorical features); ONNX TreeEnsembleClassifier "
    "graphs (load_model of an .onnx file)"
)


@dataclass
class Ensemble:
    """The nodes of every tree of a classifier, side by side.

    Node arrays have one entry per node of all trees (``n_nodes``); leaves have
    ``left == right == own index``. ``value[node]`` is what a leaf adds to each output
    (learning rate and averaging already applied); ``base`` is added once.

    Outputs: binary boosting models have one output (the logit of class 1); forests and
    multi-class models one output per class. :meth:`scores` turns outputs into one score
    per class whose argmax is the model's prediction.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    default_left: np.ndarray
    missing: np.ndarray
    category: np.ndarray
    cat_left: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    base: np.ndarray
    link: str
    n_classes: int
    n_features: int
    float32: bool
    #: CatBoost: (column, category values) -> the codes its one-hot splits read (NaN: none)
    encode_categories: Callable[[int, list[Any]], np.ndarray] | None = None
    sigmoid: float = 1.0
    pandas_categorical: list[list[Any]] | None = None
    xgboost_categories: bool = False
    #: LightGBM: inputs with ``|x| <= ZERO_THRESHOLD`` are read as 0 (see :meth:`as_input`)
    zero_band: bool = False
    special_missing: bool = field(init=False)
    zero_missing: bool = field(init=False)
    has_categorical: bool = field(init=False)
    children: np.ndarray = field(init=False, repr=False)
    low_table: np.ndarray = field(init=False, repr=False)
    high_table: np.ndarray = field(init=False, repr=False)
    nan_right: np.ndarray = field(init=False, repr=False)
    is_categorical: np.ndarray = field(init=False, repr=False)
    plain_numbers: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        inner = ~self.leaf
        self.special_missing = bool(np.any(self.missing[inner] != MISSING_NAN))
        self.zero_missing = bool(np.any(self.missing[inner] == MISSING_ZERO))
        self.has_categorical = bool(np.any(self.category[inner] >= 0))
        self.children = np.column_stack([self.left, self.right]).ravel()
        # thresholds by node for PathRecord bounds: index -1 is unbounded, index n_nodes
        # an empty interval (the path must be re-walked after any change)
        self.low_table = np.concatenate([self.threshold, [np.inf, -np.inf]])
        self.high_table = np.concatenate([self.threshold, [-np.inf, np.inf]])
        # where a numeric split sends NaN (LightGBM 'None': as the number 0); used only
        # when no split has the 'Zero' missing type
        self.nan_right = np.where(
            self.missing == MISSING_NONE, self.threshold < 0.0, ~self.default_left
        )
        self.is_categorical = self.category >= 0
        # a NaN threshold sends every number right (x <= NaN is false): the general rule
        self.plain_numbers = not bool(np.isnan(self.threshold[inner & ~self.is_categorical]).any())

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return len(self.roots)

    @property
    def n_outputs(self) -> int:
        """Number of raw outputs (1 for binary boosting)."""
        return self.value.shape[1]

    def scale(self) -> float:
        """A bound on the size of any score: the base plus each tree's largest leaf."""
        leaf_max = np.zeros(self.n_trees)
        tree_of = np.repeat(np.arange(self.n_trees), np.diff(np.append(self.roots, len(self.leaf))))
        np.maximum.at(leaf_max, tree_of, np.abs(self.value).max(1))
        return float(np.abs(self.base).max(initial=0.0) + leaf_max.sum())

    # -- evaluation --------------------------------------------------------------------

    def as_input(self, X: np.ndarray, *, own: bool = False) -> np.ndarray:
        """Rows as the model compares them (float32 precision for scikit-learn trees).

        LightGBM (``zero_band``) reads every ``|x| <= ZERO_THRESHOLD`` as 0: its C API keeps
        only the cells of a dense row with ``fabs(x) > kZeroThreshold`` or NaN, and the
        trees read a cell left out as 0 (``RowPairFunctionFromDenseMatrix`` in
        ``src/c_api.cpp``, ``CopyToPredictBuffer`` in ``src/application/predictor.hpp``).
        ``X`` is written to only when ``own`` (a float64 array the caller made).
        """
        X = np.asarray(X, dtype=np.float64)
        if self.float32:
            with np.errstate(over="ignore"):
                X = X.astype(np.float32).astype(np.float64)
        if self.zero_band:
            near = np.abs(X) <= ZERO_THRESHOLD
            if near.any():
                if own:
                    np.copyto(X, 0.0, where=near)
                else:
                    X = np.where(near, 0.0, X)
        return X

    def _go(self, x: np.ndarray, node: np.ndarray) -> np.ndarray:
        """The child each (value, inner node) pair goes to (any missing-value handling)."""
        nan = np.isnan(x)
        number = x
        if self.special_missing:
            kind = self.missing[node]
            number = np.where(nan & (kind != MISSING_NAN), 0.0, x)
            missing = np.isnan(number) | (
                (kind == MISSING_ZERO) & (np.abs(number) <= ZERO_THRESHOLD)
            )
        else:
            missing = nan
        left = np.where(missing, self.default_left[node], number <= self.threshold[node])
        if self.has_categorical:
            cat = np.flatnonzero(self.is_categorical[node])
            if cat.size:
                left[cat] = self._category_left(x[cat], node[cat])
        return np.where(left, self.left[node], self.right[node])

    def _category_left(self, value: np.ndarray, node: np.ndarray) -> np.ndarray:
        """Whether each (value, categorical node) pair goes left."""
        # int(NaN) is negative in LightGBM: NaN goes right
        ok = (value >= 0.0) if self.xgboost_categories else (value > -1.0)
        ok &= value < min(self.cat_left.shape[1], 2**31 - 1)
        code = np.where(ok, np.trunc(np.where(ok, value, 0.0)), 0).astype(np.int64)
        left = ok & self.cat_left[self.category[node], code]
        if self.xgboost_categories:
            left = np.where(np.isnan(value), self.default_left[node], left)
        return left

    def _step(self, x: np.ndarray, node: np.ndarray, nan: bool) -> np.ndarray:
        """The child each (value, inner node) pair goes to; ``nan``: ``x`` may hold NaN.

        Without LightGBM ``Zero`` missing types (and NaN thresholds) a numeric split sends
        a number right when it is above the threshold and NaN where :attr:`nan_right`
        says, so one comparison and a fix-up of the NaN and categorical pairs give
        :meth:`_go`'s answer.
        """
        if self.zero_missing or not self.plain_numbers:
            return self._go(x, node)
        right = x > self.threshold[node]
        if nan:
            at = np.flatnonzero(np.isnan(x))
            if at.size:
                right[at] = self.nan_right[node[at]]
        if self.has_categorical:
            cat = np.flatnonzero(self.is_categorical[node])
            if cat.size:
                right[cat] = ~self._category_left(x[cat], node[cat])
        return self.children[2 * node + right]

    def traverse(
        self,
        X: np.ndarray,
        rows: np.ndarray,
        nodes: np.ndarray,
        record: PathRecord | None = None,
        changed: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Walk (row, node) pairs down to their leaves, all pairs one level at a time.

        Parameters
        ----------
        X : ndarray of shape (m, n_features)
            Rows as given by :meth:`as_input`.
        rows, nodes : int arrays of shape (n_pairs,)
            Which row each pair reads and the node it starts from.
        record : PathRecord, optional
            Filled with what each pair's path says about the recorded features.
        changed : (columns, values) int and float arrays of shape (n_pairs, k), optional
            Pair ``p`` reads ``values[p, c]`` instead of ``X[rows[p], columns[p, c]]``
            (``columns`` -1: no change); a candidate row is then one shared row plus its
            few changed cells, never a copy.

        Returns
        -------
        leaves : int array of shape (n_pairs,)

        Notes
        -----
        The pairs are walked in blocks of ``_PAIRS``: the temporary arrays of one level
        stay small enough for the processor's cache, and no block allocates fresh memory
        from the system (page faults) at every level.
        """
        X = np.ascontiguousarray(X, dtype=np.float64)
        flat = X.ravel()
        out = np.array(nodes, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        nan = bool(np.isnan(flat).any())
        cells: list[tuple[np.ndarray, np.ndarray]] = []
        if changed is not None:
            columns, values = np.asarray(changed[0]), np.asarray(changed[1], dtype=np.float64)
            nan = nan or bool(np.isnan(values).any())
            cells = [
                (np.ascontiguousarray(columns[:, c]), np.ascontiguousarray(values[:, c]))
                for c in range(columns.shape[1])
                if np.any(columns[:, c] >= 0)
            ]
        inner = np.flatnonzero(~self.leaf[out])
        for lo in range(0, len(inner), _PAIRS):
            pair = inner[lo : lo + _PAIRS]
            self._walk(flat, X.shape[1], rows, pair, out, record, cells, nan)
        return out

    def _walk(
        self, flat: np.ndarray, width: int, rows: np.ndarray, pair: np.ndarray,
        out: np.ndarray, record: PathRecord | None,
        cells: list[tuple[np.ndarray, np.ndarray]], nan: bool,
    ) -> None:
        """Walk the pairs ``pair`` from ``out[pair]`` to their leaves, written into ``out``."""
        node = out[pair]
        base = rows[pair] * width
        changed = [(columns[pair], values[pair]) for columns, values in cells]
        while pair.size:
            feat = self.feature[node]
            x = flat[base + feat]
            for columns, values in changed:
                x = np.where(feat == columns, values, x)
            child = self._step(x, node, nan)
            if record is not None:
                record.note(self, pair, node, feat, child)
            node = child
            done = self.leaf[node]
            if done.any():
                out[pair[done]] = node[done]
                keep = ~done
                pair, node, base = pair[keep], node[keep], base[keep]
                changed = [(columns[keep], values[keep]) for columns, values in changed]

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf reached in every tree, shape (n_rows, n_trees)."""
        X = self.as_input(X)
        m = X.shape[0]
        rows = np.repeat(np.arange(m), self.n_trees)
        nodes = np.tile(self.roots, m)
        return self.traverse(X, rows, nodes).reshape(m, self.n_trees)

    def raw_from_leaves(self, leaves: np.ndarray) -> np.ndarray:
        """Raw outputs (n_rows, n_outputs) from the leaves of :meth:`apply`."""
        return self.base + self.value[leaves].sum(1)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw outputs (logits, or averaged probabilities for forests), (n_rows, n_outputs)."""
        return self.raw_from_leaves(self.apply(X))

    def scores(self, raw: np.ndarray) -> np.ndarray:
        """One score per class whose argmax is the prediction, (n_rows, n_classes)."""
        if raw.shape[1] == 1:
            return np.column_stack([np.zeros(len(raw)), raw[:, 0]])
        return raw

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, as the model's own ``predict_proba`` computes them."""
        raw = self.raw(X)
        if self.link == "logistic":
            p = 1.0 / (1.0 + np.exp(-self.sigmoid * raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        if self.link == "softmax":
            e = np.exp(raw - raw.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)
        if self.link == "ova":
            return 1.0 / (1.0 + np.exp(-self.sigmoid * raw))
        return raw

    # -- structure ---------------------------------------------------------------------

    def numeric_thresholds(self) -> list[np.ndarray]:
        """Per feature, the sorted distinct finite thresholds of its numeric splits.

        Features with LightGBM ``Zero`` missing-type splits also get the two edges of the
        zero band (values inside it take the default direction).
        """
        nodes = (~self.leaf) & (self.category < 0)
        feature, threshold = self.feature[nodes], self.threshold[nodes]
        keep = np.isfinite(threshold) & (np.abs(threshold) < 3e38)
        zero = np.zeros(self.n_features, dtype=bool)
        zero[feature[self.missing[nodes] == MISSING_ZERO]] = True
        band = np.array([np.nextafter(-ZERO_THRESHOLD, -np.inf), ZERO_THRESHOLD])
        zeros = np.flatnonzero(zero)
        feature = np.concatenate([feature[keep], np.repeat(zeros, 2)])
        threshold = np.concatenate([threshold[keep], np.tile(band, len(zeros))])
        order = np.lexsort((threshold, feature))
        feature, threshold = feature[order], threshold[order]
        bounds = np.searchsorted(feature, np.arange(self.n_features + 1))
        return [
            np.unique(threshold[bounds[j] : bounds[j + 1]]) for j in range(self.n_features)
        ]

    def used_features(self) -> np.ndarray:
        """Boolean mask of the features some split reads."""
        used = np.zeros(self.n_features, dtype=bool)
        used[self.feature[~self.leaf]] = True
        return used

    def categorical_features(self) -> np.ndarray:
        """Boolean mask of the features with categorical splits."""
        mask = np.zeros(self.n_features, dtype=bool)
        mask[self.feature[(~self.leaf) & (self.category >= 0)]] = True
        return mask


@dataclass
class PathRecord:
    """What the paths of (row, tree) pairs say about some features (the *slots*).

    For pair ``p`` and slot ``k`` (``slot[feature] = k``): ``first[p, k]`` is the first node
    on the path that reads the slot's feature (-1: none), and the path stays the same
    exactly while the feature's value ``v`` satisfies ``low < v <= high``, where ``low`` and
    ``high`` are thresholds given as node indices (-1: unbounded; ``n_nodes``: the path
    has a split such an interval cannot describe, so any change must be re-walked).
    """

    slot: np.ndarray
    first: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def empty(cls, n_pairs: int, slot: np.ndarray, n_slots: int) -> PathRecord:
        """A record with nothing seen yet."""
        shape = (n_pairs, max(n_slots, 1))
        full = np.full(shape, -1, dtype=np.int32)
        return cls(slot=slot, first=full, low=full.copy(), high=full.copy())

    def note(
        self, ens: Ensemble, pair: np.ndarray, node: np.ndarray, feat: np.ndarray,
        child: np.ndarray,
    ) -> None:
        """Record the step of ``pair`` from ``node`` (reading ``feat``) to ``child``."""
        where = self.slot[feat]
        mark = np.flatnonzero(where >= 0)
        if not mark.size:
            return
        nd = node[mark]
        cell = pair[mark] * self.first.shape[1] + where[mark]
        first, low_at, high_at = self.first.ravel(), self.low.ravel(), self.high.ravel()
        unset = first[cell] < 0
        first[cell[unset]] = nd[unset]
        t = ens.threshold[nd]
        right = child[mark] == ens.right[nd]
        low, high = low_at[cell], high_at[cell]
        low = np.where(right & (t > ens.low_table[low]), nd, low)
        high = np.where(~right & (t < ens.high_table[high]), nd, high)
        odd = (ens.category[nd] >= 0) | (ens.missing[nd] == MISSING_ZERO)
        low_at[cell] = np.where(odd, len(ens.threshold), low)
        high_at[cell] = np.where(odd, len(ens.threshold), high)


class EnsembleBuilder:
    """Collects trees (local node ids, ``-1`` children at leaves) into an :class:`Ensemble`."""

    def __init__(self, n_outputs: int) -> None:
        self.n_outputs = n_outputs
        self.parts: list[dict[str, np.ndarray]] = []
        self.cat_sets: list[np.ndarray] = []
        self.offset = 0

    def add_category_set(self, categories: Sequence[int]) -> int:
        """Register the categories a categorical split sends left; returns its row."""
        self.cat_sets.append(np.asarray(categories, dtype=np.int64))
        return len(self.cat_sets) - 1

    def add_tree(
        self,
        *,
        feature: Any,
        threshold: Any,
        left: Any,
        right: Any,
        value: Any,
        output: int | None = None,
        default_left: Any = None,
        missing: Any = None,
        category: Any = None,
    ) -> None:
        """Add one tree.

        ``value`` is a per-node scalar (added to output ``output``) or a per-node vector
        of ``n_outputs`` values; only leaf entries are used.
        """
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        n = len(left)
        leaf = left < 0
        own = np.arange(n) + self.offset
        value = np.asarray(value, dtype=np.float64)
        values = np.zeros((n, self.n_outputs))
        if value.ndim == 1:
            values[:, output or 0] = value
        else:
            values[:] = value
        values[~leaf] = 0.0
        feature = np.where(leaf, 0, np.asarray(feature, dtype=np.int64))
        self.parts.append(
            {
                "feature": feature,
                "threshold": np.where(leaf, np.inf, np.asarray(threshold, dtype=np.float64)),
                "left": np.where(leaf, own, left + self.offset),
                "right": np.where(leaf, own, right + self.offset),
                "leaf": leaf,
                "default_left": np.zeros(n, bool)
                if default_left is None
                else np.asarray(default_left, dtype=bool),
                "missing": np.full(n, MISSING_NAN, np.int8)
                if missing is None
                else np.asarray(missing, dtype=np.int8),
                "category": np.full(n, -1, np.int64)
                if category is None
                else np.asarray(category, dtype=np.int64),
                "value": values,
                "root": np.array([self.offset]),
            }
        )
        self.offset += n

    def build(self, **kwargs: Any) -> Ensemble:
        """Concatenate the trees; ``kwargs`` are the remaining :class:`Ensemble` fields."""
        if not self.parts:
            raise ValueError("The model has no trees; fit it before attacking it.")

        def cat(name: str) -> np.ndarray:
            return np.concatenate([part[name] for part in self.parts])

        width = max((int(s.max(initial=-1)) + 1 for s in self.cat_sets), default=0)
        cat_left = np.zeros((max(len(self.cat_sets), 1), max(width, 1)), dtype=bool)
        for row, categories in enumerate(self.cat_sets):
            cat_left[row, categories[categories >= 0]] = True
        return Ensemble(
            feature=cat("feature"),
            threshold=cat("threshold"),
            left=cat("left"),
            right=cat("right"),
            leaf=cat("leaf"),
            default_left=cat("default_left"),
            missing=cat("missing"),
            category=cat("category"),
            cat_left=cat_left,
            value=cat("value"),
            roots=cat("root"),
            **kwargs,
        )


def final_estimator(model: Any) -> Any:
    """The tree model inside an identity-only Pipeline, with a clear error otherwise."""
    steps = getattr(model, "steps", None)
    if steps is None or type(model).__name__ != "Pipeline":
        return model
    for name, step in steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if type(step).__name__ == "FunctionTransformer" and getattr(step, "func", 0) is None:
            continue
        raise TypeError(
            "TreeAttack needs the tree model on the raw features, but this Pipeline "
            f"transforms them first (step {name!r}: {type(step).__name__}). Use a "
            "black-box attack (HopSkipJump, SquareAttack, GeneticAttack) for Pipelines."
        )
    return final_estimator(steps[-1][1])


def read_ensemble(model: Any) -> Ensemble:
    """Read the trees of ``model`` (see the module notes for what is supported).

    Raises
    ------
    TypeError
        For models whose structure TreeAttack cannot read, and Pipelines that transform
        the features before the trees.
    ValueError
        For a model with a NaN or infinite leaf value (or base score).
    """
    model = final_estimator(model)
    module = type(model).__module__
    if module.startswith("lightgbm"):
        from ._lightgbm import read_lightgbm

        return _finite_leaves(read_lightgbm(model), model)
    if module.startswith("catboost"):
        from ._catboost import read_catboost

        return _finite_leaves(read_catboost(model), model)
    if module.startswith("sklearn"):
        from ._sklearn import read_sklearn

        return _finite_leaves(read_sklearn(model), model)
    if module.startswith("xgboost"):
        from ._xgboost import read_xgboost

        return _finite_leaves(read_xgboost(model), model)
    if module == "advval.attacks.trees._onnx":  # parsed and checked against onnxruntime
        return _finite_leaves(model.ensemble_, model)
    raise unsupported(model)


def _finite_leaves(ensemble: Ensemble, model: Any) -> Ensemble:
    """``ensemble``, or a ``ValueError`` when a leaf or the base score is NaN or infinite.

    Such a model predicts NaN scores; the search would compare NaN margins and report
    every sample as robust.
    """
    leaves = ensemble.value[ensemble.leaf]
    bad = int((~np.isfinite(leaves)).any(axis=1).sum()) if leaves.size else 0
    if bad or not np.isfinite(ensemble.base).all():
        raise ValueError(
            f"The tree model ({type(model).__name__}) has {bad} of {len(leaves)} leaves "
            f"{'and a base score ' if not np.isfinite(ensemble.base).all() else ''}with NaN "
            "or infinite values: its scores are not numbers. Refit or repair the model."
        )
    return ensemble


def unsupported(model: Any, why: str = "") -> TypeError:
    """The error for a model TreeAttack cannot read."""
    detail = f" ({why})" if why else ""
    return TypeError(
        f"TreeAttack cannot read the trees of a {type(model).__name__}{detail}. Supported: "
        f"{_SUPPORTED}. Use a black-box attack (HopSkipJump, SquareAttack) for other models."
    )
