"""TreeAttack's incremental move scoring equals a full evaluation of the moved rows.

``Lattice.moves`` re-walks only the trees a one-feature move can change, from the first
node that reads the feature, on the state's row with the changed cells; here every move's
margin is checked against ``Lattice.states`` (every tree walked from the root on the
whole row) and that against the model's own ``predict_proba``, on a model with missing
values, a label-coded categorical column and a one-hot group, in states away from the
original rows.
"""

import numpy as np
import pandas as pd
import pytest

from advval.attacks import FeatureSpace
from advval.attacks.trees._ensemble import read_ensemble
from advval.attacks.trees._search import Lattice, model_rows
from advval.attacks.trees.attack import _category_tables

lgb = pytest.importorskip("lightgbm")


@pytest.fixture(scope="module")
def case():
    rng = np.random.RandomState(0)
    n = 400
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "code": rng.randint(0, 5, size=n).astype(float),
        "c": rng.uniform(0, 10, size=n),
    })
    member = rng.randint(0, 3, size=n)
    for k in range(3):
        X[f"g{k}"] = (member == k).astype(float)
    X.loc[rng.rand(n) < 0.15, "b"] = np.nan
    logit = X["a"] + np.nan_to_num(X["b"]) - 0.6 * X["code"] + X["g1"] - 0.2 * X["c"] + 1.5
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=40, num_leaves=8, verbose=-1, n_jobs=1,
                               random_state=0).fit(X, y)
    space = FeatureSpace(feature_names=list(X.columns), categorical=["code"],
                         one_hot=[["g0", "g1", "g2"]])
    return model, X.iloc[:60].reset_index(drop=True), space


@pytest.mark.parametrize("norm", ["inf", "2", "0"])
def test_moves_score_like_a_full_evaluation_and_the_model(case, norm):
    model, X, space = case
    ens = read_ensemble(model)
    domain = space.bind(X)
    z0 = domain.encode(X)
    tables = _category_tables(ens, domain, X)
    labels = model.predict(X)
    rng = np.random.RandomState(1)
    lat = Lattice(ens, domain, np.asarray(z0, dtype=float), labels, targeted=False,
                  norm=norm, eps=None, tables=tables, rng=rng)
    assert set(lat.kind.tolist()) == {0, 1, 2}  # numeric, label-coded and one-hot moves
    # states away from the original rows: random levels inside each sample's range
    owner = np.repeat(np.arange(lat.n), 2)
    lo, hi = lat.lo[owner], lat.hi[owner]
    levels = np.floor(lo + rng.random_sample(lo.shape) * (hi - lo + 1)).astype(np.int64)
    levels[::2] = 0  # and the original rows themselves
    st = lat.states(owner, levels)
    s, f, level = lat.candidates(st, np.full(len(owner), 3), spread=norm == "0")
    assert len(s) > 1000
    mv = lat.moves(st, s, f, level)
    child = st.levels[s].copy()
    child[np.arange(len(s)), f] = level
    full = lat.states(st.owner[s], child, paths=False)
    np.testing.assert_allclose(mv.loss, full.loss, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mv.norm, full.norm, rtol=1e-12, atol=1e-12)
    # the full evaluation is the model's own: its probability of the sample's class
    rows = model_rows(ens, tables, lat.rows(st.owner[s], child))
    frame = pd.DataFrame(rows, columns=X.columns)
    p = model.predict_proba(frame)[np.arange(len(s)), labels[st.owner[s]]]
    logit = np.log(p) - np.log1p(-p)
    np.testing.assert_allclose(full.loss, logit, rtol=0, atol=1e-6)
