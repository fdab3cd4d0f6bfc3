"""What one fit of :class:`~advval.FeatureDependencyChecker` found, frozen.

The checker's fit on in-memory rows returns a :class:`_DependencyFit`, and the checker
sets its attributes from it. On Dask data the backend (:mod:`advval.distributed._dependency`)
only draws the rows: it returns a :class:`RowSample`, on which the checker runs the same
in-memory fit. The seed protocol of both paths lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._shift import FitBasis

#: room left under 2**31 for the per-target seed offsets
SEED_ROOM = 10**8


def fit_seed(random_state: int | np.random.RandomState | None) -> int:
    """The base seed of one fit, drawn once from ``random_state``.

    Every model of the fit is seeded from it plus a fixed offset (the row budget, the
    hold-out split, each target).

    Examples
    --------
    >>> fit_seed(0) == fit_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(0, 2**31 - SEED_ROOM))


def sample_seed(random_state: int | np.random.RandomState | None) -> int:
    """The seed of the Dask backend's row hash: ``random_state`` when an int, else 0.

    The hash must not consume ``random_state`` (the fit on the sample draws
    :func:`fit_seed` from it, as on one machine).

    Examples
    --------
    >>> sample_seed(7), sample_seed(None)
    (7, 0)
    """
    return random_state if isinstance(random_state, int) else 0


@dataclass(frozen=True)
class RowSample:
    """Rows drawn from a larger frame for the in-memory fit.

    Attributes
    ----------
    frame : DataFrame
        The rows drawn, in their order.
    target : ndarray or None
        ``y`` of those rows.
    n_rows : int
        Rows of the frame they were drawn from.
    """

    frame: pd.DataFrame = field(repr=False)
    target: np.ndarray | None = field(repr=False)
    n_rows: int


@dataclass(frozen=True)
class _DependencyFit:
    """The findings of one fit; each field is the checker attribute of the same name + ``_``.

    ``basis`` is the checker's private hold-out basis for ``dependency_shift(prefit=True)``
    (``None`` when the fit cross-fitted); ``n_rows_sampled`` the rows a Dask fit brought
    to the driver (``None`` on one machine, where the checker has no such attribute).
    """

    dropped_features: list[str]
    id_like_features: list[str]
    n_rows_in: int
    max_rows: int | None
    n_rows_used: int
    near_duplicates: list[tuple[str, str]]
    unscored_features: list[str]
    row_order_score: float
    dependency_matrix: pd.DataFrame = field(repr=False)
    redundant_features: list[str] = field(repr=False)
    row_order_features: list[str] = field(repr=False)
    target_scores: pd.Series | None = field(repr=False)
    leaking_features: list[str] = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    pairwise_matrix: pd.DataFrame | None = field(repr=False)
    basis: FitBasis | None = field(default=None, repr=False)
    n_rows_sampled: int | None = None
    timestamp_like_features: list[str] = field(default_factory=list)

    def attributes(self) -> dict[str, Any]:
        """The checker's public fitted attributes, by name (``n_rows_sampled_`` if set)."""
        names = [
            "dropped_features",
            "id_like_features",
            "timestamp_like_features",
            "n_rows_in",
            "max_rows",
            "n_rows_used",
            "near_duplicates",
            "unscored_features",
            "row_order_score",
            "dependency_matrix",
            "redundant_features",
            "row_order_features",
            "target_scores",
            "leaking_features",
            "scores",
            "pairwise_matrix",
        ]
        if self.n_rows_sampled is not None:
            names.append("n_rows_sampled")
        return {f"{name}_": getattr(self, name) for name in names}
