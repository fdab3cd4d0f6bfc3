"""BestPoints, updated in place on buffers of its own: exactly the step-by-step rule."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from advval.attacks.gradient.steps import BestPoints  # noqa: E402


def step_by_step(z, steps, targeted):
    """The rule, one step at a time: a row takes ``seen`` where its score (``inf`` if
    adversarial, else the loss) is at least the running maximum (NaN-propagating)."""
    point = z.clone()
    best = torch.full(z.shape[:1], -torch.inf, dtype=z.dtype)
    for logits, value, seen, labels in steps:
        predicted = logits.argmax(1)
        hit = predicted == labels if targeted else predicted != labels
        score = torch.where(hit, torch.inf, value.to(z.dtype))
        take = score >= best
        point = torch.where(take.view(-1, *([1] * (z.ndim - 1))), seen, point)
        best = torch.maximum(best, score)
    return point, best


def random_steps(generator, rows, n_steps, dtype, shape=(3,)):
    labels = torch.randint(0, 3, (rows,), generator=generator)
    steps = []
    for k in range(n_steps):
        logits = torch.randint(0, 3, (rows, 3), generator=generator).float()
        value = torch.randint(-2, 3, (rows,), generator=generator).float()  # ties
        draw = torch.rand(rows, generator=generator)
        value[draw < 0.1] = torch.nan
        value[(draw >= 0.1) & (draw < 0.2)] = -torch.inf
        seen = torch.randn((rows, *shape), generator=generator, dtype=dtype)
        steps.append((logits, value, seen, labels if k % 2 else labels.clone()))
    return steps


@pytest.mark.parametrize("targeted", [False, True])
def test_the_points_are_the_step_by_step_ones(targeted):
    generator = torch.Generator().manual_seed(int(targeted))
    for trial in range(200):
        rows, n_steps = 1 + trial % 6, trial % 9
        dtype = torch.float32 if trial % 3 == 0 else torch.float64
        z = torch.randn(rows, 3, generator=generator, dtype=dtype)
        steps = random_steps(generator, rows, n_steps, dtype)
        given = z.clone()
        best = BestPoints(z, targeted=targeted)
        for step in steps:
            best.update(*step)
        point, score = step_by_step(z, steps, targeted)
        assert torch.equal(z, given)  # the start is copied, never written
        assert torch.equal(best.point, point)
        assert torch.equal(best.score.isnan(), score.isnan())
        assert torch.equal(best.score.nan_to_num(), score.nan_to_num())


def test_points_are_read_between_updates_and_restarts_pick_the_best_run():
    z = torch.zeros(4, 1)
    labels = torch.tensor([0, 0, 0, 0])
    best = BestPoints(z, targeted=False)
    clean = torch.tensor([[5.0, 0.0]] * 4)
    best.update(clean, torch.tensor([1.0, 2.0, 3.0, 0.5]), z + 1, labels)
    assert best.point.flatten().tolist() == [1.0, 1.0, 1.0, 1.0]
    fooled = torch.tensor([[0.0, 5.0], [5.0, 0.0], [5.0, 0.0], [5.0, 0.0]])
    best.update(fooled, torch.tensor([0.0, 1.0, 4.0, 0.5]), z + 2, labels)
    # row 0 fooled (latest hit), row 1 lower loss (kept), rows 2 and 3 at least as high
    assert best.point.flatten().tolist() == [2.0, 1.0, 2.0, 2.0]
    # two restarts of two samples (rows 0, 2 and 1, 3): sample 0 is fooled in run 0 (inf
    # beats 4.0 in run 1); sample 1 scores 2.0 in run 0, 0.5 in run 1
    point, score = best.best(2)
    assert point.flatten().tolist() == [2.0, 1.0]
    assert score.tolist() == [torch.inf, 2.0]


def test_a_channels_last_batch_stays_channels_last():
    z = torch.zeros(2, 3, 4, 4).contiguous(memory_format=torch.channels_last)
    best = BestPoints(z, targeted=False)
    seen = (z + 1).contiguous(memory_format=torch.channels_last)
    best.update(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([1.0, -1.0]), seen,
                torch.tensor([0, 0]))
    point = best.pick(2)
    assert point.is_contiguous(memory_format=torch.channels_last)
    assert point[:, 0, 0, 0].tolist() == [1.0, 1.0]
