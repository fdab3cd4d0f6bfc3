"""SubstitutionImputer: fill each column's missing values from the other columns, iterated.

Every column gets a model that predicts it from all the others (a regressor for numeric
and datetime columns, date strings included, a classifier for categorical and boolean
ones): linear, boosted trees, both, or a random forest, the family chosen per column on
held-out rows. Missing cells start from a simple fill and are re-predicted round after
round, like missForest [1]_ and scikit-learn's ``IterativeImputer``, with LightGBM
trees that take categorical predictors natively and categorical columns imputed with
valid categories. Free text and codes with no frequent value keep their
simple fill (see :class:`SubstitutionImputer`).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._dates import parse_dates
from .._frames import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    TEXT,
    array_column_names,
    column_kind,
    magnitude_unit,
    naive_utc,
)
from .._kinds import as_category, is_calendar_date, is_duration, numpy_equivalent
from .._levels import labels_and_codes
from .._lightgbm_params import lightgbm_params, lightgbm_threads, quiet
from .._text import TEXT_PARTS, text_features
from .._validation import check_bool, check_min_rows, check_number, check_option
from ..exceptions import DataWarning
from ._encoding import fit_encoder, unpredicted_warning
from ._impute_choice import (
    FOREST_MAX_ROWS,
    choose_classifier,
    choose_regressor,
    missing_at_random,
    missing_odds,
    toward_linear,
)
from ._impute_models import (
    FOREST_FAMILIES,
    LABEL_FAMILIES,
    NUMERIC_FAMILIES,
    ColumnBlend,
    ColumnClassifier,
    ColumnForest,
    ColumnRegressor,
    blend_name,
)
from ._scoring import MIN_CLASS_SHARE

_OWNER = "SubstitutionImputer"
_NUMERIC, _LABELS = "numeric", "categorical"
#: initial fills a numeric column may start from (categorical columns: most frequent)
INITIAL_STRATEGIES = ("mean", "median", "most_frequent")
#: LightGBM parameters that belong to one task and are not copied across
_TASK_PARAMS = ("objective", "class_weight")
_FLOAT_MAX = float(np.finfo(np.float64).max)
#: a predictor missing in more than this share of a column's missing cells is left out
#: of its linear model (more than half was the rule before the families; under
#: missingness at random, columns driven by one column share most of their gaps, and
#: leaving them out cost the ridge its best predictors: hitters 0.614 against 0.587)
TWIN_SHARE = 0.9
#: on small tables, after the first round, a numeric column's first choice may give
#: weight to a ridge regression (never to more trees; see ``_ModelFactory.move``)
SECOND_CHOICE = True


class SubstitutionImputer(TransformerMixin, BaseEstimator):
    """Impute each column from the other columns with LightGBM, round after round.

    Missing cells first get a simple fill (``initial_strategy`` for numeric columns, the
    most frequent value for categorical ones). Then, in each round, the columns with
    missing values are visited in order of increasing missingness; for each, a model is
    fitted on the rows where the column is observed, predicting it from every other
    column, and re-predicts the column's originally missing cells. Rounds stop when the
    imputed values change by less than ``tol`` or after ``max_iter`` rounds.

    Design choices:

    - **Predictors see the current fill, not NaN.** LightGBM could take NaN predictors
      natively, but then every round would fit the same models on the same inputs and
      iterating would change nothing; a model could only send a missing predictor down
      one side of each split. Feeding the current fill lets each round's better
      imputations sharpen the next round's models (missForest's argument), and a row
      with several missing predictors still uses what its other columns say about them.
      Each predictor that had missing values in fit also comes with an indicator of its
      filled cells, so the trees can learn how far to trust a fill (and use the pattern
      of missingness itself when it is informative). On 20% MCAR data (see
      ``benchmarks/bench_imputer.py``) this beat both NaN predictors and fills without
      indicators on the nonlinear table (normalised RMSE 0.31 vs 0.40 and 0.36).
    - **Each column's model family is chosen on its held-out observed rows**
      (``early_stopping``; :mod:`~advval.dependency._impute_choice`), the first time the
      column is fitted, then reused in every round: a linear model (ridge regression, or
      multinomial logistic regression for a categorical column), boosted trees from a
      ridge start (numeric), boosted trees alone, or, on small tables, a forest of
      extremely randomised trees, alone or on the ridge's residuals
      (:mod:`~advval.dependency._impute_models`). The held-out rows are weighted by the
      odds that a row like them is missing; the family of lowest loss wins, and on small
      tables (where a forest is a candidate) the column gets the convex blend of the
      families' held-out predictions of lowest loss instead (``blends_``; a categorical
      column is judged by its misclassified rows, and keeps its class shares, imputing
      its most frequent class, unless a model errs less by a standard error). The first
      choice sees predictors that hold the initial fill, where the trees that read the
      missing-value indicators win; so on small tables, after the first round, a numeric
      column's choice is blended once with a ridge regression fitted on the imputed
      predictors, with the weight the ridge earns on the same held-out rows (kept only
      when better by a standard error), if its gaps are missing at random (a logistic
      model of its missing cells ranks held-out rows better than chance, by two standard
      errors of the AUC): the choice may move towards the ridge, never towards more
      trees. No one family is best everywhere: a
      straight-line relation
      (a charge that is a rate times minutes) is a staircase to trees, and cells missing
      at random where another column is large lie beyond the observed values, where only
      a linear model extrapolates; a few hundred rows of nonlinear relations are
      imputed best by a forest. ``benchmarks/trust_impute.py`` measures the choice
      against ``IterativeImputer``, ``KNNImputer`` and missForest-style forests on real
      tables, under missingness completely at random and at random.
    - **The number of boosted trees is chosen with the family** (stopped after 10
      rounds without improvement on the held-out rows; every observed row is then fitted
      with that number, from the second round on where a column has 1,000 observed rows
      or more: its first round imputes with the model the choice fitted): a column the
      others do not predict gets few or no trees (or a ridge that shrinks to the mean),
      so it is imputed near its mean rather than by trees fitted to noise. Forests are
      candidates only on tables of at most 5,000 rows.
    - **Missing-value indicators are for trees only.** A linear model would add each
      indicator's coefficient to every row where that column was filled; under
      missingness at random those rows are the unusual ones, and on the hitters table
      (MAR) leaving the indicators out of the ridge lowered the error (normalised RMSE
      0.614 vs 0.642). Numeric imputations stay within the column's observed range
      widened by that range on either side.
    - **Every column gets a model**, also the ones without missing values in ``fit``
      (fitted once, on the completed data, after the rounds), so :meth:`transform` can
      impute a column that only has gaps in new data.
    - **A column entirely missing in fit is dropped** with a
      :class:`~advval.exceptions.DataWarning`: there is no value to start from or to
      learn, and inventing a constant would pass off a guess as data. It is absent from
      the output and from :meth:`get_feature_names_out` (like ``SimpleImputer``).
    - **One usable column** leaves nothing to predict from: the imputer warns with a
      :class:`~advval.exceptions.DataWarning` and uses the simple fill (``n_iter_`` is 0).
    - Observed cells are returned unchanged; columns keep their dtype (a categorical
      column stays categorical with its categories, integers are rounded, datetimes stay
      datetimes). An unseen category in new data is kept as it is and, as a predictor, is
      treated as missing.
    - **Strings are read as the other estimators read them**
      (:class:`~advval._frames.FrameEncoder`): a column of date strings of one format is
      imputed as dates and written back in that format (when formatting the parsed
      values gives the strings back; else it stays a categorical); a categorical column
      is imputed with its labels on at least 1% of the observed rows (a rarer label has
      too few rows to learn and is never imputed), and as a predictor a column of more
      than 255 levels is capped to its frequent levels and one other level. **Free text**
      (many distinct values of several words) and **codes** with no label on 1% of the
      rows (a flight number, an ID) cannot be predicted: they keep their simple fill
      (their most frequent value, with a DataWarning), and predict the other columns by
      their length, words and character shares (text) or capped levels (codes).

    Parameters
    ----------
    estimator : LightGBM estimator or None, default=None
        Template for the per-column models: its parameters (except ``objective`` and
        ``class_weight``) configure an ``LGBMRegressor`` for numeric columns and an
        ``LGBMClassifier`` for categorical ones. It is never fitted itself. ``None`` uses
        up to 100 trees of at most 15 leaves, learning rate 0.1, with 80% row and column
        subsampling. Its ``n_estimators`` is the most trees a model gets when
        ``early_stopping`` chooses the number.
    max_iter : int, default=5
        Most rounds, at least 1.
    tol : float, default=1e-3
        Stop once a round changes the imputed values by less than this. The change of a
        round is the largest, over the imputed columns, of: the root mean squared change
        of the column's imputed cells divided by the standard deviation of its observed
        values (numeric), or the share of its imputed cells whose category changed.
    initial_strategy : {"mean", "median", "most_frequent"}, default="mean"
        First fill of numeric columns; categorical and boolean columns always start from
        their most frequent value.
    n_jobs : int or None, default=None
        Threads of each LightGBM model. ``None``: :func:`advval._models.lightgbm_threads`
        (one thread below 50,000 rows, above it the cores other work leaves free; a given
        ``estimator`` keeps its own setting).
    random_state : int, RandomState instance or None, default=None
        Seeds the models (when ``estimator`` has no ``random_state`` of its own).
    column_kinds : dict or None, default=None
        Column -> ``"categorical"``, ``"datetime"`` or ``"text"``: what a string column
        is, where its values would suggest otherwise (see
        :class:`~advval._frames.FrameEncoder`).

    linear_start : bool, default=True
        Let linear models be among the families: ridge regression (numeric columns),
        alone or boosted by trees, and multinomial logistic regression (categorical
        ones), on the predictors standardised (at most 20,000 rows; the ridge's penalty by
        generalised cross-validation). Without ``early_stopping``, numeric columns always
        boost from a ridge start. ``False``: tree families only.
    early_stopping : bool, default=True
        Choose each column's model family and number of trees (at most
        ``n_estimators``) on its held-out observed rows: a seeded fifth of them, or every
        row once over five folds when that fifth is under 200 rows (at most 50,000 rows
        take part); a column with fewer than 100 observed rows is not chosen for.
        ``False``, or no choice: numeric columns boost ``n_estimators`` trees (from a
        ridge start with ``linear_start``; trees alone and ``linear_start=False`` is the
        imputer before issue #15), categorical ones boost ``n_estimators`` trees.

    Attributes
    ----------
    n_iter_ : int
        Rounds run in :meth:`fit` (at least 1; a round with nothing to impute converges at
        once; 0 only when a single column is left). :meth:`transform` runs as many.
    changes_ : list of float
        The change (see ``tol``) of each round.
    models_ : dict
        Column name -> fitted model of that column (from the last round for columns with
        missing values in fit): a
        :class:`~advval.dependency._impute_models.ColumnRegressor` (numeric) or
        :class:`~advval.dependency._impute_models.ColumnClassifier` (categorical), or a
        :class:`~advval.dependency._impute_models.ColumnBlend` of them. A
        ``DummyRegressor`` or ``DummyClassifier`` stands in for a column whose observed
        values are all equal, or when there is a single column.
    round_models_ : list of dict
        For each round, column name -> the model fitted in that round (columns with
        missing values in fit only). :meth:`transform` replays these rounds, so
        ``fit(X).transform(X)`` equals ``fit_transform(X)``.
    n_trees_ : dict
        Column name -> the number of trees its model uses (0: a linear model or the
        class shares alone).
    families_ : dict
        Column name -> its model family: ``"linear"``, ``"linear+trees"``, ``"trees"``,
        ``"forest"`` or ``"linear+forest"``, or ``"prior"`` (a categorical column's class
        shares); for a blend, its families, heaviest first, joined by ``" & "`` (e.g.
        ``"prior & trees"``: mostly the class shares, but the trees decide among the
        frequent classes; the weights are in ``blends_``). Columns with a dummy model
        are absent.
    blends_ : dict
        Column name -> family -> weight, for the columns imputed by a blend of families
        (a :class:`~advval.dependency._impute_models.ColumnBlend`; small tables only).
    imputation_order_ : list
        Every kept column, by increasing number of missing values in fit (ties in column
        order): the order in which columns are visited in each round.
    statistics_ : dict
        Column name -> the initial fill (in the column's own values).
    empty_features_ : list
        Columns dropped because all their values are missing in fit.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` is a DataFrame with string column names.

    See Also
    --------
    sklearn.impute.IterativeImputer : the same round-robin scheme with one regressor
        (numeric columns only).
    sklearn.impute.SimpleImputer : the initial fill on its own.

    References
    ----------
    .. [1] D. J. Stekhoven and P. Buehlmann, "MissForest - non-parametric missing value
       imputation for mixed-type data", Bioinformatics 28(1), 2012.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval.dependency._imputer import SubstitutionImputer
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-2, 2, 300)
    >>> X = pd.DataFrame({"x": x, "x_squared": x**2,
    ...                   "sign": pd.Categorical(np.where(x > 0, "pos", "neg"))})
    >>> X_missing = X.mask(rng.random(X.shape) < 0.1)
    >>> imputer = SubstitutionImputer(random_state=0, n_jobs=1)
    >>> X_filled = imputer.fit_transform(X_missing)
    >>> X_filled.dtypes.astype(str).tolist(), int(X_filled.isna().sum().sum())
    (['float64', 'float64', 'category'], 0)
    >>> missing = X_missing["sign"].isna()
    >>> bool((X_filled["sign"][missing] == X["sign"][missing]).mean() > 0.9)
    True
    """

    def __init__(
        self,
        *,
        estimator: lgb.LGBMModel | None = None,
        max_iter: int = 5,
        tol: float = 1e-3,
        initial_strategy: str = "mean",
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        column_kinds: dict[str, str] | None = None,
        linear_start: bool = True,
        early_stopping: bool = True,
    ) -> None:
        self.estimator = estimator
        self.max_iter = max_iter
        self.tol = tol
        self.initial_strategy = initial_strategy
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.column_kinds = column_kinds
        self.linear_start = linear_start
        self.early_stopping = early_stopping

    def _validate_params(self) -> None:
        if self.estimator is not None and not isinstance(self.estimator, lgb.LGBMModel):
            raise TypeError(
                f"The 'estimator' parameter of {_OWNER} must be a LightGBM estimator "
                f"(LGBMRegressor, LGBMClassifier or LGBMModel) or None. Got "
                f"{type(self.estimator).__name__} instead."
            )
        check_number(self.max_iter, name="max_iter", owner=_OWNER, kind=int, low=1)
        check_number(self.tol, name="tol", owner=_OWNER, low=0)
        check_option(
            self.initial_strategy,
            name="initial_strategy",
            owner=_OWNER,
            options=INITIAL_STRATEGIES,
        )
        check_number(self.n_jobs, name="n_jobs", owner=_OWNER, kind=int, allow_none=True)
        for name in ("linear_start", "early_stopping"):
            check_bool(getattr(self, name), name=name, owner=_OWNER)

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any = None) -> SubstitutionImputer:
        """Learn the initial fills and one model per column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with missing values (NaN, None, NaT, pd.NA). Numeric, boolean,
            categorical, text and datetime columns; infinite values are an error. Never
            modified.
        y : None
            Ignored.

        Returns
        -------
        self : SubstitutionImputer
        """
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit on ``X`` and return it imputed (the same as ``fit(X).transform(X)``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_features_out)
            A DataFrame with ``X``'s index and dtypes when ``X`` is one, else an array.
        """
        frame, state = self._fit(X)
        return self._output(frame, state, as_frame=isinstance(X, pd.DataFrame))

    def _fit(self, X: Any) -> tuple[pd.DataFrame, _State]:
        self._validate_params()
        frame = self._input_frame(X, reset=True)
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))

        columns: list[_Column] = []
        empty: list[Hashable] = [c for c in frame.columns if bool(frame[c].isna().all())]
        strings = _string_kinds(frame, empty, self.column_kinds)
        for position, name in enumerate(frame.columns):
            if name not in empty:
                values = frame[name]
                reading = strings.get(name, _Reading())
                columns.append(
                    _Column.learn(name, position, values, self.initial_strategy, reading)
                )
        if empty:
            warnings.warn(
                f"Dropped {len(empty)} column(s) of X whose values are all missing: "
                f"{_preview(empty)}. {_OWNER} has nothing to learn them from; they are left "
                f"out of the output of fit_transform and transform.",
                DataWarning,
                stacklevel=3,
            )
        if not columns:
            raise ValueError(f"Every column of X is entirely missing; {_OWNER} has nothing to fit.")
        self._columns = columns
        self.empty_features_ = empty
        self._warn_unpredicted(columns)
        self.statistics_ = {c.name: c.fill_value() for c in columns}
        order = sorted(columns, key=lambda c: (c.n_missing, c.position))
        self.imputation_order_ = [c.name for c in order]
        self._factory = _ModelFactory.build(self, n_rows=len(frame), seed=seed)
        self.n_trees_: dict[Hashable, int] = {}

        state = _State.initial(frame, columns)
        self.changes_: list[float] = []
        self.round_models_: list[dict[Hashable, Any]] = []
        if len(columns) == 1:
            warnings.warn(
                f"X has a single usable column ({columns[0].name!r}): there is nothing to "
                f"predict it from, so {_OWNER} fills it with its "
                f"{self._strategy_text(columns[0])} (the initial fill) instead.",
                DataWarning,
                stacklevel=3,
            )
            column = columns[0]
            self.models_ = {column.name: _dummy(column, state)}
            self.families_ = {}
            self.blends_ = {}
            self.n_iter_ = 0
            return frame, state

        for _ in range(self.max_iter):
            models: dict[Hashable, Any] = {}
            change = 0.0
            for column in order:
                if column.n_missing == 0:
                    continue
                model = self._fit_model(column, state)
                models[column.name] = model
                change = max(change, state.update(column, model, columns))
            self.round_models_.append(models)
            self.changes_.append(change)
            if change < self.tol:
                break
            if len(self.round_models_) == 1 and SECOND_CHOICE:
                self._factory.moving = set(self._factory.firsts)
        self.n_iter_ = len(self.changes_)
        final = self.round_models_[-1] if self.round_models_ else {}
        self.models_ = {
            c.name: final[c.name] if c.name in final else self._fit_model(c, state) for c in columns
        }
        self.families_ = {
            c: blend_name(self._factory.blends[c][0]) if c in self._factory.blends else family
            for c, family in self._factory.families.items()
        }
        self.blends_ = {c: dict(b) for c, (b, _) in self._factory.blends.items()}
        return frame, state

    def _warn_unpredicted(self, columns: list[_Column]) -> None:
        unpredicted_warning(
            _OWNER,
            [c.name for c in columns if c.text],
            [c.name for c in columns if c.kind == _LABELS and not c.text and not c.modelled],
            "so their gaps keep the initial fill (the most frequent value).",
        )

    def _strategy_text(self, column: _Column) -> str:
        if column.kind == _LABELS or self.initial_strategy == "most_frequent":
            return "most frequent value"
        return f"{self.initial_strategy}"

    def _fit_model(self, column: _Column, state: _State) -> Any:
        observed = ~state.missing[column.name]
        if column.kind == _LABELS:
            if not column.modelled:
                return _dummy(column, state)
            # the labels it may impute: those on MIN_CLASS_SHARE of the rows
            observed &= column.imputable[np.maximum(state.values[column.name], 0)]
        target = state.values[column.name][observed]
        if column.kind == _LABELS:
            if len(np.unique(target)) < 2:
                return _dummy(column, state)
        elif float(np.ptp(target)) == 0.0:
            return _dummy(column, state)
        weights = None
        everything = None
        if self._factory.choosing(column):  # rows like the missing ones weigh more
            everything = state.predictors(column, self._columns, np.ones(len(observed), bool))
            predictors = everything[observed].reset_index(drop=True)
            weights = missing_odds(
                everything, state.missing[column.name], observed, seed=self._factory.seed
            )
        else:
            predictors = state.predictors(column, self._columns, observed)
        skip = state.linear_skip(column, self._columns, predictors.columns)
        if everything is not None:
            model = self._factory.fit(column, predictors, target, self.n_trees_, skip, weights)
            if column.name in self._factory.firsts and not missing_at_random(
                everything, state.missing[column.name], seed=self._factory.seed
            ):  # gaps missing completely at random: the first choice stays
                del self._factory.firsts[column.name]
            return model
        if column.name in self._factory.moving:
            # after the first round: predictors hold imputations (not choosing: every
            # observed row, in order)
            self._factory.move(
                column, predictors, target, skip, n_trees=self._factory.counts.get(column.name)
            )
        return self._factory.fit(column, predictors, target, self.n_trees_, skip, weights)

    # ------------------------------------------------------------ transform

    def transform(self, X: Any) -> Any:
        """Impute the missing values of ``X`` with the fitted models.

        The initial fill uses the statistics learned in :meth:`fit`; then ``n_iter_``
        rounds replay the models of each round of :meth:`fit`. Each row is imputed from
        its own values only.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            The columns seen in fit, in the same order. Never modified.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_features_out)
            A DataFrame with ``X``'s columns (less ``empty_features_``), index and dtypes
            when ``X`` is one, else an array.
        """
        check_is_fitted(self, "models_")
        frame = self._input_frame(X, reset=False)
        state = _State.initial(frame, self._columns)
        if any(state.n_missing.values()):
            by_name = {c.name: c for c in self._columns}
            order = [by_name[name] for name in self.imputation_order_]
            if self.n_iter_ == 0:
                for column in order:
                    state.update(column, self.models_[column.name], self._columns)
            for models in self.round_models_:
                for column in order:
                    model = models.get(column.name, self.models_[column.name])
                    state.update(column, model, self._columns)
        return self._output(frame, state, as_frame=isinstance(X, pd.DataFrame))

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """Names of the output columns: the input columns less ``empty_features_``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Must equal ``feature_names_in_`` when that exists; ``None`` uses it (or
            ``x0, x1, ...`` for arrays).

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "models_")
        fitted = getattr(self, "feature_names_in_", None)
        default = (
            np.asarray(fitted, dtype=object)
            if fitted is not None
            else np.asarray(array_column_names(self.n_features_in_), dtype=object)
        )
        if input_features is not None:
            given = np.asarray(input_features, dtype=object)
            if len(given) != self.n_features_in_:
                raise ValueError(
                    f"input_features has {len(given)} names but {_OWNER} was fitted on "
                    f"{self.n_features_in_} features."
                )
            if fitted is not None and not np.array_equal(given, default):
                raise ValueError("input_features is not equal to feature_names_in_.")
            default = given
        kept = [c.position for c in self._columns]
        return np.asarray(default[kept], dtype=object)

    # -------------------------------------------------------------- helpers

    def _input_frame(self, X: Any, *, reset: bool) -> pd.DataFrame:
        name = "X"
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            frame = X
            duplicated = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
            if duplicated:
                raise ValueError(f"X has duplicate column names: {duplicated!r}.")
        else:
            if isinstance(X, pd.Series):
                raise ValueError(
                    "X must be 2-D; got a pandas Series. Use X.to_frame() for one column."
                )
            array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan")
            frame = pd.DataFrame(array, columns=array_column_names(array.shape[1]))
            if array.dtype == object:
                frame = frame.infer_objects()
        if frame.shape[1] == 0:
            raise ValueError(f"{name} has no columns (0 feature(s)); {_OWNER} needs at least 1.")
        if reset:
            check_min_rows(frame.shape[0], name=name, minimum=2, needed_by=_OWNER)
        if frame.shape[0] == 0:
            raise ValueError(f"{name} is empty (0 samples).")
        _check_finite(frame, name=name)
        if not reset:
            _check_kinds(frame, self._columns)
        return frame

    def _output(self, frame: pd.DataFrame, state: _State, *, as_frame: bool) -> Any:
        kept = [c.name for c in self._columns]
        result = frame[kept] if len(kept) < frame.shape[1] else frame.copy()
        for column in self._columns:
            mask = state.missing[column.name]
            if not mask.any():
                continue
            original = frame[column.name]
            filled = original.copy()
            filled.iloc[np.flatnonzero(mask)] = column.decode(
                state.values[column.name][mask], original
            )
            result[column.name] = filled
        if as_frame:
            return result
        return result.to_numpy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.random_state is None
        return tags


# ---------------------------------------------------------------------- columns


@dataclass(frozen=True)
class _Reading:
    """How the shared encoder reads a string or categorical column.

    Attributes
    ----------
    date_format : str or None
        Date strings of this format (``pandas.to_datetime``'s).
    text : bool
        Free text.
    labels : bool
        Read as categorical although its dtype is not (``column_kinds``).
    kept : list of str or None
        The levels a model sees of a column of more than 255 levels (its most frequent
        levels, then one other level), else ``None``.
    """

    date_format: str | None = None
    text: bool = False
    labels: bool = False
    kept: list[str] | None = None


def _string_kinds(
    frame: pd.DataFrame, empty: list[Hashable], column_kinds: dict[str, str] | None
) -> dict[Hashable, _Reading]:
    """What :class:`~advval._frames.FrameEncoder` makes of the string / categorical columns.

    (And of the columns ``column_kinds`` names.) The encoder reads the columns under
    their own names when every name is a string, else under positional ones; its warning
    about free text is replaced by the imputer's (:func:`unpredicted_warning`).
    """
    requested = dict(column_kinds or {})
    unknown = [k for k in requested if k not in set(frame.columns) or k in empty]
    if unknown:
        raise ValueError(
            f"The 'column_kinds' parameter of {_OWNER} names column(s) {_preview(unknown)} "
            f"that X does not have (or whose values are all missing)."
        )
    names = [
        name
        for name in frame.columns
        if name not in empty and (column_kind(frame[name]) == CATEGORICAL or name in requested)
    ]
    if not names:
        return {}
    plain = all(isinstance(name, str) for name in names)
    keys = {(name if plain else f"c{i}"): name for i, name in enumerate(names)}
    sub = frame[names].set_axis(list(keys), axis=1)
    kinds = {key: requested[name] for key, name in keys.items() if name in requested}
    encoder = fit_encoder(sub, sub, kinds or None)
    readings: dict[Hashable, _Reading] = {}
    for key, name in keys.items():
        kind = encoder.kinds[key]
        kept = list(encoder.categories[key]) if key in encoder.others else None
        if kind == DATETIME and key in encoder.formats:
            readings[name] = _Reading(date_format=encoder.formats[key])
        elif kind == TEXT:
            readings[name] = _Reading(text=True)
        elif kind == CATEGORICAL:
            readings[name] = _Reading(labels=True, kept=kept)
    return readings


@dataclass
class _Column:
    """One kept column: its kind, labels, scale and initial fill, in encoded space.

    Numeric columns are encoded as float64 (datetimes, date strings and timedeltas as
    nanoseconds) divided by ``unit``, a power of two that is 1 unless the values are near
    the float limits (:func:`~advval._frames.magnitude_unit`: then means, spreads and the
    regressors' sums would overflow), categorical ones as integer codes into ``labels``
    (-1 for missing or unseen). ``imputable`` says which labels a model may impute (those
    on ``MIN_CLASS_SHARE`` of the observed rows); ``modelled`` is false for free text and
    for codes with no such label. ``levels`` maps each label to the level a model sees
    it as (a capped column's rare labels share one other level); ``features`` holds a
    text column's per-label features.
    """

    name: Hashable
    position: int
    kind: str
    source_kind: str
    labels: list[Any] = field(default_factory=list)
    fill: float = 0.0
    scale: float = 1.0
    n_missing: int = 0
    unit: float = 1.0
    date_format: str | None = None
    resolution: int = 1
    text: bool = False
    imputable: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    levels: NDArray[np.intp] | None = None
    features: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def modelled(self) -> bool:
        """Whether a model predicts this column (else it keeps its initial fill)."""
        return self.kind == _NUMERIC or (not self.text and bool(self.imputable.any()))

    @property
    def n_levels(self) -> int:
        """Levels a model sees of this label column as a predictor."""
        return len(self.labels) if self.levels is None else int(self.levels.max()) + 1

    @classmethod
    def learn(
        cls, name: Hashable, position: int, values: pd.Series, strategy: str, reading: _Reading
    ) -> _Column:
        source_kind = column_kind(values)
        kind = _LABELS if source_kind in (CATEGORICAL, BOOLEAN) or reading.labels else _NUMERIC
        n_missing = int(values.isna().sum())
        if reading.date_format is not None and _round_trips(values, reading.date_format):
            kind = _NUMERIC
        column = cls(name, position, kind, source_kind, n_missing=n_missing)
        if kind == _NUMERIC and source_kind == CATEGORICAL:
            column.date_format = reading.date_format
            column.resolution = _resolution(column.encode(values))
        if kind == _LABELS:
            column.labels = _labels(values)
            codes = column.encode(values)
            counts = np.bincount(codes[codes >= 0], minlength=len(column.labels))
            column.fill = float(np.argmax(counts))
            column.imputable = counts >= MIN_CLASS_SHARE * float(counts.sum())
            column.text = reading.text
            if reading.kept is not None:
                column.levels = _capped_levels(column.labels, reading.kept)
            if reading.text:
                strings = pa.array([str(label) for label in column.labels], type=pa.large_string())
                column.features = text_features(strings, TEXT_PARTS)
        else:
            column.unit = magnitude_unit(column.encode(values))
            encoded = column.encode(values)
            observed = encoded[~np.isnan(encoded)]
            if strategy == "mean":
                column.fill = float(np.mean(observed))
            elif strategy == "median":
                column.fill = float(np.median(observed))
            else:
                uniques, counts = np.unique(observed, return_counts=True)
                column.fill = float(uniques[np.argmax(counts)])
            std = float(np.std(observed))
            column.scale = std if std > 0 else 1.0
        return column

    def encode(self, values: pd.Series) -> NDArray[Any]:
        if self.kind == _LABELS:
            cells = pd.Index(_objects(list(values)))
            codes = pd.Index(_objects(self.labels)).get_indexer(cells)
            return np.asarray(codes, dtype=np.int64)
        raw = self._numbers(values)
        return raw / self.unit if self.unit != 1.0 else raw

    def _numbers(self, values: pd.Series) -> NDArray[np.float64]:
        if self.date_format is not None or self.source_kind == DATETIME:
            # read as the shared encoder reads dates (naive UTC; strings by their format)
            stamps = naive_utc(values, self.date_format)
            return _nanoseconds(stamps.to_numpy(dtype="datetime64[ns]"))
        if is_duration(values.dtype):  # NumPy or Arrow time spans
            return _nanoseconds(values.astype("timedelta64[ns]").to_numpy())
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))

    def decode(self, encoded: NDArray[Any], original: pd.Series) -> Any:
        """Encoded imputations as values of ``original``'s dtype (an Arrow column's: built
        in its NumPy equivalent, which assigning into the column casts exactly)."""
        dtype = numpy_equivalent(original.dtype)
        if self.kind == _LABELS:
            labels: Any = _objects(self.labels)[encoded.astype(np.int64)]
            return pd.array(labels, dtype=dtype)
        if self.unit != 1.0:  # boosted predictions may overshoot the largest value a bit
            limit = _FLOAT_MAX / self.unit
            encoded = np.clip(encoded, -limit, limit) * self.unit
        if self.date_format is not None:
            written: Any = self._date_strings(encoded)
            return pd.array(written, dtype=dtype)
        if self.source_kind == DATETIME:
            if is_calendar_date(original.dtype):  # a date column gets the nearest date
                encoded = np.round(encoded / _DAY) * _DAY
            stamps = pd.to_datetime(np.round(encoded).astype(np.int64), unit="ns")
            tz = getattr(dtype, "tz", None)
            if tz is not None:
                stamps = stamps.tz_localize("UTC").tz_convert(tz)
            return pd.array(stamps).astype(dtype)
        if pd.api.types.is_timedelta64_dtype(dtype):
            deltas: Any = pd.to_timedelta(np.round(encoded).astype(np.int64), unit="ns")
            return pd.array(deltas).astype(dtype)
        if pd.api.types.is_integer_dtype(dtype):
            return pd.array(np.round(encoded).astype(np.int64)).astype(dtype)
        return pd.array(encoded).astype(dtype)

    def _date_strings(self, nanoseconds: NDArray[np.float64]) -> NDArray[np.object_]:
        """Dates written in the column's format, at the resolution of its dates."""
        assert self.date_format is not None
        steps = np.round(nanoseconds / self.resolution).astype(np.int64) * self.resolution
        stamps = pd.to_datetime(steps, unit="ns")
        return np.asarray(stamps.strftime(self.date_format), dtype=object)

    def fill_value(self) -> Any:
        if self.kind == _LABELS:
            return self.labels[int(self.fill)]
        if self.date_format is not None:
            return str(self._date_strings(np.array([self.fill * self.unit]))[0])
        if self.source_kind == DATETIME:
            return pd.Timestamp(int(round(self.fill * self.unit)), unit="ns")
        return self.fill * self.unit


def _round_trips(values: pd.Series, date_format: str) -> bool:
    """Whether writing the parsed dates with ``date_format`` gives the strings back.

    Only then can an imputed date be written as the column writes its dates (a format
    with a UTC offset, or ISO 8601 mixing dates and datetimes, does not).
    """
    if date_format == "ISO8601":
        return False
    _, labels = labels_and_codes(values)
    parsed = pd.to_datetime(pd.Series(parse_dates(labels, date_format)))
    if bool(parsed.isna().any()):
        return False
    written = parsed.dt.strftime(date_format).to_numpy(dtype=object)
    return bool((written == np.asarray(labels.to_pylist(), dtype=object)).all())


#: the resolutions a column of date strings may have, coarsest first (nanoseconds)
_DATE_STEPS = tuple(int(seconds * 1e9) for seconds in (86_400, 3_600, 60, 1))
_DAY = _DATE_STEPS[0]


def _resolution(nanoseconds: NDArray[np.float64]) -> int:
    """The coarsest of a day, an hour, a minute and a second that every date is a multiple
    of (1 ns when none is): imputed dates are rounded to it, so that a column of whole
    hours gets whole hours.

    Examples
    --------
    >>> _resolution(np.array([0.0, 7_200e9, np.nan])) == 3_600 * 10**9
    True
    """
    observed = nanoseconds[~np.isnan(nanoseconds)].astype(np.int64)
    for step in _DATE_STEPS:
        if bool(np.all(observed % step == 0)):
            return step
    return 1


def _capped_levels(labels: list[Any], kept: list[str]) -> NDArray[np.intp]:
    """Each label's level as a predictor: its place among ``kept``, else the other level."""
    index = pd.Index(kept[:-1]).get_indexer(pd.Index([str(label) for label in labels]))
    return np.where(index >= 0, index, len(kept) - 1).astype(np.intp)


def _labels(values: pd.Series) -> list[Any]:
    """The categories of a column: for ``category``, the declared ones that occur (in
    their declared order), else the observed ones, sorted.

    A declared level with no row has nothing to learn and would only shift the others'
    codes (which the forests and LightGBM's categorical splits read) and widen a linear
    model's indicators: the same rows must get the same imputations with or without it.
    """
    values = as_category(values)  # an Arrow dictionary declares its levels as a category does
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.remove_unused_categories().cat.categories)
    observed = list(pd.unique(values.dropna()))
    try:
        return sorted(observed)
    except TypeError:  # mixed types: order of first appearance
        return observed


def _objects(labels: list[Any]) -> NDArray[np.object_]:
    """``labels`` as a 1-D object array (tuples stay elements)."""
    array = np.empty(len(labels), dtype=object)
    array[:] = labels
    return array


def _nanoseconds(raw: NDArray[Any]) -> NDArray[np.float64]:
    result = raw.astype(np.int64).astype(np.float64)
    result[np.isnat(raw)] = np.nan
    return np.asarray(result, dtype=np.float64)


def _check_finite(frame: pd.DataFrame, *, name: str) -> None:
    infinite = [
        column
        for column in frame.columns
        if pd.api.types.is_float_dtype(frame[column].dtype)
        and bool(np.isinf(frame[column].to_numpy(dtype=np.float64, na_value=np.nan)).any())
    ]
    if infinite:
        raise ValueError(
            f"{name} contains infinite values in column(s) {_preview(infinite)}; replace them "
            f"with NaN (to impute them) or with finite numbers."
        )


def _check_kinds(frame: pd.DataFrame, columns: list[_Column]) -> None:
    for column in columns:
        values = frame[column.name]
        if bool(values.isna().all()):
            continue
        kind = _raw_kind(column_kind(values))
        expected = _raw_kind(column.source_kind)
        if kind != expected:
            raise TypeError(
                f"Column {column.name!r} of X is {kind} but was {expected} in fit; "
                f"convert it back to the type it had in fit."
            )


def _raw_kind(kind: str) -> str:
    """Labels or numbers, as a column's dtype says (before any reading of its values)."""
    return _LABELS if kind in (CATEGORICAL, BOOLEAN) else _NUMERIC


def _preview(names: list[Any], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{names[:limit]!r}{more}"


# ------------------------------------------------------------------------ state


@dataclass
class _State:
    """The encoded, currently completed data: one array per column, plus the missing masks."""

    values: dict[Hashable, NDArray[Any]]
    missing: dict[Hashable, NDArray[np.bool_]]
    n_missing: dict[Hashable, int]

    @classmethod
    def initial(cls, frame: pd.DataFrame, columns: list[_Column]) -> _State:
        values, missing, counts = {}, {}, {}
        for column in columns:
            encoded = column.encode(frame[column.name])
            mask = np.asarray(frame[column.name].isna().to_numpy(), dtype=bool)
            filled = encoded.copy()
            filled[mask] = column.fill
            values[column.name], missing[column.name] = filled, mask
            counts[column.name] = int(mask.sum())
        return cls(values, missing, counts)

    def predictors(
        self, target: _Column, columns: list[_Column], rows: NDArray[np.bool_]
    ) -> pd.DataFrame:
        """Every column but ``target`` on ``rows``, as LightGBM sees them (positional names).

        Each column that had missing values in fit also gets an indicator of its missing
        cells (from the data being imputed), so a model can tell filled values from observed
        ones.
        """
        data: dict[str, Any] = {}
        for column in columns:
            if column.name == target.name:
                continue
            values = self.values[column.name][rows]
            if column.text:  # free text: a few numbers per label (missing: NaN)
                codes = values.astype(np.intp)
                for part, feature in column.features.items():
                    data[f"c{column.position}_{part}"] = np.append(feature, np.nan)[codes]
            elif column.kind == _LABELS:
                codes = values.astype(np.intp)
                if column.levels is not None:  # capped: rare labels share the other level
                    codes = np.where(codes >= 0, column.levels[np.maximum(codes, 0)], -1)
                data[f"c{column.position}"] = pd.Categorical.from_codes(
                    codes, categories=pd.RangeIndex(column.n_levels)
                )
            else:
                data[f"c{column.position}"] = values
        for column in columns:  # which values are fills: lets the trees discount them
            if column.name != target.name and column.n_missing > 0:
                data[f"m{column.position}"] = self.missing[column.name][rows].astype(np.float64)
        return pd.DataFrame(data, index=pd.RangeIndex(int(rows.sum())))

    def linear_skip(
        self, target: _Column, columns: list[_Column], names: pd.Index
    ) -> frozenset[str]:
        """Predictor names (of ``names``) a linear model of ``target`` leaves out.

        The missing-value indicators, and the columns missing in nearly all (more than
        ``TWIN_SHARE``) of ``target``'s missing cells: there their values are fills (see
        :class:`~advval.dependency._impute_models.ColumnRegressor`).
        """
        gaps = self.missing[target.name]
        together = set()
        if gaps.any():
            together = {
                f"c{c.position}"
                for c in columns
                if c.name != target.name and float(np.mean(self.missing[c.name][gaps])) > TWIN_SHARE
            }
        return frozenset(
            n for n in map(str, names) if n.startswith("m") or n.split("_")[0] in together
        )

    def update(self, column: _Column, model: Any, columns: list[_Column]) -> float:
        """Re-predict ``column``'s missing cells with ``model``; return the change."""
        mask = self.missing[column.name]
        if not mask.any():
            return 0.0
        predictors = self.predictors(column, columns, mask)
        predicted = np.asarray(_predict(model, predictors))
        old = self.values[column.name][mask]
        if column.kind == _LABELS:
            new = predicted.astype(np.int64)
            change = float(np.mean(new != old))
        else:
            new = predicted.astype(np.float64)
            change = float(np.sqrt(np.mean((new - old) ** 2)) / column.scale)
        self.values[column.name][mask] = new
        return change


def _dummy(column: _Column, state: _State) -> DummyRegressor | DummyClassifier:
    """A constant model of ``column``: its most frequent value or its initial fill."""
    observed = ~state.missing[column.name]
    target = state.values[column.name][observed]
    if column.kind == _LABELS:
        model: DummyRegressor | DummyClassifier = DummyClassifier(strategy="most_frequent")
    else:
        model = DummyRegressor(strategy="constant", constant=column.fill)
    return model.fit(np.zeros((len(target), 1)), target)


def _predict(model: Any, predictors: pd.DataFrame) -> NDArray[Any]:
    if isinstance(model, DummyRegressor | DummyClassifier):
        return np.asarray(model.predict(np.zeros((len(predictors), 1))))
    return np.asarray(model.predict(predictors))


# ----------------------------------------------------------------------- models


@dataclass
class _ModelFactory:
    """Makes and fits the per-column models (:mod:`~advval.dependency._impute_models`).

    With ``early_stopping``, a column's model family and number of trees are chosen on
    held-out rows the first time it is fitted
    (:mod:`~advval.dependency._impute_choice`), and reused after (``families``,
    ``trees``); without, a numeric column boosts trees from a ridge start
    (``linear_start``) or alone, a categorical one boosts trees, every tree kept.
    """

    params: dict[str, Any]
    seed: int = 0
    #: rows of the table being imputed
    table_rows: int = 0
    linear_start: bool = False
    early_stopping: bool = False
    #: column -> its chosen model family (the heaviest of a blend)
    families: dict[Hashable, str] = field(default_factory=dict)
    #: column -> the boosted trees its chosen family is fitted with (None: every tree)
    counts: dict[Hashable, int | None] = field(default_factory=dict)
    #: column -> (family -> weight, family -> boosted trees) of a blend of families
    blends: dict[Hashable, tuple[dict[str, float], dict[str, int | None]]] = field(
        default_factory=dict
    )

    #: numeric column -> (its first choice's held-out predictions, the rows' weights),
    #: where that choice may move towards a ridge regression (small tables; dropped by
    #: ``SubstitutionImputer._fit_model`` when the gaps are not missing at random)
    firsts: dict[Hashable, tuple[NDArray[np.float64], NDArray[np.float64]]] = field(
        default_factory=dict
    )
    #: columns whose choice may move towards the ridge the next time they are fitted
    moving: set[Hashable] = field(default_factory=set)

    def choosing(self, column: _Column) -> bool:
        """Whether fitting ``column`` next chooses its family (on held-out rows)."""
        return self.early_stopping and column.name not in self.families

    def move(
        self,
        column: _Column,
        predictors: pd.DataFrame,
        target: NDArray[Any],
        skip: frozenset[str],
        *,
        n_trees: int | None,
    ) -> None:
        """Give a ridge regression the weight it earns in ``column``'s blend, once.

        The first choice is made on predictors that hold the initial fill, where the
        families that read the missing-value indicators (trees, forests) score best on
        the held-out rows; on imputed predictors a ridge can do better (cells missing
        where another column is large need a slope). So after the first round the
        column's first choice is blended with a ridge fitted on ``predictors`` (the same
        folds; :func:`~advval.dependency._impute_choice.toward_linear`); its other
        families keep their share, scaled down, and nothing else is refitted, so the
        choice may only move towards the ridge, never towards more trees. ``n_trees``:
        the boosted trees of a single family (a blend keeps its own).
        """
        self.moving.discard(column.name)
        previous, weights = self.firsts.pop(column.name)
        seed = self._seed(column)
        weight = toward_linear(previous, predictors, target, weights, seed=seed, skip=skip)
        if weight == 0:
            return
        family = self.families[column.name]
        blend, trees = self.blends.get(column.name, ({family: 1.0}, {family: n_trees}))
        moved = {f: round(w * (1 - weight), 10) for f, w in blend.items() if weight < 1}
        moved["linear"] = round(moved.get("linear", 0.0) + weight, 10)
        self.families[column.name] = max(moved, key=lambda f: moved[f])
        if len(moved) == 1:  # the ridge alone
            self.blends.pop(column.name, None)
        else:
            self.blends[column.name] = (moved, {**trees, "linear": None})

    def _seed(self, column: _Column) -> int:
        return (self.seed + 7919 * (column.position + 1)) % (2**31 - 1)

    def fit(
        self,
        column: _Column,
        predictors: pd.DataFrame,
        target: NDArray[Any],
        trees: dict[Hashable, int],
        skip: frozenset[str],
        weights: NDArray[np.float64] | None = None,
    ) -> ColumnRegressor | ColumnClassifier | ColumnBlend:
        """``column``'s model fitted on ``predictors``; records its trees in ``trees``.

        ``skip``: predictors a linear model leaves out (see ``ColumnRegressor``);
        ``weights``: of the rows, when the family is chosen (None: equal).
        """
        seed = self._seed(column)
        n_rows = len(predictors)
        n_outputs = len(np.unique(target)) if column.kind == _LABELS else 1
        families = self._families(column.kind, n_rows * (n_outputs if n_outputs > 2 else 1))

        def boosted() -> Any:
            return self.make(column.kind)

        indicators = frozenset(str(n) for n in predictors.columns if str(n).startswith("m"))

        def forest() -> Any:  # without the indicators (see ColumnForest)
            return ColumnForest(
                classifier=column.kind == _LABELS,
                random_state=seed,
                n_jobs=int(self.params.get("n_jobs") or 1),
                skip=indicators,
            )

        def member() -> ColumnRegressor | ColumnClassifier:
            if column.kind == _NUMERIC:
                return ColumnRegressor(boosted(), forest())
            return ColumnClassifier(boosted(), forest())

        adopted = None
        if column.name not in self.families:
            if self.early_stopping:
                choose = choose_regressor if column.kind == _NUMERIC else choose_classifier
                given = np.ones(n_rows) if weights is None else weights
                choice = choose(
                    boosted, forest, predictors, target, given,
                    families=families, seed=seed, skip=skip,
                )  # fmt: skip
                family, n_trees, adopted = choice.family, choice.n_trees, choice.fitted
                if len(choice.blend) > 1:
                    self.blends[column.name] = (choice.blend, choice.trees)
                if (
                    choice.held_out is not None
                    and "linear" in families
                    and set(choice.blend) != {"linear"}
                    and any(f in FOREST_FAMILIES for f in families)
                ):
                    self.firsts[column.name] = (choice.held_out, given)
            else:
                family, n_trees = families[-1], None
            self.families[column.name] = family
            self.counts[column.name] = n_trees
        else:
            family, n_trees = self.families[column.name], self.counts.get(column.name)
        fitted: ColumnRegressor | ColumnClassifier | ColumnBlend
        if adopted is not None:  # the choice's own model (see adoptable)
            fitted = adopted
        elif column.name in self.blends:
            blend, blend_trees = self.blends[column.name]
            members = []
            for name, weight in blend.items():
                fitted_member = member().fit(
                    predictors, target, family=name, n_trees=blend_trees.get(name),
                    seed=seed, skip=skip,
                )  # fmt: skip
                members.append((weight, fitted_member))
            fitted = ColumnBlend(members)
        else:
            fitted = member().fit(
                predictors, target, family=family, n_trees=n_trees, seed=seed, skip=skip
            )
        trees[column.name] = fitted.n_trees_
        return fitted

    def _families(self, kind: str, size: int) -> tuple[str, ...]:
        """The families a column may get (simplest first); without ``early_stopping``,
        the last is the one it gets.

        ``size``: rows times classes (a multiclass forest grows a tree per class); a
        forest only up to ``FOREST_MAX_ROWS``, and only on a table of at most as many
        rows (``table_rows``): forests are the small tables' family, and a sparse column
        of a large table would fit one (and every other family of its blend) in every
        round. On the flights Kaggle-shaped table (7,500 rows, 50 columns, 2 rounds) the
        one such column (``wind_gust``, 1,752 rows observed) cost 9 s of the imputer's
        82 with its forests, for a held-out squared error 3% lower than the trees' (4.93
        for the forest on the ridge's residuals against 5.08).
        """
        if not self.early_stopping:
            if kind == _NUMERIC and self.linear_start:
                return ("linear+trees",)
            return ("trees",)
        families: tuple[str, ...] = NUMERIC_FAMILIES if kind == _NUMERIC else LABEL_FAMILIES
        if not self.linear_start:
            families = tuple(f for f in families if not f.startswith("linear"))
        if size > FOREST_MAX_ROWS or self.table_rows > FOREST_MAX_ROWS:
            families = tuple(f for f in families if f not in FOREST_FAMILIES)
        return families

    @classmethod
    def build(cls, imputer: SubstitutionImputer, *, n_rows: int, seed: int) -> _ModelFactory:
        options: dict[str, Any] = {
            "seed": seed,
            "table_rows": n_rows,
            "linear_start": imputer.linear_start,
            "early_stopping": imputer.early_stopping,
        }
        if imputer.estimator is None:
            return cls(
                lightgbm_params("imputer", n_rows=n_rows, random_state=seed, n_jobs=imputer.n_jobs),
                **options,
            )
        params = {k: v for k, v in imputer.estimator.get_params().items() if k not in _TASK_PARAMS}
        if params.get("random_state") is None:
            params["random_state"] = seed
        if imputer.n_jobs is not None or params.get("n_jobs") is None:
            params["n_jobs"] = lightgbm_threads(imputer.n_jobs, n_rows)
        return cls(quiet(params), **options)

    def make(
        self, kind: str, params: dict[str, Any] | None = None
    ) -> lgb.LGBMRegressor | lgb.LGBMClassifier:
        factory = lgb.LGBMClassifier if kind == _LABELS else lgb.LGBMRegressor
        return factory(**(self.params if params is None else params))
