"""Randomness of the gradient attacks, all drawn from the attack's ``random_state``."""

from __future__ import annotations

import functools
import numbers
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state


class LazyRandomState:
    """``check_random_state(random_state)``, made on the first draw (never, if none is made).

    Every attribute is the generator's: the draws are those of the generator itself.
    :meth:`draw_seed` serves the first draw of an int seed from a cache, and the generator
    made later replays it, so every draw is the one the generator itself gives.

    Examples
    --------
    >>> LazyRandomState(0).randint(100) == np.random.RandomState(0).randint(100)
    True
    >>> lazy = LazyRandomState(3)
    >>> [lazy.draw_seed(100), int(lazy.randint(100))] == np.random.RandomState(3).randint(
    ...     100, size=2).tolist()
    True
    """

    def __init__(self, random_state: Any) -> None:
        self._seed = random_state
        self._rng: np.random.RandomState | None = None
        self._served: list[int] = []  # the ``high`` of each draw served from the cache

    def __getattr__(self, name: str) -> Any:
        if self._rng is None:
            self._rng = check_random_state(self._seed)
            for high in self._served:
                self._rng.randint(high)
        return getattr(self._rng, name)

    def draw_seed(self, high: int) -> int:
        """``int(self.randint(high))``; the first draw of an int seed without seeding a
        generator (seeding one costs more than a small model's attack step)."""
        seed = self._seed
        if (
            self._rng is None and not self._served and isinstance(seed, numbers.Integral)
            and not isinstance(seed, bool)
        ):
            self._served.append(high)
            return _first_draw(int(seed), high)
        return int(self.randint(high))


@functools.lru_cache(maxsize=64)
def _first_draw(seed: int, high: int) -> int:
    """``RandomState(seed).randint(high)``: the first draw, as the generator makes it."""
    return int(np.random.RandomState(seed).randint(high))


#: seeds are drawn below this (read once: ``np.iinfo`` is slow to ask)
_SEED_HIGH = int(np.iinfo(np.int32).max)


def torch_generator(rng: np.random.RandomState, device: torch.device) -> torch.Generator:
    """A local generator seeded from the attack's ``random_state`` (never global seeding)."""
    generator = torch.Generator(device=device)
    high = _SEED_HIGH
    seed = rng.draw_seed(high) if isinstance(rng, LazyRandomState) else int(rng.randint(high))
    generator.manual_seed(seed)
    return generator


__all__ = ["LazyRandomState", "torch_generator"]
