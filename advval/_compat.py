"""The one place that knows which optional libraries are installed.

Optional frameworks are detected with :func:`importlib.util.find_spec` (which does not
import them) and imported only when a feature that needs them is used.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: optional module -> the extra that installs it
EXTRAS: dict[str, str] = {
    "torch": "torch",
    "dask": "dask",
    "distributed": "dask",
    "pyarrow": "parquet",
    "mlflow": "mlflow",
    "xgboost": "xgboost",
    "catboost": "catboost",
    "onnx": "onnx",
    "onnxruntime": "onnx",
}


def has_module(name: str) -> bool:
    """Return whether ``name`` can be imported, without importing it.

    Examples
    --------
    >>> has_module("numpy")
    True
    >>> has_module("surely_not_a_module_advval")
    False
    """
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require(name: str, *, feature: str) -> ModuleType:
    """Import the optional module ``name`` or raise an ImportError that gives the fix.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"torch"``.
    feature : str
        What needs it, for the message (``"PGD"``, ``"reading Parquet files"``).

    Returns
    -------
    module : ModuleType

    Raises
    ------
    ImportError
        With the exact ``pip install "advval[extra]"`` command.

    Examples
    --------
    >>> require("numpy", feature="arrays").__name__
    'numpy'
    """
    if not has_module(name):
        extra = EXTRAS.get(name)
        fix = f'pip install "advval[{extra}]"' if extra else f"pip install {name}"
        raise ImportError(f"{feature} needs the optional package '{name}'. Install it with: {fix}")
    return importlib.import_module(name)
