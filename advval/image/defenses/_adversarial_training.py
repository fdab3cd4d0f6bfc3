"""Adversarial training of image classifiers: PGD-AT, fast FGSM-AT and TRADES.

References
----------
.. [1] Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards Deep Learning Models Resistant
   to Adversarial Attacks", ICLR 2018 (PGD-AT).
.. [2] Wong, Rice and Kolter, "Fast is better than free: Revisiting adversarial training",
   ICLR 2020 (FGSM-AT from a random start, step 1.25 eps).
.. [3] Zhang, Yu, Jiao, Xing, El Ghaoui and Jordan, "Theoretically Principled Trade-off
   between Robustness and Accuracy", ICML 2019 (TRADES).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state
from torch import nn
from torch.nn import functional as F

from ..._validation import check_bounds, check_number, check_option
from ...attacks import Box
from ...attacks.gradient import PGD, GradientAttack
from ...attacks.gradient.steps import (
    BoxDomain,
    TorchTarget,
    ascend,
    projector,
    torch_generator,
    units,
)
from ._loop import (
    Batches,
    Stepper,
    autocast,
    check_amp,
    check_flag,
    check_model,
    check_optimizer,
    check_positive,
    modes_restored,
    progress,
)

OWNER = "adversarial_training"
#: the training attacks adversarial_training knows by name
ATTACKS = ("pgd", "fgsm", "trades")
#: Wong et al.'s fast FGSM-AT step, as a fraction of eps
FAST_STEP = 1.25
#: scale of TRADES' Gaussian start around the clean image
TRADES_START = 1e-3


@dataclass(frozen=True)
class TrainingHistory:
    """Per-epoch record of :func:`adversarial_training` (one entry per epoch).

    Attributes
    ----------
    attack : str
        ``"pgd"``, ``"fgsm"``, ``"trades"`` or the class name of the attack given.
    eps : float
        The training budget.
    loss : tuple of float
        Mean training objective over the epoch's samples (cross-entropy on the adversarial
        batches; TRADES: clean cross-entropy plus ``beta`` times the KL term).
    train_accuracy : tuple of float
        Accuracy on the adversarial examples the model was updated on, measured in
        training mode before each update (free: it reuses the training forward pass).
    clean_accuracy, robust_accuracy : tuple of float
        On the evaluation data after the epoch, in eval mode: plain accuracy, and the share
        of samples classified correctly both as given and after ``eval_attack``. Empty
        without evaluation data.
    seconds : tuple of float
        Wall-clock time of each epoch's training (evaluation excluded).
    """

    attack: str
    eps: float
    loss: tuple[float, ...]
    train_accuracy: tuple[float, ...]
    clean_accuracy: tuple[float, ...]
    robust_accuracy: tuple[float, ...]
    seconds: tuple[float, ...]

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.loss)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types (lists for the per-epoch values), ready for JSON."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


def adversarial_training(
    model: nn.Module,
    loader: Any,
    *,
    attack: str | GradientAttack = "pgd",
    eps: float | None = None,
    norm: Any = "inf",
    steps: int = 10,
    epochs: int = 10,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    scheduler: Any = None,
    batch_size: int = 128,
    bounds: tuple[float, float] = (0.0, 1.0),
    trades_beta: float = 6.0,
    eval_loader: Any = None,
    eval_attack: GradientAttack | None = None,
    amp: str | None = None,
    channels_last: bool = False,
    random_state: Any = None,
    verbose: bool = False,
) -> TrainingHistory:
    """Train ``model`` in place on adversarial examples crafted against itself.

    Each batch is attacked by the current model, then the model takes one optimizer step
    on the result. ``"pgd"`` is Madry et al.'s min-max training (cross-entropy on
    :class:`~advval.attacks.PGD` examples of ``steps`` steps from a random start);
    ``"fgsm"`` is Wong et al.'s fast adversarial training, which is PGD with one step of
    ``1.25 eps`` from a uniform random start in the ball (run by :class:`PGD` itself: the
    step is kept unless the random start scored a higher loss); ``"trades"`` minimizes
    ``CE(f(x), y) + trades_beta * KL(f(x) || f(x'))`` with ``x'`` maximizing the KL term by
    ``steps`` projected sign steps from ``x + 0.001 N(0, 1)`` (Zhang et al.).

    The model is trained in place, as a training loop does: its parameters (and
    batch-norm statistics) change and ``optimizer`` steps. Everything else is left as
    found: its train / eval flags are restored afterwards, and the data are not modified.
    Attacks are crafted with the model in **eval mode** (the choice of the TRADES
    reference code): batch-norm uses its running statistics, dropout is off, and the
    attack's many forward passes do not pollute the running statistics; the update then
    runs in train mode. Device and dtype follow the model: batches are moved to its
    device and cast to its floating dtype. The loop never synchronizes with the device
    inside an epoch; the per-epoch numbers are read once at the end of each epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape (n, n_classes) (or one logit, shape (n,) / (n, 1), for a
        binary model) for images in ``bounds``; normalization belongs inside it
        (:class:`~advval.image.Normalize`).
    loader : DataLoader or (X, y) pair of tensors
        Training data: a loader yielding ``(x, y)`` batches (its own sampler decides the
        order), or tensors cut into shuffled batches of ``batch_size`` by a local
        generator seeded from ``random_state``. ``y`` holds class indices.
    attack : {"pgd", "fgsm", "trades"} or GradientAttack, default="pgd"
        The training attack, or an attack object (e.g. ``PGD(None, eps=..., steps=...)``)
        whose settings are used: each batch is attacked by a clone whose ``model`` is the
        model being trained (its ``bounds`` default to ``bounds``; its ``random_state``,
        when set, seeds its random starts).
    eps : float, optional
        Budget in pixel units of ``norm``; default ``8 / 255`` for a named attack. With an
        attack object, give the budget on the object (``eps`` must then be ``None``).
    norm : {"inf", 2}, default="inf"
        Norm of the named attacks.
    steps : int, default=10
        Attack steps of ``"pgd"`` and ``"trades"`` (PGD's default step, ``2.5 eps / steps``).
    epochs : int, default=10
        Passes over ``loader``.
    optimizer : torch.optim.Optimizer, optional
        Over the model's parameters. Default: ``torch.optim.Adam(model.parameters(), lr)``,
        chosen because it needs no learning-rate schedule; for the best robust accuracy on
        large datasets pass SGD with momentum and a ``scheduler``.
    lr : float, default=1e-3
        Learning rate of the default optimizer.
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped once after every epoch.
    batch_size : int, default=128
        Batch size for tensor data (``loader`` and ``eval_loader`` pairs).
    bounds : (float, float), default=(0.0, 1.0)
        Pixel range of the inputs; adversarial images stay inside it.
    trades_beta : float, default=6.0
        Weight of the KL (robustness) term of TRADES.
    eval_loader : DataLoader or (X, y) pair of tensors, optional
        Evaluated after every epoch (clean and robust accuracy, in full precision).
    eval_attack : GradientAttack, optional
        The attack for the robust accuracy (cloned, its ``model`` replaced). Default:
        ``PGD`` with 20 steps at the training ``eps`` and ``norm``.
    amp : {None, "bf16", "fp16"}, default=None
        Mixed precision for training and crafting: ``torch.autocast`` on the model's device
        type; float16 on CUDA also uses a ``GradScaler`` for the update. Prefer bfloat16:
        the attacks' input gradients are not scaled, and tiny ones can underflow in float16.
    channels_last : bool, default=False
        Convert the model (in place) and 4-D batches to the channels-last memory format,
        faster for convolutions on recent GPUs.
    random_state : int, RandomState or None
        Seeds the shuffling of tensor data and the attacks' random starts (local
        generators; the global torch seed is never touched). A ``DataLoader``'s shuffling
        is its own: give it a seeded ``generator`` for reproducible runs.
    verbose : bool, default=False
        Show a progress bar on stderr.

    Returns
    -------
    TrainingHistory
        Per-epoch loss, training accuracy, evaluation accuracies and timings.

    Notes
    -----
    Measured on scikit-learn's 8x8 digits (1,400 training images, 200 test images, a
    one-convolution CNN, eps 0.1 in L-inf, 6 epochs, 5 attack steps): against a 20-step PGD
    the normally trained model keeps 42.5% of the test images, PGD-AT 63%, fast FGSM-AT
    64.5% and TRADES 68.5%, at clean accuracies of 98%, 95.5%, 96.5% and 93.5%; a margin-loss
    PGD gives the same picture (43.5% against 64%, 64% and 63.5%), so the gain is not
    gradient masking. Crafting dominates the cost: an epoch of PGD-AT costs about ``steps + 2``
    forward and ``steps + 1`` backward passes (``benchmarks/bench_adversarial_training.py``).

    See Also
    --------
    advval.attacks.AdversarialTrainingClassifier : the same idea for any (tabular) model.
    DefensiveDistillation : a defense that mostly masks gradients.

    References
    ----------
    Madry et al. (ICLR 2018); Wong, Rice and Kolter (ICLR 2020); Zhang et al. (ICML 2019).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.rand(64, 1, 4, 4, generator=g)
    >>> y = (X.mean((1, 2, 3)) > 0.5).long()
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> history = adversarial_training(model, (X, y), eps=0.05, epochs=2, batch_size=32,
    ...                                eval_loader=(X, y), random_state=0)
    >>> history.epochs, len(history.robust_accuracy), model.training
    (2, 2, True)
    """
    device, dtype = check_model(model, name="model", owner=OWNER)
    check_positive(epochs, name="epochs", owner=OWNER, kind=int)
    check_positive(steps, name="steps", owner=OWNER, kind=int)
    check_positive(batch_size, name="batch_size", owner=OWNER, kind=int)
    check_positive(lr, name="lr", owner=OWNER)
    check_number(trades_beta, name="trades_beta", owner=OWNER, low=0)
    check_flag(channels_last, name="channels_last", owner=OWNER)
    check_flag(verbose, name="verbose", owner=OWNER)
    check_amp(amp, device, owner=OWNER)
    check_optimizer(optimizer, model, owner=OWNER)
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(
            f"The 'scheduler' parameter of {OWNER} must be a learning-rate scheduler (with a "
            f"step() method) or None. Got {type(scheduler).__name__} instead."
        )
    box = check_bounds(bounds, owner=OWNER)
    rng = check_random_state(random_state)
    train_attack, name = _training_attack(attack, eps=eps, norm=norm, steps=steps, box=box)
    budget = float(cast(float, train_attack.eps))
    crafter = _Crafter(train_attack, model, dtype=dtype, amp=amp, rng=rng)
    evaluator = None
    if eval_loader is not None:
        default = PGD(None, eps=budget, norm=train_attack.norm, steps=20)
        chosen = default if eval_attack is None else _check_attack(eval_attack, "eval_attack")
        evaluator = _Crafter(_bounded(chosen, box), model, dtype=dtype, amp=None, rng=rng)
    elif eval_attack is not None:
        raise ValueError(
            f"The 'eval_attack' parameter of {OWNER} needs evaluation data: pass eval_loader "
            "too, or leave eval_attack=None."
        )
    common: dict[str, Any] = {"device": device, "dtype": dtype, "batch_size": batch_size,
              "channels_last": channels_last}
    batches = Batches(loader, name="loader", owner=OWNER, rng=rng, **common)
    eval_batches = (
        None if eval_loader is None
        else Batches(eval_loader, name="eval_loader", owner=OWNER, **common)
    )
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    step = Stepper(optimizer, amp=amp, device=device)
    if channels_last:
        cast(Any, model).to(memory_format=torch.channels_last)
    trades = None
    if name == "trades":
        trades = _Trades(crafter, beta=float(trades_beta), steps=steps,
                         generator=torch_generator(rng, device))

    record: dict[str, list[float]] = {
        key: [] for key in ("loss", "train_accuracy", "clean_accuracy", "robust_accuracy",
                            "seconds")
    }
    total = None if batches.size() is None else epochs * cast(int, batches.size())
    bar = progress(total=total, desc=f"{OWNER} ({name})", enabled=verbose)
    with modes_restored(model), bar:
        for _ in range(epochs):
            start = time.perf_counter()
            loss, accuracy = _train_epoch(model, batches, crafter, trades, step, amp, bar)
            record["seconds"].append(time.perf_counter() - start)
            record["loss"].append(loss)
            record["train_accuracy"].append(accuracy)
            if scheduler is not None:
                scheduler.step()
            if eval_batches is not None and evaluator is not None:
                model.eval()
                clean, robust = _evaluate(evaluator, eval_batches)
                record["clean_accuracy"].append(clean)
                record["robust_accuracy"].append(robust)
            bar.set_postfix(loss=f"{loss:.3f}", acc=f"{accuracy:.3f}")
    return TrainingHistory(
        attack=name, eps=budget, **{key: tuple(values) for key, values in record.items()}
    )


def _train_epoch(
    model: nn.Module, batches: Batches, crafter: _Crafter, trades: _Trades | None,
    step: Stepper, amp: str | None, bar: Any,
) -> tuple[float, float]:
    """One pass: craft in eval mode, update in train mode; mean loss and accuracy."""
    device = batches.device
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    count = 0
    for x, y in batches:
        model.eval()
        x_adv = crafter(x, y) if trades is None else trades.craft(x)
        model.train()
        with autocast(amp, device):
            logits = crafter.forward(x_adv)
            if trades is None:
                loss = F.cross_entropy(logits.float(), y)
            else:
                loss = trades.loss(crafter.forward(x), logits, y)
        step(loss)
        loss_sum += loss.detach().float() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
        count += len(y)
        bar.update(1)
    if count == 0:
        raise ValueError(f"The 'loader' parameter of {OWNER} gave no batches.")
    totals = torch.stack([loss_sum, correct]).tolist()  # the epoch's one sync
    return totals[0] / count, totals[1] / count


class _Crafter:
    """Runs a gradient attack's core on one batch of tensors, without device syncs.

    The public ``generate`` checks its inputs and reads the results back to the host
    (labels, successes, norms: three synchronizations per call); during training the
    inputs are known to be valid tensors and nothing is read back, so the attack's
    ``_generate`` is run directly on the batch, then the box's exact projection.
    """

    def __init__(
        self, attack: GradientAttack, model: nn.Module, *, dtype: torch.dtype,
        amp: str | None, rng: np.random.RandomState,
    ) -> None:
        self.attack = clone(attack)
        self.attack.set_params(model=model)
        self.model, self.dtype, self.amp = model, dtype, amp
        self.norm = self.attack._check_params()
        self.eps = float(cast(float, self.attack.eps))
        lo, hi = self.attack.bounds
        self.domain: BoxDomain = Box(float(lo), float(hi)).bind(None)
        own = self.attack.random_state
        self.rng = rng if own is None else check_random_state(own)
        self.classes: np.ndarray | None = None

    def target(self, n: int) -> TorchTarget:
        """The attack's counted access to the model, for a batch of ``n`` samples."""
        target = TorchTarget(
            self.model, n_samples=n, max_queries=self.attack.max_queries, dtype=self.dtype
        )
        if self.classes is not None:
            target.classes_ = self.classes
        return target

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, n_classes) as the attacks see them (one logit expands to two)."""
        return self.target(len(x)).forward(x)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.classes is None:  # the number of classes, from one forward pass
            with torch.no_grad():
                self.classes = np.arange(self.forward(x[:2]).shape[1])
        oracle = self.target(len(x))
        device = x.device
        with autocast(self.amp, device):
            z = self.attack._generate(x, cast(Any, y), self.domain, oracle, self.rng)
        return cast(torch.Tensor, self.domain.finalize(z, x, self.eps, self.norm)).detach()


class _Trades:
    """TRADES' inner maximization (of the KL term) and its training loss."""

    def __init__(
        self, crafter: _Crafter, *, beta: float, steps: int, generator: torch.Generator
    ) -> None:
        self.crafter, self.beta, self.steps, self.generator = crafter, beta, steps, generator

    def craft(self, x: torch.Tensor) -> torch.Tensor:
        """``x'`` in the ball (approximately) maximizing ``KL(f(x) || f(x'))``."""
        crafter = self.crafter
        eps, norm, domain = crafter.eps, crafter.norm, crafter.domain
        oracle = crafter.target(len(x))
        with torch.no_grad(), autocast(crafter.amp, x.device):
            clean = torch.softmax(oracle.forward(x).float(), 1)
        project = projector(domain, x, eps, norm)
        unit = units(domain, x)
        noise = torch.randn(
            x.shape, generator=self.generator, device=x.device, dtype=x.dtype
        )
        z = project(x + TRADES_START * noise)
        size = 2.5 * eps / self.steps
        with autocast(crafter.amp, x.device):
            for _ in range(self.steps):
                grad = oracle.gradient(z, clean, _kl)[0]
                z = project(ascend(z, grad, norm, unit, size))
        return z.detach()

    def loss(self, clean: torch.Tensor, adversarial: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``CE(f(x), y) + beta * KL(f(x) || f(x'))``, both averaged over the batch."""
        natural = F.cross_entropy(clean.float(), y)
        robust = _kl(adversarial.float(), torch.softmax(clean.float(), 1)).mean()
        return natural + self.beta * robust


def _kl(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample ``KL(target || softmax(logits))``."""
    return F.kl_div(torch.log_softmax(logits.float(), 1), target, reduction="none").sum(1)


def _evaluate(crafter: _Crafter, batches: Batches) -> tuple[float, float]:
    """Clean accuracy and robust accuracy (correct before and after the attack)."""
    device = batches.device
    correct = torch.zeros((), device=device)
    robust = torch.zeros((), device=device)
    count = 0
    for x, y in batches:
        with torch.no_grad():
            right = crafter.forward(x).argmax(1) == y
        x_adv = crafter(x, y)
        with torch.no_grad():
            still = crafter.forward(x_adv).argmax(1) == y
        correct += right.sum()
        robust += (right & still).sum()
        count += len(y)
    totals = torch.stack([correct, robust]).tolist()
    return totals[0] / count, totals[1] / count


def _check_attack(attack: Any, name: str) -> GradientAttack:
    if not isinstance(attack, GradientAttack):
        raise ValueError(
            f"The {name!r} parameter of {OWNER} must be a gradient attack (PGD, FGSM, "
            f"APGD...) with an eps budget. Got {attack!r} instead."
        )
    check_number(attack.eps, name="eps", owner=type(attack).__name__, low=0, closed="right")
    if attack.targeted:
        raise ValueError(
            f"The {name!r} parameter of {OWNER} must be an untargeted attack (the labels are "
            "the true classes). Got targeted=True."
        )
    if attack.feature_space is not None:
        raise ValueError(
            f"The {name!r} parameter of {OWNER} works in a pixel box: give the attack "
            "bounds instead of a feature_space."
        )
    return attack


def _bounded(attack: GradientAttack, box: tuple[float, float]) -> GradientAttack:
    """A clone of ``attack`` whose ``bounds`` default to the training box."""
    out = clone(attack)
    if out.bounds is None:
        out.set_params(bounds=box)
    return out


def _training_attack(
    attack: Any, *, eps: Any, norm: Any, steps: int, box: tuple[float, float]
) -> tuple[GradientAttack, str]:
    if isinstance(attack, str):
        check_option(attack, name="attack", owner=OWNER, options=ATTACKS)
        budget = 8 / 255 if eps is None else eps
        check_number(budget, name="eps", owner=OWNER, low=0, closed="right")
        check_option(norm, name="norm", owner=OWNER, options=("inf", 2, "2"))
        if attack == "fgsm":
            core = PGD(None, eps=budget, norm=norm, steps=1, step_size=FAST_STEP, bounds=box)
        else:
            core = PGD(None, eps=budget, norm=norm, steps=steps, bounds=box)
        return core, attack
    if not isinstance(attack, GradientAttack):
        raise ValueError(
            f"The 'attack' parameter of {OWNER} must be one of {', '.join(map(repr, ATTACKS))} "
            f"or a gradient attack instance (PGD, FGSM, APGD...). Got {attack!r} instead."
        )
    if eps is not None:
        raise ValueError(
            f"The 'eps' parameter of {OWNER} must be None when 'attack' is an attack object "
            f"(its own eps, {attack.eps!r}, is the budget). Got {eps!r} instead."
        )
    return _bounded(_check_attack(attack, "attack"), box), type(attack).__name__
