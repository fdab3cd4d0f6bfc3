"""LightGBM parameters by role, and the thread rule: the package's one place for both.

Every LightGBM model advval trains by default gets its parameters here, by the role it
plays, so a default (the leaf count of the domain classifier, the quiet log level, the
thread count) is written once:

=====================  ==================================================  ===============
role                   the model                                           API
=====================  ==================================================  ===============
``"domain"``           the domain classifier of the drift check            scikit-learn
                       (:class:`~advval.AdversarialValidator`; the Dask
                       backend trains the same one)
``"signal"``           the model of ``y`` behind ``target_signal_``        scikit-learn
                       (:class:`~advval.DriftFeatureDropper`)
``"imputer"``          a column's boosted trees in                         scikit-learn
                       :class:`~advval.SubstitutionImputer`
``"substitution"``     a column's model in the dependency check            ``lightgbm.train``
                       (:class:`~advval.FeatureDependencyChecker`;
                       rounds and the search over leaves are the check's)
``"single"``           the one-predictor models of the pairwise check      ``lightgbm.train``
=====================  ==================================================  ===============

The scikit-learn roles get ``random_state`` and their threads (:func:`lightgbm_threads`)
here; the ``lightgbm.train`` roles get theirs (``seed``, ``num_threads``) where each model
is trained, from the same rule.
"""

from __future__ import annotations

import math
import os
from typing import Any, Literal

import numpy as np

Role = Literal["domain", "signal", "imputer", "substitution", "single"]
#: every role :func:`lightgbm_params` knows
ROLES: tuple[str, ...] = ("domain", "signal", "imputer", "substitution", "single")

#: below this many rows LightGBM is faster on one thread than on several
SINGLE_THREAD_ROWS = 50_000

#: what every default model shares: reproducible, column-wise histograms, silent
_COMMON: dict[str, Any] = {"deterministic": True, "force_col_wise": True, "verbose": -1}


#: the scikit-learn roles: their trees (rounds, learning rate, leaves) and the cap on the
#: minimum leaf size; the domain classifier's are argued in
#: :func:`advval._models.default_domain_classifier`, the others are a small model of one
#: target used as it is (no early stopping); every tree of the domain classifier sees
#: every column, the others sample 80% of the columns per tree
_SMALL_MODEL: dict[str, Any] = {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 15}
_SKLEARN_ROLES: dict[str, tuple[dict[str, Any], int]] = {
    "domain": ({"n_estimators": 1000, "learning_rate": 0.05, "num_leaves": 4}, 50),
    "signal": (_SMALL_MODEL, 20),
    "imputer": (_SMALL_MODEL, 20),
}


def lightgbm_params(
    role: Role, *, n_rows: int, random_state: int | None = None, n_jobs: int | None = None
) -> dict[str, Any]:
    """The LightGBM parameters of the model that plays ``role``, for ``n_rows`` rows.

    Parameters
    ----------
    role : {"domain", "signal", "imputer", "substitution", "single"}
        Which model (see the module's table).
    n_rows : int
        Rows the model will be trained on (minimum leaf sizes grow with it, and the
        thread count of the scikit-learn roles depends on it).
    random_state : int or None, default=None
        Seed of the scikit-learn roles (``random_state``); the ``lightgbm.train`` roles
        are seeded where they are trained.
    n_jobs : int or None, default=None
        Threads of the scikit-learn roles, through :func:`lightgbm_threads`.

    Returns
    -------
    dict
        Keyword arguments of ``LGBMClassifier`` / ``LGBMRegressor`` (scikit-learn roles)
        or parameters of ``lightgbm.train`` (the others). A new dict on every call.

    Examples
    --------
    >>> params = lightgbm_params("domain", n_rows=1_000, random_state=0, n_jobs=1)
    >>> params["num_leaves"], params["min_child_samples"], params["n_jobs"]
    (4, 20, 1)
    >>> lightgbm_params("imputer", n_rows=500) == lightgbm_params("signal", n_rows=500)
    True
    >>> lightgbm_params("single", n_rows=1_000)["num_leaves"]
    8
    """
    if role in _SKLEARN_ROLES:
        shape, largest_leaf_minimum = _SKLEARN_ROLES[role]
        return {
            **shape,
            # a minimum leaf size that grows with the data, so small samples can still split
            "min_child_samples": int(np.clip(n_rows // 50, 5, largest_leaf_minimum)),
            "subsample": 0.8,
            "subsample_freq": 1,
            **({} if role == "domain" else {"colsample_bytree": 0.8}),
            "random_state": random_state,
            "n_jobs": lightgbm_threads(n_jobs, n_rows),
            **_COMMON,
        }
    if role in ("substitution", "single"):
        common: dict[str, Any] = {
            "min_data_in_leaf": int(np.clip(n_rows // 100, 5, 50)),
            # a leaf needs a summed hessian of 1: a class whose probabilities have
            # saturated cannot grow a leaf of extreme values (gradient / a tiny hessian)
            # that wrecks the other classes; without it multi-class models lost most of
            # their classes in 1 fit of 4 on the flights table (a score of 0.2 for a column
            # determined by another)
            "min_sum_hessian_in_leaf": 1.0,
            "max_bin": 63,
            **_COMMON,
        }
        if role == "single":
            return {**common, "num_iterations": 20, "learning_rate": 0.3, "num_leaves": 8}
        return {**common, "bagging_fraction": 0.8, "bagging_freq": 1}
    raise ValueError(
        f"The 'role' parameter of lightgbm_params must be one of "
        f"{', '.join(repr(r) for r in ROLES)}. Got {role!r} instead."
    )


def quiet(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with LightGBM's log level set to silent unless they set one (in place).

    Examples
    --------
    >>> quiet({"num_leaves": 7}), quiet({"verbose": 1})
    ({'num_leaves': 7, 'verbose': -1}, {'verbose': 1})
    """
    params.setdefault("verbose", _COMMON["verbose"])
    return params


def available_cores() -> int:
    """Cores this process may run on that other work is not already using.

    The cores the process may use (its CPU affinity) minus the one-minute load average of
    the machine, at least 1. LightGBM's OpenMP threads spin while they wait for each
    other, so more threads than free cores make every process on the machine slower
    (measured: four concurrent 120k-row checks took 9x longer with a thread per core
    each than with one thread each).

    Examples
    --------
    >>> 1 <= available_cores() <= (os.cpu_count() or 1)
    True
    """
    cores = machine_cores()
    try:
        busy = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        busy = 0.0
    return int(max(1, min(cores, math.floor(cores - busy + 0.5))))


def lightgbm_threads(n_jobs: int | None, n_rows: int) -> int:
    """Threads for a LightGBM model of ``n_rows`` rows: ``n_jobs`` as given, else a default.

    The default is one thread below ``SINGLE_THREAD_ROWS`` rows (thread start-up costs
    more than it gains there) and :func:`available_cores` above, so that a check never
    runs slower on a shared machine than on one thread. ``-1`` means every core the
    process may use, and so does any count above it.

    Examples
    --------
    >>> lightgbm_threads(None, 1_000), lightgbm_threads(1, 1_000)
    (1, 1)
    >>> lightgbm_threads(4096, 1_000) == lightgbm_threads(-1, 1_000) == machine_cores()
    True
    """
    if n_jobs is not None:
        # more threads than cores only makes OpenMP threads wait on each other (2,048
        # threads did not finish a fit of 80 rows in five minutes)
        return machine_cores() if n_jobs == -1 else min(n_jobs, machine_cores())
    return 1 if n_rows < SINGLE_THREAD_ROWS else available_cores()


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1.

    Examples
    --------
    >>> machine_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
