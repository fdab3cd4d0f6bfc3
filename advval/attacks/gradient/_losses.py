"""Per-sample losses on logits, shared by the gradient attacks.

Every function takes logits of shape (n, n_classes) and class indices of shape (n,) on the
same device, returns one value per sample and never synchronizes with the device. A
single-logit binary model is already expanded to two columns ``[0, z]`` by
:class:`~advval.attacks.gradient.steps.TorchTarget`.

Conventions: ``objective`` is what an attack *maximizes*. Untargeted, it pushes away from
``labels``; targeted, toward them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: the losses PGD accepts
LOSSES = ("ce", "margin")
#: the losses APGD accepts
APGD_LOSSES = ("ce", "dlr", "dlr-targeted")


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
    ``"dlr"``: the margin divided by the spread of the logits (:func:`dlr_scale`, the
    Difference of Logits Ratio of Croce and Hein 2020), invariant to shifting and
    scaling the logits.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0, 1.0]]); y = torch.tensor([0])
    >>> objective(logits, y, loss="margin", targeted=False)
    tensor([-1.])
    """
    if loss in ("margin", "dlr"):
        value = margin(logits, labels)
        if loss == "dlr":
            value = value / dlr_scale(logits, targeted=targeted)
        return value if targeted else -value
    value = F.cross_entropy(logits, labels, reduction="none")
    return -value if targeted else value


def dlr_scale(logits: torch.Tensor, *, targeted: bool) -> torch.Tensor:
    """Denominator of the DLR loss: a logit spread, so the loss ignores the logits' scale.

    ``z_pi1 - z_pi3`` (untargeted) or ``z_pi1 - (z_pi3 + z_pi4) / 2`` (targeted), ``pi``
    the classes sorted by decreasing logit (Croce and Hein 2020). With too few classes
    (fewer than 3, resp. 4) the ratio is undefined or constant while the ranking holds
    (e.g. two classes: ``|margin| / |margin|``), so the scale is 1 and the DLR loss falls
    back to its numerator, the Carlini-Wagner margin: the same steepest-ascent
    direction per sample up to a positive factor, and the same sign (success criterion).
    """
    n_classes = logits.shape[1]
    if n_classes < (4 if targeted else 3):
        return torch.ones_like(logits[:, 0])
    top = logits.topk(4 if targeted else 3, dim=1).values
    spread = top[:, 0] - (top[:, 2:].mean(1) if targeted else top[:, 2])
    return spread + 1e-12


def dlr_toward(logits: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """Targeted DLR of AutoAttack's APGD-T, to maximize: ``-(z_y - z_t) / spread``.

    ``pairs`` holds (true class, target class) per row, shape (n, 2); see
    :func:`dlr_scale` for the spread and the fallback with fewer than 4 classes.

    Examples
    --------
    >>> logits = torch.tensor([[3.0, 1.0, 0.0, -1.0]])
    >>> dlr_toward(logits, torch.tensor([[0, 1]]))
    tensor([-0.5714])
    """
    own = logits.gather(1, pairs[:, :1])[:, 0]
    target = logits.gather(1, pairs[:, 1:])[:, 0]
    return (target - own) / dlr_scale(logits, targeted=True)


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
