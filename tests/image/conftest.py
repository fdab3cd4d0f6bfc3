"""Fixtures shared by the image tests: one torch thread, tiny CNNs trained on digits."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from advval.image import Normalize  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on shared cores: one torch thread is faster and leaves the others free."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_cnn(seed: int, width: int = 8):
    """Normalize -> conv -> ReLU -> pool -> linear, initialized from a local generator."""
    model = torch.nn.Sequential(
        Normalize([0.3], [0.4]),
        torch.nn.Conv2d(1, width, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(width * 16, 10),
    )
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            fan_in = param.shape[1:].numel() if param.dim() > 1 else param.numel()
            bound = 1 / math.sqrt(fan_in)
            param.uniform_(-bound, bound, generator=generator)
    return model


def train(model, X, y, epochs: int = 60):
    """Full-batch Adam; returns the model in eval mode."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="session")
def digits():
    """Digits as (N, 1, 8, 8) pixels in [0, 1]: train split and a 200-image test split."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target, dtype=torch.long)
    order = torch.tensor(np.random.default_rng(0).permutation(len(y)))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[-200:], y[-200:]


@pytest.fixture(scope="session")
def cnns(digits):
    """Three CNNs of different seeds and widths, trained on the digits train split."""
    X, y = digits[0], digits[1]
    return [train(small_cnn(seed, width), X, y) for seed, width in ((0, 8), (1, 6), (2, 10))]
