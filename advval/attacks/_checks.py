"""The contract every attack keeps, as checks anyone can run (like ``check_estimator``).

:func:`check_attack` runs an attack (clones of it: the object given is never changed) on
the user's rows and model and checks what :class:`~advval.attacks.Attack` promises: the
input and the model are left as found, the output is of the input's kind and valid for
the attack's domain (bounds, immutable, integer, categorical and monotone columns, the
eps-ball), ``success_`` agrees with the model, the run is deterministic under
``random_state``, ``eps=0`` returns the input and ``max_queries`` is a hard limit. The
tests run it on every public attack; a new attack, or an attack written outside advval,
can be checked the same way.

NumPy only: torch is imported only when the model or the rows are torch objects (and
then it is already imported).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from ._base import Attack, _numpy
from ._space import Domain, is_tensor
from .evaluate.runner import ModelView, norm_name

#: the checks :func:`check_attack` runs, in order
CHECKS = (
    "input_unchanged",
    "same_kind",
    "fitted_attributes",
    "valid_output",
    "success_agrees_with_model",
    "model_unchanged",
    "parameters_unchanged",
    "deterministic",
    "eps_zero_returns_input",
    "query_budget",
)
#: relative and absolute tolerance of the budget and the norms (float32 outputs included)
_RTOL, _ATOL = 1e-5, 1e-6


def check_attack(attack: Attack, X: Any, y: Any = None) -> tuple[str, ...]:
    """Check that an attack keeps the contract of :class:`~advval.attacks.Attack`.

    The attack is run on ``X`` (clones of it, a few times) against its own ``model``,
    and each check below raises an ``AssertionError`` naming it at the first breach:

    ``input_unchanged``
        ``X`` and ``y`` are not modified.
    ``same_kind``
        The output has the input's type: same columns, dtypes and index (DataFrame),
        shape and dtype (array), shape, dtype and device, without gradient (tensor).
    ``fitted_attributes``
        ``success_`` (bool), ``queries_`` (int) and ``norms_`` (float), one per row.
    ``valid_output``
        Every row is its own exact projection onto the attack's domain (bounds,
        immutable, integer, categorical and monotone columns, the eps-ball), its size is
        within ``eps`` and ``norms_`` is that size.
    ``success_agrees_with_model``
        ``success_`` is what the model predicts on the output (misclassified, or the
        target when ``targeted``).
    ``model_unchanged``
        The model is left as found: a torch module's parameters, buffers, train / eval
        modes, ``requires_grad`` flags and ``.grad``; any other model's pickled state.
    ``parameters_unchanged``
        ``generate`` does not change the attack's parameters.
    ``deterministic``
        Two clones with the same ``random_state`` (0 when the attack has none) return
        the same rows, ``success_`` and ``queries_``.
    ``eps_zero_returns_input``
        With ``eps=0`` the output is the input and only rows the model already gets
        wrong (untargeted) count as successes.
    ``query_budget``
        With ``max_queries`` at half the queries the run used (2 at the least), no row
        is queried more often.

    Parameters
    ----------
    attack : Attack
        The attack to check, with its ``model`` and settings (``eps``, ``norm``, the
        feature space...). Not changed.
    X : DataFrame, ndarray or torch tensor
        Rows (or images) the model accepts, a few dozen is enough.
    y : array-like, optional
        True labels (target labels when ``targeted``), in the model's label space.
        Default: the model's own predictions.

    Returns
    -------
    tuple of str
        The names of the checks run (all of :data:`CHECKS` unless the model cannot be
        pickled, which leaves out ``model_unchanged`` for a model that is not a torch
        module).

    Raises
    ------
    AssertionError
        The attack breaks the contract; the message starts with the check's name.
    TypeError
        ``attack`` is not an :class:`~advval.attacks.Attack`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks import NESAttack, check_attack
    >>> X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> attack = NESAttack(model, eps=0.3, steps=5, n_samples=10, random_state=0)
    >>> check_attack(attack, X, y)[:3]
    ('input_unchanged', 'same_kind', 'fitted_attributes')
    """
    if not isinstance(attack, Attack):
        raise TypeError(
            f"The 'attack' parameter of check_attack must be an Attack instance. Got "
            f"{type(attack).__name__} instead."
        )
    name = type(attack).__name__
    view = ModelView(attack.model, X)
    clean = view.labels(X)  # first: a torch module's classes are read from its outputs
    labels = clean if y is None else view.indices(y)
    X_kept, y_kept = _copy(X), _copy(y)
    model_before = _model_state(attack.model)
    subject = clone(attack)
    if subject.random_state is None:
        subject.set_params(random_state=0)
    params_before = _params_hash(subject)

    out = subject.generate(X, y)
    done = []

    def passed(check: str, ok: bool, message: Callable[[], str]) -> None:
        if not ok:
            raise AssertionError(f"{check}: {name} {message()}")
        done.append(check)

    passed("input_unchanged", _same(X, X_kept) and _same(y, y_kept),
           lambda: "modified the rows (or labels) it was given")
    passed("same_kind", *_same_kind(out, X))
    passed("fitted_attributes", *_attributes(subject, len(labels)))
    passed("valid_output", *_valid(subject, X, out))
    predicted = view.labels(out)
    fooled = predicted == labels if subject.targeted else predicted != labels
    passed("success_agrees_with_model", bool(np.array_equal(subject.success_, fooled)),
           lambda: f"reports success_ on {int(subject.success_.sum())} rows but the model "
                   f"is fooled on {int(fooled.sum())} (they differ on "
                   f"{int((subject.success_ != fooled).sum())})")
    model_after = _model_state(attack.model)
    if model_before is not None and model_after is not None:
        passed("model_unchanged", _same_state(model_before, model_after),
               lambda: f"changed its model ({type(attack.model).__name__})")
    passed("parameters_unchanged", _params_hash(subject) == params_before,
           lambda: "changed its own parameters in generate")

    twin = clone(subject)
    again = twin.generate(X, y)
    passed("deterministic",
           _same(again, out) and np.array_equal(twin.success_, subject.success_)
           and np.array_equal(twin.queries_, subject.queries_),
           lambda: f"returned different rows with the same random_state="
                   f"{subject.random_state!r}")

    still = clone(subject).set_params(eps=0.0)
    unchanged = still.generate(X, y)
    wrong = (clean != labels) if not subject.targeted else None
    passed("eps_zero_returns_input",
           _same(unchanged, X) and (wrong is None or np.array_equal(still.success_, wrong)),
           lambda: "changed the rows (or claimed successes on correctly classified rows) "
                   "with eps=0")

    used = int(np.max(subject.queries_))
    cap = max(2, used // 2)
    if subject.max_queries is not None:
        cap = min(cap, int(subject.max_queries))
    capped = clone(subject).set_params(max_queries=cap)
    capped.generate(X, y)
    passed("query_budget", int(np.max(capped.queries_)) <= cap,
           lambda: f"queried a row {int(np.max(capped.queries_))} times with "
                   f"max_queries={cap}")
    return tuple(done)


# -- the pieces of the checks ---------------------------------------------------------


def _copy(value: Any) -> Any:
    """A deep copy of rows or labels (DataFrame, Series, array, tensor, list)."""
    if value is None:
        return None
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    if is_tensor(value):
        return value.detach().clone()
    return np.array(value, copy=True)


def _same(a: Any, b: Any) -> bool:
    """Equal values (NaN equal to NaN), dtypes, labels and, for tensors, devices."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (pd.DataFrame, pd.Series)):
        if type(a) is not type(b):
            return False
        try:
            if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            elif isinstance(a, pd.Series) and isinstance(b, pd.Series):
                pd.testing.assert_series_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    if (is_tensor(a) or is_tensor(b)) and (
        not (is_tensor(a) and is_tensor(b)) or a.dtype != b.dtype or a.device != b.device
    ):
        return False
    a, b = _numpy(a), _numpy(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    numeric = a.dtype.kind in "fc"
    return bool(np.array_equal(a, b, equal_nan=numeric))


def _same_kind(out: Any, X: Any) -> tuple[bool, Callable[[], str]]:
    if isinstance(X, pd.DataFrame):
        ok = (
            isinstance(out, pd.DataFrame)
            and list(out.columns) == list(X.columns)
            and list(out.dtypes) == list(X.dtypes)
            and out.index.equals(X.index)
        )
    elif is_tensor(X):
        ok = (
            is_tensor(out) and out.shape == X.shape and out.dtype == X.dtype
            and out.device == X.device and not out.requires_grad
        )
    else:
        ok = (
            isinstance(out, np.ndarray) and out.shape == np.shape(X)
            and out.dtype == np.asarray(X).dtype
        )
    return ok, lambda: (
        f"returned a {type(out).__name__} that does not match the input "
        f"({type(X).__name__}: type, shape, columns, dtypes, index or device)"
    )


def _attributes(attack: Attack, n: int) -> tuple[bool, Callable[[], str]]:
    kinds = {"success_": "b", "queries_": "iu", "norms_": "f"}
    bad = []
    for attribute, kind in kinds.items():
        value = getattr(attack, attribute, None)
        if not isinstance(value, np.ndarray) or value.shape != (n,) or value.dtype.kind not in kind:
            bad.append(attribute)
    return not bad, lambda: (
        f"has {', '.join(bad)} missing or not one {'/'.join(kinds[b] for b in bad)}-kind "
        f"value per row ({n} rows)"
    )


def _valid(attack: Attack, X: Any, out: Any) -> tuple[bool, Callable[[], str]]:
    """Each output row is a fixed point of the domain's exact projection, within eps."""
    norm = norm_name(attack)
    domain = attack._domain(X)
    z0 = np.array(_numpy(attack._to_internal(X, domain)), dtype=np.float64)
    z = np.array(_numpy(attack._to_internal(out, domain)), dtype=np.float64)
    eps = attack.eps
    size = np.asarray(_numpy(domain.distance(z, z0, norm)), dtype=np.float64)
    if eps is not None and np.any(size > eps * (1 + _RTOL) + _ATOL):
        worst = int(np.argmax(size))
        return False, lambda: (
            f"returned row {worst} at distance {size[worst]:.6g} (norm {norm}) from the "
            f"input, outside eps={eps}"
        )
    # the continuous projection leaves a valid row where it is (up to rounding); the
    # exact one (finalize) is not used: it rounds integers toward x0, so 1 - 1e-16 -> 0
    projected = np.asarray(_numpy(domain.project(z.copy(), z0, eps, norm)))
    off = ~(np.isclose(projected, z, rtol=_RTOL, atol=_ATOL) | (np.isnan(projected) & np.isnan(z)))
    if isinstance(domain, Domain):
        integer = domain.integer & domain.mutable
        off[:, integer] |= ~np.isnan(z[:, integer]) & (z[:, integer] != np.round(z[:, integer]))
        for group in domain.groups:
            block = z[:, group]
            one_hot = np.isin(block, (0.0, 1.0)).all(1) & (block.sum(1) == 1)
            start = z0[:, group]
            kept = (np.isnan(block) & np.isnan(start)).all(1) | (block == start).all(1)
            off[:, group] |= ~(one_hot | kept)[:, None]
    if off.any():
        n = len(z)  # an image's values are numbered in C order
        row, column = (int(i) for i in np.argwhere(off.reshape(n, -1))[0])
        value, valid = z.reshape(n, -1)[row, column], projected.reshape(n, -1)[row, column]
        feature = domain.feature_names[column] if isinstance(domain, Domain) else column
        return False, lambda: (
            f"returned row {row} outside its domain: feature {feature!r} is "
            f"{float(value):.6g}, not a valid value (bounds, immutable, integer, "
            f"categorical, one-hot and monotone columns, the eps-ball); the projection "
            f"gives {float(valid):.6g}"
        )
    reported = np.asarray(getattr(attack, "norms_", size), dtype=np.float64)
    if not np.allclose(reported, size, rtol=_RTOL, atol=_ATOL):
        worst = int(np.argmax(np.abs(reported - size)))
        return False, lambda: (
            f"reports norms_[{worst}]={reported[worst]:.6g} but the returned row is at "
            f"{size[worst]:.6g} from the input"
        )
    return True, lambda: ""


def _torch_module(model: Any) -> Any:
    """The torch module behind ``model`` (itself, or a fitted classifier's ``module_``)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    for candidate in (model, getattr(model, "module_", None)):
        if isinstance(candidate, torch.nn.Module):
            return candidate
    return None


def _model_state(model: Any) -> Any:
    """What must be the same after an attack: a torch module's state, else a hash."""
    module = _torch_module(model)
    if module is not None:
        return (
            "torch",
            {k: v.detach().clone() for k, v in module.state_dict().items()},
            [m.training for m in module.modules()],
            [p.requires_grad for p in module.parameters()],
            [None if p.grad is None else p.grad.detach().clone() for p in module.parameters()],
        )
    try:
        return ("hash", joblib.hash(model))
    except Exception:  # a model that cannot be pickled (a closure, a handle)
        return None


def _same_state(before: Any, after: Any) -> bool:
    if before[0] == "hash":
        return bool(before == after)
    import torch

    _, params, modes, flags, grads = before
    _, params2, modes2, flags2, grads2 = after
    if modes != modes2 or flags != flags2 or params.keys() != params2.keys():
        return False
    if not all(torch.equal(params[k], params2[k]) for k in params):
        return False
    return all(
        (g is None and h is None) or (g is not None and h is not None and torch.equal(g, h))
        for g, h in zip(grads, grads2, strict=True)
    )


def _params_hash(attack: Attack) -> str:
    params = attack.get_params(deep=False)
    params.pop("model", None)
    return str(joblib.hash(params))


__all__ = ["CHECKS", "check_attack"]
