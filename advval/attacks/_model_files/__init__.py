"""Checks that a model file is safe to load before any parser or unpickler sees it.

Loading a model file must not run code from it unless the user trusts the file
(``--trust-model``, ``trust=True``). Each format has its own way to break that promise, and
its own check here, run on the bytes read once from disk (so a file swapped after the check
is never the one loaded):

- :mod:`._export`: a torch.export archive (``.pt2``) may hold pickles (weights, constants,
  example inputs: :mod:`._tensor_pickle` reads the latter's opcodes without running them)
  and native code; :mod:`._export_program`: its program JSON reaches ``eval`` (sympy) and
  generated Python source;
- :mod:`._torchscript`: a TorchScript archive runs TorchScript code, which can call operators
  that write files (:mod:`._ops` says which operators a file may call);
- :mod:`._lightgbm`: LightGBM's C++ parser aborts or hangs the process on a malformed text
  model;
- :mod:`._onnx`: an ONNX file may name external data files and custom operator libraries,
  and onnxruntime's C++ builds its trees recursively (a deep enough tree overflows the
  stack); the trees themselves are checked by :mod:`advval.attacks.trees._onnx`;
- :mod:`._zip`: archives are read once, in memory, and the one that is loaded is rebuilt from
  the checked members.

Pickle and joblib files are not checked: unpickling runs whatever code the file names, so
they are refused outright unless trusted (``advval.attacks._loading``).
"""

from ._export import check_export_archive
from ._lightgbm import check_lightgbm_text
from ._refusal import PICKLE_RISK, TRUST_HINT, pickle_refusal, refusal
from ._torchscript import NOT_TORCHSCRIPT, check_torchscript_archive
from ._zip import read_archive

__all__ = [
    "NOT_TORCHSCRIPT",
    "PICKLE_RISK",
    "TRUST_HINT",
    "check_export_archive",
    "check_lightgbm_text",
    "check_torchscript_archive",
    "pickle_refusal",
    "read_archive",
    "refusal",
]
