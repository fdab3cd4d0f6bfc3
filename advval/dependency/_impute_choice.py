"""Which model family imputes a column, chosen on its held-out observed rows.

:class:`~advval.dependency.SubstitutionImputer` fits each family of
:mod:`~advval.dependency._impute_models` on part of a column's observed rows and scores
it on the rest (``VALIDATION_SHARE`` held out; on small columns, every observed row held
out once over ``1 / VALIDATION_SHARE`` folds, so that the choice rests on enough rows).
The score is the squared error (numeric) or the misclassification (categorical: 1 when
the most probable class is not the observed one; the imputer imputes that class) of each
held-out row, **weighted by the odds that a row like it is missing**: a logistic
regression of the column's missingness on the predictors gives each observed row
``p / (1 - p)`` (capped at ``MAX_WEIGHT`` times the mean). Under missingness completely
at random the weights are about equal; when cells go missing where another column is
large, the rows that look like the missing ones count more, as the imputations will be
made there.

Without blends (``BLEND`` off), **the forest is the default** where it is a candidate
(small tables, see ``FOREST_MAX_ROWS``): another family replaces it only when its
weighted mean loss is lower by more than the standard error of the row-by-row difference
(:func:`lowest_loss`); elsewhere the family of lowest weighted mean loss is chosen (the
simpler one on a tie). On a few hundred rows, the held-out rows of five folds pick among
near-equal families by chance, and the forest is the family whose mistakes cost least:
with the full missForest as the baseline (``benchmarks/trust_impute.py``, 300 rows, 5
seeds), the lowest loss alone left the 178 wines at a normalised RMSE of 0.681 (MCAR)
against missForest's 0.668, the forest as default 0.668; Boston housing 0.479 and 0.519
(MCAR and MAR) against 0.470 and 0.503. Preferring the *simplest* family unless a more
flexible one is better by a standard error did worse (hitters, MCAR: 0.455 against
0.418). The misclassification, not the Brier score, judges a categorical column: a
forest's averaged probabilities are less sharp than a logistic regression's, so the
Brier score preferred the logistic regression where the forest imputed more cells right
(wine cultivars, MCAR: 0.054 of the cells wrong against 0.037).

**Blends** (``BLEND``; small tables, where the forest is a candidate): instead of one
family, a column gets the convex combination of every family's held-out predictions of
lowest weighted loss (stacking; :func:`convex_weights`, weights on a grid of tenths):
the squared error of the blended value (numeric), the misclassification of the blend's
most probable class, ties broken by its Brier score (categorical). The blend includes
each family alone, so on the held-out rows it is never worse than the best of them;
mixing a ridge (or a forest on the ridge's residuals, ``"linear+forest"``) into a
forest gives it the slope that cells missing beyond the observed values need, and
averaging families whose errors differ lowers the error of both. A categorical blend
replaces the forest only when its misclassification, on rows that did not choose its
weights, is lower by a standard error of the row-by-row difference (as above): blended freely,
the 178 wines' cultivars (MCAR, 3 seeds) went from 0.028 of the cells wrong to 0.048
against missForest's 0.030 (0.028 with the rule). Every family of
positive weight is then fitted on every observed row
(:class:`~advval.dependency._impute_models.ColumnBlend`).

**The class shares** (``"prior"``, :class:`~advval.dependency._impute_models.ClassPrior`:
the most frequent class imputed everywhere) are a categorical column's last default: a
model or blend replaces them only when its misclassification is lower by a standard
error (after the forest rule above). A column the others do not predict is imputed
best by its most frequent class, and the families' scatter cost the most there: on the
credit table (``benchmarks/trust_impute.py``, MCAR, 300 rows, 5 seeds) three of its four
categories (gender, marital status, ethnicity) are noise to the other columns, and the
imputer got 0.386 of the four categories' cells wrong (mean over the columns) against
IterativeImputer's 0.369 (the most frequent class, in effect); with the class shares,
0.369. Two things keep the comparison fair. The shares are those of
every scored row, not re-counted without each fold: they have nothing to fit, and
re-counted, the most frequent class of a balanced column flips from fold to fold (a
customer's gender, 50.3% against 49.7%: 0.569 of the held-out rows wrong, so that a
forest at 0.498 replaced them and imputed 0.554 wrong). And a blend is judged on rows
that did not choose its weights (:func:`held_out_blend`): a grid of weights over four
families always finds one that errs less than the shares on the rows it was chosen on.

**Towards the ridge, after the first round** (:func:`toward_linear`; small tables,
numeric columns): the choice above is made on predictors that hold the initial fill,
where the families that read the missing-value indicators score best; after a round the
predictors hold imputations, and a ridge fitted on them may do better (diamonds under
missingness at random, ``benchmarks/trust_impute.py``: normalised RMSE 0.487 with the
first choice kept, 0.425 moved, IterativeImputer 0.441). So the first choice's held-out
predictions are blended once with a ridge's on the same folds, and the ridge keeps the
weight it earns only when the blend is better by a standard error. Only the ridge is
fitted again; choosing every family again after the first round did as well on diamonds
(0.434) but let a column nothing predicts take more trees, and cost 1.5 times as much.
Only where the column's gaps are missing at random (:func:`missing_at_random`: the
missingness model of :func:`missing_odds`, cross-validated, ranks held-out rows with an
AUC above 0.5 by ``MAR_Z`` standard errors): under missingness completely at random,
moving cost the wines, Boston housing and hitters (nRMSE +0.013, +0.015, +0.026), as
the other columns' imputations in a column's observed rows were made by models that read
its value there, so the ridge finds it again on the held-out rows.

A boosted family's held-out rows of one fold are scored at the number of trees the
other folds chose (:func:`_cross_fitted`), so that the number is not tuned on the rows
that judge it; but at most at the fold's own best number, as an early-stopped model
keeps no trees beyond it (:func:`~advval.dependency._impute_models.early_stopped`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from ._impute_models import (
    FOREST_FAMILIES,
    MAX_LINEAR_ROWS,
    MIN_VALIDATION_ROWS,
    VALIDATION_SHARE,
    ColumnClassifier,
    ColumnRegressor,
    LinearClassifier,
    LinearDesign,
    LinearStart,
    early_stopped,
    held_predictions,
)

#: held-out rows a single split should give; columns with fewer use every fold
TARGET_HELD_ROWS = 200
#: most rows the choice is made on (a seeded sample above this); the chosen model is
#: then fitted on every observed row
MAX_CHOICE_ROWS = 50_000
#: most observed rows (times classes, for more than two) for which a random forest is
#: among the families, and most rows of the table
FOREST_MAX_ROWS = 5_000
#: the family another must beat by a standard error where it is a candidate (numeric
#: and categorical columns; None: the lowest loss)
DEFAULT_FAMILY: str | None = "forest"
#: the families a categorical column's choice must beat by a standard error, in turn
#: (each where it is a candidate): the forest, then the class shares
LABEL_DEFAULTS: tuple[str, ...] = ("forest", "prior")
#: blend the families where a forest is among them (small tables): the convex
#: combination of their held-out predictions of lowest loss (see :func:`convex_weights`)
BLEND = True
#: the blend's weights are multiples of 1 / BLEND_STEPS
BLEND_STEPS = 10
#: largest weight of a held-out row, in multiples of the mean weight
MAX_WEIGHT = 10.0
#: folds of the cross-validated missingness model (:func:`missing_auc`)
MISSING_FOLDS = 5
#: a column's gaps are missing at random when the missingness model's held-out AUC
#: exceeds 0.5 by this many standard errors (:func:`missing_at_random`); only such a
#: column's choice may move towards the ridge after the first round
MAR_Z = 2.0

Maker = Callable[[], Any]


@dataclass(frozen=True)
class Choice:
    """A column's chosen family and number of boosted trees (None: every tree)."""

    family: str
    n_trees: int | None
    #: family -> weighted mean held-out loss (empty when there was no choice)
    losses: dict[str, float]
    #: family -> its weight in the blend (one family: weight 1; empty: ``family`` alone)
    blend: dict[str, float] = field(default_factory=dict)
    #: family of the blend -> its number of boosted trees (None: not boosted)
    trees: dict[str, int | None] = field(default_factory=dict)
    #: the chosen blend's prediction of each row when held out (NaN: never held out;
    #: numeric columns only, else None)
    held_out: NDArray[np.float64] | None = None
    #: the chosen family's model as the choice fitted it on the training rows of its
    #: single split (see :func:`adoptable`), to impute with in place of a refit on every
    #: row; None where it was not kept
    fitted: Any = None


def folds(n_rows: int, seed: int) -> list[NDArray[np.bool_]]:
    """Held-out masks: one seeded split, every fold of a small column, or none."""
    n_valid = int(round(VALIDATION_SHARE * n_rows))
    if n_valid < MIN_VALIDATION_ROWS:
        return []
    order = np.random.default_rng(seed).permutation(n_rows)
    parts = (
        [order[:n_valid]]
        if n_valid >= TARGET_HELD_ROWS
        else np.array_split(order, int(round(1 / VALIDATION_SHARE)))
    )
    masks = []
    for part in parts:
        held = np.zeros(n_rows, dtype=bool)
        held[part] = True
        masks.append(held)
    return masks


def missing_odds(
    predictors: pd.DataFrame, missing: NDArray[np.bool_], rows: NDArray[np.bool_], *, seed: int
) -> NDArray[np.float64]:
    """Weights of ``rows``: the odds that a row with their predictors is ``missing``.

    A logistic regression of ``missing`` on the predictors' :class:`LinearDesign` (every
    row, at most ``MAX_LINEAR_ROWS`` seeded ones); the odds are scaled to mean 1 over
    ``rows`` and capped at ``MAX_WEIGHT``. Equal weights when nothing is missing.
    """
    n_missing = int(missing.sum())
    if n_missing == 0 or n_missing == len(missing):
        return np.ones(int(rows.sum()))
    sample = np.arange(len(missing))
    if len(sample) > MAX_LINEAR_ROWS:
        sample = np.sort(np.random.default_rng(seed).choice(sample, MAX_LINEAR_ROWS, False))
    fitted = predictors.iloc[sample]
    raw = LinearDesign.reading(fitted).raw(fitted)  # read once: fit, and rows when all
    design = LinearDesign.learn(fitted, raw=raw)
    if design.width == 0 or len(np.unique(missing[sample])) < 2:
        return np.ones(int(rows.sum()))
    matrix = design.standardised(raw)
    model = LogisticRegression(max_iter=500).fit(matrix, missing[sample])
    scored = matrix[rows] if len(sample) == len(missing) else design.matrix(predictors[rows])
    p = np.clip(model.predict_proba(scored)[:, 1], 1e-6, 1 - 1e-6)
    odds = p / (1 - p)
    weights = np.minimum(odds / odds.mean(), MAX_WEIGHT)
    return np.asarray(weights / weights.mean())


def missing_at_random(predictors: pd.DataFrame, missing: NDArray[np.bool_], *, seed: int) -> bool:
    """Whether the predictors foretell which cells are ``missing`` (missing at random,
    not completely).

    True when the cross-validated AUC of the missingness model of :func:`missing_odds`
    (:func:`missing_auc`) exceeds 0.5 by more than ``MAR_Z`` standard errors. Under
    missingness completely at random the odds are flat and the AUC is 0.5 whatever the
    number of predictors (an overfitted model scores held-out rows no better than
    chance), which a threshold on the spread of the in-sample odds would not be.
    """
    auc, error = missing_auc(predictors, missing, seed=seed)
    return auc - 0.5 > MAR_Z * error


def missing_auc(
    predictors: pd.DataFrame, missing: NDArray[np.bool_], *, seed: int
) -> tuple[float, float]:
    """The AUC of the logistic model of ``missing`` on held-out rows, and its standard error.

    ``MISSING_FOLDS`` folds, stratified by ``missing`` and drawn from ``seed``, over every
    row (at most ``MAX_LINEAR_ROWS`` seeded ones); each fold is scored by a model fitted
    on the others (as in :func:`missing_odds`, on their :class:`LinearDesign`). The AUC
    is the Mann-Whitney share of (missing, observed) pairs ranked in order, pooled over
    the folds; its standard error is Hanley and McNeil's. ``(0.5, inf)`` when a class
    has fewer rows than folds or there is nothing to read.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> auc, error = missing_auc(X, rng.random(400) < 1 / (1 + np.exp(-3 * X["a"])), seed=0)
    >>> bool(auc - 0.5 > MAR_Z * error)
    True
    """
    rng = np.random.default_rng(seed)
    sample = np.arange(len(missing))
    if len(sample) > MAX_LINEAR_ROWS:
        sample = np.sort(rng.choice(sample, MAX_LINEAR_ROWS, replace=False))
    y = np.asarray(missing, dtype=bool)[sample]
    n_missing, n_observed = int(y.sum()), int((~y).sum())
    if min(n_missing, n_observed) < MISSING_FOLDS:
        return 0.5, float("inf")
    fold = np.empty(len(y), dtype=np.intp)
    for label in (False, True):
        rows = rng.permutation(np.flatnonzero(y == label))
        fold[rows] = np.arange(len(rows)) % MISSING_FOLDS
    X = predictors.iloc[sample].reset_index(drop=True)
    raw = LinearDesign.reading(X).raw(X)  # read once for every fold
    score = np.empty(len(y))
    for k in range(MISSING_FOLDS):
        held = fold == k
        design = LinearDesign.learn(X[~held], raw=raw[~held])
        if design.width == 0:
            return 0.5, float("inf")
        model = LogisticRegression(max_iter=500).fit(design.standardised(raw[~held]), y[~held])
        score[held] = model.decision_function(design.standardised(raw[held]))
    ranks = pd.Series(score).rank().to_numpy()  # ties share their mean rank
    auc = (float(ranks[y].sum()) - n_missing * (n_missing + 1) / 2) / (n_missing * n_observed)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (n_missing - 1) * (q1 - auc**2) + (n_observed - 1) * (q2 - auc**2)
    ) / (n_missing * n_observed)
    return auc, float(np.sqrt(max(variance, 0.0)))


def lowest_loss(
    losses: dict[str, NDArray[np.float64]],
    weights: NDArray[np.float64],
    default: str | None = None,
) -> str:
    """The family of lowest weighted mean loss (the first in ``losses``' order on a tie).

    ``losses``: family -> loss of each held-out row (the same rows for every family).
    ``default``: a family that another replaces only when that one's weighted mean loss
    is lower by more than the standard error of the row-by-row difference.
    """
    means = [float(weights @ loss) for loss in losses.values()]
    best = list(losses)[int(np.argmin(means))]
    if default is None or default not in losses or best == default:
        return best
    difference = losses[best] - losses[default]
    total = float(weights.sum())
    mean = float(weights @ difference) / total
    error = float(np.sqrt(np.sum((weights * (difference - mean)) ** 2))) / total
    return best if mean < -error else default


def _scaled(trees: list[int], limit: int) -> int:
    """Trees for every row from those chosen on four fifths of them (scaled up)."""
    return min(limit, int(round(float(np.mean(trees)) / (1 - VALIDATION_SHARE))))


def _budgeted(
    X: pd.DataFrame, y: NDArray[Any], weights: NDArray[np.float64], seed: int
) -> tuple[pd.DataFrame, NDArray[Any], NDArray[np.float64]]:
    if len(y) <= MAX_CHOICE_ROWS:
        return X, y, weights
    rows = np.sort(np.random.default_rng(seed).choice(len(y), MAX_CHOICE_ROWS, replace=False))
    return X.iloc[rows].reset_index(drop=True), y[rows], weights[rows]


def choose_regressor(
    trees: Maker,
    forest: Maker,
    X: pd.DataFrame,
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    families: tuple[str, ...],
    seed: int,
    skip: frozenset[str],
) -> Choice:
    """The family (of ``families``, simplest first), or blend, and trees of a numeric column.

    ``trees`` and ``forest`` make unfitted LightGBM regressors (boosting) and forests.
    """
    every_y = y
    X, y, weights = _budgeted(X, y, weights, seed)
    limit = int(trees().get_params()["n_estimators"])
    held_out = folds(len(y), seed)
    if not held_out:
        return Choice(families[0] if len(families) == 1 else _default(families), None, {})
    predictions = {family: np.full(len(y), np.nan) for family in families}
    boosted: dict[str, list[tuple[Any, int, NDArray[np.float64] | None]]] = {}
    raw = None  # the ridge's design of every row, read once for every fold
    if any(family.startswith("linear") for family in families):
        raw = LinearDesign.reading(X, skip).raw(X)
    linear = None
    for held in held_out:
        start = None
        if raw is not None:
            linear = LinearStart.fit(X[~held], y[~held], seed=seed, skip=skip, raw=raw[~held])
            start = linear.predict(X, raw)
        for family in families:
            base = start if family.startswith("linear") else None
            if family == "linear":
                assert start is not None
                predictions[family][held] = start[held]
            elif family.endswith("forest"):
                residual = y[~held] if base is None else y[~held] - base[~held]
                predicted = np.asarray(forest().fit(X[~held], residual).predict(X[held]))
                predictions[family][held] = predicted if base is None else base[held] + predicted
            else:
                model = trees()
                best = early_stopped(model, X, y, base, held)
                boosted.setdefault(family, []).append((model, best, base))
    chosen_trees = {}
    for family, fitted in boosted.items():
        chosen_trees[family] = [best for _, best, _ in fitted]
        for held, n_trees, (model, _, base) in zip(
            held_out, _cross_fitted(chosen_trees[family]), fitted, strict=True
        ):
            offset = None if base is None else base[held]
            predictions[family][held] = held_predictions(model, X[held], offset, n_trees)
    scored = np.any(held_out, axis=0)
    losses = {f: (y - predicted) ** 2 for f, predicted in predictions.items()}
    trees_used = {f: _scaled(chosen, limit) for f, chosen in chosen_trees.items()}
    if BLEND and any(f in FOREST_FAMILIES for f in families):
        stacked = np.column_stack([predictions[f][scored] for f in families])
        mix = convex_weights(
            lambda blend: (blend - y[scored][:, None]) ** 2, stacked, weights[scored]
        )
        blend = _mixture(families, mix)
    else:
        blend = {lowest_loss(
            {f: loss[scored] for f, loss in losses.items()}, weights[scored], DEFAULT_FAMILY
        ): 1.0}
    blended = np.where(scored, sum(w * predictions[f] for f, w in blend.items()), np.nan)
    choice = _choice(blend, trees_used, losses, weights, scored, np.asarray(blended, np.float64))
    if not adoptable(held_out, blend, len(y), len(every_y)) or choice.family in FOREST_FAMILIES:
        return choice
    model, best, _ = boosted[choice.family][0] if choice.family in boosted else (None, 0, None)
    adopted = ColumnRegressor.adopted(
        choice.family, every_y, linear=linear, model=model, n_trees=best
    )
    return replace(choice, fitted=adopted)


def choose_classifier(
    trees: Maker,
    forest: Maker,
    X: pd.DataFrame,
    y: NDArray[np.int64],
    weights: NDArray[np.float64],
    *,
    families: tuple[str, ...],
    seed: int,
    skip: frozenset[str],
) -> Choice:
    """The family (of ``families``, simplest first), or blend, and trees of a categorical
    column.

    ``trees`` and ``forest`` make unfitted LightGBM classifiers and forests. A held-out
    row whose class is missing from its fold's training rows is not scored. The held-out
    class probabilities (rows x classes) are kept only where they are blended (small
    tables); elsewhere each held-out row keeps its loss alone.
    """
    n_every = len(y)
    X, y, weights = _budgeted(X, y, weights, seed)
    limit = int(trees().get_params()["n_estimators"])
    classes, codes = np.unique(y, return_inverse=True)
    blending = BLEND and "forest" in families
    losses = {family: np.full(len(y), np.nan) for family in families}
    probabilities: dict[str, NDArray[np.float64]] = {}
    if blending:
        probabilities = {family: np.full((len(y), len(classes)), np.nan) for family in families}

    def record(family: str, held: NDArray[np.bool_], probability: NDArray[np.float64]) -> None:
        losses[family][held] = _wrong(probability, codes[held])
        if blending:
            probabilities[family][held] = probability

    # the class shares have nothing to fit: every row's (see the module's docstring)
    shares = np.bincount(codes, minlength=len(classes)) / len(codes)
    boosted: list[tuple[Any, int, NDArray[np.bool_]]] = []
    held_out = folds(len(y), seed)
    linear = None
    for held in held_out:
        held = held & np.isin(y, y[~held])  # a class only held out: trained on instead
        if len(np.unique(y[~held])) < 2 or not held.any():
            continue
        for family in families:
            model: Any
            if family == "prior":
                record(family, held, np.broadcast_to(shares, (int(held.sum()), len(classes))))
                continue
            if family == "linear":
                model = linear = LinearClassifier().fit(X[~held], y[~held], seed=seed, skip=skip)
            elif family == "forest":
                model = forest().fit(X[~held], y[~held])
            else:
                model = trees()
                boosted.append((model, early_stopped(model, X, y, None, held), held))
                continue
            record(family, held, _aligned(model, model.predict_proba(X[held]), classes))
    chosen_trees = [best for _, best, _ in boosted]
    for n_trees, (model, _, held) in zip(_cross_fitted(chosen_trees), boosted, strict=True):
        probability = held_predictions(model, X[held], None, n_trees)
        record("trees", held, _aligned(model, probability, classes))
    scored = ~np.isnan(losses[families[0]])
    if not scored.any():
        return Choice(_default(families), None, {})
    trees_used = {"trees": _scaled(chosen_trees, limit)} if chosen_trees else {}
    held_losses = {f: loss[scored] for f, loss in losses.items()}
    if blending:
        stacked = np.stack([probabilities[f][scored] for f in families], axis=2)
        truth = codes[scored]
        onehot = (truth[:, None] == np.arange(len(classes))).astype(np.float64)

        def mixed(rows: NDArray[np.bool_]) -> NDArray[np.float64]:
            return convex_weights(
                lambda blend: _wrong(blend, truth[rows]), stacked[rows], weights[scored][rows],
                tie=lambda blend: np.sum((blend - onehot[rows][..., None]) ** 2, axis=1),
            )  # fmt: skip

        blend = _mixture(families, mixed(np.ones(len(truth), dtype=bool)))
        # judged on rows that did not choose its weights (see held_out_blend)
        chosen_loss = held_out_blend(
            mixed, lambda mix, rows: _wrong(stacked[rows] @ mix, truth[rows]), len(truth), seed
        )
    else:
        best = lowest_loss(held_losses, weights[scored])
        blend, chosen_loss = {best: 1.0}, held_losses[best]
    # the choice replaces each default in turn only when its misclassification is lower
    # by a standard error (a choice among several families is luckier than one)
    for default in LABEL_DEFAULTS:
        if default in held_losses and blend != {default: 1.0}:
            judged = {"chosen": chosen_loss, default: held_losses[default]}
            if lowest_loss(judged, weights[scored], default) == default:
                blend, chosen_loss = {default: 1.0}, held_losses[default]
    choice = _choice(blend, trees_used, losses, weights, scored)
    if not adoptable(held_out, blend, len(y), n_every) or choice.family not in ("linear", "trees"):
        return choice  # the class shares: nothing to fit again
    kept, n_trees = (linear, 0) if choice.family == "linear" else boosted[0][:2]
    return replace(choice, fitted=ColumnClassifier.adopted(choice.family, kept, n_trees))


def adoptable(
    held_out: list[NDArray[np.bool_]], blend: dict[str, float], n_chosen: int, n_rows: int
) -> bool:
    """Whether the chosen family's model, as the choice fitted it, imputes in the round
    of the choice (instead of a refit on every observed row).

    Where the choice rests on a single split (columns of at least
    ``TARGET_HELD_ROWS / VALIDATION_SHARE`` observed rows, none left out by
    ``MAX_CHOICE_ROWS``) and picked a single family: its model was fitted on four
    fifths of the observed rows, and a refit on all of them cost about as much as the
    choice's boosting again (on the flights Kaggle-shaped table, 7,500 rows and 50
    columns, 2 rounds: 20 s of the imputer's 110). The first round's predictors hold
    the initial fill and every later round fits every observed row, so the first
    round's imputations only need to be good enough to predict from; with
    ``max_iter=1`` the adopted models are the final ones. Small columns (folds) and
    blends are fitted again.
    """
    return len(held_out) == 1 and len(blend) == 1 and n_chosen == n_rows


def held_out_blend(
    mixed: Callable[[NDArray[np.bool_]], NDArray[np.float64]],
    loss: Callable[[NDArray[np.float64], NDArray[np.bool_]], NDArray[np.float64]],
    n_rows: int,
    seed: int,
) -> NDArray[np.float64]:
    """Each row's loss under a blend whose weights were chosen without it.

    ``mixed(rows)``: the blend's weights chosen on ``rows``; ``loss(mix, rows)``: the
    loss of each of ``rows`` under ``mix``. The rows are split in ``1 / VALIDATION_SHARE``
    seeded parts, each scored under the weights the other parts choose. A blend's loss on
    the rows that chose its weights flatters it: a grid of weights over four families
    has 286 points, and on a category nothing predicts, one of them misclassified fewer
    of 320 held-out rows than the most frequent class by more than a standard error,
    and then imputed worse than it.
    """
    parts = np.array_split(
        np.random.default_rng(seed).permutation(n_rows), int(round(1 / VALIDATION_SHARE))
    )
    result = np.empty(n_rows)
    for part in parts:
        rows = np.zeros(n_rows, dtype=bool)
        rows[part] = True
        result[rows] = loss(mixed(~rows), rows)
    return result


def _mixture(families: tuple[str, ...], mix: NDArray[np.float64]) -> dict[str, float]:
    """The families a blend gives weight, with their weights."""
    return {f: float(w) for f, w in zip(families, mix, strict=True) if w > 0}


def _choice(
    blend: dict[str, float],
    trees_used: dict[str, Any],
    losses: dict[str, NDArray[np.float64]],
    weights: NDArray[np.float64],
    scored: NDArray[np.bool_],
    held_out: NDArray[np.float64] | None = None,
) -> Choice:
    """The :class:`Choice` of ``blend``: its heaviest family names it."""
    family = max(blend, key=lambda f: blend[f])
    return Choice(
        family,
        trees_used.get(family),
        _means(losses, weights, scored),
        blend,
        {f: trees_used.get(f) for f in blend},
        held_out,
    )


def toward_linear(
    previous: NDArray[np.float64],
    X: pd.DataFrame,
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    seed: int,
    skip: frozenset[str],
) -> float:
    """The weight a ridge regression earns next to a numeric column's first choice.

    ``previous``: the first choice's held-out predictions (NaN where none), on the folds
    of ``seed``; ``X``: the predictors as they stand now. The ridge is fitted and scored
    on the same folds; the weight (a multiple of ``1 / BLEND_STEPS``) is that of the
    convex blend of both of lowest weighted squared error, kept only when that blend's
    loss is lower than the first choice's by more than a standard error of the
    row-by-row difference (:func:`lowest_loss`); else 0.
    """
    ridge = np.full(len(y), np.nan)
    for held in folds(len(y), seed):
        ridge[held] = LinearStart.fit(X[~held], y[~held], seed=seed, skip=skip).predict(X[held])
    scored = ~np.isnan(previous) & ~np.isnan(ridge)
    if not scored.any():
        return 0.0
    stacked = np.column_stack([previous[scored], ridge[scored]])
    truth = y[scored]
    mix = convex_weights(lambda blend: (blend - truth[:, None]) ** 2, stacked, weights[scored])
    if mix[1] == 0:
        return 0.0
    losses = {"first": (stacked[:, 0] - truth) ** 2, "moved": (stacked @ mix - truth) ** 2}
    return float(mix[1]) if lowest_loss(losses, weights[scored], "first") == "moved" else 0.0


def convex_weights(
    loss: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    stacked: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    tie: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
) -> NDArray[np.float64]:
    """The convex combination of the families' held-out predictions of lowest loss.

    ``stacked``: held-out predictions, families along the last axis (rows first; class
    probabilities in between for a categorical column). ``loss`` maps the blended
    predictions of every candidate (candidates along the last axis) to each row's loss
    (rows x candidates). The candidates are the weights on a grid of step
    ``1 / BLEND_STEPS`` over the simplex; ``tie`` (same shape) breaks ties of ``loss``
    (a misclassification is 0 or 1), then the earlier candidate wins: a single family
    before mixtures, simpler families first.
    """
    grid = simplex_grid(stacked.shape[-1], BLEND_STEPS)
    blended = stacked @ grid.T
    means = weights @ loss(blended) / float(weights.sum())
    best = np.flatnonzero(means <= means.min() + 1e-12)
    if tie is not None and len(best) > 1:
        ties = weights @ tie(blended[..., best]) / float(weights.sum())
        best = best[ties <= ties.min() + 1e-12]
    return np.asarray(grid[best[0]])


def simplex_grid(n_families: int, steps: int) -> NDArray[np.float64]:
    """Every weight vector of ``n_families`` non-negative multiples of ``1 / steps``
    summing to 1: single families first (in order), then mixtures by fewest members.

    Examples
    --------
    >>> simplex_grid(2, 2).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    """
    points: list[tuple[int, ...]] = []

    def extend(prefix: tuple[int, ...], left: int) -> None:
        if len(prefix) == n_families - 1:
            points.append((*prefix, left))
            return
        for k in range(left, -1, -1):
            extend((*prefix, k), left - k)

    extend((), steps)
    points.sort(key=lambda point: sum(1 for k in point if k > 0))
    return np.asarray(points, dtype=np.float64) / steps


def _aligned(
    model: Any, probability: NDArray[np.float64], classes: NDArray[Any]
) -> NDArray[np.float64]:
    """``probability`` (columns in ``model.classes_`` order) over every one of ``classes``."""
    aligned = np.zeros((len(probability), len(classes)))
    aligned[:, np.searchsorted(classes, model.classes_)] = probability
    return aligned


def _wrong(probability: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """1 where the most probable class (axis 1) is not the row's class (its place among
    the classes, ``codes``), else 0: the imputer imputes the most probable class. Extra
    trailing axes (candidates) broadcast.

    Examples
    --------
    >>> _wrong(np.array([[0.7, 0.3], [0.4, 0.6]]), np.array([0, 0])).tolist()
    [0.0, 1.0]
    """
    picked = probability.argmax(axis=1)
    truth = codes.reshape(codes.shape + (1,) * (picked.ndim - 1))
    return np.asarray(picked != truth, dtype=np.float64)


def _cross_fitted(trees: list[int]) -> list[int]:
    """The number of trees each fold is scored at: the mean of the other folds' best
    (the fold's own with a single split). A fold that chose its own number on its
    held-out rows would flatter the trees: on a straight line plus noise, a few trees
    fitted to the noise looked better than the line. The fold's model holds only its
    own best number of trees, so where the others' mean is larger it predicts with its
    own (see :func:`~advval.dependency._impute_models.early_stopped`)."""
    if len(trees) < 2:
        return list(trees)
    total = sum(trees)
    return [max(1, int(round((total - own) / (len(trees) - 1)))) for own in trees]


def _default(families: tuple[str, ...]) -> str:
    """The family without a choice: boosted trees (from a linear start where allowed)."""
    return "linear+trees" if "linear+trees" in families else "trees"


def _means(
    losses: dict[str, NDArray[np.float64]], weights: NDArray[np.float64], scored: NDArray[np.bool_]
) -> dict[str, float]:
    total = float(weights[scored].sum())
    return {f: float(weights[scored] @ loss[scored]) / total for f, loss in losses.items()}
