"""A torch model evaluated as it runs at inference, and left exactly as it was found.

Every public entry point that runs a user's torch model (each attack's ``generate``,
:func:`~advval.attacks.robustness_report`, the robust scorer,
:func:`~advval.image.evaluate_robustness`, :class:`~advval.attacks.TorchTabularClassifier`'s
predictions) wraps its work in :func:`inference_state` (DESIGN.md section 5: models are
never moved, their train / eval mode and parameter gradients are left as found).

A model found in training mode is evaluated in eval mode for the duration. A robustness
figure describes the model as it is deployed: in training mode dropout makes every output
random (the gradients, the success checks and the clean accuracy with it), and batch-norm
normalizes each sample by the statistics of the batch it happens to be in (and updates its
running statistics with every forward pass, attacked rows included; a batch of one row is
refused). Each module's ``training`` flag is set and restored one by one
(``nn.Module.train`` is not called: a module may override it), and the buffers are
restored on exit, whatever happened inside, so a module that updates a buffer even in eval
mode leaves no trace either. Parameters, their ``requires_grad`` flags and ``.grad`` are
not touched: the attacks take gradients with respect to their inputs only
(:func:`torch.autograd.grad`).

One warning says so when the switch can change the outputs: when a module in training
mode is a dropout, batch-norm or other layer of PyTorch's that reads its mode
(:data:`MODE_LAYERS`), or a module of the user's own (its ``forward`` may read
``self.training``). A freshly built ``nn.Linear`` is in training mode too, but no output
depends on it: no warning there.

This module does not import torch: a model that is not a torch module passes through.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._caller import user_stacklevel
from ..exceptions import AdvvalWarning
from ._oracle import _is_torch_module


def torch_module(model: Any) -> Any:
    """The ``torch.nn.Module`` that computes ``model``'s outputs, or ``None``.

    A torch module itself, or the fitted ``module_`` of a wrapper such as
    :class:`~advval.attacks.TorchTabularClassifier`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> torch_module(LogisticRegression()) is None
    True
    """
    if _is_torch_module(model):
        return model
    inner = getattr(model, "__dict__", {}).get("module_")
    return inner if inner is not None and _is_torch_module(inner) else None


def reads_mode(module: Any) -> bool:
    """Whether ``module``'s own output may depend on its ``training`` flag.

    True for PyTorch's layers that read it (:data:`MODE_LAYERS`) and for every module
    that is neither PyTorch's nor advval's (a user's ``forward``, a TorchScript module:
    they cannot be inspected); false for the rest (linear layers, convolutions,
    activations, containers, :class:`~advval.image.Normalize`...).

    Examples
    --------
    >>> import torch
    >>> reads_mode(torch.nn.Linear(2, 2)), reads_mode(torch.nn.Dropout())
    (False, True)
    """
    home = type(module).__module__
    if not home.startswith(("torch.nn.", "advval.")):
        return True
    return isinstance(module, mode_layers())


@functools.cache
def mode_layers() -> tuple[type, ...]:
    """PyTorch's layers whose output depends on ``training`` (see :data:`MODE_LAYERS`)."""
    import torch

    found = []
    for path in MODE_LAYERS:
        home, _, name = path.partition(".")
        klass = getattr(getattr(torch.nn.modules, home, None), name, None)
        if isinstance(klass, type):  # a name a future PyTorch drops is skipped
            found.append(klass)
    return tuple(found)


#: PyTorch's layers that behave differently in training mode (their subclasses too):
#: dropout of every kind, batch / instance norm (running statistics), RReLU (random
#: slopes), and the layers with a dropout option of their own
MODE_LAYERS = (
    "dropout._DropoutNd",
    "batchnorm._NormBase",
    "activation.RReLU",
    "activation.MultiheadAttention",
    "rnn.RNNBase",
)


@contextmanager
def inference_state(model: Any, *, owner: str) -> Iterator[None]:
    """Run ``model`` in eval mode for the duration; restore its modes and buffers after.

    Parameters
    ----------
    model : object
        Any model; only torch modules (and wrappers with a ``module_``) are affected.
    owner : str
        The entry point, for the warning (``"PGD"``, ``"robustness_report"``...). The
        warning points at the first caller outside advval.

    Warns
    -----
    AdvvalWarning
        Once, when a submodule in training mode reads its mode (:func:`reads_mode`).

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)).train()
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     with inference_state(net, owner="example"):
    ...         inside = net.training
    >>> inside, net.training, len(caught)
    (False, True, 1)
    """
    module = torch_module(model)
    if module is None:
        yield
        return
    import torch

    modules = list(module.modules())
    modes = [m.training for m in modules]
    buffers = _buffers(modules)
    saved = [b.detach().clone() for b in buffers]
    if any(mode and reads_mode(m) for m, mode in zip(modules, modes, strict=True)):
        warnings.warn(
            f"{owner}: the model is in training mode; it is evaluated in eval mode, as it "
            "runs at inference (dropout off, batch-norm running statistics), and put back "
            "in training mode afterwards. Call model.eval() first to silence this warning.",
            AdvvalWarning,
            stacklevel=user_stacklevel(),
        )
    # only the modules in training mode are switched (and switched back): nn.Module's
    # attribute assignment is slow, and a model in eval mode needs none
    switched = [m for m, mode in zip(modules, modes, strict=True) if mode]
    try:
        for m in switched:
            m.training = False
        yield
    finally:
        for m, mode in zip(modules, modes, strict=True):
            if m.training != mode:  # switched here, or by the code inside
                m.training = mode
        if buffers:
            with torch.no_grad():
                for buffer, value in zip(buffers, saved, strict=True):
                    buffer.copy_(value)


def _buffers(modules: list[Any]) -> list[Any]:
    """The buffers of ``modules`` (each once), what ``module.buffers()`` gives for their
    root, read from the list already walked (not a second walk of the module tree)."""
    found: list[Any] = []
    seen: set[int] = set()
    for m in modules:
        for buffer in m._buffers.values():
            if buffer is not None and id(buffer) not in seen:
                seen.add(id(buffer))
                found.append(buffer)
    return found


__all__ = ["MODE_LAYERS", "inference_state", "mode_layers", "reads_mode", "torch_module"]
