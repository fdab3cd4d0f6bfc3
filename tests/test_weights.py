"""AdversarialWeighter: known-truth weights, sample_weight routing, bad input, sklearn checks."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from advval import AdversarialValidator, AdversarialWeighter, TestLikeSplit
from advval.datasets import make_shift
from advval.drift._weights import FLATTEN_GAIN, FLATTENING, weighted_estimate
from advval.exceptions import DataWarning


def _validator(**params):
    return AdversarialValidator(n_jobs=1, **params)


def _weighter(X_test, **params):
    params.setdefault("random_state", 0)
    params.setdefault("validator", _validator())
    return AdversarialWeighter(X_test=X_test, **params)


@pytest.fixture(scope="module")
def shifted():
    """x0 has mean 0 in train and 1 in test; x1..x3 are unshifted."""
    return make_shift(
        "mean", n_train=400, n_test=400, n_features=4, n_shifted=1, delta=1.0, random_state=0
    )


@pytest.fixture(scope="module")
def fitted(shifted):
    return _weighter(shifted.X_test).fit(shifted.X_train)


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


# -- known truth ------------------------------------------------------------------------


def test_weights_follow_the_shifted_feature(shifted, fitted):
    x0 = shifted.X_train["x0"].to_numpy()
    w = fitted.weights_
    assert w.shape == (400,) and np.all(w > 0)
    assert w.mean() == pytest.approx(1.0)
    assert np.corrcoef(w, x0)[0, 1] > 0.5
    # the weighted train mean of x0 moves most of the way toward the test mean (about 1)
    before = abs(x0.mean() - shifted.X_test["x0"].mean())
    after = abs(np.average(x0, weights=w) - shifted.X_test["x0"].mean())
    assert after < 0.5 * before
    # unshifted columns stay put
    for column in ("x1", "x2", "x3"):
        assert abs(np.average(shifted.X_train[column], weights=w)) < 0.25
    # true density ratio exp(x0 - 1/2): the estimate ranks rows like it
    assert np.corrcoef(np.log(w), x0)[0, 1] > 0.7


def _textbook(seed, n=800):
    """Shimodaira's shift: train N(0.5, 0.5^2), test N(0, 0.3^2); the true ratio."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    x, x_test = rng.normal(0.5, 0.5, n), rng.normal(0.0, 0.3, n)
    ratio = norm.pdf(x, 0.0, 0.3) / norm.pdf(x, 0.5, 0.5)
    return pd.DataFrame({"x": x}), pd.DataFrame({"x": x_test}), ratio / ratio.mean()


def test_blend_follows_the_true_ratio_and_uses_the_smooth_model():
    X, X_test, true = _textbook(0)
    blend = _weighter(X_test).fit(X)
    assert np.corrcoef(blend.weights_, true)[0, 1] > 0.95
    # a smooth 1-D shift: the smooth model carries much of the blend
    intercept, classifier_slope, smooth_slope = blend.calibration_
    assert smooth_slope > 0.3 and classifier_slope + smooth_slope > 0.8


def test_weighted_kfold_estimates_the_test_error_like_the_true_ratio():
    rng = np.random.default_rng(101)  # not _textbook's stream: noise independent of x
    X, X_test, true = _textbook(1)
    x = X["x"].to_numpy()
    y = -x + x**3 + rng.normal(0, 0.3, len(x))
    population = rng.normal(0.0, 0.3, 50_000)
    fitted = LinearRegression().fit(X, y)
    truth = np.mean(
        (fitted.predict(pd.DataFrame({"x": population})) - (-population + population**3)) ** 2
    ) + 0.3**2
    squared = np.empty(len(x))
    for fit_rows, val_rows in KFold(5, shuffle=True, random_state=0).split(X):
        model = LinearRegression().fit(X.iloc[fit_rows], y[fit_rows])
        squared[val_rows] = (y[val_rows] - model.predict(X.iloc[val_rows])) ** 2
    weights = _weighter(X_test).fit(X).weights_
    gaps = {
        name: abs(np.average(squared, weights=w) - truth)
        for name, w in (("plain", None), ("true", true), ("blend", weights))
    }
    assert gaps["plain"] > 0.3 * truth
    assert gaps["blend"] < 0.3 * gaps["plain"]
    assert gaps["blend"] < max(1.5 * gaps["true"], 0.05 * truth)


def test_narrower_test_tails_weighted_estimate_close_to_the_true_ratio():
    # train N(0, 1), test N(0.5, 0.6^2): the log-ratio is quadratic and falls off in both
    # tails, where the linear model's errors on y = x^2 / 2 are largest. With five spline
    # knots the weights stayed too high there (mean error over these seeds 0.058 of the
    # truth against the true ratio's 0.022); seven knots follow the tails (0.033).
    from scipy.stats import norm

    errors = {"plain": [], "true": [], "blend": []}
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x, x_test = rng.normal(0.0, 1.0, 1500), rng.normal(0.5, 0.6, 1500)
        X, X_test = pd.DataFrame({"x": x}), pd.DataFrame({"x": x_test})
        y = x**2 / 2 + rng.normal(0, 0.5, len(x))
        population = rng.normal(0.5, 0.6, 50_000)
        fitted = LinearRegression().fit(X, y)
        truth = np.mean(
            (fitted.predict(pd.DataFrame({"x": population})) - population**2 / 2) ** 2
        ) + 0.5**2
        squared = np.empty(len(x))
        for fit_rows, val_rows in KFold(5, shuffle=True, random_state=0).split(X):
            model = LinearRegression().fit(X.iloc[fit_rows], y[fit_rows])
            squared[val_rows] = (y[val_rows] - model.predict(X.iloc[val_rows])) ** 2
        true = norm.pdf(x, 0.5, 0.6) / norm.pdf(x, 0.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            weights = _weighter(X_test).fit(X).weights_
        for name, w in (("plain", None), ("true", true), ("blend", weights)):
            errors[name].append(abs(np.average(squared, weights=w) - truth) / truth)
    mean = {name: float(np.mean(values)) for name, values in errors.items()}
    assert mean["plain"] > 0.5
    assert mean["blend"] < 2 * mean["true"] and mean["blend"] < 0.1 * mean["plain"]


@pytest.mark.parametrize("sampled", [False, True])
def test_smooth_model_penalty_is_chosen_by_its_out_of_fold_log_loss(monkeypatch, sampled):
    import advval.drift._ratio as ratio

    if sampled:  # chosen on a sample of the rows, the folds then fitted once with it
        monkeypatch.setattr(ratio, "PENALTY_MAX_ROWS", 250)
    rng = np.random.default_rng(0)
    # no shift, 40 noise columns, 300 rows: any fit overfits, the strongest penalty wins
    noise = pd.DataFrame(rng.normal(size=(300, 40)), columns=[f"c{j}" for j in range(40)])
    labels = np.r_[np.zeros(150, dtype=int), np.ones(150, dtype=int)]
    fitted = ratio.smooth_scores(noise, labels, n_splits=5, seed=0)
    assert fitted.penalty == min(ratio.PENALTY_GRID)
    # a clear 1-D shift on 6,000 rows: the lightest penalty fits it best
    x = np.r_[rng.normal(0.0, 1.0, 3000), rng.normal(0.5, 0.6, 3000)]
    labels = np.r_[np.zeros(3000, dtype=int), np.ones(3000, dtype=int)]
    fitted = ratio.smooth_scores(pd.DataFrame({"x": x}), labels, n_splits=5, seed=0)
    assert fitted.penalty == max(ratio.PENALTY_GRID)
    assert len(fitted.models) == 5 and np.isfinite(fitted.scores).all()
    assert all(fitted.penalty == model.C for model in fitted.models)
    assert np.corrcoef(fitted.scores, (x - 0.5) ** 2)[0, 1] < -0.5  # test-like near 0.5


def test_blend_keeps_the_classifier_for_a_shift_in_how_columns_move_together():
    # marginals unchanged, x0 and x1 correlated in X_test only: a per-column smooth model
    # cannot see it, the trees can
    data = make_shift(
        "correlation", n_train=600, n_test=600, n_features=4, n_shifted=2, delta=0.9,
        random_state=0,
    )
    weighter = _weighter(data.X_test).fit(data.X_train)
    _, classifier_slope, smooth_slope = weighter.calibration_
    assert classifier_slope > 0.5 and smooth_slope < 0.5 * classifier_slope
    product = (data.X_train["x0"] * data.X_train["x1"]).to_numpy()
    assert np.corrcoef(np.log(weighter.weights_), product)[0, 1] > 0.4


def test_regions_describe_the_weights(shifted, fitted):
    regions = fitted.regions_
    assert regions.index.tolist() == [1, 2, 3, 4, 5] and regions.index.name == "region"
    assert regions["train_rows"].sum() == 400
    assert regions["test_share"].sum() == pytest.approx(1.0)
    assert regions["weight_share"].sum() == pytest.approx(1.0)
    assert np.all(np.diff(regions["likeness_low"]) > 0)
    # calibrated weights give every region about its share of the test rows
    assert regions["coverage"].between(0.6, 1.5).all()
    w, p = fitted.weights_, fitted.test_likeness_
    top = p >= regions["likeness_low"].iloc[-1]
    assert regions["train_rows"].iloc[-1] == top.sum()
    assert regions["effective_rows"].iloc[-1] == pytest.approx(
        w[top].sum() ** 2 / (w[top] ** 2).sum()
    )
    assert regions["trusted"].all() and fitted.trusted_
    heaviest = np.sort(w)[-4:].sum() / w.sum()  # 1% of 400 rows
    assert fitted.top_weight_share_ == pytest.approx(heaviest)


def test_region_diagnostics_on_known_numbers():
    from advval.drift._weights import region_diagnostics

    test = np.repeat([0.1, 0.3, 0.5, 0.7, 0.9], 20)  # 20 test rows per region
    train = np.r_[np.full(50, 0.1), np.full(30, 0.5), np.full(20, 0.9)]
    weights = np.r_[np.full(50, 0.4), np.full(30, 1.0), np.r_[np.full(19, 0.1), 48.1]]
    table = region_diagnostics(train, test, weights / weights.mean(), min_ess=5)
    assert table["train_rows"].tolist() == [50, 0, 30, 0, 20]
    assert table["test_share"].tolist() == [0.2] * 5
    np.testing.assert_allclose(table["weight_share"], [0.2, 0.0, 0.3, 0.0, 1.0 - 0.5], atol=1e-12)
    assert table["effective_rows"].iloc[0] == pytest.approx(50.0)
    assert table["effective_rows"].iloc[4] < 1.1  # one row carries the region
    assert table["trusted"].tolist() == [True, False, True, False, False]


def test_estimate_is_the_weighted_mean_with_its_standard_error(shifted, fitted):
    rng = np.random.default_rng(0)
    losses = rng.exponential(size=400)
    result = fitted.estimate(list(losses))
    w = fitted.weights_
    assert result.weighted == pytest.approx(np.average(losses, weights=w))
    expected = np.sqrt(np.sum(w**2 * (losses - result.weighted) ** 2)) / w.sum()
    assert result.weighted_standard_error == pytest.approx(expected)
    assert result.effective_rows == pytest.approx(fitted.effective_sample_size_)
    # the value is the mean with the weights raised to the power it names
    assert result.power in FLATTENING
    assert result.value == pytest.approx(np.average(losses, weights=w**result.power))
    if result.power == 1:
        assert result.standard_error == result.weighted_standard_error
        assert result.reason.startswith("full weights")
    else:
        assert result.reason.startswith(f"weights flattened to w ** {result.power:g}")
    # uniform weights: the plain mean and its textbook standard error
    plain = weighted_estimate(losses, np.ones(400))
    assert plain.value == pytest.approx(losses.mean())
    assert plain.standard_error == pytest.approx(losses.std() / np.sqrt(400))
    assert 0.01 < plain.top_share < 0.1
    # one heavy row with a huge loss carries the estimate
    spiked = losses.copy()
    spiked[np.argmax(w)] = 1e4
    heavy = fitted.estimate(spiked)
    assert heavy.top_share > 0.9
    # ... so the weights are flattened, and the estimate moves towards the clean mean
    assert heavy.power < 1 and heavy.reason.startswith("weights flattened")
    clean = np.average(losses, weights=w)
    assert abs(heavy.value - clean) < 0.5 * abs(heavy.weighted - clean)
    assert heavy.standard_error <= np.sqrt(FLATTEN_GAIN) * heavy.weighted_standard_error


def _gaussian_shift(seed, *, n=2000, mu=0.5, sd=0.8):
    """Train N(0, 1), test N(mu, sd^2), losses exponential with mean 1 + x^2, true ratio.

    The test loss is ``1 + mu^2 + sd^2``.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    ratio = norm.pdf(x, mu, sd) / norm.pdf(x, 0.0, 1.0)
    return rng, ratio, rng.exponential(1 + x**2), 1 + mu**2 + sd**2


def test_estimate_flattens_weights_carrying_a_few_gross_losses():
    # three rows among the 10% most heavily weighted hold a gross loss (a data error,
    # 1000x the median): the full weights multiply it and miss the test loss by far
    # more than the plain mean does; the chosen estimate gets closer than the full
    # weights in every seed and is as close as the plain mean on average
    errors = {"weighted": [], "value": [], "plain": []}
    for seed in range(20):
        rng, ratio, losses, truth = _gaussian_shift(seed)
        rows = rng.choice(np.argsort(ratio)[-200:], 3, replace=False)
        losses[rows] = 1000 * np.median(losses)
        result = weighted_estimate(losses, ratio)
        assert result.power < 1
        assert abs(result.value - truth) < abs(result.weighted - truth)
        for name, value in (("weighted", result.weighted), ("value", result.value),
                            ("plain", losses.mean())):
            errors[name].append(abs(value - truth))
    mean = {name: float(np.mean(values)) for name, values in errors.items()}
    assert mean["value"] < 0.7 * mean["weighted"]
    assert mean["value"] < 1.05 * mean["plain"]


def test_estimate_keeps_the_true_ratio_estimate_on_a_clean_shift():
    # the same shift with no gross loss: the weighted mean with the true ratio is off by
    # half the plain mean's error; the chosen estimate keeps its accuracy, whatever power
    errors = {"weighted": [], "value": [], "plain": []}
    for seed in range(20):
        _, ratio, losses, truth = _gaussian_shift(seed)
        result = weighted_estimate(losses, ratio)
        assert abs(result.value - result.weighted) < result.weighted_standard_error
        for name, value in (("weighted", result.weighted), ("value", result.value),
                            ("plain", losses.mean())):
            errors[name].append(abs(value - truth))
    mean = {name: float(np.mean(values)) for name, values in errors.items()}
    assert mean["weighted"] < 0.6 * mean["plain"]
    assert mean["value"] < 1.1 * mean["weighted"]


def test_estimate_is_deterministic_and_leaves_its_input_alone(fitted):
    rng = np.random.default_rng(3)
    losses = rng.exponential(size=400)
    losses[np.argsort(fitted.weights_)[-3:]] = 500.0
    kept, weights = losses.copy(), fitted.weights_.copy()
    first, second = fitted.estimate(losses), fitted.estimate(losses)
    assert first == second  # every field, the reason included
    np.testing.assert_array_equal(losses, kept)
    np.testing.assert_array_equal(fitted.weights_, weights)


def test_estimate_tail_shape_recovers_known_pareto_tails():
    from advval.drift._weights import TAIL_SHAPE_LIMIT, pareto_tail_shape

    rng = np.random.default_rng(0)
    for index, shape in ((4.0, 0.25), (2.0, 0.5), (1.0, 1.0)):
        fits = [pareto_tail_shape(np.sort(rng.pareto(index, 4000) + 1)) for _ in range(10)]
        assert abs(np.mean(fits) - shape) < 0.12
    # uniform weights on normal values: a light tail, the estimate reliable
    light = weighted_estimate(np.abs(rng.normal(size=3000)), np.ones(3000))
    assert light.tail_shape < 0.3 and light.reliable
    # weights on a lognormal scale times values with a Pareto tail of index 1
    weights = np.exp(rng.normal(0, 1.0, 3000))
    heavy = weighted_estimate(rng.pareto(1.0, 3000) + 1, weights)
    assert heavy.tail_shape > TAIL_SHAPE_LIMIT and not heavy.reliable
    assert np.isnan(weighted_estimate(np.ones(20), np.ones(20)).tail_shape)


def test_estimate_needs_one_finite_value_per_row(shifted, fitted):
    with pytest.raises(NotFittedError):
        _weighter(shifted.X_test).estimate(np.ones(400))
    with pytest.raises(
        ValueError,
        match=r"The 'values' of AdversarialWeighter.estimate must be 400 finite numbers, one "
        r"per row of the X given to fit. Got shape \(399,\) instead.",
    ):
        fitted.estimate(np.ones(399))
    with pytest.raises(ValueError, match=r"Got shape \(400,\) with non-finite values instead"):
        fitted.estimate(np.r_[np.ones(399), np.nan])


def test_no_shift_gives_near_uniform_weights():
    data = make_shift("none", n_train=400, n_test=400, n_features=4, random_state=1)
    weighter = _weighter(data.X_test).fit(data.X_train)
    assert weighter.ess_fraction_ > 0.95
    assert np.abs(weighter.weights_ - 1).max() < 0.5
    assert weighter.n_clipped_ == 0 and weighter.n_test_unsupported_ == 0
    assert weighter.trusted_ and weighter.regions_["coverage"].between(0.6, 1.5).all()


def test_calibration_shrinks_noise_scores_toward_uniform():
    data = make_shift("none", n_train=400, n_test=400, n_features=4, random_state=0)
    raw = _weighter(data.X_test, ratio_model="classifier", calibrate=False).fit(data.X_train)
    calibrated = _weighter(data.X_test, ratio_model="classifier").fit(data.X_train)
    assert raw.calibration_ == (0.0, 1.0, 0.0)
    assert calibrated.calibration_[1] < 0.5 and calibrated.calibration_[2] == 0.0
    assert calibrated.weights_.std() < raw.weights_.std()
    assert calibrated.ess_fraction_ > raw.ess_fraction_
    # calibration is monotone: the same ranking of rows
    kept = np.argsort(raw.test_likeness_, kind="stable")
    assert np.all(np.diff(calibrated.test_likeness_[kept]) >= -1e-12)


def test_weighted_fit_predicts_the_test_region_better(shifted, fitted):
    # a misspecified (linear) model of y = x0^2: the weighted fit targets the test region
    rng = np.random.default_rng(0)
    X, X_test = shifted.X_train[["x0"]], shifted.X_test[["x0"]]
    y = X["x0"] ** 2 + rng.normal(0, 0.1, len(X))
    y_test = X_test["x0"] ** 2
    plain = LinearRegression().fit(X, y)
    weighted = LinearRegression().fit(X, y, sample_weight=fitted.weights_)
    plain_mse = np.mean((plain.predict(X_test) - y_test) ** 2)
    weighted_mse = np.mean((weighted.predict(X_test) - y_test) ** 2)
    assert weighted_mse < 0.7 * plain_mse


def test_effective_sample_size_is_kish(fitted):
    w = fitted.weights_
    assert fitted.effective_sample_size_ == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert fitted.ess_fraction_ == pytest.approx(fitted.effective_sample_size_ / len(w))
    assert 0 < fitted.ess_fraction_ < 1


def test_temper_interpolates_between_uniform_and_full(shifted, fitted):
    uniform = _weighter(shifted.X_test, temper=0.0).fit(shifted.X_train)
    half = _weighter(shifted.X_test, temper=0.5).fit(shifted.X_train)
    np.testing.assert_array_equal(uniform.weights_, np.ones(400))
    assert uniform.ess_fraction_ == pytest.approx(1.0)
    assert fitted.ess_fraction_ < half.ess_fraction_ < 1
    # w(temper) is proportional to w(1) ** temper
    ratio = np.log(half.weights_) - 0.5 * np.log(fitted.weights_)
    np.testing.assert_allclose(ratio, ratio[0], atol=1e-9)


def test_ratio_formula_on_raw_scores(shifted):
    weighter = _weighter(
        shifted.X_test, ratio_model="classifier", calibrate=False, clip=(0.05, 0.95)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # whether rows reach the clip is not the point
        weighter.fit(shifted.X_train)
    p = np.clip(weighter.validator_.oof_proba_[:400], 0.05, 0.95)
    expected = p / (1 - p)
    np.testing.assert_allclose(weighter.weights_, expected / expected.mean())
    np.testing.assert_array_equal(weighter.test_likeness_, weighter.validator_.oof_proba_[:400])


def test_unequal_sample_sizes():
    data = make_shift(
        "mean", n_train=500, n_test=200, n_features=3, n_shifted=1, delta=1.0, random_state=2
    )
    weighter = _weighter(data.X_test).fit(data.X_train)
    assert weighter.weights_.mean() == pytest.approx(1.0)
    x0 = data.X_train["x0"]
    assert np.average(x0, weights=weighter.weights_) > x0.mean() + 0.4


def test_separated_samples_warn_about_unsupported_test_rows():
    data = make_shift(
        "mean", n_train=300, n_test=300, n_features=3, n_shifted=2, delta=3.0, random_state=0
    )
    with pytest.warns(DataWarning) as record:
        weighter = _weighter(data.X_test).fit(data.X_train)
    messages = [str(r.message) for r in record]
    clip_message = next(m for m in messages if "X_test have a test-likeness above 0.99" in m)
    assert re.search(rf"^{weighter.n_test_unsupported_} of 300 rows of X_test", clip_message)
    assert "were clipped" not in clip_message and "clipped to 0.99" in clip_message
    assert weighter.n_test_unsupported_ > 0 and weighter.n_clipped_ > 0
    assert any(
        re.search(r"collapse the sample: .* \(\d+\.\d%\), below min_ess", m) for m in messages
    )
    assert weighter.ess_fraction_ < 0.1
    # the most test-like region of X_test has (almost) no training rows behind it
    region_message = next(m for m in messages if "cannot be trusted in" in m)
    assert re.search(
        r"region 5 \(20% of X_test\) rests on an effective \d+\.\d rows", region_message
    )
    assert not weighter.trusted_ and not weighter.regions_["trusted"].iloc[-1]


def test_a_few_unsupported_test_rows_in_the_tails_are_counted_without_a_warning():
    # a 1-std shift in two columns: the true ratio exp(x0 + x1 - 1) exceeds 99 for a few
    # test rows far out in the tails (under 1% of X_test), which the smooth model finds
    data = make_shift(
        "mean", n_train=800, n_test=800, n_features=6, n_shifted=2, delta=1.0, random_state=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weighter = _weighter(data.X_test).fit(data.X_train)
    assert 0 < weighter.n_test_unsupported_ <= 8 and weighter.n_clipped_ == 0


def test_leak_like_columns_are_named_in_the_unsupported_rows_warning():
    data = make_shift(
        "mean", n_train=300, n_test=300, n_features=3, n_shifted=1, delta=0.5, random_state=0
    )
    train, test = data.X_train.copy(), data.X_test.copy()
    train["row"], test["row"] = np.arange(300), np.arange(300, 600)
    with pytest.warns(Warning) as record:  # the LeakWarning and the DataWarnings
        _weighter(test).fit(train)
    clip_message = next(str(r.message) for r in record if "test-likeness above" in str(r.message))
    assert clip_message.endswith(
        "The validator names leak-like columns ['row'], which separate the sides on their "
        "own and no weighting can match: fit the weighter without them."
    )
    without = [str(r.message) for r in record if "leak-like" in str(r.message)]
    with warnings.catch_warnings(record=True) as clean:
        warnings.simplefilter("always")
        _weighter(data.X_test).fit(data.X_train)
    assert not any("leak-like" in str(w.message) for w in clean) and without


def test_min_ess_fraction_zero_silences_the_ess_warning():
    data = make_shift(
        "mean", n_train=300, n_test=300, n_features=3, n_shifted=2, delta=3.0, random_state=0
    )
    with pytest.warns(DataWarning) as record:
        _weighter(data.X_test, min_ess_fraction=0.0).fit(data.X_train)
    assert not any("collapse" in str(r.message) for r in record)


def test_max_rows_left_out_rows_are_scored_by_the_fold_models(shifted):
    validator = _validator(max_rows=300)
    weighter = _weighter(shifted.X_test, validator=validator).fit(shifted.X_train)
    assert np.isnan(weighter.validator_.oof_proba_[:400]).sum() > 0
    assert np.isfinite(weighter.weights_).all() and np.isfinite(weighter.test_likeness_).all()
    assert np.corrcoef(weighter.weights_, shifted.X_train["x0"])[0, 1] > 0.4


# -- new rows ---------------------------------------------------------------------------


def test_compute_weights_for_new_rows(shifted, fitted):
    fresh = make_shift(
        "mean", n_train=400, n_test=10, n_features=4, n_shifted=1, delta=1.0, random_state=5
    ).X_train
    w = fitted.compute_weights(fresh)
    assert w.shape == (400,) and np.all(w > 0)
    assert np.corrcoef(w, fresh["x0"])[0, 1] > 0.5
    assert 0.6 < w.mean() < 1.6  # same scale as weights_ (mean 1 on train-like rows)
    in_sample = fitted.compute_weights(shifted.X_train)
    assert np.corrcoef(in_sample, fitted.weights_)[0, 1] > 0.8
    # column order does not matter
    np.testing.assert_allclose(fitted.compute_weights(fresh[fresh.columns[::-1]]), w)


def test_compute_weights_needs_fit_and_the_same_columns(shifted, fitted):
    with pytest.raises(NotFittedError):
        _weighter(shifted.X_test).compute_weights(shifted.X_train)
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- x3"):
        fitted.compute_weights(shifted.X_train[["x0", "x1", "x2"]])
    renamed = shifted.X_train.rename(columns={"x3": "z"})
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- z"):
        fitted.compute_weights(renamed)
    array_fitted = _weighter(shifted.X_test.to_numpy()).fit(shifted.X_train.to_numpy())
    with pytest.raises(
        ValueError, match="X has 3 features, but AdversarialWeighter is expecting 4"
    ):
        array_fitted.compute_weights(shifted.X_train.to_numpy()[:, :3])


# -- scikit-learn integration -----------------------------------------------------------


def _labels(frame):
    return (frame["x0"] + frame["x1"] > 0.5).astype(int).to_numpy()


def test_pipeline_routes_sample_weight_to_the_final_step(routing, shifted, fitted):
    X, y, w = shifted.X_train, _labels(shifted.X_train), fitted.weights_
    pipe = Pipeline(
        [
            ("scale", StandardScaler().set_fit_request(sample_weight=False)),
            ("model", LogisticRegression().set_fit_request(sample_weight=True)),
        ]
    )
    pipe.fit(X, y, sample_weight=w)
    direct = LogisticRegression().fit(StandardScaler().fit_transform(X), y, sample_weight=w)
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_, rtol=1e-6)
    unweighted = LogisticRegression().fit(StandardScaler().fit_transform(X), y)
    assert not np.allclose(pipe[-1].coef_, unweighted.coef_, rtol=1e-3)


def test_cross_validate_gives_a_weighted_validation_score(routing, shifted, fitted):
    X, y, w = shifted.X_train, _labels(shifted.X_train), fitted.weights_
    model = LogisticRegression().set_fit_request(sample_weight=True)
    scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
    cv = TestLikeSplit(X_test=shifted.X_test, n_splits=3, random_state=0, validator=_validator())
    result = cross_validate(model, X, y, cv=cv, scoring=scorer, params={"sample_weight": w})
    expected = []
    for train, val in cv.split(X, y):
        fold_model = LogisticRegression().fit(X.iloc[train], y[train], sample_weight=w[train])
        expected.append(
            accuracy_score(y[val], fold_model.predict(X.iloc[val]), sample_weight=w[val])
        )
    np.testing.assert_allclose(result["test_score"], expected)


def test_plain_sample_weight_without_routing(shifted, fitted):
    X, y = shifted.X_train, _labels(shifted.X_train)
    model = LogisticRegression().fit(X, y, sample_weight=fitted.weights_)
    assert model.coef_.shape == (1, 4)


def test_clone_and_params_round_trip(shifted):
    weighter = _weighter(
        shifted.X_test, temper=0.5, clip=(0.05, 0.95), ratio_model="smooth", calibrate=False
    )
    params = weighter.get_params(deep=False)
    assert params["X_test"] is shifted.X_test and params["clip"] == (0.05, 0.95)
    cloned = clone(weighter)
    assert cloned.get_params(deep=False).keys() == params.keys()
    assert cloned.temper == 0.5 and cloned.validator is not weighter.validator
    pd.testing.assert_frame_equal(cloned.X_test, shifted.X_test)
    rebuilt = AdversarialWeighter(**params)
    assert rebuilt.get_params(deep=False) == params
    weighter.set_params(validator__n_splits=3, temper=0.25)
    assert weighter.validator.n_splits == 3 and weighter.temper == 0.25
    assert "validator__n_splits" in weighter.get_params(deep=True)


def test_repr_summarises_x_test(shifted):
    text = repr(_weighter(shifted.X_test, temper=0.5))
    assert "X_test=<DataFrame of shape (400, 4)>" in text and "temper=0.5" in text


def test_same_seed_same_weights(shifted, fitted):
    again = _weighter(shifted.X_test).fit(shifted.X_train)
    np.testing.assert_array_equal(again.weights_, fitted.weights_)
    other = _weighter(shifted.X_test, random_state=1).fit(shifted.X_train)
    assert not np.array_equal(other.weights_, fitted.weights_)


# category "e" exists only in X_test: the unsupported-rows warning is expected
@pytest.mark.filterwarnings("ignore::advval.exceptions.DataWarning")
def test_user_data_and_validator_are_not_modified(shifted):
    X, X_test = shifted.X_train.copy(), shifted.X_test.copy()
    X["city"] = pd.Series(list("abcd") * 100)
    X_test["city"] = pd.Series(list("abce") * 100, dtype="category")
    before, before_test = X.copy(deep=True), X_test.copy(deep=True)
    validator = _validator()
    weighter = _weighter(X_test, validator=validator).fit(X)
    pd.testing.assert_frame_equal(X, before)
    pd.testing.assert_frame_equal(X_test, before_test)
    assert not hasattr(validator, "oof_proba_") and validator.random_state is None
    assert weighter.validator_ is not validator
    np.testing.assert_array_equal(weighter.feature_names_in_, X.columns)


def test_arrays_and_missing_values_are_accepted(shifted):
    X = shifted.X_train.to_numpy().copy()
    X_test = shifted.X_test.to_numpy()
    X[::7, 2] = np.nan
    weighter = _weighter(X_test).fit(X)
    assert weighter.n_features_in_ == 4 and not hasattr(weighter, "feature_names_in_")
    assert np.isfinite(weighter.weights_).all()


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"clip": (0.9, 0.1)}, "The 'clip' parameter of AdversarialWeighter must be a pair"),
        ({"clip": (0.0, 0.9)}, r"0 < low < high < 1. Got \(0.0, 0.9\) instead"),
        ({"clip": 0.1}, r"must be a pair \(low, high\) of floats .* Got 0.1 instead"),
        ({"clip": (0.1, 0.5, 0.9)}, "must be a pair"),
        ({"temper": -0.5}, r"The 'temper' parameter .* range \[0, 1\]. Got -0.5 instead"),
        ({"temper": 2}, r"'temper' .* Got 2 instead"),
        ({"min_ess_fraction": 1.5}, r"The 'min_ess_fraction' parameter .* Got 1.5 instead"),
        ({"calibrate": "yes"}, r"The 'calibrate' parameter .* a bool\. Got 'yes' instead"),
        (
            {"ratio_model": "kliep"},
            r"The 'ratio_model' parameter of AdversarialWeighter must be one of 'blend', "
            r"'classifier', 'smooth'. Got 'kliep' instead.",
        ),
        (
            {"calibrate": False},
            r"AdversarialWeighter\(calibrate=False\) uses one model's raw scores: pass "
            r"ratio_model='classifier' or 'smooth'",
        ),
        ({"min_region_ess": -1}, r"The 'min_region_ess' parameter .* Got -1 instead"),
    ],
)
def test_bad_parameters(shifted, params, message):
    with pytest.raises(ValueError, match=message):
        _weighter(shifted.X_test, **params).fit(shifted.X_train)


def test_validator_must_be_a_validator(shifted):
    weighter = _weighter(shifted.X_test, validator=LogisticRegression())
    with pytest.raises(TypeError, match="'validator' parameter of AdversarialWeighter must be an"):
        weighter.fit(shifted.X_train)


def test_x_test_with_other_columns_names_them(shifted):
    X_test = shifted.X_test.drop(columns="x3").assign(extra=0.0)
    with pytest.raises(ValueError, match=r"missing in X_test: \['x3'\]; missing in X: \['extra'\]"):
        _weighter(X_test).fit(shifted.X_train)


def test_too_few_rows(shifted):
    with pytest.raises(ValueError, match=r"X has 3 sample\(s\) .* needs at least 5 rows"):
        _weighter(shifted.X_test).fit(shifted.X_train.head(3))


def test_sparse_and_one_dimensional_input_are_rejected(shifted):
    with pytest.raises(TypeError, match="does not support sparse input"):
        _weighter(shifted.X_test).fit(sparse.csr_matrix(shifted.X_train.to_numpy()))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        _weighter(shifted.X_test).fit(shifted.X_train["x0"].to_numpy())


def test_unsupported_rows_warning_says_which_score_and_counts_the_classifiers_too():
    # the warning counts the blended, calibrated scores the weights use; the validator's
    # own out-of-fold scores (what --export-test-likeness writes) are counted beside them,
    # so the figure can be checked against them (the flights table: 4,895 blended rows
    # above 0.99 against an exported maximum of 0.976)
    data = make_shift(
        "mean", n_train=300, n_test=300, n_features=3, n_shifted=2, delta=3.0, random_state=0
    )
    with pytest.warns(DataWarning) as record:
        weighter = _weighter(data.X_test).fit(data.X_train)
    message = next(str(r.message) for r in record if "test-likeness above" in str(r.message))
    oof = weighter.validator_.oof_proba_[300:]
    by_classifier = int((oof > 0.99).sum())
    assert by_classifier != weighter.n_test_unsupported_  # the two scores differ here
    assert message.startswith(
        f"{weighter.n_test_unsupported_} of 300 rows of X_test have a test-likeness above "
        f"0.99 by the blended score the weights are computed from (the domain classifier's "
        f"and the smooth model's out-of-fold scores, calibrated; by the domain classifier's "
        f"own out-of-fold scores, {by_classifier} do): they have almost no counterpart in X,"
    )
    n_high = int((weighter.test_likeness_ > 0.99).sum())
    n_low = int((weighter.test_likeness_ < 0.01).sum())
    assert f"{n_high} of 300 rows of X was clipped to 0.99 (and of {n_low} to 0.01)" in message


def test_warnings_call_the_sides_by_the_names_given():
    # the command line passes the user's files, as it does to the validator
    data = make_shift(
        "mean", n_train=300, n_test=300, n_features=3, n_shifted=2, delta=3.0, random_state=0
    )
    names = ("TRAIN file 'a.csv'", "TEST file 'b.csv'")
    with pytest.warns(DataWarning) as record:
        _weighter(data.X_test)._fit_named(data.X_train, names=names)
    messages = [str(r.message) for r in record]
    clip_message = next(m for m in messages if "test-likeness above" in m)
    assert " of 300 rows of TEST file 'b.csv' have a test-likeness above 0.99" in clip_message
    assert "no counterpart in TRAIN file 'a.csv'" in clip_message
    assert "of 300 rows of TRAIN file 'a.csv' was clipped" in clip_message
    region_message = next(m for m in messages if "cannot be trusted in" in m)
    assert "bins of the test-likeness of TEST file 'b.csv'" in region_message
    assert re.search(
        r"region 5 \(20% of TEST file 'b.csv'\) rests on an effective \d+\.\d rows of "
        r"TRAIN file 'a.csv'",
        region_message,
    )
    assert not re.search(r"\bX(_test)?\b", clip_message + region_message)
