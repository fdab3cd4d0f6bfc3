"""Folds and samples from a seeded hash of each row's content, computed per partition.

No row number, no global shuffle: a row's fold (and whether it is in a sample) is a
function of its content and the seed only, so it does not depend on how the data is
partitioned or ordered, nothing is collected on the driver, and identical rows always
share a fold (a row copied into both train and test is never scored by a model that saw
its twin). The train/test balance of a fold is then binomial instead of exactly
stratified: at the sizes the Dask path is for, the difference is nil, and every fold is
checked to hold both sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

_MULTIPLIERS = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: salts of the independent streams drawn from one row hash
FOLD, BUDGET, UNIVARIATE, SHAP, STOPPING = 1, 2, 3, 4, 5


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scrambles every bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MULTIPLIERS[0]
    x = x ^ (x >> np.uint64(27))
    x = x * _MULTIPLIERS[1]
    return x ^ (x >> np.uint64(31))


def row_keys(frame: pd.DataFrame, seed: int) -> NDArray[np.uint64]:
    """One seeded 64-bit key per row of ``frame``, from the row's values only.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0, 1.0]})
    >>> keys = row_keys(a, 0)
    >>> bool(keys[0] == keys[2]), bool(keys[0] == keys[1])
    (True, False)
    >>> bool((row_keys(a.iloc[::-1], 0)[::-1] == keys).all())
    True
    """
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    salt = _mix(np.array([seed], dtype=np.uint64) * _GOLDEN)
    mixed: NDArray[np.uint64] = np.bitwise_xor(hashes, salt)
    return _mix(mixed)


def stream(keys: NDArray[np.uint64], salt: int) -> NDArray[np.uint64]:
    """An independent 64-bit stream derived from the row keys."""
    return _mix(keys ^ _mix(np.array([salt], dtype=np.uint64) * _GOLDEN))


def folds_of(keys: NDArray[np.uint64], n_splits: int) -> NDArray[np.int64]:
    """Fold number (0..n_splits-1) of each key, uniform over the folds.

    Examples
    --------
    >>> keys = row_keys(pd.DataFrame({"x": np.arange(3000.0)}), 0)
    >>> counts = np.bincount(folds_of(keys, 3))
    >>> bool(np.all(np.abs(counts - 1000) < 100))
    True
    """
    return (stream(keys, FOLD) % np.uint64(n_splits)).astype(np.int64)


def uniforms(keys: NDArray[np.uint64], salt: int) -> NDArray[np.float64]:
    """A uniform number in [0, 1) per key, for samples that do not depend on partitioning.

    Examples
    --------
    >>> u = uniforms(row_keys(pd.DataFrame({"x": np.arange(1000.0)}), 0), 2)
    >>> bool(0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.05)
    True
    """
    return (stream(keys, salt) >> np.uint64(11)).astype(np.float64) * 2.0**-53
