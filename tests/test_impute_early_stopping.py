"""The imputer's boosted trees stop on the held-out rows' true log loss, the same each call.

LightGBM's classifier codes the labels it trains on but not ``eval_y``; with class labels
that are not 0 .. k-1 (a categorical column's codes, some classes only in other folds) its
own validation loss read past the end of its scores: a different number on each call, so
the number of trees, and every imputation after it, changed between identical fits.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from advval.dependency._impute_models import PATIENCE, early_stopped, held_log_loss


def _case(n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=list("abcd"))
    score = X["a"] + 0.5 * X["b"] + rng.normal(scale=0.8, size=600)
    bins = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    y = 5 + 7 * np.digitize(score, bins)  # labels 5, 12, 19, ...: not class indices
    held = rng.random(600) < 0.25
    return X, y, held


def _model(seed: int = 0) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=200, learning_rate=0.3, num_leaves=15,
                              random_state=seed, n_jobs=1, verbose=-1,
                              deterministic=True, force_col_wise=True)


@pytest.mark.parametrize("n_classes", [2, 6])
def test_trees_stop_where_the_held_rows_loss_is_least_computed_independently(n_classes):
    X, y, held = _case(n_classes)
    best = early_stopped(_model(), X, y, None, held)
    # the same trees grown in full (the held rows never change them), scored here
    full = _model().fit(X[~held], y[~held])
    codes = np.searchsorted(np.unique(y[~held]), y[held])
    least, least_round = np.inf, 0
    for k in range(1, 201):
        p = full.predict_proba(X[held], num_iteration=k)
        loss = -np.mean(np.log(np.maximum(p[np.arange(len(codes)), codes], 1e-15)))
        if loss < least:
            least, least_round = loss, k
        if k - least_round >= PATIENCE:  # where the stopping rule stops
            break
    assert best == least_round


def test_the_same_fit_gives_the_same_number_of_trees_every_call():
    X, y, held = _case(6, seed=1)
    counts = {early_stopped(_model(), X, y, None, held) for _ in range(5)}
    assert len(counts) == 1


def test_the_held_log_loss_matches_lightgbms_own_where_labels_are_class_indices():
    X, y, held = _case(6, seed=2)
    y = np.searchsorted(np.unique(y), y)  # 0 .. k-1: LightGBM's metric reads them right
    theirs = _model().fit(X[~held], y[~held], eval_X=(X[held],), eval_y=(y[held],),
                          eval_metric="multi_logloss")
    own = theirs.evals_result_["valid_0"]["multi_logloss"]
    probabilities = [theirs.predict_proba(X[held], num_iteration=k) for k in (1, 10, 50)]
    ours = [held_log_loss(y[held], None, p)[1] for p in probabilities]
    assert ours == pytest.approx([own[0], own[9], own[49]], rel=1e-9)
