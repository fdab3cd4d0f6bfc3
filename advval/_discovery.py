"""List every public estimator of advval (for the common tests and for users' tooling)."""

from __future__ import annotations

import importlib

from sklearn.base import BaseEstimator

#: packages whose public estimators are listed (none of them imports torch)
_PACKAGES = ("advval", "advval.attacks.evaluate")


def all_estimators() -> list[tuple[str, type[BaseEstimator]]]:
    """Public scikit-learn estimators exported by ``advval``, sorted by name.

    The core namespace and the NumPy-only estimators of ``advval.attacks`` are searched
    (subpackages that need torch are listed when they exist and their extra is installed).

    Returns
    -------
    list of (name, class)

    Examples
    --------
    >>> names = [name for name, _ in all_estimators()]
    >>> "AdversarialValidator" in names
    True
    """
    found = []
    for module_name in _PACKAGES:
        package = importlib.import_module(module_name)
        for name in sorted(package.__all__):
            obj = getattr(package, name)
            # attacks are estimators only in form: their verb is generate, not fit
            if isinstance(obj, type) and issubclass(obj, BaseEstimator) and hasattr(obj, "fit"):
                found.append((name, obj))
    return sorted(found)
