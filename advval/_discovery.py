"""List every public estimator of advval (for the common tests and for users' tooling)."""

from __future__ import annotations

import importlib

from sklearn.base import BaseEstimator

from ._compat import has_module

#: packages whose public estimators are listed (none of them imports torch)
_PACKAGES = ("advval", "advval.attacks.evaluate")
#: packages that need an optional dependency, listed when it is installed
_OPTIONAL_PACKAGES = {"advval.attacks.gradient": "torch"}


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
    optional = [name for name, needs in _OPTIONAL_PACKAGES.items() if has_module(needs)]
    for module_name in (*_PACKAGES, *optional):
        package = importlib.import_module(module_name)
        for name in sorted(package.__all__):
            obj = getattr(package, name)
            # attacks are estimators only in form: their verb is generate, not fit
            if isinstance(obj, type) and issubclass(obj, BaseEstimator) and hasattr(obj, "fit"):
                found.append((name, obj))
    return sorted(found)
