"""Seeded Square Attack and AutoAttack runs pinned to the outputs recorded before the
Square stage was made cheaper (commit eab2a3f): the same random stream and the same
arithmetic give the same rows, queries and successes, bit for bit (the outputs are
compared through a SHA-256 of their bytes; rows, queries and successes directly).

The models are small closed-form NumPy functions (no BLAS reduction order to differ
between machines) except the AutoAttack case, a tiny torch CNN behind a bit-depth
reduction that only the Square stage fools.
"""

import hashlib

import numpy as np
import pytest

from advval.attacks import FeatureSpace, SquareAttack

WEIGHTS = np.array([1.5, -2.0, 0.7, 1.1, -0.4, 0.9, -1.3, 0.5])


def three_class_proba(X):
    """Softmax of three fixed elementwise scores of 11 features (exact in any order)."""
    X = np.nan_to_num(np.asarray(X, dtype=np.float64))
    s0 = X[:, 0] * WEIGHTS[0] + X[:, 1] * WEIGHTS[1] + np.sin(X[:, 2]) + X[:, 6] * 0.3
    s1 = X[:, 3] * WEIGHTS[3] - X[:, 4] * WEIGHTS[4] + np.cos(X[:, 5]) + X[:, 7] * 0.8
    s2 = X[:, 1] * X[:, 2] * 0.5 - X[:, 0] * 0.2 + X[:, 5] * 0.6 - X[:, 6] * 0.4
    s2 = s2 + X[:, 8] * 0.9 - X[:, 10] * 0.7
    scores = np.stack([s0, s1, s2], 1)
    scores = np.exp(scores - scores.max(1, keepdims=True))
    return scores / scores.sum(1, keepdims=True)


class ThreeClasses:
    """:func:`three_class_proba` as a fitted classifier (its classes known)."""

    classes_ = np.arange(3)

    def predict_proba(self, X):
        return three_class_proba(X)


def image_proba(X):
    """Two classes from a fixed nonlinear score of 1x6x6 images."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), 6, 6)
    grid = np.add.outer(np.arange(6.0), np.arange(6.0) * 0.5)
    score = (np.sin(grid * 1.7) * X).reshape(len(X), -1)
    score = score[:, ::2].copy() - score[:, 1::2].copy()
    margin = score[:, 0]
    for j in range(1, score.shape[1]):  # a fixed left-to-right order of additions
        margin = margin + score[:, j] * (1.0 + 0.1 * j)
    return np.stack([1 / (1 + np.exp(margin)), 1 / (1 + np.exp(-margin))], 1)


def table_rows(n=12):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(n, 8))
    X[:, 6] = rng.randint(0, 4, size=n)  # label coded, 4 categories
    X[:, 7] = rng.randint(0, 3, size=n)  # label coded, 3 categories
    X = np.hstack([X, np.eye(3)[rng.randint(0, 3, size=n)]])  # a one-hot group
    X[2, 1] = np.nan  # a missing value is never changed
    return X


def table_space():
    return FeatureSpace(
        bounds=(-3.0, 3.0), scale=[1.0, 0.5, 2.0, 1.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        immutable=[5], categorical={6: [0, 1, 2, 3], 7: [0, 1, 2]}, one_hot=[[8, 9, 10]],
    )


def images(n=10):
    return np.random.RandomState(5).uniform(0, 1, size=(n, 1, 6, 6))


def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()[:16]


def square_table(norm, eps, targeted=False, max_queries=None):
    X = table_rows()
    y = (three_class_proba(X).argmax(1) + 1) % 3 if targeted else None
    attack = SquareAttack(ThreeClasses(), eps=eps, norm=norm, targeted=targeted, steps=80,
                          feature_space=table_space(), random_state=7,
                          max_queries=max_queries)
    out = attack.generate(X, y)
    return digest(out), attack.queries_.tolist(), attack.success_.astype(int).tolist()


def square_image(norm, eps, p_init):
    X = images()
    attack = SquareAttack(image_proba, eps=eps, norm=norm, steps=120, p_init=p_init,
                          bounds=(0.0, 1.0), random_state=11)
    out = attack.generate(X)
    return digest(out), attack.queries_.tolist(), attack.success_.astype(int).tolist()


def autoattack_masked(max_queries=None):
    torch = pytest.importorskip("torch")
    from advval.attacks import AutoAttack
    from advval.image import BitDepthReduction

    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(3 * 36, 4),
    )
    with torch.no_grad():
        for param in net.parameters():
            param.uniform_(-0.5, 0.5, generator=generator)
    model = torch.nn.Sequential(BitDepthReduction(bits=2), net).eval()
    X = torch.tensor(images(16), dtype=torch.float32)
    attack = AutoAttack(model, eps=0.2, bounds=(0, 1), steps=3, square_steps=150,
                        random_state=0, max_queries=max_queries)
    out = attack.generate(X)
    return (digest(out.double().numpy().round(5)), attack.queries_.tolist(),
            attack.stage_.tolist())


CASES = {
    "table-inf": lambda: square_table("inf", 0.4),
    "table-2": lambda: square_table("2", 0.8),
    "table-inf-targeted": lambda: square_table("inf", 0.6, targeted=True),
    "image-inf": lambda: square_image("inf", 0.08, 0.3),
    "image-2": lambda: square_image("2", 0.6, 0.1),
    "autoattack": autoattack_masked,
    "table-2-budget": lambda: square_table("2", 0.8, max_queries=30),
    "autoattack-budget": lambda: autoattack_masked(max_queries=130),
}

#: (digest of the output, queries_, success_ or stage_) of each case, recorded at eab2a3f;
#: every case has samples that win and samples that spend the whole budget
RECORDED = {
    "table-inf": ("0e03527504f0e411", [83, 4, 13, 7, 12, 33, 83, 83, 4, 83, 83, 12],
                  [0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]),
    "table-2": ("bcbd584b22d4fcb1", [83, 83, 23, 8, 22, 17, 83, 83, 5, 83, 83, 14],
                [0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]),
    "table-inf-targeted": ("39f00a708aba45a5", [44, 37, 82, 8, 8, 82, 82, 82, 15, 82, 7, 32],
                           [1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1]),
    "image-inf": ("7a7ca15a33383e7e", [34, 69, 35, 5, 74, 123, 16, 45, 123, 23],
                  [1, 1, 1, 1, 1, 0, 1, 1, 0, 1]),
    "image-2": ("0db74d769f224a95", [14, 11, 14, 4, 19, 123, 4, 21, 123, 6],
                [1, 1, 1, 1, 1, 0, 1, 1, 0, 1]),
    "autoattack": (
        "1b6716389e26cfb7",
        [169, 174, 174, 174, 174, 139, 174, 174, 111, 174, 174, 151, 174, 122, 105, 174],
        ["square", "none", "none", "none", "none", "square", "none", "none", "square",
         "none", "none", "square", "none", "square", "square", "none"],
    ),
    # budgets that run out (the counted path of the search), recorded at eab2a3f too
    "table-2-budget": ("9869952b866962fe", [30, 30, 23, 8, 22, 17, 30, 30, 5, 30, 30, 14],
                       [0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]),
    "autoattack-budget": (
        "882a44815dc2d2cc",
        [130, 130, 130, 130, 130, 130, 130, 130, 111, 130, 130, 130, 130, 122, 105, 130],
        ["none", "none", "none", "none", "none", "none", "none", "none", "square", "none",
         "none", "none", "none", "square", "square", "none"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_seeded_runs_give_the_recorded_outputs(case):
    digest_, queries, outcome = CASES[case]()
    assert queries == RECORDED[case][1]
    assert outcome == RECORDED[case][2]
    assert digest_ == RECORDED[case][0]

