"""White-box gradient attacks on PyTorch models, and a torch MLP for tables.

One implementation per algorithm serves tables (a :class:`~advval.attacks.FeatureSpace`,
``eps`` in standard units) and images (a :class:`~advval.attacks.Box`, any batch shape).
Importing this package imports torch.
"""

from ._base import GradientAttack
from ._tabular_model import TorchTabularClassifier
from .apgd import APGD
from .autoattack import AutoAttack
from .cw import CarliniWagnerL2
from .deepfool import DeepFool
from .fgsm import FGSM
from .pgd import PGD

__all__ = [
    "APGD",
    "AutoAttack",
    "FGSM",
    "PGD",
    "CarliniWagnerL2",
    "DeepFool",
    "GradientAttack",
    "TorchTabularClassifier",
]
