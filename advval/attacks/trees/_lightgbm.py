"""Read a LightGBM classifier (``Booster`` or ``LGBMClassifier``) from ``dump_model()``.

Binary (``binary``, ``cross_entropy``) and multi-class (``multiclass``,
``multiclassova``) objectives; ``boosting="rf"`` (averaged trees); numerical splits with
every missing type and categorical splits (inputs with ``|x| <= 1e-35`` read as 0, as
LightGBM reads them: ``Ensemble.zero_band``). The dump is taken at the iteration the model
predicts with (``best_iteration`` when early stopping was used), and LightGBM writes
thresholds with 17 significant digits, so they are exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ensemble import (
    MISSING_NAN,
    MISSING_NONE,
    MISSING_ZERO,
    Ensemble,
    EnsembleBuilder,
    unsupported,
)

_MISSING = {"NaN": MISSING_NAN, "Zero": MISSING_ZERO, "None": MISSING_NONE}
_LINKS = {
    "binary": "logistic",
    "cross_entropy": "logistic",
    "xentropy": "logistic",
    "multiclass": "softmax",
    "softmax": "softmax",
    "multiclassova": "ova",
    "multiclass_ova": "ova",
    "ova": "ova",
    "ovr": "ova",
}


def read_lightgbm(model: Any) -> Ensemble:
    """Flatten the trees of a LightGBM ``Booster`` or fitted ``LGBMClassifier``.

    Examples
    --------
    >>> import lightgbm as lgb
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = lgb.LGBMClassifier(n_estimators=3, n_jobs=1, verbose=-1).fit(X, y)
    >>> ens = read_lightgbm(model)
    >>> ens.n_trees, ens.n_classes, ens.link
    (9, 3, 'softmax')
    >>> bool(np.allclose(ens.predict_proba(X), model.predict_proba(X), rtol=1e-12))
    True
    """
    booster = model
    if type(model).__name__ != "Booster":
        if not hasattr(model, "predict_proba"):
            raise unsupported(model, "a LightGBM regressor or ranker is not a classifier")
        try:
            booster = model.booster_
        except (AttributeError, ValueError):
            raise ValueError(
                f"This {type(model).__name__} is not fitted yet: fit it before attacking it."
            ) from None
    dump = booster.dump_model()
    words = str(dump.get("objective", "")).split()
    objective = words[0] if words else ""
    link = _LINKS.get(objective)
    if link is None:
        raise unsupported(model, f"objective {objective!r} is not a classification objective")
    sigmoid = 1.0
    for word in words[1:]:
        if word.startswith("sigmoid:"):
            sigmoid = float(word.split(":", 1)[1])
    per_iteration = int(dump.get("num_tree_per_iteration", 1))
    n_class = int(dump.get("num_class", 1))
    infos = dump["tree_info"]
    scale = 1.0
    if dump.get("average_output"):
        scale = 1.0 / max(len(infos) // per_iteration, 1)
    builder = EnsembleBuilder(n_outputs=per_iteration)
    for index, info in enumerate(infos):
        output = index % per_iteration
        _add_tree(builder, info["tree_structure"], output=output, scale=scale, model=model)
    return builder.build(
        base=np.zeros(per_iteration),
        link=link,
        n_classes=max(n_class, 2),
        n_features=int(dump["max_feature_idx"]) + 1,
        float32=False,
        sigmoid=sigmoid,
        pandas_categorical=dump.get("pandas_categorical"),
        zero_band=True,
    )


def _add_tree(
    builder: EnsembleBuilder, root: dict[str, Any], *, output: int, scale: float, model: Any
) -> None:
    nodes: list[dict[str, Any]] = []
    left: list[int] = []
    right: list[int] = []
    stack: list[tuple[dict[str, Any], int, bool]] = [(root, -1, True)]
    while stack:
        node, parent, is_left = stack.pop()
        index = len(nodes)
        nodes.append(node)
        left.append(-1)
        right.append(-1)
        if parent >= 0:
            (left if is_left else right)[parent] = index
        if "leaf_value" not in node:
            stack.append((node["right_child"], index, False))
            stack.append((node["left_child"], index, True))
        elif "leaf_coeff" in node or "leaf_features" in node:
            raise unsupported(model, "linear trees (linear_tree=True)")
    n = len(nodes)
    feature = np.zeros(n, dtype=np.int64)
    threshold = np.full(n, np.inf)
    value = np.zeros(n)
    default_left = np.zeros(n, dtype=bool)
    missing = np.full(n, MISSING_NAN, dtype=np.int8)
    category = np.full(n, -1, dtype=np.int64)
    for i, node in enumerate(nodes):
        if "leaf_value" in node:
            value[i] = float(node["leaf_value"]) * scale
            continue
        feature[i] = int(node["split_feature"])
        default_left[i] = bool(node.get("default_left", False))
        missing[i] = _MISSING.get(str(node.get("missing_type", "None")), MISSING_NONE)
        if node.get("decision_type", "<=") == "==":
            cats = [int(c) for c in str(node["threshold"]).split("||") if c != ""]
            category[i] = builder.add_category_set(cats)
        elif node.get("decision_type", "<=") == "<=":
            threshold[i] = float(node["threshold"])
        else:
            raise unsupported(model, f"decision type {node['decision_type']!r}")
    builder.add_tree(
        feature=feature,
        threshold=threshold,
        left=left,
        right=right,
        value=value,
        output=output,
        default_left=default_left,
        missing=missing,
        category=category,
    )
