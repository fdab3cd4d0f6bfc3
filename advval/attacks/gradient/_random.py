"""Randomness of the gradient attacks, all drawn from the attack's ``random_state``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state


class LazyRandomState:
    """``check_random_state(random_state)``, made on the first draw (never, if none is made).

    Every attribute is the generator's: the draws are those of the generator itself.

    Examples
    --------
    >>> LazyRandomState(0).randint(100) == np.random.RandomState(0).randint(100)
    True
    """

    def __init__(self, random_state: Any) -> None:
        self._seed = random_state
        self._rng: np.random.RandomState | None = None

    def __getattr__(self, name: str) -> Any:
        if self._rng is None:
            self._rng = check_random_state(self._seed)
        return getattr(self._rng, name)


def torch_generator(rng: np.random.RandomState, device: torch.device) -> torch.Generator:
    """A local generator seeded from the attack's ``random_state`` (never global seeding)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    return generator


__all__ = ["LazyRandomState", "torch_generator"]
