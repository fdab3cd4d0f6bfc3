"""AutoAttack-style worst case: APGD-CE, then APGD-T, then the Square Attack on survivors."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ..._progress import stage as progress
from ..._validation import check_number, check_option
from .._base import check_positive_int
from .._oracle import check_finite_outputs
from ..blackbox.square import SquareAttack
from ._base import GradientAttack
from ._target import TorchTarget, subset_target
from .apgd import APGD

#: the stages of each version, in the order they run
VERSIONS: dict[str, tuple[str, ...]] = {
    "standard": ("apgd-ce", "apgd-t", "square"),
    "fast": ("apgd-ce", "apgd-t"),
}
#: ``stage_`` of a sample the model already gets wrong, and of one no stage fooled
INITIAL, NONE = "initial", "none"
#: every value ``stage_`` can take that is a success, in order
STAGES = (INITIAL, "apgd-ce", "apgd-t", "square")
#: initial block fraction of the Square stage (AutoAttack's setting for 5,000 queries)
SQUARE_P_INIT = 0.8
#: forward rows per sample a stage needs at the least: one step, its check, the final check
_STAGE_MINIMUM = 4


class AutoAttack(GradientAttack):
    """Worst case over APGD-CE, APGD-T and the Square Attack, each on the survivors.

    AutoAttack (Croce and Hein 2020) in its standard form: the samples are attacked by

    1. ``apgd-ce``: :class:`APGD` with the cross-entropy loss;
    2. ``apgd-t``: :class:`APGD` with the targeted DLR loss toward each of the
       ``n_target_classes`` classes the model ranks highest after the true one (with 2 or
       3 classes, where the DLR ratio is undefined, APGD falls back to the margin loss and
       uses the ``n_classes - 1`` classes there are);
    3. ``square``: the score-based :class:`~advval.attacks.SquareAttack` (random search,
       no gradients: it catches gradient masking) with ``square_steps`` queries,

    and each stage runs only on the samples that every earlier stage failed to fool (a
    check with the model after each stage, one forward row per sample), which keeps the
    ensemble cheap: on an undefended model most samples fall to the first stage. Samples
    the model already misclassifies are not attacked. Each sample returns the point of the
    stage that fooled it, else the last stage's point (always inside the ball and box).
    ``version="fast"`` leaves the Square stage out (white-box only).

    The APGD stages are batched on the input's device; the Square stage searches on the
    CPU (NumPy) and queries the model on its device. ``targeted=True`` turns every stage
    toward the labels ``y``: targeted APGD with the cross-entropy, then with the DLR loss,
    then a targeted Square Attack.

    Parameters
    ----------
    model : torch.nn.Module or TorchTabularClassifier
        Returns logits of shape (n, n_classes), or (n,) / (n, 1) for a binary model.
    eps : float, default=8/255
        Budget in standard units (pixels for images with ``bounds``).
    norm : {"inf", 2}, default="inf"
    targeted : bool, default=False
    feature_space, bounds
        The input domain, as in :class:`PGD` (images: ``bounds=(0, 1)``).
    max_queries : int, optional
        Forward rows per sample over all stages, the checks included; a stage that does
        not fit in what is left is skipped, and APGD shortens its runs to fit.
    random_state : int, RandomState or None
        Seeds every stage (local generators only).
    version : {"standard", "fast"}, default="standard"
        The stages run (see above).
    steps : int, default=100
        Iterations of each APGD run.
    restarts : int, default=1
        Random starts of each APGD stage (APGD-T runs ``restarts`` per target class).
    n_target_classes : int, default=9
        Target classes of APGD-T (at most ``n_classes - 1`` are used).
    square_steps : int, default=5000
        Iterations (queries per sample) of the Square stage.
    batch_size : int, optional
        Samples attacked together in each stage (their APGD-T runs stack ``restarts *
        n_target_classes`` copies of them): bounds the memory on a GPU. Default: all
        survivors of a stage at once.
    autocast : {"bfloat16"}, optional
        Reduced-precision forward passes of the APGD searches (see :class:`APGD`).

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)
        See :class:`~advval.attacks.Attack`.
    stage_ : ndarray of str, shape (n_samples,)
        The stage that fooled each sample (``"apgd-ce"``, ``"apgd-t"``, ``"square"``),
        ``"initial"`` where the model was wrong before any attack, ``"none"`` where no
        stage succeeded. It agrees with ``success_``: ``stage_ != "none"`` is ``success_``.
    stage_counts_ : dict of str to int
        Samples won by each of ``"initial"``, ``"apgd-ce"``, ``"apgd-t"`` and
        ``"square"``; the counts add up to ``success_.sum()``.
    blackbox_wins_ : int
        Samples only the black-box stage fooled (``stage_counts_["square"]``). AutoAttack
        reads them as a sign of gradient masking; :func:`~advval.attacks.robustness_report`
        raises its ``blackbox_stronger`` flag for them.

    See Also
    --------
    APGD, PGD : the gradient stages on their own.
    advval.attacks.robustness_report : worst case over attacks, eps curve, sanity flags.

    References
    ----------
    F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble
    of diverse parameter-free attacks", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    >>> _ = model.requires_grad_(False).eval()
    >>> _ = model[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))
    >>> _ = model[1].bias.zero_()
    >>> X = torch.tensor([[0.6, 0.5, 0.1, 0.0], [0.0, 0.9, 0.1, 0.0]]).reshape(2, 1, 2, 2)
    >>> attack = AutoAttack(model, eps=0.1, bounds=(0, 1), steps=10, square_steps=20,
    ...                     random_state=0)
    >>> X_adv = attack.generate(X, torch.tensor([0, 1]))
    >>> attack.success_.tolist(), attack.stage_.tolist()
    ([True, False], ['apgd-ce', 'none'])
    >>> attack.stage_counts_
    {'initial': 0, 'apgd-ce': 1, 'apgd-t': 0, 'square': 0}
    """

    norms: ClassVar[tuple[str, ...]] = ("inf", "2")

    def __init__(
        self,
        model: Any,
        *,
        eps: float = 8 / 255,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        version: str = "standard",
        steps: int = 100,
        restarts: int = 1,
        n_target_classes: int = 9,
        square_steps: int = 5000,
        batch_size: int | None = None,
        autocast: str | None = None,
    ) -> None:
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.version = version
        self.steps = steps
        self.restarts = restarts
        self.n_target_classes = n_target_classes
        self.square_steps = square_steps
        self.batch_size = batch_size
        self.autocast = autocast

    def generate(self, X: Any, y: Any = None) -> Any:
        """Return adversarial versions of the rows (or images) in ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray or torch tensor
            The inputs to perturb; never modified. A tensor keeps its dtype and device.
        y : array-like or tensor, optional
            True labels (untargeted) or target labels (``targeted=True``). Default: the
            model's own predictions (untargeted only).

        Returns
        -------
        X_adv : same type as ``X``
        """
        self._stage: np.ndarray | None = None
        try:
            out = super().generate(X, y)
            stage = self._stage
        finally:
            del self._stage
        if stage is None:  # eps=0: no stage ran
            stage = np.full(len(self.success_), NONE)
        # the final check of the base class is the truth: a stage's win it does not confirm
        # is no win, and a success without a stage (eps=0) was there before any attack
        stage = np.where(self.success_, np.where(stage == NONE, INITIAL, stage), NONE)
        self.stage_ = stage.astype(str)
        self.stage_counts_ = {name: int((self.stage_ == name).sum()) for name in STAGES}
        self.blackbox_wins_ = self.stage_counts_["square"]
        return out

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_option(self.version, name="version", owner=name, options=tuple(VERSIONS))
        check_positive_int(self.steps, name="steps", owner=name)
        check_positive_int(self.restarts, name="restarts", owner=name)
        check_positive_int(self.n_target_classes, name="n_target_classes", owner=name)
        check_positive_int(self.square_steps, name="square_steps", owner=name)
        check_number(
            self.batch_size, name="batch_size", owner=name, kind=int, low=1, allow_none=True
        )
        return norm

    def _generate(
        self,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        n = len(z0)
        stage = np.full(n, NONE, dtype=object)
        self._stage = stage
        z = z0.clone()
        # samples with room for the first check and the final one
        alive = np.flatnonzero(_fits(oracle, np.arange(n), 2))
        fooled = np.zeros(len(alive), dtype=bool)
        for part in self._batches(len(alive)):
            rows = alive[part]
            fooled[part] = self._fooled(z0[_index(rows, z0)], rows, labels, oracle)
        stage[alive[fooled]] = INITIAL
        alive = alive[~fooled]
        for name in VERSIONS[self.version]:
            alive = alive[_fits(oracle, alive, _STAGE_MINIMUM)]
            won = np.zeros(len(alive), dtype=bool)
            batches = self._batches(len(alive))
            with progress(f"{name} on {len(alive):,} rows", total=len(alive)) as bar:
                for part in batches:
                    rows = alive[part]
                    sub = _subset(oracle, rows)
                    found = self._stage_points(
                        name, z0[_index(rows, z0)], labels[rows], domain, sub, rng
                    )
                    oracle.queries[rows] = sub.queries
                    z[_index(rows, z0)] = found
                    won[part] = self._fooled(found, rows, labels, oracle)
                    bar.advance(len(rows))
                    if len(batches) > 1:  # a plain line per batch in a log
                        done = min(part.stop, len(alive))
                        bar.describe(f"{done:,} done, {int(won[:done].sum()):,} fooled")
            stage[alive[won]] = name
            alive = alive[~won]
        return z

    def _batches(self, n: int) -> list[slice]:
        """Consecutive slices of at most ``batch_size`` of ``n`` samples."""
        size = n if self.batch_size is None else self.batch_size
        return [slice(start, start + size) for start in range(0, n, max(size, 1))]

    def _stage_points(
        self,
        name: str,
        z0: torch.Tensor,
        labels: np.ndarray,
        domain: Any,
        oracle: TorchTarget,
        rng: np.random.RandomState,
    ) -> torch.Tensor:
        """Run one stage on the samples ``z0`` (their own counted target ``oracle``)."""
        common = {
            "eps": self.eps,
            "norm": self.norm,
            "targeted": self.targeted,
            "feature_space": self.feature_space,
            "bounds": self.bounds,
        }
        if name == "square":
            square = SquareAttack(
                self.model, **common, steps=self.square_steps, p_init=SQUARE_P_INIT
            )
            view = _Scores(oracle, like=z0)
            found = square._generate(
                z0.detach().cpu().double().numpy(), labels, domain, view, rng
            )
            return torch.as_tensor(found, dtype=z0.dtype, device=z0.device)
        loss = "ce" if name == "apgd-ce" else "dlr" if self.targeted else "dlr-targeted"
        apgd = APGD(
            self.model,
            **common,
            steps=self.steps,
            restarts=self.restarts,
            loss=loss,
            n_target_classes=self.n_target_classes,
            autocast=self.autocast,
        )
        return apgd._generate(z0, labels, domain, oracle, rng)

    def _fooled(
        self, z: torch.Tensor, rows: np.ndarray, labels: np.ndarray, oracle: TorchTarget
    ) -> np.ndarray:
        """One counted, full-precision check: which of ``z`` (samples ``rows``) are fooled."""
        predicted = oracle.labels(z, rows)
        target = labels[rows]
        return np.asarray(predicted == target if self.targeted else predicted != target)


def _index(rows: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """NumPy row indices as a tensor on ``like``'s device."""
    return torch.as_tensor(rows, dtype=torch.long, device=like.device)


def _fits(oracle: TorchTarget, rows: np.ndarray, cost: int) -> np.ndarray:
    """Which samples of ``rows`` have at least ``cost`` forward rows left."""
    if oracle.max_queries is None:
        return np.ones(len(rows), dtype=bool)
    return oracle.max_queries - oracle.queries[rows] >= cost


def _subset(oracle: TorchTarget, rows: np.ndarray) -> TorchTarget:
    """A target for the samples ``rows`` only, with their counts so far.

    Its budget keeps one forward row per sample back for the check after the stage (its
    own reserve is the check; the parent's final check has the row kept back). Copy its
    ``queries`` back into the parent's afterwards.
    """
    return subset_target(oracle, rows, reserve=1)


class _Scores:
    """A :class:`TorchTarget` seen as the score oracle of the NumPy black-box attacks.

    Rows arrive as float64 arrays, are cast to the attacked tensor's dtype and device
    (what the output will be), and the model's logits come back as probabilities
    (softmax in float64), counted on the target's samples.
    """

    has_scores = True

    def __init__(self, target: TorchTarget, *, like: torch.Tensor) -> None:
        self.target = target
        self.dtype, self.device = like.dtype, like.device

    @property
    def classes_(self) -> np.ndarray:
        return self.target.classes_

    @property
    def n_classes(self) -> int:
        return len(self.target.classes_)

    @property
    def max_queries(self) -> int | None:
        return self.target.max_queries

    def remaining(self, rows: np.ndarray) -> np.ndarray:
        if self.target.max_queries is None:
            return np.full(len(rows), np.iinfo(np.int64).max // 4)
        return self.target.max_queries - self.target.queries[rows]

    def scores(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        z = torch.as_tensor(Z, device=self.device).to(self.dtype)
        with torch.no_grad():
            logits = self.target.logits(z, np.asarray(rows))
        proba = torch.softmax(logits, dim=1, dtype=torch.float64).cpu().numpy()
        check_finite_outputs(proba, self.target.module, "logits")
        return proba

    def labels(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.scores(Z, rows).argmax(1)
