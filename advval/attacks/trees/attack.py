"""TreeAttack: a white-box, minimum-norm attack on tree ensembles (NumPy only)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._base import Attack, check_positive_int
from .._space import Domain
from ._ensemble import Ensemble, read_ensemble
from ._search import Lattice, from_donors, grow, margin, model_rows, refine

#: cells (states x trees x features) of path bookkeeping per chunk of samples
_CHUNK_CELLS = 4_000_000
#: nudges after a disagreement with the model: float32 steps further across the threshold
_NUDGES = (1, 4, 16)


class TreeAttack(Attack):
    """Minimum-norm evasion of tree ensembles by searching over threshold crossings.

    TreeAttack reads the trees of the model (LightGBM ``Booster`` or ``LGBMClassifier``,
    binary and multi-class; scikit-learn ``DecisionTreeClassifier``,
    ``RandomForestClassifier``, ``ExtraTreesClassifier``, ``GradientBoostingClassifier`` and
    ``HistGradientBoostingClassifier`` on numerical features; XGBoost ``Booster`` or
    ``XGBClassifier``, gbtree or dart; CatBoost ``CatBoostClassifier``, symmetric,
    Depthwise or Lossguide trees; an ONNX tree ensemble classifier loaded by
    :func:`~advval.attacks.load_model`) and evaluates them exactly, so it needs no model
    queries to search. Its moves are crossings of split thresholds: each feature moves to
    just across a threshold of that feature (the nearest float32 beyond it, respecting
    ``<=`` semantics; the next whole number for integer columns; another category for
    label-coded and one-hot categorical columns). A beam search ranks the crossings of all
    samples by margin gained per unit of norm until the prediction flips, then a refinement
    shrinks the perturbation while it stays adversarial (see
    :mod:`advval.attacks.trees._search`). Every success is re-checked with the model's own
    predictions; a row the model disagrees on is nudged further across its thresholds and
    re-checked, and reported as a failure if that does not help.

    Norms: ``"inf"``, ``"2"`` and ``"0"`` (number of changed features), in the standard
    units of the :class:`~advval.attacks.FeatureSpace`.

    Parameters
    ----------
    model : tree classifier
        One of the models above, or a Pipeline whose earlier steps are ``"passthrough"``.
        Pipelines that transform the features need a black-box attack.
    eps : float, optional
        Budget in standard units (``norm="0"``: number of features). ``None`` (default)
        finds a small perturbation; with a budget only moves inside the ball are tried.
    norm : {"inf", "2", "0"}, default="inf"
    targeted : bool, default=False
        Move toward the classes given as ``y`` instead of away from them.
    feature_space : FeatureSpace, optional
        Constraints (immutable, integer, categorical, one-hot, monotone, bounds) and units.
        Default: ``FeatureSpace.from_frame`` of the attacked rows.
    bounds : tuple, optional
        ``(lower, upper)`` for every feature when no ``feature_space`` is given.
    max_queries : int, optional
        Budget of verification rows per sample (the search itself queries nothing).
    random_state : int or RandomState, optional
        Seeds the choice of starting rows for samples the search cannot flip on its own
        (the attack is otherwise deterministic).
    beam_width : int, default=1
        States kept per sample during the search (1: greedy). Wider beams rarely find
        smaller perturbations here: the refinement does most of the shrinking.
    max_moves : int, default=100
        Most search steps in each of the two phases (search, refinement).
    max_crossings : int, default=3
        Nearest thresholds tried per feature and direction at each step (doubled for a
        sample that finds no improving move).
    refine : bool, default=True
        Shrink each perturbation after it succeeds.

    Attributes
    ----------
    success_ : ndarray of bool, shape (n_samples,)
        The model's own prediction on the output is wrong (or the target).
    queries_ : ndarray of int, shape (n_samples,)
        Model rows queried per sample: the label query when ``y`` is None, plus the
        verification rows.
    norms_ : ndarray of float, shape (n_samples,)
        Perturbation size per sample (0 where the attack failed: failed rows are returned
        unchanged).

    Notes
    -----
    LightGBM and XGBoost categorical splits are evaluated exactly; their features are moved
    only when the FeatureSpace declares them label-coded categorical (then every allowed
    category is a candidate); a numeric column that the model splits on as categorical is
    left alone. HistGradientBoostingClassifier with categorical features is not supported.
    CatBoost's one-hot categorical features (at most ``one_hot_max_size`` categories) are
    attacked exactly when the data holds them as categories (strings, or a pandas
    ``category`` column); features it encodes by CTR target statistics cannot be, and such
    a model is refused with the features named (retrain with a larger
    ``one_hot_max_size``, or use a black-box attack). Missing values are never changed.

    References
    ----------
    .. [1] Zhang, Zhang and Hsieh, "An Efficient Adversarial Attack for Tree Ensembles",
       NeurIPS 2020.
    .. [2] Kantchelian, Tygar and Joseph, "Evasion and Hardening of Tree Ensemble
       Classifiers", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from advval.attacks import TreeAttack
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> stump = DecisionTreeClassifier(max_depth=1).fit(X, y)
    >>> attack = TreeAttack(stump, bounds=(0, 3))
    >>> X_adv = attack.generate(X)
    >>> attack.success_.tolist()
    [True, True, True, True]
    >>> np.round(X_adv.ravel(), 4).tolist()
    [1.5, 1.5, 1.5, 1.5]
    """

    norms: ClassVar[tuple[str, ...]] = ("inf", "2", "0")
    minimum_norm: ClassVar[bool] = True
    needs_scores: ClassVar[bool] = False
    white_box: ClassVar[bool] = True
    weak_because: ClassVar[str] = (
        "its search is greedy: a wider beam_width or more max_crossings searches further"
    )

    def __init__(
        self,
        model: Any,
        *,
        eps: float | None = None,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        beam_width: int = 1,
        max_moves: int = 100,
        max_crossings: int = 3,
        refine: bool = True,
    ) -> None:
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.beam_width = beam_width
        self.max_moves = max_moves
        self.max_crossings = max_crossings
        self.refine = refine

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.beam_width, name="beam_width", owner=name)
        check_positive_int(self.max_moves, name="max_moves", owner=name)
        check_positive_int(self.max_crossings, name="max_crossings", owner=name)
        if not isinstance(self.refine, (bool, np.bool_)):
            raise ValueError(
                f"The 'refine' parameter of {name} must be a bool. Got {self.refine!r} instead."
            )
        self._ensemble = read_ensemble(self.model)
        self._norm = norm
        return norm

    def _labels(self, X: Any, y: Any, z0: Any, oracle: Any, n_samples: int) -> np.ndarray:
        n_features = self._ensemble.n_features
        if np.ndim(z0) != 2:
            raise TypeError("TreeAttack attacks tables: X must be 2-D (n_samples, n_features).")
        if z0.shape[1] != n_features:
            raise ValueError(f"X has {z0.shape[1]} features but the model reads {n_features}.")
        self._labels_from_model = y is None
        return super()._labels(X, y, z0, oracle, n_samples)

    # -- the work ----------------------------------------------------------------------

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> np.ndarray:
        ensemble: Ensemble = self._ensemble
        n, d = z0.shape
        if oracle.n_classes != ensemble.n_classes:
            raise ValueError(
                f"The model predicts {oracle.n_classes} classes but its trees have "
                f"{ensemble.n_classes}."
            )
        norm = self._norm
        tables = _category_tables(ensemble, domain, oracle.like)
        eps = None if self.eps is None else float(self.eps)
        z = z0.copy()
        found = np.zeros(n, dtype=bool)
        chunk = max(1, _CHUNK_CELLS // (self.beam_width * ensemble.n_trees * max(d, 1)))
        for lo in range(0, n, chunk):
            part = np.arange(lo, min(lo + chunk, n))
            lattice = Lattice(
                ensemble, domain, z0[part], labels[part], targeted=bool(self.targeted),
                norm=norm, eps=eps, tables=tables, rng=rng,
            )
            levels, ok = grow(
                lattice, beam_width=self.beam_width, max_moves=self.max_moves,
                max_crossings=self.max_crossings,
            )
            from_donors(lattice, levels, ok, rng)
            if self.refine:
                levels = refine(
                    lattice, levels, ok, max_moves=self.max_moves,
                    max_crossings=self.max_crossings,
                )
            rows = np.flatnonzero(ok)
            z[part[rows]] = lattice.rows(rows, levels[rows])
            found[part] = ok
        return self._check_claims(z, z0, labels, found, domain, oracle, norm, tables)

    # -- verification ------------------------------------------------------------------

    def _check_claims(
        self,
        z: np.ndarray,
        z0: np.ndarray,
        labels: np.ndarray,
        found: np.ndarray,
        domain: Domain,
        oracle: Any,
        norm: str,
        tables: dict[int, np.ndarray],
    ) -> np.ndarray:
        """Ask the model about every claimed success; nudge and re-ask where it disagrees."""
        ensemble: Ensemble = self._ensemble
        tol = 1e-9 * max(1.0, ensemble.scale())

        def exact_ok(rows: np.ndarray) -> np.ndarray:
            raw = ensemble.raw(model_rows(ensemble, tables, z[rows]))
            return margin(ensemble, raw, labels[rows], bool(self.targeted)) < -tol

        z = self._settle(z, z0, domain, norm)
        verified = np.zeros(len(z), dtype=bool)
        predicted = labels.copy()
        pending = np.flatnonzero(found)
        for attempt in range(len(_NUDGES) + 1):
            if attempt:
                z[pending] = _nudge(z[pending], z0[pending], domain, _NUDGES[attempt - 1])
                z[pending] = self._settle(z[pending], z0[pending], domain, norm)
            ask = pending[exact_ok(pending) & (oracle.remaining(pending) >= 1)]
            if ask.size:
                predicted[ask] = oracle.labels(z[ask], ask)
                wanted = predicted[ask] == labels[ask]
                verified[ask[wanted if self.targeted else ~wanted]] = True
            pending = pending[~verified[pending] & (oracle.remaining(pending) >= 1)]
            if not pending.size:
                break
        z[~verified] = z0[~verified]
        exact = ensemble.scores(ensemble.raw(model_rows(ensemble, tables, z))).argmax(1)
        known = verified.copy()
        if getattr(self, "_labels_from_model", False):
            # failed rows are returned unchanged, and y was the model's own prediction of them
            known[:] = True
            predicted[~verified] = labels[~verified]
        self._checked = (oracle, z.copy(), predicted, known, exact)
        return z

    def _settle(self, z: np.ndarray, z0: np.ndarray, domain: Domain, norm: str) -> np.ndarray:
        """Apply the domain's exact projection until it no longer changes the rows."""
        for _ in range(3):
            out = domain.finalize(z, z0, self.eps, norm)
            if np.array_equal(out, z, equal_nan=True):
                break
            z = out
        return z

    def _verify(self, z: Any, oracle: Any) -> np.ndarray:
        checked = self.__dict__.pop("_checked", None)
        if checked is None or checked[0] is not oracle:
            return super()._verify(z, oracle)
        _, done, predicted, known, exact = checked
        same = np.all((z == done) | (np.isnan(z) & np.isnan(done)), axis=1)
        out = predicted.copy()
        rest = np.flatnonzero(~(same & known))
        room = oracle.remaining(rest) >= 1
        if np.any(room):
            out[rest[room]] = oracle.labels(z[rest[room]], rest[room])
        # rows the budget no longer allows to ask about: unchanged rows of failed samples,
        # judged by the exact parsed ensemble
        out[rest[~room]] = exact[rest[~room]]
        return out


def _nudge(z: np.ndarray, z0: np.ndarray, domain: Domain, steps: int) -> np.ndarray:
    """Move changed continuous values ``steps`` float32 spacings further from the original."""
    plain = domain.continuous & ~domain.integer
    for group in domain.groups:
        plain[group] = False
    moved = plain[None, :] & (z != z0) & ~np.isnan(z0)
    with np.errstate(over="ignore", invalid="ignore"):
        spacing = np.spacing(np.abs(z).astype(np.float32)).astype(np.float64)
    return np.where(moved, z + np.sign(z - z0) * steps * spacing, z)


def _category_tables(ensemble: Ensemble, domain: Domain, like: Any) -> dict[int, np.ndarray]:
    """The value the model reads for each category code of each label-coded column."""
    lookups: dict[int, list[Any]] = {}
    if ensemble.pandas_categorical and isinstance(like, pd.DataFrame):
        columns = [
            j for j, dtype in enumerate(like.dtypes) if isinstance(dtype, pd.CategoricalDtype)
        ]
        lookups = dict(zip(columns, ensemble.pandas_categorical, strict=False))
    tables = {}
    if ensemble.encode_categories is not None:
        from ._catboost import one_hot_tables

        return one_hot_tables(ensemble, domain)
    for j, allowed in domain.categories.items():
        if j in lookups:
            index = {value: code for code, value in enumerate(lookups[j])}
            tables[j] = np.array([index.get(v, np.nan) for v in allowed], dtype=np.float64)
            continue
        try:
            tables[j] = np.array([float(v) for v in allowed], dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"TreeAttack: column {domain.feature_names[j]!r} holds categories such as "
                f"{allowed[0]!r} that the tree model cannot read as numbers. Give the model "
                "numeric codes or a pandas 'category' column (LightGBM)."
            ) from None
    return tables
