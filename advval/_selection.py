"""What every advval feature selector shares: a fitted ``support_`` mask, checked use."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted


class SupportSelectorMixin(SelectorMixin):
    """A scikit-learn selector whose ``fit`` sets a boolean ``support_`` (one per column)."""

    def _get_support_mask(self) -> NDArray[np.bool_]:
        check_is_fitted(self, "support_")
        return np.asarray(self.support_, dtype=bool)

    def transform(self, X: Any) -> Any:
        """Keep the selected columns of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            Rows with the columns seen in :meth:`fit`, in the same order.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_selected_features)
            A DataFrame (dtypes kept) when the output is configured as pandas with
            ``set_output(transform="pandas")`` and ``X`` is one.
        """
        check_is_fitted(self, "support_")
        return super().transform(X)
