"""TreeAttack's two shortcuts in walking trees give the answers of the plain walk.

- ``Ensemble._step`` (one comparison per numeric split, then the NaN and categorical
  pairs fixed up) sends every (value, node) pair where ``Ensemble._go`` (every
  missing-value rule applied to every pair) sends it;
- the moves of a label-coded column split only categorically are walked together, one
  walk per leaf that some category reaches (``Lattice._code_walks``): their margins are
  bit for bit those of walking each move on its own, equal a full evaluation of the
  moved rows and the model's own ``predict_proba``; a column of more than ``_BITS``
  categories is walked move by move.
"""

import numpy as np
import pandas as pd
import pytest

from advval.attacks import FeatureSpace
from advval.attacks.trees._ensemble import ZERO_THRESHOLD, read_ensemble
from advval.attacks.trees._search import _BITS, CODE, Lattice, model_rows
from advval.attacks.trees.attack import _category_tables

lgb = pytest.importorskip("lightgbm")


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Numbers with NaN and zeros, a 12-level and a 70-level category column (with NaN)."""
    rng = np.random.RandomState(seed)
    small = rng.randint(0, 12, size=n)
    large = rng.randint(0, 70, size=n)
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": np.where(rng.rand(n) < 0.2, 0.0, rng.normal(size=n)),
        "small": pd.Categorical([f"s{k}" for k in small]),
        "large": pd.Categorical([f"l{k}" for k in large]),
    })
    X.loc[rng.rand(n) < 0.15, "a"] = np.nan
    X.loc[rng.rand(n) < 0.05, "small"] = np.nan
    effect_small = np.sin(small * 1.7)
    effect_large = np.cos(large * 0.9)
    logit = np.nan_to_num(X["a"].to_numpy()) + X["b"] + effect_small + effect_large
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return X, y


MISSING = {"nan": {}, "none": {"use_missing": False}, "zero": {"zero_as_missing": True}}


@pytest.fixture(scope="module", params=list(MISSING))
def lightgbm_case(request):
    X, y = _frame(1500, 0)
    model = lgb.LGBMClassifier(
        n_estimators=30, num_leaves=12, min_data_per_group=5, cat_smooth=1, verbose=-1,
        n_jobs=1, random_state=0, **MISSING[request.param],
    ).fit(X, y)
    return model, X.iloc[:40].reset_index(drop=True)


def _pairs(ens, rng, n_pairs):
    """Random (value, inner node) pairs: near the thresholds, NaN, 0, category codes."""
    inner = np.flatnonzero(~ens.leaf)
    node = rng.choice(inner, n_pairs)
    t = np.where(np.isfinite(ens.threshold[node]), ens.threshold[node], 0.0)
    x = t + rng.choice([-1.0, -1e-12, 0.0, 1e-12, 1.0], n_pairs) * np.maximum(np.abs(t), 1e-30)
    kind = rng.randint(0, 6, n_pairs)
    x = np.where(kind == 0, np.nan, x)
    x = np.where(kind == 1, 0.0, x)
    x = np.where(kind == 2, rng.randint(-2, 80, n_pairs) + rng.choice([0.0, 0.5], n_pairs), x)
    return x, node


def test_step_goes_where_every_rule_goes(lightgbm_case):
    model, _ = lightgbm_case
    ens = read_ensemble(model)
    assert ens.has_categorical
    x, node = _pairs(ens, np.random.RandomState(1), 20_000)
    np.testing.assert_array_equal(ens._step(x, node, True), ens._go(x, node))
    numbers = ~np.isnan(x)
    np.testing.assert_array_equal(
        ens._step(x[numbers], node[numbers], False), ens._go(x[numbers], node[numbers])
    )


def test_step_on_xgboost_categories_and_sklearn_float32():
    from sklearn.ensemble import RandomForestClassifier

    xgb = pytest.importorskip("xgboost")
    X, y = _frame(800, 2)
    models = [
        xgb.XGBClassifier(n_estimators=20, max_depth=4, enable_categorical=True,
                          tree_method="hist", n_jobs=1, random_state=0).fit(X, y),
        RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0).fit(
            X[["a", "b"]].fillna(0.0), y),
    ]
    for model in models:
        ens = read_ensemble(model)
        x, node = _pairs(ens, np.random.RandomState(3), 20_000)
        np.testing.assert_array_equal(ens._step(x, node, True), ens._go(x, node))


def _moves(model, X, norm, shared):
    ens = read_ensemble(model)
    space = FeatureSpace.from_frame(X)
    domain = space.bind(X)
    z0 = np.asarray(domain.encode(X), dtype=float)
    tables = _category_tables(ens, domain, X)
    labels = model.predict(X)
    lat = Lattice(ens, domain, z0, labels, targeted=False, norm=norm, eps=None,
                  tables=tables, rng=np.random.RandomState(1))
    if not shared:
        lat._shared = np.zeros_like(lat._shared)
    rng = np.random.RandomState(2)
    owner = np.repeat(np.arange(lat.n), 2)
    lo, hi = lat.lo[owner], lat.hi[owner]
    levels = np.floor(lo + rng.random_sample(lo.shape) * (hi - lo + 1)).astype(np.int64)
    levels[::2] = 0
    st = lat.states(owner, levels)
    s, f, level = lat.candidates(st, np.full(len(owner), 3), spread=norm == "0")
    return lat, st, (s, f, level), lat.moves(st, s, f, level)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_category_walks_equal_walks_one_by_one_and_the_model(lightgbm_case, norm):
    model, X = lightgbm_case
    lat, st, (s, f, level), mv = _moves(model, X, norm, shared=True)
    code = np.flatnonzero(lat.kind == CODE)
    names = [X.columns[lat.col[k]] for k in code]
    assert sorted(names) == ["large", "small"]
    # the 12-level column is walked together, the 70-level one move by move
    assert lat._shared[code].tolist() == [name == "small" for name in names]
    assert len(lat.tab[lat.tab_start[code[names.index("large")]]:]) > _BITS
    on_shared = lat._shared[f]
    assert on_shared.sum() > 500
    _, _, _, one_by_one = _moves(model, X, norm, shared=False)
    np.testing.assert_array_equal(mv.loss, one_by_one.loss)
    np.testing.assert_array_equal(mv.norm, one_by_one.norm)
    np.testing.assert_array_equal(mv.key, one_by_one.key)
    # and both are the full evaluation of the moved rows, which is the model's own
    child = st.levels[s].copy()
    child[np.arange(len(s)), f] = level
    full = lat.states(st.owner[s], child, paths=False)
    np.testing.assert_allclose(mv.loss, full.loss, rtol=0, atol=1e-9)
    written = lat.rows(st.owner[s], child)  # the numbers as the lattice writes them
    rows = model_rows(lat.ens, lat.tables, written)
    frame = pd.DataFrame(rows, columns=X.columns)
    frame[["a", "b"]] = written[:, :2]
    for c in ("small", "large"):
        frame[c] = pd.Categorical.from_codes(
            np.nan_to_num(frame[c].to_numpy(), nan=-1).astype(int), X[c].cat.categories
        )
    labels = model.predict(X)[st.owner[s]]
    p = model.predict_proba(frame)[np.arange(len(s)), labels]
    logit = np.log(p) - np.log1p(-p)
    # every row, those with a number within 1e-35 of zero (which LightGBM reads as 0) too
    near_zero = np.any((np.abs(written[:, :2]) <= ZERO_THRESHOLD) & (written[:, :2] != 0), axis=1)
    assert near_zero.any()
    np.testing.assert_allclose(full.loss, logit, rtol=0, atol=1e-6)


def test_lightgbm_reads_numbers_near_zero_as_zero():
    rng = np.random.RandomState(4)
    X = np.where(rng.rand(600, 2) < 0.3, 0.0, rng.normal(size=(600, 2)))
    y = (X[:, 0] < 0).astype(int)  # zero and positive: class 0; a split at -1e-35
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(X, y)
    ens = read_ensemble(model)
    assert np.any(ens.threshold == -ZERO_THRESHOLD)
    below = np.nextafter(-ZERO_THRESHOLD, -np.inf)
    rows = np.array([[-ZERO_THRESHOLD, 0.0], [-ZERO_THRESHOLD / 2, 0.0], [0.0, 0.0],
                     [below, 0.0], [ZERO_THRESHOLD, -ZERO_THRESHOLD]])
    logit = model.booster_.predict(rows, raw_score=True)
    np.testing.assert_array_equal(ens.raw(rows)[:, 0], logit)
    assert logit[0] == logit[2] != logit[3]  # -1e-35 is read as 0, the double below it not
