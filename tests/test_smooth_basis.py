"""The smooth ratio model's basis built in row blocks, and its warm-started large path."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

import advval.drift._ratio as ratio


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 1300
    x = rng.lognormal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    levels = pd.Categorical(rng.choice(list("abcdefg"), n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.09, 0.01]))
    levels[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"x": x, "u": rng.normal(size=n), "c": levels, "k": np.ones(n)})


def test_basis_is_the_same_whatever_the_row_block(frame, monkeypatch):
    reference = ratio.SmoothBasis().fit(frame).transform(frame)
    for block in (1, 7, 5000):
        monkeypatch.setattr(ratio, "_BLOCK_ROWS", block)
        basis = ratio.SmoothBasis()
        once = basis.fit_transform(frame)
        assert np.array_equal(once, reference)
        assert np.array_equal(basis.transform(frame), reference)
    # standardised columns: mean 0 and standard deviation 1 (the constant column: 0, kept)
    assert np.allclose(reference.mean(axis=0), 0.0)
    spread = reference.std(axis=0)
    assert np.allclose(spread[spread > 0], 1.0) and (spread == 0).sum() == 1
    # terms computed independently: z of 'u' and the indicator of level 'a'
    u = frame["u"].to_numpy()
    z = np.clip((u - np.median(u)) / (np.subtract(*np.quantile(u, [0.75, 0.25])) / 1.349), -6, 6)
    columns = {name: column for name, column in basis.columns_.items()}
    start = ratio._width(columns["x"])
    assert np.allclose(reference[:, start], (z - z.mean()) / z.std())
    a = (frame["c"] == "a").to_numpy(dtype=float)
    first_level = start + ratio._width(columns["u"])
    assert columns["c"].levels[0] == "a"
    assert np.allclose(reference[:, first_level], (a - a.mean()) / a.std())


def test_column_sums_of_squares_are_the_plain_sums():
    rng = np.random.default_rng(1)
    for rows in (1, 2, 511, 512, 513, 2000):
        design = rng.normal(size=(rows, 9)) * 10.0 ** rng.integers(-3, 4, size=9)
        assert np.array_equal(ratio._column_sums_of_squares(design), (design**2).sum(axis=0))


def test_warm_started_folds_reach_the_cold_started_solution():
    rng = np.random.default_rng(2)
    n = 4000
    labels = np.r_[np.zeros(n // 2, dtype=int), np.ones(n // 2, dtype=int)]
    design = rng.normal(size=(n, 12)) + 0.4 * labels[:, None] * (np.arange(12) < 3)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(design, labels))
    cold_loss, cold = ratio._fold_fits(design, labels, splits, (1.0,))
    far = [(np.full((1, 12), 3.0), np.array([-2.0]))] * 5  # far from the optimum
    warm_loss, warm = ratio._fold_fits(design, labels, splits, (1.0,), starts=far)
    assert np.allclose(warm[0][0], cold[0][0], atol=1e-3)
    assert warm_loss[0] == pytest.approx(cold_loss[0], abs=1e-5)
    assert far[0][0][0, 0] == 3.0  # the start is not modified


def test_large_path_starts_each_fold_from_a_sample_model_that_never_saw_its_rows(
    monkeypatch,
):
    # above PENALTY_MAX_ROWS the penalty is chosen on a sample that keeps each row's
    # fold; fold k starts from the sample's fold model k: the scores match a cold start's
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0.0, 1.0, 1500), rng.normal(0.5, 0.6, 1500)]
    labels = np.r_[np.zeros(1500, dtype=int), np.ones(1500, dtype=int)]
    encoded = pd.DataFrame({"x": x, "y": rng.normal(size=3000)})
    monkeypatch.setattr(ratio, "PENALTY_MAX_ROWS", 1000)
    calls = []
    fold_fits = ratio._fold_fits

    def recording(design, labels_, splits, grid, starts=None):
        result = fold_fits(design, labels_, splits, grid, starts=starts)
        calls.append((design, splits, starts, result))
        return result

    monkeypatch.setattr(ratio, "_fold_fits", recording)
    warm = ratio.smooth_scores(encoded, labels, n_splits=5, seed=0)
    (sample_design, sample_splits, no_start, sampled), (design, splits, starts, _) = calls
    assert no_start is None and len(starts) == 5 and len(sample_design) == 1000
    chosen = ratio.PENALTY_GRID.index(warm.penalty)
    for k in range(5):
        # the sample's fold k holds out only rows that the full fold k holds out
        sample_held = {tuple(row) for row in sample_design[sample_splits[k][1]]}
        full_held = {tuple(row) for row in design[splits[k][1]]}
        assert sample_held <= full_held and len(sample_held) > 150
        assert starts[k][0] is sampled[1][chosen][1][k].coef_
    monkeypatch.setattr(ratio, "_fold_fits", lambda *args, starts=None: fold_fits(*args))
    cold = ratio.smooth_scores(encoded, labels, n_splits=5, seed=0)
    assert warm.penalty == cold.penalty
    # the same optimum, up to lbfgs's tolerance (tol=1e-4)
    assert np.abs(warm.scores - cold.scores).max() < 5e-3
    assert np.abs(warm.scores - cold.scores).mean() < 5e-4
    assert np.corrcoef(warm.scores, (x - 0.5) ** 2)[0, 1] < -0.5
