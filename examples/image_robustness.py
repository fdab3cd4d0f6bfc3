"""How robust is a small image classifier, and does adversarial training help?

Trains a tiny CNN on scikit-learn's bundled 8x8 digits (pixels in [0, 1]), measures its
robustness with the AutoAttack-style ensemble at three budgets, adversarially trains a copy
(PGD-AT) and measures it again, then writes the defended model's HTML report (worst-case
examples as original | adversarial | amplified-noise triplets, the accuracy-vs-eps curve).

Run: ``python examples/image_robustness.py [report.html]`` (needs ``advval[torch]``).
"""

from __future__ import annotations

import copy
import sys

import numpy as np
import torch
from sklearn.datasets import load_digits

from advval.attacks import AutoAttack
from advval.image import Normalize, adversarial_training, evaluate_robustness
from advval.report import render_image_html

EPS = [0.02, 0.05, 0.1]


def digits() -> tuple[torch.Tensor, ...]:
    data = load_digits()
    X = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(data.target)
    order = torch.tensor(np.random.default_rng(0).permutation(len(y)))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[-200:], y[-200:]


def cnn() -> torch.nn.Module:
    with torch.random.fork_rng():  # seeded initialization, the caller's generator untouched
        torch.manual_seed(0)
        return torch.nn.Sequential(
            Normalize([0.3], [0.4]),
            torch.nn.Conv2d(1, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(16 * 16, 10),
        )


def main(output: str) -> None:
    X_train, y_train, X_test, y_test = digits()

    plain = cnn()
    optimizer = torch.optim.Adam(plain.parameters(), lr=0.02)
    for _ in range(80):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(plain(X_train), y_train).backward()
        optimizer.step()
    plain.eval()

    defended = copy.deepcopy(plain)
    history = adversarial_training(
        defended,
        (X_train, y_train),
        attack="pgd",
        eps=max(EPS),
        steps=5,
        epochs=6,
        lr=0.005,
        random_state=0,
    )
    print(f"PGD-AT training loss per epoch: {np.round(history.loss, 3).tolist()}")

    for name, model in (("undefended", plain), ("PGD-AT", defended)):
        # the standard ensemble with shorter runs than its defaults, to keep the example quick
        ensemble = AutoAttack(None, eps=max(EPS), steps=50, square_steps=500)
        report = evaluate_robustness(
            model, (X_test[:100], y_test[:100]), attacks=[ensemble], eps=EPS, random_state=0
        )
        points = report.robustness.curve
        curve = ", ".join(f"eps {p.eps:g}: {p.robust_accuracy:.2f}" for p in points)
        print(f"{name:>10}: clean {report.clean_accuracy:.2f}, robust {curve}")
    with open(output, "w", encoding="utf-8") as sink:
        sink.write(render_image_html(report))
    print(f"report written to {output}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "advval_image_example.html")
