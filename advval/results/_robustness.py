"""Robustness results as data: what a set of attacks did to one model, worst case per sample.

:func:`advval.attacks.robustness_report` computes a :class:`RobustnessReport`;
``advval.report`` renders it. The figure that matters is the worst case per sample
(DESIGN.md section 5): a sample is robust only if the model classifies it correctly and no
attack fooled it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._display import Displayed
from ._json import SCHEMA_VERSION

__all__ = ["AttackResult", "CurvePoint", "FeatureUse", "RobustnessReport", "SanityFlag"]


@dataclass(frozen=True)
class AttackResult:
    """What one attack did to the correctly classified samples.

    Attributes
    ----------
    name : str
        Class name, numbered when a class appears twice (``PGD``, ``PGD#2``).
    attack : str
        Class name.
    norm : {"inf", "2", "0"}
    eps : float or None
        The budget it ran with (``None``: a minimum-norm attack without a budget).
    white_box : bool
        Whether it reads the model's internals (gradients, tree structure).
    n_attacked : int
        Samples attacked (the correctly classified ones).
    n_success : int
        Successes the attack claims (``success_``).
    n_fooled : int
        Attacked samples the model misclassifies on the returned rows (re-checked).
    success_rate, fooling_rate : float
        ``n_success`` and ``n_fooled`` over ``n_attacked`` (NaN when nothing was attacked).
    robust_accuracy : float
        Share of all samples classified correctly and not fooled by this attack.
    norm_median, norm_mean : float
        Perturbation size of the fooled samples in standard units of ``norm``, measured on
        the returned rows in the attack's units (NaN when none was fooled).
    queries_median : float
    queries_max : int
        Model rows queried per attacked sample, the attack's final check included.
    seconds : float
        Wall time of ``generate``.
    feature_frequency : tuple of (str, float)
        For each column, the share of the fooled samples in which it changed (empty when
        none was fooled or the input is not a table).
    settings : dict
        The attack's parameters as run (model left out), JSON-safe.
    """

    name: str
    attack: str
    norm: str
    eps: float | None
    white_box: bool
    n_attacked: int
    n_success: int
    n_fooled: int
    success_rate: float
    fooling_rate: float
    robust_accuracy: float
    norm_median: float
    norm_mean: float
    queries_median: float
    queries_max: int
    seconds: float
    feature_frequency: tuple[tuple[str, float], ...]
    settings: dict[str, Any]

    def to_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """This result as a JSON-ready dict (``seconds`` only with ``timings=True``)."""
        out = {
            "name": self.name,
            "attack": self.attack,
            "norm": self.norm,
            "eps": self.eps,
            "white_box": self.white_box,
            "n_attacked": self.n_attacked,
            "n_success": self.n_success,
            "n_fooled": self.n_fooled,
            "success_rate": self.success_rate,
            "fooling_rate": self.fooling_rate,
            "robust_accuracy": self.robust_accuracy,
            "norm_median": self.norm_median,
            "norm_mean": self.norm_mean,
            "queries_median": self.queries_median,
            "queries_max": self.queries_max,
            "feature_frequency": dict(self.feature_frequency),
            "settings": dict(self.settings),
        }
        if timings:
            out["seconds"] = self.seconds
        return out


@dataclass(frozen=True)
class FeatureUse:
    """How often attackers changed one column.

    Attributes
    ----------
    name : str
    count : int
        Successful adversarial rows (over all attacks) in which the column changed.
    frequency : float
        ``count`` over all successful adversarial rows.
    """

    name: str
    count: int
    frequency: float


@dataclass(frozen=True)
class CurvePoint:
    """Robust accuracy at one budget of one norm.

    Attributes
    ----------
    norm : {"inf", "2", "0"}
    eps : float
    robust_accuracy : float
        Worst case per sample over the attacks of this norm run at ``eps``.
    attacks : tuple of (str, float)
        Each of those attacks' own robust accuracy at ``eps``.
    """

    norm: str
    eps: float
    robust_accuracy: float
    attacks: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class SanityFlag:
    """A reason to distrust the numbers, as AutoAttack raises them.

    Attributes
    ----------
    code : str
        ``"blackbox_stronger"``, ``"zero_gradients"``, ``"robust_accuracy_rising"``,
        ``"randomized_outputs"``, ``"unverified_successes"``, ``"out_of_budget"`` or
        ``"majority_class"`` (imbalanced labels, and a model less than halfway better than
        always answering the common class).
    message : str
        What was seen and what it suggests.
    attack : str or None
        The attack concerned (``None`` for the model).
    """

    code: str
    message: str
    attack: str | None = None


@dataclass(frozen=True, repr=False)
class RobustnessReport(Displayed):
    """Everything a robustness report shows, as data (render it with ``advval.report``).

    Attributes
    ----------
    n_samples, n_correct : int
        Evaluated samples and those the model classifies correctly.
    clean_accuracy : float
    robust_accuracy : float
        Share of samples classified correctly and fooled by no attack (worst case per
        sample over all attacks, each at its own eps).
    attacks : tuple of AttackResult
        In the order given.
    features : tuple of FeatureUse
        Columns by how often successful adversarial rows changed them, most first (empty
        without successes or for images).
    curve : tuple of CurvePoint
        Accuracy versus eps, by norm then eps.
    flags : tuple of SanityFlag
    settings : dict
    advval_version : str

    Examples
    --------
    >>> flag = SanityFlag("zero_gradients", "PGD left every row unchanged.", "PGD")
    >>> report = RobustnessReport(n_samples=4, n_correct=3, clean_accuracy=0.75,
    ...                           robust_accuracy=0.25, attacks=(), features=(), curve=(),
    ...                           flags=(flag,), settings={}, advval_version="0")
    >>> document = report.to_dict()
    >>> document["kind"], document["robust_accuracy"], document["flags"][0]["code"]
    ('robustness', 0.25, 'zero_gradients')
    """

    n_samples: int
    n_correct: int
    clean_accuracy: float
    robust_accuracy: float
    attacks: tuple[AttackResult, ...]
    features: tuple[FeatureUse, ...]
    curve: tuple[CurvePoint, ...]
    flags: tuple[SanityFlag, ...]
    settings: dict[str, Any]
    advval_version: str
    kind: str = field(default="robustness")

    def to_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """The JSON document of the report, unrounded.

        Parameters
        ----------
        timings : bool, default=False
            Include each attack's wall time (``seconds``). Off by default so that the
            same inputs and seed always give the same document.

        Returns
        -------
        dict
            ``schema_version``, ``kind`` (``"robustness"``), ``advval_version``,
            ``n_samples``, ``n_correct``, ``clean_accuracy``, ``robust_accuracy``,
            ``attacks``, ``features``, ``curve``, ``flags`` and ``settings``.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "advval_version": self.advval_version,
            "n_samples": self.n_samples,
            "n_correct": self.n_correct,
            "clean_accuracy": self.clean_accuracy,
            "robust_accuracy": self.robust_accuracy,
            "attacks": [a.to_dict(timings=timings) for a in self.attacks],
            "features": [
                {"name": f.name, "count": f.count, "frequency": f.frequency}
                for f in self.features
            ],
            "curve": [
                {
                    "norm": p.norm,
                    "eps": p.eps,
                    "robust_accuracy": p.robust_accuracy,
                    "attacks": dict(p.attacks),
                }
                for p in self.curve
            ],
            "flags": [
                {"code": f.code, "attack": f.attack, "message": f.message} for f in self.flags
            ],
            "settings": dict(self.settings),
        }
