"""Attacks on tabular and image classifiers, with real feature constraints.

Every attack has one verb, ``generate(X, y=None) -> X_adv``, and reports ``success_``,
``queries_`` and ``norms_`` per sample. Tables are described by a :class:`FeatureSpace`
(``eps`` in standard units, bounds, immutable / integer / categorical / monotone columns);
images by a :class:`Box`.

The black-box and tree attacks need only NumPy; the gradient attacks, the transfer attack
and :class:`TorchTabularClassifier` need PyTorch (``pip install "advval[torch]"``) and are
imported lazily, so ``import advval.attacks`` does not import torch.

Examples
--------
>>> from advval.attacks import FeatureSpace
>>> FeatureSpace(feature_names=["age", "income"], immutable=["age"])
FeatureSpace(feature_names=['age', 'income'], immutable=['age'])
"""

from __future__ import annotations

import importlib
from typing import Any

#: public names defined in modules that import torch, loaded on first access (PEP 562)
_LAZY = {
    "FGSM": ".gradient",
    "PGD": ".gradient",
    "APGD": ".gradient",
    "AutoAttack": ".gradient",
    "CarliniWagnerL2": ".gradient",
    "DeepFool": ".gradient",
    "TorchTabularClassifier": ".gradient",
    "TransferAttack": ".transfer",
}

#: public names of the NumPy-only attack modules, loaded on first access too (they import
#: scikit-learn and pandas: ``advval attack --help`` and the model readers do not need them)
_EAGER = {
    "Attack": "._base",
    "QueryBudgetError": "._oracle",
    "Box": "._space",
    "FeatureSpace": "._space",
    "NESAttack": ".blackbox",
    "SquareAttack": ".blackbox",
    "HopSkipJump": ".blackbox",
    "GeneticAttack": ".blackbox",
    "TreeAttack": ".trees",
    "robustness_report": ".evaluate",
    "make_robust_scorer": ".evaluate",
    "AdversarialTrainingClassifier": ".evaluate",
    "load_model": "._loading",
    "model_format": "._loading",
    "model_family": "._families",
    "check_export": "._export_check",
    "check_attack": "._checks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name) or _EAGER.get(name)
    if module is None:
        raise AttributeError(f"module 'advval.attacks' has no attribute {name!r}")
    if module in (".gradient", ".transfer"):
        from .._compat import require

        require("torch", feature=name)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_EAGER))


__all__ = [*sorted(_LAZY), *sorted(_EAGER)]
