"""TreeAttack: a white-box, minimum-norm attack on tree ensembles (NumPy only)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..._progress import advance
from ..._validation import check_bool
from .._base import Attack, check_positive_int
from .._space import Domain
from ._ensemble import Ensemble, read_ensemble
from ._polish import (
    best_of,
    descend,
    into_ball,
    norms_of,
    random_starts,
    undo,
    with_norm,
)
from ._search import Lattice, from_donors, grow, margin, model_rows, refine

#: cells (states x trees x features) of path bookkeeping per chunk of samples
_CHUNK_CELLS = 4_000_000
#: nudges after a disagreement with the model: float32 steps further across the threshold
_NUDGES = (1, 4, 16)
#: random starting points inside the ball for samples the budget search misses
_RESTARTS = 1


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
    re-checked, and reported as a failure if that does not help. Under L2 the L-inf search
    runs as well and each coordinate its solution does not need is moved back toward the
    original; every sample keeps the smaller of the two solutions.

    Norms: ``"inf"``, ``"2"`` and ``"0"`` (number of changed features), in the standard
    units of the :class:`~advval.attacks.FeatureSpace`.

    Parameters
    ----------
    model : tree classifier
        One of the models above, or a Pipeline whose earlier steps are ``"passthrough"``.
        Pipelines that transform the features need a black-box attack.
    eps : float, optional
        Budget in standard units (``norm="0"``: number of features). ``None`` (default)
        finds a small perturbation. With a budget the minimal search runs first and its
        solutions inside the ball are kept; the samples it leaves outside are searched
        inside the ball (from scratch, from their minimal solution brought into the ball,
        and from random starting points), so a budget never succeeds less often than the
        minimal search within it.
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
        Seeds the choice of starting rows for samples the search cannot flip on its own,
        and the random starting points inside the ball with a budget (the attack is
        otherwise deterministic).
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
    >>> from advval.attacks import FeatureSpace, TreeAttack
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> stump = DecisionTreeClassifier(max_depth=1).fit(X, y)
    >>> attack = TreeAttack(stump, feature_space=FeatureSpace(bounds=(0, 3)))
    >>> X_adv = attack.generate(X)
    >>> attack.success_.tolist()
    [True, True, True, True]
    >>> np.round(X_adv.ravel(), 4).tolist()  # just across the stump's threshold, 1.5
    [1.5, 1.5, 1.5, 1.5]

    Without a space, the space of the attacked rows (:meth:`FeatureSpace.from_frame`)
    keeps a column of whole numbers whole:

    >>> np.round(TreeAttack(stump, bounds=(0, 3)).generate(X).ravel(), 4).tolist()
    [2.0, 2.0, 1.0, 1.0]
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
        check_bool(self.refine, name="refine", owner=name)
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
            z[part], found[part] = self._chunk(domain, z0[part], labels[part], eps, tables, rng)
            advance(part.size)  # progress: the chunk's rows are done
        return self._check_claims(z, z0, labels, found, domain, oracle, norm, tables)

    def _lattice(
        self, domain: Domain, z0: np.ndarray, labels: np.ndarray, eps: float | None,
        tables: dict[int, np.ndarray], rng: np.random.RandomState,
    ) -> Lattice:
        return Lattice(
            self._ensemble, domain, z0, labels, targeted=bool(self.targeted), norm=self._norm,
            eps=eps, tables=tables, rng=rng,
        )

    def _chunk(
        self, domain: Domain, z0: np.ndarray, labels: np.ndarray, eps: float | None,
        tables: dict[int, np.ndarray], rng: np.random.RandomState,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Adversarial rows (n, d) and success (n,) of one chunk of samples.

        With a budget, the minimal search runs first (its solutions inside the ball are
        kept), then the samples it leaves outside are searched inside the ball.
        """
        full = self._lattice(domain, z0, labels, None, tables, rng)
        levels, found = self._minimal(full, rng)
        ok = found.copy()
        if eps is not None:
            ok &= norms_of(full, levels, found) <= eps * (1 + 1e-12)
        z = z0.copy()
        rows = np.flatnonzero(ok)
        z[rows] = full.rows(rows, levels[rows])
        rest = np.flatnonzero(~ok)
        if eps is None or not rest.size:
            return z, ok
        start = full.rows(rest, levels[rest])
        z_ball, ok_ball = self._in_ball(
            domain, z0[rest], labels[rest], start, found[rest], eps, tables, rng
        )
        z[rest[ok_ball]] = z_ball[ok_ball]
        ok[rest] = ok_ball
        return z, ok

    def _minimal(self, lat: Lattice, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """The minimum-norm search: levels (n, F) and success (n,).

        Under L2 the L-inf search runs too: its solutions, with every coordinate that is
        not needed moved back toward the original (:func:`undo`), are often smaller in L2
        than the L2 search's own; each sample keeps the smallest.
        """
        levels, ok = self._search(lat, rng)
        if not self.refine or lat.norm != "2":
            return levels, ok
        solutions = [(levels, ok), self._search(with_norm(lat, "inf"), rng)]
        shrunk = [(undo(lat, start, done, max_moves=self.max_moves), done)
                  for start, done in solutions]
        return best_of(lat, solutions + shrunk)

    def _search(self, lat: Lattice, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        levels, ok = grow(
            lat, beam_width=self.beam_width, max_moves=self.max_moves,
            max_crossings=self.max_crossings,
        )
        from_donors(lat, levels, ok, rng)
        if self.refine:
            levels = refine(
                lat, levels, ok, max_moves=self.max_moves, max_crossings=self.max_crossings
            )
        return levels, ok

    def _in_ball(
        self, domain: Domain, z0: np.ndarray, labels: np.ndarray, start: np.ndarray,
        known: np.ndarray, eps: float, tables: dict[int, np.ndarray],
        rng: np.random.RandomState,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The budget search for samples the minimal search left outside the ball.

        ``start`` holds the minimal search's solutions (where ``known``): the ball's own
        search runs first, then those solutions brought into the ball and descended from,
        then random starting points inside the ball.
        """
        ball = self._lattice(domain, z0, labels, eps, tables, rng)
        levels, ok = self._search(ball, rng)
        todo = ~ok & known
        if todo.any():
            proj = into_ball(ball, ball.snap(np.arange(ball.n), start), todo, eps)
            proj, won = descend(ball, proj, todo, eps, max_moves=self.max_moves,
                                max_crossings=self.max_crossings)
            levels[won], ok[won] = proj[won], True
        for _ in range(_RESTARTS):
            todo = ~ok
            if not todo.any():
                break
            draw = random_starts(ball, todo, eps, rng)
            draw, won = descend(ball, draw, todo, eps, max_moves=self.max_moves,
                                max_crossings=self.max_crossings)
            levels[won], ok[won] = draw[won], True
        z = z0.copy()
        rows = np.flatnonzero(ok)
        z[rows] = ball.rows(rows, levels[rows])
        return z, ok

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
