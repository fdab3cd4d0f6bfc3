"""The step API of the gradient attacks: internal building blocks shared with ``advval.image``.

Not a user-facing API (nothing here is in ``advval.attacks.__all__`` and names may change
between releases), but the one place code outside ``advval.attacks.gradient`` takes the
pieces of a gradient step from: :mod:`advval.image` (adversarial patches, adversarial
training) imports these names and never the private modules behind them.

The oracle and the domain
    :class:`TorchTarget` (counted, differentiable access to a torch module),
    :func:`subset_target`; :class:`BoxDomain` (an image's pixel box, bound to the data:
    what ``Box(lo, hi).bind(X)`` returns).
A step, in standard units
    :class:`Units` / :func:`units`, :func:`ascend` (steepest ascent under L-inf or L2),
    :func:`projector` (back into the domain and the eps-ball), :func:`finalizer`,
    :func:`per_row`.
Batched restarts
    :func:`stack_runs`, :func:`fit_runs`, :class:`BestPoints`.
Losses on logits
    ``LOSSES`` (PGD's), ``APGD_LOSSES``, :func:`objective`, :func:`margin`,
    :func:`dlr_toward`, :func:`is_adversarial`.
Optimizer and randomness
    :func:`adam_step`, :func:`torch_generator`, :class:`LazyRandomState`.

Importing this module imports torch.

Examples
--------
One L-inf step of size 0.25 from the origin in the box [0, 1], then the projection back
into the eps-ball of radius 0.1:

>>> import torch
>>> from advval.attacks import Box
>>> from advval.attacks.gradient import steps
>>> domain = Box(0.0, 1.0).bind(None)
>>> x0 = torch.zeros(1, 3)
>>> grad = torch.tensor([[1.0, -2.0, 0.0]])
>>> z = steps.ascend(x0, grad, "inf", steps.units(domain, x0), 0.25)
>>> z
tensor([[ 0.2500, -0.2500,  0.0000]])
>>> steps.projector(domain, x0, 0.1, "inf")(z)
tensor([[0.1000, 0.0000, 0.0000]])
"""

from __future__ import annotations

from .._space import BoxDomain
from ._losses import APGD_LOSSES, LOSSES, dlr_toward, is_adversarial, margin, objective
from ._optim import adam_step
from ._random import LazyRandomState, torch_generator
from ._runs import BestPoints, fit_runs, stack_runs
from ._steps import Project, Units, ascend, finalizer, per_row, projector, units
from ._target import LossFn, Snap, TorchTarget, subset_target

__all__ = [
    "APGD_LOSSES",
    "BestPoints",
    "BoxDomain",
    "LOSSES",
    "LazyRandomState",
    "LossFn",
    "Project",
    "Snap",
    "TorchTarget",
    "Units",
    "adam_step",
    "ascend",
    "dlr_toward",
    "finalizer",
    "fit_runs",
    "is_adversarial",
    "margin",
    "objective",
    "per_row",
    "projector",
    "stack_runs",
    "subset_target",
    "torch_generator",
    "units",
]
