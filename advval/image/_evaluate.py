"""``evaluate_robustness``: an honest robustness evaluation of an image classifier.

The numbers come from :func:`~advval.attacks.robustness_report` (worst case per sample over
the attacks, accuracy versus eps, AutoAttack's sanity flags); this module builds the attacks
for images (by default the AutoAttack-style ensemble at every eps), accepts tensors or a
DataLoader, and keeps a few successful adversarial examples for pictures.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state

from .._validation import check_bounds, check_number, check_option
from ..attacks import Attack
from ..attacks.evaluate import robustness_report
from ..attacks.evaluate.runner import (
    check_attacks,
    check_input_data,
    draw_seed,
    inference_state,
    json_safe,
    non_finite_outputs,
    norm_name,
    numbered,
    prepare,
)
from ..attacks.gradient import AutoAttack
from ..results._image import KIND as KIND  # re-export
from ..results._image import AdversarialExamples, ImageRobustnessReport


def evaluate_robustness(
    model: Any,
    data: Any,
    *,
    attacks: Sequence[Attack] | None = None,
    eps: Sequence[float] | None = None,
    norm: str = "inf",
    bounds: tuple[float, float] = (0.0, 1.0),
    n_examples: int = 8,
    batch_size: int | None = None,
    random_state: Any = None,
) -> ImageRobustnessReport:
    """Robustness of an image classifier: worst case over attacks, versus eps, with flags.

    The attacks (by default the AutoAttack-style ensemble, :class:`~advval.attacks.
    AutoAttack`) run on the correctly classified images at every ``eps``;
    :func:`~advval.attacks.robustness_report` computes clean and robust accuracy (worst
    case per image), each attack's fooling rate and perturbation sizes, the accuracy-vs-eps
    curve and the sanity flags (black-box beating white-box, zero gradients, accuracy
    rising with eps, randomized outputs). A few successful adversarial examples are kept
    for pictures.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape (n, n_classes) for images in raw pixel space (put any
        normalization inside it, :class:`Normalize`). Never moved; its train / eval mode,
        buffers and gradients are left as found, also when the evaluation fails. A model
        in training mode is evaluated in eval mode, with a warning: the figure describes
        the model as it runs at inference (dropout off, batch-norm running statistics).
    data : (X, y) pair or iterable of (X, y) batches (a DataLoader)
        ``X``: float images of shape (n, C, H, W) (tensor or array; a tensor keeps its
        device and dtype; NaN and infinite pixels are refused), ``y``: their true class
        indices, shape (n,).
    attacks : list of Attack, optional
        Untargeted attacks under ``norm``; each is cloned (the objects passed are not
        changed) and given ``model``, the largest ``eps`` (its own is not used), and
        ``bounds`` when it has neither bounds nor a feature space. Default:
        ``[AutoAttack(eps=max(eps), norm=norm, bounds=bounds)]``, the standard ensemble
        (APGD-CE, APGD-T, Square on the survivors).
    eps : sequence of float, optional
        Budgets of the curve, in pixels; every attack runs at each, and the report's
        per-attack numbers and robust accuracy are those at the largest. Default: 1, 2, 4 and
        8 / 255 under L-inf, 0.25, 0.5 and 1 under L2, times the width of ``bounds`` (so
        1, 2, 4 and 8 for pixels in [0, 255]).
    norm : {"inf", "2"}, default="inf"
    bounds : (float, float), default=(0.0, 1.0)
        The valid pixel range.
    n_examples : int, default=8
        Adversarial examples to keep: the lowest-index correctly classified images that
        the first attack (in order) fooling any image fools at the largest ``eps``, in a
        separate run with the report's seeds on those images only (in growing chunks);
        the predictions are the model's own on the returned images.
    batch_size : int, optional
        Images per batch of the default ensemble's stages and of the model calls here
        (bounds the memory on a GPU). Default: all at once.
    random_state : int, RandomState or None
        Seeds every attack that has no ``random_state`` of its own. Same inputs and seed:
        same report.

    Returns
    -------
    ImageRobustnessReport

    See Also
    --------
    advval.attacks.robustness_report : the same numbers for any model and input.
    advval.attacks.AutoAttack : the default ensemble.

    References
    ----------
    F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble
    of diverse parameter-free attacks", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2)).eval()
    >>> _ = model.requires_grad_(False)
    >>> _ = model[1].weight.copy_(torch.tensor([[1.0, 1, 0, 0], [0, 0, 1, 1]]))
    >>> _ = model[1].bias.zero_()
    >>> X = torch.tensor([[0.9, 0.9, 0.0, 0.0], [0.5, 0.5, 0.4, 0.4]]).reshape(2, 1, 2, 2)
    >>> y = torch.tensor([0, 0])
    >>> from advval.attacks import AutoAttack
    >>> quick = AutoAttack(None, steps=10, square_steps=50)  # default: the standard settings
    >>> report = evaluate_robustness(model, (X, y), attacks=[quick], eps=[0.01, 0.1],
    ...                              n_examples=1, random_state=0)
    >>> report.clean_accuracy, report.robust_accuracy
    (1.0, 0.5)
    >>> [(p.eps, p.robust_accuracy) for p in report.robustness.curve]
    [(0.01, 1.0), (0.1, 0.5)]
    >>> report.examples.labels.tolist(), report.examples.adversarial_predictions.tolist()
    ([0], [1])
    """
    owner = "evaluate_robustness"
    check_option(norm, name="norm", owner=owner, options=("inf", "2"))
    low, high = check_bounds(bounds, owner=owner)
    check_number(n_examples, name="n_examples", owner=owner, kind=int, low=0)
    check_number(batch_size, name="batch_size", owner=owner, kind=int, low=1, allow_none=True)
    budgets = _check_eps(eps, norm, high - low, owner)
    X, y = _images(data, owner)
    check_input_data(X, owner=owner)
    lowest, highest = float(X.min()), float(X.max())
    if lowest < low or highest > high:
        raise ValueError(
            f"{owner}: the images hold values in [{lowest:g}, {highest:g}], outside "
            f"bounds=({low:g}, {high:g}). Pass the pixel range of X as 'bounds' (and put "
            "any normalization inside the model)."
        )
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"The 'model' parameter of {owner} must be a torch.nn.Module returning logits. "
            f"Got {type(model).__name__} instead."
        )
    if attacks is None:
        chosen: list[Attack] = [
            AutoAttack(model, eps=budgets[-1], norm=norm, bounds=(low, high),
                       batch_size=batch_size)
        ]
    else:
        chosen = [_bounded(a, (low, high)) for a in check_attacks(attacks, owner=owner)]
        for attack in chosen:
            if norm_name(attack) != norm:
                raise ValueError(
                    f"{owner} evaluates norm={norm!r}, but {type(attack).__name__} has "
                    f"norm={attack.norm!r}. Give attacks of one norm, the one of 'norm'."
                )
    # one seed per attack, fixed here, so the example run repeats the report's settings
    rng = None if random_state is None else check_random_state(random_state)
    chosen = [prepare(a, model=model, seed=draw_seed(rng), eps=budgets[-1]) for a in chosen]
    with inference_state(model, owner=owner):
        robustness = robustness_report(model, X, y, chosen, eps=budgets, random_state=None)
        examples = None
        if n_examples:
            examples = _examples(model, X, y, chosen, budgets[-1], norm, (low, high),
                                 n_examples, batch_size)
    settings = {
        "eps": budgets,
        "norm": norm,
        "bounds": [low, high],
        "attacks": [type(a).__name__ for a in chosen] if attacks is not None
        else ["AutoAttack"],
        "ensemble": "standard" if attacks is None else None,
        "n_images": int(len(y)),
        "n_examples": int(n_examples),
        "batch_size": batch_size,
        "random_state": json_safe(random_state),
    }
    return ImageRobustnessReport(robustness=robustness, examples=examples, settings=settings)


#: default budgets of the curve, per norm, for pixels in [0, 1] (scaled to other bounds)
DEFAULT_EPS = {"inf": [1 / 255, 2 / 255, 4 / 255, 8 / 255], "2": [0.25, 0.5, 1.0]}


def _check_eps(eps: Any, norm: str, width: float, owner: str) -> list[float]:
    if eps is None:
        return [e * width for e in DEFAULT_EPS[norm]]
    values = eps.ravel().tolist() if isinstance(eps, np.ndarray) else eps
    good = (
        isinstance(values, Sequence)
        and not isinstance(values, (str, bytes))
        and len(values) > 0
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 < float(v) < math.inf
            for v in values
        )
    )
    if not good:
        raise ValueError(
            f"The 'eps' parameter of {owner} must be a non-empty sequence of floats in the "
            f"range (0, inf) or None. Got {eps!r} instead."
        )
    return sorted({float(v) for v in values})


def _images(data: Any, owner: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` tensors from a pair or from the batches of a DataLoader."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
    else:
        try:
            batches = list(data)
        except TypeError:
            batches = None
        if not batches or not all(
            isinstance(b, (tuple, list)) and len(b) >= 2 for b in batches
        ):
            raise ValueError(
                f"The 'data' parameter of {owner} must be an (X, y) pair or an iterable of "
                f"(X, y) batches (a DataLoader). Got {type(data).__name__} instead."
            )
        X = torch.cat([torch.as_tensor(b[0]) for b in batches])
        y = torch.cat([torch.as_tensor(b[1]) for b in batches])
    X = X if torch.is_tensor(X) else torch.as_tensor(np.asarray(X))
    y = y if torch.is_tensor(y) else torch.as_tensor(np.asarray(y))
    if X.dim() != 4 or not X.is_floating_point() or len(X) == 0:
        raise ValueError(
            f"{owner}: X must be a non-empty float tensor of images of shape (n, C, H, W). "
            f"Got {X.dtype} of shape {tuple(X.shape)} instead."
        )
    if y.dim() != 1 or y.is_floating_point() or y.is_complex() or len(y) != len(X):
        raise ValueError(
            f"{owner}: y must hold one integer class index per image, shape ({len(X)},). "
            f"Got {y.dtype} of shape {tuple(y.shape)} instead."
        )
    return X, y


def _bounded(attack: Attack, bounds: tuple[float, float]) -> Attack:
    """A clone of ``attack`` with ``bounds`` unless it has bounds or a feature space."""
    if attack.bounds is not None or attack.feature_space is not None:
        return attack
    return clone(attack).set_params(bounds=bounds)


def _predict(model: torch.nn.Module, X: torch.Tensor, batch_size: int | None) -> np.ndarray:
    """Predicted class indices, batch by batch, on the model's device and dtype."""
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else X.device
    dtype = param.dtype if param is not None and param.is_floating_point() else X.dtype
    size = len(X) if batch_size is None else batch_size
    out = []
    with torch.no_grad():
        for start in range(0, len(X), size):
            logits = model(X[start:start + size].to(device=device, dtype=dtype))
            if logits.dim() == 1 or logits.shape[-1] == 1:  # one logit: a binary model
                predicted = (logits.reshape(-1) > 0).long()
            else:
                predicted = logits.argmax(1)
            finite = torch.isfinite(logits.reshape(len(predicted), -1)).all(1)
            out.append(torch.where(finite, predicted, -1).cpu())  # -1: a non-finite logit
    labels = torch.cat(out).numpy()
    bad = int((labels < 0).sum())
    if bad:
        raise non_finite_outputs(model, "logits", bad, len(labels))
    return labels


def _examples(
    model: torch.nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    attacks: list[Attack],
    eps: float,
    norm: str,
    bounds: tuple[float, float],
    n_examples: int,
    batch_size: int | None,
) -> AdversarialExamples | None:
    """Up to ``n_examples`` images one attack fools at ``eps``, lowest index first.

    The attacks are tried in order (at ``eps``, with the seeds of the report); each
    attacks the correctly classified images in index order, in growing chunks, until
    enough are fooled. The first attack that fools any image gives the examples. "Fooled"
    is the model's prediction on the returned image.
    """
    labels = y.cpu().numpy()
    clean = _predict(model, X, batch_size)
    correct = np.flatnonzero(clean == labels)
    names = numbered([type(a).__name__ for a in attacks])
    which = 0
    for attack in attacks:
        rows: list[np.ndarray] = []
        images: list[torch.Tensor] = []
        predictions: list[np.ndarray] = []
        pending, size = correct, 2 * n_examples
        while pending.size and sum(len(r) for r in rows) < n_examples:
            chunk, pending, size = pending[:size], pending[size:], 2 * size
            index = torch.as_tensor(chunk, device=X.device)
            adversarial = prepare(attack, eps=eps).generate(X[index], y[index])
            predicted = _predict(model, adversarial, batch_size)
            fooled = np.flatnonzero(predicted != labels[chunk])
            rows.append(chunk[fooled])
            images.append(adversarial[torch.as_tensor(fooled, device=adversarial.device)])
            predictions.append(predicted[fooled])
        if sum(len(r) for r in rows):
            break
        which += 1
    else:
        return None
    chosen = np.concatenate(rows)[:n_examples]
    index = torch.as_tensor(chosen, device=X.device)
    return AdversarialExamples(
        original=X[index].detach().cpu().double().numpy(),
        adversarial=torch.cat(images)[:n_examples].detach().cpu().double().numpy(),
        labels=labels[chosen],
        clean_predictions=clean[chosen],
        adversarial_predictions=np.concatenate(predictions)[:n_examples],
        attack=names[which],
        eps=float(eps),
        norm=norm,
        bounds=bounds,
    )
