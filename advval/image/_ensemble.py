"""An ensemble of classifiers that attacks see as one model."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from .._validation import check_option

#: how EnsembleClassifier combines its members
COMBINE = ("logits", "probabilities")


class EnsembleClassifier(nn.Module):
    """Average of classifiers; gradients go through every member.

    Attacking the ensemble as one differentiable model is the honest evaluation of an
    ensemble defense: an attack on one member that merely transfers overstates its
    robustness (Tramèr et al. 2018, "Ensemble Adversarial Training"; Athalye et al. 2018).

    Parameters
    ----------
    models : iterable of torch.nn.Module
        Members, each returning logits of the same shape: ``(N, K)``, or ``(N,)`` /
        ``(N, 1)`` for a binary model (one logit for the positive class).
    combine : {"logits", "probabilities"}, default="logits"
        ``"logits"`` returns the mean of the members' logits. ``"probabilities"`` averages
        the members' softmax (sigmoid for one-logit models) probabilities and returns their
        logarithm (the log-odds for one-logit models), computed stably in log space, so an
        attack's cross-entropy on the output is the cross-entropy of the averaged
        probabilities.

    Notes
    -----
    The members are used as given: the ensemble never moves them or changes their
    train / eval mode. Its own ``training`` flag starts as "any member is training";
    ``ensemble.eval()`` puts every member in eval mode, as for any ``nn.Module``. The
    attacks and :func:`evaluate_robustness` run every member in eval mode (its inference
    behaviour) and leave each member's mode and buffers as found.

    Examples
    --------
    >>> import torch
    >>> a, b = torch.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    >>> ensemble = EnsembleClassifier([a, b])
    >>> x = torch.randn(4, 2)
    >>> torch.allclose(ensemble(x), (a(x) + b(x)) / 2)
    True
    """

    def __init__(self, models: Iterable[nn.Module], *, combine: str = "logits") -> None:
        super().__init__()
        members = list(models)
        if not members:
            raise ValueError("EnsembleClassifier needs at least one model. Got none.")
        for member in members:
            if not isinstance(member, nn.Module):
                raise TypeError(
                    "EnsembleClassifier members must be torch.nn.Module instances. "
                    f"Got {type(member).__name__} instead."
                )
        check_option(combine, name="combine", owner="EnsembleClassifier", options=COMBINE)
        self.models = nn.ModuleList(members)
        self.combine = combine
        # mirror the members without touching them (nn.Module.train would recurse)
        self.training = self.models.training = any(m.training for m in members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [model(x) for model in self.models]
        shapes = {tuple(out.shape) for out in outputs}
        if len(shapes) > 1:
            raise ValueError(
                f"EnsembleClassifier: the members return different shapes {sorted(shapes)}."
            )
        stacked = torch.stack(outputs)
        if self.combine == "logits":
            return stacked.mean(dim=0)
        log_m = math.log(len(outputs))
        if stacked.dim() == 2 or stacked.shape[-1] == 1:  # one logit per sample: binary
            log_p = torch.logsumexp(nn.functional.logsigmoid(stacked), dim=0) - log_m
            log_q = torch.logsumexp(nn.functional.logsigmoid(-stacked), dim=0) - log_m
            return log_p - log_q
        return torch.logsumexp(torch.log_softmax(stacked, dim=-1), dim=0) - log_m

    def extra_repr(self) -> str:
        return f"combine={self.combine!r}"
