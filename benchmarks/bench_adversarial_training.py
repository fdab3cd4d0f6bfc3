"""adversarial_training against a textbook PGD-AT loop: seconds per epoch, same work.

The reference is the ten-line loop everyone writes (eval-mode PGD from a uniform start,
sign steps of ``2.5 eps / steps``, clip to the ball and the box, one optimizer step in train
mode). advval's loop runs PGD's own core on each batch, which adds one forward pass per
batch (PGD scores its last iterate to keep each sample's best point) and the per-step
best-point bookkeeping; this benchmark measures what that costs, and what the fast
(FGSM) and TRADES variants, bf16 autocast and channels-last give on the machine at hand.

Data: random images of shape (n, 3, 32, 32) with random labels (speed only; the learning
itself is checked in tests/image/test_adversarial_training.py), a small VGG-style CNN, Adam.

Usage::

    python benchmarks/bench_adversarial_training.py            # 2,048 images, CPU or GPU
    python benchmarks/bench_adversarial_training.py --quick    # 256 images, a smoke run
    python benchmarks/bench_adversarial_training.py --n 50000  # a CIFAR-sized epoch (GPU)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from advval.image import adversarial_training  # noqa: E402

EPS = 8 / 255
STEPS = 10


def make_model(seed: int, device: torch.device) -> nn.Module:
    torch_generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1, stride=2), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, padding=1, stride=2), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10),
    )
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.normal_(0, (2 / param[0].numel()) ** 0.5, generator=torch_generator)
    return model.to(device)


def reference_epoch(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch: int,
                    optimizer: torch.optim.Optimizer, generator: torch.Generator) -> None:
    """The textbook PGD-AT epoch (Madry et al.), written out by hand."""
    alpha = 2.5 * EPS / STEPS
    order = torch.randperm(len(X), generator=generator, device=X.device)
    for chunk in order.split(batch):
        x, t = X[chunk], y[chunk]
        model.eval()
        noise = torch.rand(x.shape, generator=generator, device=x.device) * 2 - 1
        delta = ((x + EPS * noise).clamp(0, 1) - x).detach()
        for _ in range(STEPS):
            delta.requires_grad_(True)
            loss = F.cross_entropy(model(x + delta), t)
            (grad,) = torch.autograd.grad(loss, delta)
            delta = (delta + alpha * grad.sign()).clamp(-EPS, EPS)
            delta = ((x + delta).clamp(0, 1) - x).detach()
        model.train()
        loss = F.cross_entropy(model(x + delta), t)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after a warm-up)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 256 if args.quick else args.n
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = torch.Generator(device=device).manual_seed(0)
    X = torch.rand((n, 3, 32, 32), generator=data, device=device)
    y = torch.randint(0, 10, (n,), generator=data, device=device)
    print(f"device {device}, {n} images 3x32x32, batch {args.batch}, eps 8/255, "
          f"{STEPS} PGD steps, {args.epochs} timed epochs after one warm-up")

    def reference() -> float:
        model = make_model(0, device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator(device=device).manual_seed(0)
        reference_epoch(model, X, y, args.batch, optimizer, generator)  # warm-up
        sync(device)
        start = time.perf_counter()
        for _ in range(args.epochs):
            reference_epoch(model, X, y, args.batch, optimizer, generator)
        sync(device)
        return (time.perf_counter() - start) / args.epochs

    reference()  # the first run of a process pays for kernel selection and allocation
    baseline = reference()
    print(f"{'textbook PGD-AT loop':32s} {baseline:8.3f} s/epoch   1.00x")

    runs = [("pgd", None, False), ("fgsm", None, False), ("trades", None, False)]
    if device.type == "cuda":
        runs += [("pgd", "bf16", False), ("pgd", "bf16", True), ("pgd", "fp16", True)]
    for attack, amp, channels_last in runs:
        model = make_model(0, device)
        history = adversarial_training(
            model, (X, y), attack=attack, eps=EPS, steps=STEPS, epochs=args.epochs + 1,
            batch_size=args.batch, amp=amp, channels_last=channels_last, random_state=0,
        )
        seconds = sum(history.seconds[1:]) / args.epochs
        label = f"advval {attack}" + (f" {amp}" if amp else "") + (
            " channels_last" if channels_last else ""
        )
        print(f"{label:32s} {seconds:8.3f} s/epoch   {seconds / baseline:.2f}x")


if __name__ == "__main__":
    main()
