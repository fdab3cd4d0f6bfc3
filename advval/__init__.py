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

from ._version import __version__
from .dependency import FeatureDependencyChecker, RedundantFeatureDropper, SubstitutionImputer
from .drift import (
    AdversarialValidator,
    AdversarialWeighter,
    DriftFeatureDropper,
    TestLikeSplit,
)

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
