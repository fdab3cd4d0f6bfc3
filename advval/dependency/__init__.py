"""Feature dependency: predict each column from the others (task substitution).

:class:`FeatureDependencyChecker` scores how well every column is predicted by the rest
(redundancy, leaks, ID-like columns, row-order effects) and, with
:meth:`FeatureDependencyChecker.dependency_shift`, which of those relationships changed
between two samples. :class:`RedundantFeatureDropper` removes redundant columns in a
pipeline; :class:`SubstitutionImputer` fills missing values from the other columns.
"""

from ._checker import FeatureDependencyChecker
from ._imputer import SubstitutionImputer
from ._redundant import RedundantFeatureDropper
from ._shift import dependency_shift
from ._summary import summarize

__all__ = [
    "FeatureDependencyChecker",
    "RedundantFeatureDropper",
    "SubstitutionImputer",
    "dependency_shift",
    "summarize",
]
