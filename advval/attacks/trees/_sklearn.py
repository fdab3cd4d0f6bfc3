"""Read scikit-learn tree classifiers into an :class:`~._ensemble.Ensemble`.

``DecisionTreeClassifier`` / ``ExtraTreeClassifier`` and the forests
(``RandomForestClassifier``, ``ExtraTreesClassifier``) average normalized leaf class
frequencies; ``GradientBoostingClassifier`` adds ``learning_rate`` times its regression
trees to a constant initial score (the default prior or ``init="zero"``);
``HistGradientBoostingClassifier`` (numerical features only) adds its predictors' leaf
values to its baseline. All but the histogram model compare float32 inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._ensemble import Ensemble, EnsembleBuilder, unsupported


def read_sklearn(model: Any) -> Ensemble:
    """Flatten a fitted scikit-learn tree classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    >>> ens = read_sklearn(model)
    >>> ens.n_trees, ens.n_outputs, ens.float32
    (3, 3, True)
    >>> bool(np.allclose(ens.predict_proba(X), model.predict_proba(X), rtol=1e-12))
    True
    """
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.utils.validation import check_is_fitted

    if isinstance(model, DecisionTreeClassifier):
        check_is_fitted(model)
        return _forest(model, [model])
    if isinstance(model, (RandomForestClassifier, ExtraTreesClassifier)):
        check_is_fitted(model)
        return _forest(model, list(model.estimators_))
    if isinstance(model, GradientBoostingClassifier):
        check_is_fitted(model)
        return _gradient_boosting(model)
    if isinstance(model, HistGradientBoostingClassifier):
        check_is_fitted(model)
        return _hist_gradient_boosting(model)
    raise unsupported(model)


def _forest(model: Any, trees: list[Any]) -> Ensemble:
    if getattr(model, "n_outputs_", 1) != 1:
        raise unsupported(model, "multi-output classifiers")
    n_classes = int(model.n_classes_)
    builder = EnsembleBuilder(n_outputs=n_classes)
    for tree in trees:
        t = tree.tree_
        value = np.array(t.value[:, 0, :n_classes], dtype=np.float64)
        total = value.sum(1, keepdims=True)
        value = value / np.where(total == 0, 1.0, total) / len(trees)
        builder.add_tree(
            feature=t.feature,
            threshold=t.threshold,
            left=t.children_left,
            right=t.children_right,
            value=value,
            default_left=_missing_left(t),
        )
    return builder.build(
        base=np.zeros(n_classes),
        link="identity",
        n_classes=n_classes,
        n_features=int(model.n_features_in_),
        float32=True,
    )


def _missing_left(tree: Any) -> np.ndarray:
    flags = getattr(tree, "missing_go_to_left", None)
    if flags is None:
        return np.zeros(tree.node_count, dtype=bool)
    return np.asarray(flags, dtype=bool)


def _gradient_boosting(model: Any) -> Ensemble:
    init = model.init_
    if not (isinstance(init, str) and init == "zero") and type(init).__name__ != "DummyClassifier":
        raise unsupported(model, f"its init estimator {type(init).__name__} is not constant")
    stages = model.estimators_
    n_outputs = stages.shape[1]
    builder = EnsembleBuilder(n_outputs=n_outputs)
    for stage in stages:
        for k, tree in enumerate(stage):
            t = tree.tree_
            builder.add_tree(
                feature=t.feature,
                threshold=t.threshold,
                left=t.children_left,
                right=t.children_right,
                value=np.asarray(t.value[:, 0, 0], dtype=np.float64) * model.learning_rate,
                output=k,
            )
    ensemble = builder.build(
        base=np.zeros(n_outputs),
        link="logistic" if n_outputs == 1 else "softmax",
        n_classes=len(model.classes_),
        n_features=int(model.n_features_in_),
        float32=True,
    )
    # the initial score is a constant: read it off the model's own decision function
    zeros = np.zeros((1, ensemble.n_features))
    names = getattr(model, "feature_names_in_", None)
    probe: Any = zeros
    if names is not None:
        import pandas as pd

        probe = pd.DataFrame(zeros, columns=names)
    decision = np.asarray(model.decision_function(probe), dtype=np.float64).reshape(1, -1)
    ensemble.base = decision[0] - ensemble.raw(zeros)[0]
    return ensemble


def _hist_gradient_boosting(model: Any) -> Ensemble:
    if getattr(model, "is_categorical_", None) is not None or getattr(
        model, "_preprocessor", None
    ) is not None:
        raise unsupported(
            model,
            "categorical features are re-encoded inside the model; TreeAttack supports "
            "HistGradientBoostingClassifier on numerical features",
        )
    n_outputs = int(model.n_trees_per_iteration_)
    builder = EnsembleBuilder(n_outputs=n_outputs)
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            builder.add_tree(
                feature=nodes["feature_idx"],
                threshold=nodes["num_threshold"],
                left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
                right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
                value=nodes["value"].astype(np.float64),
                output=k,
                default_left=nodes["missing_go_to_left"].astype(bool),
            )
    return builder.build(
        base=np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1),
        link="logistic" if n_outputs == 1 else "softmax",
        n_classes=len(model.classes_),
        n_features=int(model.n_features_in_),
        float32=False,
    )
