"""advval: is my test data like my training data, and how easily can my model be fooled?

The core import is light: it never imports torch, click, jinja2 or dask. Those are used
only by the subpackages that need them (``advval.cli``, ``advval.report`` renderers,
``advval.attacks``, ``advval.image``, ``advval.distributed``).

Examples
--------
>>> import advval
>>> advval.AdversarialValidator(random_state=0)
AdversarialValidator(random_state=0)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

#: public name -> the subpackage that defines it, imported on first use (PEP 562), so
#: ``import advval`` costs nothing until an estimator is used and the command line can
#: set up the OpenMP runtime (advval.cli) before LightGBM and scikit-learn load it
_PUBLIC = {
    "AdversarialValidator": ".drift",
    "AdversarialWeighter": ".drift",
    "DriftFeatureDropper": ".drift",
    "TestLikeSplit": ".drift",
    "FeatureDependencyChecker": ".dependency",
    "RedundantFeatureDropper": ".dependency",
    "SubstitutionImputer": ".dependency",
}

__all__ = [
    "AdversarialValidator",
    "AdversarialWeighter",
    "DriftFeatureDropper",
    "FeatureDependencyChecker",
    "RedundantFeatureDropper",
    "SubstitutionImputer",
    "TestLikeSplit",
    "__version__",
]

if TYPE_CHECKING:
    from .dependency import FeatureDependencyChecker, RedundantFeatureDropper, SubstitutionImputer
    from .drift import AdversarialValidator, AdversarialWeighter, DriftFeatureDropper, TestLikeSplit


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'advval' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
