"""One step of a gradient attack, in standard units: direction, move, projection.

A step of size ``a`` moves a feature by ``a * scale`` (``domain.scale``), only where
``domain.step_mask`` allows (:class:`Units`); :func:`ascend` takes it along the
steepest ascent of the loss, :func:`projector` brings the iterate back into the domain
and the eps-ball, and :func:`finalizer` gives the exact projection an output will get
on tables with integer or one-hot columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch

from .._norms import flat
from .._space import Domain

Project = Callable[[torch.Tensor], torch.Tensor]


def finalizer(domain: Any, eps: Any, norm: str) -> Callable[..., torch.Tensor] | None:
    """``f(z, x0)``: the exact projection an output will get, where it is not ``project``.

    Tables with mutable integer columns or one-hot groups are searched in a continuous
    relaxation, but their outputs are rounded and snapped by ``domain.finalize``, which
    can undo a success found in the relaxation. The attacks score (and linearize at) the
    finalized row instead, so what they report is what they return. ``None`` for domains
    where the two projections agree (images, continuous tables): no extra work there.
    """
    if not isinstance(domain, Domain):
        return None
    discrete = domain.integer & domain.mutable
    if not discrete.any() and not any(domain.mutable[group].any() for group in domain.groups):
        return None

    def snap(z: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        return domain.finalize(z, x0, eps, norm)

    return snap


@dataclass(frozen=True)
class Units:
    """Standard units of a domain, as tensors on the attack's device (``None``: all 1).

    ``scale`` is one standard unit per feature, ``mask`` 1 where an iterate may move and
    ``weight`` their product (a masked step of one standard unit, in raw units).
    """

    scale: Any
    mask: Any
    weight: Any

    def raw(self, step: torch.Tensor) -> torch.Tensor:
        """A step in standard units, in raw units."""
        return step if self.scale is None else step * self.scale

    def standard(self, delta: torch.Tensor) -> torch.Tensor:
        """A raw difference, in standard units."""
        return delta if self.scale is None else delta / self.scale


def units(domain: Any, like: torch.Tensor) -> Units:
    """The :class:`Units` of ``domain`` for tensors like ``like``."""
    if isinstance(domain, Domain):  # its tensors, made once per domain and device
        consts, kind = domain._consts(like), domain.kind
        scale = None if kind["unit"] else consts["scale"]
        mask = None if kind["mutable"] and not domain.categories else consts["step"]
        weight = mask if scale is None else scale if mask is None else scale * mask
        return Units(scale, mask, weight)

    def tensor(value: Any) -> Any:
        if torch.is_tensor(value) or np.ndim(value):
            return torch.as_tensor(value, dtype=like.dtype, device=like.device)
        return None if float(value) == 1.0 else float(value)

    scale, mask = tensor(domain.scale), tensor(domain.step_mask(like))
    weight = mask if scale is None else scale if mask is None else scale * mask
    return Units(scale, mask, weight)


def ascend(
    z: torch.Tensor, grad: torch.Tensor, norm: str, units: Units, size: float
) -> torch.Tensor:
    """``z`` moved by ``size`` standard units along the steepest ascent of the loss.

    L-inf: ``sign(g)``; L2: ``g / ||g||`` with ``g`` the masked gradient in standard
    units. Masked features do not move. (Two kernels under L-inf.)
    """
    if norm == "inf":
        if units.weight is None:
            return torch.add(z, grad.sign(), alpha=size)
        return torch.addcmul(z, grad.sign(), units.weight, value=size)
    g = grad if units.weight is None else grad * units.weight
    length = flat(g).norm(dim=1).clamp_min(1e-12)
    return z + units.raw(g * per_row(size / length, g))


def projector(domain: Any, x0: torch.Tensor, eps: Any, norm: str) -> Project:
    """``domain.project(., x0, eps, norm)`` for the iterates of one attack, precomputed.

    Under L-inf every constraint of a raw table or a box, and the ball, are intervals
    around ``x0``: the projection is one ``clamp`` against bounds computed once (see
    :meth:`advval.attacks._space.Domain.projector`).
    """
    return cast(Project, domain.projector(x0, eps, norm))


def per_row(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape one value per sample to broadcast against ``like`` (n, ...)."""
    return values.reshape((-1,) + (1,) * (like.ndim - 1))


__all__ = ["Project", "Units", "ascend", "finalizer", "per_row", "projector", "units"]
