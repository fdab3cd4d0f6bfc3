"""Dask backend: the drift and dependency checks on data that outgrows one machine.

:class:`~advval.AdversarialValidator` and :class:`~advval.FeatureDependencyChecker`
dispatch here, through the one seam :mod:`advval._dask`, when given Dask DataFrames (or
a ``client=``); the backend returns a frozen fit and the estimator sets its attributes
from it, so the fitted attributes, and every report, are the same as on one machine.
The domain classifier is trained with LightGBM's distributed training on the workers of
a ``distributed`` cluster (the mechanism of ``lightgbm.dask``, with ranks fixed so
results are reproducible; see ``_train``); folds and samples come from a seeded hash
of each row, so nothing is collected on the driver and the result does not depend on
the partitioning.

``read_frames`` (many Parquet / CSV files as one lazy frame) and ``connect`` (a client on
an existing scheduler or a local cluster) are re-exported here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["connect", "read_frames"]


def __getattr__(name: str) -> Any:
    if name == "read_frames":
        from ._io import read_frames

        return read_frames
    if name == "connect":
        from ._cluster import connect

        return connect
    raise AttributeError(f"module 'advval.distributed' has no attribute {name!r}")
