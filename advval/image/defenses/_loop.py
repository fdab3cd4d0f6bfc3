"""The pieces of a training loop that the training defenses share.

Batches from a ``DataLoader`` or a seeded shuffle of an ``(X, y)`` tensor pair, moved to the
model's device and dtype; mixed precision (``torch.autocast`` on the model's device type,
a ``GradScaler`` only for float16 on CUDA); the model's train / eval flags restored as
found; a progress bar on stderr. Nothing here synchronizes with the device.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from ..._validation import check_bool, check_number, check_option
from ...attacks.gradient.steps import torch_generator

#: mixed-precision settings the training defenses accept
AMP = (None, "bf16", "fp16")
_AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_model(model: Any, *, name: str, owner: str) -> tuple[torch.device, torch.dtype]:
    """The device and floating dtype of a trainable module (its first floating parameter)."""
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a torch.nn.Module returning logits. "
            f"Got {type(model).__name__} instead."
        )
    for param in model.parameters():
        if param.is_floating_point():
            return param.device, param.dtype
    raise ValueError(
        f"The {name!r} parameter of {owner} must have floating-point parameters to train. "
        f"Got a {type(model).__name__} without any."
    )


#: ``value`` must be a bool: the package's one check (kept under this name for the defenses)
check_flag = check_bool


class Batches:
    """Batches of ``(x, y)`` on the model's device, x in the model's dtype.

    Parameters
    ----------
    data : DataLoader (or any re-iterable of ``(x, y)`` pairs) or (X, y) tensor pair
        A pair is cut into batches of ``batch_size``, shuffled every pass by a local
        generator seeded from ``rng`` (in order when ``rng`` is ``None``); a loader is
        iterated as it is (its own sampler decides the order).
    """

    def __init__(
        self,
        data: Any,
        *,
        name: str,
        owner: str,
        device: torch.device,
        dtype: torch.dtype,
        batch_size: int,
        rng: np.random.RandomState | None = None,
        channels_last: bool = False,
    ) -> None:
        self.device, self.dtype, self.channels_last = device, dtype, channels_last
        self.batch_size = batch_size
        self.generator: torch.Generator | None = None
        self.pair: tuple[torch.Tensor, torch.Tensor] | None = None
        self.loader: Any = None
        if isinstance(data, (tuple, list)):
            if len(data) != 2 or not all(torch.is_tensor(t) for t in data):
                raise TypeError(
                    f"The {name!r} parameter of {owner} must be a DataLoader or an (X, y) "
                    "pair of tensors. Got a "
                    f"{type(data).__name__} of {[type(t).__name__ for t in data]} instead."
                )
            X, y = data
            if len(X) != len(y) or len(X) == 0:
                raise ValueError(
                    f"The {name!r} parameter of {owner}: X has {len(X)} samples and y has "
                    f"{len(y)} labels; expected the same, non-zero number."
                )
            self.pair = (X, y)
            if rng is not None:
                self.generator = torch_generator(rng, X.device)
        elif isinstance(data, torch.utils.data.DataLoader):
            self.loader = data
        else:
            raise TypeError(
                f"The {name!r} parameter of {owner} must be a DataLoader or an (X, y) pair "
                f"of tensors. Got {type(data).__name__} instead."
            )
        self.owner, self.name = owner, name

    def size(self) -> int | None:
        """Batches per pass (``None`` for a loader of unknown length)."""
        if self.pair is not None:
            return -(-len(self.pair[0]) // self.batch_size)
        try:
            return len(self.loader)
        except TypeError:  # an IterableDataset without __len__
            return None

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.pair is not None:
            X, y = self.pair
            if self.generator is not None:
                order = torch.randperm(len(X), generator=self.generator, device=X.device)
            else:
                order = torch.arange(len(X), device=X.device)
            for chunk in order.split(self.batch_size):
                yield self._move(X[chunk], y[chunk])
            return
        for batch in self.loader:
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise TypeError(
                    f"The {self.name!r} parameter of {self.owner} must yield (x, y) batches. "
                    f"Got a {type(batch).__name__} batch instead."
                )
            yield self._move(batch[0], batch[1])

    def _move(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if y.is_floating_point() or y.dim() != 1:
            raise ValueError(
                f"The {self.name!r} parameter of {self.owner} must give class indices as y: "
                f"an integer tensor of shape (n,). Got {y.dtype} of shape {tuple(y.shape)}."
            )
        x = x.to(device=self.device, dtype=self.dtype, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y.to(device=self.device, dtype=torch.long, non_blocking=True)


def check_amp(amp: Any, device: torch.device, *, owner: str) -> None:
    """``amp`` is one of :data:`AMP` and the device supports it."""
    check_option(amp, name="amp", owner=owner, options=AMP)
    if amp is not None and device.type not in ("cpu", "cuda", "xpu", "mps"):
        raise ValueError(
            f"The 'amp' parameter of {owner}: torch.autocast does not support the model's "
            f"device {device}. Use amp=None."
        )


def autocast(amp: str | None, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """``torch.autocast`` on ``device``'s type in ``amp`` precision (``None``: no-op)."""
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=_AMP_DTYPES[amp])


class Stepper:
    """One optimizer step on a loss, with a ``GradScaler`` for float16 on CUDA only."""

    def __init__(self, optimizer: torch.optim.Optimizer, *, amp: str | None,
                 device: torch.device) -> None:
        self.optimizer = optimizer
        self.scaler = (
            torch.amp.GradScaler("cuda") if amp == "fp16" and device.type == "cuda" else None
        )

    def __call__(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            self.optimizer.step()
            return
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()


def check_optimizer(optimizer: Any, model: nn.Module, *, owner: str) -> None:
    """A user optimizer must be a torch optimizer over (some of) ``model``'s parameters."""
    if optimizer is None:
        return
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"The 'optimizer' parameter of {owner} must be a torch.optim.Optimizer or None. "
            f"Got {type(optimizer).__name__} instead."
        )
    own = {id(p) for p in model.parameters()}
    if not any(id(p) in own for group in optimizer.param_groups for p in group["params"]):
        raise ValueError(
            f"The 'optimizer' parameter of {owner} must optimize the model's parameters. "
            "Got an optimizer over other tensors."
        )


@contextlib.contextmanager
def modes_restored(*models: nn.Module) -> Iterator[None]:
    """Restore every submodule's ``training`` flag on exit, whatever happened inside."""
    saved = [[(m, m.training) for m in model.modules()] for model in models]
    try:
        yield
    finally:
        for flags in saved:
            for module, training in flags:
                module.training = training


def progress(*, total: int | None, desc: str, enabled: bool) -> Any:
    """A tqdm bar on stderr (disabled, and silent, unless ``enabled``)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not enabled, leave=False)


def check_positive(value: Any, *, name: str, owner: str, kind: type = float) -> None:
    """``value`` is a number in (0, inf) (an int in [1, inf) for ``kind=int``)."""
    if kind is int:
        check_number(value, name=name, owner=owner, kind=int, low=1)
    else:
        check_number(value, name=name, owner=owner, low=0, closed="right")

