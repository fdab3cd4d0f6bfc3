"""Adam as one function (``torch.optim`` imports ``torch._dynamo`` on first use: seconds)."""

from __future__ import annotations

import torch


def adam_step(
    grad: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    t: int,
    lr: float,
    *,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> torch.Tensor:
    """The Adam update to subtract at step ``t`` (from 1); moments updated in place.

    Examples
    --------
    >>> g = torch.tensor([2.0, -0.5]); m, v = torch.zeros(2), torch.zeros(2)
    >>> adam_step(g, m, v, 1, 0.1)
    tensor([ 0.1000, -0.1000])
    """
    beta1, beta2 = betas
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    return (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + eps) * lr
