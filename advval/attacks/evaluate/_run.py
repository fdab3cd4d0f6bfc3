"""Shared pieces of the evaluation tools: running one attack honestly and checking it.

Every evaluation (:func:`~advval.attacks.robustness_report`, the robust scorer, adversarial
training) runs attacks the same way: the attack is cloned (the user's object is never
fitted or changed), given the evaluation's feature space and a seed, run on the correctly
classified rows only, and each claimed success is re-checked by predicting the returned
rows with the model itself. The size of each perturbation is measured on the returned
rows too (in the attack's own units, missing values never counted as a change), so the
budget check does not rest on what the attack says about itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..._frames import array_column_names
from ..._progress import stage
from ...results._json import json_setting as json_safe  # the settings rule, one place
from .._base import Attack, _numpy
from .._norms import canonical_norm
from .._oracle import QueryOracle, label_indices
from .._space import Box, FeatureSpace, is_tensor

#: largest seed handed to an attack (NumPy's RandomState accepts [0, 2**32))
_MAX_SEED = 2**31 - 1
#: norms below this are "no perturbation at all" (the zero-gradient flag)
ZERO_NORM = 1e-12


class ModelView:
    """Uncounted predictions of any attackable model on user inputs, as class indices.

    It uses the attacks' own model access (:class:`~advval.attacks._oracle.QueryOracle`),
    so every kind of model an attack accepts (scikit-learn estimators and Pipelines,
    LightGBM Boosters, torch modules, callables) is evaluated the same way.
    """

    def __init__(self, model: Any, like: Any) -> None:
        self.oracle = QueryOracle(model, Box().bind(like), like, n_samples=1)
        self.classes_ = self.oracle.classes_

    def _input(self, X: Any) -> Any:
        if self.oracle.kind == "torch" or is_tensor(X):
            return np.asarray(_numpy(X), dtype=np.float64)
        return X

    def outputs(self, X: Any) -> np.ndarray:
        """Class scores (or the predicted indices, for label-only models) of ``X``."""
        data = self._input(X)
        rows = np.zeros(n_samples(X), dtype=np.int64)
        if not self.oracle.has_scores:
            return self.oracle.labels(data, rows).astype(np.float64)
        scores = self.oracle.scores(data, rows)
        if len(self.classes_) == 0:  # a torch module: the classes are its outputs
            self.classes_ = self.oracle.classes_ = np.arange(scores.shape[1])
        return scores

    def labels(self, X: Any) -> np.ndarray:
        """Predicted class indices of ``X``."""
        return labels_of(self.outputs(X))

    def indices(self, y: Any) -> np.ndarray:
        """True labels as positions in the model's classes."""
        return label_indices(_numpy(y) if is_tensor(y) else np.asarray(y), self.classes_)


def labels_of(outputs: np.ndarray) -> np.ndarray:
    """Class indices from :meth:`ModelView.outputs` (scores or indices)."""
    return outputs.astype(np.int64) if outputs.ndim == 1 else outputs.argmax(1)


@dataclass
class Run:
    """One attack run on the correctly classified rows (internal, per-sample arrays).

    ``rows`` index the evaluated data; ``success`` is what the attack claims, ``fooled``
    what the model says on the returned rows (the number the evaluation reports).
    ``norms`` are the sizes of the returned perturbations measured by :func:`measure`,
    ``slack`` how far the returned dtype's rounding alone may move them (0 for float64).
    """

    attack: Attack
    rows: np.ndarray
    success: np.ndarray
    fooled: np.ndarray
    norms: np.ndarray
    queries: np.ndarray
    seconds: float
    changed: np.ndarray | None
    slack: np.ndarray | None = None


def n_samples(X: Any) -> int:
    """Number of rows (first axis) of a DataFrame, array, tensor or sequence."""
    if hasattr(X, "shape") and len(X.shape):
        return int(X.shape[0])
    return len(X)


def take(X: Any, rows: np.ndarray) -> Any:
    """The rows ``rows`` of a DataFrame, Series, array or tensor (a copy)."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[rows]
    if is_tensor(X):
        import torch

        return X[torch.as_tensor(rows, dtype=torch.long, device=X.device)]
    return np.asarray(X)[rows]


def check_attacks(attacks: Any, *, owner: str) -> list[Attack]:
    """A non-empty list of untargeted :class:`Attack` instances, or a clear error."""
    if isinstance(attacks, Attack):
        attacks = [attacks]
    if (
        not isinstance(attacks, Sequence)
        or isinstance(attacks, str)
        or not attacks
        or not all(isinstance(a, Attack) for a in attacks)
    ):
        raise ValueError(
            f"The 'attacks' parameter of {owner} must be a non-empty list of Attack "
            f"instances. Got {attacks!r} instead."
        )
    for attack in attacks:
        if attack.targeted:
            raise ValueError(
                f"{owner} measures untargeted robustness, but {type(attack).__name__} has "
                "targeted=True. Use targeted=False."
            )
    return list(attacks)


def default_space(X: Any, feature_space: Any) -> Any:
    """The evaluation's feature space: the given one, else one built from all of ``X``.

    Building it from all rows (not only the correctly classified ones each attack sees)
    keeps ``eps`` in the same units for every attack and every ``eps`` of a sweep. Inputs
    that are not tables (images) keep ``None``: their attacks use ``bounds``.
    """
    if feature_space is not None:
        return feature_space
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
    if ndim != 2:
        return None
    return FeatureSpace.from_frame(_numpy(X) if is_tensor(X) else X)


def prepare(
    attack: Attack,
    *,
    model: Any = None,
    feature_space: Any = None,
    seed: int | None = None,
    eps: Any = "keep",
) -> Attack:
    """A clone of ``attack`` set up for an evaluation; ``attack`` itself is unchanged.

    The clone gets ``model`` (when given), ``feature_space`` when it has neither a space
    nor ``bounds`` of its own, ``seed`` when it has no ``random_state`` of its own, and
    ``eps`` when one is given.
    """
    attack = clone(attack)
    params: dict[str, Any] = {}
    if model is not None:
        params["model"] = model
    if feature_space is not None and attack.feature_space is None and attack.bounds is None:
        params["feature_space"] = feature_space
    if seed is not None and attack.random_state is None:
        params["random_state"] = seed
    if eps != "keep":
        params["eps"] = eps
    return attack.set_params(**params)


def draw_seed(rng: np.random.RandomState | None) -> int | None:
    """A seed for one attack from the evaluation's generator (``None`` without one)."""
    return None if rng is None else int(rng.randint(_MAX_SEED))


def run_attack(
    attack: Attack, view: ModelView, X: Any, y: Any, correct: np.ndarray, *, changes: bool
) -> Run:
    """Attack the correctly classified rows of ``X`` and re-check every result.

    Parameters
    ----------
    attack : Attack
        A prepared clone (it is fitted: ``success_`` and friends are set on it).
    view : ModelView
        The attacked model.
    X, y : the evaluated data and its true labels (the model's label space).
    correct : bool array
        Which rows the model classifies correctly; only those are attacked.
    changes : bool
        Also compute which columns each row changed (tables only).
    """
    rows = np.flatnonzero(correct)
    if rows.size == 0:
        empty = np.zeros(0)
        return Run(attack, rows, empty.astype(bool), empty.astype(bool), empty,
                   empty.astype(np.int64), 0.0, None)
    X_rows = take(X, rows)
    y_rows = take(_numpy(y) if is_tensor(y) else np.asarray(y), rows)
    # shared: the attack counts its rows as they finish (advval._progress.advance), and
    # the rows it did not count are counted when it returns
    with stage(progress_label(attack, len(rows)), total=len(rows), shared=True) as bar:
        start = time.perf_counter()
        X_adv = attack.generate(X_rows, y_rows)
        seconds = time.perf_counter() - start
        bar.advance(len(rows) - bar.done)
        bar.describe(f"done in {seconds:.1f} s")
    fooled = view.labels(X_adv) != view.indices(y_rows)
    changed = changed_columns(X_rows, X_adv) if changes else None
    norms, slack = measure(attack, X_rows, X_adv)
    return Run(
        attack=attack,
        rows=rows,
        success=np.asarray(attack.success_, dtype=bool),
        fooled=fooled,
        norms=norms,
        queries=np.asarray(attack.queries_, dtype=np.int64),
        seconds=seconds,
        changed=changed,
        slack=slack,
    )


def progress_label(attack: Attack, n_rows: int) -> str:
    """What the progress display shows while ``attack`` runs: attack, eps and rows.

    Examples
    --------
    >>> from advval.attacks import PGD
    >>> progress_label(PGD(None, eps=0.25), 1200)
    'PGD at eps 0.25 on 1,200 rows'
    """
    eps = attack.eps
    budget = "minimal" if eps is None else f"at eps {float(eps):g}"
    return f"{type(attack).__name__} {budget} on {n_rows:,} rows"


def measure(attack: Attack, X: Any, X_adv: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample size of the perturbation ``X -> X_adv`` as returned, and its rounding slack.

    Tables are measured in the attack's own domain (the units its ``eps`` is given in: the
    evaluation's feature space unless the attack has its own), on the returned rows
    encoded again, so a row that left the budget after the attack's final projection is
    seen. A missing value (NaN) kept as it is costs nothing, in numeric and categorical
    columns alike. The slack is what storing the rows in a narrower float dtype
    (float32, float16) can add on its own. Images keep the attack's own figures
    (``norms_``), which are measured on the pixel values it returns.

    Examples
    --------
    >>> from advval.attacks import FeatureSpace, SquareAttack
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "c": ["x", None, "y"]})
    >>> space = FeatureSpace.from_frame(X, scale={"a": 1.0})
    >>> attack = SquareAttack(None, eps=0.5, feature_space=space)
    >>> moved = X.assign(a=[0.5, 1.0, 5.0])
    >>> sizes, slack = measure(attack, X, moved)
    >>> sizes.tolist(), slack.tolist()
    ([0.5, 0.0, 3.0], [0.0, 0.0, 0.0])
    """
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
    if ndim != 2:
        sizes = np.asarray(attack.norms_, dtype=np.float64)
        return sizes, np.zeros_like(sizes)
    domain = attack._domain(X)
    norm = norm_name(attack)
    z0 = np.array(_numpy(domain.encode(X)), dtype=np.float64)
    z = np.array(_numpy(domain.encode(X_adv)), dtype=np.float64)
    sizes = np.asarray(domain.distance(z, z0, norm), dtype=np.float64)
    if norm == "0":  # rounding never turns an unchanged value into a changed one
        return sizes, np.zeros_like(sizes)
    steps = _resolution(X_adv, z.shape[1]) * np.abs(np.nan_to_num(z))
    steps[:, ~domain.plain] = 0.0  # codes and one-hot 0/1 are exact in any dtype
    slack = np.asarray(domain.distance(z0 + steps, z0, norm), dtype=np.float64)
    return sizes, slack


def _resolution(X: Any, n_columns: int) -> np.ndarray:
    """Relative precision of each column's float dtype when narrower than float64, else 0."""
    if is_tensor(X):
        import torch

        eps = torch.finfo(X.dtype).eps if X.is_floating_point() else 0.0
        return np.full(n_columns, eps if eps > np.finfo(np.float64).eps else 0.0)
    dtypes = list(X.dtypes) if isinstance(X, pd.DataFrame) else [np.asarray(X).dtype] * n_columns
    out = np.zeros(n_columns)
    for j, dtype in enumerate(dtypes):
        numpy_dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' Float32Dtype
        if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind == "f":
            eps = float(np.finfo(numpy_dtype).eps)
            out[j] = eps if eps > np.finfo(np.float64).eps else 0.0
    return out


def changed_columns(X: Any, X_adv: Any) -> np.ndarray | None:
    """Bool matrix (n, n_features): which cells differ (NaN equals NaN); None if not 2-D."""
    if isinstance(X, pd.DataFrame):
        columns = [
            _differs(X.iloc[:, j].to_numpy(), X_adv.iloc[:, j].to_numpy())
            for j in range(X.shape[1])
        ]
        return np.column_stack(columns) if columns else np.zeros((len(X), 0), dtype=bool)
    a, b = _numpy(X), _numpy(X_adv)
    if a.ndim != 2:
        return None
    return _differs(a, b)


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    same = np.asarray(a == b, dtype=bool) | (np.asarray(pd.isna(a)) & np.asarray(pd.isna(b)))
    return ~same


def feature_names(X: Any) -> tuple[str, ...]:
    """Column names of a table (positions as strings for arrays); empty for images."""
    if isinstance(X, pd.DataFrame):
        return tuple(str(c) for c in X.columns)
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
    return tuple(array_column_names(int(X.shape[1]), prefix="")) if ndim == 2 else ()


def norm_name(attack: Attack) -> str:
    """The attack's norm as ``"inf"``, ``"2"`` or ``"0"``."""
    return canonical_norm(attack.norm, owner=type(attack).__name__)


def white_box(attack: Attack) -> bool:
    """Whether the attack reads the model's internals (gradients, tree structure)."""
    return bool(getattr(type(attack), "white_box", False))


def attack_settings(attack: Attack) -> dict[str, Any]:
    """The attack's parameters without the model, JSON-safe."""
    params = attack.get_params(deep=False)
    params.pop("model", None)
    return {key: json_safe(value) for key, value in sorted(params.items())}


def numbered(names: Sequence[str]) -> list[str]:
    """Names made unique by numbering repeats (two PGD attacks: ``PGD``, ``PGD#2``).

    Examples
    --------
    >>> numbered(["PGD", "FGSM", "PGD"])
    ['PGD', 'FGSM', 'PGD#2']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def robust_mask(run: Run, correct: np.ndarray) -> np.ndarray:
    """Per evaluated sample: classified correctly and not fooled by ``run``."""
    robust = np.asarray(correct, dtype=bool).copy()
    robust[run.rows[run.fooled]] = False
    return robust
