"""What every advval feature selector shares: a fitted ``support_`` mask, checked use."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._set_output import _get_output_config
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
        if isinstance(X, pd.DataFrame) and not _keeps_frames(self):
            # an array of the selected columns: text and dates held in extension dtypes
            # (Arrow strings, timestamps) go as objects, as NumPy-typed ones do (scikit-learn
            # would try to make them floats: "Cannot cast str dtype to float64")
            typed = [c for c, t in X.dtypes.items() if _extension_not_number(t)]
            if typed:
                X = X.astype(dict.fromkeys(typed, object))
        return super().transform(X)


def _keeps_frames(selector: Any) -> bool:
    """Whether ``set_output(transform="pandas")`` (or polars) is configured."""
    return _get_output_config("transform", estimator=selector)["dense"] != "default"


def _extension_not_number(dtype: Any) -> bool:
    return pd.api.types.is_extension_array_dtype(dtype) and not (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )
