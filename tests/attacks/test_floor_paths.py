"""The floor-cost paths of the gradient attacks give what the plain paths give, bit for bit.

- PGD's final check reads the logits of its last iterate where the returned row is that
  iterate bit for bit (one restart, full precision, CPU), instead of a second forward
  pass of the same rows: same rows, success, queries and norms as with the second pass,
  and the same refusal of NaN logits;
- the +-inf / NaN input check of a CPU tensor looks through a NumPy view: the same
  refusals, word for word, as the torch test.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.attacks import (  # noqa: E402
    FGSM,
    PGD,
    FeatureSpace,
    _space,  # noqa: E402
)
from advval.attacks.gradient._target import TorchTarget, same_bits  # noqa: E402

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


class Counted(torch.nn.Module):
    """A small MLP that counts its forward passes."""

    def __init__(self, n_features: int = 5, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
        )
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.net(x)


def _rows(n: int = 40, n_features: int = 5, seed: int = 0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, n_features, generator=generator, dtype=dtype)


def _outputs(attack, X, y):
    out = attack.generate(X, y)
    out = out.numpy() if torch.is_tensor(out) else np.asarray(out)
    return out.tobytes(), attack.success_.tobytes(), attack.queries_.tobytes(), \
        attack.norms_.tobytes()


# -- same_bits ---------------------------------------------------------------------------


def test_same_bits_tells_nan_and_signed_zeros_apart_exactly():
    nan, inf = float("nan"), float("inf")
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        a = torch.tensor([0.0, nan, inf, -inf, 1.5], dtype=dtype)
        assert same_bits(a, a.clone())  # NaN equals itself bit for bit
        assert not same_bits(a, torch.tensor([-0.0, nan, inf, -inf, 1.5], dtype=dtype))
        assert not same_bits(a, a.to(torch.float32 if dtype != torch.float32 else
                                       torch.float64))  # dtypes differ
        assert not same_bits(a, a[:4])
        b = a.clone()
        bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[a.element_size()]
        b.view(bits)[4] += 1  # the next float after 1.5
        assert b[4] > a[4] and not same_bits(a, b)
    negative_nan = -torch.tensor([nan])
    assert not same_bits(torch.tensor([nan]), negative_nan)  # the sign bit counts


# -- the final check reads the scored logits ---------------------------------------------


def _target(model, n, **kwargs):
    return TorchTarget(model, n_samples=n, max_queries=None, dtype=torch.float32, **kwargs)


def test_the_final_check_reads_the_scored_logits_of_the_very_same_rows():
    model, z = Counted(), _rows(8)
    target = _target(model, 8)
    fake = torch.zeros(8, 3)
    fake[:, 2] = 1.0  # the module would not say class 2 for every row: proof of the read
    target.keep_scored(z, fake)
    calls = model.calls
    assert target.labels(z.clone(), None).tolist() == [2] * 8
    assert model.calls == calls  # no forward pass
    assert target.queries.tolist() == [1] * 8  # the check's query is counted
    assert target.scored is None  # read once
    # read again, the same rows go through the module
    with torch.no_grad():
        assert target.labels(z, None).tolist() == model.net(z).argmax(1).tolist()
    assert model.calls == calls + 1


def test_other_rows_a_subset_or_a_signed_zero_go_through_the_module():
    model, z = Counted(), _rows(6)
    z[0, 0] = 0.0
    other = z.clone()
    other[0, 0] = -0.0  # the same number, another row bit for bit
    target = _target(model, 6)
    for rows, given in ((other, None), (z, np.arange(6))):
        target.keep_scored(z, torch.zeros(6, 3))
        calls = model.calls
        with torch.no_grad():
            expected = model.net(rows).argmax(1).tolist()
        assert target.labels(rows, given).tolist() == expected
        assert model.calls == calls + 1


def test_scored_logits_are_kept_only_as_the_check_would_compute_them():
    model, z = Counted(), _rows(6)
    half = _target(model, 6, autocast=torch.bfloat16)
    half.keep_scored(z, torch.zeros(6, 3))
    assert half.scored is None  # reduced precision: never the check's logits
    restarts = _target(model, 3)
    restarts.keep_scored(z, torch.zeros(6, 3))
    assert restarts.scored is None  # stacked restarts: not one row per sample


def test_nan_scored_logits_are_refused_as_the_forward_pass_would_be():
    model, z = Counted(), _rows(4)
    target = _target(model, 4)
    logits = torch.zeros(4, 3)
    logits[1, 0] = torch.nan
    target.keep_scored(z, logits)
    with pytest.raises(ValueError, match="1 of 4"):
        target.labels(z, None)


@needs_cuda
def test_rows_on_a_gpu_are_not_kept_and_go_through_the_module():
    model, z = Counted(), _rows(6).cuda()
    target = _target(model.cuda(), 6)
    target.keep_scored(z, torch.zeros(6, 3, device="cuda"))
    assert target.scored is None


@pytest.mark.parametrize("norm", ["inf", 2])
def test_pgd_gives_what_a_second_forward_pass_gives_and_saves_it(norm, monkeypatch):
    spaces = {
        "box": FeatureSpace(bounds=(0.0, 1.0)),
        "free": FeatureSpace(bounds=(-10.0, 10.0)),
        "whole": FeatureSpace(bounds=(0.0, 1.0), integer=[0]),
        None: None,
    }
    read = 0
    cases = [(space, eps, steps, dtype, seed)
             for space in spaces for eps in (0.05, 0.5) for steps in (1, 5)
             for dtype in (torch.float32, torch.float64) for seed in (0, 1)]
    runs = {}
    for keep in (True, False):
        if not keep:
            monkeypatch.setattr(TorchTarget, "keep_scored", lambda self, rows, logits: None)
        for space, eps, steps, dtype, seed in cases:
            model = Counted(seed=seed).to(dtype)
            X = _rows(30, seed=seed, dtype=dtype)
            if space == "whole":
                X[:, 0] = X[:, 0].round()
            attack = PGD(model, eps=eps, norm=norm, steps=steps, random_state=seed,
                         feature_space=spaces[space])
            runs[keep, space, eps, steps, dtype, seed] = (
                _outputs(attack, X, None), model.calls
            )
    for case in cases:
        (kept, kept_calls), (plain, plain_calls) = runs[(True, *case)], runs[(False, *case)]
        assert kept == plain, case
        assert kept_calls in (plain_calls, plain_calls - 1), case
        read += kept_calls == plain_calls - 1
    # the second pass is saved where the returned row is the last iterate bit for bit:
    # often under L-inf; under L2 the final ball projection often moves the last bits
    assert read >= (len(cases) // 4 if norm == "inf" else 1), read


BOX = FeatureSpace(bounds=(0.0, 1.0))


class Noisy(Counted):
    """A randomized defense: noise from torch's default generator on every forward pass."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x + 0.05 * torch.rand(x.shape, dtype=x.dtype))


def test_a_model_that_draws_at_random_gets_a_fresh_draw_for_the_final_check(monkeypatch):
    # the last iterate's logits were one draw, the one that made it the best point:
    # scoring its success on that same draw would flatter the attack
    plain = Counted(seed=3)
    PGD(plain, eps=0.05, steps=1, random_state=0, feature_space=BOX).generate(_rows(30, seed=3))
    runs = {}
    for keep in (True, False):
        if not keep:
            monkeypatch.setattr(TorchTarget, "keep_scored", lambda self, rows, logits: None)
        model, X = Noisy(seed=3), _rows(30, seed=3)
        torch.manual_seed(11)
        attack = PGD(model, eps=0.05, steps=1, random_state=0, feature_space=BOX)
        outputs = _outputs(attack, X, None)
        runs[keep] = outputs, model.calls
    assert runs[True] == runs[False]
    # while the same model without its noise saves the pass (the guard is what differs)
    assert plain.calls == runs[True][1] - 1


# -- the input check through a NumPy view ------------------------------------------------


def _refusal(X, owner="FGSM.generate"):
    try:
        _space.check_input_data(X, owner=owner)
    except ValueError as error:
        return str(error)
    return None


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_the_input_check_refuses_as_the_torch_test_does(dtype, monkeypatch):
    table = torch.zeros(7, 4, dtype=dtype)
    table[2, 1], table[5, 1], table[5, 3] = torch.inf, -torch.inf, torch.inf
    table[0, 0] = torch.nan  # a missing value: allowed in a table
    image = torch.zeros(3, 1, 2, 2, dtype=dtype)
    image[1, 0, 1, 1] = torch.nan
    zeros = torch.zeros(3, 4, dtype=dtype)
    zeros[0, 0] = -0.0
    cases = [table, image, zeros, table[:, 0:1], torch.zeros(0, 4, dtype=dtype)]
    seen = [_refusal(X) for X in cases]
    monkeypatch.setattr(_space, "_NUMPY_VIEWABLE", frozenset())  # the torch test
    assert seen == [_refusal(X) for X in cases]
    assert "column(s) ['1', '3'] (2 of 7 rows)" in seen[0]
    assert "1 NaN or infinite value(s) in 1 of 3 samples" in seen[1]
    assert seen[2:] == [None, None, None]


def test_the_input_check_leaves_a_tensor_that_needs_grad_as_it_was():
    X = torch.zeros(3, 2, requires_grad=True)
    assert _refusal(X) is None
    X2 = X.detach().clone()
    X2[0, 0] = torch.inf
    X2.requires_grad_(True)
    assert "column(s) ['0']" in _refusal(X2)
    assert X2.requires_grad and X2.grad is None


@needs_cuda
def test_a_gpu_tensor_takes_the_torch_test():
    X = torch.zeros(3, 2, device="cuda")
    X[1, 1] = torch.inf
    assert "column(s) ['1'] (1 of 3 rows)" in _refusal(X)
    assert _refusal(torch.zeros(3, 2, device="cuda")) is None


def test_fgsm_refuses_infinite_tensor_rows_by_column():
    model = Counted()
    X = _rows(5)
    X[3, 2] = -torch.inf
    with pytest.raises(ValueError, match=r"column\(s\) \['2'\] \(1 of 5 rows\)"):
        FGSM(model, eps=0.1).generate(X)


# -- the best-point update through NumPy views -------------------------------------------


def _steps_with_nan_logits(generator, rows, n_steps, dtype, shape):
    labels = torch.randint(0, 3, (rows,), generator=generator)
    steps = []
    for _ in range(n_steps):
        logits = torch.randint(0, 3, (rows, 3), generator=generator).to(dtype)  # ties
        draw = torch.rand(rows, 3, generator=generator)
        logits[draw < 0.1] = torch.nan
        logits[(draw >= 0.1) & (draw < 0.15)] = torch.inf
        value = torch.randint(-2, 3, (rows,), generator=generator).float()
        cut = torch.rand(rows, generator=generator)
        value[cut < 0.1] = torch.nan
        value[(cut >= 0.1) & (cut < 0.2)] = -torch.inf
        value[(cut >= 0.2) & (cut < 0.25)] = -0.0
        seen = torch.randn((rows, *shape), generator=generator, dtype=dtype)
        if len(shape) == 3:
            seen = seen.contiguous(memory_format=torch.channels_last)
        steps.append((logits, value, seen, labels))
    return steps


@pytest.mark.parametrize("targeted", [False, True])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_the_numpy_update_keeps_the_points_and_scores_of_the_torch_one(targeted, dtype):
    from advval.attacks.gradient._runs import BestPoints

    generator = torch.Generator().manual_seed(7 + int(targeted))
    for trial in range(60):
        rows, n_steps = 1 + trial % 7, 1 + trial % 6
        shape = (2, 3, 3) if trial % 4 == 0 else (4,)
        z = torch.randn((rows, *shape), generator=generator, dtype=dtype)
        if len(shape) == 3:
            z = z.contiguous(memory_format=torch.channels_last)
        steps = _steps_with_nan_logits(generator, rows, n_steps, dtype, shape)
        viewed, plain = BestPoints(z, targeted=targeted), BestPoints(z, targeted=targeted)
        assert viewed._views is not None
        plain._views = None  # the torch update
        for step in steps:
            viewed.update(*step)
            plain.update(*step)
            assert same_bits(viewed.point, plain.point)
            # the scores are equal numbers; the sign of a zero score is not a number (and
            # torch's own maximum gives 0.0 or -0.0 depending on the batch's length)
            assert torch.equal(viewed.score.isnan(), plain.score.isnan())
            assert torch.equal(viewed.score.nan_to_num(), plain.score.nan_to_num())
        assert viewed.point.is_contiguous(memory_format=torch.channels_last) == (
            len(shape) == 3
        )


def test_the_update_takes_the_torch_path_where_numpy_cannot_view():
    from advval.attacks.gradient._runs import BestPoints

    z = torch.zeros(3, 2, dtype=torch.bfloat16)
    best = BestPoints(z, targeted=False)
    assert best._views is None
    logits = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=torch.bfloat16)
    best.update(logits, torch.ones(3), z + 1, torch.tensor([0, 0, 0]))
    assert best.point.tolist() == [[1.0, 1.0]] * 3
    assert best.score.tolist() == [1.0, float("inf"), 1.0]


@needs_cuda
def test_the_update_takes_the_torch_path_on_a_gpu():
    from advval.attacks.gradient._runs import BestPoints

    z = torch.zeros(3, 2, device="cuda")
    best = BestPoints(z, targeted=False)
    assert best._views is None
    logits = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], device="cuda")
    best.update(logits, torch.ones(3, device="cuda"), z + 1,
                torch.tensor([0, 0, 0], device="cuda"))
    assert best.point.device.type == "cuda"
    assert best.score.tolist() == [1.0, float("inf"), 1.0]


# -- the final check's test for NaN and infinite logits ----------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_largest_logits_are_finite_and_nan_or_inf_are_refused(dtype):
    big = torch.finfo(dtype).max

    class Fixed(torch.nn.Module):
        def __init__(self, logits):
            super().__init__()
            self.logits = logits

        def forward(self, x):
            return self.logits

    huge = torch.tensor([[big, 0.0], [big, big], [0.0, big]], dtype=dtype)
    target = TorchTarget(Fixed(huge), n_samples=3, max_queries=None, dtype=dtype)
    assert target.labels(torch.zeros(3, 2, dtype=dtype), None).tolist() == [0, 0, 1]
    for bad in (torch.nan, torch.inf, -torch.inf):
        logits = huge.clone()
        logits[2, 0] = bad
        target = TorchTarget(Fixed(logits), n_samples=3, max_queries=None, dtype=dtype)
        with pytest.raises(ValueError, match="1 of 3"):
            target.labels(torch.zeros(3, 2, dtype=dtype), None)


# -- whole-number columns of an implicit space, tested on the whole matrix ---------------


def _whole_by_definition(frame):
    """The definition, column by column (as whole_number_columns read before)."""
    import pandas as pd

    found = []
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        if not pd.api.types.is_float_dtype(column.dtype):
            continue
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        values = values[~np.isnan(values)]
        if (values.size and np.all(np.abs(values) < 2.0**53)
                and np.all(values == np.round(values)) and np.unique(values).size >= 3):
            found.append(str(name))
    return found


def test_whole_number_columns_on_the_matrix_follow_the_definition():
    import pandas as pd

    from advval.attacks._space import whole_number_columns

    rng = np.random.RandomState(0)
    for trial in range(120):
        n = 1 + trial % 9
        columns = {}
        for j in range(6):
            kind = rng.randint(7)
            if kind == 0:
                values = rng.randint(-5, 5, n).astype(float)  # whole
            elif kind == 1:
                values = rng.randn(n)
            elif kind == 2:
                values = rng.choice([0.0, 1.0], n)  # whole, < 3 distinct
            elif kind == 3:
                values = np.full(n, np.nan)
            elif kind == 4:
                values = rng.choice([2.0**53, 3.0, -1.0, np.inf, -0.0], n)
            elif kind == 5:
                values = rng.randint(0, 9, n)  # an integer dtype: not a float column
            else:
                values = rng.randint(0, 9, n).astype(float) + rng.choice([0, 0.5], n)
            if kind != 5 and rng.rand() < 0.4:
                values = np.where(rng.rand(n) < 0.3, np.nan, values)
            dtype = np.float32 if kind != 5 and rng.rand() < 0.3 else None
            columns[f"c{j}"] = values.astype(dtype) if dtype else values
        frame = pd.DataFrame(columns)
        assert whole_number_columns(frame) == _whole_by_definition(frame), trial
        as_array = frame.select_dtypes("float").to_numpy()
        assert whole_number_columns(as_array) == _whole_by_definition(pd.DataFrame(
            as_array, columns=[str(j) for j in range(as_array.shape[1])]))
    nullable = pd.DataFrame({"a": pd.array([1.0, None, 3.0, 2.0], dtype="Float64"),
                             "b": [1.0, 2.0, 3.0, 4.0]})
    assert whole_number_columns(nullable) == _whole_by_definition(nullable) == ["a", "b"]
