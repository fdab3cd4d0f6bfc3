"""A smooth density-ratio model and its blend with the domain classifier.

Why a second model
------------------
The importance weight of a training row is the density ratio ``p_test(x) / p_train(x)``,
read off a domain classifier's probability. A boosted tree classifier gives piecewise
constant probabilities, and its last leaves are widest where training rows are rare: the
ratio goes flat exactly in the tails where a misspecified model's errors are largest, and
a weighted validation error there misses the test error (measured in
``benchmarks/trust_weights.py``: the textbook 1-D shift of Shimodaira (2000)). A logistic
regression on a smooth basis of every column (a restricted cubic spline of the robustly
standardised value, a missing-value indicator, and one indicator per frequent category)
keeps extrapolating there, linearly beyond its outer knots. A square term as well (exact
for a Gaussian shift in spread, whose log-odds is quadratic) was measured and left out:
on heavy-tailed real columns it extrapolated the weights of the largest values far past
the truth (diamonds selected on carat: relative error of the weighted estimate 0.86
with it, 0.54 without, 0.55 unweighted), and the spline alone stays within the targets
on the Gaussian shifts.

How closely it follows the tails, and how far it may extrapolate, is decided on the
data. Seven knots at Harrell's quantiles (2.5% to 97.5%) let the log-ratio bend in the
tails (a narrower test distribution: its log-ratio is quadratic, and with five knots the
weighted estimate was 0.052 off against the true ratio's 0.033, over 1.5 times). The L2
penalty of the logistic regression is chosen from a short grid by the out-of-fold log
loss of the train / test label itself (no loss of the user's model enters), so on columns
that move together the coefficients are shrunk: with a light fixed penalty, nearly
collinear columns (the diamonds' length, width and depth) got large opposite
coefficients, and a row whose width was a data error (31.8 mm for a length of 5.2 mm)
got a test-likeness of 0.9999998 and a weight of 52 where its true ratio is 0.7, which
alone moved a weighted estimate of the test error by 3.4 times the truth. Both choices
are measured in ``benchmarks/trust_weights.py``.

It sees each column alone (no interactions), so it misses a shift in how columns move
together; the boosted classifier sees those. Which one to trust is decided on the
out-of-fold scores themselves: a logistic regression of the train / test label on the
logits of both models' out-of-fold probabilities (a stacked Platt scaling) weights each
by how much it lowers the log loss, and calibrates the blend in the same step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .._frames import align_columns, as_frame
from ._validator import AdversarialValidator

#: rows (both sides together) the smooth model is fitted on; the others are scored by the
#: average of its fold models, as the domain classifier's row budget does
SMOOTH_MAX_ROWS = 60_000

#: rows whose basis is built at once when scoring (bounds the memory on large tables)
CHUNK_ROWS = 50_000

#: rows whose basis terms are written (and squared and summed) together: a block of the
#: wide basis that stays in cache
_BLOCK_ROWS = 512

#: quantiles of the pooled values where the restricted cubic spline has its knots (Harrell,
#: *Regression Modeling Strategies*, table 2.3, seven knots)
_KNOT_QUANTILES = (0.025, 0.1833, 0.3417, 0.5, 0.6583, 0.8167, 0.975)

#: inverse L2 penalties of the smooth model tried, strongest first; the one with the lowest
#: out-of-fold log loss is kept
PENALTY_GRID = (0.01, 0.1, 1.0)

#: rows (of those fitted on) the penalty is chosen on; beyond them it is chosen on a
#: sample this size, drawn in proportion from both sides, and the folds fitted once with it
PENALTY_MAX_ROWS = 10_000

#: standardised values beyond this many robust standard deviations are capped (outliers
#: of heavy-tailed columns would otherwise dominate the linear tails)
_Z_CAP = 6.0

#: categories with fewer rows than this share the all-zero "other" encoding
_MIN_LEVEL_ROWS = 20

#: most frequent categories of a column given their own indicator
_MAX_LEVELS = 30


@dataclass(frozen=True)
class _NumericColumn:
    center: float
    scale: float
    knots: NDArray[np.float64]
    has_missing: bool


@dataclass(frozen=True)
class _CategoricalColumn:
    levels: tuple[object, ...]
    has_missing: bool


class SmoothBasis:
    """Per-column smooth features of the domain classifier's encoded matrix.

    Numeric columns (datetime and text parts included) give the robustly standardised
    value ``z`` (median, and the interquartile range / 1.349, capped at 6 such units) and
    the non-linear terms of a restricted cubic spline of ``z`` with knots at pooled
    quantiles (linear beyond the outer knots) and, when the column has missing
    values, an indicator of them (the value itself then set to the median). Categorical
    columns give one indicator per level with at least 20 rows (at most the 30 most
    frequent), and one for missing. The columns of the result are standardised.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": np.linspace(-2, 2, 200),
    ...                       "b": pd.Categorical(["u", "v"] * 100)})
    >>> basis = SmoothBasis().fit(frame)
    >>> basis.transform(frame).shape  # a: z and 5 spline terms; b: 2 levels
    (200, 8)
    """

    def fit(self, frame: pd.DataFrame) -> SmoothBasis:
        """Learn centres, scales, knots and levels from ``frame`` (both sides pooled)."""
        self._fit_columns(frame)
        self._fit_scale(frame)
        return self

    def fit_transform(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """:meth:`fit`, then :meth:`transform` of the same rows, building the basis once."""
        self._fit_columns(frame)
        design = self._fit_scale(frame)
        design /= self.scale_
        return design

    def _fit_columns(self, frame: pd.DataFrame) -> None:
        """Centre, scale and knots of each numeric column; levels of each categorical."""
        self.columns_: dict[str, _NumericColumn | _CategoricalColumn] = {}
        for name in frame.columns:
            values = frame[name]
            if isinstance(values.dtype, pd.CategoricalDtype):
                counts = values.value_counts(sort=True)
                kept = counts[counts >= _MIN_LEVEL_ROWS].index[:_MAX_LEVELS]
                self.columns_[name] = _CategoricalColumn(tuple(kept), bool(values.isna().any()))
                continue
            x = values.to_numpy(dtype=np.float64, na_value=np.nan)
            seen = x[~np.isnan(x)]
            if seen.size == 0:
                continue
            center = float(np.median(seen))
            q25, q75 = np.quantile(seen, [0.25, 0.75])
            scale = float(q75 - q25) / 1.349
            if not scale > 0:
                scale = float(seen.std()) or 1.0
            z = np.clip((seen - center) / scale, -_Z_CAP, _Z_CAP)
            knots = np.unique(np.quantile(z, _KNOT_QUANTILES))
            self.columns_[name] = _NumericColumn(
                center, scale, knots if knots.size >= 3 else knots[:0], bool(np.isnan(x).any())
            )

    def _fit_scale(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Set ``mean_`` and ``scale_`` (the standard deviation, 1 where it is 0).

        Returns the basis less ``mean_``.
        """
        design = self._raw(frame)
        self.mean_ = design.mean(axis=0)
        design -= self.mean_
        self.scale_ = np.sqrt(_column_sums_of_squares(design) / len(design))
        self.scale_[~(self.scale_ > 0)] = 1.0
        return design

    def transform(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """The standardised basis of ``frame``'s rows, one row each."""
        design = self._raw(frame)
        design -= self.mean_
        design /= self.scale_
        return design

    def _raw(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """The basis before standardising, filled :data:`_BLOCK_ROWS` rows at a time.

        Each column's terms are a narrow slice of a wide row-major matrix; filled a block
        of rows at a time, the slice being written stays in cache (column by column over
        every row, each value landed on its own cache line: 70% of the basis's time on
        60,000 rows of 1,091 terms). Every term is computed value by value, so the result
        does not depend on the block size.
        """
        widths = [_width(column) for column in self.columns_.values()]
        design = np.empty((len(frame), sum(widths)))
        sources: list[tuple[NDArray[Any], NDArray[np.intp] | None]] = []
        for name, column in self.columns_.items():
            values = frame[name]
            if isinstance(column, _CategoricalColumn):
                codes = values.cat.categories.get_indexer(pd.Index(column.levels))
                sources.append((values.cat.codes.to_numpy(), codes))
            else:
                sources.append((values.to_numpy(dtype=np.float64, na_value=np.nan), None))
        for first in range(0, len(frame), _BLOCK_ROWS):
            rows = slice(first, first + _BLOCK_ROWS)
            start = 0
            for column, width, (source, wanted) in zip(
                self.columns_.values(), widths, sources, strict=True
            ):
                block = design[rows, start : start + width]
                start += width
                _fill(block, column, source[rows], wanted)
        return design


def _fill(
    block: NDArray[np.float64],
    column: _NumericColumn | _CategoricalColumn,
    source: NDArray[Any],
    wanted: NDArray[np.intp] | None,
) -> None:
    """Write one column's basis terms for some rows into ``block`` (those rows' slice)."""
    if isinstance(column, _CategoricalColumn):
        assert wanted is not None
        np.equal(source[:, None], wanted[None, :], out=block[:, : len(wanted)])
        if column.has_missing:
            block[:, -1] = source < 0
        return
    missing = np.isnan(source)
    z = np.clip(
        (np.where(missing, column.center, source) - column.center) / column.scale,
        -_Z_CAP,
        _Z_CAP,
    )
    block[:, 0] = z
    n_spline = max(0, len(column.knots) - 2)
    block[:, 1 : 1 + n_spline] = restricted_cubic_spline(z, column.knots)
    if column.has_missing:
        block[:, -1] = missing


def _column_sums_of_squares(design: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum of squares down each column of a row-major matrix, without a squared copy.

    The rows are added one after the other, as ``(design ** 2).sum(axis=0)`` adds them
    (so the same floats), a block of rows at a time.
    """
    total = design[0] * design[0]
    for first in range(1, len(design), _BLOCK_ROWS):
        block = design[first : first + _BLOCK_ROWS]
        total = np.add.reduce(np.vstack([total[None, :], block * block]), axis=0)
    return total


def _width(column: _NumericColumn | _CategoricalColumn) -> int:
    """Basis columns of one column."""
    if isinstance(column, _CategoricalColumn):
        return len(column.levels) + column.has_missing
    return 1 + max(0, len(column.knots) - 2) + column.has_missing


def restricted_cubic_spline(
    x: NDArray[np.float64], knots: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Non-linear terms of a restricted (natural) cubic spline with ``knots``, sorted.

    ``len(knots) - 2`` columns; with ``x`` itself they span the cubic splines that are
    linear beyond the outer knots (Harrell, *Regression Modeling Strategies*, 2.4.5).
    Fewer than 3 knots give no columns.

    Examples
    --------
    >>> x = np.linspace(0, 10, 6)
    >>> restricted_cubic_spline(x, np.array([2.0, 5.0, 8.0])).shape
    (6, 1)
    >>> # linear beyond the last knot: equal second differences vanish
    >>> far = restricted_cubic_spline(np.array([9.0, 10.0, 11.0]), np.array([2.0, 5.0, 8.0]))
    >>> bool(abs(far[2, 0] - 2 * far[1, 0] + far[0, 0]) < 1e-9)
    True
    """
    k = len(knots)
    if k < 3:
        return np.empty((len(x), 0))
    norm = (knots[-1] - knots[0]) ** 2
    cubes = []
    for t in knots:
        d = np.maximum(x - t, 0.0)
        cubes.append(d * d * d)
    last, before = knots[-1], knots[-2]
    gap = last - before
    columns = [
        (cubes[j] - cubes[-2] * ((last - t) / gap) + cubes[-1] * ((before - t) / gap)) / norm
        for j, t in enumerate(knots[:-2])
    ]
    return np.column_stack(columns)


@dataclass(frozen=True)
class SmoothScores:
    """Out-of-fold probabilities of the smooth model and its fold models.

    Attributes
    ----------
    scores : ndarray of shape (n_train + n_test,)
        Probability that each row is a test row (train rows first); out-of-fold for the
        rows the model was fitted on, the fold models' average for the others.
    basis : SmoothBasis
        The fitted basis.
    models : tuple of LogisticRegression
        ``models[k]`` was fitted without fold ``k``.
    penalty : float
        The inverse L2 penalty ``C`` chosen from :data:`PENALTY_GRID`.
    """

    scores: NDArray[np.float64]
    basis: SmoothBasis
    models: tuple[LogisticRegression, ...]
    penalty: float

    def predict(self, encoded: pd.DataFrame) -> NDArray[np.float64]:
        """Average of the fold models' probabilities for new (encoded) rows.

        The basis is built :data:`CHUNK_ROWS` rows at a time, so memory stays bounded.
        """
        scores = np.empty(len(encoded))
        for start in range(0, len(encoded), CHUNK_ROWS):
            design = self.basis.transform(encoded.iloc[start : start + CHUNK_ROWS])
            scores[start : start + CHUNK_ROWS] = np.mean(
                [m.predict_proba(design)[:, 1] for m in self.models], axis=0
            )
        return scores


def smooth_scores(
    encoded: pd.DataFrame, labels: NDArray[np.int_], *, n_splits: int, seed: int
) -> SmoothScores:
    """Fit the smooth domain model out-of-fold on ``encoded`` rows (label 1: test row).

    At most :data:`SMOOTH_MAX_ROWS` rows, drawn in proportion from both sides, are fitted
    on; the others are scored by the fold models. The L2 penalty (``C`` on standardised
    columns) is the one of :data:`PENALTY_GRID` whose out-of-fold scores have the lowest
    log loss, on at most :data:`PENALTY_MAX_ROWS` of the rows fitted on (a sample of
    them beyond that: the choice costs about half a fit, not three; each fold's fit then
    starts from the sample's model of the same fold).
    """
    rng = np.random.default_rng(seed)
    n = len(labels)
    fitted_rows = np.arange(n)
    if n > SMOOTH_MAX_ROWS:
        fitted_rows = np.sort(
            np.concatenate(
                [
                    rng.choice(
                        side, size=max(n_splits, round(SMOOTH_MAX_ROWS * side.size / n)),
                        replace=False,
                    )
                    for side in (np.flatnonzero(labels == 0), np.flatnonzero(labels == 1))
                ]
            )
        )
    basis = SmoothBasis()
    design = basis.fit_transform(encoded.iloc[fitted_rows])
    fitted_labels = labels[fitted_rows]
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    splits = list(folds.split(design, fitted_labels))
    grid: tuple[float, ...] = PENALTY_GRID
    starts = None
    if len(fitted_rows) > PENALTY_MAX_ROWS:  # choose on a sample, then fit once
        sample = np.sort(
            np.concatenate(
                [
                    rng.choice(
                        side,
                        size=round(PENALTY_MAX_ROWS * side.size / len(fitted_rows)),
                        replace=False,
                    )
                    for side in (
                        np.flatnonzero(fitted_labels == 0),
                        np.flatnonzero(fitted_labels == 1),
                    )
                ]
            )
        )
        # the sample keeps each row's fold, so its fold model k never saw the rows that
        # fold k holds out: the fold fits start from it (the same optimum, about two
        # thirds of the iterations) and no held-out row leaks in through the start
        fold_of = np.empty(len(fitted_rows), dtype=np.int_)
        for k, (_, held) in enumerate(splits):
            fold_of[held] = k
        sample_fold = fold_of[sample]
        sample_splits = [
            (np.flatnonzero(sample_fold != k), np.flatnonzero(sample_fold == k))
            for k in range(n_splits)
        ]
        losses, sample_fits = _fold_fits(
            design[sample], fitted_labels[sample], sample_splits, grid
        )
        chosen = int(np.argmin(losses))
        grid = (grid[chosen],)
        starts = [(m.coef_, m.intercept_) for m in sample_fits[chosen][1]]
    losses, fits = _fold_fits(design, fitted_labels, splits, grid, starts=starts)
    best = int(np.argmin(losses))
    held_scores, models = fits[best]
    scores = np.full(n, np.nan)
    scores[fitted_rows] = held_scores
    fitted = SmoothScores(scores=scores, basis=basis, models=models, penalty=grid[best])
    rest = np.flatnonzero(np.isnan(scores))
    if rest.size:
        scores[rest] = fitted.predict(encoded.iloc[rest])
    return fitted


def _fold_fits(
    design: NDArray[np.float64],
    labels: NDArray[np.int_],
    splits: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    grid: tuple[float, ...],
    *,
    starts: list[tuple[NDArray[np.float64], NDArray[np.float64]]] | None = None,
) -> tuple[list[float], list[tuple[NDArray[np.float64], tuple[LogisticRegression, ...]]]]:
    """Out-of-fold log loss, scores and fold models of the smooth model for each penalty.

    ``splits`` holds each fold's (fitted, held-out) row positions. Each fold's fits run
    from the first penalty of ``grid`` to the last, each started from the previous
    coefficients (lbfgs ``warm_start``); the first from ``starts[k]`` (coefficients,
    intercept) for fold ``k`` when given, else from zero.
    """
    held_scores = np.full((len(grid), len(labels)), np.nan)
    models: list[list[LogisticRegression]] = [[] for _ in grid]
    for fold, (fit, held) in enumerate(splits):
        previous = None if starts is None else starts[fold]
        for k, penalty in enumerate(grid):
            model = LogisticRegression(C=penalty, max_iter=1000, warm_start=True)
            if previous is not None:
                model.coef_, model.intercept_ = previous[0].copy(), previous[1].copy()
            model.fit(design[fit], labels[fit])
            held_scores[k, held] = model.predict_proba(design[held])[:, 1]
            models[k].append(model)
            previous = (model.coef_, model.intercept_)
    losses = [log_loss(labels, row) for row in held_scores]
    pairs = zip(held_scores, models, strict=True)
    return losses, [(row, tuple(fold_models)) for row, fold_models in pairs]


def log_loss(labels: NDArray[np.int_], p: NDArray[np.float64]) -> float:
    """Mean binary log loss of probabilities ``p`` (kept inside ``[1e-9, 1 - 1e-9]``).

    Examples
    --------
    >>> round(log_loss(np.array([0, 1]), np.array([0.5, 0.5])), 4)
    0.6931
    """
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(np.where(labels == 1, np.log(q), np.log1p(-q))))


def logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log(p / (1 - p))`` with ``p`` kept inside ``[1e-9, 1 - 1e-9]``."""
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def stacked_platt(
    logits: NDArray[np.float64], labels: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Intercept and one slope per column of ``logits``: a logistic regression of ``labels``.

    Fitted by damped Newton steps with a tiny ridge on the slopes (finite when the scores
    separate the sides). A slope that comes out negative (a model whose scores do not rank
    test rows above train rows, given the others) is set to 0 and the rest refitted; with
    every slope 0 the intercept is the prior log-odds, and the blend gives uniform weights.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[np.zeros(500), np.ones(500)]
    >>> good = 2.0 * (y - 0.5) + rng.normal(size=1000)  # informative logits
    >>> noise = rng.normal(size=1000)
    >>> beta = stacked_platt(np.column_stack([good, noise]), y)
    >>> bool(beta[1] > 0.5), bool(abs(beta[2]) < 0.2)
    (True, True)
    """
    k = logits.shape[1]
    active = np.ones(k, dtype=bool)
    prior = float(np.log(labels.mean()) - np.log1p(-labels.mean()))
    while True:
        beta = _newton_logistic(logits[:, active], labels, prior)
        full = np.zeros(k + 1)
        full[0] = beta[0]
        full[1:][active] = beta[1:]
        if not np.all(np.isfinite(full)):
            return np.r_[prior, np.zeros(k)]
        negative = active & (full[1:] <= 0)
        if not negative.any():
            return full
        active &= ~negative
        if not active.any():
            return np.r_[prior, np.zeros(k)]


def _newton_logistic(
    logits: NDArray[np.float64], labels: NDArray[np.float64], prior: float
) -> NDArray[np.float64]:
    design = np.column_stack([np.ones(len(labels)), logits])
    ridge = np.r_[0.0, np.full(logits.shape[1], 1e-6 * len(labels))]

    def loss(beta: NDArray[np.float64]) -> float:
        eta = design @ beta
        return float(np.sum(np.logaddexp(0.0, eta) - labels * eta) + 0.5 * ridge @ beta**2)

    beta = np.r_[prior, np.zeros(logits.shape[1])]
    current = loss(beta)
    for _ in range(100):  # damped Newton: each step halved until the loss goes down
        fitted = expit(design @ beta)
        gradient = design.T @ (fitted - labels) + ridge * beta
        hessian = design.T @ (design * (fitted * (1 - fitted))[:, None]) + np.diag(ridge)
        step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        size = 1.0
        while size > 1e-10 and loss(beta + size * step) > current:
            size /= 2
        beta = beta + size * step
        previous, current = current, loss(beta)
        if previous - current < 1e-12 * max(1.0, abs(current)):
            break
    return beta


@dataclass(frozen=True)
class Blend:
    """Blended, calibrated test-likeness from the domain classifier and the smooth model.

    Attributes
    ----------
    train : ndarray of shape (n_train,)
        Out-of-fold test-likeness of every training row.
    test : ndarray
        Out-of-fold test-likeness of the test rows the domain classifier was fitted on.
    calibration : tuple of (float, float, float)
        Intercept and the slopes of the classifier's and the smooth model's logits.
    validator : AdversarialValidator
        The fitted validator.
    smooth : SmoothScores or None
        The smooth model (None when it is not part of the blend).
    """

    train: NDArray[np.float64]
    test: NDArray[np.float64]
    calibration: tuple[float, float, float]
    validator: AdversarialValidator
    smooth: SmoothScores | None

    def likeness(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Test-likeness of new rows (columns as seen in fit), from the fold models."""
        intercept, classifier_slope, smooth_slope = self.calibration
        eta = np.full(len(frame), intercept)
        if classifier_slope:
            eta += classifier_slope * logit(self.validator.test_likeness(frame))
        if self.smooth is not None and smooth_slope:
            names = self.validator.feature_names_in_
            encoded = self.validator.encoder_.transform(frame.set_axis(names, axis=1))
            eta += smooth_slope * logit(self.smooth.predict(encoded))
        return np.asarray(expit(eta), dtype=np.float64)


def blend(
    validator: AdversarialValidator,
    X: pd.DataFrame,
    X_test: object,
    classifier_train: NDArray[np.float64],
    *,
    ratio_model: str,
    calibrate: bool,
    seed: int,
    names: tuple[str, str] = ("X", "X_test"),
) -> Blend:
    """Fit the smooth model and the stacked calibration next to a fitted ``validator``.

    ``classifier_train`` is the validator's out-of-fold test-likeness of ``X``'s rows
    (fold-model scores for rows outside its budget). ``ratio_model`` is ``"blend"``,
    ``"classifier"`` or ``"smooth"``; without ``calibrate`` the one model's raw scores are
    used. The calibration is fitted on the rows the domain classifier was fitted on.
    ``names``: what messages about the data call ``X`` and ``X_test`` (the weighter's
    arguments, or the user's files), as the validator's fit on them does.
    """
    n_train = validator.n_train_
    oof = np.asarray(validator.oof_proba_, dtype=np.float64)
    labels = np.r_[np.zeros(n_train), np.ones(validator.n_test_)]
    used = ~np.isnan(oof)
    smooth = None
    probabilities = []
    if ratio_model != "smooth":
        probabilities.append(np.r_[classifier_train, oof[n_train:]])
    if ratio_model != "classifier":
        test = align_columns(X, as_frame(X_test, name=names[1]), names=names)
        encoded = pd.concat(
            [validator.encoder_.transform(X), validator.encoder_.transform(test)],
            ignore_index=True,
        )
        smooth = smooth_scores(encoded, labels.astype(np.int_), n_splits=5, seed=seed)
        probabilities.append(smooth.scores)
    logits = np.column_stack([logit(p) for p in probabilities])
    beta = stacked_platt(logits[used], labels[used]) if calibrate else np.array([0.0, 1.0])
    slopes = [float(b) for b in beta[1:]]
    if ratio_model == "classifier":
        slopes.append(0.0)
    elif ratio_model == "smooth":
        slopes.insert(0, 0.0)
    scores = (
        np.asarray(expit(beta[0] + logits @ beta[1:]), dtype=np.float64)
        if calibrate
        else probabilities[0]  # the one model's own scores, untouched
    )
    return Blend(
        train=scores[:n_train],
        test=scores[n_train:][used[n_train:]],
        calibration=(float(beta[0]), slopes[0], slopes[1]),
        validator=validator,
        smooth=smooth if slopes[1] else None,
    )
