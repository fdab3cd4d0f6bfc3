"""Feature squeezing: flag inputs whose prediction moves too much when the input is squeezed.

Xu, Evans and Qi (NDSS 2018) compare a classifier's softmax output on an image with its
outputs on "squeezed" copies (fewer bits per pixel, a median filter). Adversarial
perturbations are fragile, so on an adversarial image the outputs disagree more than on a
clean one. The score of an image is the largest L1 distance between the softmax vectors,
over the squeezers; an image is flagged when its score exceeds a threshold calibrated on
clean images to a target false-positive rate.

:func:`detection_report` measures the detector against attacks: the clean false-positive
rate, and per attack the success rate, the share of successful adversarial images that
are flagged, and the share that succeed unflagged. A targeted attack on
:meth:`FeatureSqueezingDetector.adaptive_model` targets classifier and detector together
(Carlini and Wagner 2017: the detector as an extra class; BPDA through the squeezers,
Athalye et al. 2018).

References
----------
.. [1] Xu, Evans and Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep
   Neural Networks", NDSS 2018.
.. [2] Carlini and Wagner, "Adversarial Examples Are Not Easily Detected: Bypassing Ten
   Detection Methods", AISec 2017.
.. [3] Athalye, Carlini and Wagner, "Obfuscated Gradients Give a False Sense of Security",
   ICML 2018.
.. [4] Vovk, Gammerman and Shafer, "Algorithmic Learning in a Random World", 2005 (the
   order statistic of the threshold: split-conformal calibration).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from ..._validation import check_number
from ...attacks import Attack
from ...attacks.evaluate.runner import inference_state
from ...results._json import json_number
from ._preprocess import BitDepthReduction, MedianSmoothing, straight_through

Squeezer = Callable[[torch.Tensor], torch.Tensor]

#: images smaller than this (height or width) get no median filter by default
_MEDIAN_MIN_SIDE = 16


def default_squeezers(shape: Sequence[int]) -> list[Squeezer]:
    """The squeezers of Xu et al. for images of ``shape`` (C, H, W), adapted to tiny images.

    - ``min(H, W) >= 16``: bit-depth reduction to 1 bit for one-channel images (the
      paper's MNIST setting) or 5 bits for colour images (its CIFAR-10 / ImageNet
      setting), and a 2x2 median filter;
    - smaller images (scikit-learn's 8x8 digits): bit-depth reduction to 2 bits only.
      Measured on digits (a small CNN, 500 held-out images): a 2x2 median filter moves
      most stroke pixels of an 8x8 image, so the clean scores' 95% quantile is 1.97 of
      the maximum 2 and nothing adversarial stands out; 1 bit gives 1.56; 2 bits give
      0.42 and the best detection of non-adaptive PGD.

    Examples
    --------
    >>> [type(s).__name__ for s in default_squeezers((1, 28, 28))]
    ['BitDepthReduction', 'MedianSmoothing']
    >>> [s.bits for s in default_squeezers((1, 8, 8))]
    [2]
    """
    channels, height, width = (int(v) for v in shape[-3:])
    if min(height, width) < _MEDIAN_MIN_SIDE:
        return [BitDepthReduction(2)]
    return [BitDepthReduction(1 if channels == 1 else 5), MedianSmoothing(2)]


def conservative_threshold(scores: np.ndarray, fpr: float) -> float:
    """The ``ceil((n + 1) (1 - fpr))``-th smallest of ``n`` clean scores.

    Flagging scores strictly above it gives a fresh clean image, exchangeable with the
    calibration images, a false-positive probability of at most ``fpr`` (over the draw of
    the calibration set and the image; split-conformal calibration, [4]_), exactly
    ``(n + 1 - k) / (n + 1)`` with ``k`` that rank when scores have no ties. The plain
    ``(1 - fpr)`` sample quantile flags more: in 4,000 simulated draws with ``n = 30``
    and ``fpr = 0.1`` its mean false-positive rate is 0.126, this rule's 0.098 (the
    formula: 3/31 = 0.097). The guarantee is on average over calibration sets; a given
    set's rate scatters around it with binomial noise. It needs ``k <= n``, that is
    ``n >= ceil((1 - fpr) / fpr)``.

    Examples
    --------
    >>> conservative_threshold(np.arange(1.0, 20.0), 0.1)  # k = ceil(20 * 0.9) = 18
    18.0
    """
    n = len(scores)
    rank = math.ceil((n + 1) * (1 - fpr) - 1e-9)
    if rank > n:
        need = math.ceil((1 - fpr) / fpr - 1e-9)
        raise ValueError(
            f"FeatureSqueezingDetector.fit needs at least {need} clean images for "
            f"fpr={fpr} (the threshold is the ceil((n + 1) * (1 - fpr))-th smallest "
            f"score). Got {n}."
        )
    return float(np.sort(scores)[rank - 1])


def _check_images(X: Any, where: str) -> torch.Tensor:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{where} expects X as a torch.Tensor. Got {type(X).__name__} instead.")
    if X.dim() != 4 or not X.is_floating_point():
        raise ValueError(
            f"{where} expects X as floating-point (N, C, H, W) images. Got a "
            f"{X.dtype} tensor of shape {tuple(X.shape)} instead."
        )
    if len(X) == 0:
        raise ValueError(f"{where} got 0 images; at least 1 is required.")
    return X


def _log_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Log-softmax over classes; one logit (shape (n,) or (n, 1)) is a binary model."""
    if logits.dim() == 1 or logits.shape[-1] == 1:
        logits = logits.reshape(-1, 1)
        logits = torch.cat([torch.zeros_like(logits), logits], 1)
    return F.log_softmax(logits, -1)


def _probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over classes; one logit (shape (n,) or (n, 1)) is a binary sigmoid."""
    return _log_probabilities(logits).exp()


class FeatureSqueezingDetector(BaseEstimator):
    """Flag images whose softmax output moves too much under squeezing (Xu et al. [1]_).

    The score of an image ``x`` is ``max_s ||softmax(f(x)) - softmax(f(s(x)))||_1`` over
    the squeezers ``s``, between 0 and 2. :meth:`fit` sets ``threshold_`` from clean
    images so that a fresh clean image is flagged (score above the threshold) with
    probability at most ``fpr`` (:func:`conservative_threshold`). Calibrate on images the
    model was not trained on: training images get lower scores (digits, a small CNN:
    calibrated on its training images the threshold is 0.20 and 7.9% of held-out clean
    images are flagged; calibrated on held-out images, 0.39 and 5.5%).

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(N, K)`` (or ``(N,)`` / ``(N, 1)``: one binary logit) for
        images ``(N, C, H, W)``. Used as given: never moved, its train / eval mode and
        parameter gradients left as found.
    squeezers : sequence of callables, optional
        Each maps a batch of images to squeezed images of the same shape, such as
        :class:`BitDepthReduction` or :class:`MedianSmoothing` (for the pixel range of
        the model's input); a single callable is one squeezer. Default:
        :func:`default_squeezers` of the images given to :meth:`fit`, which assume pixels
        in [0, 1].
    fpr : float, default=0.05
        Target false-positive rate on clean images, in (0, 1).
    batch_size : int, optional
        Images per forward pass; default all at once.

    Attributes
    ----------
    squeezers_ : list of callables
        The squeezers used.
    calibration_scores_ : torch.Tensor of shape (n,)
        Scores of the clean images given to :meth:`fit` (on the CPU).
    threshold_ : float
        Images with a larger score are flagged.
    expected_fpr_ : float
        ``(n + 1 - k) / (n + 1)``: the false-positive rate expected on fresh clean images
        (at most ``fpr``; the bound is exact without ties).

    See Also
    --------
    detection_report : detection and success rates against attacks.

    Examples
    --------
    >>> import torch
    >>> from advval.image import BitDepthReduction
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval()
    >>> X = torch.rand(40, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> detector = FeatureSqueezingDetector(model, squeezers=[BitDepthReduction(3)],
    ...                                     fpr=0.1).fit(X[:20])
    >>> detector.expected_fpr_  # k = ceil(21 * 0.9) = 19 of 20
    0.09523809523809523
    >>> detector.predict(X[20:]).shape
    torch.Size([20])
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        squeezers: Sequence[Squeezer] | None = None,
        fpr: float = 0.05,
        batch_size: int | None = None,
    ) -> None:
        self.model = model
        self.squeezers = squeezers
        self.fpr = fpr
        self.batch_size = batch_size

    def _check_params(self) -> None:
        name = type(self).__name__
        if not isinstance(self.model, nn.Module):
            raise TypeError(
                f"The 'model' parameter of {name} must be a torch.nn.Module returning "
                f"logits. Got {type(self.model).__name__} instead."
            )
        check_number(self.fpr, name="fpr", owner=name, low=0, high=1, closed="neither")
        check_number(
            self.batch_size, name="batch_size", owner=name, kind=int, low=1, allow_none=True
        )
        if self.squeezers is not None:
            squeezers = self.squeezers
            if isinstance(squeezers, nn.Module) or callable(squeezers):
                squeezers = [squeezers]
            if not isinstance(squeezers, Sequence) or not squeezers or not all(
                callable(s) for s in squeezers
            ):
                raise ValueError(
                    f"The 'squeezers' parameter of {name} must be a non-empty sequence of "
                    f"callables mapping images to images, or None. Got {self.squeezers!r} "
                    "instead."
                )

    def fit(self, X: torch.Tensor, y: Any = None) -> FeatureSqueezingDetector:
        """Calibrate ``threshold_`` on clean images.

        Parameters
        ----------
        X : torch.Tensor of shape (n, C, H, W)
            Clean images, ideally not used to train the model; at least
            ``ceil((1 - fpr) / fpr)`` of them (19 for ``fpr=0.05``).
        y : None
            Ignored (the detector needs no labels).

        Returns
        -------
        self
        """
        self._check_params()
        X = _check_images(X, f"{type(self).__name__}.fit")
        if self.squeezers is None:
            self.squeezers_ = default_squeezers(X.shape[1:])
        elif callable(self.squeezers):
            self.squeezers_ = [self.squeezers]
        else:
            self.squeezers_ = list(self.squeezers)
        scores = self._scores(X).cpu()
        threshold = conservative_threshold(scores.double().numpy(), float(self.fpr))
        n = len(scores)
        rank = math.ceil((n + 1) * (1 - float(self.fpr)) - 1e-9)
        self.calibration_scores_ = scores
        self.threshold_ = threshold
        self.expected_fpr_ = (n + 1 - rank) / (n + 1)
        return self

    def score(self, X: torch.Tensor) -> torch.Tensor:
        """Squeezing scores, shape (n,), on ``X``'s device (no gradient).

        Parameters
        ----------
        X : torch.Tensor of shape (n, C, H, W)

        Returns
        -------
        torch.Tensor
            ``max_s ||softmax(f(x)) - softmax(f(s(x)))||_1`` per image, in [0, 2].
        """
        check_is_fitted(self, "threshold_")
        return self._scores(_check_images(X, f"{type(self).__name__}.score"))

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Boolean tensor, shape (n,): the images whose score exceeds ``threshold_``."""
        check_is_fitted(self, "threshold_")
        X = _check_images(X, f"{type(self).__name__}.predict")
        return self._scores(X) > self.threshold_

    def adaptive_model(self, *, penalty: float = 3.0) -> SqueezingAwareModel:
        """The classifier and this detector as one module, for targeted adaptive attacks.

        Attack the returned module with a targeted attack (``PGD(detector.adaptive_model(),
        targeted=True, loss="margin", bounds=...)``) and judge the result with
        :func:`detection_report`; see :class:`SqueezingAwareModel` for its logits.

        Parameters
        ----------
        penalty : float, default=3.0
            Logit units per unit of score above the threshold, > 0. Measured on digits
            (eps 0.1, PGD with 50 steps and 3 restarts): 3 gives the most undetected
            successes; 10 flags fewer of the successes but finds fewer.
        """
        check_is_fitted(self, "threshold_")
        check_number(penalty, name="penalty", owner="adaptive_model", low=0, closed="right")
        return SqueezingAwareModel(
            self.model, self.squeezers_, threshold=self.threshold_, penalty=float(penalty)
        )

    # -- internals -----------------------------------------------------------------------

    def _scores(self, X: torch.Tensor) -> torch.Tensor:
        size = self.batch_size or len(X)
        with inference_state(self.model, owner=type(self).__name__), torch.no_grad():
            parts = [
                squeezing_score(self.model, self.squeezers_, _as_model_input(self.model, batch))
                for batch in X.split(size)
            ]
        return torch.cat(parts).to(device=X.device)


def _as_model_input(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` on the model's device, in its floating dtype (the model is never moved)."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return x.to(device=tensor.device, dtype=tensor.dtype)
    return x


def squeezing_score(
    model: Callable[[torch.Tensor], torch.Tensor],
    squeezers: Sequence[Squeezer],
    X: torch.Tensor,
    *,
    bpda: bool = False,
) -> torch.Tensor:
    """``max_s ||softmax(model(X)) - softmax(model(s(X)))||_1`` per image.

    With ``bpda`` each squeezer's gradient is replaced by the identity (straight-through),
    so the score is differentiable with respect to ``X`` whatever the squeezers are.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> X = torch.rand(3, 1, 2, 2)
    >>> squeezing_score(model, [lambda x: x], X).tolist()
    [0.0, 0.0, 0.0]
    """
    probabilities = _probabilities(model(X))
    distances = []
    for squeezer in squeezers:
        squeezed = squeezer(X)
        if squeezed.shape != X.shape:
            raise ValueError(
                f"Squeezer {squeezer!r} changed the image shape from {tuple(X.shape)} to "
                f"{tuple(squeezed.shape)}; squeezers must keep it."
            )
        if bpda:
            squeezed = straight_through(X, squeezed)
        other = _probabilities(model(squeezed))
        distances.append((probabilities - other).abs().sum(-1))
    return torch.stack(distances).amax(0)


class SqueezingAwareModel(nn.Module):
    """A classifier with one more class, "flagged", for targeted adaptive attacks.

    Carlini and Wagner's construction ([2]_): for ``K`` classes the module returns
    ``K + 1`` logits, the model's log-probabilities ``log p(x)`` and::

        flagged(x) = max_k log p_k(x) + penalty * (score(x) - threshold)

    with the detector's score made differentiable by BPDA through the squeezers ([3]_).
    The top class is then a real class ``t`` exactly when the model predicts ``t`` and
    the detector does not flag ``x`` (score below the threshold). A *targeted* attack
    toward ``t`` on this module (``PGD(..., targeted=True, loss="margin")``) therefore
    seeks an image that the model assigns to ``t`` and the detector passes: once ``t`` is
    on top, the targeted margin ``z_t - max_{j != t} z_j`` becomes
    ``-penalty * (score - threshold)`` and the attack lowers the score. An untargeted
    attack would count "flagged" as a success, so :func:`detection_report` refuses it.

    The model is a registered submodule (attacks find its device and dtype); this module
    never changes its train / eval mode, and reports ``training=False`` for itself.

    Parameters
    ----------
    model : torch.nn.Module
    squeezers : sequence of callables
    threshold : float
        The detector's ``threshold_``.
    penalty : float
        Logit units per unit of score above the threshold, > 0.

    Examples
    --------
    >>> import torch
    >>> from advval.image import BitDepthReduction
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    >>> joint = SqueezingAwareModel(model, [BitDepthReduction(2)], threshold=0.2,
    ...                             penalty=3.0)
    >>> x = torch.rand(2, 1, 2, 2, requires_grad=True)
    >>> joint(x).shape, joint.score(x).requires_grad
    (torch.Size([2, 4]), True)
    """

    def __init__(
        self,
        model: nn.Module,
        squeezers: Sequence[Squeezer],
        *,
        threshold: float,
        penalty: float = 3.0,
    ) -> None:
        super().__init__()
        self.model = model
        self.squeezers = tuple(squeezers)  # not submodules: their mode is not ours to set
        self.threshold = float(threshold)
        self.penalty = float(penalty)
        self.training = False  # only this module's flag; the model's stays as found

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """The detector's score of ``x``, differentiable (BPDA through the squeezers)."""
        return squeezing_score(self.model, self.squeezers, x, bpda=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        log_p = _log_probabilities(self.model(x))
        p = log_p.exp()
        distances = []
        for squeezer in self.squeezers:
            q = _probabilities(self.model(straight_through(x, squeezer(x))))
            distances.append((p - q).abs().sum(-1))
        score = torch.stack(distances).amax(0)
        flagged = log_p.amax(-1) + self.penalty * (score - self.threshold)
        return torch.cat([log_p, flagged[:, None]], 1)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold:.4g}, penalty={self.penalty}"


@dataclass(frozen=True)
class AttackDetection:
    """One attack's numbers in a :class:`DetectionReport`.

    Attributes
    ----------
    name : str
    adaptive : bool
        The attack targeted the detector too (its model is this detector's
        :meth:`~FeatureSqueezingDetector.adaptive_model`).
    success_rate : float
        Share of the correctly classified clean images whose adversarial version the model
        misclassifies.
    detection_rate : float
        Share of those successful adversarial images that the detector flags (NaN when
        none succeeded).
    undetected_success_rate : float
        Share of the correctly classified clean images whose adversarial version is
        misclassified and not flagged: the attack's real success against model + detector.
    n_success : int
        Number of successful adversarial images.
    """

    name: str
    adaptive: bool
    success_rate: float
    detection_rate: float
    undetected_success_rate: float
    n_success: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, unrounded (NaN and infinity as ``None``)."""
        return {
            "name": self.name,
            "adaptive": self.adaptive,
            "success_rate": _unrounded(self.success_rate),
            "detection_rate": _unrounded(self.detection_rate),
            "undetected_success_rate": _unrounded(self.undetected_success_rate),
            "n_success": self.n_success,
        }


@dataclass(frozen=True)
class DetectionReport:
    """What :func:`detection_report` measured.

    Attributes
    ----------
    n_images : int
        Clean images evaluated.
    clean_accuracy : float
        Share the model classifies correctly (the attacks' denominators).
    clean_fpr : float
        Share of the clean images the detector flags.
    threshold : float
        The detector's ``threshold_``.
    target_fpr : float
        The detector's ``fpr``.
    attacks : tuple of AttackDetection
        In the order given.
    """

    n_images: int
    clean_accuracy: float
    clean_fpr: float
    threshold: float
    target_fpr: float
    attacks: tuple[AttackDetection, ...]

    def __getitem__(self, name: str) -> AttackDetection:
        for attack in self.attacks:
            if attack.name == name:
                return attack
        names = [a.name for a in self.attacks]
        raise KeyError(f"No attack named {name!r}; the report has {names}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary with ``kind`` ``"detection"`` (NaN and infinity as ``None``)."""
        return {
            "kind": "detection",
            "n_images": self.n_images,
            "clean_accuracy": _unrounded(self.clean_accuracy),
            "clean_fpr": _unrounded(self.clean_fpr),
            "threshold": _unrounded(self.threshold),
            "target_fpr": _unrounded(self.target_fpr),
            "attacks": [a.to_dict() for a in self.attacks],
        }


def _unrounded(value: float) -> float | None:
    """A float as advval's JSON documents hold it (not finite: ``None``), kept unrounded."""
    return json_number(value, digits=None)


def detection_report(
    detector: FeatureSqueezingDetector,
    X: torch.Tensor,
    y: Any,
    attacks: Mapping[str, Attack],
) -> DetectionReport:
    """Measure a fitted detector against attacks, adaptive or not.

    Every attack (a clone of it: the objects passed are not changed) is run on all of
    ``X``: an untargeted attack away from ``y``, a targeted one toward each image's
    runner-up class (the model's second most probable class on the clean image, the
    nearest wrong class). Success (misclassification) and detection are then checked on
    the detector's model and the detector itself, whatever model the attack aimed at.

    Parameters
    ----------
    detector : FeatureSqueezingDetector
        Fitted; calibrate it on other clean images than ``X``.
    X : torch.Tensor of shape (n, C, H, W)
        Clean images.
    y : array-like or torch.Tensor of shape (n,)
        True class indices.
    attacks : mapping of str to Attack
        Named attacks such as ``PGD(model, ...)`` (non-adaptive) or
        ``PGD(detector.adaptive_model(), targeted=True, loss="margin", ...)`` (adaptive),
        with explicit bounds. An attack on a :class:`SqueezingAwareModel` must be
        targeted.

    Returns
    -------
    DetectionReport

    Examples
    --------
    >>> import torch
    >>> from advval.attacks import PGD
    >>> from advval.image import BitDepthReduction
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval()
    >>> X = torch.rand(60, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> detector = FeatureSqueezingDetector(model, squeezers=[BitDepthReduction(3)],
    ...                                     fpr=0.1).fit(X[:30])
    >>> y = model(X[30:]).argmax(1)
    >>> report = detection_report(detector, X[30:], y, {
    ...     "pgd": PGD(model, eps=0.1, steps=5, bounds=(0, 1), random_state=0)})
    >>> report.clean_accuracy, report["pgd"].adaptive
    (1.0, False)
    """
    check_is_fitted(detector, "threshold_")
    X = _check_images(X, "detection_report")
    labels = torch.as_tensor(np.asarray(y.detach().cpu() if hasattr(y, "detach") else y))
    if labels.dim() != 1 or len(labels) != len(X) or labels.is_floating_point():
        raise ValueError(
            f"detection_report expects y as {len(X)} integer class indices, one per image. "
            f"Got shape {tuple(labels.shape)} ({labels.dtype}) instead."
        )
    if not isinstance(attacks, Mapping) or not all(
        isinstance(a, Attack) for a in attacks.values()
    ):
        raise TypeError(
            "The 'attacks' parameter of detection_report must be a mapping of names to "
            "advval attacks, such as {'pgd': PGD(model, ...)}."
        )
    for name, attack in attacks.items():
        if isinstance(attack.model, SqueezingAwareModel) and not attack.targeted:
            raise ValueError(
                f"detection_report: attack {name!r} aims at a SqueezingAwareModel, whose "
                "extra 'flagged' class an untargeted attack counts as a success; pass "
                "targeted=True."
            )
    labels = labels.to(X.device)
    scores = _outputs(detector, X)
    correct = scores.argmax(-1) == labels
    runner_up = scores.topk(2, -1).indices[:, 1]  # binary models have two columns too
    n_correct = int(correct.sum())
    results = []
    for name, attack in attacks.items():
        goal = runner_up if attack.targeted else labels
        adversarial = clone(attack).generate(X, goal)
        fooled = correct & (_outputs(detector, adversarial).argmax(-1) != labels)
        flagged = detector.predict(adversarial)
        n_success = int(fooled.sum())
        model = attack.model
        results.append(
            AttackDetection(
                name=str(name),
                adaptive=isinstance(model, SqueezingAwareModel) and model.model is detector.model,
                success_rate=n_success / n_correct if n_correct else math.nan,
                detection_rate=int((fooled & flagged).sum()) / n_success
                if n_success else math.nan,
                undetected_success_rate=int((fooled & ~flagged).sum()) / n_correct
                if n_correct else math.nan,
                n_success=n_success,
            )
        )
    return DetectionReport(
        n_images=len(X),
        clean_accuracy=n_correct / len(X),
        clean_fpr=float(detector.predict(X).double().mean()),
        threshold=float(detector.threshold_),
        target_fpr=float(detector.fpr),
        attacks=tuple(results),
    )


def _outputs(detector: FeatureSqueezingDetector, X: torch.Tensor) -> torch.Tensor:
    """The model's class probabilities on ``X``, batched, on ``X``'s device."""
    size = detector.batch_size or len(X)
    with inference_state(detector.model, owner="detection_report"), torch.no_grad():
        parts = [
            _probabilities(detector.model(_as_model_input(detector.model, batch)))
            for batch in X.split(size)
        ]
    return torch.cat(parts).to(X.device)
