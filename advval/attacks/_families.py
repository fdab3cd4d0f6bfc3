"""Which attacks apply to a model: those that read it (gradients, trees) or only query it."""

from __future__ import annotations

from typing import Any

from ._oracle import model_kind


def model_family(model: Any) -> str:
    """Which attacks can read ``model``: ``"torch"``, ``"trees"`` or ``"any"``.

    Parameters
    ----------
    model : object
        A loaded model (see :func:`~advval.attacks.load_model`) or any classifier an
        attack accepts.

    Returns
    -------
    str
        ``"torch"`` for a ``torch.nn.Module`` returning logits (the gradient attacks
        differentiate it), ``"trees"`` for a tree ensemble :class:`~advval.attacks.TreeAttack`
        reads (LightGBM, XGBoost, CatBoost, scikit-learn trees and forests, ONNX tree
        ensembles), ``"any"`` for every other model: the black-box attacks query it.

    Raises
    ------
    TypeError
        ``model`` cannot be attacked at all (no ``predict_proba``, ``predict`` or call).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> tree, linear = DecisionTreeClassifier().fit(X, y), LogisticRegression().fit(X, y)
    >>> model_family(tree), model_family(linear)
    ('trees', 'any')
    """
    if model_kind(model) == "torch":
        return "torch"
    from .trees._ensemble import read_ensemble

    try:
        read_ensemble(model)
    except (TypeError, ValueError):
        return "any"
    return "trees"


__all__ = ["model_family"]
