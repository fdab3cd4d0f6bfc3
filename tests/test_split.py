"""TestLikeSplit: known-truth validation rows, CV integration, determinism, bad input."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate

from advval import AdversarialValidator, TestLikeSplit
from advval.datasets import make_shift


def _validator(**params):
    return AdversarialValidator(n_jobs=1, **params)


def _split(X_test, **params):
    params.setdefault("random_state", 0)
    params.setdefault("validator", _validator())
    return TestLikeSplit(X_test=X_test, **params)


@pytest.fixture(scope="module")
def shifted():
    """x0 has mean 0 in train and 1 in test; x1..x3 are unshifted."""
    return make_shift(
        "mean", n_train=400, n_test=400, n_features=4, n_shifted=1, delta=1.0, random_state=0
    )


def _target(frame):
    return (frame["x0"] + 0.5 * frame["x1"] ** 2).to_numpy()


def _classes(frame):
    # imbalanced labels (about 30% ones) that do not depend on the shifted feature
    return (frame["x2"] > 0.5).astype(int).to_numpy()


# -- known truth ------------------------------------------------------------------------


def test_validation_rows_look_like_the_test_data(shifted):
    X, test_mean = shifted.X_train, shifted.X_test["x0"].mean()
    cv = _split(shifted.X_test, draw="top")
    rng = np.random.default_rng(0)
    random_gaps = [
        abs(X["x0"].iloc[rng.choice(400, 80, replace=False)].mean() - test_mean) for _ in range(200)
    ]
    for train, val in cv.split(X):
        gap = abs(X["x0"].iloc[val].mean() - test_mean)
        assert gap < min(random_gaps)
        assert gap < 0.5 * abs(X["x0"].iloc[train].mean() - test_mean)
    # the unshifted features are not selected on
    val_means = [X[["x1", "x2", "x3"]].iloc[val].mean().abs().max() for _, val in cv.split(X)]
    assert max(val_means) < 0.35


def _normal_ratio(x, train=(0.0, 1.0), test=(1.0, 1.0)):
    from scipy.stats import norm

    return norm.pdf(x, *test) / norm.pdf(x, *train)


def test_ratio_draw_validates_on_a_sample_of_the_test_distribution(shifted):
    X, x0 = shifted.X_train, shifted.X_train["x0"].to_numpy()
    cv = _split(shifted.X_test, n_splits=5, val_size=0.2)
    splits = list(cv.split(X))
    assert cv.draw == "ratio"
    held_parts = [np.setdiff1d(np.arange(400), train) for train, _ in splits]
    # the held-out parts are random (disjoint, 80 rows each): the training parts are not
    # tilted toward the training distribution's centre, unlike draw="top"
    assert all(len(held) == 80 for held in held_parts)
    assert len(np.unique(np.concatenate(held_parts))) == 400
    for (train, val), held in zip(splits, held_parts, strict=True):
        assert set(val) <= set(held) and not set(val) & set(train)
        assert abs(x0[train].mean() - x0.mean()) < 0.15
        # as many draws as rows held out, the most test-like rows drawn more than once
        assert len(val) == 80 and np.all(np.diff(val) >= 0)
        assert len(np.unique(val)) < 70
    # pooled over the splits, the validation rows have the test mean of x0 (1, against 0
    # in train)
    val = np.concatenate([v for _, v in splits])
    assert abs(x0[val].mean() - shifted.X_test["x0"].mean()) < 0.3
    # inclusion (expected draws per split) follows the true density ratio exp(x0 - 1/2)
    true = _normal_ratio(x0)
    assert np.corrcoef(np.log(cv.inclusion_), np.log(true))[0, 1] > 0.9
    assert cv.inclusion_.sum() == pytest.approx(80)
    ratio = _ratio_of(cv)
    np.testing.assert_allclose(cv.inclusion_ / cv.inclusion_.mean(), ratio / ratio.mean())


def _ratio_of(cv):
    p = np.clip(cv.test_likeness_, 0.01, 0.99)
    return p / (1 - p)


def test_ratio_draw_counts_each_row_by_its_ratio_within_its_held_out_part(shifted):
    # every row is held out once (5 x 80 of 400); within its held-out part it is drawn
    # the floor or the ceiling of 80 * its share of the part's ratio
    X = shifted.X_train
    cv = _split(shifted.X_test, n_splits=5, val_size=0.2)
    splits = list(cv.split(X))
    ratio = _ratio_of(cv)
    losses = (X["x0"].to_numpy() - 0.3) ** 2  # any per-row validation loss
    for train, val in splits:
        held = np.setdiff1d(np.arange(400), train)
        expected = 80 * ratio[held] / ratio[held].sum()
        counts = np.bincount(val, minlength=400)[held]
        assert np.all(counts >= np.floor(expected)) and np.all(counts <= np.ceil(expected))
        # so a plain mean over the validation part is the ratio-weighted mean of the
        # held-out part, up to the rounding of the counts
        weighted = np.average(losses[held], weights=ratio[held])
        assert losses[val].mean() == pytest.approx(weighted, rel=0.1)
        assert abs(losses[val].mean() - weighted) < 0.5 * abs(losses[held].mean() - weighted)


def test_ratio_draw_tracks_the_test_error_of_a_misspecified_model():
    # Shimodaira's textbook shift: train N(0.5, 0.5^2), test N(0, 0.3^2), y = -x + x^3
    rng = np.random.default_rng(3)

    def draw(mean, sd, n):
        x = rng.normal(mean, sd, n)
        return pd.DataFrame({"x": x}), -x + x**3 + rng.normal(0, 0.3, n)

    X, y = draw(0.5, 0.5, 800)
    X_test, _ = draw(0.0, 0.3, 800)
    population, y_population = draw(0.0, 0.3, 50_000)
    truth = np.mean((LinearRegression().fit(X, y).predict(population) - y_population) ** 2)

    def estimate(cv):
        return -cross_val_score(
            LinearRegression(), X, y, cv=cv, scoring="neg_mean_squared_error"
        ).mean()

    kfold = estimate(KFold(5, shuffle=True, random_state=0))
    ratio = estimate(_split(X_test))
    assert abs(kfold - truth) > 0.3 * truth  # the training-distribution error is far off
    assert abs(ratio - truth) < 0.5 * abs(kfold - truth)


def test_systematic_sample_keeps_each_rows_probability_and_stratifies_in_order():
    from advval.drift._split import systematic_sample

    rng = np.random.default_rng(0)
    inclusion = np.r_[np.full(20, 0.1), np.full(20, 0.4), np.ones(4)]
    rows = np.arange(44)
    total = round(inclusion.sum())  # 14
    counts = np.zeros(44)
    for _ in range(4000):
        picked = systematic_sample(inclusion, rows, total, rng, shuffle=False)
        assert len(np.unique(picked)) == total
        # in the given order every stretch holding probability 1 gives exactly one row:
        # 2 of the first 20 rows, 8 of the next 20, and the last 4
        assert np.bincount(np.searchsorted([20, 40], picked, side="right"), minlength=3
                           ).tolist() == [2, 8, 4]
        counts[picked] += 1
    np.testing.assert_allclose(counts / 4000, inclusion, atol=0.03)
    # shuffled, the same probabilities hold but the counts per stretch vary
    spread = {
        np.searchsorted([20, 40], systematic_sample(inclusion, rows, total, rng),
                        side="right").tolist().count(0)
        for _ in range(200)
    }
    assert len(spread) > 1


def test_ratio_draw_is_unbiased_for_its_ratio_over_repeated_draws(shifted):
    # a RandomState instance keeps the fitted ratio (cached) and redraws the held-out
    # parts and the draws at every call: averaged over 100 calls, each row is drawn as
    # often as held out x n_val x its share of its part's ratio, computed independently
    # by averaging that share over 4,000 random partitions into fifths
    X, x0 = shifted.X_train, shifted.X_train["x0"].to_numpy()
    cv = _split(shifted.X_test, n_splits=5, val_size=0.2,
                random_state=np.random.RandomState(0))
    counts = np.zeros(400)
    calls = 100
    for call in range(calls):
        for _, val in cv.split(X):
            counts += np.bincount(val, minlength=400)
        if call == 0:
            likeness = cv.test_likeness_.copy()
    np.testing.assert_array_equal(cv.test_likeness_, likeness)  # one ratio throughout
    drawn = counts / (5 * calls)  # mean draws of each row per split
    ratio = _ratio_of(cv)
    rng = np.random.default_rng(1)
    expected = np.zeros(400)
    for _ in range(4000):
        for part in np.array_split(rng.permutation(400), 5):
            expected[part] += 80 * ratio[part] / ratio[part].sum()
    expected /= 5 * 4000
    assert drawn.sum() == pytest.approx(80)
    np.testing.assert_allclose(drawn, expected, atol=0.05)  # up to 2.5 draws a row
    assert expected.max() > 2
    # the draws follow the planted ratio exp(x0 - 1/2): log-counts rise with x0 with a
    # slope near 1 (the estimated ratio is a little flatter than the truth)
    slope = np.polyfit(x0, np.log(drawn + 1e-3), 1)[0]
    assert 0.6 < slope < 1.2
    assert np.corrcoef(np.log(drawn + 1e-3), x0)[0, 1] > 0.9


def test_effective_rows_count_what_a_weighted_split_is_worth(shifted):
    X, x0 = shifted.X_train, shifted.X_train["x0"].to_numpy()
    cv = _split(shifted.X_test, n_splits=5, val_size=0.2)
    splits = list(cv.split(X))
    # the true ratio exp(x0 - 1/2) of N(0, 1) -> N(1, 1) has effective fraction 1/e in
    # the population (about 0.5 in this sample of 400): 80 held-out rows are worth 30-40
    true = _normal_ratio(x0)
    expected = 80 * true.sum() ** 2 / (400 * (true**2).sum())
    assert 0.7 * expected < cv.effective_rows_ < 1.3 * expected
    assert cv.effective_rows_ < 0.6 * 80
    # and the draws' own counts agree: Kish's number of a split's validation rows, on
    # average over the splits (one with the heaviest rows is worth fewer)
    kish = [np.bincount(val).sum() ** 2 / (np.bincount(val) ** 2).sum() for _, val in splits]
    assert np.mean(kish) == pytest.approx(cv.effective_rows_, rel=0.15)
    # without a shift a split is worth nearly all its rows; draw="top" never repeats
    none = make_shift("none", n_train=400, n_test=400, n_features=4, random_state=0)
    flat = _split(none.X_test, val_size=0.2)
    list(flat.split(none.X_train))
    assert flat.effective_rows_ > 0.8 * 80
    top = _split(shifted.X_test, draw="top", val_size=0.2)
    list(top.split(X))
    assert top.effective_rows_ == 80


def test_systematic_sample_with_sizes_above_one_draws_rows_repeatedly():
    from advval.drift._split import systematic_sample

    rng = np.random.default_rng(1)
    sizes = np.r_[np.full(10, 0.2), np.full(5, 1.5), [3.7]]  # sums to 13.2
    rows = np.arange(16)
    expected = 13 * sizes / sizes.sum()
    counts = np.zeros(16)
    for _ in range(4000):
        drawn = np.bincount(systematic_sample(sizes, rows, 13, rng), minlength=16)
        assert drawn.sum() == 13
        # every row: the floor or the ceiling of its expected count
        assert np.all(drawn >= np.floor(expected)) and np.all(drawn <= np.ceil(expected))
        counts += drawn
    np.testing.assert_allclose(counts / 4000, expected, atol=0.03)


def test_ratio_draw_with_stratify_keeps_class_proportions(shifted):
    X, y = shifted.X_train, _classes(shifted.X_train)
    cv = _split(shifted.X_test, stratify=True, val_size=0.25)
    for train, _ in cv.split(X, y):
        held = np.setdiff1d(np.arange(400), train)
        assert len(held) == 100 and abs(y[held].mean() - y.mean()) <= 0.5 / 100 + 1e-12


def test_no_shift_gives_validation_rows_like_random_ones():
    data = make_shift("none", n_train=400, n_test=400, n_features=4, random_state=0)
    cv = _split(data.X_test)
    for _, val in cv.split(data.X_train):
        # 80 rows: a mean's standard error is 0.11; 0.45 is about 4 of them
        assert data.X_train.iloc[val].mean().abs().max() < 0.45


def test_splits_partition_the_rows(shifted):
    cv = _split(shifted.X_test, n_splits=4, val_size=0.25, draw="top")
    splits = list(cv.split(shifted.X_train))
    assert len(splits) == cv.get_n_splits() == 4
    for train, val in splits:
        assert train.dtype == val.dtype == np.intp
        assert len(val) == 100 and len(train) == 300
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
        np.testing.assert_array_equal(np.union1d(train, val), np.arange(400))


def test_val_size_as_a_number_of_rows(shifted):
    cv = _split(shifted.X_test, val_size=33, n_splits=2, draw="top")
    assert all(len(val) == 33 for _, val in cv.split(shifted.X_train))
    cv = _split(shifted.X_test, val_size=0.1234, draw="top")  # round(49.36)
    assert all(len(val) == 49 for _, val in cv.split(shifted.X_train))


def test_pool_factor_one_holds_out_the_top_rows_every_time(shifted):
    cv = _split(shifted.X_test, pool_factor=1.0, draw="top")
    splits = list(cv.split(shifted.X_train))
    top = np.sort(np.argsort(-cv.test_likeness_, kind="stable")[:80])
    for _, val in splits:
        np.testing.assert_array_equal(val, top)


def test_repeated_splits_vary_within_the_pool(shifted):
    cv = _split(shifted.X_test, pool_factor=2.0, draw="top")
    vals = [val for _, val in cv.split(shifted.X_train)]
    pool = set(np.argsort(-cv.test_likeness_, kind="stable")[:160])
    assert all(set(val) <= pool for val in vals)
    assert len({tuple(val) for val in vals}) == 5
    assert len(set(np.concatenate(vals))) > 110  # most of the pool gets held out


def test_pool_factor_is_capped_at_all_rows(shifted):
    cv = _split(shifted.X_test, pool_factor=100.0, val_size=0.5, n_splits=2, draw="top")
    assert all(len(val) == 200 for _, val in cv.split(shifted.X_train))


def test_stratify_keeps_class_proportions(shifted):
    X = shifted.X_train
    y = _classes(X)
    cv = _split(shifted.X_test, stratify=True, val_size=0.25, draw="top")
    share = y.mean()
    for _, val in cv.split(X, y):
        assert len(val) == 100
        assert abs(y[val].mean() - share) <= 0.5 / 100 + 1e-12
        # within each class, the validation rows are the test-like ones
        for label in (0, 1):
            rows = np.flatnonzero(y == label)
            held = np.intersect1d(rows, val)
            assert cv.test_likeness_[held].mean() > cv.test_likeness_[rows].mean()
    # three classes
    multiclass = np.digitize(X["x3"], [-0.5, 0.5])
    for _, val in _split(shifted.X_test, stratify=True, draw="top").split(X, multiclass):
        expected = np.bincount(multiclass) * 80 / 400
        assert np.all(np.abs(np.bincount(multiclass[val], minlength=3) - expected) < 1)


def test_stratify_with_string_labels_and_a_tiny_class(shifted):
    y = np.array(["a"] * 300 + ["b"] * 99 + ["c"])
    cv = _split(shifted.X_test, stratify=True, draw="top")
    for _, val in cv.split(shifted.X_train, y):
        labels, counts = np.unique(y[val], return_counts=True)
        assert labels.tolist() == ["a", "b"] and counts.tolist() == [60, 20]


def test_test_likeness_is_out_of_fold_scores(shifted):
    cv = _split(shifted.X_test, draw="top")
    list(cv.split(shifted.X_train))
    np.testing.assert_array_equal(cv.test_likeness_, cv.validator_.oof_proba_[:400])
    assert cv.validator_.drift_


def test_max_rows_left_out_rows_are_scored(shifted):
    cv = _split(shifted.X_test, validator=_validator(max_rows=300))
    list(cv.split(shifted.X_train))
    assert np.isnan(cv.validator_.oof_proba_[:400]).any()
    assert np.isfinite(cv.test_likeness_).all()


# -- caching ----------------------------------------------------------------------------


def test_validator_is_fitted_once_per_distinct_x(shifted):
    cv = _split(shifted.X_test)
    first = list(cv.split(shifted.X_train))
    fitted = cv.validator_
    second = list(cv.split(shifted.X_train.copy()))  # same values, other object
    assert cv.validator_ is fitted
    for (a_train, a_val), (b_train, b_val) in zip(first, second, strict=True):
        np.testing.assert_array_equal(a_val, b_val)
        np.testing.assert_array_equal(a_train, b_train)
    subset = shifted.X_train.iloc[:300]
    list(cv.split(subset))
    assert cv.validator_ is not fitted and cv.test_likeness_.shape == (300,)
    cv.set_params(X_test=shifted.X_test.iloc[:300])
    list(cv.split(subset))
    assert cv.validator_.n_test_ == 300


# -- scikit-learn integration -----------------------------------------------------------


def test_cross_val_score_and_cross_validate(shifted):
    X, y = shifted.X_train, _target(shifted.X_train)
    cv = _split(shifted.X_test, n_splits=3)
    scores = cross_val_score(LinearRegression(), X, y, cv=cv)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    result = cross_validate(Ridge(), X, y, cv=cv, return_indices=True)
    expected = [val for _, val in cv.split(X)]
    for got, want in zip(result["indices"]["test"], expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_grid_search(shifted):
    X, y = shifted.X_train, _classes(shifted.X_train)
    cv = _split(shifted.X_test, n_splits=3, stratify=True)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]}, cv=cv).fit(X, y)
    assert search.n_splits_ == 3
    assert {"split0_test_score", "split2_test_score"} <= set(search.cv_results_)
    assert search.best_params_["C"] in (0.01, 1.0)
    assert cv.test_likeness_.shape == (400,)


def test_works_with_metadata_routing_enabled(shifted):
    X, y = shifted.X_train, _target(shifted.X_train)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(LinearRegression(), X, y, cv=_split(shifted.X_test, n_splits=2))
    assert scores.shape == (2,)


def test_arrays_are_accepted(shifted):
    cv = _split(shifted.X_test.to_numpy(), n_splits=2)
    splits = list(cv.split(shifted.X_train.to_numpy()))
    assert len(splits) == 2 and len(splits[0][0]) == 320 and 0 < len(splits[0][1]) <= 80


# -- sklearn contract -------------------------------------------------------------------


def test_same_seed_same_splits_other_seed_other_splits(shifted):
    def vals(seed):
        cv = _split(shifted.X_test, random_state=seed)
        return [val for _, val in cv.split(shifted.X_train)]

    first, again, other = vals(0), vals(0), vals(1)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_random_state_instance_varies_draws_between_calls(shifted):
    cv = _split(shifted.X_test, random_state=np.random.RandomState(0))
    first = [val for _, val in cv.split(shifted.X_train)]
    second = [val for _, val in cv.split(shifted.X_train)]
    assert any(not np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_user_data_and_validator_are_not_modified(shifted):
    X, X_test = shifted.X_train.copy(), shifted.X_test.copy()
    X["city"] = pd.Series(list("abcd") * 100)
    X_test["city"] = pd.Series(list("abce") * 100, dtype="category")
    y = pd.Series(_classes(X))
    before, before_test, before_y = X.copy(deep=True), X_test.copy(deep=True), y.copy()
    validator = _validator()
    cv = _split(X_test, validator=validator, stratify=True)
    list(cv.split(X, y))
    pd.testing.assert_frame_equal(X, before)
    pd.testing.assert_frame_equal(X_test, before_test)
    pd.testing.assert_series_equal(y, before_y)
    assert not hasattr(validator, "oof_proba_") and validator.random_state is None
    assert cv.validator_ is not validator and cv.validator_.random_state is not None


def test_clone_and_params_round_trip(shifted):
    cv = _split(shifted.X_test, n_splits=3, val_size=50, stratify=True, pool_factor=1.5)
    params = cv.get_params(deep=False)
    assert set(params) == {
        "X_test",
        "n_splits",
        "val_size",
        "stratify",
        "draw",
        "pool_factor",
        "validator",
        "prefit",
        "random_state",
    }
    assert params["X_test"] is shifted.X_test
    rebuilt = TestLikeSplit(**params)
    assert rebuilt.get_params(deep=False) == params
    cloned = clone(cv)
    assert type(cloned) is TestLikeSplit and cloned.val_size == 50
    assert cloned.validator is not cv.validator
    pd.testing.assert_frame_equal(cloned.X_test, shifted.X_test)
    assert cv.get_params(deep=True)["validator__n_jobs"] == 1
    cv.set_params(validator__n_splits=3, n_splits=2)
    assert cv.validator.n_splits == 3 and cv.get_n_splits() == 2
    with pytest.raises(ValueError, match="Invalid parameter 'shuffle' for TestLikeSplit"):
        cv.set_params(shuffle=True)


def test_repr_summarises_x_test(shifted):
    text = repr(TestLikeSplit(X_test=shifted.X_test, random_state=0))
    assert text.startswith(
        "TestLikeSplit(X_test=<DataFrame of shape (400, 4)>, draw='ratio', n_splits=5"
    )
    assert "random_state=0" in text and "\n" not in text


# -- bad input --------------------------------------------------------------------------


def test_val_size_larger_than_the_data(shifted):
    X = shifted.X_train.iloc[:100]
    with pytest.raises(
        ValueError,
        match=r"The 'val_size' parameter of TestLikeSplit must be smaller than the number of "
        r"rows \(100\). Got 150 instead.",
    ):
        _split(shifted.X_test, val_size=150).split(X)


def test_val_size_rounding_to_nothing(shifted):
    with pytest.raises(ValueError, match=r"gives round\(0.001 \* 400\) = 0 validation rows"):
        _split(shifted.X_test, val_size=0.001).split(shifted.X_train)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"val_size": 0},
            r"The 'val_size' parameter of TestLikeSplit must be a float in the "
            r"range \(0, 1\) or an int in the range \[1, inf\). Got 0 instead.",
        ),
        ({"val_size": 1.5}, r"'val_size' .* Got 1.5 instead"),
        ({"val_size": "20%"}, r"'val_size' .* Got '20%' instead"),
        (
            {"n_splits": 0},
            r"The 'n_splits' parameter of TestLikeSplit must be an int in the "
            r"range \[1, inf\). Got 0 instead.",
        ),
        ({"pool_factor": 0.5}, r"The 'pool_factor' parameter .* \[1, inf\). Got 0.5 instead"),
        ({"stratify": "yes"}, r"The 'stratify' parameter .* a bool\. Got 'yes' instead"),
        (
            {"draw": "best"},
            r"The 'draw' parameter of TestLikeSplit must be one of 'ratio', 'top'. Got "
            r"'best' instead.",
        ),
    ],
)
def test_bad_parameters(shifted, params, message):
    with pytest.raises(ValueError, match=message):
        _split(shifted.X_test, **params).split(shifted.X_train)


def test_validator_must_be_a_validator(shifted):
    with pytest.raises(TypeError, match="'validator' parameter of TestLikeSplit must be an"):
        _split(shifted.X_test, validator=LogisticRegression()).split(shifted.X_train)


def test_x_test_with_other_columns_names_them(shifted):
    X_test = shifted.X_test.drop(columns="x3").assign(extra=0.0)
    with pytest.raises(
        ValueError,
        match=r"X_test has 4 columns but X has 4: missing in X_test: \['x3'\]; missing in X: "
        r"\['extra'\]",
    ):
        _split(X_test).split(shifted.X_train)


def test_stratify_needs_class_labels(shifted):
    cv = _split(shifted.X_test, stratify=True)
    with pytest.raises(ValueError, match=r"stratify=True\) needs the class labels: pass y"):
        cv.split(shifted.X_train)
    with pytest.raises(ValueError, match="needs class labels, but y is 'continuous'"):
        cv.split(shifted.X_train, _target(shifted.X_train))
    with pytest.raises(ValueError, match=r"one label per row of X \(400\); got shape \(10,\)"):
        cv.split(shifted.X_train, np.zeros(10))


def test_sparse_input_is_rejected(shifted):
    with pytest.raises(TypeError, match="TestLikeSplit does not support sparse input"):
        _split(shifted.X_test).split(sparse.csr_matrix(shifted.X_train.to_numpy()))


def test_errors_are_raised_when_split_is_called(shifted):
    cv = _split(shifted.X_test, val_size=1000)
    with pytest.raises(ValueError, match="val_size"):
        cv.split(shifted.X_train)  # not only when iterated
    assert not hasattr(cv, "validator_")
