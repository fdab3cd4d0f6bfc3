"""The per-call cuts of the attacks' fixed cost give what the plain code gives, bit for bit.

- the exact projection and the size of a numeric table's rows, on tensors of one dtype,
  work in place in the fresh difference ``x - x0``: the same kernels on the same operands
  as the out-of-place code (here the reference, with the in-place path switched off), so
  the same bits, NaN, signed zeros and huge changes included; the arguments are untouched;
- so does the bound on float32 rounding that the budget check adds where it matters;
- the budget check reads a CPU tensor through NumPy: the same answer as the torch
  comparison on values one unit in the last place around the limit;
- the whole-number test of a matrix rules columns out on their first rows and the facts
  of a matrix read ``isnan`` once: the same answers as the definitions, computed here
  directly (``nanstd``, ``nanmin``, ``nanmax``, every value whole and enough distinct).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import FGSM, PGD, FeatureSpace, _space  # noqa: E402


def _bits(t):
    return t.detach().contiguous().view(-1).numpy().view(np.uint8).tobytes()


def _case(seed: int, dtype):
    """Rows ``x0`` with NaN, signed zeros and huge values, and candidates ``x`` around them
    with NaN of their own, infinities and steps beyond any ball."""
    rng = np.random.RandomState(seed)
    n, f = int(rng.choice([1, 3, 17])), int(rng.choice([1, 4, 9]))
    x0 = rng.randn(n, f) * rng.choice([1.0, 1e-3, 1e4])
    x0[rng.rand(n, f) < 0.15] = np.nan
    x0[rng.rand(n, f) < 0.1] = -0.0
    x = x0 + rng.randn(n, f) * rng.choice([0.01, 1.0, 100.0])
    x[rng.rand(n, f) < 0.1] = np.nan
    x[rng.rand(n, f) < 0.05] = np.inf
    x[rng.rand(n, f) < 0.05] = -np.inf
    x[rng.rand(n, f) < 0.05] = 1e30
    kw: dict = {"bounds": (-rng.rand() * 50, rng.rand() * 50)}
    if rng.rand() < 0.5:
        kw["scale"] = [float(v) for v in rng.rand(f) * 3 + 0.01]
    if rng.rand() < 0.3 and f > 1:
        kw["immutable"] = [0]
    domain = FeatureSpace(**kw).bind(np.zeros((1, f)), raw=True)
    return torch.tensor(x, dtype=dtype), torch.tensor(x0, dtype=dtype), domain, rng


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm", ["inf", "2"])
def test_the_in_place_projection_and_size_are_the_plain_ones_bit_for_bit(
    dtype, norm, monkeypatch
):
    cases = []
    for seed in range(60):
        x, x0, domain, rng = _case(seed, dtype)
        eps = float(rng.choice([0.0, 0.05, 1.0, 7.5]))
        per_row = rng.rand(len(x)) + 0.01 if rng.rand() < 0.3 else None
        cases.append((x, x0, domain, per_row if per_row is not None else eps))
    fast = []
    for x, x0, domain, eps in cases:
        before = (_bits(x), _bits(x0))
        projected, size = domain.finalize_with_size(x, x0, eps, norm)
        assert (_bits(x), _bits(x0)) == before  # the arguments are left as they were
        fast.append((_bits(projected), _bits(size), _bits(domain._size(x, x0, norm))))
    # the reference: the same calls with the in-place path switched off
    monkeypatch.setattr(_space, "_own_buffers", lambda xp, x, x0: False)
    for (x, x0, domain, eps), got in zip(cases, fast, strict=True):
        projected, size = domain.finalize_with_size(x, x0, eps, norm)
        assert got == (_bits(projected), _bits(size), _bits(domain._size(x, x0, norm)))


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_the_in_place_rounding_bound_is_the_plain_one(norm, monkeypatch):
    cases = [_case(seed, torch.float32)[:3] for seed in range(60)]
    fast = [domain._rounding(x, x0, norm) for x, x0, domain in cases]
    monkeypatch.setattr(_space, "_own_buffers", lambda xp, x, x0: False)
    for (x, x0, domain), got in zip(cases, fast, strict=True):
        want = domain._rounding(x, x0, norm).numpy()
        got = got.numpy()
        nan = np.isnan(want)  # a NaN bound compares false whatever its sign bit
        assert np.array_equal(np.isnan(got), nan)
        assert got[~nan].tobytes() == want[~nan].tobytes()


def test_the_in_place_path_is_taken_only_for_one_dtype_outside_autograd():
    x = torch.zeros(2, 3)
    assert _space._own_buffers(torch, x, x)
    assert not _space._own_buffers(torch, x, x.double())
    assert not _space._own_buffers(torch, x.requires_grad_(True), torch.zeros(2, 3))
    assert not _space._own_buffers(np, np.zeros((2, 3)), np.zeros((2, 3)))


def test_a_projection_that_needs_grad_keeps_its_graph():
    domain = FeatureSpace(bounds=(0, 1)).bind(np.zeros((1, 3)), raw=True)
    x = torch.full((2, 3), 0.9, requires_grad=True)
    out = domain.project(x, torch.full((2, 3), 0.5), 0.2, "inf")
    out.sum().backward()
    assert torch.equal(out.detach(), torch.full((2, 3), 0.7))
    assert torch.equal(x.grad, torch.zeros(2, 3))  # clipped by the ball: no gradient


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_the_numpy_budget_check_answers_as_the_torch_comparison(dtype):
    for eps in (0.05, 0.1, 1 / 3, 2.0, 1e-3, 0.123456789, 5.5, 1e-8):
        limit = eps * (1 + _space._TOLERANCE) + _space._TOLERANCE
        nearest = torch.tensor([limit], dtype=dtype)
        up, down = nearest.clone(), nearest.clone()
        values = [nearest]
        for _ in range(3):  # a few units in the last place either side of the limit
            up = torch.nextafter(up, torch.tensor([np.inf], dtype=dtype))
            down = torch.nextafter(down, torch.tensor([-np.inf], dtype=dtype))
            values += [up, down]
        for value in values:
            want = bool((value > limit).any())
            assert _space._any_above(value, limit) is want, (dtype, eps, value)
    nan = torch.tensor([float("nan")])
    assert _space._any_above(nan, 0.1) is False
    per_row = torch.tensor([0.1, 0.2])  # a limit per row: the torch comparison
    assert _space._any_above(torch.tensor([0.15, 0.15]), per_row) is True


def _whole_by_definition(matrix: np.ndarray) -> np.ndarray:
    out = []
    for column in matrix.T:
        values = column[~np.isnan(column)]
        whole = (
            values.size > 0
            and bool(np.all((np.abs(values) < 2.0**53) & (values == np.round(values))))
            and np.unique(values).size >= _space.MIN_WHOLE_VALUES
        )
        out.append(whole)
    return np.array(out, dtype=bool)


def test_whole_columns_ruled_out_on_their_first_rows_follow_the_definition():
    rng = np.random.RandomState(0)
    for trial in range(300):
        n, f = int(rng.choice([0, 1, 5, 8, 9, 40])), int(rng.choice([0, 1, 6]))
        m = rng.randn(n, f) * 10
        for j in range(f):
            kind = rng.randint(6)
            if kind == 0:
                m[:, j] = rng.randint(-4, 5, n)
            elif kind == 1:  # whole in the first rows only
                m[: _space._HEAD_ROWS, j] = np.round(m[: _space._HEAD_ROWS, j])
            elif kind == 2:  # whole after the first rows only
                m[_space._HEAD_ROWS:, j] = np.round(m[_space._HEAD_ROWS:, j])
            elif kind == 3:
                m[:, j] = 2.0**60
            elif kind == 4:
                m[:, j] = np.nan
            if rng.rand() < 0.3:
                m[rng.rand(n) < 0.4, j] = np.nan
        m = np.asfortranarray(m)
        want = _whole_by_definition(m)
        assert np.array_equal(_space._whole_mask(m), want), trial
        assert np.array_equal(_space._whole_mask(m, np.isnan(m)), want), trial


def test_the_facts_of_a_matrix_are_their_definitions_with_or_without_gaps():
    rng = np.random.RandomState(1)
    for trial in range(200):
        n, f = int(rng.choice([0, 1, 2, 7, 30])), int(rng.choice([0, 1, 5]))
        m = rng.randn(n, f) * rng.choice([1.0, 1e3])
        if rng.rand() < 0.5:
            m[rng.rand(n, f) < 0.2] = np.nan
        if rng.rand() < 0.2 and f:
            m[:, 0] = np.nan
        m = np.asfortranarray(m)
        names = [f"c{j}" for j in range(f)]
        facts = _space._matrix_facts(m, names, "data", "std", False)
        seen = ~np.isnan(m).all(axis=0)
        assert np.array_equal(facts.seen, seen), trial
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-NaN columns
            std = np.nanstd(m, axis=0, ddof=1) if n >= 2 else np.ones(f)
            low = np.nanmin(m, axis=0) if n else np.full(f, np.inf)
            high = np.nanmax(m, axis=0) if n else np.full(f, -np.inf)
        spread = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        assert facts.scale.tobytes() == spread.tobytes(), trial
        assert np.array_equal(facts.lower, np.where(seen, low, -np.inf)), trial
        assert np.array_equal(facts.upper, np.where(seen, high, np.inf)), trial
        assert np.array_equal(facts.integer, _whole_by_definition(m)), trial


@pytest.mark.parametrize("attack", [FGSM, PGD])
def test_an_attack_with_no_space_equals_one_with_the_space_from_the_rows(attack):
    from advval.attacks._space import domain_for

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    model = model.requires_grad_(False).eval()
    X = torch.randn(30, 6) * 3
    X[:, 4] = X[:, 4].round()
    domain = domain_for(X, feature_space=None, bounds=None, raw=True)
    space = FeatureSpace(
        bounds={j: (float(lo), float(hi)) for j, (lo, hi) in enumerate(
            zip(domain.lower, domain.upper, strict=True))},
        scale={j: float(s) for j, s in enumerate(domain.scale)},
        integer=[j for j in range(6) if domain.integer[j]],
    )
    kwargs = {"eps": 0.3, "random_state": 0} if attack is PGD else {"eps": 0.3}
    a, b = attack(model, **kwargs), attack(model, feature_space=space, **kwargs)
    out_a, out_b = a.generate(X), b.generate(X)
    assert _bits(out_a) == _bits(out_b)
    assert np.array_equal(a.success_, b.success_) and a.norms_.tobytes() == b.norms_.tobytes()
    assert int(domain.integer.sum()) == 1  # the rounded column, read as integer
