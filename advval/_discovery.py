"""List every public estimator of advval (for the common tests and for users' tooling)."""

from __future__ import annotations

import importlib

from sklearn.base import BaseEstimator


def all_estimators() -> list[tuple[str, type[BaseEstimator]]]:
    """Public scikit-learn estimators exported by ``advval``, sorted by name.

    Only the core namespace is searched (optional subpackages such as ``advval.attacks``
    import torch and are listed when they exist and their extra is installed).

    Returns
    -------
    list of (name, class)

    Examples
    --------
    >>> names = [name for name, _ in all_estimators()]
    >>> "AdversarialValidator" in names
    True
    """
    package = importlib.import_module("advval")
    found = []
    for name in sorted(package.__all__):
        obj = getattr(package, name)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            found.append((name, obj))
    return found
