"""The per-column models of :class:`~advval.dependency.SubstitutionImputer`.

A numeric column is predicted by a **ridge start boosted by trees**: a ridge regression
on the predictors (standardised, its penalty chosen by generalised cross-validation)
gives every row a start, and LightGBM fits the residuals from it (``init_score``) --
or by trees alone, where those do better on held-out rows. A categorical column gets a
LightGBM classifier. Both stop adding trees when a held-out slice of the observed rows
stops improving:

- A straight-line relation (a charge that is a rate times minutes) costs a tree model
  many leaves and still comes out as a staircase, which interpolates and extrapolates
  badly; the ridge start gets it exactly, and the trees add what is not linear.
- A column that the others do not predict (an independent count) should be imputed by
  its mean; a hundred trees fitted to noise scatter around it instead (normalised RMSE
  above 1). Stopping on held-out rows keeps few or no trees there.

The number of trees is chosen once per column by :func:`fit_trees` (trees are added
until ``PATIENCE`` rounds in a row bring no improvement on the held-out slice); the model
is then fitted again on every observed row with that many trees (scaled up for the
larger sample), and later rounds of the imputer reuse the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import RidgeCV

#: share of a column's observed rows held out to choose its number of trees
VALIDATION_SHARE = 0.2
#: fewest held-out rows that can choose a number of trees (fewer: every tree is kept)
MIN_VALIDATION_ROWS = 20
#: rounds without improvement on the held-out rows before the trees stop
PATIENCE = 10
#: most rows the ridge start is fitted on (a seeded uniform sample above this: a few
#: dozen coefficients are settled long before)
MAX_LINEAR_ROWS = 20_000
#: categorical predictors of at most this many levels enter the ridge start as indicators
MAX_DUMMY_LEVELS = 32
#: penalties the ridge start chooses from (on standardised predictors)
ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 13))
#: LightGBM objectives whose held-out metric is the squared error (None: regression)
_SQUARED_ERROR = (None, "regression", "regression_l2", "l2", "mse", "mean_squared_error")


@dataclass
class LinearStart:
    """A ridge regression of a target on the predictors, standardised.

    Numeric predictors enter as they are, categorical ones of at most ``MAX_DUMMY_LEVELS``
    levels as one indicator per level (more levels are left to the trees).

    Attributes
    ----------
    numeric : list of str
        The numeric predictor columns it reads.
    dummies : dict
        Categorical predictor column -> its number of levels (one indicator each).
    center, scale : ndarray
        Standardisation of the design's columns (a missing value, such as a text feature
        of a missing text or an unseen level, counts as the column's mean).
    coef : ndarray
        Coefficients on the standardised design.
    intercept : float
    """

    numeric: list[str]
    dummies: dict[str, int]
    center: NDArray[np.float64]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float

    @classmethod
    def fit(
        cls, X: pd.DataFrame, y: NDArray[np.float64], *, seed: int, skip: frozenset[str]
    ) -> LinearStart:
        """Fit on ``X`` (at most ``MAX_LINEAR_ROWS`` seeded rows) less the columns ``skip``."""
        kept = [str(c) for c in X.columns if str(c) not in skip]
        numeric = [c for c in kept if not isinstance(X[c].dtype, pd.CategoricalDtype)]
        dummies = {
            c: len(X[c].cat.categories)
            for c in kept
            if isinstance(X[c].dtype, pd.CategoricalDtype)
            and len(X[c].cat.categories) <= MAX_DUMMY_LEVELS
        }
        if len(y) > MAX_LINEAR_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(len(y), MAX_LINEAR_ROWS, False))
            X, y = X.iloc[rows], y[rows]
        empty = np.zeros(0)
        start = cls(numeric, dummies, empty, empty, empty, float(np.mean(y)))
        raw = start._raw(X)
        if raw.shape[1] == 0:
            return start
        center = np.nanmean(raw, axis=0)
        spread = np.nanstd(raw, axis=0)
        start.center = np.where(np.isnan(center), 0.0, center)
        start.scale = np.where((spread > 0) & np.isfinite(spread), spread, 1.0)
        ridge = RidgeCV(alphas=ALPHAS).fit(start._design(raw), y)
        start.coef = np.asarray(ridge.coef_, dtype=np.float64)
        start.intercept = float(ridge.intercept_)
        return start

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        if len(self.coef) == 0:
            return np.full(len(X), self.intercept)
        return self._design(self._raw(X)) @ self.coef + self.intercept

    def _raw(self, X: pd.DataFrame) -> NDArray[np.float64]:
        parts = [X[self.numeric].to_numpy(dtype=np.float64)]
        for column, n_levels in self.dummies.items():
            codes = X[column].cat.codes.to_numpy()
            indicators = (codes[:, None] == np.arange(n_levels)).astype(np.float64)
            indicators[codes < 0] = np.nan
            parts.append(indicators)
        return np.hstack(parts)

    def _design(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        design = (raw - self.center) / self.scale
        design[np.isnan(design)] = 0.0
        return np.asarray(design)


class BoostedLinearRegressor:
    """A numeric column's model: a :class:`LinearStart` plus trees fitted to its residuals.

    Predictions are clipped to the range of the target values it was fitted on (a ridge
    start would otherwise carry a far-out predictor value into an impossible imputation).

    ``skip`` names predictors the ridge start leaves to the trees: those that are mostly
    fills exactly where the model imputes (missing together with the target). A ridge
    spreads its weight over collinear columns, so a twin column missing in the same rows
    would carry half of the prediction from its own fill; trees pick one of the twins
    and can tell fills by their indicators.

    Attributes
    ----------
    linear_ : LinearStart or None
        ``None`` when trees alone did better on the held-out rows.
    booster_model_ : LGBMRegressor
        The trees, fitted to ``y - linear_.predict(X)``.
    n_trees_ : int
        Trees used (0: the ridge start alone).
    bounds_ : tuple of float
        Smallest and largest target value seen in fit.
    """

    def __init__(self, model: lgb.LGBMRegressor) -> None:
        self.booster_model_ = model

    def fit(
        self,
        X: pd.DataFrame,
        y: NDArray[np.float64],
        *,
        n_trees: int | None,
        linear: bool | None,
        seed: int,
        skip: frozenset[str] = frozenset(),
    ) -> BoostedLinearRegressor:
        """Fit; ``n_trees=None`` chooses the trees, ``linear=None`` whether to start linear.

        The choice is made on a held-out slice (as :func:`fit_trees` does): trees from
        the ridge start (fitted on the other rows) against trees alone, each stopped on
        the held-out rows; the lower held-out squared error wins.
        """
        self.bounds_ = (float(np.min(y)), float(np.max(y)))
        if n_trees is None or linear is None:
            n_trees, linear = _chosen_start(self.booster_model_, X, y, seed=seed, skip=skip)
        self.linear_ = LinearStart.fit(X, y, seed=seed, skip=skip) if linear else None
        start = None if self.linear_ is None else self.linear_.predict(X)
        self.n_trees_ = fit_trees(self.booster_model_, X, y, start, n_trees=n_trees, seed=seed)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        predicted = np.zeros(len(X)) if self.linear_ is None else self.linear_.predict(X)
        if self.n_trees_ > 0:
            predicted = predicted + self.booster_model_.predict(X, num_iteration=self.n_trees_)
        return np.clip(predicted, *self.bounds_)


def fit_trees(
    model: lgb.LGBMModel,
    X: pd.DataFrame,
    y: NDArray[Any],
    start: NDArray[np.float64] | None,
    *,
    n_trees: int | None,
    seed: int,
) -> int:
    """Fit ``model`` on ``X``, ``y`` (from ``start``); return the number of trees to use.

    ``n_trees=None`` chooses it: fit on all but a seeded ``VALIDATION_SHARE`` of the rows,
    stop after ``PATIENCE`` rounds without improvement on the held-out ones, then fit
    again on every row with the best number divided by ``1 - VALIDATION_SHARE`` (at most
    ``n_estimators``). A given number is fitted on every row.
    """
    limit = int(model.get_params()["n_estimators"])
    if n_trees is None:
        n_trees = _chosen_trees(model, X, y, start, seed=seed)[0]
    if n_trees == 0:
        return 0
    model.set_params(n_estimators=n_trees)
    model.fit(X, y, init_score=start)
    model.set_params(n_estimators=limit)
    return n_trees


def _chosen_trees(
    model: lgb.LGBMModel,
    X: pd.DataFrame,
    y: NDArray[Any],
    start: NDArray[np.float64] | None,
    *,
    seed: int,
) -> tuple[int, float]:
    """The number of trees (scaled to every row) and its held-out loss (NaN: unscored)."""
    limit = int(model.get_params()["n_estimators"])
    held = _held_out(len(y), seed)
    if held is None:
        return limit, float("nan")
    if isinstance(model, lgb.LGBMClassifier) and not np.isin(y[held], y[~held]).all():
        return limit, float("nan")  # a class only in the held-out rows: unscored
    fit_start = None if start is None else start[~held]
    valid_start: Any = None if start is None else [start[held]]
    model.fit(
        X[~held],
        y[~held],
        init_score=fit_start,
        eval_X=(X[held],),
        eval_y=(y[held],),
        eval_init_score=valid_start,
        callbacks=[lgb.early_stopping(PATIENCE, first_metric_only=True, verbose=False)],
    )
    best = int(model.best_iteration_ or 0)
    scores = next(iter(model.evals_result_["valid_0"].values()))
    baseline = _start_loss(model, y[held], None if start is None else start[held])
    if baseline is not None and (best == 0 or scores[best - 1] >= baseline):
        return 0, baseline
    # every observed row supports more trees than four fifths of them: scaled up (on the
    # nonlinear test table, 3 seeds: normalised RMSE 0.485 instead of 0.499)
    return min(limit, int(round(best / (1 - VALIDATION_SHARE)))), float(scores[best - 1])


def _held_out(n_rows: int, seed: int) -> NDArray[np.bool_] | None:
    """The seeded held-out rows, or None when there are too few."""
    n_valid = int(round(VALIDATION_SHARE * n_rows))
    if n_valid < MIN_VALIDATION_ROWS:
        return None
    held = np.zeros(n_rows, dtype=bool)
    held[np.random.default_rng(seed).choice(n_rows, n_valid, replace=False)] = True
    return held


def _chosen_start(
    model: lgb.LGBMRegressor,
    X: pd.DataFrame,
    y: NDArray[np.float64],
    *,
    seed: int,
    skip: frozenset[str],
) -> tuple[int, bool]:
    """Trees and whether to start from a ridge fit, by held-out squared error.

    The ridge start is fitted on the rows that are not held out. With too few rows to
    hold out, or a metric other than the squared error, the ridge start is kept.
    """
    held = _held_out(len(y), seed)
    if held is None or model.get_params()["objective"] not in _SQUARED_ERROR:
        return _chosen_trees(
            model, X, y, LinearStart.fit(X, y, seed=seed, skip=skip).predict(X), seed=seed
        )[0], True
    linear = LinearStart.fit(X[~held], y[~held], seed=seed, skip=skip)
    with_start, with_loss = _chosen_trees(model, X, y, linear.predict(X), seed=seed)
    alone, alone_loss = _chosen_trees(model, X, y, None, seed=seed)
    if alone_loss < with_loss:
        return alone, False
    return with_start, True


def _start_loss(
    model: lgb.LGBMModel, y: NDArray[Any], start: NDArray[np.float64] | None
) -> float | None:
    """Held-out squared error of the start alone, when that is the model's metric."""
    if start is None or model.get_params()["objective"] not in _SQUARED_ERROR:
        return None
    return float(np.mean((y - start) ** 2))
