"""The per-column models of :class:`~advval.dependency.SubstitutionImputer`.

Each column is predicted by one of a few **model families**, or on small tables by a
convex blend of them (:class:`ColumnBlend`), chosen per column on held-out observed rows
(:mod:`~advval.dependency._impute_choice`):

- ``"prior"`` (categorical only): the observed class shares, whatever the predictors
  (:class:`ClassPrior`): the most frequent class is imputed;
- ``"linear"``: a ridge regression (numeric column) or a multinomial logistic regression
  (categorical column) on the predictors, standardised (:class:`LinearDesign`);
- ``"linear+trees"`` (numeric only): the ridge gives every row a start and LightGBM fits
  the residuals from it (``init_score``);
- ``"trees"``: gradient-boosted LightGBM trees alone;
- ``"forest"`` (small tables): extremely randomised trees grown to single rows, a
  random subset of the predictors at each split (:class:`ColumnForest`; close to the
  missForest recipe, with random thresholds);
- ``"linear+forest"`` (numeric, small tables): the forest fits the residuals from the
  ridge, so that the blend has a forest that extrapolates along the ridge.

Why several:

- A straight-line relation (a charge that is a rate times minutes) costs a tree model
  many leaves and still comes out as a staircase, which interpolates and extrapolates
  badly; a linear model gets it exactly, and under missingness at random the missing
  cells are often where the observed ones are rare, so extrapolation matters.
- On a few hundred rows of nonlinear relations, averaging deep trees on bagged rows beats
  boosting stopped on a few dozen held-out rows.
- A column that the others do not predict (an independent count) should be imputed by
  its mean; a hundred trees fitted to noise scatter around it instead (normalised RMSE
  above 1). Boosted trees stop when a held-out slice stops improving, so they keep few
  or none there, and a ridge shrinks to the mean.

The number of boosted trees is chosen with the family (:func:`early_stopped`: trees are
added until ``PATIENCE`` rounds in a row bring no improvement on the held-out rows); the
model is then fitted again on every observed row with that many trees (scaled up for the
larger sample), and later rounds of the imputer reuse the family and the number. Where
the choice rests on a single split (large columns), the first round imputes with the
model the choice fitted instead of refitting it
(:func:`~advval.dependency._impute_choice.adoptable`); later rounds fit every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV

#: share of a column's observed rows held out to choose its model (a fold's share)
VALIDATION_SHARE = 0.2
#: fewest held-out rows that can choose a model (fewer: the default family, every tree)
MIN_VALIDATION_ROWS = 20
#: rounds without improvement on the held-out rows before the trees stop
PATIENCE = 10
#: most rows a linear model is fitted on (a seeded uniform sample above this: a few
#: dozen coefficients are settled long before)
MAX_LINEAR_ROWS = 20_000
#: categorical predictors of at most this many levels enter a linear model as indicators
MAX_DUMMY_LEVELS = 32
#: penalties the ridge chooses from (on standardised predictors)
ALPHAS = tuple(float(a) for a in np.logspace(-3, 3, 13))
#: inverse penalty of the multinomial logistic regression (standardised predictors)
LOGISTIC_C = 1.0
#: trees of the forest family (:class:`ColumnForest`)
FOREST_TREES = 100
#: share of the predictors each split of the forest family draws from
FOREST_FEATURES = 0.5
#: numeric predictions may leave the observed range by this share of it on either side
#: (a linear model extrapolates, which imputations missing at random need; a far-out
#: predictor value must not carry it to an impossible value)
RANGE_MARGIN = 1.0

#: model families of numeric columns, simplest first
NUMERIC_FAMILIES = ("linear", "linear+trees", "trees", "forest", "linear+forest")
#: the families that grow a forest (small tables only)
FOREST_FAMILIES = ("forest", "linear+forest")
#: model families of categorical columns, simplest first
LABEL_FAMILIES = ("prior", "linear", "trees", "forest")


# ------------------------------------------------------------------ linear models


@dataclass
class LinearDesign:
    """The standardised design a linear model reads from the predictors.

    Numeric predictors enter as they are, categorical ones of at most ``MAX_DUMMY_LEVELS``
    levels as one indicator per level (more levels are left to the trees); columns named
    in ``skip`` are left out. A missing value (a text feature of a missing text, an unseen
    level) counts as the column's mean.

    Attributes
    ----------
    numeric : list of str
        The numeric predictor columns it reads.
    dummies : dict
        Categorical predictor column -> its number of levels (one indicator each).
    center, scale : ndarray
        Standardisation of the design's columns.
    """

    numeric: list[str]
    dummies: dict[str, int]
    center: NDArray[np.float64]
    scale: NDArray[np.float64]

    @classmethod
    def learn(
        cls,
        X: pd.DataFrame,
        skip: frozenset[str] = frozenset(),
        raw: NDArray[np.float64] | None = None,
    ) -> LinearDesign:
        """The design of ``X`` less the columns ``skip``, standardised on ``X``'s rows.

        ``raw``: ``X``'s unstandardised design (:meth:`raw`) where already computed.
        """
        design = cls.reading(X, skip)
        raw = design.raw(X) if raw is None else raw
        if raw.shape[1] > 0:
            center = np.nanmean(raw, axis=0) if len(raw) else np.zeros(raw.shape[1])
            spread = np.nanstd(raw, axis=0) if len(raw) else np.ones(raw.shape[1])
            design.center = np.where(np.isnan(center), 0.0, center)
            design.scale = np.where((spread > 0) & np.isfinite(spread), spread, 1.0)
        return design

    @classmethod
    def reading(cls, X: pd.DataFrame, skip: frozenset[str] = frozenset()) -> LinearDesign:
        """The columns the design of ``X`` less ``skip`` reads, not yet standardised: its
        :meth:`raw` of ``X`` can be computed once and shared by designs learned on
        subsets of ``X``'s rows (same columns, same levels).

        Examples
        --------
        >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": pd.Categorical(["x", "y", "x"])})
        >>> raw = LinearDesign.reading(X).raw(X)
        >>> raw.tolist()
        [[1.0, 1.0, 0.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]]
        >>> design = LinearDesign.learn(X, raw=raw)
        >>> bool(np.array_equal(design.standardised(raw), design.matrix(X)))
        True
        """
        kept = [str(c) for c in X.columns if str(c) not in skip]
        numeric = [c for c in kept if not isinstance(X[c].dtype, pd.CategoricalDtype)]
        dummies = {
            c: len(X[c].cat.categories)
            for c in kept
            if isinstance(X[c].dtype, pd.CategoricalDtype)
            and len(X[c].cat.categories) <= MAX_DUMMY_LEVELS
        }
        empty = np.zeros(0)
        return cls(numeric, dummies, empty, empty)

    @property
    def width(self) -> int:
        return len(self.center)

    def matrix(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """``X`` as the standardised design (missing values at 0, the mean)."""
        return self.standardised(self.raw(X))

    def standardised(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """The standardised design of rows whose :meth:`raw` design is ``raw``."""
        design = (raw - self.center) / self.scale
        design[np.isnan(design)] = 0.0
        return np.asarray(design)

    def raw(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """``X``'s design before standardising: numbers as they are, one indicator per
        level (NaN where the value is missing)."""
        parts = [X[self.numeric].to_numpy(dtype=np.float64)]
        for column, n_levels in self.dummies.items():
            codes = X[column].cat.codes.to_numpy()
            indicators = (codes[:, None] == np.arange(n_levels)).astype(np.float64)
            indicators[codes < 0] = np.nan
            parts.append(indicators)
        return np.hstack(parts)


def _budget(n_rows: int, seed: int) -> NDArray[np.intp] | None:
    """A seeded sample of ``MAX_LINEAR_ROWS`` rows, or None when there are not more."""
    if n_rows <= MAX_LINEAR_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, MAX_LINEAR_ROWS, replace=False))


@dataclass
class LinearStart:
    """A ridge regression of a target on the predictors' :class:`LinearDesign`.

    Its penalty is chosen by generalised cross-validation; it is fitted on at most
    ``MAX_LINEAR_ROWS`` seeded rows.

    Attributes
    ----------
    design : LinearDesign
    coef : ndarray
        Coefficients on the standardised design.
    intercept : float
    """

    design: LinearDesign
    coef: NDArray[np.float64]
    intercept: float

    @classmethod
    def fit(
        cls,
        X: pd.DataFrame,
        y: NDArray[np.float64],
        *,
        seed: int,
        skip: frozenset[str],
        raw: NDArray[np.float64] | None = None,
    ) -> LinearStart:
        """Fit on ``X`` (at most ``MAX_LINEAR_ROWS`` seeded rows) less the columns ``skip``.

        ``raw``: ``X``'s unstandardised design (``LinearDesign.reading(X, skip).raw(X)``)
        where already computed; the fit is the same without it, bit for bit.
        """
        rows = _budget(len(y), seed)
        if rows is not None:
            X, y = X.iloc[rows], y[rows]
            raw = None if raw is None else raw[rows]
        reading = LinearDesign.reading(X, skip)
        raw = reading.raw(X) if raw is None else raw
        design = LinearDesign.learn(X, skip, raw)
        if design.width == 0:
            return cls(design, np.zeros(0), float(np.mean(y)))
        ridge = RidgeCV(alphas=ALPHAS).fit(design.standardised(raw), y)
        return cls(design, np.asarray(ridge.coef_, dtype=np.float64), float(ridge.intercept_))

    def predict(
        self, X: pd.DataFrame, raw: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """The ridge's predictions of ``X`` (``raw``: its unstandardised design, where
        already computed)."""
        if self.design.width == 0:
            return np.full(len(X), self.intercept)
        raw = self.design.raw(X) if raw is None else raw
        return self.design.standardised(raw) @ self.coef + self.intercept


class LinearClassifier:
    """A multinomial logistic regression of a categorical target on a :class:`LinearDesign`.

    Fitted on at most ``MAX_LINEAR_ROWS`` seeded rows, penalty ``1 / LOGISTIC_C``.

    Attributes
    ----------
    design_ : LinearDesign
    model_ : LogisticRegression
    classes_ : ndarray
        The target codes it predicts.
    """

    def fit(
        self, X: pd.DataFrame, y: NDArray[Any], *, seed: int, skip: frozenset[str] = frozenset()
    ) -> LinearClassifier:
        rows = _budget(len(y), seed)
        if rows is not None:
            X, y = X.iloc[rows], y[rows]
        raw = LinearDesign.reading(X, skip).raw(X)
        self.design_ = LinearDesign.learn(X, skip, raw)
        design = self.design_.standardised(raw)
        if design.shape[1] == 0:
            design = np.zeros((len(y), 1))
        self.model_ = LogisticRegression(C=LOGISTIC_C, max_iter=500).fit(design, y)
        self.classes_ = self.model_.classes_
        return self

    def _matrix(self, X: pd.DataFrame) -> NDArray[np.float64]:
        design = self.design_.matrix(X)
        return design if design.shape[1] else np.zeros((len(X), 1))

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        return np.asarray(self.model_.predict_proba(self._matrix(X)))

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        return np.asarray(self.model_.predict(self._matrix(X)))


class ClassPrior:
    """The class shares of a categorical target, whatever the predictors.

    The ``"prior"`` family: a column the others do not predict (a customer's gender from
    their bank balance) is best imputed by its most frequent class, and a model fitted to
    noise scatters its imputations over the other classes instead.

    Attributes
    ----------
    classes_ : ndarray
        The target codes, sorted.
    shares_ : ndarray
        The share of each class among the fitted rows.
    """

    def fit(self, X: pd.DataFrame, y: NDArray[Any]) -> ClassPrior:
        self.classes_, counts = np.unique(y, return_counts=True)
        self.shares_ = counts / counts.sum()
        return self

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        return np.tile(self.shares_, (len(X), 1))

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        return np.full(len(X), self.classes_[np.argmax(self.shares_)])


# -------------------------------------------------------------------- forests


class ColumnForest:
    """Extremely randomised trees (scikit-learn) on the predictors as numbers.

    The forest family of small tables: ``FOREST_TREES`` trees grown to single rows, each
    split drawn at random thresholds of ``FOREST_FEATURES`` of the predictors, every
    tree on every row. The predictors are read as numbers: numeric ones as they are,
    categorical ones of at most ``MAX_DUMMY_LEVELS`` levels as one indicator per level,
    larger ones as their level codes (a missing value: the column's mean, -1 for codes);
    the columns named in ``skip`` are left out.

    Why not a random forest: on the numeric columns of two real tables (300 rows of
    Boston housing, the 178 wines), 5-fold, the normalised RMSE of random thresholds on
    half the predictors was 0.412 and 0.629, a random forest of ``sqrt(p)`` predictors a
    split (the missForest recipe) 0.445 and 0.651, LightGBM's random-forest mode (binned
    predictors) 0.458 and 0.647.

    Parameters
    ----------
    classifier : bool
        A classifier (categorical target) or a regressor.
    random_state : int
    n_jobs : int
        Threads.
    skip : frozenset of str
        Predictors left out. The imputer leaves out its missing-value indicators: among
        the few predictors a split draws from, an indicator (useless when cells are
        missing completely at random) takes the place of a column. On the 178 wines
        (20% missing completely at random, 5 seeds), forests alone imputed with a
        normalised RMSE of 0.685 with the indicators and 0.670 without.

    Attributes
    ----------
    design_ : LinearDesign
    codes_ : list of str
        Categorical predictors of more than ``MAX_DUMMY_LEVELS`` levels (as codes).
    model_ : ExtraTreesRegressor or ExtraTreesClassifier
    classes_ : ndarray
        The target codes a classifier predicts.
    """

    def __init__(
        self,
        *,
        classifier: bool,
        random_state: int,
        n_jobs: int = 1,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.classifier = classifier
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.skip = skip

    def fit(self, X: pd.DataFrame, y: NDArray[Any]) -> ColumnForest:
        self.design_ = LinearDesign.learn(X, self.skip)
        self.codes_ = [
            str(c)
            for c in X.columns
            if isinstance(X[c].dtype, pd.CategoricalDtype)
            and str(c) not in self.design_.dummies
            and str(c) not in self.skip
        ]
        factory = ExtraTreesClassifier if self.classifier else ExtraTreesRegressor
        self.model_ = factory(
            n_estimators=FOREST_TREES,
            max_features=FOREST_FEATURES,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        ).fit(self._matrix(X), y)
        if self.classifier:
            self.classes_ = self.model_.classes_
        return self

    def _matrix(self, X: pd.DataFrame) -> NDArray[np.float64]:
        parts = [self.design_.matrix(X)]
        parts += [X[c].cat.codes.to_numpy().astype(np.float64)[:, None] for c in self.codes_]
        matrix = np.hstack(parts)
        return matrix if matrix.shape[1] else np.zeros((len(X), 1))

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        return np.asarray(self.model_.predict(self._matrix(X)))

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        return np.asarray(self.model_.predict_proba(self._matrix(X)))


# ----------------------------------------------------------------- regressor


class ColumnRegressor:
    """A numeric column's model: a linear start, boosted trees, both, or a forest.

    Predictions stay within the range of the target values it was fitted on widened by
    ``RANGE_MARGIN`` of that range on either side.

    ``skip`` names predictors the linear start leaves to the trees: the missing-value
    indicators (an indicator's coefficient would move every row where that column was
    filled, and under missingness at random those are the unusual rows), and columns
    missing together with the target in nearly all its missing cells. A ridge spreads
    its weight over collinear columns, so a twin column missing in the same rows would
    carry half of the prediction from its own fill; trees pick one of the twins and can
    tell fills by their indicators.

    Attributes
    ----------
    family_ : str
        One of ``NUMERIC_FAMILIES``.
    linear_ : LinearStart or None
        The linear start (the families whose name starts with ``"linear"``).
    booster_model_ : LGBMRegressor or ColumnForest
        The trees (fitted to ``y - linear_.predict(X)`` with a linear start); a
        :class:`ColumnForest` for ``"forest"`` and ``"linear+forest"``.
    n_trees_ : int
        Trees used (0: the linear start alone).
    bounds_ : tuple of float
        The range its predictions are clipped to.
    """

    def __init__(self, model: lgb.LGBMRegressor, forest: ColumnForest | None = None) -> None:
        self.booster_model_: Any = model
        self._forest = forest

    @classmethod
    def adopted(
        cls,
        family: str,
        y: NDArray[np.float64],
        *,
        linear: LinearStart | None,
        model: Any,
        n_trees: int,
    ) -> ColumnRegressor:
        """``family``'s model made of parts the held-out choice fitted on its training rows.

        ``linear``: the ridge start (the families whose name starts with ``"linear"``);
        ``model``: the early-stopped trees, of which ``n_trees`` are used; ``y``: every
        observed value, whose range bounds the predictions as :meth:`fit`'s would be.
        """
        adopted = cls(model)
        adopted._bound(y)
        adopted.family_ = family
        adopted.linear_ = linear if family.startswith("linear") else None
        adopted.n_trees_ = n_trees if family.endswith("trees") else 0
        return adopted

    def _bound(self, y: NDArray[np.float64]) -> None:
        low, high = float(np.min(y)), float(np.max(y))
        margin = RANGE_MARGIN * (high - low)
        self.bounds_ = (low - margin, high + margin)

    def fit(
        self,
        X: pd.DataFrame,
        y: NDArray[np.float64],
        *,
        family: str,
        n_trees: int | None,
        seed: int,
        skip: frozenset[str] = frozenset(),
    ) -> ColumnRegressor:
        """Fit ``family`` on every row; ``n_trees=None``: every tree of the template."""
        self._bound(y)
        self.family_ = family
        self.linear_ = None
        raw = None
        if family.startswith("linear"):  # its design of X, read once for fit and start
            raw = LinearDesign.reading(X, skip).raw(X)
            self.linear_ = LinearStart.fit(X, y, seed=seed, skip=skip, raw=raw)
        if family in ("forest", "linear+forest"):
            assert self._forest is not None
            start = None if self.linear_ is None else self.linear_.predict(X, raw)
            self.booster_model_ = self._forest.fit(X, y if start is None else y - start)
            self.n_trees_ = FOREST_TREES
            return self
        if family == "linear":
            self.n_trees_ = 0
            return self
        start = None if self.linear_ is None else self.linear_.predict(X, raw)
        self.n_trees_ = fit_trees(self.booster_model_, X, y, start, n_trees=n_trees)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[np.float64]:
        predicted = np.zeros(len(X)) if self.linear_ is None else self.linear_.predict(X)
        if self.family_.endswith("forest"):
            predicted = predicted + np.asarray(self.booster_model_.predict(X))
        elif self.n_trees_ > 0:
            predicted = predicted + self.booster_model_.predict(X, num_iteration=self.n_trees_)
        return np.clip(predicted, *self.bounds_)


#: the name the imputer's numeric model had before its families (a ridge start boosted)
BoostedLinearRegressor = ColumnRegressor


class ColumnClassifier:
    """A categorical column's model: the class shares, a logistic regression, boosted
    trees or a forest.

    Attributes
    ----------
    family_ : str
        One of ``LABEL_FAMILIES``.
    model_ : ClassPrior, LinearClassifier, LGBMClassifier or ColumnForest
        The fitted model.
    n_trees_ : int
        Trees used (0 for ``"prior"`` and ``"linear"``).
    """

    def __init__(self, model: lgb.LGBMClassifier, forest: ColumnForest | None = None) -> None:
        self.model_: Any = model
        self._forest = forest

    @classmethod
    def adopted(cls, family: str, model: Any, n_trees: int) -> ColumnClassifier:
        """``family``'s model as the held-out choice fitted it on its training rows
        (``"linear"``: the logistic regression; ``"trees"``: the early-stopped trees, of
        which ``n_trees`` are used)."""
        adopted = cls(model)
        adopted.family_ = family
        adopted.n_trees_ = n_trees if family == "trees" else 0
        return adopted

    def fit(
        self,
        X: pd.DataFrame,
        y: NDArray[Any],
        *,
        family: str,
        n_trees: int | None,
        seed: int,
        skip: frozenset[str] = frozenset(),
    ) -> ColumnClassifier:
        """Fit ``family`` on every row; ``n_trees=None``: every tree of the template."""
        self.family_ = family
        if family == "prior":
            self.model_ = ClassPrior().fit(X, y)
            self.n_trees_ = 0
        elif family == "linear":
            self.model_ = LinearClassifier().fit(X, y, seed=seed, skip=skip)
            self.n_trees_ = 0
        elif family == "forest":
            assert self._forest is not None
            self.model_ = self._forest.fit(X, y)
            self.n_trees_ = FOREST_TREES
        else:
            self.n_trees_ = fit_trees(self.model_, X, y, None, n_trees=n_trees)
        return self

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        if self.family_ == "trees":
            return np.asarray(self.model_.predict(X, num_iteration=self.n_trees_))
        return np.asarray(self.model_.predict(X))

    def predict_proba(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Class probabilities, in the order of ``classes_``."""
        if self.family_ == "trees":
            return np.asarray(self.model_.predict_proba(X, num_iteration=self.n_trees_))
        return np.asarray(self.model_.predict_proba(X))

    @property
    def classes_(self) -> NDArray[Any]:
        return np.asarray(self.model_.classes_)


def blend_name(weights: dict[str, float]) -> str:
    """The name a blend of families is shown by: every member, heaviest first, joined
    by ``" & "`` (one family: its own name).

    A categorical blend of the class shares with a small weight of trees imputes the
    class the trees prefer among the frequent ones, so its heaviest family alone would
    misname it; the weights are in ``SubstitutionImputer.blends_``.

    Examples
    --------
    >>> blend_name({"trees": 0.2, "prior": 0.8})
    'prior & trees'
    >>> blend_name({"linear": 1.0})
    'linear'
    """
    ranked = sorted(weights, key=lambda family: -weights[family])
    return " & ".join(ranked)


class ColumnBlend:
    """A convex combination of fitted column models of several families.

    The weights are fitted on the families' held-out predictions
    (:func:`~advval.dependency._impute_choice.convex_weights`): numeric columns average
    the members' predictions (each within its bounds), categorical columns their class
    probabilities, and impute the most probable class.

    Attributes
    ----------
    members_ : list of tuple
        ``(weight, model)``: each a fitted :class:`ColumnRegressor` or
        :class:`ColumnClassifier`; weights positive, summing to 1.
    family_ : str
        The family of the heaviest member.
    n_trees_ : int
        Trees of every member together.
    """

    def __init__(self, members: list[tuple[float, Any]]) -> None:
        self.members_ = members
        self.family_ = max(members, key=lambda member: member[0])[1].family_
        self.n_trees_ = sum(int(model.n_trees_) for _, model in members)

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        if isinstance(self.members_[0][1], ColumnRegressor):
            return np.asarray(sum(w * model.predict(X) for w, model in self.members_))
        classes = np.unique(np.concatenate([model.classes_ for _, model in self.members_]))
        probability = np.zeros((len(X), len(classes)))
        for weight, model in self.members_:
            columns = np.searchsorted(classes, model.classes_)
            probability[:, columns] += weight * model.predict_proba(X)
        return np.asarray(classes[probability.argmax(axis=1)])


# -------------------------------------------------------------------- trees


def fit_trees(
    model: lgb.LGBMModel,
    X: pd.DataFrame,
    y: NDArray[Any],
    start: NDArray[np.float64] | None,
    *,
    n_trees: int | None,
) -> int:
    """Fit ``model`` on ``X``, ``y`` (from ``start``) with ``n_trees`` trees; return them.

    ``None``: every tree of the template (``n_estimators``). 0 fits nothing.
    """
    limit = int(model.get_params()["n_estimators"])
    n_trees = limit if n_trees is None else min(n_trees, limit)
    if n_trees == 0:
        return 0
    model.set_params(n_estimators=n_trees)
    model.fit(X, y, init_score=start)
    model.set_params(n_estimators=limit)
    return n_trees


def early_stopped(
    model: lgb.LGBMModel,
    X: pd.DataFrame,
    y: NDArray[Any],
    start: NDArray[np.float64] | None,
    held: NDArray[np.bool_],
) -> int:
    """Fit trees on the rows not ``held``, stopped on the ``held`` ones; the best number.

    The model keeps only the best number of trees: LightGBM's scikit-learn ``fit`` drops
    the ``PATIENCE`` trees grown after it. So :func:`held_predictions` at a larger number
    (the one the other folds chose, see
    :func:`~advval.dependency._impute_choice._cross_fitted`) predicts with this fold's
    best: a fold is scored at the smaller of its own best and the other folds' number.
    """
    fit_start = None if start is None else start[~held]
    valid_start: Any = None if start is None else [start[held]]
    metric: Any = None
    if isinstance(model, lgb.LGBMClassifier):
        # LightGBM's classifier codes the labels it trains on (0 .. k-1) but not eval_y:
        # its own validation loss read class indices it never learned (past the end of
        # its scores: a different number on each call, even negative). The held rows'
        # loss is computed here from the probabilities it passes, against coded labels.
        codes = np.searchsorted(np.unique(y[~held]), y[held])
        model.set_params(metric="None")
        metric = partial(held_log_loss, codes)
    model.fit(
        X[~held],
        y[~held],
        init_score=fit_start,
        eval_X=(X[held],),
        eval_y=(y[held],),
        eval_init_score=valid_start,
        eval_metric=metric,
        callbacks=[lgb.early_stopping(PATIENCE, first_metric_only=True, verbose=False)],
    )
    return max(int(model.best_iteration_ or 0), 1)


#: LightGBM's floor on a probability in its log losses
_LOSS_FLOOR = 1e-15


def held_log_loss(
    codes: NDArray[np.intp], _labels: Any, probability: NDArray[np.float64]
) -> tuple[str, float, bool]:
    """The mean log loss of held-out rows of class ``codes`` (LightGBM's eval metric form).

    ``probability`` is what LightGBM's classifier passes a metric: the positive class's
    probability (two classes) or every class's (rows x classes). Probabilities are
    floored as LightGBM's own ``binary_logloss`` / ``multi_logloss`` floor them.

    Examples
    --------
    >>> name, loss, higher_better = held_log_loss(np.array([1, 0]), None, np.array([0.8, 0.4]))
    >>> name, round(loss, 4), higher_better  # -(log 0.8 + log 0.6) / 2
    ('held_log_loss', 0.367, False)
    """
    probability = np.asarray(probability, dtype=np.float64)
    if probability.ndim == 1:
        chosen = np.where(codes == 1, probability, 1.0 - probability)
    else:
        chosen = probability[np.arange(len(codes)), codes]
    return "held_log_loss", float(-np.mean(np.log(np.maximum(chosen, _LOSS_FLOOR)))), False


def held_predictions(
    model: lgb.LGBMModel, X: pd.DataFrame, start: NDArray[np.float64] | None, n_trees: int
) -> NDArray[np.float64]:
    """Predictions of ``n_trees`` of ``model``'s trees: values (regressor, the ``start``
    added) or class probabilities in the order of ``model.classes_`` (classifier)."""
    if isinstance(model, lgb.LGBMClassifier):
        return np.asarray(model.predict_proba(X, num_iteration=n_trees))
    trees = np.asarray(model.predict(X, num_iteration=n_trees))
    return trees if start is None else start + trees
