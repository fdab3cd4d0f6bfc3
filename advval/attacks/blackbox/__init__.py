"""Black-box attacks: they see the model only through counted queries (NumPy only).

Score-based (class probabilities): :class:`NESAttack` (gradient estimation),
:class:`SquareAttack` (random search) and :class:`GeneticAttack` (evolutionary search);
decision-based (labels only): :class:`HopSkipJump`. All work on any model the
:class:`~advval.attacks._oracle.QueryOracle` supports, including scikit-learn Pipelines
attacked on the raw DataFrame columns.
"""

from .genetic import GeneticAttack
from .hopskipjump import HopSkipJump
from .nes import NESAttack
from .square import SquareAttack

__all__ = ["GeneticAttack", "HopSkipJump", "NESAttack", "SquareAttack"]
