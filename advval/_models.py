"""Default estimators and what we need from any classifier: fit, score, attribute.

LightGBM is the default domain classifier: histogram training, native categorical and
missing-value handling, early stopping on an inner validation split (never on the rows a
model is scored on), and exact TreeSHAP through ``pred_contrib``. Any scikit-learn
classifier works too; tree models are explained with the ``shap`` package and other models
with permutation importance.
"""

from __future__ import annotations

import inspect
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin, clone
from sklearn.model_selection import train_test_split

from ._lightgbm import BoosterClassifier

# the thread rule lives with the parameters; these names stay importable from here
from ._lightgbm_params import (  # noqa: F401
    SINGLE_THREAD_ROWS,
    available_cores,
    lightgbm_params,
    lightgbm_threads,
    machine_cores,
)

#: rounds without improvement of the inner validation loss before training stops
EARLY_STOPPING_ROUNDS = 30
#: rounds always trained before early stopping may pick a best iteration: on small samples
#: the inner validation loss is noisy and would otherwise stop after a handful of trees
MIN_ROUNDS = 50
#: share of a model's training rows held out for early stopping
EARLY_STOPPING_FRACTION = 0.1
#: below this many training rows a fixed number of rounds is used instead
MIN_ROWS_FOR_EARLY_STOPPING = 100

_LGBM_FIT_PARAMS = inspect.signature(lgb.LGBMClassifier.fit).parameters


def default_domain_classifier(
    *, n_rows: int, random_state: int, n_jobs: int | None
) -> lgb.LGBMClassifier:
    """The LightGBM classifier used when ``estimator=None``.

    Tuned for weak, spread-out differences (the hard case of drift detection): shallow
    trees (4 leaves still capture the pairwise interactions of a correlation-only shift;
    on a 0.2-std shift in 2 of 20 features at 2,000 rows a side they reach AUC 0.561 against
    0.557 for 7 leaves, and the verdict's power goes from 95% to 100%), row subsampling,
    a small learning rate, and a minimum leaf size that grows with the data so small
    samples can still split.

    Every tree sees every column. Sampling half the columns per tree
    (``colsample_bytree=0.5``, the default until 0.1) kept most trees from seeing both
    columns of a pair, and a pair is all a joint shift lives in: two columns whose
    correlation went from 0 to 0.9 (2,000 rows a side, Bayes AUC 0.83) scored AUC 0.51
    with it and 0.81 without; a correlation change in 2 of 20 columns 0.548 and 0.573; a
    0.2-std mean shift in 2 of 20 the same (0.548, 0.547), for about 17% more CPU time.

    Parameters
    ----------
    n_rows : int
        Rows the model will be trained on.
    random_state : int
    n_jobs : int or None
        Threads; ``None``: :func:`lightgbm_threads` (one thread below
        ``SINGLE_THREAD_ROWS`` rows, the cores no other work is using above).

    Examples
    --------
    >>> model = default_domain_classifier(n_rows=1000, random_state=0, n_jobs=1)
    >>> model.get_params()["num_leaves"]
    4
    """
    return lgb.LGBMClassifier(
        **lightgbm_params("domain", n_rows=n_rows, random_state=random_state, n_jobs=n_jobs)
    )


def is_lightgbm(estimator: object) -> bool:
    """Whether ``estimator`` is a LightGBM classifier (scikit-learn's or a BoosterClassifier)."""
    return isinstance(estimator, (lgb.LGBMClassifier, BoosterClassifier))


def numeric_codes(X: pd.DataFrame) -> pd.DataFrame:
    """Replace categorical columns by float codes (NaN for missing) for generic models."""
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if not categorical:
        return X
    converted = {c: X[c].cat.codes.astype("float64").where(X[c].notna()) for c in categorical}
    return X.assign(**converted)


def fit_classifier(
    estimator: ClassifierMixin,
    X: pd.DataFrame,
    y: NDArray[np.int_],
    *,
    random_state: int,
    settle_auc: float | None = None,
) -> ClassifierMixin:
    """Fit a clone of ``estimator`` on ``(X, y)`` and return it.

    LightGBM models stop early on a stratified inner split of ``X`` (so the rows a model is
    later scored on never influence it); other estimators are fitted as they are, on
    :func:`numeric_codes` of ``X``.

    Parameters
    ----------
    estimator : classifier
        Unfitted template (cloned).
    X, y
        Training rows and labels.
    random_state : int
        Seeds the inner early-stopping split.
    settle_auc : float or None, default=None
        LightGBM only: also stop once the model's inner validation AUC is certainly above
        this level (its lower ``SETTLED_Z``-sigma bound) and the last ``PLATEAU_ROUNDS``
        rounds raised it by less than ``PLATEAU_GAIN``. On a strong shift the validation
        loss keeps falling for a thousand rounds while the AUC, and the verdict, stopped
        moving long before. ``None`` stops on the loss only.

    See Also
    --------
    advval._lightgbm.fit_on_subset : the same training on rows of one binned dataset.
    """
    model = clone(estimator)
    if not is_lightgbm(model):
        return model.fit(numeric_codes(X), y)
    split = stopping_split(y, random_state=random_state)
    if split is None:
        model.set_params(n_estimators=min(model.get_params()["n_estimators"], 100))
        return model.fit(X, y)
    fit, stop = split
    X_stop, y_stop = X.iloc[stop], y[stop]
    eval_args: dict[str, Any]
    if "eval_X" in _LGBM_FIT_PARAMS:
        eval_args = {"eval_X": (X_stop,), "eval_y": (y_stop,)}
    else:  # LightGBM < 4.7
        eval_args = {"eval_set": [(X_stop, y_stop)]}
    metrics, callback = stopping_rule(y_stop, settle_auc)
    return model.fit(
        X.iloc[fit], y[fit], eval_metric=metrics, callbacks=[callback], **eval_args
    )


def stopping_split(
    y: NDArray[np.int_], *, random_state: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
    """Positions of the rows a LightGBM model trains on and of those it stops early on.

    ``None`` when there are too few rows (or too few of a class) to hold some out: the
    model then trains a fixed number of rounds on every row.
    """
    if len(y) < MIN_ROWS_FOR_EARLY_STOPPING or np.bincount(y).min() < 10:
        return None
    fit, stop = train_test_split(
        np.arange(len(y)), test_size=EARLY_STOPPING_FRACTION, stratify=y,
        random_state=random_state,
    )
    return np.asarray(fit, dtype=np.intp), np.asarray(stop, dtype=np.intp)


def stopping_rule(
    y_stop: NDArray[np.int_], settle_auc: float | None
) -> tuple[list[str], _StoppingRule]:
    """The validation metrics to compute and the callback that stops training on them."""
    if settle_auc is None:
        return ["binary_logloss"], _StoppingRule(MIN_ROUNDS, EARLY_STOPPING_ROUNDS, None)
    n_pos = int(np.sum(y_stop))
    settled = _Settled(settle_auc, n_pos=n_pos, n_neg=len(y_stop) - n_pos)
    return ["binary_logloss", "auc"], _StoppingRule(MIN_ROUNDS, EARLY_STOPPING_ROUNDS, settled)


#: a model's AUC is settled when its inner validation AUC minus this many standard errors
#: clears the level asked for...
SETTLED_Z = 3.0
#: ...and the last PLATEAU_ROUNDS rounds raised it by less than PLATEAU_GAIN
PLATEAU_ROUNDS = 50
PLATEAU_GAIN = 0.005


class _Settled:
    """Whether the inner validation AUC has settled above ``level`` (see fit_classifier)."""

    def __init__(self, level: float, *, n_pos: int, n_neg: int) -> None:
        self.level = level
        # the AUC's standard error under no difference (Mann-Whitney); at higher AUCs the
        # true error is smaller, so the bound is conservative
        self.error = float(np.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg)))
        self.history: list[float] = []

    def update(self, auc: float) -> bool:
        self.history.append(auc)
        if len(self.history) <= PLATEAU_ROUNDS or auc - SETTLED_Z * self.error <= self.level:
            return False
        return auc - max(self.history[:-PLATEAU_ROUNDS]) < PLATEAU_GAIN


class _StoppingRule:
    """LightGBM early stopping on the inner validation loss, after a warm-up.

    The loss is watched only after ``warmup`` rounds, so the best iteration is at least
    ``warmup`` (or the last round if training ends first) and noisy validation losses on
    small samples cannot cut a model to two trees; training stops ``patience`` rounds
    after the loss last improved and keeps the best round. With ``settled``, training
    also stops (keeping every round) once the validation AUC has settled.
    """

    order = 30
    before_iteration = False

    def __init__(self, warmup: int, patience: int, settled: _Settled | None) -> None:
        self._warmup, self._patience, self._settled = warmup, patience, settled
        self._best_loss, self._best_round = np.inf, 0
        self._best_results: Any = None

    def __call__(self, env: Any) -> None:
        results = {entry[1]: entry[2] for entry in env.evaluation_result_list}
        round_ = env.iteration - env.begin_iteration
        settled = self._settled is not None and self._settled.update(float(results["auc"]))
        if round_ < self._warmup:
            return
        loss = float(results["binary_logloss"])
        if loss < self._best_loss or self._best_results is None:
            self._best_loss, self._best_round = loss, env.iteration
            self._best_results = env.evaluation_result_list
        if settled:
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)
        last = env.iteration == env.end_iteration - 1
        if last or env.iteration - self._best_round >= self._patience:
            raise lgb.callback.EarlyStopException(self._best_round, self._best_results)


def positive_scores(model: ClassifierMixin, X: pd.DataFrame) -> NDArray[np.float64]:
    """Scores of the positive class (probability when available)."""
    data = X if is_lightgbm(model) else numeric_codes(X)
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(data)[:, 1], dtype=np.float64)
    return np.asarray(model.decision_function(data), dtype=np.float64)


def tree_contributions(model: ClassifierMixin, X: pd.DataFrame) -> NDArray[np.float64] | None:
    """Per-row, per-column SHAP values of the positive class, or None when not a tree model.

    LightGBM: exact TreeSHAP from the booster (``pred_contrib``). Other tree ensembles:
    ``shap.TreeExplainer``. Anything else: ``None`` (callers fall back to permutation
    importance).
    """
    if is_lightgbm(model):
        contributions = model.predict(X, pred_contrib=True)
        return np.asarray(contributions, dtype=np.float64)[:, :-1]
    try:
        import shap
    except ImportError:  # pragma: no cover - shap is a core dependency
        return None
    try:
        explainer = shap.TreeExplainer(model)
    except Exception:  # noqa: BLE001 - shap raises many types for "not a tree model"
        return None
    values = explainer.shap_values(numeric_codes(X), check_additivity=False)
    array = np.asarray(values[1] if isinstance(values, list) else values, dtype=np.float64)
    if array.ndim == 3:
        array = array[:, :, 1]
    return array
