"""White-box attack on tree ensembles (LightGBM and scikit-learn), NumPy only."""

from .attack import TreeAttack

__all__ = ["TreeAttack"]
