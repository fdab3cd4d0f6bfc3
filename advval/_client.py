"""What the estimators that accept a Dask ``client=`` share (no Dask import here)."""

from __future__ import annotations

from typing import Any

from sklearn.base import clone


class SharesClientMixin:
    """``clone`` shares the ``client`` parameter instead of deep-copying it.

    A Dask client is a live connection: a deep copy fails, and a clone is meant to run on
    the same cluster. Every other parameter is cloned as scikit-learn does.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> class Check(SharesClientMixin, BaseEstimator):
    ...     def __init__(self, *, client=None, n=1):
    ...         self.client, self.n = client, n
    >>> connection = object()
    >>> twin = clone(Check(client=connection, n=3))
    >>> twin.client is connection, twin.n
    (True, 3)
    """

    client: Any

    def __sklearn_clone__(self) -> Any:
        if self.client is None:
            return super().__sklearn_clone__()  # type: ignore[misc]
        params = self.get_params(deep=False)  # type: ignore[attr-defined]
        client = params.pop("client")
        twin = clone(type(self)(**params))
        twin.client = client
        return twin
