"""advval's image attacks against torchattacks: cost per step and strength, same models, one run.

Two models, both trained by this script (no downloads):

- ``digits``: a small CNN on scikit-learn's 8x8 digits, pixels in [0, 1];
- ``resnet``: a small ResNet (three stages of basic blocks, 16/32/64 channels, batch norm)
  on a synthetic, learnable 32x32 RGB task: each of 10 classes is a fixed random pattern
  of low-frequency waves, shifted by up to 4 pixels and buried in pixel noise.

Part 1, cost. PGD's time per step against the bare cost of one forward + cross-entropy +
input-gradient pass of the same batch, measured in the same run (best of ``--repeats``,
interleaved; on a CPU the process's CPU time, so that other jobs on a shared machine do
not count, on a GPU wall time). The per-step time is the difference between a
``2s``-step and an ``s``-step attack, divided by ``s``, so the fixed costs (labels, final
check) are left out; the whole-attack ratio (total time over ``2s`` bare passes) is
printed as well. With ``--bf16`` (always on with ``--device cuda``) it is measured again
with bf16 autocast (``autocast="bfloat16"``; the bare pass under the same autocast).
torchattacks' PGD (float32) is timed the same way, and the robust accuracy of each timed
attack is printed.

Part 2, strength at equal budget, same model, same correctly classified test points:

- L-inf: advval PGD (cross-entropy; margin loss with 5 restarts), APGD-CE followed by
  APGD-T (9 target classes) on the points it left, and AutoAttack when the package has it,
  against torchattacks PGD (same eps, steps and step size), the same APGD-CE -> APGD-T
  cascade, and torchattacks AutoAttack (standard: APGD-CE, APGD-T, FAB-T, Square; note
  that it builds its APGD, APGD-T and FAB with their default of 10 steps);
- L2: advval CarliniWagnerL2 (minimal, and bounded by eps) and DeepFool against
  torchattacks CW (its defaults, and stronger settings: 1000 steps for each of
  c = 0.1, 1, 10, 100, best per point) and DeepFool, plus PGD and the APGD cascade under
  L2 on both sides. CW and DeepFool are minimal-perturbation attacks: a point counts as
  broken only when the output is misclassified *and* its L2 distance to the input is at
  most ``eps`` (the same rule for every method; bounded attacks stay within eps by
  construction).

"Worst case" rows take, per point, the strongest of a side's attacks (DESIGN.md section 5).
Robust accuracy is the share of points still classified correctly; lower is stronger.

Part 3, APGD-T (9 targets) and AutoAttack (APGD-CE, APGD-T, Square) against torchattacks'
APGDT and the reference AutoAttack code (Croce and Hein, packaged on PyPI as
``pyautoattack``) with the same steps, targets and stages: robust accuracy and time.

The peers are not dependencies. Their environment::

    python -m venv .bench --system-site-packages      # or a fresh venv with advval[torch]
    .bench/bin/pip install --no-deps torchattacks pyautoattack
    .bench/bin/python benchmarks/bench_image.py [--quick] [--device cuda]

(``--no-deps`` because torchattacks declares torchvision, which it does not need here.)
Without it, only advval's rows are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

warnings.filterwarnings("ignore")


def have(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clock(device: torch.device) -> Callable[[], float]:
    """The process's CPU time on a CPU (other jobs on a shared machine do not count; the
    attacks run on ``--threads`` torch threads), wall time on an accelerator."""
    return time.process_time if device.type == "cpu" else time.perf_counter


def best_time(function: Callable[[], Any], repeats: int, device: torch.device) -> tuple[float, Any]:
    """Minimum time (see :func:`clock`) over ``repeats`` runs and the last result."""
    times, result, now = [], None, clock(device)
    for _ in range(repeats):
        synchronize(device)
        start = now()
        result = function()
        synchronize(device)
        times.append(now() - start)
    return min(times), result


# -- models and data ------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a (projected) shortcut."""

    def __init__(self, inputs: int, outputs: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(
                nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


def resnet(width: int = 16, n_classes: int = 10) -> nn.Module:
    """A small ResNet for 32x32 RGB inputs in [0, 1] (normalization inside the model)."""
    from advval.image import Normalize

    return nn.Sequential(
        Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
        nn.Conv2d(3, width, 3, 1, 1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        BasicBlock(width, width, 1),
        BasicBlock(width, 2 * width, 2),
        BasicBlock(2 * width, 4 * width, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4 * width, n_classes),
    )


def digits_cnn() -> nn.Module:
    """Normalize -> two 3x3 convolutions -> pool -> linear, for 8x8 digits in [0, 1]."""
    from advval.image import Normalize

    return nn.Sequential(
        Normalize([0.3], [0.4]),
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 16, 10),
    )


def digits_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's digits as (N, 1, 8, 8) in [0, 1]: 1400 training and 397 test images."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target, dtype=torch.long)
    order = torch.as_tensor(np.random.RandomState(0).permutation(len(y)))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[1400:], y[1400:]


def synthetic_data(
    n_train: int, n_test: int, seed: int = 0, n_classes: int = 10, size: int = 32
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A learnable 32x32 RGB task: class patterns of random low-frequency waves + noise.

    Pattern ``c`` sums three plane waves per channel (random direction, frequency 1-3
    cycles per image, phase); an image is ``0.5 + 0.12 * pattern`` rolled by up to 4 pixels
    each way, plus Gaussian noise of standard deviation 0.08, clipped to [0, 1].
    """
    rng = np.random.RandomState(seed)
    grid = np.arange(size) / size
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    patterns = np.zeros((n_classes, 3, size, size))
    for c in range(n_classes):
        for channel in range(3):
            for _ in range(3):
                angle, freq = rng.uniform(0, math.pi), rng.uniform(1, 3)
                phase = rng.uniform(0, 2 * math.pi)
                along = np.cos(angle) * xx + np.sin(angle) * yy
                wave = np.cos(2 * math.pi * freq * along + phase)
                patterns[c, channel] += wave / 3
    n = n_train + n_test
    y = rng.randint(n_classes, size=n)
    images = np.empty((n, 3, size, size))
    shifts = rng.randint(-4, 5, size=(n, 2))
    for i in range(n):
        images[i] = np.roll(patterns[y[i]], tuple(shifts[i]), axis=(1, 2))
    images = 0.5 + 0.12 * images + rng.normal(0, 0.08, size=images.shape)
    X = torch.tensor(np.clip(images, 0, 1), dtype=torch.float32)
    labels = torch.tensor(y, dtype=torch.long)
    return X[:n_train], labels[:n_train], X[n_train:], labels[n_train:]


def fit(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float, seed: int
) -> nn.Module:
    """Mini-batch Adam (batch 64, seeded shuffles); returns the model frozen, in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), 64):
            batch = order[start : start + 64]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval().requires_grad_(False)


def init(model: nn.Module, seed: int) -> nn.Module:
    """Re-draw the parameters from a seed without touching the global generator for good."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in model.modules():
            if hasattr(module, "reset_parameters") and module is not model:
                module.reset_parameters()
    return model


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def prepare(device: torch.device, quick: bool) -> dict[str, dict[str, Any]]:
    """The trained models on ``device``, their correctly classified test points and budgets.

    The budgets put the robust accuracy of a plain PGD in the middle of the range, where
    stronger and weaker attacks differ: L-inf 0.12 and L2 0.6 on digits (64 pixels), L-inf
    4/255 and L2 0.6 on the 32x32 RGB task.
    """
    out = {}
    X, y, X_test, y_test = digits_data()
    model = fit(init(digits_cnn(), 0), X, y, epochs=15, lr=2e-3, seed=0)
    out["digits"] = {"model": model, "X": X_test, "y": y_test, "shape": "1x8x8",
                     "linf": 0.12, "l2": 0.6}
    X, y, X_test, y_test = synthetic_data(2000 if quick else 4000, 500, seed=0)
    model = fit(init(resnet(), 0), X, y, epochs=2 if quick else 3, lr=2e-3, seed=0)
    out["resnet"] = {"model": model, "X": X_test, "y": y_test, "shape": "3x32x32",
                     "linf": 4 / 255, "l2": 0.6}
    for setup in out.values():
        model, X, y = setup["model"].to(device), setup["X"].to(device), setup["y"].to(device)
        setup["model"] = model
        setup["accuracy"] = accuracy(model, X, y)
        with torch.no_grad():
            correct = model(X).argmax(1) == y
        setup["X"], setup["y"] = X[correct], y[correct]
    return out


# -- part 1: cost per step ------------------------------------------------------------------


def bare_pass(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, passes: int, autocast: str | None
) -> Callable[[], None]:
    """``passes`` forward + cross-entropy + input-gradient passes: the floor of a PGD step."""

    def run() -> None:
        z = x.clone()
        for _ in range(passes):
            z.requires_grad_(True)
            with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=autocast is not None):
                logits = model(z)
            loss = nn.functional.cross_entropy(logits.float(), y)
            (grad,) = torch.autograd.grad(loss, z)
            z = z.detach() + 0.0 * grad

    return run


def interleaved(functions: dict[str, Callable[[], Any]], repeats: int,
                device: torch.device) -> dict[str, float]:
    """Best time of each function over ``repeats`` rounds, the functions interleaved in a
    round so that a burst of load on a shared machine hits them all alike."""
    best = dict.fromkeys(functions, math.inf)
    for _ in range(repeats):
        for name, function in functions.items():
            seconds, _ = best_time(function, 1, device)
            best[name] = min(best[name], seconds)
    return best


def batch_of(X: torch.Tensor, y: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``size`` test points (cycled when there are fewer)."""
    index = torch.arange(size, device=X.device) % len(X)
    return X[index], y[index]


def part_cost(setups: dict[str, dict[str, Any]], device: torch.device, quick: bool,
              repeats: int, bf16: bool) -> None:
    from advval.attacks import PGD

    peer = have("torchattacks")
    if peer:
        import torchattacks
    steps = 5 if quick else 10
    batches = (32, 128) if quick else (32, 128, 512)
    precisions: list[str | None] = [None, "bfloat16"] if bf16 else [None]
    print(f"\n## Part 1: PGD cost per step vs one bare forward+backward pass ({device})")
    print("per step = (time of a 2s-step attack - time of an s-step attack) / s, s = "
          f"{steps}; bare = one forward + cross-entropy + input-gradient pass of the same "
          f"batch in the same precision; best of {repeats}, interleaved, "
          f"{'CPU time of this process' if device.type == 'cpu' else 'wall time'}; "
          "ratio = per step / "
          "bare; whole = 2s-step attack / (2s bare passes); acc = robust accuracy of the "
          "2s-step attack; ta = torchattacks PGD (float32, same eps, steps and step size); "
          "ta/this = torchattacks' time per step over this row's")
    header = (f"{'model':<7} {'batch':>5} {'precision':<9} {'bare ms':>8} {'PGD ms/step':>11} "
              f"{'ratio':>6} {'whole':>6} {'acc':>6}")
    if peer:
        header += f" {'ta ms/step':>10} {'ta ratio':>8} {'ta acc':>6} {'ta/this':>7}"
    print(header)
    for name, setup in setups.items():
        model, eps = setup["model"], setup["linf"]
        for size in batches:
            x, y = batch_of(setup["X"], setup["y"], size)
            ta_step = ta_acc = math.nan
            for precision in precisions:
                short = PGD(model, eps=eps, steps=steps, bounds=(0.0, 1.0), random_state=0,
                            autocast=precision)
                long = PGD(model, eps=eps, steps=2 * steps, bounds=(0.0, 1.0), random_state=0,
                           autocast=precision)
                functions = {
                    "bare": bare_pass(model, x, y, steps, precision),
                    "short": lambda a=short, x=x, y=y: a.generate(x, y),
                    "long": lambda a=long, x=x, y=y: a.generate(x, y),
                }
                if peer and precision is None:
                    # advval's default step: 2.5 eps / steps (Madry et al.)
                    ta_short = torchattacks.PGD(model, eps=eps, alpha=2.5 * eps / steps,
                                                steps=steps)
                    ta_long = torchattacks.PGD(model, eps=eps, alpha=2.5 * eps / (2 * steps),
                                               steps=2 * steps)
                    functions["ta_short"] = lambda a=ta_short, x=x, y=y: a(x, y)
                    functions["ta_long"] = lambda a=ta_long, x=x, y=y: a(x, y)
                for function in functions.values():  # warm-up (allocator, autocast caches)
                    function()
                t = interleaved(functions, repeats, device)
                bare = t["bare"] / steps
                step = (t["long"] - t["short"]) / steps
                acc = accuracy(model, long.generate(x, y), y)
                line = (f"{name:<7} {size:>5} {precision or 'float32':<9} {bare * 1e3:>8.2f} "
                        f"{step * 1e3:>11.2f} {step / bare:>6.2f} "
                        f"{t['long'] / (2 * steps * bare):>6.2f} {acc:>6.3f}")
                if peer:
                    if "ta_long" in t:
                        ta_step = (t["ta_long"] - t["ta_short"]) / steps
                        ta_acc = accuracy(model, functions["ta_long"](), y)
                        line += f" {ta_step * 1e3:>10.2f} {ta_step / bare:>8.2f}"
                    else:
                        line += f" {'':>10} {'':>8}"
                    line += f" {ta_acc:>6.3f} {ta_step / step:>7.2f}"
                print(line, flush=True)


# -- part 2: strength at equal budget --------------------------------------------------------


def distance(adv: torch.Tensor, x: torch.Tensor, norm: str) -> torch.Tensor:
    delta = (adv.float() - x.float()).flatten(1)
    return delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)


def broken(model: nn.Module, adv: torch.Tensor, x: torch.Tensor, y: torch.Tensor, norm: str,
           eps: float) -> torch.Tensor:
    """Misclassified (full precision) and within eps (a relative tolerance of 1e-5)."""
    with torch.no_grad():
        wrong = model(adv.float()).argmax(1) != y
    return wrong & (distance(adv, x, norm) <= eps * (1 + 1e-5))


class Table:
    """Rows of (method, robust accuracy, seconds), the per-point verdicts kept for the
    worst case over a group of methods."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, norm: str,
                 eps: float, device: torch.device) -> None:
        self.model, self.x, self.y, self.norm, self.eps = model, x, y, norm, eps
        self.device = device
        self.rows: list[tuple[str, float, float, str]] = []
        self.hits: dict[str, torch.Tensor] = {}

    def run(self, name: str, attack: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
            peer: str = "") -> None:
        """Time ``attack(x, y)`` once and record its robust accuracy on all the points."""
        seconds, adv = best_time(lambda: attack(self.x, self.y), 1, self.device)
        self.record(name, broken(self.model, adv, self.x, self.y, self.norm, self.eps),
                    seconds, peer)

    def record(self, name: str, hit: torch.Tensor, seconds: float, peer: str = "") -> None:
        self.hits[name] = hit
        self.rows.append((name, 1 - float(hit.float().mean()), seconds, peer))

    def cascade(self, name: str,
                attacks: list[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
                peer: str = "") -> None:
        """Each attack on the points the previous ones left unbroken (as AutoAttack)."""
        now = clock(self.device)
        synchronize(self.device)
        start = now()
        hit = torch.zeros_like(self.y, dtype=torch.bool)
        for attack in attacks:
            left = (~hit).nonzero()[:, 0]
            if len(left) == 0:
                break
            x, y = self.x[left], self.y[left]
            hit[left] = broken(self.model, attack(x, y), x, y, self.norm, self.eps)
        synchronize(self.device)
        self.record(name, hit, now() - start, peer)

    def worst(self, name: str, names: list[str], peer: str = "") -> None:
        hit = torch.zeros_like(self.y, dtype=torch.bool)
        for other in names:
            hit |= self.hits[other]
        seconds = sum(row[2] for row in self.rows if row[0] in names)
        self.record(name, hit, seconds, peer)

    def print(self) -> None:
        by_name = {row[0]: row for row in self.rows}
        print(f"{'method':<52} {'robust acc':>10} {'seconds':>8} {'acc ratio':>9} "
              f"{'time ratio':>10}")
        for name, acc, seconds, peer in self.rows:
            line = f"{name:<52} {acc:>10.3f} {seconds:>8.1f}"
            if peer in by_name:
                _, peer_acc, peer_seconds, _ = by_name[peer]
                ratio = acc / peer_acc if peer_acc > 0 else (1.0 if acc == 0 else math.inf)
                line += f" {ratio:>9.2f} {seconds / peer_seconds:>10.2f}"
            print(line, flush=True)


def advval_autoattack() -> Any:
    """advval's AutoAttack class when this version of the package has it, else None."""
    import advval.attacks.gradient as gradient

    return getattr(gradient, "AutoAttack", None)


def linf_table(setup: dict[str, Any], x: torch.Tensor, y: torch.Tensor, device: torch.device,
               quick: bool) -> Table:
    from advval.attacks import APGD, PGD

    model, eps = setup["model"], setup["linf"]
    table = Table(model, x, y, "inf", eps, device)
    box = {"bounds": (0.0, 1.0), "random_state": 0}
    steps, apgd = (20, 25) if quick else (50, 100)
    ta = "torchattacks" if have("torchattacks") else ""
    table.run(f"advval PGD-{steps} (ce)",
              PGD(model, eps=eps, steps=steps, **box).generate, peer=f"{ta} PGD-{steps}")
    table.run(f"advval PGD-{steps} (margin, 5 restarts)",
              PGD(model, eps=eps, steps=steps, restarts=5, loss="margin", **box).generate)
    table.cascade(f"advval APGD-{apgd} (ce) -> APGD-T-{apgd} (9 targets)", [
        APGD(model, eps=eps, steps=apgd, **box).generate,
        APGD(model, eps=eps, steps=apgd, loss="dlr-targeted", **box).generate,
    ], peer=f"{ta} APGD-{apgd} (ce) -> APGD-T-{apgd}")
    auto = advval_autoattack()
    if auto is not None:
        table.run("advval AutoAttack (defaults)",
                  auto(model, eps=eps, **box).generate, peer=f"{ta} AutoAttack (standard)")
    table.worst("advval worst case of the rows above", [row[0] for row in table.rows],
                peer=f"{ta} worst case of its rows")
    if ta:
        import torchattacks

        first = len(table.rows)
        table.run(f"torchattacks PGD-{steps}",
                  torchattacks.PGD(model, eps=eps, alpha=2.5 * eps / steps, steps=steps))
        table.cascade(f"torchattacks APGD-{apgd} (ce) -> APGD-T-{apgd}", [
            torchattacks.APGD(model, eps=eps, steps=apgd, loss="ce", seed=0),
            torchattacks.APGDT(model, eps=eps, steps=apgd, n_classes=10, seed=0),
        ])
        table.run("torchattacks AutoAttack (standard)",
                  torchattacks.AutoAttack(model, norm="Linf", eps=eps, version="standard",
                                          n_classes=10, seed=0))
        table.worst("torchattacks worst case of its rows",
                    [row[0] for row in table.rows[first:]])
    return table


def l2_table(setup: dict[str, Any], x: torch.Tensor, y: torch.Tensor, device: torch.device,
             quick: bool) -> Table:
    from advval.attacks import APGD, PGD, CarliniWagnerL2, DeepFool

    model, eps = setup["model"], setup["l2"]
    table = Table(model, x, y, "2", eps, device)
    box = {"bounds": (0.0, 1.0), "random_state": 0}
    steps, apgd = (20, 25) if quick else (50, 100)
    cw_steps = 200 if quick else 1000
    constants = (0.1, 1.0, 10.0, 100.0)
    ta = "torchattacks" if have("torchattacks") else ""
    strong = f"torchattacks CW strong (best of c = {', '.join(f'{c:g}' for c in constants)})"
    table.run("advval CarliniWagnerL2 (defaults, minimal)",
              CarliniWagnerL2(model, **box).generate, peer=strong if ta else "")
    table.run("advval CarliniWagnerL2 (eps-bounded)",
              CarliniWagnerL2(model, eps=eps, **box).generate)
    table.run("advval DeepFool (defaults, minimal)", DeepFool(model, **box).generate,
              peer=f"{ta} DeepFool (defaults)")
    table.run(f"advval PGD-{steps} L2 (ce)",
              PGD(model, eps=eps, norm="2", steps=steps, **box).generate,
              peer=f"{ta} PGDL2-{steps}")
    table.cascade(f"advval APGD-{apgd} L2 (ce) -> APGD-T-{apgd} (9 targets)", [
        APGD(model, eps=eps, norm="2", steps=apgd, **box).generate,
        APGD(model, eps=eps, norm="2", steps=apgd, loss="dlr-targeted", **box).generate,
    ], peer=f"{ta} APGD-{apgd} L2 (ce) -> APGD-T-{apgd}")
    table.worst("advval worst case of the rows above", [row[0] for row in table.rows],
                peer=f"{ta} worst case of its rows")
    if ta:
        import torchattacks

        first = len(table.rows)
        table.run("torchattacks CW (defaults: c=1, 50 steps, lr=0.01)", torchattacks.CW(model))
        names = []
        for c in constants:
            name = f"torchattacks CW (c={c:g}, {cw_steps} steps, lr=0.01)"
            table.run(name, torchattacks.CW(model, c=c, steps=cw_steps, lr=0.01))
            names.append(name)
        table.worst(strong, names)
        table.run("torchattacks DeepFool (defaults)", torchattacks.DeepFool(model))
        table.run(f"torchattacks PGDL2-{steps}",
                  torchattacks.PGDL2(model, eps=eps, alpha=2.5 * eps / steps, steps=steps))
        table.cascade(f"torchattacks APGD-{apgd} L2 (ce) -> APGD-T-{apgd}", [
            torchattacks.APGD(model, norm="L2", eps=eps, steps=apgd, loss="ce", seed=0),
            torchattacks.APGDT(model, norm="L2", eps=eps, steps=apgd, n_classes=10, seed=0),
        ])
        table.worst("torchattacks worst case of its rows",
                    [row[0] for row in table.rows[first:]])
    return table


def part_strength(setups: dict[str, dict[str, Any]], device: torch.device, quick: bool,
                  n_points: int) -> None:
    print("\n## Part 2: robust accuracy at equal budget (same model, same points; lower is "
          "stronger)")
    print("A point is broken when the output is misclassified by the model in full "
          "precision AND within eps of the input (L-inf resp. L2, relative tolerance "
          "1e-5): the same rule for bounded and minimal-perturbation attacks. 'acc ratio' "
          "and 'time ratio' compare a row with its torchattacks counterpart.")
    if advval_autoattack() is None:
        print("(advval.attacks.gradient has no AutoAttack in this version: its rows are "
              "APGD-CE and APGD-T, the gradient part of AutoAttack)")
    for name, setup in setups.items():
        x, y = setup["X"][:n_points], setup["y"][:n_points]
        print(f"\n### {name} ({setup['shape']}, clean accuracy {setup['accuracy']:.3f}), "
              f"{len(x)} correctly classified test points")
        print(f"\nL-inf, eps={setup['linf']:.4f}")
        linf_table(setup, x, y, device, quick).print()
        print(f"\nL2, eps={setup['l2']:.2f}")
        l2_table(setup, x, y, device, quick).print()


def part_peers(setups: dict[str, dict[str, Any]], device: torch.device, quick: bool) -> None:
    """APGD-T and AutoAttack against the peers at equal strength: same model, points,
    steps, targets and stages, CPU time of this process (wall time on a GPU)."""
    from advval.attacks import APGD
    from advval.attacks.gradient import AutoAttack

    setup = setups["digits"]
    model, eps = setup["model"], setup["linf"]
    x, y = setup["X"][:64 if quick else 128], setup["y"][:64 if quick else 128]
    steps, stage_steps, square = (10, 25, 1000) if quick else (25, 100, 5000)
    reference = have("pyautoattack")  # the reference code (Croce and Hein), packaged
    print(f"\n## Part 3: APGD-T and AutoAttack cost at equal strength (digits, {len(x)} "
          f"points, L-inf eps={eps}; "
          f"{'CPU time of this process' if device.type == 'cpu' else 'wall time'})")
    if not (have("torchattacks") or reference):
        print("(neither torchattacks nor pyautoattack installed: advval's rows only)")
    rows: list[tuple[str, float, float]] = []

    def timed(name: str, attack: Callable[[], Any]) -> None:
        seconds, adv = best_time(attack, 1, device)
        adv = adv[0] if isinstance(adv, tuple) else adv
        rows.append((name, accuracy(model, adv, y), seconds))

    timed(f"advval APGD-T-{steps} (9 targets)", lambda: APGD(
        model, eps=eps, steps=steps, loss="dlr-targeted", bounds=(0.0, 1.0),
        random_state=0).generate(x, y))
    if have("torchattacks"):
        import torchattacks

        timed(f"torchattacks APGDT-{steps} (9 targets)",
              lambda: torchattacks.APGDT(model, eps=eps, steps=steps, n_classes=10, seed=0)(x, y))
    if reference:
        from pyautoattack.autopgd_base import APGDAttack_targeted

        timed(f"reference APGD-T-{steps} (9 targets)", lambda: APGDAttack_targeted(
            model, n_iter=steps, norm="Linf", eps=eps, n_target_classes=9,
            device=str(device), seed=0).perturb(x, y))
    timed(f"advval AutoAttack (APGD-CE, APGD-T {stage_steps} steps, Square {square})",
          lambda: AutoAttack(model, eps=eps, bounds=(0.0, 1.0), steps=stage_steps,
                             square_steps=square, random_state=0).generate(x, y))
    if reference:
        import pyautoattack

        def run_reference() -> Any:
            peer = pyautoattack.AutoAttack(model, norm="Linf", eps=eps, version="custom",
                                           attacks=["apgd-ce", "apgd-t", "square"],
                                           device=str(device), seed=0)
            peer.verbose = False
            peer.apgd.n_restarts, peer.apgd.n_iter = 1, stage_steps
            peer.apgd_targeted.n_iter, peer.apgd_targeted.n_target_classes = stage_steps, 9
            peer.square.n_queries = square
            return peer.run_standard_evaluation(x, y, batch_size=len(x))

        timed("reference AutoAttack (the same three stages)", run_reference)
    first = {name.split(" ", 1)[1].split(" (")[0]: seconds for name, _, seconds in rows
             if name.startswith("advval")}
    print(f"{'method':<70} {'robust acc':>10} {'seconds':>8} {'advval / this':>13}")
    for name, acc, seconds in rows:
        ours = first.get(name.split(" ", 1)[1].split(" (")[0].replace("APGDT", "APGD-T"))
        ratio = f"{ours / seconds:>13.2f}" if ours and not name.startswith("advval") else ""
        print(f"{name:<70} {acc:>10.3f} {seconds:>8.2f} {ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer points, steps, batches")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--part", choices=("cost", "strength", "peers", "all"), default="all")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (best of)")
    parser.add_argument("--bf16", action="store_true",
                        help="also time bf16 autocast (always on with --device cuda)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if not have("torchattacks"):
        print("(torchattacks not installed: only advval's rows; see the module docstring)")
    start = time.perf_counter()
    setups = prepare(device, args.quick)
    print(f"models trained in {time.perf_counter() - start:.0f} s on {device}; "
          f"{args.threads} CPU thread(s), torch {torch.__version__}")
    if args.part in ("cost", "all"):
        part_cost(setups, device, args.quick, args.repeats, args.bf16 or device.type == "cuda")
    if args.part in ("strength", "all"):
        part_strength(setups, device, args.quick, n_points=64 if args.quick else 128)
    if args.part in ("peers", "all"):
        part_peers(setups, device, args.quick)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
