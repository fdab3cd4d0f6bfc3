"""Transfer attack: attack a differentiable surrogate white-box, replay on the target.

The surrogate is either learned from the target's answers (tables) or a torch model the
user trained on the same task (images: craft on model A, replay on model B). Requires
PyTorch (the default surrogate is a :class:`TorchTabularClassifier` and the default
white-box attack :class:`PGD`).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import clone

from .._caller import user_stacklevel
from .._validation import check_number
from ..exceptions import AdvvalWarning
from ._base import Attack, check_positive_int
from ._norms import canonical_norm
from ._space import FeatureSpace
from .gradient import PGD, TorchTabularClassifier


class TransferAttack(Attack):
    """Train a surrogate on the target's answers, attack it white-box, replay on the target.

    1. Around every attacked row, ``n_synthetic`` valid rows are drawn (a Gaussian step of
       ``spread * eps`` standard units, projected onto the feature space) and labelled by
       the target model; these queries count against the row's ``max_queries`` budget.
    2. The surrogate (by default a :class:`TorchTabularClassifier`) is fitted on the
       attacked and synthetic rows with the target's labels.
    3. The white-box ``attack`` (by default :class:`PGD` with the margin loss and 50
       steps) runs against the surrogate with this attack's ``eps``, ``norm`` and feature
       space.
    4. The base class replays the result on the target: ``success_`` is the transfer
       success, checked with the target's own predictions.

    A ``surrogate`` that is a ``torch.nn.Module`` is taken as already trained on the same
    task and used as given (steps 1 and 2 are skipped, no target query but the final
    check): the usual transfer setting for images, such as an (N, C, H, W) batch with
    ``bounds=(0, 1)``. Its logits must use the target's class indices.

    Parameters
    ----------
    model : classifier, Booster, torch module or callable
        The target; only its predicted labels are used.
    eps : float, default=0.3
        Budget in standard units.
    norm : {"inf", 2}, default="inf"
    targeted : bool, default=False
    feature_space, bounds, max_queries, random_state
        As for every attack. ``max_queries`` caps the target's answers per row (the
        synthetic rows, the row itself and the final check).
    surrogate : classifier or torch.nn.Module, optional
        An unfitted differentiable classifier, trained here on the target's answers, or
        a trained ``torch.nn.Module`` returning logits, used as given (never moved or
        trained, and left as found: attacked in eval mode, as every model is). Default
        (tables only): ``TorchTabularClassifier(hidden=(64, 64), epochs=200, lr=3e-3)``.
        Images need a trained module.
    attack : Attack, optional
        The white-box attack on the surrogate (cloned; its ``model``, ``eps``, ``norm``,
        ``targeted``, ``feature_space``, ``bounds`` and ``random_state`` are replaced).
        Default: ``PGD(steps=50, loss="margin")``.
    n_synthetic : int, default=20
        Synthetic rows per attacked row, fewer when the query budget does not allow them.
    spread : float, default=2.0
        Size of the synthetic steps, in multiples of ``eps``.
    refine : SquareAttack, optional
        Black-box refinement: rows the transfer did not flip on the target (one counted
        query each to find out) are searched further by this attack, starting from the
        transferred row, within the same eps-ball and the rows' remaining budget. Its
        ``eps``, ``norm`` and ``targeted`` are replaced by this attack's.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)
        ``success_`` is the transfer success on the target.
    surrogate_ : classifier or torch.nn.Module
        The fitted surrogate (the given module when it is one).
    surrogate_agreement_ : float
        Share of the surrogate's training rows on which it agrees with the target (NaN
        for a given module: it was not trained here).

    References
    ----------
    Papernot, McDaniel, Goodfellow, Jha, Celik and Swami, "Practical Black-Box Attacks
    against Machine Learning", AsiaCCS 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    >>> attack = TransferAttack(forest, eps=1.0, n_synthetic=5, random_state=0,
    ...                         surrogate=TorchTabularClassifier(epochs=20, random_state=0))
    >>> X_adv = attack.generate(X[:10], y[:10])
    >>> X_adv.shape, bool(attack.queries_.max() <= 7)
    ((10, 4), True)
    """

    norms: ClassVar[tuple[str, ...]] = ("inf", "2")
    needs_scores: ClassVar[bool] = False
    white_box: ClassVar[bool] = False

    def __init__(
        self,
        model: Any,
        *,
        eps: float = 0.3,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        surrogate: Any = None,
        attack: Attack | None = None,
        n_synthetic: int = 20,
        spread: float = 2.0,
        refine: Attack | None = None,
    ) -> None:
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.surrogate = surrogate
        self.attack = attack
        self.n_synthetic = n_synthetic
        self.spread = spread
        self.refine = refine

    def _generate(
        self, z0: np.ndarray, labels: np.ndarray, domain: Any, oracle: Any,
        rng: np.random.RandomState,
    ) -> np.ndarray:
        name = type(self).__name__
        check_positive_int(self.n_synthetic, name="n_synthetic", owner=name, low=0)
        check_number(self.spread, name="spread", owner=name, low=0, closed="right")
        if self.attack is not None and not isinstance(self.attack, Attack):
            raise TypeError(
                f"The 'attack' parameter of {name} must be an advval attack such as PGD(...). "
                f"Got {type(self.attack).__name__} instead."
            )
        if self.refine is not None and not hasattr(self.refine, "_search"):
            raise TypeError(
                f"The 'refine' parameter of {name} must be a SquareAttack (it can start from "
                f"the transferred rows). Got {type(self.refine).__name__} instead."
            )
        images = np.ndim(z0) > 2
        if isinstance(self.surrogate, torch.nn.Module):
            return self._transfer(self.surrogate, z0, labels, labels, domain, oracle, rng)
        if images and self.surrogate is None:
            raise ValueError(
                f"The 'surrogate' parameter of {name} must be a trained torch.nn.Module "
                f"for image inputs of shape {tuple(np.shape(z0))}: the default surrogate "
                "is a tabular model. Pass a model trained on the same task."
            )
        rows, Z = self._training_rows(z0, domain, oracle, rng)
        answers = oracle.labels(Z, rows)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        surrogate = clone(self.surrogate) if self.surrogate is not None else (
            TorchTabularClassifier(hidden=(64, 64), epochs=200, lr=3e-3)
        )
        if "random_state" in surrogate.get_params():
            surrogate.set_params(random_state=seed)
        if len(np.unique(answers)) < 2:
            warnings.warn(
                f"{name}: the target gave one answer to all {len(Z)} training rows, so no "
                "surrogate can be learned; the rows are returned unchanged.",
                AdvvalWarning,
                stacklevel=user_stacklevel(),
            )
            self.surrogate_, self.surrogate_agreement_ = None, float("nan")
            return z0
        training = domain.decode(Z, oracle.like) if hasattr(domain, "decode") else Z
        surrogate.fit(training, answers)
        known = set(np.asarray(surrogate.classes_).tolist())
        goals = labels if all(int(g) in known for g in labels) else None
        if goals is None and self.targeted:
            raise ValueError(
                f"{name}: the target never predicted some of the target classes on the "
                "training rows, so the surrogate cannot be steered toward them."
            )
        out = self._transfer(surrogate, z0, labels, goals, domain, oracle, rng, seed=seed)
        self.surrogate_agreement_ = float(np.mean(surrogate.predict(training) == answers))
        return out

    def _transfer(
        self, surrogate: Any, z0: np.ndarray, labels: np.ndarray, goals: np.ndarray | None,
        domain: Any, oracle: Any, rng: np.random.RandomState, *, seed: int | None = None,
    ) -> np.ndarray:
        """The white-box attack on ``surrogate`` away from (toward) ``goals``, then the
        optional refinement; ``goals=None``: from the surrogate's own predictions."""
        if seed is None:
            seed = int(rng.randint(np.iinfo(np.int32).max))
        self.surrogate_, self.surrogate_agreement_ = surrogate, float("nan")
        white = clone(self.attack) if self.attack is not None else PGD(
            None, steps=50, loss="margin"
        )
        start = domain.decode(z0, oracle.like) if hasattr(domain, "decode") else z0
        space = self.feature_space
        if space is None and self.bounds is None and np.ndim(z0) <= 2:
            space = FeatureSpace.from_frame(start)  # the units of this attack's domain
        white.set_params(
            model=surrogate, eps=self.eps, norm=self.norm, targeted=self.targeted,
            feature_space=space, bounds=self.bounds, random_state=seed,
        )
        adversarial = white.generate(start, goals)
        out = np.asarray(domain.encode(adversarial), dtype=np.float64).reshape(z0.shape)
        if self.refine is not None:
            out = self._refined(out, z0, labels, domain, oracle, rng)
        return out

    def _refined(
        self, z: np.ndarray, z0: np.ndarray, labels: np.ndarray, domain: Any, oracle: Any,
        rng: np.random.RandomState,
    ) -> np.ndarray:
        """Search on from the transferred rows the target did not flip."""
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        z = domain.finalize(z, z0, self.eps, norm)
        asked = np.flatnonzero(oracle.remaining(np.arange(len(z))) >= 2)
        answers = oracle.labels(z[asked], asked)
        flipped = answers == labels[asked] if self.targeted else answers != labels[asked]
        failed = asked[~flipped]
        if not failed.size:
            return z
        refiner = clone(self.refine).set_params(
            eps=self.eps, norm=self.norm, targeted=self.targeted
        )
        refiner._check_params()
        z = z.copy()
        z[failed] = refiner._search(
            z0[failed], z[failed], labels[failed], domain, oracle.subset(failed), rng
        )
        return z

    def _training_rows(
        self, z0: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        """The attacked rows and their synthetic neighbours, within the query budget."""
        n = len(z0)
        # one answer for the row itself and one for the final check stay reserved
        room = np.minimum(oracle.remaining(np.arange(n)) - 2, self.n_synthetic)
        room = np.maximum(room, 0)
        owners = np.repeat(np.arange(n), room)
        base = z0[owners]
        reach = self.spread * float(self.eps or 0.0)
        step = rng.normal(size=base.shape) * reach
        candidates = base + step * np.asarray(domain.scale)
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        synthetic = domain.finalize(candidates, base, reach, norm)
        rows = np.concatenate([np.arange(n), owners])
        return rows, np.concatenate([z0, synthetic])

