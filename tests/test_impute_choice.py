"""The imputer's per-column choice of model family: folds, weights, the lowest loss."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from advval.dependency._impute_choice import (
    choose_classifier,
    choose_regressor,
    convex_weights,
    folds,
    lowest_loss,
    missing_odds,
    simplex_grid,
)
from advval.dependency._impute_models import (
    FOREST_TREES,
    LABEL_FAMILIES,
    NUMERIC_FAMILIES,
    ClassPrior,
    ColumnBlend,
    ColumnClassifier,
    ColumnForest,
    ColumnRegressor,
    LinearClassifier,
)

PARAMS = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_child_samples": 5,
    "random_state": 0,
    "n_jobs": 1,
    "deterministic": True,
    "verbose": -1,
}


def _makers(kind, n_rows, n_columns):
    factory = lgb.LGBMClassifier if kind == "categorical" else lgb.LGBMRegressor
    return (
        lambda: factory(**PARAMS),
        lambda: ColumnForest(classifier=kind == "categorical", random_state=0),
    )


def test_folds_small_columns_hold_every_row_out_once_large_ones_a_fifth():
    small = folds(400, seed=0)  # a fifth is 80 rows: five folds
    assert len(small) == 5
    assert np.array_equal(np.sum(small, axis=0), np.ones(400))
    assert [int(h.sum()) for h in small] == [80] * 5
    large = folds(5_000, seed=0)
    assert len(large) == 1 and int(large[0].sum()) == 1_000
    assert folds(97, seed=0) == []  # 20 held-out rows at least
    assert len(folds(100, seed=0)) == 5
    assert np.array_equal(folds(400, seed=3)[0], folds(400, seed=3)[0])


def test_lowest_weighted_loss_wins_and_the_simpler_on_a_tie():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=500) ** 2
    weights = np.ones(500)
    assert lowest_loss({"linear": noise, "trees": noise.copy()}, weights) == "linear"
    assert lowest_loss({"linear": noise + 0.01, "trees": noise}, weights) == "trees"
    three = {"linear": noise + 1.0, "trees": noise, "forest": noise + 0.5}
    assert lowest_loss(three, weights) == "trees"
    # weights decide: linear is worse only on the first half of the rows
    rows = np.arange(500) < 250
    skewed = {"linear": noise + np.where(rows, 2.0, 0.0), "trees": noise + 0.1}
    assert lowest_loss(skewed, weights) == "trees"
    assert lowest_loss(skewed, np.where(rows, 0.0, 1.0)) == "linear"


def test_missing_odds_recovers_a_planted_missingness_model():
    rng = np.random.default_rng(1)
    n = 4_000
    driver, other = rng.normal(size=n), rng.normal(size=n)
    missing = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.0 * driver)))
    X = pd.DataFrame({"c0": driver, "c1": other})
    weights = missing_odds(X, missing, ~missing, seed=0)
    assert weights.shape == (int((~missing).sum()),)
    assert weights.mean() == pytest.approx(1.0)
    # the odds are exp(-1.5 + driver): log weights rise by 1 per unit of the driver
    slope = np.polyfit(driver[~missing], np.log(weights), 1)[0]
    assert slope == pytest.approx(1.0, abs=0.15)
    assert abs(np.corrcoef(other[~missing], np.log(weights))[0, 1]) < 0.1
    # completely at random: about equal weights
    flat = missing_odds(X, rng.random(n) < 0.2, np.ones(n, bool), seed=0)
    assert flat.std() < 0.1
    # nothing missing: equal weights
    assert np.array_equal(missing_odds(X, np.zeros(n, bool), np.ones(n, bool), seed=0), np.ones(n))


def test_a_line_chooses_the_linear_family_and_a_wave_a_tree_family():
    rng = np.random.default_rng(2)
    n = 400
    x = rng.uniform(-3, 3, n)
    X = pd.DataFrame({"c0": x, "c1": rng.normal(size=n)})
    trees, forest = _makers("numeric", n, 2)
    line = choose_regressor(
        trees, forest, X, 2 * x + rng.normal(scale=0.1, size=n), np.ones(n),
        families=NUMERIC_FAMILIES, seed=0, skip=frozenset(),
    )  # fmt: skip
    # the line (a few trees may mend the ridge's shrinkage; 1% lower loss here)
    assert line.family in ("linear", "linear+trees")
    assert line.n_trees is None or line.n_trees <= 10
    assert set(line.losses) == set(NUMERIC_FAMILIES)
    assert line.losses["linear"] == pytest.approx(0.01, rel=0.3)  # the noise variance
    assert line.losses["trees"] > 1.2 * line.losses["linear"]
    wave = choose_regressor(
        trees, forest, X, np.sin(2 * x) + rng.normal(scale=0.1, size=n), np.ones(n),
        families=NUMERIC_FAMILIES, seed=0, skip=frozenset(),
    )  # fmt: skip
    assert wave.family in ("trees", "forest")
    assert wave.losses["linear"] > 0.3 > 0.05 > wave.losses[wave.family]
    if wave.family == "trees":
        assert 0 < wave.n_trees <= 100


def test_a_linear_boundary_chooses_the_logistic_family():
    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame({f"c{i}": rng.normal(size=n) for i in range(4)})
    y = (X.sum(axis=1) > 0).to_numpy().astype(np.int64)
    trees, forest = _makers("categorical", n, 4)
    choice = choose_classifier(
        trees, forest, X, y, np.ones(n), families=LABEL_FAMILIES, seed=0, skip=frozenset()
    )
    assert choice.family == "linear"
    assert choice.losses["linear"] < choice.losses["trees"]
    assert choice.losses["prior"] > 0.4  # the class shares: about half the rows wrong
    model = ColumnClassifier(trees(), forest()).fit(X, y, family="linear", n_trees=None, seed=0)
    assert isinstance(model.model_, LinearClassifier)
    assert (model.predict(X) == y).mean() > 0.95


def test_families_fit_and_predict_within_their_bounds():
    rng = np.random.default_rng(4)
    n = 300
    x = rng.uniform(0, 1, n)
    X = pd.DataFrame({"c0": x, "m1": (rng.random(n) < 0.5).astype(float)})
    y = 10 * x
    trees, forest = _makers("numeric", n, 2)
    for family in NUMERIC_FAMILIES:
        model = ColumnRegressor(trees(), forest()).fit(
            X, y, family=family, n_trees=None, seed=0, skip=frozenset({"m1"})
        )
        assert model.family_ == family
        assert (model.linear_ is not None) == family.startswith("linear")
        if model.linear_ is not None:  # the indicator is left out of the linear model
            assert model.linear_.design.numeric == ["c0"]
        forest_trees = FOREST_TREES if family.endswith("forest") else 100
        assert model.n_trees_ == (0 if family == "linear" else forest_trees)
        inside = model.predict(X)
        assert np.sqrt(np.mean((inside - y) ** 2)) < 0.6
        # far beyond the data: within the observed range widened by that range
        far = model.predict(pd.DataFrame({"c0": [100.0], "m1": [0.0]}))
        assert y.min() - 10 <= far[0] <= y.max() + 10
    assert ColumnRegressor(trees(), forest()).fit(
        X, y, family="linear", n_trees=None, seed=0
    ).predict(pd.DataFrame({"c0": [100.0], "m1": [0.0]}))[0] == pytest.approx(y.max() + np.ptp(y))


def test_the_default_family_stays_unless_another_is_better_by_a_standard_error():
    rng = np.random.default_rng(5)
    n = 400
    forest = rng.exponential(size=n)
    weights = rng.uniform(0.5, 1.5, n)
    noise = rng.normal(size=n)
    # the row-by-row difference's weighted mean and its standard error, computed here
    mean = float(weights @ noise) / weights.sum()
    error = float(np.sqrt(np.sum((weights * (noise - mean)) ** 2))) / weights.sum()
    for shift, expected in ((-mean - 0.5 * error, "forest"), (-mean - 2.0 * error, "linear")):
        linear = forest + noise + shift  # lower on average by 0.5 or 2 standard errors
        losses = {"linear": linear, "trees": forest + 1.0, "forest": forest}
        assert float(weights @ linear) < float(weights @ forest)
        assert lowest_loss(losses, weights, "forest") == expected
        assert lowest_loss(losses, weights) == "linear"  # no default: the lowest loss
    # a default that is no candidate changes nothing
    assert lowest_loss({"linear": forest, "trees": forest + 1.0}, weights, "forest") == "linear"


def test_a_categorical_column_is_judged_by_its_misclassified_rows():
    rng = np.random.default_rng(6)
    n = 400
    X = pd.DataFrame({f"c{i}": rng.normal(size=n) for i in range(3)})
    y = ((X["c0"] + rng.normal(scale=0.5, size=n)) > 0).to_numpy().astype(np.int64)
    trees, forest = _makers("categorical", n, 3)
    choice = choose_classifier(
        trees, forest, X, y, np.ones(n), families=("linear", "trees", "forest"),
        seed=0, skip=frozenset(),
    )  # fmt: skip
    for loss in choice.losses.values():  # a share of the 400 held-out rows, each 0 or 1
        assert loss * n == pytest.approx(round(loss * n), abs=1e-9)
    # the Bayes error of this boundary: P(|c0| < 0.5 |noise|, wrong side) is about 0.15
    assert 0.08 < choice.losses["linear"] < 0.22


def test_forest_reads_categories_as_indicators_or_codes_and_leaves_out_skip():
    rng = np.random.default_rng(7)
    n = 600
    few = rng.choice(list("abc"), n)
    many = rng.integers(0, 40, n)
    X = pd.DataFrame(
        {
            "c0": rng.normal(size=n),
            "c1": pd.Categorical(few),
            "c2": pd.Categorical.from_codes(many, categories=pd.RangeIndex(40)),
            "m3": (rng.random(n) < 0.5).astype(float),
        }
    )
    level_effect = rng.normal(size=40)
    y = level_effect[many] + 2.0 * (few == "a") + rng.normal(scale=0.1, size=n)
    train, test = np.arange(n) < 450, np.arange(n) >= 450
    model = ColumnForest(classifier=False, random_state=0, skip=frozenset({"m3"}))
    model.fit(X[train], y[train])
    assert model.design_.numeric == ["c0"] and model.design_.dummies == {"c1": 3}
    assert model.codes_ == ["c2"]  # more than MAX_DUMMY_LEVELS levels: codes
    assert model.model_.n_features_in_ == 1 + 3 + 1  # m3 left out
    rmse = np.sqrt(np.mean((model.predict(X[test]) - y[test]) ** 2))
    assert rmse < 0.5 * np.std(y[test])
    labels = (y > np.median(y)).astype(np.int64)
    classifier = ColumnForest(classifier=True, random_state=0).fit(X[train], labels[train])
    assert list(classifier.classes_) == [0, 1]
    assert classifier.predict_proba(X[test]).shape == (150, 2)
    assert np.mean(classifier.predict(X[test]) == labels[test]) > 0.7  # chance: 0.5
    # seeded: the same forest twice
    again = ColumnForest(classifier=False, random_state=0, skip=frozenset({"m3"}))
    assert np.array_equal(again.fit(X[train], y[train]).predict(X[test]), model.predict(X[test]))


# ---------------------------------------------------------------------------- blends


def test_simplex_grid_lists_every_weight_vector_once_single_families_first():
    grid = simplex_grid(3, 10)
    assert grid.shape == (66, 3)  # C(12, 2)
    assert np.allclose(grid.sum(axis=1), 1.0) and (grid >= 0).all()
    assert len({tuple(row) for row in grid}) == 66
    assert np.array_equal(grid[:3], np.eye(3))  # each family alone, in order
    members = (grid > 0).sum(axis=1)
    assert np.all(np.diff(members) >= 0)


def test_two_equally_good_independent_predictions_are_blended_half_and_half():
    rng = np.random.default_rng(8)
    n = 4_000
    y = rng.normal(size=n)
    # each family errs by independent noise of variance 1: the mean of both by 1/2
    stacked = np.column_stack([y + rng.normal(size=n), y + rng.normal(size=n)])
    weights = np.ones(n)
    mix = convex_weights(lambda blend: (blend - y[:, None]) ** 2, stacked, weights)
    assert mix == pytest.approx([0.5, 0.5], abs=0.1 + 1e-9)
    # noise of variance 1 and 4: the optimum is 4/5 and 1/5
    stacked[:, 1] = y + 2 * rng.normal(size=n)
    mix = convex_weights(lambda blend: (blend - y[:, None]) ** 2, stacked, weights)
    assert mix == pytest.approx([0.8, 0.2], abs=0.1 + 1e-9)
    # a family that is the truth takes every weight; ties go to the first family
    exact = np.column_stack([y + rng.normal(size=n), y])
    assert list(convex_weights(lambda b: (b - y[:, None]) ** 2, exact, weights)) == [0, 1]
    same = np.column_stack([y, y])
    assert list(convex_weights(lambda b: (b - y[:, None]) ** 2, same, weights)) == [1, 0]
    # the held-out rows' weights decide: family 0 is exact on the rows that weigh
    half = np.arange(n) < n // 2
    split = np.column_stack([np.where(half, y, 0.0), np.where(half, 0.0, y)])
    assert list(convex_weights(lambda b: (b - y[:, None]) ** 2, split, half * 1.0)) == [1, 0]


def test_a_categorical_blend_minimises_misclassification_then_the_brier_score():
    # three rows of two classes; family 0 gets rows 0 and 1 right, family 1 row 2
    truth = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    stacked = np.stack(
        [
            np.array([[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]]),
            np.array([[0.45, 0.55], [0.9, 0.1], [0.1, 0.9]]),
        ],
        axis=2,
    )

    def wrong(blend):
        return 1.0 - np.take_along_axis(truth[..., None], blend.argmax(axis=1)[:, None], 1)[:, 0]

    def brier(blend):
        return np.sum((blend - truth[..., None]) ** 2, axis=1)

    mix = convex_weights(wrong, stacked, np.ones(3), tie=brier)
    # every row right needs family 1 at least 0.2 of the weight (row 0: 0.6 - 0.15 w
    # > 0.4 + 0.15 w for w < 2/3; row 2: 0.4 + 0.5 w > 0.6 - 0.5 w for w > 0.2); among
    # those, the Brier score (computed here) is lowest at 0.6 of family 1
    assert mix == pytest.approx([0.4, 0.6])
    assert wrong(stacked @ mix[:, None]).sum() == 0


def test_a_blend_averages_its_members_and_imputes_the_most_probable_class():
    rng = np.random.default_rng(9)
    n = 300
    X = pd.DataFrame({"c0": rng.uniform(-2, 2, n), "c1": rng.normal(size=n)})
    y = np.sin(2 * X["c0"].to_numpy()) + X["c0"].to_numpy()
    trees, forest = _makers("numeric", n, 2)
    line = ColumnRegressor(trees(), forest()).fit(X, y, family="linear", n_trees=None, seed=0)
    wood = ColumnRegressor(trees(), forest()).fit(X, y, family="forest", n_trees=None, seed=0)
    blend = ColumnBlend([(0.3, line), (0.7, wood)])
    assert blend.family_ == "forest" and blend.n_trees_ == FOREST_TREES
    assert np.allclose(blend.predict(X), 0.3 * line.predict(X) + 0.7 * wood.predict(X))
    labels = (y > 0).astype(np.int64)
    trees, forest = _makers("categorical", n, 2)
    parts = [
        (w, ColumnClassifier(trees(), forest()).fit(X, labels, family=f, n_trees=None, seed=0))
        for w, f in ((0.5, "linear"), (0.25, "trees"), (0.25, "forest"))
    ]
    mixed = ColumnBlend(parts)
    probability = sum(w * m.predict_proba(X) for w, m in parts)
    assert np.array_equal(mixed.predict(X), probability.argmax(axis=1))
    assert mixed.family_ == "linear" and mixed.n_trees_ == 0 + 100 + FOREST_TREES


def test_a_forest_on_the_ridge_residuals_extrapolates_where_a_forest_stays_flat():
    rng = np.random.default_rng(10)
    n = 400
    x = rng.uniform(0, 10, n)
    X = pd.DataFrame({"c0": x, "c1": rng.normal(size=n)})
    y = 3 * x + 0.5 * np.sin(3 * x) + rng.normal(scale=0.1, size=n)
    inside = x < 8  # fitted below 8, imputed above
    beyond = pd.DataFrame({"c0": [9.0, 10.0], "c1": [0.0, 0.0]})
    truth = 3 * beyond["c0"].to_numpy() + 0.5 * np.sin(3 * beyond["c0"].to_numpy())
    trees, forest = _makers("numeric", n, 2)
    fitted = {
        family: ColumnRegressor(trees(), forest())
        .fit(X[inside], y[inside], family=family, n_trees=None, seed=0)
        .predict(beyond)
        for family in ("forest", "linear+forest")
    }
    # the forest: at most the largest fitted value (about 24.5), the truth 26.5 and more;
    # on the ridge's residuals it misses by about the wave's range (1) at most
    assert np.all(fitted["forest"] < 24.6)
    assert np.abs(fitted["forest"] - truth).min() > 2.0
    assert np.abs(fitted["linear+forest"] - truth).max() < 1.2


def test_a_categorical_family_or_blend_far_better_than_the_forest_replaces_it():
    rng = np.random.default_rng(11)
    n = 300
    X = pd.DataFrame({f"c{i}": rng.normal(size=n) for i in range(3)})
    families = ("linear", "trees", "forest")
    trees, forest = _makers("categorical", n, 3)
    # the signs' XOR: boosted trees split on the axes and never err, the forest's random
    # thresholds err on 8% of the held-out rows (several standard errors), the logistic
    # regression on half
    xor = ((X["c0"] > 0) ^ (X["c1"] > 0)).to_numpy().astype(np.int64)
    chosen = choose_classifier(
        trees, forest, X, xor, np.ones(n), families=families, seed=0, skip=frozenset()
    )
    assert chosen.losses["linear"] > 0.4 and chosen.losses["trees"] < chosen.losses["forest"]
    assert chosen.family == "trees" and chosen.blend == {"trees": 1.0}
    # a linear boundary: the logistic regression (alone or most of a blend) replaces it
    line = (X.sum(axis=1) > 0).to_numpy().astype(np.int64)
    chosen = choose_classifier(
        trees, forest, X, line, np.ones(n), families=families, seed=0, skip=frozenset()
    )
    assert chosen.blend.get("linear", 0.0) >= 0.5 and chosen.family == "linear"
    assert sum(chosen.blend.values()) == pytest.approx(1.0)


# ------------------------------------------------------------------- class shares


def test_class_prior_imputes_the_most_frequent_class_whatever_the_predictors():
    y = np.array([2, 0, 2, 1, 2, 0, 2, 2])
    prior = ClassPrior().fit(pd.DataFrame({"c0": np.arange(8.0)}), y)
    assert list(prior.classes_) == [0, 1, 2]
    assert prior.shares_ == pytest.approx([2 / 8, 1 / 8, 5 / 8])
    new = pd.DataFrame({"c0": [-5.0, 100.0, 3.0]})
    assert np.allclose(prior.predict_proba(new), [[0.25, 0.125, 0.625]] * 3)
    assert list(prior.predict(new)) == [2, 2, 2]
    trees, forest = _makers("categorical", 8, 1)
    model = ColumnClassifier(trees(), forest()).fit(
        pd.DataFrame({"c0": np.arange(8.0)}), y, family="prior", n_trees=None, seed=0
    )
    assert model.n_trees_ == 0 and list(model.classes_) == [0, 1, 2]
    assert list(model.predict(new)) == [2, 2, 2]


def test_a_categorical_column_nothing_predicts_keeps_its_most_frequent_class():
    # classes of shares 0.5, 0.3 and 0.2, independent of the predictors: every model
    # can only err more often than the most frequent class (half the rows wrong)
    rng = np.random.default_rng(12)
    n = 300
    X = pd.DataFrame({f"c{i}": rng.normal(size=n) for i in range(4)})
    X["c4"] = pd.Categorical(rng.choice(list("abc"), n))
    y = rng.choice(3, size=n, p=[0.5, 0.3, 0.2]).astype(np.int64)
    trees, forest = _makers("categorical", n, 5)
    choice = choose_classifier(
        trees, forest, X, y, np.ones(n), families=LABEL_FAMILIES, seed=0, skip=frozenset()
    )
    assert choice.family == "prior" and choice.blend == {"prior": 1.0}
    assert choice.n_trees is None and set(choice.losses) == set(LABEL_FAMILIES)
    # each held-out row's most frequent class among the other folds is class 0 here
    assert choice.losses["prior"] == pytest.approx(float(np.mean(y != 0)))
    assert choice.losses["forest"] > choice.losses["prior"]
    # without the forest (large tables: no blend) the class shares stay the default too
    no_forest = choose_classifier(
        trees, forest, X, y, np.ones(n), families=("prior", "linear", "trees"), seed=0,
        skip=frozenset(),
    )  # fmt: skip
    assert no_forest.family == "prior"
    assert no_forest.losses["prior"] == choice.losses["prior"]


def test_a_choice_without_a_blend_keeps_no_probabilities_of_every_row_and_class():
    # 20,000 rows of 40 classes: one rows x classes array of float64 is 6.4 MB; a
    # choice without a forest (no blend) keeps each held-out row's loss, and a fold's
    # probabilities (4,000 rows) only while it is scored
    import tracemalloc

    rng = np.random.default_rng(13)
    n, n_classes = 20_000, 40
    X = pd.DataFrame({"c0": rng.normal(size=n), "c1": rng.normal(size=n)})
    y = np.minimum((np.abs(X["c0"].to_numpy()) * 15).astype(np.int64), n_classes - 1)
    assert len(np.unique(y)) == n_classes
    params = PARAMS | {"n_estimators": 3}
    tracemalloc.start()
    try:
        choice = choose_classifier(
            lambda: lgb.LGBMClassifier(**params), None, X, y, np.ones(n),
            families=("prior", "trees"), seed=0, skip=frozenset(),
        )  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert choice.losses["trees"] < choice.losses["prior"]  # |c0| sets the class
    assert peak < n * n_classes * 8  # less than one such array (before: three, 19 MB)
