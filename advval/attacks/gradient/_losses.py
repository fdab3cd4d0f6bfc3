"""Per-sample losses on logits, shared by the gradient attacks.

Every function takes logits of shape (n, n_classes) and class indices of shape (n,) on the
same device, returns one value per sample and never synchronizes with the device. A
single-logit binary model is already expanded to two columns ``[0, z]`` by
:class:`~advval.attacks.gradient._base.TorchTarget`.

Conventions: ``objective`` is what an attack *maximizes*. Untargeted, it pushes away from
``labels``; targeted, toward them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: the losses PGD accepts
LOSSES = ("ce", "margin")


def other_max(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The largest logit among the classes other than ``labels``."""
    hidden = logits.scatter(1, labels[:, None], float("-inf"))
    return hidden.amax(1)


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``z_label - max_{j != label} z_j``: positive while ``labels`` is predicted."""
    own = logits.gather(1, labels[:, None])[:, 0]
    return own - other_max(logits, labels)


def objective(
    logits: torch.Tensor, labels: torch.Tensor, *, loss: str, targeted: bool
) -> torch.Tensor:
    """What the attack maximizes, per sample.

    ``"ce"``: the cross-entropy of ``labels`` (its negative when targeted).
    ``"margin"``: the Carlini-Wagner margin, ``max_{j != y} z_j - z_y`` untargeted and
    ``z_t - max_{j != t} z_j`` targeted. It does not saturate like the cross-entropy of a
    confident model, which makes it the better loss for robustness evaluation.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0, 1.0]]); y = torch.tensor([0])
    >>> objective(logits, y, loss="margin", targeted=False)
    tensor([-1.])
    """
    if loss == "margin":
        value = margin(logits, labels)
        return value if targeted else -value
    value = F.cross_entropy(logits, labels, reduction="none")
    return -value if targeted else value


def is_adversarial(
    logits: torch.Tensor, labels: torch.Tensor, *, targeted: bool, confidence: float = 0.0
) -> torch.Tensor:
    """Boolean per sample: misclassified (or the target), by more than ``confidence``.

    Without a confidence this is the model's own decision (``argmax``), the one the final
    check uses.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]]); y = torch.tensor([0, 0])
    >>> is_adversarial(logits, y, targeted=False).tolist()
    [False, True]
    """
    if confidence == 0:
        predicted = logits.argmax(1)
        return predicted == labels if targeted else predicted != labels
    value = margin(logits, labels)
    return value > confidence if targeted else value < -confidence
