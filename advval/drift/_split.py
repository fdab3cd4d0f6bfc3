"""TestLikeSplit: cross-validation whose validation rows look like the test data."""

from __future__ import annotations

import hashlib
import math
import numbers
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from sklearn.base import clone
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from .._frames import align_columns, as_frame
from .._repr import shown_value
from .._validation import check_bool, check_min_rows, check_number, check_option
from ._ratio import blend
from ._validator import AdversarialValidator

_OWNER = "TestLikeSplit"

#: bounds of the blended test-likeness before the density ratio is taken (as the
#: weighter's default ``clip``)
_CLIP = (0.01, 0.99)

_PARAMS = (
    "X_test",
    "n_splits",
    "val_size",
    "stratify",
    "draw",
    "pool_factor",
    "validator",
    "prefit",
    "random_state",
)


class TestLikeSplit(BaseCrossValidator):
    """Cross-validation splitter whose validation rows look like the test data.

    An :class:`~advval.AdversarialValidator` is fitted once on ``(X, X_test)``; each row
    of ``X`` gets its out-of-fold probability of being a test row (its *test-likeness*).
    With ``draw="ratio"`` (the default), the test-likeness is blended with a smooth model
    and calibrated as :class:`~advval.AdversarialWeighter` does, and the validation rows
    are drawn, with replacement, in proportion to the density ratio ``p_test(x) /
    p_train(x)``: the validation part is then a sample of the test distribution as far as
    the training rows reach, and a plain validation score estimates the score on the
    test data, while the training part stays a random sample of ``X`` (a model fitted on
    the most test-like rows' complement would be fitted on another distribution).

    Each split holds out ``val_size`` rows at random (disjoint across splits while the
    rows last, as in K-fold, so ``n_splits * val_size = len(X)`` validates every row
    once) and trains on the others; the validation part is as many draws from the
    held-out rows, each row drawn about ``ratio / mean(ratio)`` times: a row twice as
    test-like as the average appears twice, one a tenth as test-like appears with
    probability 0.1. So a plain validation score weighs every held-out row by its ratio,
    as a weighted K-fold estimate does, and rests on as many rows (worth fewer, by how
    much the ratio varies: ``effective_rows_``). The draw is systematic, in order of the
    ratio (one random start: each row's count is the floor or the ceiling of its
    expected count, and the drawn rows spread evenly over the range of the ratio, so the
    score varies less from draw to draw than with independent draws: it differs from
    the ratio-weighted mean of the held-out part only by the rounding of the counts,
    and what varies from seed to seed is which rows are held out, as in K-fold).
    Validation
    positions therefore repeat, which the scikit-learn functions below accept (a
    repeated row counts as often as it appears);
    :func:`~sklearn.model_selection.cross_val_predict` needs a partition and refuses
    them. With ``draw="top"`` every split holds out ``val_size`` rows drawn at random
    from the most test-like ``pool_factor * val_size`` rows, which leans toward the test
    data without matching it.

    Use it as ``cv=`` in :func:`~sklearn.model_selection.cross_val_score`,
    :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.GridSearchCV`. The splits are as good as the
    drift check behind them: without drift (``validator_.drift_`` false) the
    test-likeness is mostly noise and the splits are close to random ones.

    Parameters
    ----------
    X_test : DataFrame or array-like of shape (n_test, n_features)
        The test data (features only), with the same columns as the ``X`` to be split.
        Never modified.
    n_splits : int, default=5
        Number of (train, validation) splits to generate (at least 1).
    val_size : float or int, default=0.2
        Rows held out per split: a fraction of ``X``'s rows in (0, 1) (rounded), or a
        number of rows. With ``draw="top"`` all of them are validated; with
        ``draw="ratio"`` as many draws from them, in proportion to the ratio.
    stratify : bool, default=False
        Draw per class of ``y``: with ``draw="top"`` the validation rows (the most
        test-like rows of each class), so the class proportions in every validation
        part match those of ``X``; with ``draw="ratio"`` the held-out rows, so the
        training parts keep ``X``'s proportions (the validation draws then follow the
        ratio, as the test data's classes do under covariate shift). Needs ``y`` in
        :meth:`split`.
    draw : {"ratio", "top"}, default="ratio"
        How validation rows are drawn: in proportion to the estimated density ratio, or
        at random among the most test-like rows (see above).
    pool_factor : float, default=2.0
        With ``draw="top"``: size of the pool the validation rows are drawn from, as a
        multiple of ``val_size`` (at least 1, capped at all rows): a larger pool gives
        more varied but less test-like validation parts. Unused with ``draw="ratio"``.
    validator : AdversarialValidator or None, default=None
        The drift check to score rows with; a clone is fitted. ``None`` uses
        ``AdversarialValidator()``. Its ``random_state``, when ``None``, is set from
        this splitter's ``random_state``.
    prefit : bool, default=False
        ``validator`` is already fitted on exactly ``X`` and ``X_test``: its out-of-fold
        scores are used, nothing is refitted (a clone of the splitter holds an unfitted
        validator, as with scikit-learn's ``SelectFromModel(prefit=True)``).
    random_state : int, RandomState instance or None, default=None
        Seeds the validator and the draws. With an int every call to :meth:`split`
        gives the same splits.

    Attributes
    ----------
    test_likeness_ : ndarray of shape (n_samples,)
        Out-of-fold probability that each row of the last ``X`` split is a test row
        (rows left out by the validator's ``max_rows`` are scored by its fold models):
        blended and calibrated with ``draw="ratio"``, the validator's own with
        ``draw="top"``. Set by :meth:`split`.
    inclusion_ : ndarray of shape (n_samples,)
        Expected number of times each row is in a split's validation part: the held-out
        share times ``ratio / mean(ratio)`` with ``draw="ratio"`` (it sums to the
        validation rows of a split; to first order: a row heavy enough to weigh on its
        held-out part's total ratio is drawn somewhat less, e.g. 11% less for a row
        with 14 times the mean ratio in a part of 80 rows); the validation rows over
        the pool size inside the pool, 0 outside, with ``draw="top"`` (a probability:
        no row repeats).
    effective_rows_ : float
        How many rows of an unweighted split a split's validation score is worth: the
        held-out rows times the ratio's effective fraction ``sum(r) ** 2 / (n *
        sum(r ** 2))`` (Kish), as the draws count each held-out row about ``r /
        mean(r)`` times. The more the ratio varies, the lower: a score that rests on a
        few heavy rows varies from split to split (and from sample to sample) more than
        its number of rows suggests. ``val_size`` rows with ``draw="top"`` (no row
        repeats). Set by :meth:`split`.
    validator_ : AdversarialValidator
        The fitted validator behind ``test_likeness_``.

    See Also
    --------
    advval.AdversarialValidator : the drift check that scores the rows.
    advval.AdversarialWeighter : reweight training rows toward the test data instead.

    Notes
    -----
    The validator is fitted once per distinct ``X`` (recognised by a hash of its
    values) and reused by later calls to :meth:`split` with the same data, ``X_test``,
    ``validator`` and ``random_state``.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from advval import AdversarialValidator, TestLikeSplit
    >>> from advval.datasets import make_shift
    >>> data = make_shift("mean", n_train=300, n_test=300, n_features=4, delta=1.0,
    ...                   random_state=0)
    >>> X, y = data.X_train, data.X_train["x0"] + data.X_train["x2"]
    >>> cv = TestLikeSplit(X_test=data.X_test, n_splits=3, random_state=0,
    ...                    validator=AdversarialValidator(n_jobs=1))
    >>> scores = cross_val_score(LinearRegression(), X, y, cv=cv)
    >>> len(scores), cv.test_likeness_.shape
    (3, (300,))
    >>> train, val = next(cv.split(X))
    >>> len(train)  # 60 rows held out at random
    240
    >>> len(val)  # as many draws from them, in proportion to the density ratio
    60
    >>> len(np.unique(val)) < 60  # the most test-like rows drawn more than once
    True
    >>> bool(cv.effective_rows_ < 60)  # so a validation score is worth fewer rows
    True
    >>> # pooled over the splits, the validation rows lean toward X_test (x0 shifted up)
    >>> pooled = np.concatenate([v for _, v in cv.split(X)])
    >>> bool(X["x0"].iloc[pooled].mean() > X["x0"].mean() + 0.3)
    True
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        *,
        X_test: Any,
        n_splits: int = 5,
        val_size: float | int = 0.2,
        stratify: bool = False,
        draw: str = "ratio",
        pool_factor: float = 2.0,
        validator: AdversarialValidator | None = None,
        prefit: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.X_test = X_test
        self.n_splits = n_splits
        self.val_size = val_size
        self.stratify = stratify
        self.draw = draw
        self.pool_factor = pool_factor
        self.validator = validator
        self.prefit = prefit
        self.random_state = random_state

    # -- parameters (the splitter is cloned like an estimator) ------------------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of this splitter.

        Parameters
        ----------
        deep : bool, default=True
            Also return the validator's parameters as ``validator__<name>``.

        Returns
        -------
        params : dict
        """
        params = {name: getattr(self, name) for name in _PARAMS}
        validator = self.validator
        if deep and validator is not None and hasattr(validator, "get_params"):
            for key, value in validator.get_params().items():
                params[f"validator__{key}"] = value
        return params

    def set_params(self, **params: Any) -> TestLikeSplit:
        """Set the parameters of this splitter (``validator__<name>`` sets the validator's).

        Returns
        -------
        self : TestLikeSplit
        """
        nested: dict[str, dict[str, Any]] = defaultdict(dict)
        for key, value in params.items():
            name, delim, sub_key = key.partition("__")
            if name not in _PARAMS:
                raise ValueError(
                    f"Invalid parameter {name!r} for {_OWNER}. Valid parameters are: "
                    f"{sorted(_PARAMS)!r}."
                )
            if delim:
                nested[name][sub_key] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        shown = {name: shown_value(getattr(self, name)) for name in sorted(_PARAMS)}
        return f"{_OWNER}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    # -- the splitter -----------------------------------------------------------------

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits, ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        check_number(self.n_splits, name="n_splits", owner=_OWNER, kind=int, low=1)
        return int(self.n_splits)

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
        """Generate (train, validation) row positions, validation rows being test-like.

        The first call with a given ``X`` fits the validator (errors are raised here, not
        when the splits are iterated); ``test_likeness_`` and ``validator_`` are set.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The training data, with the columns of ``X_test``. Never modified.
        y : array-like of shape (n_samples,), default=None
            Class labels; used only with ``stratify=True``.
        groups : object
            Ignored; present for API compatibility.

        Yields
        ------
        train : ndarray of int
            Positions of the training rows of that split, sorted.
        val : ndarray of int
            Positions of the validation rows, sorted.
        """
        self._validate_params()
        rng = check_random_state(self.random_state)
        validator_seed = int(rng.randint(0, 2**31 - 1))
        draw_seed = int(rng.randint(0, 2**31 - 1))
        frame = checked_frame(X, owner=_OWNER)
        n = len(frame)
        n_val = self._validation_rows(n)
        labels = self._labels(y, n)
        self._score_rows(frame, validator_seed)
        strata = _strata(len(frame), n_val, labels)
        rng = np.random.default_rng(draw_seed)
        if self.draw == "top":
            self.effective_rows_ = float(n_val)
            return self._top_splits(strata, rng)
        ratio = _ratio(self.test_likeness_)
        self.effective_rows_ = n_val / n * float(ratio.sum()) ** 2 / float(ratio @ ratio)
        return self._ratio_splits(strata, rng)

    def _validate_params(self) -> None:
        check_number(self.n_splits, name="n_splits", owner=_OWNER, kind=int, low=1)
        size = self.val_size
        is_int = isinstance(size, numbers.Integral) and not isinstance(size, bool)
        is_real = isinstance(size, numbers.Real) and not isinstance(size, bool)
        if not (is_int and size >= 1) and not (not is_int and is_real and 0 < size < 1):
            raise ValueError(
                f"The 'val_size' parameter of {_OWNER} must be a float in the range (0, 1) "
                f"or an int in the range [1, inf). Got {size!r} instead."
            )
        check_bool(self.stratify, name="stratify", owner=_OWNER)
        check_option(self.draw, name="draw", owner=_OWNER, options=("ratio", "top"))
        check_number(self.pool_factor, name="pool_factor", owner=_OWNER, low=1)
        check_validator(self.validator, owner=_OWNER)
        check_bool(self.prefit, name="prefit", owner=_OWNER)

    def _validation_rows(self, n: int) -> int:
        size = self.val_size
        if isinstance(size, numbers.Integral):
            if size >= n:
                raise ValueError(
                    f"The 'val_size' parameter of {_OWNER} must be smaller than the number "
                    f"of rows ({n}). Got {size!r} instead."
                )
            return int(size)
        n_val = round(float(size) * n)
        if not 1 <= n_val < n:
            raise ValueError(
                f"The 'val_size' parameter of {_OWNER} gives round({size!r} * {n}) = {n_val} "
                f"validation rows out of {n}; it must give between 1 and {n - 1}. Pass a "
                f"different fraction or a number of rows."
            )
        return n_val

    def _labels(self, y: Any, n: int) -> NDArray[np.intp] | None:
        if not self.stratify:
            return None
        if y is None:
            raise ValueError(
                f"{_OWNER}(stratify=True) needs the class labels: pass y to split(X, y)."
            )
        target = np.asarray(y)
        if target.ndim != 1 or len(target) != n:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({n}); got shape {target.shape}."
            )
        kind = type_of_target(target, input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{_OWNER}(stratify=True) needs class labels, but y is {kind!r}. Use "
                f"stratify=False for a continuous target."
            )
        return np.unique(target, return_inverse=True)[1].reshape(-1)

    def _score_rows(self, frame: pd.DataFrame, seed: int) -> None:
        key = _fingerprint(frame)
        cache = getattr(self, "_cache", None)
        if (
            key is not None
            and cache is not None
            and cache["key"] == key
            and cache["X_test"] is self.X_test
            and cache["validator"] is self.validator
            and cache["random_state"] is self.random_state
            and cache["draw"] == self.draw
        ):
            return
        self.validator_, likeness = fit_likeness(
            frame, self.X_test, self.validator, seed=seed, prefit=self.prefit, owner=_OWNER
        )
        if self.draw == "ratio":
            blended = blend(
                self.validator_,
                frame,
                self.X_test,
                likeness,
                ratio_model="blend",
                calibrate=True,
                seed=seed,
            )
            likeness = blended.train
        self.test_likeness_ = likeness
        self._cache = {
            "key": key,
            "X_test": self.X_test,
            "validator": self.validator,
            "random_state": self.random_state,
            "draw": self.draw,
        }

    def _top_splits(
        self, strata: list[tuple[NDArray[np.intp], int]], rng: np.random.Generator
    ) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
        """Validation rows at random from the most test-like rows of each stratum."""
        likeness = self.test_likeness_
        n = len(likeness)
        # most test-like first; ties broken at random (but once, so pool_factor=1 is fixed)
        ranked = np.lexsort((rng.permutation(n), -likeness))
        position = np.empty(n, dtype=np.intp)
        position[ranked] = np.arange(n)
        pools = []
        inclusion = np.zeros(n)
        for rows, quota in strata:
            ordered = rows[np.argsort(position[rows], kind="stable")]
            pool = ordered[: min(len(ordered), math.ceil(self.pool_factor * quota - 1e-9))]
            if len(pool):
                inclusion[pool] = quota / len(pool)
            pools.append((pool, quota))
        self.inclusion_ = inclusion
        for _ in range(self.get_n_splits()):
            val = np.concatenate(
                [rng.choice(pool, size=quota, replace=False) for pool, quota in pools]
            )
            yield _complement(val, n)

    def _ratio_splits(
        self, strata: list[tuple[NDArray[np.intp], int]], rng: np.random.Generator
    ) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp]]]:
        """Hold out random rows; validate on them resampled in proportion to the ratio.

        The held-out parts of successive splits are disjoint while the rows last (a new
        shuffle after that), as in K-fold.
        """
        ratio = _ratio(self.test_likeness_)
        n = len(ratio)
        self.inclusion_ = np.zeros(n)
        chunks = []
        for rows, quota in strata:
            self.inclusion_[rows] = ratio[rows] / ratio.mean() * quota / len(rows)
            chunks.append(_chunks(rows, quota, self.get_n_splits(), rng))
        for parts in zip(*chunks, strict=True):
            held = np.concatenate(parts)
            held = held[np.argsort(ratio[held], kind="stable")]
            val = systematic_sample(ratio[held], held, len(held), rng, shuffle=False)
            mask = np.zeros(n, dtype=bool)
            mask[held] = True
            train = np.flatnonzero(~mask).astype(np.intp)
            yield train, np.sort(val).astype(np.intp)


def _ratio(likeness: NDArray[np.float64]) -> NDArray[np.float64]:
    """Density ratio (up to a constant) of the test-likeness clipped to ``_CLIP``."""
    p = np.clip(likeness, *_CLIP)
    return p / (1.0 - p)


def _chunks(
    rows: NDArray[np.intp], size: int, count: int, rng: np.random.Generator
) -> list[NDArray[np.intp]]:
    """``count`` random parts of ``size`` rows each, disjoint until the rows run out."""
    parts: list[NDArray[np.intp]] = []
    order = rng.permutation(rows)
    start = 0
    while len(parts) < count:
        if start + size > len(order):
            order, start = rng.permutation(rows), 0
        parts.append(order[start : start + size])
        start += size
    return parts


def _strata(
    n: int, n_val: int, labels: NDArray[np.intp] | None
) -> list[tuple[NDArray[np.intp], int]]:
    """Rows of each class and their share of the validation rows (one stratum without y)."""
    if labels is None:
        return [(np.arange(n, dtype=np.intp), n_val)]
    counts = np.bincount(labels)
    quotas = _allocate(n_val, counts)
    return [
        (np.flatnonzero(labels == k).astype(np.intp), int(quotas[k])) for k in range(len(counts))
    ]


def _complement(val: NDArray[np.intp], n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(training rows, validation rows), both sorted."""
    mask = np.zeros(n, dtype=bool)
    mask[val] = True
    return np.flatnonzero(~mask).astype(np.intp), np.flatnonzero(mask).astype(np.intp)


def systematic_sample(
    inclusion: NDArray[np.float64],
    rows: NDArray[np.intp],
    total: int,
    rng: np.random.Generator,
    *,
    shuffle: bool = True,
) -> NDArray[np.intp]:
    """``total`` draws from ``rows``, in proportion to ``inclusion`` (scaled to sum to total).

    Systematic sampling: the scaled sizes are laid end to end, in a random order
    (``shuffle``) or in the order of ``rows``, and cut at ``u, u + 1, ..., u + total - 1``
    for one uniform ``u``; each row is drawn as many times as cuts fall in its stretch,
    so its expected count is its scaled size: at most once where none exceeds 1, and
    ``floor`` or ``ceil`` of it otherwise (with replacement, without the noise of
    independent draws). In a meaningful order (rows sorted by a variable) the draw is
    implicitly stratified on it: every stretch of the order holding size 1 gives one
    draw.

    Examples
    --------
    >>> rows = np.arange(4)
    >>> picked = systematic_sample(np.array([0.5, 0.5, 0.5, 0.5]), rows, 2,
    ...                            np.random.default_rng(0))
    >>> len(set(picked.tolist()))
    2
    >>> # in the given order: one row from each half (each holds probability 1)
    >>> picked = systematic_sample(np.array([0.5, 0.5, 0.5, 0.5]), rows, 2,
    ...                            np.random.default_rng(0), shuffle=False)
    >>> [int(row) // 2 for row in sorted(picked)]
    [0, 1]
    >>> # sizes above 1: the heavy row is drawn 2 or 3 times of 4 (2.4 on average)
    >>> picked = systematic_sample(np.array([0.3, 0.3, 2.4]), np.arange(3), 3,
    ...                            np.random.default_rng(0))
    >>> int((picked == 2).sum()) in (2, 3)
    True
    """
    order = rng.permutation(len(rows)) if shuffle else np.arange(len(rows))
    ends = np.cumsum(inclusion[order])
    ends *= total / ends[-1]
    cuts = rng.uniform() + np.arange(total)
    chosen = np.minimum(np.searchsorted(ends, cuts, side="left"), len(rows) - 1)
    return rows[order[chosen]]


def checked_frame(X: Any, *, owner: str) -> pd.DataFrame:
    """``X`` as a DataFrame (see ``as_frame``), rejecting sparse, 1-D and complex data.

    Arrays are checked with scikit-learn's ``check_array`` (no copy for a numeric array),
    so their errors read as scikit-learn's; DataFrames are used as given.
    """
    if sparse.issparse(X):
        raise TypeError(
            f"{owner} does not support sparse input: X is a {type(X).__name__}. Pass a "
            f"dense array (X.toarray()) or a DataFrame."
        )
    if not isinstance(X, pd.DataFrame):
        X = check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
    return as_frame(X, name="X")


def fit_likeness(
    X: pd.DataFrame,
    X_test: Any,
    validator: AdversarialValidator | None,
    *,
    seed: int,
    prefit: bool = False,
    owner: str = "",
) -> tuple[AdversarialValidator, NDArray[np.float64]]:
    """Fit a clone of ``validator`` on ``(X, X_test)``; return it and X's test-likeness.

    The test-likeness of a row of ``X`` is its out-of-fold probability of being a test
    row; rows the validator left out (``max_rows``) are scored by its fold models, which
    never saw them either. With ``prefit`` the validator, already fitted on exactly
    ``(X, X_test)``, is used as it is (``owner`` names the estimator in its errors).
    """
    if prefit:
        test = as_frame(X_test, name="X_test")
        test = align_columns(X, test, names=("X", "X_test"))
        fitted = check_prefit(validator, X, test, owner=owner)
        return fitted, _likeness(fitted, X)
    if validator is None:
        fitted = AdversarialValidator(random_state=seed)
    else:
        fitted = clone(validator)
        if fitted.get_params().get("random_state", 0) is None:
            fitted.set_params(random_state=seed)
    n_splits = fitted.get_params().get("n_splits")
    if isinstance(n_splits, numbers.Integral):
        check_min_rows(
            len(X),
            name="X",
            minimum=int(n_splits),
            needed_by=f"the validator (n_splits={n_splits})",
            each_side=True,
        )
    test = as_frame(X_test, name="X_test")
    align_columns(X, test, names=("X", "X_test"))
    fitted.fit(X, test)
    return fitted, _likeness(fitted, X)


def _likeness(validator: AdversarialValidator, X: pd.DataFrame) -> NDArray[np.float64]:
    """Out-of-fold test-likeness of X's rows; fold-model scores outside the row budget."""
    likeness = np.array(validator.oof_proba_[: validator.n_train_], dtype=np.float64)
    missing = np.isnan(likeness)
    if missing.any():
        likeness[missing] = validator.test_likeness(X.iloc[np.flatnonzero(missing)])
    return likeness


def check_prefit(
    validator: Any, train: pd.DataFrame, test: pd.DataFrame, *, owner: str
) -> AdversarialValidator:
    """``validator`` when it was fitted on exactly ``train`` and ``test``, else an error.

    Rows and columns are compared (counts, names and order); the values are trusted.
    """
    if not isinstance(validator, AdversarialValidator):
        raise TypeError(
            f"{owner}(prefit=True) needs a fitted AdversarialValidator as 'validator'. Got "
            f"{type(validator).__name__} instead."
        )
    check_is_fitted(validator, "estimators_")
    if getattr(validator, "_crossfit", None) is None:
        raise ValueError(
            f"{owner}(prefit=True) cannot reuse a validator fitted on Dask data; fit it on "
            f"pandas frames."
        )
    fitted = (validator.n_train_, validator.n_test_, list(validator.feature_names_in_))
    given = (len(train), len(test), list(train.columns))
    if fitted != given:
        raise ValueError(
            f"{owner}(prefit=True) needs the validator fitted on X and X_test: it was fitted "
            f"on {fitted[0]} + {fitted[1]} rows of the columns {_names(fitted[2])}, but X "
            f"and X_test have {given[0]} + {given[1]} rows of the columns "
            f"{_names(given[2])}."
        )
    return validator


def _names(columns: list[str], limit: int = 10) -> str:
    more = f" and {len(columns) - limit} more" if len(columns) > limit else ""
    return f"{columns[:limit]!r}{more}"


def check_validator(validator: object, *, owner: str) -> None:
    """Raise ``TypeError`` unless ``validator`` is None or an AdversarialValidator-like."""
    if validator is None or (
        hasattr(validator, "fit")
        and hasattr(validator, "test_likeness")
        and hasattr(validator, "get_params")
    ):
        return
    raise TypeError(
        f"The 'validator' parameter of {owner} must be an AdversarialValidator or None. "
        f"Got {type(validator).__name__} instead."
    )


def _allocate(total: int, counts: NDArray[np.intp]) -> NDArray[np.intp]:
    """Split ``total`` in proportion to ``counts`` (largest remainder)."""
    exact = total * counts / counts.sum()
    quotas = np.floor(exact).astype(np.intp)
    remainder = total - int(quotas.sum())
    if remainder:
        quotas[np.argsort(-(exact - quotas), kind="stable")[:remainder]] += 1
    return quotas


def _fingerprint(frame: pd.DataFrame) -> tuple[Any, ...] | None:
    """A hash of the values, dtypes and column names of ``frame``; None if unhashable."""
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:
        return None
    digest = hashlib.sha256(hashed.tobytes()).hexdigest()
    return (frame.shape, tuple(frame.columns), tuple(map(str, frame.dtypes)), digest)
