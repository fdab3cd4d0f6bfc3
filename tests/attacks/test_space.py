"""FeatureSpace, Box and their projections: every output is a valid row in the eps-ball."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advval.attacks import Box, FeatureSpace
from advval.attacks._norms import canonical_norm, norm_of, project_ball

try:  # FeatureSpace is NumPy code: only the tests on tensors need torch
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def mixed_frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "income": rng.normal(50.0, 10.0, n),
            "age": rng.integers(18, 80, n),
            "debt": rng.gamma(2.0, 3.0, n),
            "city": pd.Categorical(rng.choice(["paris", "rome", "oslo"], n)),
            "member": rng.random(n) > 0.5,
            "job": rng.choice(["a", "b"], n),
            "g0": (group == 0).astype(int),
            "g1": (group == 1).astype(int),
            "g2": (group == 2).astype(int),
        },
        index=np.arange(100, 100 + n),
    )


def mixed_space(frame, **kwargs):
    return FeatureSpace.from_frame(
        frame,
        immutable=["age"],
        one_hot=[["g0", "g1", "g2"]],
        monotone={"debt": "increase"},
        **kwargs,
    )


def test_from_frame_detects_kinds_scales_and_bounds():
    frame = mixed_frame()
    space = mixed_space(frame)
    assert space.integer == ["age"]
    assert space.categorical == {
        "city": ["oslo", "paris", "rome"],
        "member": [False, True],
        "job": ["a", "b"],
    }
    assert space.scale["income"] == pytest.approx(frame["income"].std())
    assert space.bounds["debt"] == (frame["debt"].min(), frame["debt"].max())
    iqr = FeatureSpace.from_frame(frame[["income"]], scale="iqr").scale["income"]
    q1, q3 = np.percentile(frame["income"], [25, 75])
    assert iqr == pytest.approx((q3 - q1) / 1.349)


def test_zero_or_undefined_spread_becomes_one():
    frame = pd.DataFrame({"const": [3.0, 3.0, 3.0], "x": [1.0, 2.0, np.nan]})
    assert FeatureSpace.from_frame(frame).scale == {"const": 1.0, "x": pytest.approx(0.7071068)}
    assert FeatureSpace.from_frame(frame.iloc[:1]).scale == {"const": 1.0, "x": 1.0}


def test_encode_decode_round_trip_keeps_dtypes_and_values():
    frame = mixed_frame()
    frame.loc[frame.index[0], "income"] = np.nan
    domain = mixed_space(frame).bind(frame)
    z = domain.encode(frame)
    assert z.dtype == np.float64 and z.shape == frame.shape
    back = domain.decode(z, frame).set_axis(frame.index)
    pd.testing.assert_frame_equal(back, frame)


def test_unknown_category_is_named():
    frame = mixed_frame()
    domain = mixed_space(frame).bind(frame)
    other = frame.assign(job="zzz")
    with pytest.raises(ValueError, match=r"Column 'job' has the value 'zzz', which is not among"):
        domain.encode(other)


def test_text_column_not_declared_categorical_is_named():
    frame = mixed_frame()[["income", "job"]]
    space = FeatureSpace(feature_names=["income", "job"])
    with pytest.raises(TypeError, match="Column 'job' holds text or categories"):
        space.bind(frame).encode(frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"immutable": ["nope"]}, r"unknown column 'nope' in 'immutable'"),
        ({"integer": [7]}, r"'integer' refers to 7, which is neither a column name"),
        ({"bounds": (2.0, 1.0)}, r"bounds for 'a': lower 2.0 is above upper 1.0"),
        ({"bounds": {"a": 3}}, r"bounds for 'a' must be a \(lower, upper\) pair"),
        ({"scale": [1.0, 2.0, 3.0]}, r"scale: expected a scalar or 2 values, got shape \(3,\)"),
        ({"monotone": {"a": "up"}}, r"monotone direction for 'a' must be 'increase' or"),
        ({"one_hot": [["a", "b"], ["b"]]}, r"a column may belong to only one one-hot group"),
    ],
)
def test_bad_space_parameters_are_named(kwargs, message):
    space = FeatureSpace(feature_names=["a", "b"], **kwargs)
    with pytest.raises(ValueError, match=message):
        space.bind(np.zeros((2, 2)))


def test_columns_must_match_the_space():
    space = FeatureSpace(feature_names=["a", "b"])
    with pytest.raises(ValueError, match=r"X has 3 features but the FeatureSpace was built for 2"):
        space.bind(np.zeros((1, 3)))
    frame = pd.DataFrame({"a": [1.0], "c": [2.0]})
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        space.bind(frame)
    with pytest.raises(ValueError, match="same columns in another order"):
        space.bind(pd.DataFrame({"b": [1.0], "a": [2.0]}))


def test_datetime_columns_are_refused():
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    with pytest.raises(TypeError, match="Column 'when' is a datetime"):
        FeatureSpace.from_frame(frame)


def test_bad_from_frame_options():
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'scale' parameter of FeatureSpace.from_frame must be"):
        FeatureSpace.from_frame(frame, scale="mad")
    with pytest.raises(ValueError, match="'bounds' parameter of FeatureSpace.from_frame must be"):
        FeatureSpace.from_frame(frame, bounds="range")


@needs_torch
def test_categorical_values_needed_for_tensors():
    space = FeatureSpace(categorical=[0])
    with pytest.raises(ValueError, match="give the allowed values of categorical column '0'"):
        space.bind(torch.zeros(2, 2))


def _check_valid(domain, z, z0, eps, norm):
    """Every rule a finalized row must obey."""
    z, z0 = np.asarray(z, dtype=float), np.asarray(z0, dtype=float)
    nan = np.isnan(z0)
    assert np.array_equal(np.isnan(z), nan)
    same = np.where(nan, 0.0, z - z0)
    assert np.all(same[:, ~domain.mutable] == 0)
    assert np.all(same[:, domain.monotone > 0] >= 0)
    assert np.all(same[:, domain.monotone < 0] <= 0)
    lower = np.fmin(domain.lower, z0)
    upper = np.fmax(domain.upper, z0)
    assert np.all((z >= lower - 1e-6) | nan) and np.all((z <= upper + 1e-6) | nan)
    ints = z[:, domain.integer]
    assert np.all((ints == np.round(ints)) | np.isnan(ints))
    for j, allowed in domain.categories.items():
        codes = z[~nan[:, j], j]
        assert np.all(np.isin(codes, np.arange(len(allowed))))
    for group in domain.groups:
        assert np.all(z[:, group].sum(1) == 1) and np.all(np.isin(z[:, group], [0, 1]))
    sizes = np.asarray(domain.distance(z, z0, norm))
    assert np.all(sizes <= eps * (1 + 1e-5) + 1e-5), sizes.max()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    eps=st.sampled_from([0.0, 0.3, 1.0, 2.5]),
    norm=st.sampled_from(["inf", "2", "0"]),
    spread=st.sampled_from([0.5, 3.0]),
    cost=st.sampled_from([0.5, 1.0, np.inf]),
)
def test_finalize_always_returns_valid_rows_numpy(seed, eps, norm, spread, cost):
    frame = mixed_frame(12, seed % 7)
    frame.loc[frame.index[1], "income"] = np.nan
    domain = mixed_space(frame, categorical_distance=cost).bind(frame)
    z0 = domain.encode(frame)
    rng = np.random.default_rng(seed)
    candidate = z0 + rng.normal(0, spread, z0.shape) * domain.scale
    candidate[:, list(domain.categories)] = rng.integers(-1, 4, (len(z0), len(domain.categories)))
    eps_used = float(np.floor(eps)) if norm == "0" else eps
    out = domain.finalize(candidate, z0, eps_used, norm)
    _check_valid(domain, out, z0, eps_used, norm)
    decoded = domain.decode(out, frame)
    assert list(decoded.dtypes) == list(frame.dtypes)


@needs_torch
@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    eps=st.sampled_from([0.0, 0.4, 1.5]),
    norm=st.sampled_from(["inf", "2"]),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_finalize_on_tensors_matches_the_rules(seed, eps, norm, dtype):
    frame = mixed_frame(10, seed % 5).drop(columns=["city", "member", "job"])
    domain = mixed_space(frame).bind(frame, raw=True)
    z0 = torch.tensor(domain.encode(frame), dtype=getattr(torch, dtype))
    gen = torch.Generator().manual_seed(seed)
    candidate = z0 + torch.randn(z0.shape, generator=gen, dtype=z0.dtype) * 2.0
    out = domain.finalize(domain.project(candidate, z0, eps, norm), z0, eps, norm)
    assert out.dtype == z0.dtype and out.device == z0.device
    _check_valid(domain, out.double().numpy(), z0.double().numpy(), eps, norm)


def test_project_is_exact_on_analytic_cases():
    space = FeatureSpace(scale=[2.0, 1.0], bounds=(-10, 10))
    domain = space.bind(np.zeros((1, 2)))
    z0 = np.array([[1.0, 1.0]])
    out = domain.project(np.array([[9.0, 5.0]]), z0, 1.0, "inf")
    np.testing.assert_allclose(out, [[3.0, 2.0]])
    out = domain.project(np.array([[1.0 + 6.0, 1.0 + 4.0]]), z0, 1.0, "2")
    np.testing.assert_allclose(out, [[1.0 + 1.2, 1.0 + 0.8]])  # (3, 4) std units -> (0.6, 0.8)
    out = domain.project(np.array([[11.0, 0.0]]), z0, None, "inf")
    np.testing.assert_allclose(out, [[10.0, 0.0]])


def test_original_row_outside_the_bounds_stays_valid():
    domain = FeatureSpace(bounds=(0, 1)).bind(np.zeros((1, 1)))
    z0 = np.array([[5.0]])
    np.testing.assert_allclose(domain.finalize(np.array([[5.3]]), z0, 1.0, "inf"), [[5.0]])
    np.testing.assert_allclose(domain.finalize(np.array([[4.5]]), z0, 1.0, "inf"), [[4.5]])


def test_integer_rounding_moves_toward_the_original():
    domain = FeatureSpace(integer=[0]).bind(np.zeros((1, 1)))
    z0 = np.array([[3.0], [3.0]])
    out = domain.finalize(np.array([[4.9], [1.2]]), z0, 2.0, "inf")
    np.testing.assert_allclose(out, [[4.0], [2.0]])


def test_category_change_costs_categorical_distance():
    space = FeatureSpace(categorical={"c": ["x", "y"]}, feature_names=["c", "v"])
    domain = space.bind(np.zeros((1, 2)))
    z0 = np.array([[0.0, 0.0]])
    moved = np.array([[1.0, 0.5]])
    assert domain.distance(moved, z0, "inf")[0] == 1.0
    assert domain.distance(moved, z0, "2")[0] == pytest.approx(np.sqrt(1.25))
    assert domain.distance(moved, z0, "0")[0] == 2.0
    # the budget cannot pay for the category: it is undone, the numeric move is kept
    np.testing.assert_allclose(domain.finalize(moved, z0, 0.9, "inf"), [[0.0, 0.5]])
    np.testing.assert_allclose(domain.finalize(moved, z0, 1.0, "inf"), [[1.0, 0.5]])
    # under L2 the category uses the budget first, the numeric part gets the rest
    out = domain.finalize(np.array([[1.0, 2.0]]), z0, np.sqrt(1.25), "2")
    np.testing.assert_allclose(out, [[1.0, 0.5]])


def test_raw_domains_freeze_label_coded_columns():
    space = FeatureSpace(categorical={0: [0.0, 1.0, 2.0]})
    domain = space.bind(np.zeros((1, 2)), raw=True)
    z0 = np.array([[2.0, 0.0]])
    np.testing.assert_allclose(domain.project(np.array([[0.0, 0.3]]), z0, 1.0, "inf"), [[2, 0.3]])
    np.testing.assert_allclose(domain.step_mask(z0), [0.0, 1.0])


@needs_torch
def test_box_projects_any_shape():
    x0 = torch.full((2, 1, 3, 3), 0.5)
    domain = Box(0.0, 1.0).bind(x0)
    out = domain.project(x0 + 1.0, x0, 0.1, "inf")
    assert torch.allclose(out, torch.full_like(x0, 0.6))
    out = domain.project(x0 + 1.0, x0, 0.3, "2")
    assert torch.allclose(domain.distance(out, x0, "2"), torch.tensor([0.3, 0.3]))
    with pytest.raises(ValueError, match="Box: lower 1.0 is above upper 0.0"):
        Box(1.0, 0.0)


def test_norm_helpers():
    assert canonical_norm("Linf", owner="X") == "inf"
    assert canonical_norm(2, owner="X") == "2"
    with pytest.raises(ValueError, match="The 'norm' parameter of PGD must be one of"):
        canonical_norm([2], owner="PGD")
    delta = np.array([[3.0, -4.0], [0.1, 0.0]])
    np.testing.assert_allclose(norm_of(delta, "inf"), [4.0, 0.1])
    out = project_ball(delta, np.array([1.0, 1.0]), "2")
    np.testing.assert_allclose(out, [[0.6, -0.8], [0.1, 0.0]])
    np.testing.assert_allclose(project_ball(delta, 0, "0"), np.zeros((2, 2)))


def test_repr_is_short():
    space = FeatureSpace.from_frame(mixed_frame())
    assert repr(space).startswith("FeatureSpace(feature_names=")
    assert len(repr(space)) < 600


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("kind", ["numpy", pytest.param("torch", marks=needs_torch)])
def test_projector_equals_project(norm, kind):
    frame = mixed_frame(15, 3).drop(columns=["city", "member", "job"])
    frame.loc[frame.index[2], "debt"] = np.nan
    domain = mixed_space(frame).bind(frame, raw=True)
    z0 = domain.encode(frame)
    rng = np.random.default_rng(1)
    candidate = z0 + rng.normal(0, 2.0, z0.shape) * domain.scale
    eps = np.linspace(0.1, 2.0, len(z0))
    if kind == "torch":
        z0, candidate = torch.tensor(z0), torch.tensor(candidate)
    expected = np.asarray(domain.project(candidate, z0, eps, norm))
    got = np.asarray(domain.projector(z0, eps, norm)(candidate))
    np.testing.assert_allclose(got, expected, atol=1e-12)
    box = Box(0.0, 1.0).bind(z0)
    middle = np.full(tuple(candidate.shape), 0.5)
    candidate = np.tile(np.linspace(-1, 2, candidate.shape[1]), (candidate.shape[0], 1))
    if kind == "torch":
        middle, candidate = torch.tensor(middle), torch.tensor(candidate)
    np.testing.assert_allclose(
        np.asarray(box.projector(middle, 0.2, norm)(candidate)),
        np.asarray(box.project(candidate, middle, 0.2, norm)),
        atol=1e-12,
    )


def test_a_categorical_column_cannot_be_monotone():
    X = pd.DataFrame({"c": pd.Categorical(["a", "b", "a"]), "x": [1.0, 2.0, 3.0]})
    message = re.escape(
        "FeatureSpace: column(s) ['c'] are both categorical and monotone; categories have no "
        "order to increase or decrease along."
    )
    with pytest.raises(ValueError, match=message):
        FeatureSpace.from_frame(X, monotone={"c": "increase"}).bind(X)
    with pytest.raises(ValueError, match=message):
        FeatureSpace(categorical={"c": ["a", "b"]}, monotone={"c": "decrease"}).bind(X)
