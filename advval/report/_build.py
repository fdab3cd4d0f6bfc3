"""``build_drift_report``: the drift summary under its older name in the report layer.

The summary of a fitted validator is computed next to the validator, in
:func:`advval.drift.summarize` (:mod:`advval.drift._summary`); the report layer only
renders results. This module keeps the older public name and import paths working.
"""

from __future__ import annotations

import os
from typing import Any

from ..drift._distributions import distributions as _overlays  # noqa: F401 - old name
from ..drift._distributions import numeric_shares as _numeric_shares  # noqa: F401 - old name
from ..drift._summary import drift_report
from ..drift._summary import overlay_columns as overlay_columns  # re-export
from ..results import DriftReport


def build_drift_report(
    validator: Any,
    X_train: Any = None,
    X_test: Any = None,
    *,
    dropper: Any = None,
    segments: Any = None,
    train_name: str | os.PathLike[str] | None = None,
    test_name: str | os.PathLike[str] | None = None,
) -> DriftReport:
    """Summarise a fitted :class:`~advval.AdversarialValidator` as a :class:`DriftReport`.

    The same as :func:`advval.drift.summarize` (which see for the parameters); its error
    messages name ``build_drift_report``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> from advval.drift import summarize
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> test = pd.DataFrame({"a": rng.normal(1, 1, 300), "b": rng.normal(size=300)})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> build_drift_report(validator, train, test) == summarize(validator, train, test)
    True
    """
    return drift_report(
        validator, X_train, X_test, dropper=dropper, segments=segments,
        train_name=train_name, test_name=test_name, owner="build_drift_report",
    )
