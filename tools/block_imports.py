"""Hide installed packages from Python, as if they were not installed.

Used to check that the test suite collects and skips cleanly without the optional extras
(torch, dask). Load it as a pytest plugin before anything else is imported::

    ADVVAL_BLOCK_IMPORTS=torch,dask PYTHONPATH=tools python -m pytest -p block_imports ...

``ADVVAL_BLOCK_IMPORTS`` lists top-level names, comma-separated. Every finder on
``sys.meta_path`` is wrapped so that it does not find them (or their submodules): ``import``
raises :class:`ModuleNotFoundError` and ``importlib.util.find_spec`` answers ``None``, which
is what ``pytest.importorskip`` and the library's optional-dependency checks see on a
machine without them.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

VARIABLE = "ADVVAL_BLOCK_IMPORTS"


class Hiding:
    """A meta-path finder that answers like ``finder`` except for the names hidden."""

    def __init__(self, finder: Any, names: frozenset[str]) -> None:
        self.finder = finder
        self.names = names

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] in self.names:
            return None
        find = getattr(self.finder, "find_spec", None)
        return None if find is None else find(fullname, path, target)

    def __getattr__(self, name: str) -> Any:  # invalidate_caches, find_distributions...
        return getattr(self.finder, name)


def install(names: Iterable[str]) -> frozenset[str]:
    """Hide the top-level packages ``names`` from every finder on ``sys.meta_path``.

    Raises
    ------
    RuntimeError
        When one of them is already imported (hiding it then would prove nothing).
    """
    hidden = frozenset(name.strip() for name in names if name.strip())
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in hidden)
    if loaded:
        raise RuntimeError(f"already imported, cannot be hidden: {', '.join(loaded)}")
    sys.meta_path[:] = [Hiding(finder, hidden) for finder in sys.meta_path]
    return hidden


HIDDEN = install(os.environ.get(VARIABLE, "").split(","))
