"""What the cheaper gradient attacks must keep: dtypes, fresh per-call state, APGD-T's
strength while it drops fooled samples, and progress lines on the command line."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from advval.attacks import APGD, FGSM, PGD, FeatureSpace  # noqa: E402
from advval.attacks.gradient import AutoAttack  # noqa: E402
from advval.attacks.gradient.steps import TorchTarget, subset_target  # noqa: E402
from advval.cli import ExitCode, cli  # noqa: E402


def _linear(n_features: int, n_classes: int, seed: int, scale: np.ndarray | None = None):
    """A fixed random linear model (raw units: weights divided by ``scale``)."""
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(n_features, n_classes)
    with torch.no_grad():
        weight = torch.randn(n_classes, n_features, generator=generator)
        if scale is not None:
            weight = weight / torch.as_tensor(scale, dtype=torch.float32)
        model.weight.copy_(weight)
        model.bias.zero_()
    return model.requires_grad_(False).eval()


@pytest.fixture(scope="module")
def large_values():
    """Rows with values near 1000 and a spread of a few units (float32's coarse range)."""
    rng = np.random.default_rng(0)
    X = 1000 + rng.normal(size=(60, 5)) * np.array([3.0, 5.0, 1.0, 4.0, 2.0])
    model = _linear(5, 2, 0, scale=X.std(0))
    with torch.no_grad():  # centre the model on the data so both classes occur
        model.bias.copy_(-(model.weight @ torch.as_tensor(X.mean(0), dtype=torch.float32)))
    return model, X


@pytest.mark.parametrize("attack", [FGSM, PGD, APGD])
def test_float32_arrays_are_searched_and_returned_in_float32(large_values, attack, monkeypatch):
    model, X = large_values
    space = FeatureSpace.from_frame(X)
    seen: list[torch.dtype] = []
    forward = TorchTarget.forward

    def spy(self, z, rows=None, *, exact=False):
        seen.append(z.dtype)
        return forward(self, z, rows, exact=exact)

    monkeypatch.setattr(TorchTarget, "forward", spy)
    settings = {"eps": 0.3, "feature_space": space, "random_state": 0}
    if attack is not FGSM:
        settings["steps"] = 10
    wide = attack(model, **settings)
    out64 = wide.generate(X)
    assert out64.dtype == np.float64 and set(seen) == {torch.float64}
    seen.clear()
    narrow = attack(model, **settings)
    out32 = narrow.generate(X.astype(np.float32))
    assert out32.dtype == np.float32 and set(seen) == {torch.float32}
    # the float32 search finds what the float64 one finds: rounding near 1000 (a unit in
    # the last place of 6e-5, against a radius of ~1) does not reset rows to the input
    assert narrow.success_.sum() >= 0.9 * wide.success_.sum() > 0
    assert np.all(narrow.norms_[narrow.success_] > 0.25)
    # within the budget up to float32's resolution at these values (what the data can
    # represent: a unit in the last place of 1000 is 6e-5), measured again in float64
    scale = space.bind(X).scale
    slack = 2 * np.finfo(np.float32).eps * (np.abs(X) / scale).max()
    assert np.all(narrow.norms_ <= 0.3 + slack)
    change = np.abs(out32.astype(np.float64) - X.astype(np.float32)) / scale
    assert change.max() <= 0.3 + slack


def test_a_changed_model_is_read_afresh_on_every_call():
    """Device, dtype and class count are read per call: never a stale cache."""
    X = torch.randn(20, 4, generator=torch.Generator().manual_seed(1))
    model = _linear(4, 3, 1)
    attack = PGD(model, eps=0.5, steps=5, feature_space=FeatureSpace(), random_state=0)
    attack.generate(X)
    model.double()  # the same module, now in float64
    out = attack.generate(X.double())
    assert out.dtype == torch.float64 and attack.success_.any()
    # a new head with more classes: labels beyond the old count are accepted
    wider = torch.nn.Sequential(model, torch.nn.Linear(3, 5).double()).requires_grad_(False)
    attack.model = wider
    y = torch.full((20,), 4)
    attack.generate(X.double(), y)
    assert attack.queries_.max() == 5 + 1 + 1  # steps, last iterate, check: no probe
    with pytest.raises(ValueError, match="5"):
        attack.generate(X.double(), torch.full((20,), 5))


def test_the_class_count_comes_from_the_labels_pass_without_a_probe(monkeypatch):
    model = _linear(4, 3, 2)
    X = torch.randn(10, 4, generator=torch.Generator().manual_seed(2))
    calls: list[int] = []
    forward = TorchTarget.forward

    def spy(self, z, rows=None, *, exact=False):
        calls.append(len(z))
        return forward(self, z, rows, exact=exact)

    monkeypatch.setattr(TorchTarget, "forward", spy)
    FGSM(model, eps=0.1, feature_space=FeatureSpace()).generate(X)
    assert calls == [10, 10, 10]  # labels, gradient, final check: no 2-row probe
    calls.clear()
    FGSM(model, eps=0.1, feature_space=FeatureSpace()).generate(X, torch.zeros(10, dtype=int))
    assert calls == [10, 10]  # y given: gradient and check; the count from the gradient's
    calls.clear()
    APGD(model, eps=0.1, steps=2, feature_space=FeatureSpace(), random_state=0).generate(
        X, torch.zeros(10, dtype=int)
    )
    assert calls[0] == 2  # APGD needs the count before its first pass: one 2-row probe
    calls.clear()
    with pytest.raises(ValueError, match=r"y contains the label 3, .* classes are \[0, 1, 2\]"):
        FGSM(model, eps=0.1, feature_space=FeatureSpace()).generate(X, torch.full((10,), 3))
    assert calls == [10]  # refused at the first logits, before any step is taken
    with pytest.raises(ValueError, match="label -1"):  # not an index: checked up front
        FGSM(model, eps=0.1, feature_space=FeatureSpace()).generate(X, torch.full((10,), -1))


def test_subset_target_keeps_counts_codes_and_reserve():
    model = _linear(3, 2, 3)
    fixed = torch.arange(12.0).reshape(4, 3)
    coded = torch.tensor([False, True, False])
    target = TorchTarget(model, n_samples=4, max_queries=10, dtype=torch.float32,
                         fixed=fixed, coded=coded)
    target.queries[:] = [1, 2, 3, 4]
    target.classes_ = np.arange(2)
    sub = subset_target(target, np.array([3, 1]), reserve=1)
    assert sub.queries.tolist() == [4, 2] and sub.max_queries == 9
    assert torch.equal(sub.fixed, fixed[[3, 1]]) and sub.classes_.tolist() == [0, 1]
    sub.queries += 1
    assert target.queries.tolist() == [1, 2, 3, 4]  # a copy: the caller writes it back


@pytest.fixture(scope="module")
def ten_classes():
    """A fixed random 10-class linear model on 16 features, with its own labels."""
    model = _linear(16, 10, 4)
    X = torch.rand(60, 16, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        y = model(X).argmax(1)
    return model, X, y


def test_apgd_t_drops_fooled_samples_and_keeps_its_strength(ten_classes, monkeypatch):
    model, X, y = ten_classes
    rows: list[int] = []
    gradient = TorchTarget.gradient

    def spy(self, z, labels, fn, snap=None):
        rows.append(len(z))
        return gradient(self, z, labels, fn, snap)

    monkeypatch.setattr(TorchTarget, "gradient", spy)
    settings = {"eps": 0.05, "bounds": (0, 1), "steps": 10, "random_state": 0}
    attack = APGD(model, loss="dlr-targeted", n_target_classes=9, **settings)
    X_adv = attack.generate(X, y)
    with torch.no_grad():
        fooled = (model(X_adv).argmax(1) != y).numpy()
    assert np.array_equal(fooled, attack.success_)
    assert 0 < attack.success_.mean() < 1
    # the first target sees every sample, later ones only the survivors: fewer rows
    per_target = rows[::10]
    assert per_target[0] == len(X) and per_target[-1] < len(X)
    assert per_target == sorted(per_target, reverse=True)
    assert per_target[-1] == (~attack.success_).sum() or len(per_target) < 9
    # queries: a fooled sample stops; a survivor pays ranking + 9 targets x 11 + check
    assert attack.queries_.max() == 1 + 9 * 11 + 1
    assert attack.queries_[attack.success_].min() < attack.queries_.max()
    # at least as strong as a single-target run and as the untargeted DLR at equal steps
    one = APGD(model, loss="dlr-targeted", n_target_classes=1, **settings)
    one.generate(X, y)
    dlr = APGD(model, loss="dlr", **settings)
    dlr.generate(X, y)
    assert attack.success_.sum() >= max(one.success_.sum(), dlr.success_.sum())
    assert np.abs((X_adv - X).numpy()).max() <= 0.05 + 1e-6


def test_apgd_t_restarts_split_over_targets_within_max_queries(ten_classes):
    model, X, y = ten_classes
    attack = APGD(model, loss="dlr-targeted", n_target_classes=3, restarts=2, eps=0.05,
                  bounds=(0, 1), steps=20, max_queries=50, random_state=0)
    attack.generate(X, y)
    assert attack.queries_.max() <= 50
    again = APGD(**attack.get_params()).generate(X, y)
    assert torch.equal(again, APGD(**attack.get_params()).generate(X, y))


# --------------------------------------------------------------------------- progress


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture(scope="module")
def tabular_files(tmp_path_factory):
    lgb = pytest.importorskip("lightgbm")
    folder = tmp_path_factory.mktemp("progress")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = (frame.a + 0.5 * frame.b > 0).astype(int)
    frame.to_csv(folder / "data.csv", index=False)
    booster = lgb.LGBMClassifier(
        n_estimators=10, num_leaves=4, min_child_samples=5, n_jobs=1, verbose=-1
    ).fit(frame[["a", "b"]], frame["y"]).booster_
    booster.save_model(folder / "model.txt")
    return folder


def test_attack_command_reports_attack_eps_and_rows(runner, tabular_files):
    args = ["attack", str(tabular_files / "model.txt"), str(tabular_files / "data.csv"),
            "--target", "y", "--attack", "square", "--curve", "0.1", "--eps", "0.5",
            "--max-queries", "20",
            "--format", "json"]
    loud = runner.invoke(cli, args, catch_exceptions=False)
    assert loud.exit_code == ExitCode.OK, loud.output
    lines = [line for line in loud.stderr.splitlines() if " on " in line and "rows" in line]
    # per eps of the curve: a line when the attack starts, one when its rows are done
    starts = [line for line in lines if "done in" not in line]
    ends = [line for line in lines if "done in" in line]
    assert len(starts) == len(ends) == 2
    correct = int(ends[0].rsplit(" ", 1)[1].split("/")[0])
    assert 0 < correct <= 60
    assert any("SquareAttack at eps 0.5 on " in line for line in starts)
    assert any("SquareAttack at eps 0.1 on " in line for line in starts)
    assert all(line.endswith(f"{correct}/{correct}") for line in ends)
    quiet = runner.invoke(cli, [*args, "--quiet"], catch_exceptions=False)
    assert quiet.exit_code == ExitCode.OK
    assert "rows" not in quiet.stderr.replace("robust", "")
    assert quiet.stdout == loud.stdout  # progress changes nothing in the results


def test_autoattack_reports_its_stages_batch_by_batch():
    from advval._progress import progress_display

    model, X, y = _linear(16, 10, 5), None, None
    X = torch.rand(24, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        y = model(X).argmax(1)
    stream = io.StringIO()
    attack = AutoAttack(model, eps=0.03, bounds=(0, 1), steps=3, square_steps=3,
                        batch_size=10, random_state=0)
    with progress_display(enabled=True, stream=stream):
        out = attack.generate(X, y)
    text = stream.getvalue()
    assert "apgd-ce on 24 rows" in text
    assert "(10 done, " in text and "(20 done, " in text and "(24 done, " in text
    silent = AutoAttack(**attack.get_params()).generate(X, y)
    assert torch.equal(out, silent)


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_numeric_projection_matches_its_definition(norm, kind):
    """The short projection of numeric tables against a direct NumPy computation: frozen
    and missing values kept, the ball in standard units, bounds widened to the input."""
    rng = np.random.default_rng(7)
    x0 = rng.normal(size=(40, 5)) * 3
    x0[rng.random((40, 5)) < 0.1] = np.nan
    x0[0, 4] = 9.0  # outside its bounds: they widen to include it
    x = x0 + rng.normal(size=(40, 5)) * 2
    x[3, 1] = np.nan  # a NaN candidate falls back to the input
    scale = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    space = FeatureSpace(bounds=([-4, -5, -3, -np.inf, -2], [4, 5, 3, np.inf, 2]), scale=scale,
                         immutable=[2])
    domain = space.bind(x0)
    eps = 0.7
    moved = np.where(np.isnan(x) | np.isnan(x0), x0, x)
    moved[:, 2] = x0[:, 2]
    delta = np.nan_to_num((moved - x0) / scale)
    if norm == "inf":
        delta = np.clip(delta, -eps, eps)
    else:
        length = np.linalg.norm(delta, axis=1, keepdims=True)
        delta = delta * np.minimum(1.0, eps / np.maximum(length, 1e-12))
    low = np.minimum(domain.lower, np.nan_to_num(x0, nan=np.inf))
    high = np.maximum(domain.upper, np.nan_to_num(x0, nan=-np.inf))
    expected = np.where(np.isnan(x0), np.nan, np.clip(x0 + delta * scale, low, high))
    if kind == "torch":
        got = domain.project(torch.as_tensor(x), torch.as_tensor(x0), eps, norm).numpy()
    else:
        got = domain.project(x, x0, eps, norm)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(x0))
    assert np.all(domain.distance(got, x0, norm) <= eps + 1e-9)
