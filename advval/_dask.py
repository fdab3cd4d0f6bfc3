"""The one seam between the estimators and their Dask backend (:mod:`advval.distributed`).

The estimators of :mod:`advval.drift` and :mod:`advval.dependency` never import
:mod:`advval.distributed` (which imports them, for their frozen fit types); when given
Dask data they dispatch through the functions below, which import the backend on first
use. So ``import advval`` never imports Dask, and the only arrow from the estimators to
the backend is this module's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ._frames import FrameEncoder
    from .dependency._fitted import RowSample
    from .drift._fitted import _DriftFit
    from .drift._validator import AdversarialValidator


def is_dask(data: object) -> bool:
    """Whether ``data`` is a Dask collection, without importing Dask.

    Examples
    --------
    >>> is_dask([1, 2]), is_dask(None)
    (False, False)
    """
    return type(data).__module__.split(".")[0] in ("dask", "dask_expr")


def on_dask(client: object, *data: object) -> bool:
    """Whether a fit runs on the Dask backend: a ``client`` is given or any input is Dask.

    Examples
    --------
    >>> on_dask(None, [1], [2]), on_dask(object(), [1])
    (False, True)
    """
    return client is not None or any(is_dask(item) for item in data)


def fit_drift(
    validator: AdversarialValidator,
    X_train: Any,
    X_test: Any,
    *,
    groups: Any,
    seeds: NDArray[np.int_],
    names: tuple[str, str] = ("X_train", "X_test"),
) -> _DriftFit:
    """The Dask fit of an AdversarialValidator (read, not modified): a frozen fit.

    ``names``: what its errors and warnings about the data call the two sides.
    """
    from .distributed._drift import fit_validator

    return fit_validator(validator, X_train, X_test, groups=groups, seeds=seeds, names=names)


def drift_likeness(
    X: Any, *, encoder: FrameEncoder, models: Sequence[Any], columns: Sequence[str]
) -> Any:
    """Lazy test-likeness of a Dask frame's rows: the mean score of ``models``."""
    from .distributed._drift import likeness

    return likeness(X, encoder=encoder, models=models, columns=columns)


def sample_rows(
    X: Any,
    y: Any,
    *,
    client: Any,
    budget: Callable[[int], int | None],
    seed: int,
    name: str = "X",
) -> RowSample:
    """A hash-based sample of the Dask frame ``X`` (called ``name`` in errors) that holds
    ``budget(n_rows)`` rows."""
    from .distributed._dependency import sample_rows as sample

    return sample(X, y, client=client, budget=budget, seed=seed, name=name)
