"""dependency_shift: did the relationships between columns change from train to test?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._frames import (
    ALIGN_NAMES,
    BOOLEAN,
    CATEGORICAL,
    TEXT,
    FrameEncoder,
    align_columns,
    as_frame,
    magnitude_unit,
)
from .._lightgbm import as_matrix
from .._progress import note, stage
from .._stats import Correction, adjust_p_values, category_test, ks_test, rank_test
from ._budget import budget_rows, check_max_rows, default_row_budget, scored_rows
from ._crossfit import HeldOut
from ._encoding import SCORE_ADVICE, fit_encoder, unpredicted_warning
from ._fitting import (
    MAX_TRAIN_ROWS,
    Design,
    FittedTarget,
    default_params,
    estimator_params,
    fit_target,
)
from ._scoring import (
    Target,
    class_mapping,
    class_target,
    is_code,
    metric,
    normalized_score,
    numeric_target,
    row_losses,
)

#: share of the training rows the models are fitted on (at most ``MAX_TRAIN_ROWS``); the
#: rest are the held-out reference the test rows are compared with
FIT_SHARE = 2 / 3
#: a relationship is flagged only when its score drops at least this much
MIN_DROP = 0.05
#: the redundancy threshold whose precision sets the ``"auto"`` row budget
BUDGET_THRESHOLD = 0.9
#: rows each sample needs at least
MIN_ROWS = 6
_OWNER = "dependency_shift"


def dependency_shift(
    X_train: Any,
    X_test: Any,
    *,
    estimator: lgb.LGBMModel | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    max_rows: int | str | None = "auto",
    column_kinds: dict[str, str] | None = None,
    n_jobs: int | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> pd.DataFrame:
    """Which columns are predicted worse from the others in ``X_test`` than in ``X_train``?

    For every column ``X_j`` a model of ``X_j`` given all other columns is fitted on two
    thirds of the training rows (at most 10,000). It then scores the held-out rest of the
    training rows and the test rows. If the relationship ``X_j | others`` is the same in
    both sets (and the test rows come from the training distribution), the per-row
    losses (squared error, or log loss of the true class) of held-out and test rows are
    exchangeable, so a one-sided Mann-Whitney test of "test losses are larger" is exact.
    A significant drop names a relationship that changed, even when every column's own
    distribution did not; the per-column two-sample tests (KS for numbers and datetimes,
    chi-squared for categories) are reported beside it, so the two kinds of shift can be
    told apart. A change of the other columns' distribution alone (covariate shift into a
    region where the model is worse) can also raise test losses: read ``shifted``
    together with the marginal tests.

    Free text and categorical codes with no value on 1% of the training rows are not
    predicted (their scores are NaN and they are never ``shifted``); they are still
    predictors, and their marginal test is reported (text compared by length).

    Parameters
    ----------
    X_train, X_test : DataFrame or array-like
        The two samples, with the same columns. Never modified.
    estimator : LightGBM model or None, default=None
        As in :class:`FeatureDependencyChecker`.
    alpha : float, default=0.05
        Level of ``shifted`` (after the correction over columns).
    correction : {"holm", "fdr_bh", "bonferroni", "none"}, default="holm"
    max_rows : int, "auto" or None, default="auto"
        Rows of each sample the models use, drawn uniformly: the training rows are split
        into the rows the models train on (two thirds, at most 10,000) and the held-out
        rest. ``"auto"``: the checker's budget (:mod:`advval.dependency._budget`) of
        24,598 training rows (10,000 to train, 14,598 held out) and 14,598 test rows, so
        that each score is known to +-0.01 and a drop to +-0.02; ``None``: every row. The
        marginal tests read every row.
    column_kinds : dict or None, default=None
        Column -> ``"categorical"``, ``"datetime"`` or ``"text"``, as in
        :class:`FeatureDependencyChecker`.
    n_jobs : int or None, default=None
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    DataFrame
        One row per column (index ``feature``): ``train_score`` (held-out training rows),
        ``test_score``, ``drop`` (``train_score - test_score``), ``p_value``,
        ``p_value_adjusted``, ``shifted`` (adjusted p below ``alpha`` and a drop of at
        least 0.05), ``marginal_test`` (``"ks"`` or ``"chi2"``), ``marginal_statistic``
        (KS D or total-variation distance) and ``marginal_p_value`` (scores, statistic
        and p-value NaN for a column with no value in one sample, and for a column of
        dates written one way in one sample and another in the other: nothing says how
        to compare them). Its ``attrs`` give the rows given and used: ``n_train_rows``,
        ``n_train_rows_used``, ``n_test_rows``, ``n_test_rows_used``, and, when there
        are such date columns, ``formats_apart`` (column -> the two samples' formats).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> def sample(sign, n=600):
    ...     a, b = rng.normal(size=n), rng.normal(size=n)
    ...     return pd.DataFrame({"a": a, "b": b, "c": sign * a * b + 0.1 * rng.normal(size=n)})
    >>> shift = dependency_shift(sample(1), sample(-1), n_jobs=1, random_state=0)
    >>> shift["shifted"].tolist()
    [True, True, True]
    >>> bool((shift["marginal_p_value"] > 0.05).all())
    True
    """
    return shift_named(
        X_train,
        X_test,
        estimator=estimator,
        alpha=alpha,
        correction=correction,
        max_rows=max_rows,
        column_kinds=column_kinds,
        n_jobs=n_jobs,
        random_state=random_state,
        names=ALIGN_NAMES,
    )


def shift_named(
    X_train: Any,
    X_test: Any,
    *,
    estimator: lgb.LGBMModel | None,
    alpha: float,
    correction: Correction,
    max_rows: int | str | None,
    column_kinds: dict[str, str] | None,
    n_jobs: int | None,
    random_state: int | np.random.RandomState | None,
    names: tuple[str, str],
    warn_unpredicted: bool = True,
) -> pd.DataFrame:
    """:func:`dependency_shift`, its errors and warnings about the data calling the two
    sides ``names`` (the command line's: the user's files, see
    :func:`~advval._frames.align_columns`). ``warn_unpredicted=False``: a checker fitted
    on ``X_train`` named the columns it cannot predict, and those missing in every row,
    already."""
    check_max_rows(max_rows, owner=_OWNER, n_splits=3)
    train, test = _sides(X_train, X_test, names)
    if train.shape[1] < 2:
        raise ValueError(
            f"{names[0]} has {train.shape[1]} column(s); dependency_shift predicts each column "
            f"from the others, so it needs at least 2."
        )
    for frame, name in zip((train, test), names, strict=True):
        _check_rows(frame, name)
    encoder = fit_encoder(
        train, test, column_kinds, names=names, named_dropped=not warn_unpredicted
    )
    encoder.check_finite(train, name=names[0])
    encoder.check_finite(test, name=names[1])
    rng = check_random_state(random_state)
    seed = int(rng.randint(0, 2**31 - 10**8))
    train_budget, test_budget = _budgets(max_rows)
    train_used = budget_rows(len(train), train_budget, seed + 1)
    test_used = budget_rows(len(test), test_budget, seed + 2)
    rows = {
        "n_train_rows": len(train),
        "n_train_rows_used": int(train_used.size),
        "n_test_rows": len(test),
        "n_test_rows_used": int(test_used.size),
    }
    if train_used.size < len(train) or test_used.size < len(test):
        note(
            f"advval: dependency shift on {train_used.size:,} of {len(train):,} training "
            f"rows and {test_used.size:,} of {len(test):,} test rows, drawn uniformly (the "
            f"row budget; set max_rows / --max-rows to change it). The per-column marginal "
            f"tests use every row."
        )
    marginals = {c: _marginal(encoder, train, test, c) for c in encoder.columns}
    if train_used.size < len(train):
        train = train.iloc[train_used]
    if test_used.size < len(test):
        test = test.iloc[test_used]
    order = np.random.default_rng(seed).permutation(len(train))
    n_fit = min(int(round(FIT_SHARE * len(train))), MAX_TRAIN_ROWS)
    fit_rows, held_rows = np.sort(order[:n_fit]), np.sort(order[n_fit:])
    encoded_train, encoded_test = encoder.transform(train), encoder.transform(test)
    if estimator is None:
        params = default_params(n_rows=n_fit, single=False)
    else:
        params = estimator_params(estimator)

    design = Design(encoded_train, params)
    test_matrix = Design(encoded_test, params).matrix
    source = np.asarray(encoder.source, dtype=object)
    scores: dict[str, tuple[float, float, float]] = {}
    unpredicted = []
    shift_stage = "shift between the samples: each column from the others"
    with stage(shift_stage, total=len(encoder.columns)) as bar:
        for j, column in enumerate(encoder.columns):
            bar.describe(column)
            targets = _targets(encoder, train, test, column)
            if targets is None:
                unpredicted.append(column)
            else:
                train_target, test_target = targets
                model = fit_target(
                    train_target,
                    design,
                    _observed(train_target, fit_rows),
                    params,
                    exclude=np.flatnonzero(source == column),
                    random_state=seed + j,
                    n_jobs=n_jobs,
                )
                held = _observed(train_target, held_rows)
                scores[column] = _contrast(
                    model,
                    HeldOut(model, train_target.values[held], model.predict(design.matrix[held])),
                    test_target,
                    model.predict(test_matrix[test_target.rows]),
                )
            bar.advance()
    return _table(
        encoder, scores, unpredicted, marginals, rows, alpha=alpha, correction=correction,
        name=names[0], warn=warn_unpredicted,
    )


def shift_from_fit(
    basis: FitBasis,
    X_train: Any,
    X_test: Any,
    *,
    alpha: float,
    correction: Correction,
    max_rows: int | str | None,
    column_kinds: dict[str, str] | None,
    random_state: int | np.random.RandomState | None,
    names: tuple[str, str] = ALIGN_NAMES,
) -> pd.DataFrame:
    """:func:`dependency_shift` with the models of a checker's hold-out fit on ``X_train``.

    The checker's fit already trained each column's model on the training rows of its
    hold-out split and predicted its held-out rows: exactly the models and reference rows
    the dependency shift needs. Only the test rows are predicted here (at most the row
    budget's), and the marginal tests read every row of both frames. ``names``: what the
    errors and warnings about the data call the two sides (as in :func:`shift_named`).
    """
    check_max_rows(max_rows, owner=_OWNER, n_splits=3)
    train, test = _sides(X_train, X_test, names)
    if list(train.columns) != basis.columns or len(train) != basis.n_rows:
        raise ValueError(
            f"{names[0]} has {len(train)} rows and columns {_preview(list(train.columns))}, "
            f"but the checker was fitted on {basis.n_rows} rows and columns "
            f"{_preview(basis.columns)}: with prefit=True, {names[0]} must be the data fit "
            f"was given."
        )
    _check_rows(test, names[1])
    # checks that both sides' kinds agree
    joint = fit_encoder(train, test, column_kinds, names=names, named_dropped=True)
    joint.check_finite(test, name=names[1])
    seed = int(check_random_state(random_state).randint(0, 2**31 - 10**8))
    test_used = budget_rows(len(test), _budgets(max_rows)[1], seed + 2)
    rows = {
        "n_train_rows": len(train),
        "n_train_rows_used": basis.n_rows_used,
        "n_test_rows": len(test),
        "n_test_rows_used": int(test_used.size),
    }
    if test_used.size < len(test):
        note(
            f"advval: dependency shift on the {basis.n_rows_used:,} training rows the checker "
            f"used and {test_used.size:,} of {len(test):,} test rows, drawn uniformly (the "
            f"row budget; set max_rows / --max-rows to change it). The per-column marginal "
            f"tests use every row."
        )
    marginals = {c: _marginal(joint, train, test, c) for c in joint.columns}
    test = test.iloc[test_used] if test_used.size < len(test) else test
    encoder = basis.encoder
    test_matrix = as_matrix(encoder.transform(test[encoder.columns]))
    scores: dict[str, tuple[float, float, float]] = {}
    shift_stage = "shift between the samples: each column from the others"
    with stage(shift_stage, total=len(encoder.columns)) as bar:
        for column in encoder.columns:
            bar.describe(column)
            held_out = basis.held_out.get(column)
            if held_out is not None:
                reference = held_out.model.target
                test_target = _like(reference, encoder.column_values(test, column), basis, column)
                prediction = held_out.model.predict(test_matrix[test_target.rows])
                scores[column] = _contrast(held_out.model, held_out, test_target, prediction)
            elif column not in basis.unpredicted:  # constant, or too few rows: no model
                scores[column] = (0.0, 0.0, 1.0)
            bar.advance()
    for column in joint.columns:  # entirely missing in X_train, present in X_test
        scores.setdefault(column, (np.nan, np.nan, 1.0))
    unpredicted = [c for c in basis.unpredicted if c in joint.columns]
    return _table(
        joint, scores, unpredicted, marginals, rows, alpha=alpha, correction=correction,
        name=names[0], warn=False,
    )


def _sides(X_train: Any, X_test: Any, names: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both samples as checked frames, the test one in the training one's column order."""
    train = as_frame(X_train, name=names[0])
    return train, align_columns(train, as_frame(X_test, name=names[1]), names=names)


def _check_rows(frame: pd.DataFrame, name: str) -> None:
    """Raise unless ``frame`` (called ``name`` in the message) has ``MIN_ROWS`` rows."""
    if len(frame) < MIN_ROWS:
        raise ValueError(f"{name} has {len(frame)} row(s); dependency_shift needs {MIN_ROWS}.")


def _budgets(max_rows: int | str | None) -> tuple[int | None, int | None]:
    """Rows of X_train (trained on and held out) and of X_test (scored) the models use.

    ``"auto"``: the checker's budget for X_train, and the held-out rows of it for X_test,
    so that both scores of a drop have the same precision.

    Examples
    --------
    >>> _budgets("auto"), _budgets(500), _budgets(None)
    ((24598, 14598), (500, 500), (None, None))
    """
    if max_rows == "auto":
        return default_row_budget(BUDGET_THRESHOLD), scored_rows(BUDGET_THRESHOLD)
    assert max_rows is None or isinstance(max_rows, int)  # checked by check_max_rows
    return max_rows, max_rows


@dataclass(frozen=True)
class FitBasis:
    """What a checker's hold-out fit keeps for :func:`shift_from_fit`.

    Attributes
    ----------
    encoder : FrameEncoder
        The encoder the models' predictors were encoded with.
    columns : list of str
        The columns of the data fit was given, in order.
    n_rows, n_rows_used : int
        Rows fit was given and rows its models used.
    held_out : dict
        Column -> its model and held-out predictions; absent for columns not predicted
        (free text, codes) and for constant ones.
    mappings : dict
        Class column -> its label -> class mapping.
    unpredicted : list of str
        Columns not predicted (free text, codes).
    """

    encoder: FrameEncoder
    columns: list[str]
    n_rows: int
    n_rows_used: int
    held_out: dict[str, HeldOut]
    mappings: dict[str, dict[object, int]]
    unpredicted: list[str]


def _like(
    reference: Target, values: np.ndarray, basis: FitBasis, column: str
) -> Target:
    """The test values of ``column`` as a target coded like ``reference`` (the training one)."""
    if reference.kind == "numeric":
        return numeric_target(np.asarray(values, dtype=np.float64), unit=reference.unit)
    target = class_target(values, basis.mappings[column])
    n_classes = max(target.n_classes, reference.n_classes)
    return Target("classes", target.values, target.rows, n_classes)


def _contrast(
    model: FittedTarget,
    held: HeldOut,
    test_target: Target,
    test_prediction: np.ndarray,
) -> tuple[float, float, float]:
    """Held-out training score, test score and the p-value of "test losses are larger".

    A sample with no value of the column (all missing in test) has no score (NaN) and
    no test (p-value 1).
    """
    scores, losses = [], []
    for y, prediction in (
        (held.y, held.prediction),
        (test_target.observed, test_prediction),
    ):
        if len(y) == 0:
            scores.append(float("nan"))
            losses.append(np.empty(0))
            continue
        prediction = _pad(prediction, test_target)
        baseline = _pad(_constant(model, len(y)), test_target)
        scores.append(
            normalized_score(metric(test_target, y, prediction), metric(test_target, y, baseline))
        )
        losses.append(row_losses(test_target, y, prediction))
    p_value = 1.0
    if losses[0].size and losses[1].size:
        labels = np.r_[np.zeros(losses[0].size), np.ones(losses[1].size)]
        p_value = rank_test(labels, np.r_[losses[0], losses[1]]).p_value
    return scores[0], scores[1], p_value


def _table(
    encoder: FrameEncoder,
    scores: dict[str, tuple[float, float, float]],
    unpredicted: list[str],
    marginals: dict[str, tuple[str, float, float]],
    rows: dict[str, int],
    *,
    alpha: float,
    correction: Correction,
    name: str,
    warn: bool = True,
) -> pd.DataFrame:
    """The result: one row per column, p-values corrected, rows given and used in attrs.

    ``name``: what the warning about the unpredicted columns calls the training data;
    ``warn=False`` when the checker whose fit the shift reuses named them already.
    """
    table = []
    for column in encoder.columns:
        train_score, test_score, p_value = scores.get(column, (np.nan, np.nan, 1.0))  # unpredicted
        test_name, statistic, marginal_p = marginals[column]
        if column in encoder.formats_apart:  # dates written two ways: they differ for that alone
            train_score, test_score, p_value = np.nan, np.nan, 1.0
            statistic, marginal_p = np.nan, np.nan
        table.append(
            {
                "feature": column,
                "train_score": train_score,
                "test_score": test_score,
                "drop": train_score - test_score,
                "p_value": p_value,
                "marginal_test": test_name,
                "marginal_statistic": statistic,
                "marginal_p_value": marginal_p,
            }
        )
    if warn:
        unpredicted_warning(
            "The dependency shift",
            [c for c in unpredicted if encoder.kinds[c] == TEXT],
            [c for c in unpredicted if encoder.kinds[c] != TEXT],
            "so they get no scores and are never flagged as shifted; their per-column test "
            "is still reported.",
            name=name,
            advice=SCORE_ADVICE,
        )
    result = pd.DataFrame(table).set_index("feature")
    adjusted = adjust_p_values(result["p_value"].to_numpy(), correction)
    drop = result["drop"].to_numpy()
    result.insert(4, "p_value_adjusted", adjusted)
    result.insert(5, "shifted", (adjusted < alpha) & (np.nan_to_num(drop, nan=0.0) >= MIN_DROP))
    result.attrs.update(rows)
    if encoder.formats_apart:
        result.attrs["formats_apart"] = dict(encoder.formats_apart)
    return result


def _marginal(
    encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, column: str
) -> tuple[str, float, float]:
    """The per-column two-sample test: chi-squared for categories, else KS (text: length).

    NaN statistic and p-value when a sample has no value of the column: nothing to compare.
    """
    a = encoder.column_values(train, column)
    b = encoder.column_values(test, column)
    if not (pd.notna(a).any() and pd.notna(b).any()):
        return ("chi2" if encoder.kinds[column] in (CATEGORICAL, BOOLEAN) else "ks", np.nan, np.nan)
    if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
        return ("chi2", *category_test(a, b))
    return ("ks", *ks_test(a, b))


def _targets(
    encoder: FrameEncoder, train: pd.DataFrame, test: pd.DataFrame, column: str
) -> tuple[Target, Target] | None:
    """The column as a target in each sample (one class mapping, one unit); None when it
    is not predicted (free text, or a code with no frequent value in ``train``)."""
    if encoder.kinds[column] == TEXT:
        return None
    a = encoder.column_values(train, column)
    b = encoder.column_values(test, column)
    if encoder.kinds[column] in (CATEGORICAL, BOOLEAN):
        if is_code(a):
            return None
        mapping = class_mapping(a)
        left = class_target(a, mapping)
        right = class_target(b, mapping)
        n_classes = max(left.n_classes, right.n_classes)
        return (
            Target("classes", left.values, left.rows, n_classes),
            Target("classes", right.values, right.rows, n_classes),
        )
    left_values, right_values = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    unit = magnitude_unit(left_values, right_values)
    return numeric_target(left_values, unit=unit), numeric_target(right_values, unit=unit)


def _observed(target: Target, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(len(target.values), dtype=bool)
    mask[target.rows] = True
    return rows[mask[rows]]


def _constant(model: Any, n: int) -> np.ndarray:
    if model.target.kind == "numeric":
        return np.full(n, float(model.constant[0]))
    return np.tile(model.constant, (n, 1))


def _pad(prediction: np.ndarray, target: Target) -> np.ndarray:
    """Class probabilities widened with zero columns for classes only the test has."""
    if target.kind == "numeric" or prediction.shape[1] == target.n_classes:
        return prediction
    wider = np.zeros((prediction.shape[0], target.n_classes))
    wider[:, : prediction.shape[1]] = prediction
    return wider


def _preview(names: list[str], limit: int = 5) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{names[:limit]!r}{more}"
