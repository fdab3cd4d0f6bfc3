"""Invariants of the white-box gradient attacks (FGSM, PGD, CarliniWagnerL2, DeepFool).

Every attack, on a tensor and on a DataFrame whose FeatureSpace has immutable, integer,
bounded, monotone, label-coded and one-hot columns: valid rows inside the eps-ball, the
input and the model left as found, deterministic, clone-equal, ``eps=0`` is the identity,
``max_queries`` respected, dtype / device kept; and the same code on a 4-D image batch.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from advval.attacks import FeatureSpace
from advval.exceptions import AdvvalWarning

torch = pytest.importorskip("torch")

from advval.attacks.gradient import (  # noqa: E402
    FGSM,
    PGD,
    CarliniWagnerL2,
    DeepFool,
)

FAST = {
    FGSM: {},
    PGD: {"steps": 8, "restarts": 2},
    CarliniWagnerL2: {"steps": 25, "binary_search_steps": 3, "lr": 0.1},
    DeepFool: {"steps": 15},
}
ATTACKS = list(FAST)
EPS = {"inf": 0.5, "2": 1.0}




def seeded(module, seed=0):
    """Initialize every parameter from a local generator (no global seeding)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p.shape[-1] if p.ndim > 1 else p.shape[0]
            p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) * 1.5 / fan_in**0.5)
    return module.eval()


def make(klass, model, **params):
    norm = params.get("norm", "2" if klass is CarliniWagnerL2 else "inf")
    settings = {"eps": EPS.get(norm, 0.5), "random_state": 0, **FAST[klass], **params}
    return klass(model, **settings)


def valid_norms(klass):
    return [n for n in ("inf", "2") if n in klass.norms]


# -- a constrained table ---------------------------------------------------------------


COLUMNS = ["age", "income", "debt", "items", "red", "green", "blue", "region"]


def constrained_frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "income": rng.normal(50.0, 10.0, n),
            "debt": rng.gamma(2.0, 1.0, n),
            "items": rng.integers(0, 8, n),
            "red": (colour == 0).astype(np.int64),
            "green": (colour == 1).astype(np.int64),
            "blue": (colour == 2).astype(np.int64),
            "region": rng.choice([1.0, 2.0, 3.0], n),
        },
        index=np.arange(500, 500 + n),
    )


SPACE = FeatureSpace(
    feature_names=COLUMNS,
    bounds={"income": (30.0, 70.0), "debt": (0.0, 12.0), "items": (0, 8)},
    scale={"age": 10.0, "income": 10.0, "debt": 1.0, "items": 2.0},
    immutable=["age"],
    integer=["items"],
    categorical={"region": [1.0, 2.0, 3.0]},
    one_hot=[["red", "green", "blue"]],
    monotone={"debt": "increase"},
)


@pytest.fixture(scope="module")
def table_model():
    """3 classes, a plain module on the raw numeric columns (region passed as its value)."""
    mean = torch.tensor([45.0, 50.0, 2.0, 4.0, 0.3, 0.3, 0.3, 2.0])
    std = torch.tensor([15.0, 10.0, 1.4, 2.3, 0.5, 0.5, 0.5, 0.8])

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)
            )

        def forward(self, x):
            return self.body((x - mean.to(x.dtype)) / std.to(x.dtype))

    return seeded(Net())


def check_table(out, X, attack, norm):
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert list(out.dtypes) == list(X.dtypes)
    assert out.index.equals(X.index)
    domain = SPACE.bind(X)
    z, z0 = domain.encode(out), domain.encode(X)
    if attack.eps is not None:
        assert np.all(domain.distance(z, z0, norm) <= attack.eps + 1e-6)
    np.testing.assert_allclose(attack.norms_, domain.distance(z, z0, norm), atol=1e-9)
    assert (out["age"] == X["age"]).all()
    assert (out["region"] == X["region"]).all()  # label-coded: frozen for gradients
    assert (out["debt"] >= X["debt"]).all()
    for column, (lower, upper) in SPACE.bounds.items():  # widened to hold the original
        assert (out[column] >= np.minimum(lower, X[column])).all()
        assert (out[column] <= np.maximum(upper, X[column])).all()
    assert (out[["red", "green", "blue"]].sum(axis=1) == 1).all()
    assert set(np.unique(out[["red", "green", "blue"]])) <= {0, 1}


@pytest.mark.parametrize("klass", ATTACKS)
def test_dataframe_with_every_kind_of_constraint(klass, table_model):
    X = constrained_frame()
    before = X.copy()
    for norm in valid_norms(klass):
        attack = make(klass, table_model, norm=norm, feature_space=SPACE)
        out = attack.generate(X)
        pd.testing.assert_frame_equal(X, before)
        check_table(out, X, attack, norm)
        with torch.no_grad():
            encoded = torch.tensor(out.to_numpy(dtype=float), dtype=torch.float32)
            predicted = table_model(encoded).argmax(1).numpy()
            clean = table_model(torch.tensor(X.to_numpy(dtype=float), dtype=torch.float32))
        np.testing.assert_array_equal(attack.success_, predicted != clean.argmax(1).numpy())
        assert attack.success_.any()
    if klass.minimum_norm:
        attack = make(klass, table_model, feature_space=SPACE, eps=None)
        check_table(attack.generate(X), X, attack, attack._norm())


@pytest.mark.parametrize("klass", ATTACKS)
def test_deterministic_clone_and_eps_zero(klass, table_model):
    X = constrained_frame()
    attack = make(klass, table_model, feature_space=SPACE)
    first = attack.generate(X)
    pd.testing.assert_frame_equal(first, clone(attack).generate(X))
    pd.testing.assert_frame_equal(first, attack.generate(X))
    zero = make(klass, table_model, feature_space=SPACE, eps=0.0)
    pd.testing.assert_frame_equal(zero.generate(X), X)
    assert not zero.success_.any() and (zero.norms_ == 0).all()


@pytest.mark.parametrize("klass", ATTACKS)
@pytest.mark.parametrize("budget", [1, 2, 7])
def test_max_queries_is_never_exceeded(klass, budget, table_model):
    X = constrained_frame()
    y = np.zeros(len(X), dtype=int)
    attack = make(klass, table_model, feature_space=SPACE, max_queries=budget)
    out = attack.generate(X, y)
    assert attack.queries_.max() <= budget
    check_table(out, X, attack, attack._norm())


@pytest.mark.parametrize("klass", ATTACKS)
def test_queries_count_forward_rows(klass, table_model):
    X = constrained_frame()
    attack = make(klass, table_model, feature_space=SPACE)
    attack.generate(X)
    assert attack.queries_.min() >= 2  # the labels, the attack, the final check
    if klass is PGD:  # restarts x (steps + 1 to score the last iterate) + 2
        assert (attack.queries_ == 2 * (8 + 1) + 2).all()
    if klass is FGSM:
        assert (attack.queries_ == 3).all()


# -- tensors ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlp():
    return seeded(
        torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.ReLU(), torch.nn.Linear(12, 3))
    )


def tensor_data(dtype, n=30):
    generator = torch.Generator().manual_seed(1)
    return torch.randn(n, 4, generator=generator, dtype=dtype)


@pytest.mark.parametrize("klass", ATTACKS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensor_input_keeps_dtype_device_and_is_not_modified(klass, dtype, mlp):
    X = tensor_data(dtype)
    before = X.clone()
    space = FeatureSpace(bounds=(-2.0, 2.0), immutable=[0])
    for norm in valid_norms(klass):
        attack = make(klass, mlp, norm=norm, feature_space=space)
        out = attack.generate(X)
        assert torch.equal(X, before)
        assert out.dtype == dtype and out.device == X.device and out.shape == X.shape
        assert not out.requires_grad
        assert torch.equal(out[:, 0], X[:, 0])
        inside = (out >= torch.minimum(X, torch.tensor(-2.0, dtype=dtype)))
        assert inside.all() and (out <= torch.maximum(X, torch.tensor(2.0, dtype=dtype))).all()
        sizes = (out - X).abs().amax(1) if norm == "inf" else (out - X).norm(dim=1)
        assert (sizes <= attack.eps * (1 + 1e-6) + 1e-6).all()
        with torch.no_grad():
            flipped = (mlp(out.float()).argmax(1) != mlp(X.float()).argmax(1)).numpy()
        np.testing.assert_array_equal(attack.success_, flipped)
        assert attack.success_.any()


@pytest.mark.parametrize("klass", ATTACKS)
@pytest.mark.parametrize("training", [False, True])
def test_model_mode_flags_grads_and_buffers_left_as_found(klass, training):
    module = seeded(
        torch.nn.Sequential(
            torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
        )
    )
    module.train(training)
    grads = [torch.full_like(p, 0.5) for p in module.parameters()]
    flags = [True, False] + [True] * (len(grads) - 2)
    for p, g, f in zip(module.parameters(), grads, flags, strict=True):
        p.grad = g.clone()
        p.requires_grad_(f)
    state = {k: v.clone() for k, v in module.state_dict().items()}
    X = tensor_data(torch.float32)
    attack = make(klass, module, feature_space=FeatureSpace())
    if training:
        with pytest.warns(AdvvalWarning, match="the model is in training mode"):
            attack.generate(X)
    else:
        attack.generate(X)
    assert module.training is training
    assert all(m.training is training for m in module.modules())
    assert [p.requires_grad for p in module.parameters()] == flags
    for p, g in zip(module.parameters(), grads, strict=True):
        assert torch.equal(p.grad, g)
    for key, value in module.state_dict().items():  # batch-norm statistics restored
        assert torch.equal(value, state[key]), key


def test_inference_mode_of_the_caller_does_not_block_gradients(mlp):
    X = tensor_data(torch.float32)
    with torch.no_grad():
        out = PGD(mlp, eps=0.5, steps=5, random_state=0, feature_space=FeatureSpace()).generate(X)
    assert not torch.equal(out, X)


def test_single_logit_binary_model_and_labels():
    model = seeded(
        torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    )
    flat = torch.nn.Sequential(model, torch.nn.Flatten(0)).eval()  # logits of shape (n,)
    X = torch.randn(25, 3, generator=torch.Generator().manual_seed(2))
    for net in (model, flat):
        with torch.no_grad():
            y = (net(X).reshape(-1) > 0).long()
        for klass in ATTACKS:
            attack = make(klass, net, feature_space=FeatureSpace())
            out = attack.generate(X, y)
            with torch.no_grad():
                predicted = (net(out).reshape(-1) > 0).long()
            np.testing.assert_array_equal(attack.success_, (predicted != y).numpy())
            assert attack.success_.any()


def test_targeted_attacks_reach_the_target(mlp):
    X = tensor_data(torch.float32)
    with torch.no_grad():
        target = (mlp(X).argmax(1) + 1) % 3
    cw = {"eps": None, "steps": 50, "binary_search_steps": 5}
    pgd = {"eps": 2.0, "steps": 20, "restarts": 3, "loss": "margin"}
    for klass, params in [(PGD, pgd), (CarliniWagnerL2, cw)]:
        attack = make(klass, mlp, targeted=True, feature_space=FeatureSpace(), **params)
        out = attack.generate(X, target)
        with torch.no_grad():
            reached = (mlp(out).argmax(1) == target).numpy()
        np.testing.assert_array_equal(attack.success_, reached)
        assert reached.mean() > 0.8


def test_numpy_input_comes_back_as_numpy(mlp):
    X = tensor_data(torch.float64).numpy()
    for dtype in (np.float64, np.float32):
        out = PGD(mlp, eps=0.3, steps=3, random_state=0).generate(X.astype(dtype))
        assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == X.shape


# -- images ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conv():
    return seeded(
        torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(64, 4),
        )
    )


@pytest.mark.parametrize("klass", ATTACKS)
def test_image_batch_with_a_box(klass, conv):
    X = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    for norm in valid_norms(klass):
        eps = {"inf": 0.1, "2": 1.0}[norm]
        attack = make(klass, conv, norm=norm, eps=eps, bounds=(0, 1))
        out = attack.generate(X)
        assert out.shape == X.shape and out.dtype == X.dtype
        assert out.min() >= 0 and out.max() <= 1
        delta = (out - X).reshape(len(X), -1)
        sizes = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
        assert (sizes <= eps + 1e-6).all()
        np.testing.assert_allclose(attack.norms_, sizes.numpy(), rtol=1e-5, atol=1e-6)
        assert attack.success_.any()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("klass", ATTACKS)
def test_gpu_tensors_stay_on_the_gpu(klass):
    module = seeded(
        torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.ReLU(), torch.nn.Linear(12, 3))
    ).cuda()
    X = tensor_data(torch.float32).cuda()
    attack = make(klass, module, feature_space=FeatureSpace(bounds=(-2, 2)))
    out = attack.generate(X)
    assert out.device == X.device and out.dtype == X.dtype
    assert next(module.parameters()).device.type == "cuda"
    with torch.no_grad():
        flipped = (module(out).argmax(1) != module(X).argmax(1)).cpu().numpy()
    np.testing.assert_array_equal(attack.success_, flipped)
    # a CPU input against a GPU model: computed on the GPU, returned on the CPU
    cpu_out = make(klass, module, feature_space=FeatureSpace(bounds=(-2, 2))).generate(X.cpu())
    assert cpu_out.device.type == "cpu"
    torch.testing.assert_close(cpu_out, out.cpu())


# -- parameter errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("klass", "params", "message"),
    [
        (PGD, {"steps": 0}, r"The 'steps' parameter of PGD must be an int in the range \[1, inf\)"),
        (PGD, {"restarts": 1.5}, r"The 'restarts' parameter of PGD must be an int"),
        (PGD, {"step_size": -0.1}, r"The 'step_size' parameter of PGD must be a float"),
        (PGD, {"schedule": "linear"}, r"The 'schedule' parameter of PGD must be one of"),
        (PGD, {"loss": "dlr"}, r"The 'loss' parameter of PGD must be one of 'ce', 'margin'"),
        (PGD, {"random_start": "yes"}, r"The 'random_start' parameter of PGD must be one of"),
        (PGD, {"eps": None}, r"The 'eps' parameter of PGD must be a float"),
        (PGD, {"norm": 0}, r"The 'norm' parameter of PGD must be one of 'inf', '2'"),
        (FGSM, {"eps": -1.0}, r"The 'eps' parameter of FGSM must be a float in the range"),
        (CarliniWagnerL2, {"norm": "inf"}, r"The 'norm' parameter of CarliniWagnerL2 must be"),
        (CarliniWagnerL2, {"confidence": -1}, r"The 'confidence' parameter of CarliniWagnerL2"),
        (CarliniWagnerL2, {"initial_const": 0}, r"The 'initial_const' parameter of Carlini"),
        (CarliniWagnerL2, {"binary_search_steps": 0}, r"'binary_search_steps' parameter"),
        (CarliniWagnerL2, {"lr": 0.0}, r"The 'lr' parameter of CarliniWagnerL2 must be"),
        (CarliniWagnerL2, {"abort_early": None}, r"The 'abort_early' parameter of Carlini"),
        (DeepFool, {"overshoot": -0.5}, r"The 'overshoot' parameter of DeepFool must be"),
        (DeepFool, {"n_candidates": 1}, r"The 'n_candidates' parameter of DeepFool must be an "
                                        r"int in the range \[2, inf\)"),
        (DeepFool, {"targeted": True}, r"DeepFool is untargeted; use CarliniWagnerL2 or PGD"),
    ],
)
def test_parameter_errors(klass, params, message, mlp):
    X = tensor_data(torch.float32)
    y = torch.zeros(len(X), dtype=torch.long)
    with pytest.raises(ValueError, match=message):
        make(klass, mlp, **params).generate(X, y)


def test_model_must_be_a_torch_module():
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).normal(size=(10, 2))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    with pytest.raises(TypeError, match="PGD is a white-box attack on torch models"):
        PGD(model, eps=0.1).generate(X)


def test_text_categories_need_a_tabular_model(mlp):
    X = pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 2.0], "c": [3.0, 1.0], "city": ["x", "y"]})
    with pytest.raises(TypeError, match="column 'city' holds"):
        PGD(mlp, eps=0.1).generate(X)


# -- the precomputed projection of the inner loops -------------------------------------


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("eps", [None, 0.7])
def test_fast_projection_is_the_domains_projection(norm, eps):
    from advval.attacks import Box
    from advval.attacks.gradient.steps import projector

    X = constrained_frame()
    domain = SPACE.bind(X, raw=True)
    x0 = torch.tensor(domain.encode(X))
    generator = torch.Generator().manual_seed(4)
    x = x0 + torch.randn(x0.shape, generator=generator, dtype=x0.dtype) * 3 * 10
    # (the domain computes its radius in torch's default float32: equal to ~1e-7)
    torch.testing.assert_close(
        projector(domain, x0, eps, norm)(x), domain.project(x, x0, eps, norm), rtol=1e-7, atol=0
    )
    images = torch.rand(4, 1, 3, 3, generator=generator) * 1.4 - 0.2  # some outside the box
    box = Box(0.0, 1.0).bind(images)
    moved = images + torch.randn(images.shape, generator=generator)
    torch.testing.assert_close(
        projector(box, images, eps, norm)(moved), box.project(moved, images, eps, norm)
    )
