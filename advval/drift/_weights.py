"""AdversarialWeighter: importance weights that make training rows look like the test data."""

from __future__ import annotations

import copy
import numbers
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_number
from ..exceptions import DataWarning
from ._split import DataSummary, check_bool, check_validator, checked_frame, fit_likeness
from ._validator import AdversarialValidator

_OWNER = "AdversarialWeighter"


class AdversarialWeighter(BaseEstimator):
    """Importance weights for training rows from a train-vs-test domain classifier.

    Under covariate shift a model fitted with ``sample_weight`` equal to the density
    ratio ``p_test(x) / p_train(x)`` minimises the loss on the test distribution. The
    ratio is estimated from an :class:`~advval.AdversarialValidator`: with ``p`` the
    out-of-fold probability that a training row is a test row,

    ``w = (p / (1 - p) * n_train / n_test) ** temper``,

    with ``p`` calibrated (``calibrate``) and clipped to ``clip`` first, and ``w``
    normalised to mean 1. Pass
    ``weights_`` as ``sample_weight`` to any estimator's ``fit``, or through metadata
    routing inside a :class:`~sklearn.pipeline.Pipeline` or to
    :func:`~sklearn.model_selection.cross_validate` (``params={"sample_weight": w}``).

    Parameters
    ----------
    X_test : DataFrame or array-like of shape (n_test, n_features)
        The test data (features only), with the same columns as the ``X`` given to
        :meth:`fit`. Never modified.
    clip : tuple of (float, float), default=(0.01, 0.99)
        Bounds ``0 < low < high < 1`` for the test-likeness before the ratio is taken,
        so no row gets an infinite or zero weight. A
        :class:`~advval.exceptions.DataWarning` says how many rows were clipped when
        rows of ``X`` reach ``high`` or rows of ``X_test`` score above it (test rows
        with almost no training counterpart: the samples do not fully overlap).
    temper : float, default=1.0
        Power in [0, 1] applied to the ratio: 0 gives uniform weights, 1 the full
        correction, values between trade bias for variance.
    calibrate : bool, default=True
        Platt-scale the out-of-fold test-likeness (a logistic regression of the train /
        test label on its logit, fitted on every row of both sides) before the ratio is
        taken. Out-of-fold scores of a boosted model are over-dispersed when the two
        sides barely differ (a model fitted to noise still spreads its scores); the
        calibration shrinks them to the prior there, so no shift gives weights close to 1,
        and changes little under a real shift. A negative slope (scores that do not rank
        test rows above train rows) is set to 0: uniform weights. ``False`` uses the raw
        scores.
    min_ess_fraction : float, default=0.1
        Warn (:class:`~advval.exceptions.DataWarning`) when the effective sample size of
        the weights is below this fraction of the rows: the weights then rest on a few
        rows and a weighted fit is noisy.
    validator : AdversarialValidator or None, default=None
        The drift check that scores the rows; a clone is fitted. ``None`` uses
        ``AdversarialValidator()``. Its ``random_state``, when ``None``, is set from this
        estimator's ``random_state``.
    prefit : bool, default=False
        ``validator`` is already fitted on exactly ``X`` and ``X_test`` (as the command
        line does): its out-of-fold scores are used, nothing is refitted (a clone of the
        weighter holds an unfitted validator, as with scikit-learn's
        ``SelectFromModel(prefit=True)``).
    random_state : int, RandomState instance or None, default=None
        Seeds the validator. Fix it for reproducible weights.

    Attributes
    ----------
    weights_ : ndarray of shape (n_samples,)
        Weight of each row of ``X``, mean 1.
    test_likeness_ : ndarray of shape (n_samples,)
        Out-of-fold probability that each row of ``X`` is a test row, calibrated (when
        ``calibrate``) but not clipped; rows left out by the validator's ``max_rows`` are
        scored by its fold models.
    calibration_ : tuple of (float, float)
        Intercept and slope of the Platt scaling on the logit scale; ``(0.0, 1.0)``
        (identity) when ``calibrate=False``.
    n_clipped_ : int
        Rows of ``X`` whose test-likeness was outside ``clip`` (at either end).
    n_test_unsupported_ : int
        Rows of ``X_test`` whose out-of-fold test-likeness is above ``clip[1]``: test
        rows with almost no counterpart in ``X``, which no weighting of ``X`` can
        represent.
    effective_sample_size_ : float
        Kish's effective sample size ``sum(w) ** 2 / sum(w ** 2)``.
    ess_fraction_ : float
        ``effective_sample_size_ / n_samples``, in (0, 1]; 1 for uniform weights.
    validator_ : AdversarialValidator
        The fitted validator.
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of str
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    advval.TestLikeSplit : validate on the most test-like training rows instead.
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
    """

    def __init__(
        self,
        *,
        X_test: Any,
        clip: tuple[float, float] = (0.01, 0.99),
        temper: float = 1.0,
        calibrate: bool = True,
        min_ess_fraction: float = 0.1,
        validator: AdversarialValidator | None = None,
        prefit: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.X_test = X_test
        self.clip = clip
        self.temper = temper
        self.calibrate = calibrate
        self.min_ess_fraction = min_ess_fraction
        self.validator = validator
        self.prefit = prefit
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_clip(self.clip, owner=_OWNER)
        check_number(self.temper, name="temper", owner=_OWNER, low=0, high=1)
        check_bool(self.calibrate, name="calibrate", owner=_OWNER)
        check_number(self.min_ess_fraction, name="min_ess_fraction", owner=_OWNER, low=0, high=1)
        check_validator(self.validator, owner=_OWNER)
        check_bool(self.prefit, name="prefit", owner=_OWNER)

    def fit(self, X: Any, y: Any = None) -> AdversarialWeighter:
        """Fit the validator on ``(X, X_test)`` and compute the weights of ``X``'s rows.

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
        self._validate_params()
        frame = checked_frame(X, owner=_OWNER)
        validate_data(self, X, skip_check_array=True, reset=True)
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        self.validator_, raw = fit_likeness(
            frame, self.X_test, self.validator, seed=seed, prefit=self.prefit, owner=_OWNER
        )
        self.calibration_ = _platt(self.validator_) if self.calibrate else (0.0, 1.0)
        likeness = self._calibrated(raw)
        self.test_likeness_ = likeness
        low, high = (float(bound) for bound in self.clip)
        n_low, n_high = int((likeness < low).sum()), int((likeness > high).sum())
        self.n_clipped_ = n_low + n_high
        test_scores = self.validator_.oof_proba_[self.validator_.n_train_ :]
        test_scores = self._calibrated(test_scores[~np.isnan(test_scores)])
        self.n_test_unsupported_ = int((test_scores > high).sum())
        if n_high or self.n_test_unsupported_:
            warnings.warn(
                f"{self.n_test_unsupported_} of {len(test_scores)} rows of X_test have a "
                f"test-likeness above {high}: they have almost no counterpart in X, and no "
                f"weighting of X can stand in for them. The test-likeness of {n_high} of "
                f"{len(frame)} rows of X was clipped to {high} (and of {n_low} to {low}), "
                f"so their weights are capped and the correction is partial."
                + _leak_advice(self.validator_.leak_features_),
                DataWarning,
                stacklevel=2,
            )
        raw = self._ratio(likeness)
        self._scale = float(raw.mean())
        weights = raw / self._scale
        self.weights_ = weights
        self.effective_sample_size_ = float(weights.sum() ** 2 / (weights**2).sum())
        self.ess_fraction_ = self.effective_sample_size_ / len(weights)
        if self.ess_fraction_ < self.min_ess_fraction:
            warnings.warn(
                f"The weights collapse the sample: their effective sample size is "
                f"{self.effective_sample_size_:.1f} of {len(weights)} rows "
                f"({self.ess_fraction_:.1%}), below min_ess_fraction="
                f"{self.min_ess_fraction}. Train and test barely overlap; consider a "
                f"smaller temper, a narrower clip or dropping the drifting features.",
                DataWarning,
                stacklevel=2,
            )
        return self

    def _ratio(self, likeness: NDArray[np.float64]) -> NDArray[np.float64]:
        low, high = (float(bound) for bound in self.clip)
        p = np.clip(likeness, low, high)
        ratio = p / (1.0 - p) * (self.validator_.n_train_ / self.validator_.n_test_)
        return np.asarray(ratio ** float(self.temper), dtype=np.float64)

    def compute_weights(self, X: Any) -> NDArray[np.float64]:
        """Weights for new rows, on the scale of ``weights_``.

        New rows are scored by the validator's fold models
        (:meth:`~advval.AdversarialValidator.test_likeness`), clipped, tempered and
        divided by the same constant as ``weights_`` (so they are not renormalised to mean
        1). For the rows given to :meth:`fit` use ``weights_``: it is out-of-fold.

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
        likeness = self._calibrated(self.validator_.test_likeness(frame))
        return self._ratio(likeness) / self._scale

    def _calibrated(self, likeness: NDArray[np.float64]) -> NDArray[np.float64]:
        intercept, slope = self.calibration_
        if (intercept, slope) == (0.0, 1.0):
            return likeness
        return np.asarray(expit(intercept + slope * _logit(likeness)), dtype=np.float64)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        shown = copy.copy(self)
        shown.X_test = DataSummary(self.X_test)
        return BaseEstimator.__repr__(shown, N_CHAR_MAX=N_CHAR_MAX)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags


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


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def _platt(validator: AdversarialValidator) -> tuple[float, float]:
    """Intercept and slope of a logistic regression of the domain label on logit(score).

    Fitted by Newton's method on the validator's out-of-fold scores of both sides (rows
    left out by ``max_rows`` skipped). A slope below 0 is set to 0 (intercept: the
    prior log-odds), so scores that do not rank test above train give uniform weights.
    """
    scores = np.asarray(validator.oof_proba_, dtype=np.float64)
    labels = np.r_[np.zeros(validator.n_train_), np.ones(validator.n_test_)]
    used = ~np.isnan(scores)
    z, y = _logit(scores[used]), labels[used]
    prior = float(np.log(y.mean()) - np.log1p(-y.mean()))
    design = np.column_stack([np.ones_like(z), z])
    ridge = np.array([0.0, 1e-6 * len(z)])  # keeps the slope finite when scores separate

    def loss(beta: NDArray[np.float64]) -> float:
        eta = design @ beta
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * ridge @ beta**2)

    beta = np.array([prior, 0.0])
    current = loss(beta)
    for _ in range(100):  # damped Newton: each step halved until the loss goes down
        fitted = expit(design @ beta)
        gradient = design.T @ (fitted - y) + ridge * beta
        hessian = design.T @ (design * (fitted * (1 - fitted))[:, None]) + np.diag(ridge)
        step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        size = 1.0
        while size > 1e-10 and loss(beta + size * step) > current:
            size /= 2
        beta = beta + size * step
        previous, current = current, loss(beta)
        if previous - current < 1e-12 * max(1.0, abs(current)):
            break
    if not np.all(np.isfinite(beta)) or beta[1] <= 0:
        return prior, 0.0
    return float(beta[0]), float(beta[1])


def _leak_advice(leaks: list[str]) -> str:
    """What to do when leak-like columns make the sides separate (part of a warning)."""
    if not leaks:
        return ""
    return (
        f" The validator names leak-like columns {leaks!r}, which separate the sides on "
        "their own and no weighting can match: fit the weighter without them."
    )
