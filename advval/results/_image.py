"""Image robustness results as data: the robustness numbers plus a few adversarial examples.

:func:`advval.image.evaluate_robustness` computes an :class:`ImageRobustnessReport`;
``advval.report`` renders it (its ``render_image_*`` functions). The examples are NumPy
arrays on the CPU, so a report can be rendered, pickled or compared without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._display import Displayed
from ._robustness import RobustnessReport

#: ``kind`` of the JSON document of an image robustness report
KIND = "image_robustness"

__all__ = ["KIND", "AdversarialExamples", "ImageRobustnessReport"]


@dataclass(frozen=True)
class AdversarialExamples:
    """A few successful adversarial examples, for pictures (NumPy, on the CPU).

    Attributes
    ----------
    original : ndarray of shape (k, C, H, W)
        The clean images, float64 pixels in the model's input space.
    adversarial : ndarray of shape (k, C, H, W)
        The adversarial images the attack returned.
    labels : ndarray of shape (k,)
        True class indices.
    clean_predictions, adversarial_predictions : ndarray of shape (k,)
        The model's predicted class indices on ``original`` and ``adversarial``.
    attack : str
        Name of the attack that produced them (as in the report).
    eps : float
    norm : {"inf", "2"}
    bounds : tuple of (float, float)
        The pixel box of the attack.
    """

    original: np.ndarray
    adversarial: np.ndarray
    labels: np.ndarray
    clean_predictions: np.ndarray
    adversarial_predictions: np.ndarray
    attack: str
    eps: float
    norm: str
    bounds: tuple[float, float]

    def perturbation_norms(self) -> np.ndarray:
        """Size of each perturbation in ``norm`` (float64, shape (k,))."""
        delta = (self.adversarial - self.original).reshape(len(self.original), -1)
        if self.norm == "inf":
            return np.abs(delta).max(axis=1) if delta.shape[1] else np.zeros(len(delta))
        return np.sqrt((delta**2).sum(axis=1))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary without the pixels (labels, predictions, norms)."""
        return {
            "attack": self.attack,
            "eps": float(self.eps),
            "norm": self.norm,
            "bounds": [float(self.bounds[0]), float(self.bounds[1])],
            "n": int(len(self.labels)),
            "shape": [int(s) for s in self.original.shape[1:]],
            "labels": [int(v) for v in self.labels],
            "clean_predictions": [int(v) for v in self.clean_predictions],
            "adversarial_predictions": [int(v) for v in self.adversarial_predictions],
            "perturbation_norms": [float(v) for v in self.perturbation_norms()],
        }


@dataclass(frozen=True, repr=False)
class ImageRobustnessReport(Displayed):
    """The result of :func:`advval.image.evaluate_robustness`, as data.

    Attributes
    ----------
    robustness : RobustnessReport
        Clean and robust accuracy, each attack's numbers, the accuracy-vs-eps curve and
        the sanity flags.
    examples : AdversarialExamples or None
        A few successful adversarial examples (``None`` when no image was fooled or
        ``n_examples=0``).
    settings : dict
        JSON-safe settings of the evaluation: ``eps``, ``norm``, ``bounds``, ``attacks``,
        ``n_images``, ``n_examples``, ``batch_size`` and ``random_state``.
    """

    robustness: RobustnessReport
    examples: AdversarialExamples | None
    settings: dict[str, Any]

    @property
    def clean_accuracy(self) -> float:
        """Share of the images the model classifies correctly."""
        return self.robustness.clean_accuracy

    @property
    def robust_accuracy(self) -> float:
        """Worst case per image over all attacks."""
        return self.robustness.robust_accuracy

    def to_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """The JSON document: the robustness report's, ``kind`` ``"image_robustness"``.

        Parameters
        ----------
        timings : bool, default=False
            Include each attack's wall time (off: same inputs and seed, same document).

        Returns
        -------
        dict
            Every key of :meth:`RobustnessReport.to_dict`, with ``kind`` set to
            ``"image_robustness"``, ``settings`` extended by this evaluation's settings,
            and ``examples``: the examples' summary (labels, predictions, perturbation
            norms; no pixels) or ``None``.
        """
        out = self.robustness.to_dict(timings=timings)
        out["kind"] = KIND
        out["settings"] = {**out["settings"], **self.settings}
        out["examples"] = None if self.examples is None else self.examples.to_dict()
        return out
