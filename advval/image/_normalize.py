"""Per-channel normalization as the first layer of an image model."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Normalize(nn.Module):
    """Per-channel ``(x - mean) / std``, as a layer inside the model.

    Putting the normalization inside the model lets attacks work in raw pixel space with
    explicit bounds such as ``(0, 1)``: the eps-ball and the box are then measured in
    pixels, as robustness figures are reported. ``mean`` and ``std`` are buffers, so they
    follow ``model.to(device)`` and are saved in the ``state_dict``; at call time they are
    cast to the input's device and dtype.

    Parameters
    ----------
    mean, std : sequence of float
        One value per channel (channel axis 1 of an ``(N, C, ...)`` input); a single value
        applies to every channel. Both must be finite and ``std`` positive.

    Examples
    --------
    >>> import torch
    >>> norm = Normalize([0.5, 0.0, 0.0], [0.5, 1.0, 2.0])
    >>> norm(torch.ones(1, 3, 1, 1)).flatten()
    tensor([1.0000, 1.0000, 0.5000])
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        mean_t = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std_t = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if mean_t.numel() == 0 or std_t.numel() == 0:
            raise ValueError("Normalize: mean and std must not be empty.")
        if mean_t.numel() != std_t.numel() and 1 not in (mean_t.numel(), std_t.numel()):
            raise ValueError(
                f"Normalize: mean has {mean_t.numel()} values but std has {std_t.numel()}."
            )
        for name, values in (("mean", mean_t), ("std", std_t)):
            if not bool(torch.isfinite(values).all()):
                raise ValueError(
                    f"Normalize: {name} must be finite. Got {values.tolist()} instead."
                )
        if not bool(torch.all(std_t > 0)):
            raise ValueError(f"Normalize: std must be positive. Got {std_t.tolist()} instead.")
        mean_t, std_t = torch.broadcast_tensors(mean_t, std_t)
        self.register_buffer("mean", mean_t.clone())
        self.register_buffer("std", std_t.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"Normalize expects an (N, C, ...) input. Got shape {tuple(x.shape)}.")
        channels = self.mean.numel()
        if channels != 1 and x.shape[1] != channels:
            raise ValueError(
                f"Normalize: the input has {x.shape[1]} channels but mean and std have {channels}."
            )
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = self.mean.to(device=x.device, dtype=x.dtype).view(shape)
        std = self.std.to(device=x.device, dtype=x.dtype).view(shape)
        return (x - mean) / std

    def extra_repr(self) -> str:
        return f"mean={self.mean.tolist()}, std={self.std.tolist()}"
