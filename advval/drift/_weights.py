"""AdversarialWeighter: importance weights that make training rows look like the test data."""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import genpareto
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._frames import align_columns, as_frame
from .._repr import ReprMixin
from .._validation import check_bool, check_number, check_option
from ..exceptions import DataWarning
from ._new_levels import NewLevels, describe_new_levels, new_levels
from ._ratio import _MIN_LEVEL_ROWS, blend
from ._split import check_validator, checked_frame, fit_likeness
from ._validator import AdversarialValidator

_OWNER = "AdversarialWeighter"

#: regions (quantile bins of the test rows' test-likeness) the diagnostics are given for
N_REGIONS = 5

#: share of the rows whose weight ``top_weight_share_`` adds up
_TOP_ROWS = 0.01

#: share of X_test above the clip that is worth a warning when no row of X was clipped
_UNSUPPORTED_SHARE = 0.01

#: Pareto shape of the largest weighted values above which a weighted estimate is not
#: reliable (Vehtari et al. 2024: its error no longer shrinks at the usual rate)
TAIL_SHAPE_LIMIT = 0.7

#: powers of the weights :meth:`AdversarialWeighter.estimate` weighs flattening by
#: (``w ** a``: 1 the full weights, 0 the plain mean; Shimodaira 2000)
FLATTENING = tuple(round(0.1 * step, 1) for step in range(11))

#: a flattened estimate is used when its estimated mean squared error is at most this
#: share of the full weights' (a quarter less; trust_weights.py measures 0.5 to 1)
FLATTEN_GAIN = 0.75


class AdversarialWeighter(ReprMixin, BaseEstimator):
    """Importance weights for training rows from train-vs-test domain classifiers.

    Under covariate shift a model fitted with ``sample_weight`` equal to the density
    ratio ``p_test(x) / p_train(x)`` minimises the loss on the test distribution, and a
    validation error weighted by it estimates the test error. The ratio is read off the
    probability ``p`` that a training row is a test row,

    ``w = (p / (1 - p) * n_train / n_test) ** temper``,

    with ``p`` clipped to ``clip`` first and ``w`` normalised to mean 1. Two out-of-fold
    models give ``p``: the :class:`~advval.AdversarialValidator`'s domain classifier
    (boosted trees by default: interactions, categories, missing values) and a smooth
    logistic model of each column (:mod:`advval.drift._ratio`: a restricted cubic spline
    per numeric column, indicators per category and for missing values). Trees go flat
    where training rows are rare, which is where a misspecified model's errors grow; the
    smooth model keeps extrapolating there. A logistic regression of the train / test
    label on both models' out-of-fold logits (``calibrate``) blends and calibrates them,
    so each counts by how much it lowers the out-of-fold log loss. Pass ``weights_`` as
    ``sample_weight`` to any estimator's ``fit``, or through metadata routing inside a
    :class:`~sklearn.pipeline.Pipeline` or to
    :func:`~sklearn.model_selection.cross_validate` (``params={"sample_weight": w}``).

    Whether the weights can be trusted is diagnosed per region of the test data
    (``regions_``): the test rows are cut into 5 equal bins of their test-likeness, and
    for each the training rows that fall in it are counted, with their effective number
    (Kish) and the share of the weight they carry, which should match the bin's share of
    the test rows. A :class:`~advval.exceptions.DataWarning` names the regions whose
    weighted estimate rests on too few rows or whose weight falls short (``trusted_``);
    :meth:`estimate` turns per-row validation losses into the weighted estimate of the
    test loss, with its standard error and the share its heaviest rows carry; it
    flattens the weights (a power below 1) where a few heavy rows with gross losses
    would make the full-weight estimate noisier than flattening makes it biased.

    Parameters
    ----------
    X_test : DataFrame or array-like of shape (n_test, n_features)
        The test data (features only), with the same columns as the ``X`` given to
        :meth:`fit`. Never modified.
    ratio_model : {"blend", "classifier", "smooth"}, default="blend"
        Where ``p`` comes from: both models blended (``"blend"``), the validator's
        domain classifier alone (``"classifier"``), or the smooth model alone
        (``"smooth"``).
    clip : tuple of (float, float), default=(0.01, 0.99)
        Bounds ``0 < low < high < 1`` for the test-likeness before the ratio is taken,
        so no row gets an infinite or zero weight. A
        :class:`~advval.exceptions.DataWarning` says how many rows were clipped when
        rows of ``X`` reach ``high`` or more than 1% of the rows of ``X_test`` score
        above it (test rows with almost no training counterpart: the samples do not
        fully overlap; a few such rows are expected in the tails of any shift, and the
        smooth model, which extrapolates, finds them).
    temper : float, default=1.0
        Power in [0, 1] applied to the ratio: 0 gives uniform weights, 1 the full
        correction, values between trade bias for variance.
    calibrate : bool, default=True
        Platt-scale the out-of-fold scores (the stacked logistic regression above, fitted
        on every row of both sides). Out-of-fold scores of a boosted model are
        over-dispersed when the two sides barely differ (a model fitted to noise still
        spreads its scores); the calibration shrinks them to the prior there, so no shift
        gives weights close to 1, and changes little under a real shift. A model whose
        slope comes out negative (scores that do not rank test rows above train rows) is
        left out; with both left out the weights are uniform. ``False`` uses one model's
        raw scores, so it needs ``ratio_model`` ``"classifier"`` or ``"smooth"``.
    min_ess_fraction : float, default=0.1
        Warn (:class:`~advval.exceptions.DataWarning`) when the effective sample size of
        the weights is below this fraction of the rows: the weights then rest on a few
        rows and a weighted fit is noisy.
    min_region_ess : float, default=5.0
        Warn when, in a region of the test data (``regions_``), the training rows'
        effective number is below this, or their weights carry less than half of the
        region's share of the test rows (checked with ``temper=1`` only: tempered weights
        are meant to fall short): a weighted estimate there rests on a handful of rows or
        misses part of the test data. 0 turns the effective-rows check off.
    validator : AdversarialValidator or None, default=None
        The drift check that scores the rows; a clone is fitted. ``None`` uses
        ``AdversarialValidator()``. Its ``random_state``, when ``None``, is set from this
        estimator's ``random_state``.
    prefit : bool, default=False
        ``validator`` is already fitted on exactly ``X`` and ``X_test`` (as the command
        line does): its out-of-fold scores are used, it is not refitted (a clone of the
        weighter holds an unfitted validator, as with scikit-learn's
        ``SelectFromModel(prefit=True)``). The smooth model is still fitted.
    random_state : int, RandomState instance or None, default=None
        Seeds the validator and the smooth model's folds. Fix it for reproducible
        weights.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each row of ``X``, mean 1.
    test_likeness_ : ndarray of shape (n_samples,)
        Out-of-fold probability that each row of ``X`` is a test row, blended and
        calibrated (when ``calibrate``) but not clipped; rows left out by the validator's
        ``max_rows`` are scored by its fold models.
    calibration_ : tuple of (float, float, float)
        Intercept and the slopes of the classifier's and the smooth model's logits in the
        blend: ``p = expit(a + b * logit(p_classifier) + c * logit(p_smooth))``.
        ``(0.0, 1.0, 0.0)`` or ``(0.0, 0.0, 1.0)`` with ``calibrate=False``.
    n_clipped_ : int
        Rows of ``X`` whose test-likeness was outside ``clip`` (at either end).
    n_test_unsupported_ : int
        Rows of ``X_test`` whose out-of-fold test-likeness, blended and calibrated as
        ``test_likeness_`` (not the validator's own ``oof_proba_``, which the warning
        counts beside it), is above ``clip[1]``: test rows with almost no counterpart in
        ``X``, which no weighting of ``X`` can represent. Only the rows of ``X_test`` the
        validator was fitted on (its ``max_rows``) are scored.
    effective_sample_size_ : float
        Kish's effective sample size ``sum(w) ** 2 / sum(w ** 2)``.
    ess_fraction_ : float
        ``effective_sample_size_ / n_samples``, in (0, 1]; 1 for uniform weights.
    top_weight_share_ : float
        Share of the total weight carried by the heaviest 1% of the rows (at least one
        row); 0.01 for uniform weights.
    regions_ : DataFrame
        One row per region of the test data, least test-like first (index ``region``,
        1 to 5): ``likeness_low`` and ``likeness_high`` (its test-likeness bounds),
        ``test_share`` (share of the test rows, 0.2 each up to ties), ``train_rows``
        (rows of ``X`` in it), ``effective_rows`` (their Kish effective number),
        ``weight_share`` (share of the total weight they carry), ``coverage``
        (``weight_share / test_share``: about 1 when the weights represent the region)
        and ``trusted``.
    trusted_ : bool
        No region falls below ``min_region_ess`` or (with ``temper=1``) half its
        coverage, and the effective sample size is at least ``min_ess_fraction`` of the
        rows.
    validator_ : AdversarialValidator
        The fitted validator.
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of str
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    advval.TestLikeSplit : validate on training rows drawn to look like the test data.
    advval.AdversarialValidator : the drift check behind the weights.

    References
    ----------
    Shimodaira (2000), "Improving predictive inference under covariate shift by
    weighting the log-likelihood function", J. Statistical Planning and Inference 90(2),
    for the weighting and its tempering (the power ``lambda``).
    Kish (1965), *Survey Sampling*, for the effective sample size.

    Examples
    --------
    >>> from advval import AdversarialValidator, AdversarialWeighter
    >>> from advval.datasets import make_shift
    >>> data = make_shift("mean", n_train=300, n_test=300, n_features=4, n_shifted=1,
    ...                   delta=1.0, random_state=0)
    >>> weighter = AdversarialWeighter(X_test=data.X_test, random_state=0,
    ...                                validator=AdversarialValidator(n_jobs=1))
    >>> weighter = weighter.fit(data.X_train)
    >>> w = weighter.weights_
    >>> w.shape, round(float(w.mean()), 6)
    ((300,), 1.0)
    >>> x0 = data.X_train["x0"]  # x0 is shifted up by 1 in X_test
    >>> bool((w * x0).mean() > x0.mean())
    True
    >>> 0.3 < weighter.ess_fraction_ < 1
    True
    >>> weighter.regions_.columns.tolist()[-3:]
    ['weight_share', 'coverage', 'trusted']
    """

    def __init__(
        self,
        *,
        X_test: Any,
        ratio_model: str = "blend",
        clip: tuple[float, float] = (0.01, 0.99),
        temper: float = 1.0,
        calibrate: bool = True,
        min_ess_fraction: float = 0.1,
        min_region_ess: float = 5.0,
        validator: AdversarialValidator | None = None,
        prefit: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.X_test = X_test
        self.ratio_model = ratio_model
        self.clip = clip
        self.temper = temper
        self.calibrate = calibrate
        self.min_ess_fraction = min_ess_fraction
        self.min_region_ess = min_region_ess
        self.validator = validator
        self.prefit = prefit
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_option(
            self.ratio_model,
            name="ratio_model",
            owner=_OWNER,
            options=("blend", "classifier", "smooth"),
        )
        check_clip(self.clip, owner=_OWNER)
        check_number(self.temper, name="temper", owner=_OWNER, low=0, high=1)
        check_bool(self.calibrate, name="calibrate", owner=_OWNER)
        if not self.calibrate and self.ratio_model == "blend":
            raise ValueError(
                f"{_OWNER}(calibrate=False) uses one model's raw scores: pass ratio_model="
                f"'classifier' or 'smooth' with it (the blend is fitted by the calibration)."
            )
        check_number(self.min_ess_fraction, name="min_ess_fraction", owner=_OWNER, low=0, high=1)
        check_number(self.min_region_ess, name="min_region_ess", owner=_OWNER, low=0)
        check_validator(self.validator, owner=_OWNER)
        check_bool(self.prefit, name="prefit", owner=_OWNER)

    def fit(self, X: Any, y: Any = None) -> AdversarialWeighter:
        """Fit the validator and the smooth model on ``(X, X_test)``; weight ``X``'s rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The training rows to weight, with the columns of ``X_test``. Categorical,
            string and missing values are handled as by the validator. Not modified.
        y : None
            Ignored; present for API compatibility.

        Returns
        -------
        self : AdversarialWeighter
        """
        return self._fit_named(X, names=("X", "X_test"))

    def _fit_named(self, X: Any, *, names: tuple[str, str]) -> AdversarialWeighter:
        """:meth:`fit`, its warnings calling ``X`` and ``X_test`` ``names``.

        For the command line, whose warnings name the user's files (``("TRAIN file
        'a.csv'", "TEST file 'b.csv'")``), as :meth:`AdversarialValidator._fit_named` does.
        """
        self._validate_params()
        frame = checked_frame(X, owner=_OWNER)
        validate_data(self, X, skip_check_array=True, reset=True)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(0, 2**31 - 1))
        self.validator_, raw = fit_likeness(
            frame, self.X_test, self.validator, seed=seed, prefit=self.prefit, owner=_OWNER
        )
        self._blend = blend(
            self.validator_,
            frame,
            self.X_test,
            raw,
            ratio_model=self.ratio_model,
            calibrate=self.calibrate,
            seed=int(rng.randint(0, 2**31 - 1)),
            names=names,
        )
        self.calibration_ = self._blend.calibration
        train_scores, test_scores = self._blend.train, self._blend.test
        self.test_likeness_ = train_scores
        low, high = (float(bound) for bound in self.clip)
        n_low, n_high = int((train_scores < low).sum()), int((train_scores > high).sum())
        self.n_clipped_ = n_low + n_high
        self.n_test_unsupported_ = int((test_scores > high).sum())
        if n_high or self.n_test_unsupported_ > _UNSUPPORTED_SHARE * len(test_scores):
            warnings.warn(
                _unsupported_message(
                    self.validator_,
                    (self.n_test_unsupported_, len(test_scores)),
                    (n_low, n_high, len(frame)),
                    (low, high),
                    names,
                    levels=_unsupported_levels(
                        self.validator_, frame, self.X_test, test_scores > high, names
                    ),
                ),
                DataWarning,
                stacklevel=3,
            )
        raw_ratio = self._ratio(train_scores)
        self._scale = float(raw_ratio.mean())
        weights = raw_ratio / self._scale
        self.weights_ = weights
        self.effective_sample_size_ = kish(weights)
        self.ess_fraction_ = self.effective_sample_size_ / len(weights)
        heaviest = max(1, math.ceil(_TOP_ROWS * len(weights)))
        self.top_weight_share_ = float(np.sort(weights)[-heaviest:].sum() / weights.sum())
        self.regions_ = region_diagnostics(
            train_scores,
            test_scores,
            weights,
            min_ess=float(self.min_region_ess),
            min_coverage=0.5 if self.temper == 1 else 0.0,
        )
        collapsed = self.ess_fraction_ < self.min_ess_fraction
        self.trusted_ = bool(self.regions_["trusted"].all()) and not collapsed
        if collapsed:
            warnings.warn(
                f"The weights collapse the sample: their effective sample size is "
                f"{self.effective_sample_size_:.1f} of {len(weights)} rows "
                f"({self.ess_fraction_:.1%}), below min_ess_fraction="
                f"{self.min_ess_fraction}. Train and test barely overlap; consider a "
                f"smaller temper, a narrower clip or dropping the drifting features.",
                DataWarning,
                stacklevel=3,
            )
        if not self.regions_["trusted"].all():
            warnings.warn(
                _region_message(self.regions_, float(self.min_region_ess), names),
                DataWarning,
                stacklevel=3,
            )
        return self

    def estimate(self, values: Any) -> WeightedEstimate:
        """The weighted mean of per-row values of ``X`` (validation losses), with its error.

        With the out-of-fold losses of a cross-validation of ``X`` (each row validated
        once), this estimates the loss on the test distribution. A few rows with large
        weights and gross losses (data errors, extreme rows) make the weighted mean
        unstable even when the weights are right, so ``value`` uses the weights raised
        to a power in [0, 1] (``power``, 1 unless flattening is estimated to cut the
        mean squared error by a quarter or more; :func:`weighted_estimate` says how);
        the mean with the full weights stays in ``weighted``, and ``reason`` says which
        was used and why. The standard error, the share of the estimate carried by its
        heaviest rows and the Pareto shape of its largest weighted losses (``reliable``
        false above 0.7) say how far to trust it.

        Parameters
        ----------
        values : array-like of shape (n_samples,)
            One finite value per row of the ``X`` given to :meth:`fit`, in its order.

        Returns
        -------
        WeightedEstimate

        Examples
        --------
        >>> from advval import AdversarialValidator, AdversarialWeighter
        >>> from advval.datasets import make_shift
        >>> data = make_shift("mean", n_train=300, n_test=300, n_features=2, n_shifted=1,
        ...                   delta=1.0, random_state=0)
        >>> weighter = AdversarialWeighter(X_test=data.X_test, random_state=0,
        ...                                validator=AdversarialValidator(n_jobs=1))
        >>> weighter = weighter.fit(data.X_train)
        >>> losses = np.ones(300)
        >>> losses[weighter.weights_.argmax()] = 1000.0  # a data error on the heaviest row
        >>> result = weighter.estimate(losses)
        >>> result.power < 1, bool(result.value < result.weighted)
        (True, True)
        >>> result.reason.startswith("weights flattened")
        True
        """
        check_is_fitted(self, "weights_")
        array = np.asarray(values, dtype=np.float64)
        if array.shape != self.weights_.shape or not np.isfinite(array).all():
            raise ValueError(
                f"The 'values' of {_OWNER}.estimate must be {len(self.weights_)} finite "
                f"numbers, one per row of the X given to fit. Got shape {array.shape}"
                + ("" if array.shape != self.weights_.shape else " with non-finite values")
                + " instead."
            )
        return weighted_estimate(array, self.weights_)

    def _ratio(self, likeness: NDArray[np.float64]) -> NDArray[np.float64]:
        low, high = (float(bound) for bound in self.clip)
        p = np.clip(likeness, low, high)
        ratio = p / (1.0 - p) * (self.validator_.n_train_ / self.validator_.n_test_)
        return np.asarray(ratio ** float(self.temper), dtype=np.float64)

    def compute_weights(self, X: Any) -> NDArray[np.float64]:
        """Weights for new rows, on the scale of ``weights_``.

        New rows are scored by the fold models of the validator
        (:meth:`~advval.AdversarialValidator.test_likeness`) and of the smooth model,
        blended, clipped, tempered and divided by the same constant as ``weights_`` (so
        they are not renormalised to mean 1). For the rows given to :meth:`fit` use
        ``weights_``: it is out-of-fold.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_rows, n_features)
            Rows with the columns seen in :meth:`fit` (in any order).

        Returns
        -------
        weights : ndarray of shape (n_rows,)
        """
        check_is_fitted(self, "weights_")
        frame = checked_frame(X, owner=_OWNER)
        names = getattr(self, "feature_names_in_", None)
        if names is not None and set(frame.columns) == set(names):
            frame = frame[list(names)]  # advval accepts the columns in any order
        validate_data(self, frame if names is not None else X, skip_check_array=True, reset=False)
        likeness = self._blend.likeness(frame)
        return self._ratio(likeness) / self._scale

    def _fitted_line(self) -> str | None:
        """The repr's last line once fitted (:class:`advval._repr.ReprMixin`)."""
        if not hasattr(self, "weights_"):
            return None
        trusted = "trusted" if self.trusted_ else "not trusted (see regions_)"
        return (
            f"fitted: {len(self.weights_):,} weights, effective sample size "
            f"{self.effective_sample_size_:,.0f} ({self.ess_fraction_:.0%} of the rows), the "
            f"heaviest 1% of the rows carry {self.top_weight_share_:.1%} of the weight; {trusted}"
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags


@dataclass(frozen=True)
class WeightedEstimate:
    """A weighted mean of per-row losses, how far to trust it, and the weights' power used.

    The self-normalised mean with the full weights (``weighted``) is unbiased for the
    test loss when the weights are the density ratio, but a few rows with large weights
    and gross losses (a data error, an extreme row) can carry it far off. Flattened
    weights ``w ** power`` (Shimodaira 2000; ``power`` 0 gives the plain mean) trade
    some of that bias for less variance. ``value`` uses the power among
    :data:`FLATTENING` whose estimated mean squared error is lowest, provided it is at
    most :data:`FLATTEN_GAIN` (three quarters) of the full weights'; otherwise the full
    weights. See :func:`weighted_estimate` for how the error is estimated.

    Attributes
    ----------
    value : float
        The estimate: ``sum(w ** power * v) / sum(w ** power)``.
    standard_error : float
        Its estimated root mean squared error: the delta-method standard deviation of
        ``value`` plus, with ``power < 1``, the squared bias it is estimated to carry
        against ``weighted``. With ``power == 1``, ``sqrt(sum(w ** 2 * (v - value) **
        2)) / sum(w)`` (rows taken as independent).
    effective_rows : float
        Kish's effective number of the full weights.
    top_share : float
        Share of ``sum(w * |v|)`` carried by the heaviest 1% of the rows by ``w * |v|``
        (at least one row), full weights: near 0.01 when no row dominates, near 1 when
        one does.
    tail_shape : float
        Shape of a generalised Pareto distribution fitted (maximum likelihood) to the
        largest ``w * |v|`` (full weights), the ``min(n / 5, 3 sqrt(n))`` above the next
        one, as Pareto smoothed importance sampling does (Vehtari, Simpson, Gelman, Yao
        and Gabry 2024, JMLR 25(72)). Below 0.5 the weighted mean has a finite variance
        and its standard error is meaningful; above :data:`TAIL_SHAPE_LIMIT` (0.7) a few
        rows decide it, and it varies from sample to sample far more than its standard
        error says (heavy-tailed losses where the weights are large). NaN with fewer
        than 25 rows or when the largest values are all equal.
    weighted : float
        The mean with the full weights, ``sum(w * v) / sum(w)`` (unbiased when the
        weights are the density ratio).
    weighted_standard_error : float
        Its delta-method standard error.
    power : float
        The power of the weights ``value`` uses: 1 (the full weights) down to 0 (the
        plain mean).
    reason : str
        Why that power: the estimated root mean squared errors compared.
    """

    value: float
    standard_error: float
    effective_rows: float
    top_share: float
    tail_shape: float
    weighted: float
    weighted_standard_error: float
    power: float
    reason: str

    @property
    def reliable(self) -> bool:
        """``tail_shape`` at most :data:`TAIL_SHAPE_LIMIT` (or not estimable)."""
        return not self.tail_shape > TAIL_SHAPE_LIMIT


def weighted_estimate(
    values: NDArray[np.float64], weights: NDArray[np.float64]
) -> WeightedEstimate:
    """Weighted mean of ``values``, flattened where that is estimated to be more accurate.

    For each power ``a`` of :data:`FLATTENING` the mean ``m_a`` with weights ``w ** a``
    is taken, with the linearised influence of each row on it, ``w_i ** a (v_i - m_a)
    / sum(w ** a)``. Its mean squared error as an estimate of the full-weight target is
    estimated as its variance (the sum of the squared influences) plus its squared bias
    ``(m_a - m_1) ** 2``, less the variance of ``m_a - m_1`` (the squared difference
    overstates the bias by that much on average; floored at 0). The power with the
    lowest estimate is used when that estimate is at most :data:`FLATTEN_GAIN` of the
    full weights' (their variance): the error estimates are themselves noisy, above all
    the bias term, and a small estimated gain does not outweigh the bias flattening
    brings when the weights are right. Ties go to the higher power.

    Examples
    --------
    >>> result = weighted_estimate(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4))
    >>> result.value, round(result.standard_error, 4), result.effective_rows, result.power
    (2.5, 0.559, 4.0, 1.0)
    >>> rng = np.random.default_rng(0)
    >>> light = weighted_estimate(rng.uniform(size=2000), np.ones(2000))
    >>> bool(light.tail_shape < 0), light.reliable  # bounded values: a negative shape
    (True, True)
    >>> losses = rng.exponential(size=2000)
    >>> weights = rng.exponential(size=2000)
    >>> losses[0], weights[0] = 2000.0, 30.0  # one gross loss on a heavy row
    >>> gross = weighted_estimate(losses, weights)
    >>> gross.power < 1, bool(abs(gross.value - 1) < abs(gross.weighted - 1))
    (True, True)
    """
    total = float(weights.sum())
    value = float(weights @ values) / total
    influence = weights * (values - value) / total
    error = math.sqrt(float(influence @ influence))
    power, flat_value, flat_mse = 1.0, value, error**2
    for candidate in sorted((float(a) for a in FLATTENING if a < 1), reverse=True):
        flattened = np.where(weights > 0, weights**candidate, 0.0)
        mean = float(flattened @ values) / float(flattened.sum())
        own = flattened * (values - mean) / float(flattened.sum())
        gap = own - influence
        mse = float(own @ own) + max(0.0, (mean - value) ** 2 - float(gap @ gap))
        if mse < flat_mse:
            power, flat_value, flat_mse = candidate, mean, mse
    if power < 1 and flat_mse <= FLATTEN_GAIN * error**2:
        reason = (
            f"weights flattened to w ** {power:g}: estimated root mean squared error "
            f"{math.sqrt(flat_mse):.4g} against {error:.4g} with the full weights, whose "
            f"heaviest weighted values make them noisy"
        )
    else:
        reason = (
            f"full weights: no power of them below 1 is estimated to cut their mean "
            f"squared error by {1 - FLATTEN_GAIN:.0%} or more (their root mean squared "
            f"error {error:.4g})"
        )
        power, flat_value, flat_mse = 1.0, value, error**2
    contributions = np.sort(weights * np.abs(values))
    heaviest = max(1, math.ceil(_TOP_ROWS * len(values)))
    top = float(contributions[-heaviest:].sum() / max(contributions.sum(), 1e-300))
    return WeightedEstimate(
        value=flat_value,
        standard_error=math.sqrt(flat_mse),
        effective_rows=kish(weights),
        top_share=top,
        tail_shape=pareto_tail_shape(contributions),
        weighted=value,
        weighted_standard_error=error,
        power=power,
        reason=reason,
    )


def pareto_tail_shape(values: NDArray[np.float64]) -> float:
    """Generalised Pareto shape of the largest of ``values`` (sorted ascending).

    The ``min(n / 5, 3 sqrt(n))`` largest values, less the next largest, are fitted by
    maximum likelihood with location 0. NaN with fewer than 25 values or no spread in
    the tail.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pareto = np.sort(rng.pareto(1.0, size=5000) + 1)  # tail index 1: shape 1
    >>> bool(0.7 < pareto_tail_shape(pareto) < 1.3)
    True
    """
    n = len(values)
    size = int(min(n / 5, 3 * math.sqrt(n)))
    if n < 25 or size < 5:
        return float("nan")
    excess = values[-size:] - values[-size - 1]
    if not excess.max() > 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shape, _, _ = genpareto.fit(excess / excess.max(), floc=0)
    return float(shape)


def kish(weights: NDArray[np.float64]) -> float:
    """Kish's effective sample size ``sum(w) ** 2 / sum(w ** 2)`` (0 for no weight).

    Examples
    --------
    >>> kish(np.ones(10)), kish(np.array([1.0, 0.0, 0.0, 0.0]))
    (10.0, 1.0)
    """
    total = float(weights.sum())
    return total**2 / float((weights**2).sum()) if total > 0 else 0.0


def region_diagnostics(
    train_likeness: NDArray[np.float64],
    test_likeness: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    min_ess: float,
    min_coverage: float = 0.5,
    n_regions: int = N_REGIONS,
) -> pd.DataFrame:
    """Per region of the test data: how many training rows, and how much weight, back it.

    The regions are ``n_regions`` quantile bins of the test rows' test-likeness; each
    training row falls in the bin of its own test-likeness. With weights proportional to
    the density ratio, the training rows of a region carry the region's share of the test
    rows (``coverage`` about 1); a region is not trusted when its training rows' Kish
    effective number is below ``min_ess`` or its coverage below ``min_coverage``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same = rng.uniform(size=1000)
    >>> table = region_diagnostics(same, rng.uniform(size=1000), np.ones(1000), min_ess=20)
    >>> table["train_rows"].tolist()  # about 200 each: no shift
    [155, 171, 220, 241, 213]
    >>> bool(table["trusted"].all())
    True
    """
    inner = np.quantile(test_likeness, np.linspace(0, 1, n_regions + 1)[1:-1])
    test_bins = np.searchsorted(inner, test_likeness, side="right")
    train_bins = np.searchsorted(inner, train_likeness, side="right")
    edges = np.r_[-np.inf, inner, np.inf]
    total = float(weights.sum())
    rows = []
    for region in range(n_regions):
        members = weights[train_bins == region]
        test_share = float(np.mean(test_bins == region))
        weight_share = float(members.sum()) / total
        effective = kish(members)
        coverage = weight_share / test_share if test_share > 0 else float("nan")
        rows.append(
            {
                "likeness_low": float(edges[region]),
                "likeness_high": float(edges[region + 1]),
                "test_share": test_share,
                "train_rows": int(members.size),
                "effective_rows": effective,
                "weight_share": weight_share,
                "coverage": coverage,
                "trusted": bool(
                    test_share == 0 or (effective >= min_ess and coverage >= min_coverage)
                ),
            }
        )
    return pd.DataFrame(rows, index=pd.RangeIndex(1, n_regions + 1, name="region"))


def _unsupported_message(
    validator: AdversarialValidator,
    test: tuple[int, int],
    train: tuple[int, int, int],
    clip: tuple[float, float],
    names: tuple[str, str],
    *,
    levels: tuple[list[NewLevels], int, float] | None = None,
) -> str:
    """The warning about test rows above the clip and training rows clipped.

    ``test`` is (rows above the clip, rows scored), ``train`` (rows below, rows above,
    rows). The count is of the blended scores the weights use; the domain classifier's
    own out-of-fold scores of the same test rows (what ``oof_proba_`` and the command
    line's ``--export-test-likeness`` give) are counted too, so the figure can be checked.
    ``levels`` (see :func:`_unsupported_levels`) names the levels train never has that
    those rows hold, and says why the classifier's own scores count fewer.
    """
    (n_unsupported, n_scored), (n_low, n_high, n_train) = test, train
    low, high = clip
    train_name, test_name = names
    oof = np.asarray(validator.oof_proba_, dtype=np.float64)[validator.n_train_ :]
    scored = oof[np.isfinite(oof)]
    by_classifier = int((scored > high).sum())
    of_rows = (
        f"{n_scored} rows of {test_name}"
        if n_scored == validator.n_test_
        else f"the {n_scored} rows of {test_name} the domain classifier was fitted on"
    )
    why = ""
    if levels is not None and levels[0]:
        found, n_held, classifier_top = levels
        why = (
            f" {n_held} of them hold a level {train_name} never has: "
            f"{describe_new_levels(found)}. Such a row has no counterpart in {train_name} "
            f"at all (its density ratio is infinite), so the warning is right about it"
        )
        if by_classifier < n_unsupported:
            why += (
                f"; the domain classifier's own scores of these rows stay at most "
                f"{classifier_top:.3f} because boosting shrinks each leaf's score toward "
                f"the average; the blend's calibration (a logistic regression of the side "
                f"on both models' scores, where the smooth model's indicator of the level "
                f"separates the sides) undoes that shrinkage"
            )
        why += (
            ". Validate on those rows apart, or, if a level only renames one "
            f"{train_name} has, recode it before fitting."
        )
    return (
        f"{n_unsupported} of {of_rows} have a test-likeness above {high} by the blended "
        f"score the weights are computed from (the domain classifier's and the smooth "
        f"model's out-of-fold scores, calibrated; by the domain classifier's own "
        f"out-of-fold scores, {by_classifier} do): they have almost no counterpart in "
        f"{train_name}, and no weighting of it can stand in for them.{why} The "
        f"test-likeness of "
        f"{n_high} of {n_train} rows of {train_name} was clipped to {high} (and of {n_low} "
        f"to {low}), so their weights are capped and the correction is partial."
        + _leak_advice(validator.leak_features_)
    )


def _unsupported_levels(
    validator: AdversarialValidator,
    frame: pd.DataFrame,
    X_test: Any,
    unsupported: NDArray[np.bool_],
    names: tuple[str, str],
) -> tuple[list[NewLevels], int, float]:
    """Levels train never has among the unsupported test rows, for the warning.

    ``unsupported`` marks, over the test rows the domain classifier was fitted on, those
    above the clip by the blended score. Levels held by fewer of them than the smooth
    model gives an indicator of its own (:data:`~advval.drift._ratio._MIN_LEVEL_ROWS`,
    20) are left out: rare ones may be missing from train by chance. Returns the levels
    (:func:`new_levels`), the rows holding one, and the classifier's largest out-of-fold
    score among those rows.
    """
    oof = np.asarray(validator.oof_proba_, dtype=np.float64)[validator.n_train_ :]
    rows = np.flatnonzero(np.isfinite(oof))[unsupported]
    test = align_columns(frame, as_frame(X_test, name=names[1]), names=names)
    found, held = new_levels(validator.encoder_, frame, test, rows, min_rows=_MIN_LEVEL_ROWS)
    top = float(oof[rows[held]].max()) if held.any() else float("nan")
    return found, int(held.sum()), top


def _region_message(regions: pd.DataFrame, min_ess: float, names: tuple[str, str]) -> str:
    """The warning naming the regions of the test data whose weighted estimate is weak."""
    train_name, test_name = names
    weak = regions[~regions["trusted"]]
    parts = [
        f"region {region} ({row.test_share:.0%} of {test_name}) rests on an effective "
        f"{row.effective_rows:.1f} rows of {train_name} whose weights carry "
        f"{row.weight_share:.0%} of the total"
        for region, row in weak.iterrows()
    ]
    return (
        f"A weighted estimate cannot be trusted in {len(weak)} of {len(regions)} regions of "
        f"the test data (regions: bins of the test-likeness of {test_name}, 1 least and "
        f"{len(regions)} most test-like): " + "; ".join(parts) + f". Each needs an effective "
        f"{min_ess:g} rows (min_region_ess) and at least half its share of the test rows "
        f"in weight; see regions_. Too few training rows look like these test rows: "
        f"collect more, or validate without relying on them."
    )


def check_clip(clip: object, *, owner: str) -> None:
    """Raise ``ValueError`` unless ``clip`` is a pair ``(low, high)``, 0 < low < high < 1."""
    ok = (
        isinstance(clip, (tuple, list))
        and len(clip) == 2
        and all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in clip)
        and 0 < clip[0] < clip[1] < 1
    )
    if not ok:
        raise ValueError(
            f"The 'clip' parameter of {owner} must be a pair (low, high) of floats with "
            f"0 < low < high < 1. Got {clip!r} instead."
        )


def _leak_advice(leaks: list[str]) -> str:
    """What to do when leak-like columns make the sides separate (part of a warning)."""
    if not leaks:
        return ""
    return (
        f" The validator names leak-like columns {leaks!r}, which separate the sides on "
        "their own and no weighting can match: fit the weighter without them."
    )
