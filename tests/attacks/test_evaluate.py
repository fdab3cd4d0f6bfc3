"""robustness_report, make_robust_scorer and AdversarialTrainingClassifier on honest toy attacks.

The attacks are defined here so the evaluation is tested against known truths:
``LinearStep`` is the exact worst case of a linear model under L-inf (every mutable feature
moves eps standard units against the margin), so the robust accuracy it gives is
analytic; ``RandomSearch`` is a black-box attack that only queries the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from advval.attacks import Attack, FeatureSpace
from advval.attacks.evaluate import (
    AdversarialTrainingClassifier,
    RobustnessReport,
    make_robust_scorer,
    robustness_report,
)
from advval.attacks.evaluate._report import SHARED_SPACE
from advval.attacks.evaluate.runner import measure
from advval.report._robustness import render_robustness_json


class _Toy(Attack):
    norms = ("inf",)

    def __init__(self, model, *, eps=0.3, norm="inf", targeted=False, feature_space=None,
                 bounds=None, max_queries=None, random_state=None):
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state


class LinearStep(_Toy):
    """White-box, binary linear models: every mutable feature moves eps against the margin.

    ``fail_above`` makes it give up above that eps (a broken attack, for the flags).
    """

    white_box = True

    def __init__(self, model, *, eps=0.3, norm="inf", targeted=False, feature_space=None,
                 bounds=None, max_queries=None, random_state=None, fail_above=None):
        super().__init__(model, eps=eps, norm=norm, targeted=targeted,
                         feature_space=feature_space, bounds=bounds,
                         max_queries=max_queries, random_state=random_state)
        self.fail_above = fail_above

    def _generate(self, z0, labels, domain, oracle, rng):
        if self.fail_above is not None and self.eps > self.fail_above:
            return z0
        w = getattr(self.model, "estimator_", self.model).coef_[0]
        direction = np.sign(w) * np.where(labels == 1, -1.0, 1.0)[:, None]
        return z0 + self.eps * domain.scale * direction * domain.step_mask(z0)


class RandomSearch(_Toy):
    """Black-box: up to 20 random vertices of the eps-box, one model query each."""

    white_box = False

    def _generate(self, z0, labels, domain, oracle, rng):
        z, active = z0.copy(), np.arange(len(z0))
        step = self.eps * domain.scale * domain.step_mask(z0)
        for _ in range(20):
            active = active[oracle.remaining(active) >= 2]  # one query left for the check
            if not active.size:
                break
            signs = rng.choice([-1.0, 1.0], size=(len(active), z0.shape[1]))
            candidate = domain.finalize(z0[active] + signs * step, z0[active], self.eps, "inf")
            fooled = oracle.labels(candidate, active) != labels[active]
            z[active[fooled]] = candidate[fooled]
            active = active[~fooled]
        return z


class Null(_Toy):
    """A white-box attack whose gradients are zero: it never moves."""

    white_box = True

    def _generate(self, z0, labels, domain, oracle, rng):
        return z0


class Liar(Null):
    """Claims every sample flipped, far outside its budget, without changing anything."""

    def generate(self, X, y=None):
        out = super().generate(X, y)
        self.success_ = np.ones_like(self.success_)
        self.norms_ = self.norms_ + 2 * self.eps
        return out


class Overreach(LinearStep):
    """Moves twice its budget after the final projection, but reports the projected size."""

    def _from_internal(self, z, X, domain):
        return super()._from_internal(2 * z - self._z0, X, domain)

    def _to_internal(self, X, domain):
        self._z0 = super()._to_internal(X, domain)
        return self._z0


class NoisyModel:
    """A randomized model: fresh noise on every call."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.coef_ = model.coef_
        self.rng = np.random.RandomState(0)

    def predict_proba(self, X):
        p = self.model.predict_proba(X)[:, 1] + self.rng.normal(scale=0.05, size=len(X))
        p = np.clip(p, 0, 1)
        return np.column_stack([1 - p, p])


def _task(n, seed):
    """x0 is a robust feature; x1 - x2 separates the classes perfectly but is not robust."""
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    noise = rng.normal(size=n)
    X = np.column_stack([
        2 * y - 1 + rng.normal(size=n),
        0.2 * (2 * y - 1) + noise,
        noise + 0.05 * rng.normal(size=n),
    ])
    return X, y


X_TRAIN, Y_TRAIN = _task(300, 0)
X_TEST, Y_TEST = _task(200, 1)
MODEL = LogisticRegression(C=0.1).fit(X_TRAIN, Y_TRAIN)
SCALE = X_TEST.std(axis=0)
SPACE = FeatureSpace(scale=SCALE)  # no bounds: the linear worst case is exact


def _analytic_robust_accuracy(model, X, y, eps, scale=SCALE):
    margin = model.decision_function(X)
    correct = model.predict(X) == y
    return np.mean(correct & (np.abs(margin) > eps * np.abs(model.coef_[0]) @ scale))


# -- robustness_report ------------------------------------------------------------------


def test_report_matches_the_analytic_linear_worst_case():
    report = robustness_report(
        MODEL, X_TEST, Y_TEST, [LinearStep(None, eps=0.2)], feature_space=SPACE
    )
    assert isinstance(report, RobustnessReport)
    expected = _analytic_robust_accuracy(MODEL, X_TEST, Y_TEST, 0.2)
    assert report.clean_accuracy == pytest.approx(MODEL.score(X_TEST, Y_TEST))
    assert report.robust_accuracy == pytest.approx(expected)
    assert 0.2 < expected < report.clean_accuracy - 0.1  # the check has teeth
    (result,) = report.attacks
    assert result.n_attacked == report.n_correct == round(report.clean_accuracy * 200)
    assert result.n_fooled == result.n_success > 0
    assert result.fooling_rate == result.success_rate == result.n_fooled / result.n_attacked
    assert result.norm_median == pytest.approx(0.2) and result.norm_mean == pytest.approx(0.2)
    assert (result.queries_median, result.queries_max) == (1.0, 1)  # only the final check
    assert result.white_box is True and result.norm == "inf" and result.eps == 0.2
    assert dict(result.feature_frequency) == {"0": 1.0, "1": 1.0, "2": 1.0}
    assert "model" not in result.settings and result.settings["eps"] == 0.2
    assert result.settings["feature_space"] == SHARED_SPACE
    assert report.flags == ()


def test_accuracy_versus_eps_is_the_analytic_curve():
    budgets = [0.4, 0.0, 0.1, 0.2]
    report = robustness_report(
        MODEL, X_TEST, Y_TEST, [LinearStep(None, eps=0.2)], eps=budgets, feature_space=SPACE
    )
    assert [p.eps for p in report.curve] == [0.0, 0.1, 0.2, 0.4]
    for point in report.curve:
        expected = _analytic_robust_accuracy(MODEL, X_TEST, Y_TEST, point.eps)
        assert point.norm == "inf"
        assert point.robust_accuracy == pytest.approx(expected)
        assert point.attacks == (("LinearStep", point.robust_accuracy),)
    assert report.curve[0].robust_accuracy == report.clean_accuracy
    assert report.flags == ()


def test_default_curve_has_one_point_per_attack_budget():
    attacks = [LinearStep(None, eps=0.1), LinearStep(None, eps=0.3), LinearStep(None, eps=0.1)]
    report = robustness_report(MODEL, X_TEST, Y_TEST, attacks, feature_space=SPACE)
    assert [r.name for r in report.attacks] == ["LinearStep", "LinearStep#2", "LinearStep#3"]
    assert [(p.eps, len(p.attacks)) for p in report.curve] == [(0.1, 2), (0.3, 1)]
    assert report.robust_accuracy == report.attacks[1].robust_accuracy


def test_robust_accuracy_is_the_worst_case_per_sample():
    model = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_TRAIN, Y_TRAIN)
    only_0 = RandomSearch(None, eps=0.3, random_state=1,
                          feature_space=FeatureSpace(scale=SCALE, immutable=[1, 2]))
    only_12 = RandomSearch(None, eps=0.3, random_state=2,
                           feature_space=FeatureSpace(scale=SCALE, immutable=[0]))
    report = robustness_report(model, X_TEST, Y_TEST, [only_0, only_12], random_state=0)
    correct = model.predict(X_TEST) == Y_TEST
    fooled = np.zeros(correct.sum(), dtype=bool)
    for attack in (only_0, only_12):
        run = clone(attack).set_params(model=model)
        run.generate(X_TEST[correct], Y_TEST[correct])
        fooled |= run.success_
    assert report.robust_accuracy == pytest.approx((correct.sum() - fooled.sum()) / 200)
    assert report.robust_accuracy < min(a.robust_accuracy for a in report.attacks) - 0.02
    first, second = (dict(a.feature_frequency) for a in report.attacks)
    assert first == {"0": 1.0, "1": 0.0, "2": 0.0}
    assert second == {"0": 0.0, "1": 1.0, "2": 1.0}
    by_name = {f.name: f for f in report.features}
    assert by_name["0"].count == report.attacks[0].n_fooled
    assert by_name["1"].count == report.attacks[1].n_fooled
    total = report.attacks[0].n_fooled + report.attacks[1].n_fooled
    assert by_name["0"].frequency == pytest.approx(by_name["0"].count / total)
    # each attack kept its own feature space
    assert all(a.settings["feature_space"].startswith("FeatureSpace(") for a in report.attacks)


def test_report_leaves_the_attacks_and_data_untouched():
    attack = RandomSearch(None, eps=0.3, max_queries=8)
    bounded = LinearStep(MODEL, eps=0.3, bounds=(-10, 10))
    before = (attack.get_params(), bounded.get_params())
    X = X_TEST.copy()
    report = robustness_report(MODEL, X, Y_TEST, [attack, bounded], random_state=0)
    assert (attack.get_params(), bounded.get_params()) == before
    assert not hasattr(attack, "success_") and not hasattr(bounded, "success_")
    np.testing.assert_array_equal(X, X_TEST)
    first, second = report.attacks
    assert first.settings["feature_space"] == SHARED_SPACE
    assert first.settings["random_state"] is not None  # seeded by the report
    assert second.settings["feature_space"] is None and second.settings["bounds"] == [-10, 10]
    assert first.queries_max <= 8 and first.queries_median <= 8
    assert report.settings == {
        "eps": None, "feature_space": "FeatureSpace.from_frame(X)", "random_state": 0
    }


def test_same_seed_gives_byte_identical_json():
    def run(seed):
        attacks = [RandomSearch(None, eps=0.3), LinearStep(None, eps=0.3)]
        report = robustness_report(
            MODEL, X_TEST, Y_TEST, attacks, eps=[0.1, 0.3], random_state=seed
        )
        return render_robustness_json(report)

    first = run(0)
    assert first == run(0)
    assert first != run(1)
    assert '"seconds"' not in first


def test_report_on_a_pipeline_with_categorical_and_integer_columns():
    rng = np.random.RandomState(0)
    n = 120
    X = pd.DataFrame({
        "income": rng.normal(50, 10, n),
        "age": rng.randint(20, 70, n),
        "city": pd.Series(rng.choice(["paris", "rome", "oslo"], n)),
    }, index=np.arange(n) * 3)
    y = (X["income"] + 0.3 * X["age"] + 5 * (X["city"] == "rome") > 65).astype(int).to_numpy()
    encode = ColumnTransformer([("city", OneHotEncoder(), ["city"])], remainder="passthrough")
    model = make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(X, y)
    frame = X.copy()
    report = robustness_report(model, X, y, [RandomSearch(None, eps=0.5)], random_state=0)
    pd.testing.assert_frame_equal(X, frame)
    assert [f.name for f in report.features][-1] == "city"  # categories are never moved
    use = {f.name: f.frequency for f in report.features}
    assert use["city"] == 0.0 and use["income"] > 0.5
    assert report.attacks[0].n_fooled > 0 and report.robust_accuracy < report.clean_accuracy


def test_zero_gradients_and_blackbox_stronger_flags():
    attacks = [Null(None, eps=0.3), RandomSearch(None, eps=0.3)]
    report = robustness_report(MODEL, X_TEST, Y_TEST, attacks, random_state=0)
    codes = {(f.code, f.attack) for f in report.flags}
    assert codes == {("zero_gradients", "Null"), ("blackbox_stronger", "RandomSearch")}
    (message,) = [f.message for f in report.flags if f.code == "blackbox_stronger"]
    assert f"fooled {report.attacks[1].n_fooled} samples" in message and "(Null)" in message


def test_blackbox_weaker_than_whitebox_raises_no_flag():
    attacks = [LinearStep(None, eps=0.3), RandomSearch(None, eps=0.3)]
    report = robustness_report(MODEL, X_TEST, Y_TEST, attacks, random_state=0)
    assert report.flags == ()


def test_robust_accuracy_rising_with_eps_is_flagged():
    broken = LinearStep(None, eps=0.1, fail_above=0.15)
    report = robustness_report(MODEL, X_TEST, Y_TEST, [broken], eps=[0.1, 0.2])
    (flag,) = report.flags
    assert flag.code == "robust_accuracy_rising" and flag.attack == "LinearStep"
    assert "at eps=0.1 to" in flag.message


def test_randomized_outputs_are_flagged():
    report = robustness_report(NoisyModel(MODEL), X_TEST, Y_TEST, [LinearStep(None, eps=0.1)])
    assert "randomized_outputs" in {f.code for f in report.flags}


def test_claims_are_checked_on_the_returned_rows_not_believed():
    # Liar claims every flip and a perturbation of 0.9 but returns the rows unchanged: the
    # flips are flagged and not counted, and the rows it returned are measured (no move)
    report = robustness_report(MODEL, X_TEST, Y_TEST, [Liar(None, eps=0.3)])
    (result,) = report.attacks
    assert result.n_success == result.n_attacked and result.n_fooled == 0
    assert report.robust_accuracy == report.clean_accuracy
    assert {f.code for f in report.flags} == {"unverified_successes", "zero_gradients"}


def test_rows_returned_beyond_the_budget_are_flagged():
    # Overreach says (norms_) it stayed within eps=0.3, but its rows moved 0.6 standard
    # units: the report measures the returned rows and flags it
    report = robustness_report(
        MODEL, X_TEST, Y_TEST, [Overreach(None, eps=0.3), LinearStep(None, eps=0.3)],
        random_state=0,
    )
    over, honest = report.attacks
    assert over.norm_median == pytest.approx(0.6) and over.norm_mean == pytest.approx(0.6)
    assert honest.norm_median == pytest.approx(0.3)
    (flag,) = [f for f in report.flags if f.code == "out_of_budget"]
    assert flag.attack == "Overreach"
    assert f"returned {over.n_attacked} row(s) farther than eps=0.3" in flag.message
    assert "(largest 0.6, measured on the returned rows)" in flag.message


def test_report_on_a_torch_module():
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        net.weight.copy_(torch.as_tensor(MODEL.coef_))
        net.bias.copy_(torch.as_tensor(MODEL.intercept_))
    X = torch.as_tensor(X_TEST)
    report = robustness_report(
        net, X, Y_TEST, [RandomSearch(None, eps=0.3)], random_state=0, feature_space=SPACE
    )
    twin = robustness_report(
        MODEL, X_TEST, Y_TEST, [RandomSearch(None, eps=0.3)], random_state=0,
        feature_space=SPACE,
    )
    assert report.clean_accuracy == pytest.approx(MODEL.score(X_TEST, Y_TEST))
    assert report.to_dict() == twin.to_dict()


def test_timings_only_on_request():
    report = robustness_report(MODEL, X_TEST, Y_TEST, [LinearStep(None, eps=0.1)])
    assert "seconds" not in report.to_dict()["attacks"][0]
    assert report.to_dict(timings=True)["attacks"][0]["seconds"] >= 0


def test_misclassified_everywhere_attacks_nothing():
    wrong = 1 - MODEL.predict(X_TEST)
    report = robustness_report(MODEL, X_TEST, wrong, [RandomSearch(None, eps=0.3)])
    (result,) = report.attacks
    assert report.clean_accuracy == report.robust_accuracy == 0.0
    assert result.n_attacked == 0 and np.isnan(result.success_rate) and report.features == ()


@pytest.mark.parametrize(
    ("attacks", "message"),
    [
        ([], "The 'attacks' parameter of robustness_report must be a non-empty list"),
        ([MODEL], "must be a non-empty list of Attack instances. Got"),
        ("PGD", "must be a non-empty list of Attack instances. Got 'PGD' instead."),
        ([LinearStep(None, targeted=True)], "untargeted robustness, but LinearStep has targeted"),
    ],
)
def test_report_rejects_bad_attacks(attacks, message):
    with pytest.raises(ValueError, match=message):
        robustness_report(MODEL, X_TEST, Y_TEST, attacks)


@pytest.mark.parametrize("eps", [[], [-0.1], ["a"], 0.3, [np.inf], {"inf": []}, [True]])
def test_report_rejects_bad_eps(eps):
    message = r"The 'eps' parameter of robustness_report must be a non-empty sequence of floats"
    with pytest.raises(ValueError, match=message):
        robustness_report(MODEL, X_TEST, Y_TEST, [LinearStep(None)], eps=eps)


def test_report_eps_by_norm_and_data_errors():
    report = robustness_report(
        MODEL, X_TEST, Y_TEST, [LinearStep(None)], eps={"linf": [0.1], "l2": [1.0]}
    )
    assert [(p.norm, p.eps) for p in report.curve] == [("inf", 0.1)]
    with pytest.raises(ValueError, match="The 'norm' parameter of robustness_report must be"):
        robustness_report(MODEL, X_TEST, Y_TEST, [LinearStep(None)], eps={"l7": [0.1]})
    with pytest.raises(ValueError, match="y has 3 labels but X has 200 samples."):
        robustness_report(MODEL, X_TEST, Y_TEST[:3], [LinearStep(None)])
    with pytest.raises(ValueError, match="robustness_report got 0 samples"):
        robustness_report(MODEL, X_TEST[:0], Y_TEST[:0], [LinearStep(None)])
    with pytest.raises(ValueError, match="y contains the label 7, which the model does not"):
        robustness_report(MODEL, X_TEST[:2], [0, 7], [LinearStep(None)])


# -- make_robust_scorer -----------------------------------------------------------------


def test_scorer_is_the_reports_robust_accuracy():
    scorer = make_robust_scorer(LinearStep(None, eps=0.2))
    report = robustness_report(MODEL, X_TEST, Y_TEST, [LinearStep(None, eps=0.2)])
    assert scorer(MODEL, X_TEST, Y_TEST) == pytest.approx(report.robust_accuracy)
    assert repr(scorer) == "make_robust_scorer(LinearStep(eps=0.2, model=None), metric='accuracy')"


def test_balanced_metric_averages_the_classes():
    attack = LinearStep(None, eps=0.2, feature_space=SPACE)
    balanced = make_robust_scorer(attack, metric="balanced_accuracy")(MODEL, X_TEST, Y_TEST)
    run = clone(attack).set_params(model=MODEL)
    run.generate(X_TEST, Y_TEST)
    robust = (MODEL.predict(X_TEST) == Y_TEST) & ~run.success_
    expected = np.mean([robust[k == Y_TEST].mean() for k in (0, 1)])
    assert balanced == pytest.approx(expected)


def test_grid_search_selects_the_robust_model():
    grid = {"C": [0.01, 100.0]}
    robust = GridSearchCV(
        LogisticRegression(), grid, scoring=make_robust_scorer(LinearStep(None, eps=0.3)), cv=3
    ).fit(X_TRAIN, Y_TRAIN)
    plain = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X_TRAIN, Y_TRAIN)
    # the weak regularization exploits x1 - x2: accurate, and fooled everywhere
    assert plain.best_params_ == {"C": 100.0}
    assert robust.best_params_ == {"C": 0.01}
    scores = robust.cv_results_["mean_test_score"]
    assert scores[0] > 0.5 and scores[1] < 0.1


def test_cross_val_score_on_lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1, random_state=0)
    scorer = make_robust_scorer(RandomSearch(None, eps=0.3, random_state=0))
    robust = cross_val_score(model, X_TRAIN, Y_TRAIN, scoring=scorer, cv=3)
    clean = cross_val_score(model, X_TRAIN, Y_TRAIN, cv=3)
    assert np.all(robust <= clean) and np.all(robust < clean - 0.05) and np.all(robust > 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attack": MODEL}, "The 'attack' parameter of make_robust_scorer must be an Attack"),
        ({"attack": Null(None, targeted=True)}, "untargeted robustness, but Null has targeted"),
        (
            {"attack": Null(None), "metric": "f1"},
            "The 'metric' parameter of make_robust_scorer must be one of 'accuracy', "
            "'balanced_accuracy'. Got 'f1' instead.",
        ),
    ],
)
def test_scorer_errors(kwargs, message):
    attack = kwargs.pop("attack")
    with pytest.raises(ValueError, match=message):
        make_robust_scorer(attack, **kwargs)


# -- AdversarialTrainingClassifier ------------------------------------------------------


def test_adversarial_training_raises_held_out_robust_accuracy():
    attack = LinearStep(None, eps=0.3)
    scorer = make_robust_scorer(attack)
    plain = LogisticRegression(C=100.0).fit(X_TRAIN, Y_TRAIN)
    trained = AdversarialTrainingClassifier(
        LogisticRegression(C=100.0), attack, rounds=3, random_state=0
    ).fit(X_TRAIN, Y_TRAIN)
    assert scorer(plain, X_TEST, Y_TEST) < 0.05
    assert scorer(trained, X_TEST, Y_TEST) > 0.5
    assert trained.score(X_TEST, Y_TEST) > 0.75
    # it learned to rely on the robust feature
    assert abs(trained.estimator_.coef_[0, 1]) < abs(plain.coef_[0, 1]) / 10
    history = trained.history_
    assert [h["round"] for h in history] == [0, 1, 2, 3]
    assert [h["n_train"] for h in history] == [300, 450, 600, 750]
    assert history[0]["robust_accuracy"] < 0.05 < 0.5 < history[-1]["robust_accuracy"]
    assert attack.get_params() == LinearStep(None, eps=0.3).get_params()


def test_adversarial_training_is_deterministic_and_rounds_zero_is_plain():
    make = lambda **kw: AdversarialTrainingClassifier(  # noqa: E731
        LogisticRegression(), RandomSearch(None, eps=0.3), random_state=0, **kw
    )
    first, second = make().fit(X_TRAIN, Y_TRAIN), make().fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_array_equal(first.predict_proba(X_TEST), second.predict_proba(X_TEST))
    assert first.history_ == second.history_
    zero = make(rounds=0).fit(X_TRAIN, Y_TRAIN)
    plain = LogisticRegression().fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_array_equal(zero.predict_proba(X_TEST), plain.predict_proba(X_TEST))
    assert len(zero.history_) == 1


def test_adversarial_training_on_a_dataframe_pipeline():
    X = pd.DataFrame(X_TRAIN, columns=["a", "b", "c"]).assign(
        kind=np.where(Y_TRAIN == 1, "x", "y")
    )
    frame = X.copy()
    encode = ColumnTransformer([("kind", OneHotEncoder(), ["kind"])], remainder="passthrough")
    pipeline = make_pipeline(encode, LogisticRegression())
    clf = AdversarialTrainingClassifier(pipeline, RandomSearch(None, eps=0.3), random_state=0)
    clf.fit(X, pd.Series(Y_TRAIN))
    pd.testing.assert_frame_equal(X, frame)
    assert list(clf.feature_names_in_) == ["a", "b", "c", "kind"]
    assert clf.n_features_in_ == 4 and list(clf.classes_) == [0, 1]
    assert clf.predict(X.head()).tolist() == Y_TRAIN[:5].tolist()
    assert clf.history_[-1]["n_train"] == 450
    assert clf.set_params(attack__eps=0.1).attack.eps == 0.1  # grid-searchable


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ratio": 0}, r"The 'ratio' parameter of AdversarialTrainingClassifier must be a "
                       r"float in the range \(0, 1\]. Got 0 instead."),
        ({"ratio": 1.5}, r"'ratio' parameter .* Got 1.5 instead."),
        ({"rounds": -1}, r"The 'rounds' parameter of AdversarialTrainingClassifier must be an "
                         r"int in the range \[0, inf\). Got -1 instead."),
        ({"rounds": 1.0}, r"'rounds' parameter .* Got 1.0 instead."),
        ({"attack": "PGD"}, "The 'attack' parameter of AdversarialTrainingClassifier must be "
                            "an Attack instance. Got 'PGD' instead."),
        ({"attack": Null(None, targeted=True)}, "untargeted robustness, but Null has"),
        ({"estimator": LinearRegression()}, "The 'estimator' parameter of "
                                             "AdversarialTrainingClassifier must be a "
                                             "scikit-learn classifier"),
    ],
)
def test_adversarial_training_errors(kwargs, message):
    params = {"estimator": LogisticRegression(), "attack": Null(None), **kwargs}
    clf = AdversarialTrainingClassifier(params.pop("estimator"), params.pop("attack"), **params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X_TRAIN, Y_TRAIN)


def test_float32_rounding_of_the_returned_rows_is_not_out_of_budget():
    # a float32 column far from zero in its own units (a year-like value in [8192, 16384),
    # where float32 steps are 2**-10): a move of 0.3 units is 3.75 steps and is stored as
    # 4, so the returned rows are 0.32 units away although the attack moved 0.3
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"year": (1e4 + rng.normal(0, 0.01, 200)).astype(np.float32),
                          "x": rng.normal(size=200).astype(np.float32)})
    labels = (frame["x"] + (frame["year"] - 1e4) * 100 > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(frame.astype(np.float64), labels)
    space = FeatureSpace.from_frame(frame, scale={"year": 3.75 * 2**-10 / 0.3, "x": 1.0},
                                    bounds=None)
    attack = LinearStep(model, eps=0.3, feature_space=space)
    sizes, slack = measure(attack, frame, attack.generate(frame, labels))
    assert sizes.max() == pytest.approx(0.32)  # the rounding alone leaves the ball...
    assert np.all(sizes <= 0.3 + slack)  # ...by no more than the slack allows
    report = robustness_report(model, frame, labels, [LinearStep(None, eps=0.3)],
                               feature_space=space)
    assert report.attacks[0].n_fooled > 0
    assert "out_of_budget" not in {f.code for f in report.flags}
    wide = frame.astype(np.float64)  # float64 rows: no slack, and none is needed
    sizes, slack = measure(attack, wide, attack.generate(wide, labels))
    assert np.all(slack == 0) and sizes.max() == pytest.approx(0.3)


def test_a_tree_search_beaten_by_a_black_box_attack_is_told_how_to_search_further():
    from advval.attacks import TreeAttack

    tree = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_TRAIN, Y_TRAIN)
    attacks = [TreeAttack(None, eps=0.3, max_moves=1, refine=False),
               RandomSearch(None, eps=0.3), Null(None, eps=0.3)]
    report = robustness_report(tree, X_TEST, Y_TEST, attacks, random_state=0)
    (message,) = [f.message for f in report.flags if f.code == "blackbox_stronger"]
    assert "(TreeAttack, Null)" in message
    assert message.endswith(
        "weak here (its search is greedy: a wider beam_width or more max_crossings searches "
        "further; gradient masking, too few steps)."
    )
