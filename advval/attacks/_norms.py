"""Norm handling shared by every attack: names, per-sample sizes, ball projections.

The functions here work on NumPy arrays and on torch tensors alike (``xp`` is the module
of the array), so one projection serves the tabular attacks, which run in NumPy, and the
gradient attacks, which run on the model's device. The first axis is always the sample.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

#: canonical norm names
NORMS = ("inf", "2", "0")

_ALIASES = {
    "inf": "inf", "linf": "inf", "l_inf": "inf", np.inf: "inf",
    "2": "2", "l2": "2", 2: "2",
    "0": "0", "l0": "0", 0: "0",
}


def canonical_norm(norm: object, *, owner: str, allowed: tuple[str, ...] = NORMS) -> str:
    """Return ``"inf"``, ``"2"`` or ``"0"`` for the many ways users spell a norm.

    Parameters
    ----------
    norm : str, int or float
        ``"inf"``, ``np.inf``, ``"linf"``, ``2``, ``"l2"``, ``0``, ``"l0"``...
    owner : str
        The attack or function, for the error message.
    allowed : tuple of str
        The canonical norms the caller supports.

    Examples
    --------
    >>> canonical_norm(np.inf, owner="PGD")
    'inf'
    >>> canonical_norm("L2", owner="PGD")
    '2'
    >>> canonical_norm("0", owner="PGD", allowed=("inf", "2"))
    Traceback (most recent call last):
    ...
    ValueError: The 'norm' parameter of PGD must be one of 'inf', '2'. Got '0' instead.
    """
    key: Any = norm.lower() if isinstance(norm, str) else norm
    try:
        name = _ALIASES.get(key)
    except TypeError:  # unhashable
        name = None
    if name is None or name not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"The 'norm' parameter of {owner} must be one of {options}. Got {norm!r} instead."
        )
    return name


def namespace(x: Any) -> ModuleType:
    """Return the array module of ``x``: ``numpy`` or ``torch``.

    Examples
    --------
    >>> namespace(np.zeros(2)).__name__
    'numpy'
    """
    if isinstance(x, np.ndarray):
        return np
    module = type(x).__module__
    if module.startswith("torch"):
        import torch

        return torch
    raise TypeError(f"Expected a NumPy array or a torch tensor, got {type(x).__name__}.")


def flat(x: Any) -> Any:
    """View ``x`` as (n_samples, n_values)."""
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


def per_sample(value: Any, like: Any) -> Any:
    """Broadcast a scalar or one value per sample against ``like`` (n, ...)."""
    xp = namespace(like)
    if xp is np and np.ndim(value) == 0 and not hasattr(value, "shape"):
        return value
    if xp is np:
        arr = np.asarray(value, dtype=like.dtype)
    else:
        arr = xp.as_tensor(value, dtype=like.dtype, device=like.device)
    if arr.ndim == 0:
        return arr
    return arr.reshape((-1,) + (1,) * (like.ndim - 1))


def norm_of(delta: Any, norm: str) -> Any:
    """Per-sample norm of ``delta`` (already in standard units).

    Examples
    --------
    >>> norm_of(np.array([[3.0, -4.0], [0.0, 0.5]]), "2")
    array([5. , 0.5])
    >>> norm_of(np.array([[3.0, -4.0], [0.0, 0.5]]), "0")
    array([2., 1.])
    """
    xp = namespace(delta)
    d = flat(delta)
    if norm == "inf":
        return xp.amax(xp.abs(d), 1) if d.shape[1] else d.sum(1)
    if norm == "2":
        return xp.sqrt((d * d).sum(1))
    return (d != 0).sum(1) * 1.0


def project_ball(delta: Any, eps: Any, norm: str) -> Any:
    """Project ``delta`` (standard units) onto the ``norm`` ball of radius ``eps``.

    ``eps`` is a scalar or one radius per sample. The L0 ball keeps the ``eps`` largest
    changes of each sample (NumPy only: the gradient attacks do not support L0).

    Examples
    --------
    >>> project_ball(np.array([[0.5, -2.0]]), 1.0, "inf")
    array([[ 0.5, -1. ]])
    >>> project_ball(np.array([[3.0, 4.0]]), 1.0, "2")
    array([[0.6, 0.8]])
    >>> project_ball(np.array([[3.0, -4.0, 1.0]]), 1, "0")
    array([[ 0., -4.,  0.]])
    """
    xp = namespace(delta)
    radius = per_sample(eps, delta)
    if norm == "inf":
        return xp.maximum(xp.minimum(delta, radius), -radius)
    if norm == "2":
        size = per_sample(norm_of(delta, "2"), delta)
        factor = xp.minimum(size * 0 + 1, radius / xp.maximum(size, size * 0 + 1e-12))
        return delta * factor
    d = np.asarray(flat(delta))
    keep = np.broadcast_to(np.asarray(np.floor(np.asarray(eps) + 1e-9), dtype=int), (d.shape[0],))
    order = np.argsort(-np.abs(d), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(d.shape[1])[None, :].repeat(d.shape[0], 0), 1)
    return np.where(ranks < keep[:, None], d, 0.0).reshape(delta.shape)
