"""Collection of the package's doctests without the optional extras.

``pytest`` collects the docstring examples of every module under ``advval/``
(``--doctest-modules``); the modules of ``advval.attacks.gradient``,
``advval.attacks.transfer`` and ``advval.image`` import torch, and those of
``advval.distributed`` import dask, when they are imported. Without the extra they are not
collected at all (as the tests of those packages skip), instead of failing the collection.
"""

from __future__ import annotations

import importlib.util


def _installed(name: str) -> bool:
    """Whether ``name`` can be imported (a package hidden on purpose counts as missing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


#: extra -> the package modules whose import needs it
NEEDS = {
    "torch": ("advval/attacks/gradient/*", "advval/attacks/transfer.py", "advval/image/*",
              "advval/image/*/*"),
    "dask": ("advval/distributed/_*.py",),
    "distributed": ("advval/distributed/_*.py",),
}

collect_ignore_glob = sorted(
    {pattern for extra, patterns in NEEDS.items() if not _installed(extra) for pattern in patterns}
)
