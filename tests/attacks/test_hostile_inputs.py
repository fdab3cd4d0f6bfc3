"""Hostile inputs: models left exactly as found, NaN / inf refused where they would lie.

- every public entry point leaves a torch model's parameters, buffers, ``requires_grad``
  flags, ``.grad`` and train / eval mode as found, on success and when it raises; a model
  in training mode is attacked in eval mode (its inference behaviour), with one warning;
- a model returning NaN or infinite scores is a ``ValueError`` naming it and the rows;
- FeatureSpace bounds, scales and the attacks' numeric parameters refuse NaN and inf;
- +-inf in attack data is refused (naming the columns), NaN stays a missing value that
  the attacks leave alone and do not count as a perturbation.
"""

from __future__ import annotations

import re
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from advval import attacks
from advval._validation import check_number
from advval.attacks import (
    AdversarialTrainingClassifier,
    Box,
    FeatureSpace,
    GeneticAttack,
    HopSkipJump,
    NESAttack,
    SquareAttack,
    TreeAttack,
    make_robust_scorer,
    robustness_report,
)
from advval.attacks._inference import inference_state, reads_mode
from advval.attacks._space import check_input_data
from advval.exceptions import AdvvalWarning

try:  # the checks on black-box, tree and FeatureSpace inputs need no torch
    import torch
except ImportError:
    torch = None
else:
    from advval.attacks import PGD, DeepFool, TorchTabularClassifier, TransferAttack
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")

TRAINING = "the model is in training mode; it is evaluated in eval mode"
#: small settings so the checks stay fast
FAST = {
    "PGD": {"steps": 5},
    "APGD": {"steps": 5},
    "AutoAttack": {"steps": 5, "square_steps": 10},
    "CarliniWagnerL2": {"steps": 10, "binary_search_steps": 2},
    "DeepFool": {"steps": 10},
    "NESAttack": {"steps": 5, "n_samples": 6},
    "SquareAttack": {"steps": 20},
    "HopSkipJump": {"steps": 2, "max_evals": 20, "init_evals": 10},
    "GeneticAttack": {"generations": 3, "population_size": 6},
}
GRADIENT = ("FGSM", "PGD", "APGD", "AutoAttack", "CarliniWagnerL2", "DeepFool")
BLACK_BOX = ("NESAttack", "SquareAttack", "HopSkipJump", "GeneticAttack")


def make(name, model, **params):
    settings = {"random_state": 0, **FAST.get(name, {}), **params}
    if name != "DeepFool" and name != "CarliniWagnerL2":
        settings.setdefault("eps", 0.5)
    return getattr(attacks, name)(model, **settings)


# -- a torch model in training mode, and its complete state ----------------------------------


def mode_net(seed=0):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Linear, random weights, float64."""
    generator = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
        torch.nn.Dropout(0.3), torch.nn.Linear(16, 3),
    ).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
        net[1].running_mean.normal_(generator=generator)
        net[1].running_var.uniform_(0.5, 2.0, generator=generator)
    return net


def dress(net):
    """Gradients on the parameters and mixed ``requires_grad`` flags, as a user may leave."""
    for i, p in enumerate(net.parameters()):
        p.grad = torch.full_like(p, 0.25 + i)
        p.requires_grad_(i % 2 == 0)
    return net


def snapshot(net):
    """Everything an entry point must leave as found."""
    return {
        "state": {k: v.detach().clone() for k, v in net.state_dict().items()},
        "modes": [m.training for m in net.modules()],
        "flags": [p.requires_grad for p in net.parameters()],
        "grads": [None if p.grad is None else p.grad.clone() for p in net.parameters()],
    }


def assert_as_found(net, before):
    after = snapshot(net)
    assert after["modes"] == before["modes"]
    assert after["flags"] == before["flags"]
    assert after["state"].keys() == before["state"].keys()
    for key, value in after["state"].items():
        assert torch.equal(value, before["state"][key]), key
    for now, then in zip(after["grads"], before["grads"], strict=True):
        assert (now is None and then is None) or torch.equal(now, then)


def tabular(n=40, seed=1):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        y = mode_net().eval()(X).argmax(1)
    return X, y


def run_once_warned(call):
    """Run ``call``; exactly one AdvvalWarning, about training mode. Returns its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and TRAINING in messages[0], messages
    assert caught[0].category is AdvvalWarning
    assert caught[0].filename == __file__  # the user's call, not advval's internals
    return out


@needs_torch
@pytest.mark.parametrize("name", GRADIENT + BLACK_BOX)
def test_attacks_leave_a_training_model_as_found_and_attack_it_in_eval_mode(name):
    X, y = tabular()
    net = dress(mode_net().train())
    before = snapshot(net)
    out = run_once_warned(lambda: make(name, net, bounds=(-3, 3)).generate(X, y))
    assert_as_found(net, before)
    twin = dress(mode_net().eval())
    expected = make(name, twin, bounds=(-3, 3)).generate(X, y)
    assert torch.equal(out, expected)  # the attack ran on the model's inference behaviour


@needs_torch
def test_deepfool_on_a_training_model_with_one_row_batches():
    # batch-norm in training mode refuses one row: DeepFool's shrinking batch hit it
    X, y = tabular(n=3)
    net = mode_net().train()
    before = snapshot(net)
    attack = DeepFool(net, steps=30, feature_space=FeatureSpace())
    for row in range(3):
        run_once_warned(lambda row=row: attack.generate(X[row:row + 1], y[row:row + 1]))
        assert attack.success_.all()
    assert_as_found(net, before)


@needs_torch
@pytest.mark.parametrize("name", ("PGD", "SquareAttack"))
def test_an_attack_that_raises_leaves_the_model_as_found(name):
    X, y = tabular()
    net = dress(mode_net().train())
    before = snapshot(net)
    bad = y.clone()
    bad[3] = 7  # a label the model does not predict: raised after forward passes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdvvalWarning)
        with pytest.raises(ValueError, match="contains the label 7"):
            make(name, net, bounds=(-3, 3)).generate(X, bad)
    assert_as_found(net, before)


if torch is not None:
    class Flaky(torch.nn.Module):
        """A model that fails on its ``fail_at``-th forward pass (a crash mid-evaluation)."""

        def __init__(self, net, fail_at):
            super().__init__()
            self.net, self.fail_at, self.calls = net, fail_at, 0

        def forward(self, x):
            self.calls += 1
            if self.calls == self.fail_at:
                raise RuntimeError("the model crashed")
            return self.net(x)


@needs_torch
def test_robustness_report_leaves_the_model_as_found_on_success_and_on_error():
    X, y = tabular()
    net = dress(mode_net().train())
    before = snapshot(net)
    report = run_once_warned(lambda: robustness_report(
        net, X, y.numpy(), [make("PGD", None), make("SquareAttack", None),
                            make("DeepFool", None)], eps=[0.2, 0.5], random_state=0))
    assert_as_found(net, before)
    assert not [f for f in report.flags if f.code == "randomized_outputs"]  # dropout off
    twin = robustness_report(
        mode_net().eval(), X, y.numpy(), [make("PGD", None), make("SquareAttack", None),
                                          make("DeepFool", None)], eps=[0.2, 0.5],
        random_state=0)
    assert report.to_dict() == twin.to_dict()
    for fail_at in (1, 3, 10):
        flaky = Flaky(net, fail_at)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AdvvalWarning)
            with pytest.raises(RuntimeError, match="the model crashed"):
                robustness_report(flaky, X, y.numpy(), [make("PGD", None)], random_state=0)
        assert_as_found(net, before)
        assert flaky.training  # the wrapper's own flag too


@needs_torch
def test_robust_scorer_and_torch_tabular_predictions_leave_the_model_as_found():
    X, y = tabular()
    net = dress(mode_net().train())
    before = snapshot(net)
    scorer = make_robust_scorer(make("PGD", None))
    score = run_once_warned(lambda: scorer(net, X.numpy(), y.numpy()))
    assert_as_found(net, before)
    assert score == scorer(mode_net().eval(), X.numpy(), y.numpy())

    frame = pd.DataFrame(X.numpy(), columns=list("abcd"))
    clf = TorchTabularClassifier(hidden=(8,), epochs=3, random_state=0).fit(frame, y.numpy())
    expected = clf.predict_proba(frame)
    clf.module_.train()
    state = snapshot(clf.module_)
    # TabularMLP has no layer that reads its mode: evaluated in eval mode, no warning
    np.testing.assert_array_equal(clf.predict_proba(frame), expected)
    assert_as_found(clf.module_, state)
    clf.module_.eval()


@needs_torch
def test_adversarial_training_with_a_torch_estimator_leaves_no_mode_behind():
    frame = pd.DataFrame(tabular()[0].numpy(), columns=list("abcd"))
    y = (frame["a"] > 0).to_numpy().astype(int)
    clf = AdversarialTrainingClassifier(
        TorchTabularClassifier(hidden=(8,), epochs=3, random_state=0),
        make("PGD", None), random_state=0,
    ).fit(frame, y)
    module = clf.estimator_.module_
    assert not any(m.training for m in module.modules())
    before = snapshot(module)
    clf.predict(frame)
    clf.predict_proba(frame)
    assert_as_found(module, before)


@needs_torch
def test_transfer_attack_leaves_target_and_surrogate_as_found():
    X, y = tabular()
    target, surrogate = dress(mode_net(0).train()), dress(mode_net(1).train())
    first, second = snapshot(target), snapshot(surrogate)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TransferAttack(target, eps=0.5, surrogate=surrogate, bounds=(-3, 3),
                       attack=PGD(None, steps=3), random_state=0).generate(X, y)
    assert {str(w.message).split(":")[0] for w in caught} == {"TransferAttack", "PGD"}
    assert_as_found(target, first)
    assert_as_found(surrogate, second)


@needs_torch
def test_the_warning_only_where_the_mode_changes_the_outputs():
    X, y = tabular()
    plain = torch.nn.Sequential(torch.nn.Linear(4, 3)).double()  # training mode, no effect
    assert plain.training
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PGD(plain, eps=0.5, steps=2, bounds=(-3, 3)).generate(X, y)
    assert plain.training

    class Own(torch.nn.Module):  # a forward of the user's own may read self.training
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 3).double()

        def forward(self, x):
            return self.linear(x) * (2.0 if self.training else 1.0)

    assert reads_mode(Own()) and not reads_mode(torch.nn.Linear(2, 2))
    assert reads_mode(torch.nn.BatchNorm2d(3)) and reads_mode(torch.nn.AlphaDropout())
    own = Own()
    with pytest.warns(AdvvalWarning, match=f"PGD: {TRAINING}"):
        PGD(own, eps=0.5, steps=2, bounds=(-3, 3)).generate(X, y)
    assert own.training and own.linear.training


@needs_torch
def test_inference_state_restores_a_buffer_a_forward_changes_and_passes_other_models():
    class Counter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 3).double()
            self.register_buffer("calls", torch.zeros(()))

        def forward(self, x):
            self.calls += 1  # even in eval mode
            return self.linear(x)

    net = Counter().eval()
    X, y = tabular()
    PGD(net, eps=0.5, steps=3, bounds=(-3, 3)).generate(X, y)
    assert float(net.calls) == 0.0
    model = LogisticRegression()
    with inference_state(model, owner="x"):
        pass  # not a torch model: nothing to do


# -- NaN and infinite model outputs -----------------------------------------------------


class NaNProba:
    """A fitted-looking classifier whose probabilities are NaN where ``x0 > cut``."""

    classes_ = np.array([0, 1])

    def __init__(self, cut=1.0, value=np.nan):
        self.cut, self.value = cut, value

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        p = 1 / (1 + np.exp(-X[:, 1]))
        out = np.column_stack([1 - p, p])
        out[X[:, 0] > self.cut] = self.value
        return out


if torch is not None:
    class NaNNet(torch.nn.Module):
        """Logits, NaN (or inf) where the first input is above ``cut``."""

        def __init__(self, cut=1.0, value=float("nan")):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2).double()
            self.cut, self.value = cut, value
            self.eval()

        def forward(self, x):
            out = self.linear(x)
            return torch.where(x[:, :1] > self.cut, torch.full_like(out, self.value), out)


def two_columns(n=20):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 0.5, size=(n, 2))
    X[[2, 5], 0] = 2.0  # two rows the models answer with NaN
    return X, (X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("name", BLACK_BOX)
def test_black_box_attacks_refuse_nan_probabilities(name, value):
    X, y = two_columns()
    message = r"The model \(NaNProba\) returned NaN or infinite probabilities for 2 of 20 rows"
    with pytest.raises(ValueError, match=message):
        make(name, NaNProba(value=value), bounds=(-3, 3)).generate(X, y)


@needs_torch
def test_nan_scores_found_only_on_perturbed_rows_are_refused():
    X, y = two_columns()
    keep = X[:, 0] < 1
    X, y = X[keep], y[keep]
    # the rows are fine; the attack pushes x0 above the cut, where the scores are NaN
    model = NaNProba(cut=0.55)
    with pytest.raises(ValueError, match=r"returned NaN or infinite probabilities for \d+ of"):
        SquareAttack(model, eps=1.0, steps=20, random_state=0, bounds=(-3, 3)).generate(X, y)
    net = NaNNet(cut=0.55)
    with pytest.raises(ValueError, match=r"The model \(NaNNet\) returned NaN or infinite "
                                         r"logits for \d+ of \d+ rows"):
        PGD(net, eps=1.0, steps=5, bounds=(-3, 3), random_state=0).generate(
            torch.as_tensor(X), torch.as_tensor(y))


@needs_torch
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("name", GRADIENT + ("SquareAttack",))
def test_torch_models_with_non_finite_logits_are_refused(name, value):
    X, y = two_columns()
    net = NaNNet(value=value)
    # the two rows, or more where an attack crossed the cut (DeepFool has no budget)
    message = r"The model \(NaNNet\) returned NaN or infinite logits for \d+ of 20 rows"
    with pytest.raises(ValueError, match=message):
        make(name, net, bounds=(-3, 3)).generate(torch.as_tensor(X), torch.as_tensor(y))


@needs_torch
def test_a_torchscript_model_is_named_by_the_class_it_was_scripted_from():
    X, y = two_columns()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        scripted = torch.jit.script(NaNNet())
    with pytest.raises(ValueError, match=r"The model \(NaNNet\) returned NaN or infinite "
                                         r"logits for 2 of 20 rows"):
        SquareAttack(scripted, eps=0.3, steps=5, bounds=(-3, 3)).generate(torch.as_tensor(X))


@needs_torch
def test_evaluations_refuse_nan_scores():
    X, y = two_columns()
    attack = SquareAttack(None, eps=0.3, steps=10)
    message = r"The model \(NaNProba\) returned NaN or infinite probabilities for 2 of 20 rows"
    with pytest.raises(ValueError, match=message):
        robustness_report(NaNProba(), X, y, [attack], random_state=0)
    with pytest.raises(ValueError, match=message):
        make_robust_scorer(attack)(NaNProba(), X, y)
    with pytest.raises(ValueError, match=r"The model \(NaNNet\) returned NaN or infinite "
                                         r"logits for 2 of 20 rows"):
        robustness_report(NaNNet(), X, y, [attack], random_state=0)

    def callable_model(rows):
        return NaNProba().predict_proba(rows)

    with pytest.raises(ValueError, match=r"The model \(function\) returned NaN or infinite "
                                         r"probabilities for 2 of 20 rows"):
        SquareAttack(callable_model, eps=0.3, steps=5).generate(X)  # labels from the model


def test_tree_attack_refuses_a_tree_with_nan_leaves():
    X, y = two_columns()
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    tree.tree_.value[tree.tree_.children_left == -1] = np.nan
    with pytest.raises(ValueError, match=r"The tree model \(DecisionTreeClassifier\) has \d+ "
                                         r"of \d+ leaves with NaN or infinite values"):
        TreeAttack(tree).generate(X, y)


# -- FeatureSpace bounds, scales and the attacks' numbers ------------------------------


FRAME = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 2.0, 4.0]})


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"b": (np.nan, np.nan)}, "FeatureSpace bounds for 'b': the lower bound is NaN"),
        ({"b": (np.nan, 1.0)}, "FeatureSpace bounds for 'b': the lower bound is NaN"),
        ({"a": (0.0, np.nan)}, "FeatureSpace bounds for 'a': the upper bound is NaN"),
        ({"b": (np.inf, None)}, "FeatureSpace bounds for 'b': the lower bound is inf"),
        ({"b": (None, -np.inf)}, "FeatureSpace bounds for 'b': the upper bound is -inf"),
        ({"a": (3.0, 1.0)}, "FeatureSpace bounds for 'a': lower 3.0 is above upper 1.0"),
        ({"a": ("0", 1.0)}, "FeatureSpace bounds for 'a': the lower bound must be a number"),
        ((np.nan, 1.0), "FeatureSpace bounds for 'a': the lower bound is NaN"),
        (([0.0, np.nan], 5.0), "FeatureSpace bounds for 'b': the lower bound is NaN"),
        ((1.0, [5.0, 0.5]), "FeatureSpace bounds for 'b': lower 1.0 is above upper 0.5"),
    ],
)
def test_feature_space_bounds_refuse_nan_inf_and_inverted_ranges(bounds, message):
    space = FeatureSpace(bounds=bounds)
    with pytest.raises(ValueError, match=re.escape(message)):
        space.bind(FRAME)
    with pytest.raises(ValueError, match=re.escape(message)):
        SquareAttack(NaNProba(), eps=0.1, feature_space=space).generate(FRAME, [0, 1, 1])


def test_feature_space_bounds_accept_open_sides():
    domain = FeatureSpace(bounds={"a": (None, 1.0), "b": (-np.inf, np.inf)}).bind(FRAME)
    assert domain.lower.tolist() == [-np.inf, -np.inf] and domain.upper.tolist() == [1, np.inf]


@pytest.mark.parametrize(
    ("scale", "column", "got"),
    [({"b": np.nan}, "b", "nan"), ({"a": np.inf}, "a", "inf"), ([1.0, 0.0], "b", "0.0"),
     (-2.0, "a", "-2.0")],
)
def test_feature_space_scale_must_be_positive_and_finite(scale, column, got):
    message = (
        f"FeatureSpace scale for '{column}' must be a positive, finite number (one standard "
        f"unit of the column). Got {got} instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        FeatureSpace(scale=scale).bind(FRAME)
    with pytest.raises(ValueError, match="FeatureSpace scale of 'a' must be a number"):
        FeatureSpace(scale={"a": None}).bind(FRAME)


@pytest.mark.parametrize("distance", [np.nan, -1.0, "1"])
def test_categorical_distance_must_be_a_number_at_least_zero(distance):
    with pytest.raises(ValueError, match=re.escape(
        "The 'categorical_distance' parameter of FeatureSpace must be a float in the range "
        f"[0, inf] (inf freezes categories). Got {distance!r} instead."
    )):
        FeatureSpace(categorical_distance=distance).bind(FRAME)
    FeatureSpace(categorical_distance=np.inf).bind(FRAME)  # documented: freezes categories


@pytest.mark.parametrize("missing", [np.nan, None, pd.NA])
def test_allowed_categories_cannot_include_a_missing_value(missing):
    frame = FRAME.assign(c=["x", "y", None])
    space = FeatureSpace(categorical={"c": ["x", missing, "y"]})
    with pytest.raises(ValueError, match=re.escape(
        "FeatureSpace categorical values for 'c' include a missing value: "
    )):
        space.bind(frame)
    domain = FeatureSpace(categorical={"c": ["x", "y"]}).bind(frame)
    assert np.isnan(domain.encode(frame)[2, 2])  # a missing value in the data: fine


@needs_torch
@pytest.mark.parametrize("spread", [np.nan, np.inf, "2"])
def test_transfer_spread_refuses_nan_inf_and_text(spread):
    X, y = two_columns()
    with pytest.raises(ValueError, match=re.escape(
        "The 'spread' parameter of TransferAttack must be a float in the range (0, inf). Got"
    )):
        TransferAttack(NaNProba(cut=10), spread=spread, bounds=(-3, 3)).generate(X, y)


def test_from_frame_refuses_infinity_and_leaves_empty_columns_unbounded():
    frame = FRAME.assign(c=[np.inf, 1.0, -np.inf], d=np.nan)
    with pytest.raises(ValueError, match=re.escape(
        "FeatureSpace.from_frame: X has infinite values in column(s) ['c'] (2 of 3 rows)."
    )):
        FeatureSpace.from_frame(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "All-NaN slice" warning either
        space = FeatureSpace.from_frame(frame.drop(columns="c"))
    assert set(space.bounds) == {"a", "b"}
    assert space.bind(frame.drop(columns="c")).upper.tolist() == [2.0, 4.0, np.inf]


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        *(
            pytest.param(name, param, value, marks=needs_torch)
            for name, param, value in [
                ("PGD", "eps", np.nan), ("PGD", "eps", np.inf), ("PGD", "step_size", np.inf),
                ("FGSM", "eps", np.nan), ("APGD", "rho", np.nan), ("AutoAttack", "eps", np.inf),
                ("CarliniWagnerL2", "confidence", np.inf),
                ("CarliniWagnerL2", "initial_const", np.nan),
                ("CarliniWagnerL2", "lr", np.inf), ("DeepFool", "overshoot", np.inf),
                ("DeepFool", "eps", np.nan),
            ]
        ),
        ("SquareAttack", "eps", np.inf), ("SquareAttack", "p_init", np.nan),
        ("NESAttack", "sigma", np.inf), ("NESAttack", "step_size", np.nan),
        ("HopSkipJump", "gamma", np.inf), ("GeneticAttack", "mutation_scale", np.inf),
        ("GeneticAttack", "distance_penalty", np.inf), ("TreeAttack", "eps", np.nan),
    ],
)
def test_attack_numbers_refuse_nan_and_inf(name, param, value):
    klass = getattr(attacks, name)
    X, y = FRAME.to_numpy(), np.array([0, 1, 1])
    model = NaNProba(cut=10)
    if klass is TreeAttack:
        model = DecisionTreeClassifier(max_depth=1).fit(X, y)
    elif klass not in (SquareAttack, NESAttack, HopSkipJump, GeneticAttack):
        model = torch.nn.Linear(2, 2).double().eval()
    attack = klass(model, **{param: value})
    message = f"The '{param}' parameter of {klass.__name__} must be a float in the range"
    with pytest.raises(ValueError, match=re.escape(message) + r".* Got (nan|inf) instead\."):
        attack.generate(X, y)


@pytest.mark.parametrize("max_queries", [np.nan, np.inf, 2.5])
def test_max_queries_must_be_a_whole_number(max_queries):
    with pytest.raises(ValueError, match=re.escape(
        "The 'max_queries' parameter of SquareAttack must be an int in the range [1, inf) "
        "or None."
    )):
        SquareAttack(NaNProba(cut=10), max_queries=max_queries).generate(FRAME, [0, 1, 1])


@needs_torch
@pytest.mark.parametrize("bounds", [(np.nan, 1.0), (0.0, np.nan), (2.0, 1.0), (np.inf, None),
                                    ("0", 1.0), (0.0,)])
def test_attack_bounds_refuse_nan_inf_and_inverted_pairs(bounds):
    message = "The 'bounds' parameter of SquareAttack must be a pair (lower, upper) of numbers"
    with pytest.raises(ValueError, match=re.escape(message)):
        SquareAttack(NaNProba(cut=10), bounds=bounds).generate(FRAME.to_numpy(), [0, 1, 1])
    images = np.zeros((2, 1, 2, 2))
    with pytest.raises(ValueError, match=re.escape("The 'bounds' parameter of PGD must be")):
        PGD(torch.nn.Flatten(), bounds=bounds).generate(torch.as_tensor(images), [0, 1])


def test_box_refuses_nan():
    with pytest.raises(ValueError, match=r"Box: lower and upper must be numbers \(-inf and "
                                         r"inf for no bound\)\. Got nan and 1\.0 instead\."):
        Box(np.nan, 1.0)
    with pytest.raises(ValueError, match=r"Box: lower inf and upper inf leave no valid value"):
        Box(np.inf, np.inf)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 10**400])
def test_check_number_refuses_non_finite_values(value):
    with pytest.raises(ValueError, match=re.escape(
        "The 'eps' parameter of PGD must be a float in the range [0, inf). Got"
    )):
        check_number(value, name="eps", owner="PGD", low=0)
    check_number(1e308, name="eps", owner="PGD", low=0)


# -- infinite and missing values in attack data ---------------------------------------------


def table_with(value, rows=(1, 4), n=30):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x", "y", "z"])
    frame.loc[list(rows), "y"] = value
    labels = (frame["x"] > 0).to_numpy().astype(int)
    return frame, labels


@needs_torch
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_attack_data_is_refused_naming_the_columns(value):
    frame, labels = table_with(value)
    model = HistGradientBoostingClassifier(max_iter=5).fit(frame.fillna(0), labels)
    detail = "X has infinite values in column(s) ['y'] (2 of 30 rows)"
    attack = SquareAttack(None, eps=0.3, steps=5)
    with pytest.raises(ValueError, match=re.escape(f"robustness_report: {detail}")):
        robustness_report(model, frame, labels, [attack])
    with pytest.raises(ValueError, match=re.escape(f"make_robust_scorer: {detail}")):
        make_robust_scorer(attack)(model, frame, labels)
    with pytest.raises(ValueError, match=re.escape(f"SquareAttack.generate: {detail}")):
        attack.set_params(model=model).generate(frame, labels)
    space = FeatureSpace.from_frame(frame.replace(value, 0.0))
    with pytest.raises(ValueError, match=re.escape(f"TreeAttack.generate: {detail}")):
        TreeAttack(model, feature_space=space).generate(frame, labels)
    array = frame.to_numpy(copy=True)
    with pytest.raises(ValueError, match=re.escape(
        "SquareAttack.generate: X has infinite values in column(s) ['1'] (2 of 30 rows)"
    )):
        attack.generate(array, labels)
    with pytest.raises(ValueError, match=re.escape(
        "PGD.generate: X has infinite values in column(s) ['1'] (2 of 30 rows)"
    )):
        PGD(torch.nn.Linear(3, 2).double().eval(), feature_space=FeatureSpace()).generate(
            torch.as_tensor(array), labels)
    with pytest.raises(ValueError, match=re.escape(
        f"AdversarialTrainingClassifier.fit: {detail}"
    )):
        AdversarialTrainingClassifier(LogisticRegression(), attack).fit(frame, labels)


@needs_torch
def test_nan_image_pixels_are_refused_naming_the_tensor():
    images = torch.rand(4, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    images[1, 0, 0, 0] = float("nan")
    images[3, 0, 1, 1] = float("inf")
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(9, 2)).eval()
    message = ("PGD.generate: X holds 2 NaN or infinite value(s) in 2 of 4 samples; images "
               "(and other N-D inputs) need finite values.")
    with pytest.raises(ValueError, match=re.escape(message)):
        PGD(net, eps=0.1, bounds=(0, 1)).generate(images, torch.tensor([0, 1, 0, 1]))
    with pytest.raises(ValueError, match=re.escape("robustness_report: X holds 2 NaN")):
        robustness_report(net, images, [0, 1, 0, 1], [PGD(None, eps=0.1, bounds=(0, 1))])


def test_missing_values_stay_missing_and_cost_nothing():
    frame, labels = table_with(np.nan, rows=(1, 4, 9), n=120)
    model = HistGradientBoostingClassifier(max_iter=20, min_samples_leaf=5,
                                           random_state=0).fit(frame, labels)
    assert model.score(frame, labels) > 0.9
    attacks_ = [TreeAttack(None, eps=0.5), SquareAttack(None, eps=0.5, steps=30),
                HopSkipJump(None, eps=0.5, **FAST["HopSkipJump"])]
    report = robustness_report(model, frame, labels, attacks_, random_state=0)
    assert report.flags == ()
    assert report.robust_accuracy < report.clean_accuracy
    attack = SquareAttack(model, eps=0.5, steps=30, random_state=0)
    out = attack.generate(frame, labels)
    assert out["y"].isna().tolist() == frame["y"].isna().tolist()
    assert np.all(attack.norms_ <= 0.5 + 1e-9)


def lightgbm_with_missing_categories(n=300):
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.choice(["x", "y", "z"], n))})
    y = ((X["a"] + (X["c"] == "y") + 0.3 * rng.normal(size=n)) > 0.5).astype(int).to_numpy()
    X.loc[[3, 7], "c"] = np.nan  # two rows with a missing category
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)
    return model, X, y


def test_missing_categories_do_not_count_as_category_changes():
    # NaN != NaN counted each row with a missing category as one category change
    # (categorical_distance = 1 > eps): the attacks undid every move on those rows and
    # "out of budget ... not comparable" was flagged on every attack
    model, X, y = lightgbm_with_missing_categories()
    space = FeatureSpace.from_frame(X)
    domain = space.bind(X)
    z0 = domain.encode(X)
    assert np.isnan(z0[[3, 7], 2]).all()
    assert domain.distance(z0, z0, "inf").max() == 0.0
    moved = z0[[3, 7]].copy()
    moved[:, 0] += 0.1 * domain.scale[0]
    assert np.allclose(domain.distance(moved, z0[[3, 7]], "inf"), 0.1)
    assert np.allclose(domain.finalize(moved, z0[[3, 7]], 0.3, "inf"), moved, equal_nan=True)
    attacks_ = [TreeAttack(None, eps=0.3), SquareAttack(None, eps=0.3, steps=30),
                HopSkipJump(None, eps=0.3, **FAST["HopSkipJump"])]
    for given in (None, space):
        report = robustness_report(model, X, y, attacks_, feature_space=given,
                                   random_state=0)
        assert [f.code for f in report.flags] == []


def test_check_input_data_names_the_data_as_the_caller_knows_it():
    frame, _ = table_with(np.inf)
    with pytest.raises(ValueError, match=re.escape(
        "advval attack: DATA file 'd.csv' has infinite values in column(s) ['y'] (2 of 30 "
        "rows). Replace them with finite numbers (or NaN, for a model that reads missing "
        "values)."
    )):
        check_input_data(frame, owner="advval attack", name="DATA file 'd.csv'")
    check_input_data(frame.replace(np.inf, np.nan), owner="advval attack")  # NaN: missing
    check_input_data(frame.replace(np.inf, 0.0).assign(t="text"), owner="x")  # text ignored
