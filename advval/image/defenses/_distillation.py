"""Defensive distillation (Papernot et al. 2016): a student trained on soft labels at T.

References
----------
.. [1] Papernot, McDaniel, Wu, Jha and Swami, "Distillation as a Defense to Adversarial
   Perturbations against Deep Neural Networks", IEEE S&P 2016.
.. [2] Carlini and Wagner, "Defensive Distillation is Not Robust to Adversarial Examples",
   arXiv:1607.04311, 2016; "Towards Evaluating the Robustness of Neural Networks",
   IEEE S&P 2017 (the margin loss that defeats it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from torch import nn
from torch.nn import functional as F

from ..._validation import check_number
from ._loop import (
    Batches,
    Stepper,
    autocast,
    check_amp,
    check_flag,
    check_model,
    check_positive,
    modes_restored,
    progress,
)

OWNER = "DefensiveDistillation"

Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


class DefensiveDistillation(BaseEstimator):
    """Train a teacher at temperature T, then a student on the teacher's soft labels at T.

    The teacher is trained on the hard labels with the softmax at temperature ``T``
    (cross-entropy of ``softmax(z / T)``); the student is trained on the teacher's soft
    labels ``softmax(z_teacher / T)`` with its own softmax at the same ``T`` (Papernot et
    al. 2016). At test time the student is used at temperature 1: its logits are
    unchanged, ``softmax(z)``. Having learned logits scaled for temperature ``T``, many
    times larger than a normally trained model's, its softmax saturates at temperature 1
    and the cross-entropy's input gradient underflows to zero.

    **This mostly masks gradients; it is not robustness** (Carlini and Wagner 2016). An
    attack on the cross-entropy (PGD or FGSM with ``loss="ce"``) looks much weaker against
    the student, while the same PGD on the margin loss (``PGD(..., loss="margin")``, which
    reads the logits and does not saturate) still succeeds about as often as against an
    undistilled model. Evaluate a distilled model with margin-loss attacks.

    Parameters
    ----------
    temperature : float, default=100.0
        Softmax temperature ``T`` of both training stages, in (0, inf). 100 is the paper's
        setting for MNIST and CIFAR-10 (it studies 1 to 100; the effect grows with T).
    epochs : int, default=10
        Training passes of each stage (teacher, then student).
    lr : float, default=1e-3
        Learning rate of each stage's Adam optimizer.
    batch_size : int, default=128
        Batch size for tensor data.
    train_teacher : bool, default=True
        Train the teacher first (in place). ``False`` uses the teacher as given (e.g. one
        already trained at ``T``; a teacher trained at temperature 1 still gives soft
        labels, but that is Hinton-style distillation, not Papernot's defense).
    amp : {None, "bf16", "fp16"}, default=None
        Mixed precision (``torch.autocast`` on the models' device type; a ``GradScaler``
        for float16 on CUDA).
    random_state : int, RandomState or None
        Seeds the shuffling of tensor data (a local generator).
    verbose : bool, default=False
        Progress bars on stderr.

    Attributes
    ----------
    teacher_, student_ : torch.nn.Module
        The models given to :meth:`fit`, trained in place; ``student_`` is the defended
        model, used as it is (temperature 1).
    history_ : dict of list of float
        ``"teacher_loss"`` (empty when ``train_teacher=False``) and ``"student_loss"``:
        mean training loss per epoch.

    Notes
    -----
    Measured on scikit-learn's 8x8 digits (a one-convolution CNN, T = 100, 20 epochs per
    stage, eps 0.1 in L-inf, 20-step PGD): the normally trained model keeps 42.5% of the
    test images under the cross-entropy attack and 43.5% under the margin attack; the
    distilled student keeps 78% under the cross-entropy attack but only 47% under the
    margin attack. Its logits spread about 30 times as wide as the normal model's.

    See Also
    --------
    adversarial_training : a defense that does make models more robust.

    References
    ----------
    Papernot et al., IEEE S&P 2016; Carlini and Wagner, arXiv:1607.04311, 2016.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.rand(64, 1, 4, 4, generator=g)
    >>> y = (X.mean((1, 2, 3)) > 0.5).long()
    >>> def net():
    ...     return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> distill = DefensiveDistillation(temperature=10.0, epochs=2, batch_size=32,
    ...                                 random_state=0).fit(net(), net(), X, y)
    >>> len(distill.history_["teacher_loss"]), len(distill.history_["student_loss"])
    (2, 2)
    """

    def __init__(
        self,
        *,
        temperature: float = 100.0,
        epochs: int = 10,
        lr: float = 1e-3,
        batch_size: int = 128,
        train_teacher: bool = True,
        amp: str | None = None,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.temperature = temperature
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.train_teacher = train_teacher
        self.amp = amp
        self.random_state = random_state
        self.verbose = verbose

    def fit(
        self, teacher: nn.Module, student: nn.Module, X: Any, y: Any = None
    ) -> DefensiveDistillation:
        """Train the teacher (unless ``train_teacher=False``), then the student, in place.

        Parameters
        ----------
        teacher, student : torch.nn.Module
            Two distinct classifiers returning logits of the same shape (the paper uses
            the same architecture). Both are trained in place; their train / eval flags are
            restored afterwards.
        X : tensor of shape (n, ...) or DataLoader
            Training images, or a loader yielding ``(x, y)`` batches.
        y : tensor of shape (n,), optional
            Class indices; required with a tensor ``X``, ``None`` with a loader.

        Returns
        -------
        self
        """
        check_number(self.temperature, name="temperature", owner=OWNER, low=0, closed="right")
        check_positive(self.epochs, name="epochs", owner=OWNER, kind=int)
        check_positive(self.lr, name="lr", owner=OWNER)
        check_positive(self.batch_size, name="batch_size", owner=OWNER, kind=int)
        check_flag(self.train_teacher, name="train_teacher", owner=OWNER)
        check_flag(self.verbose, name="verbose", owner=OWNER)
        t_device, t_dtype = check_model(teacher, name="teacher", owner=OWNER)
        s_device, s_dtype = check_model(student, name="student", owner=OWNER)
        check_amp(self.amp, t_device, owner=OWNER)
        check_amp(self.amp, s_device, owner=OWNER)
        if teacher is student:
            raise ValueError(
                f"The 'student' parameter of {OWNER}.fit must be a different module from the "
                "teacher. Got the teacher itself."
            )
        data = _data(X, y)
        rng = check_random_state(self.random_state)
        T = float(self.temperature)
        self.history_: dict[str, list[float]] = {"teacher_loss": [], "student_loss": []}
        with modes_restored(teacher, student):
            if self.train_teacher:
                batches = Batches(data, name="X", owner=OWNER, device=t_device, dtype=t_dtype,
                                  batch_size=self.batch_size, rng=rng)

                def hard(logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
                    return F.cross_entropy(logits.float() / T, y)

                self.history_["teacher_loss"] = self._train(teacher, batches, hard, "teacher")
            teacher.eval()

            def soft(logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
                with torch.no_grad(), autocast(self.amp, t_device):
                    z = teacher(x.to(device=t_device, dtype=t_dtype)).float()
                labels = torch.softmax(z / T, 1).to(logits.device)
                if labels.shape != logits.shape:
                    raise ValueError(
                        f"{OWNER}: the teacher returns logits of shape {tuple(labels.shape)} "
                        f"but the student {tuple(logits.shape)}; they must classify the same "
                        "classes."
                    )
                return F.cross_entropy(logits.float() / T, labels)

            batches = Batches(data, name="X", owner=OWNER, device=s_device, dtype=s_dtype,
                              batch_size=self.batch_size, rng=rng)
            self.history_["student_loss"] = self._train(student, batches, soft, "student")
        self.teacher_ = teacher
        self.student_ = student
        return self

    def _train(self, model: nn.Module, batches: Batches, loss_of: Loss, stage: str) -> list[float]:
        """``epochs`` passes of Adam on ``loss_of(logits, x, y)``; the mean loss per epoch."""
        device = batches.device
        step = Stepper(torch.optim.Adam(model.parameters(), lr=self.lr), amp=self.amp,
                       device=device)
        losses = []
        size = batches.size()
        total_batches = None if size is None else self.epochs * size
        bar = progress(total=total_batches, desc=f"{OWNER} ({stage})", enabled=self.verbose)
        with bar:
            for _ in range(self.epochs):
                model.train()
                total = torch.zeros((), device=device)
                count = 0
                for x, y in batches:
                    with autocast(self.amp, device):
                        loss = loss_of(model(x), x, y)
                    step(loss)
                    total += loss.detach().float() * len(y)
                    count += len(y)
                    bar.update(1)
                if count == 0:
                    raise ValueError(f"The 'X' parameter of {OWNER}.fit gave no batches.")
                losses.append(total.item() / count)  # the epoch's one sync
        return losses


def _data(X: Any, y: Any) -> Any:
    if isinstance(X, torch.utils.data.DataLoader):
        if y is not None:
            raise ValueError(
                f"The 'y' parameter of {OWNER}.fit must be None when X is a DataLoader (its "
                "batches carry the labels). Got a value instead."
            )
        return X
    if not torch.is_tensor(X):
        raise TypeError(
            f"The 'X' parameter of {OWNER}.fit must be a tensor of images or a DataLoader. "
            f"Got {type(X).__name__} instead."
        )
    if not torch.is_tensor(y):
        raise TypeError(
            f"The 'y' parameter of {OWNER}.fit must be a tensor of class indices when X is a "
            f"tensor. Got {type(y).__name__} instead."
        )
    return (X, y)
