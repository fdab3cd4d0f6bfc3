"""The input domain of an attack: what a valid adversarial row (or image) may look like.

:class:`FeatureSpace` describes a table: a scale per feature so that ``eps`` is measured in
standard units, bounds, immutable columns, integer columns, categorical columns (label
coded, or one-hot groups where a row always has exactly one category) and monotone
directions. :class:`Box` describes images: one pixel range for every value.

Attacks never use these classes directly; they use the :class:`Domain` that
``space.bind(X)`` returns for the data being attacked. A domain

- encodes the user's rows into a float matrix (categories become codes) and back;
- projects a candidate back onto the valid set: ``project`` is the continuous relaxation
  used inside iterative attacks, ``finalize`` the exact projection every output passes
  through (integers rounded toward the original, categories snapped, budget enforced);
- measures per-sample perturbation sizes in standard units.

Projections work on NumPy arrays and torch tensors alike, so the gradient attacks run
them on the model's device.

Distances
---------
For numeric columns the change is ``(x' - x) / scale``. Changing the category of a
label-coded column or of a one-hot group costs ``categorical_distance`` standard units
(default 1: as far as one standard deviation). Under L0 every changed feature counts 1.
Missing values (NaN) are never changed, and never created.
"""

from __future__ import annotations

import numbers
import pickle
import weakref
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from .._frames import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    array_column_names,
    column_kind,
    from_table_protocol,
)
from .._kinds import as_category
from ._norms import flat, namespace, norm_of, per_sample, project_ball

_TOLERANCE = 1e-7
_HUGE = 1e150

#: fewest distinct values a float column of whole numbers needs to be read as integer by
#: default (fewer could be whole by chance)
MIN_WHOLE_VALUES = 3

#: whole numbers beyond this size are not evidence of an integer column (every float
#: from 2 ** 53 on is whole)
_WHOLE_LIMIT = 2.0**53
#: rows :func:`_whole_mask` tests every column on first
_HEAD_ROWS = 8
#: each space's bound domains, by (raw, number of columns, column names), with the
#: parameters they were bound from (see :meth:`FeatureSpace.bind`)
_BOUND: weakref.WeakKeyDictionary[Any, dict[Any, tuple[bytes, Any]]] = (
    weakref.WeakKeyDictionary()
)  # stands for an infinite category cost without 0 * inf = nan


class FeatureSpace:
    """The valid rows of a table, and the units its perturbations are measured in.

    Parameters
    ----------
    feature_names : sequence of str, optional
        Column names, when the space is given explicitly. Column references in the other
        parameters may be names or positions.
    bounds : tuple (lower, upper) or mapping, optional
        ``(lower, upper)`` with scalars or one value per feature, or a mapping
        ``{column: (lower, upper)}``. Unbounded by default.
    scale : float, array-like or mapping, optional
        One standard unit per feature (``eps`` is measured in these units). Default 1.
    immutable : sequence of column references
        Columns an attack may never change (age, account id...).
    integer : sequence of column references
        Columns that must stay whole numbers. Rounding always moves toward the original
        value, so it never leaves the eps-ball.
    categorical : mapping or sequence, optional
        Label-coded categorical columns: ``{column: allowed values}``, or a sequence of
        columns whose allowed values are those seen in the attacked data.
    one_hot : sequence of sequences
        Groups of 0/1 columns that encode one category: a valid row has exactly one 1.
    monotone : mapping, optional
        ``{column: "increase" | "decrease"}`` (or ``+1`` / ``-1``): the direction a
        feature may move in (a debt that can only grow).
    categorical_distance : float, default=1.0
        Cost of one category change, in standard units. ``np.inf`` freezes categories
        except under L0.

    See Also
    --------
    FeatureSpace.from_frame : build the space from training data.

    Examples
    --------
    >>> space = FeatureSpace(feature_names=["age", "income"], bounds={"income": (0, 5200)},
    ...                      scale=[10.0, 1000.0], immutable=["age"], integer=["age"])
    >>> domain = space.bind(np.array([[30.0, 5000.0]]))
    >>> domain.finalize(np.array([[35.0, 9000.0]]), np.array([[30.0, 5000.0]]), 0.5, "inf")
    array([[  30., 5200.]])
    """

    def __init__(
        self,
        *,
        feature_names: Sequence[str] | None = None,
        bounds: Any = None,
        scale: Any = None,
        immutable: Sequence[Hashable] = (),
        integer: Sequence[Hashable] = (),
        categorical: Mapping[Hashable, Sequence[Any]] | Sequence[Hashable] | None = None,
        one_hot: Sequence[Sequence[Hashable]] = (),
        monotone: Mapping[Hashable, Any] | None = None,
        categorical_distance: float = 1.0,
    ) -> None:
        self.feature_names = feature_names
        self.bounds = bounds
        self.scale = scale
        self.immutable = immutable
        self.integer = integer
        self.categorical = categorical
        self.one_hot = one_hot
        self.monotone = monotone
        self.categorical_distance = categorical_distance

    def __repr__(self) -> str:
        shown = {
            key: value
            for key, value in vars(self).items()
            if value is not None and not (isinstance(value, (tuple, list)) and not value)
            and not (key == "categorical_distance" and value == 1.0)
        }
        body = ", ".join(f"{key}={_short(value)}" for key, value in shown.items())
        return f"FeatureSpace({body})"

    @classmethod
    def from_frame(
        cls,
        X: Any,
        *,
        immutable: Sequence[Hashable] = (),
        integer: Sequence[Hashable] | None = None,
        categorical: Sequence[Hashable] | Mapping[Hashable, Sequence[Any]] | None = None,
        one_hot: Sequence[Sequence[Hashable]] = (),
        monotone: Mapping[Hashable, Any] | None = None,
        bounds: Any = "data",
        scale: str | Any = "std",
        categorical_distance: float = 1.0,
    ) -> FeatureSpace:
        """Build the space from (training) data.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            Typically the training data: its spread sets the units and its range the
            bounds.
        immutable, one_hot, monotone, categorical_distance
            As in the constructor.
        integer : sequence, optional
            Default: the numeric columns with an integer dtype, and the float columns
            whose observed values are all whole numbers, with at least
            :data:`MIN_WHOLE_VALUES` (3) distinct ones (a count read as float because
            it has missing values): an attack keeps their values whole.
            :func:`whole_number_columns` lists the latter. Pass the list to override
            the default (``[]``: no integer column); a constraints file's
            ``continuous`` key (:meth:`from_config`, ``advval attack
            --constraints``) takes columns out of it.
        categorical : sequence or mapping, optional
            Default: boolean, category, string and object columns, with the values seen
            in ``X`` as allowed values.
        bounds : "data", None, tuple or mapping, default="data"
            ``"data"`` uses each numeric column's observed range; ``None`` is unbounded.
        scale : {"std", "iqr"} or array-like, default="std"
            ``"iqr"`` divides the interquartile range by 1.349 (the IQR of a standard
            normal), which resists outliers. Zero or undefined spreads become 1.

        Returns
        -------
        FeatureSpace

        Examples
        --------
        >>> X = pd.DataFrame({"age": [20, 30, 40], "city": ["a", "b", "a"],
        ...                   "debt": [1.0, 2.0, 4.5]})
        >>> space = FeatureSpace.from_frame(X, immutable=["age"], monotone={"debt": "increase"})
        >>> space.categorical, space.integer
        ({'city': ['a', 'b']}, ['age'])

        A count with a missing value is a float column of whole numbers: integer too.

        >>> counts = pd.DataFrame({"visits": [2.0, None, 5.0, 3.0], "debt": [1, 2.5, 4, 0]})
        >>> FeatureSpace.from_frame(counts).integer
        ['visits']
        """
        numbers = _number_matrix(X)
        if numbers is not None and (categorical is None or isinstance(categorical, Mapping)):
            return cls._from_matrix(
                *numbers, immutable=immutable, integer=integer, categorical=categorical,
                one_hot=one_hot, monotone=monotone, bounds=bounds, scale=scale,
                categorical_distance=categorical_distance,
            )
        frame = _as_frame(X)
        names = [str(c) for c in frame.columns]
        # each column once, by position (a lookup by label costs ~0.1 ms a column)
        series = [column for _, column in frame.items()]
        kinds = {name: column_kind(column) for name, column in zip(names, series, strict=True)}
        for name, kind in kinds.items():
            if kind == DATETIME:
                raise TypeError(
                    f"Column {name!r} is a datetime; attacks need numeric, boolean or "
                    "categorical columns. Convert it (e.g. to epoch seconds) first."
                )
        one_hot_cols = {str(_name(c, names)) for group in one_hot for c in group}
        if categorical is None:
            categorical = [
                n for n, k in kinds.items() if k in (CATEGORICAL, BOOLEAN) and n not in one_hot_cols
            ]
        if not isinstance(categorical, Mapping):
            categorical = {
                _name(c, names): _allowed_values(frame.iloc[:, names.index(_name(c, names))])
                for c in categorical
            }
        else:
            categorical = {_name(c, names): list(v) for c, v in categorical.items()}
        if integer is None:
            whole = set(whole_number_columns(frame))
            integer = [
                n
                for n, column in zip(names, series, strict=True)
                if kinds[n] == "numeric"
                and (pd.api.types.is_integer_dtype(column.dtype) or n in whole)
                and n not in categorical and n not in one_hot_cols
            ]
        numeric = [n for n in names if n not in categorical]
        values = frame[[frame.columns[names.index(n)] for n in numeric]].astype("float64")
        matrix = values.to_numpy()
        _check_no_infinity(matrix, numeric, owner="FeatureSpace.from_frame")
        if isinstance(scale, str):
            scale = dict(zip(numeric, _spread(matrix, scale).tolist(), strict=True))
        if isinstance(bounds, str):
            if bounds != "data":
                raise ValueError(
                    "The 'bounds' parameter of FeatureSpace.from_frame must be 'data', None, "
                    f"a (lower, upper) pair or a mapping. Got {bounds!r} instead."
                )
            seen = ~np.isnan(matrix).all(axis=0)  # a column with no value has no range
            lower = np.nanmin(matrix[:, seen], axis=0) if len(values) else []
            upper = np.nanmax(matrix[:, seen], axis=0) if len(values) else []
            observed = [n for n, s in zip(numeric, seen, strict=True) if s]
            bounds = {
                n: (float(lo), float(hi))
                for n, lo, hi in zip(observed, lower, upper, strict=True)
            }
        return cls._assemble(
            names, bounds, scale, immutable, integer, categorical, one_hot, monotone,
            categorical_distance,
        )

    @classmethod
    def _assemble(
        cls, names: list[str], bounds: Any, scale: Any, immutable: Sequence[Hashable],
        integer: Sequence[Hashable], categorical: Mapping[Hashable, Sequence[Any]],
        one_hot: Sequence[Sequence[Hashable]], monotone: Mapping[Hashable, Any] | None,
        categorical_distance: float,
    ) -> FeatureSpace:
        """The space :meth:`from_frame` returns, from what it read (both of its paths)."""
        return cls(
            feature_names=names,
            bounds=bounds,
            scale=scale,
            immutable=list(immutable),
            integer=list(integer),
            categorical=categorical,
            one_hot=[list(g) for g in one_hot],
            monotone=monotone,
            categorical_distance=categorical_distance,
        )

    @classmethod
    def _from_matrix(
        cls, matrix: np.ndarray, integer_dtype: bool, *, immutable: Sequence[Hashable],
        integer: Sequence[Hashable] | None,
        categorical: Mapping[Hashable, Sequence[Any]] | None,
        one_hot: Sequence[Sequence[Hashable]], monotone: Mapping[Hashable, Any] | None,
        bounds: Any, scale: str | Any, categorical_distance: float,
    ) -> FeatureSpace:
        """:meth:`from_frame` of a 2-D array or tensor of numbers (``matrix``, as
        :func:`_number_matrix` gives it, with whether its dtype is an integer one), by
        whole-matrix NumPy work: the space the DataFrame path builds, without a frame or
        a step per column."""
        names = array_column_names(matrix.shape[1], prefix="")
        one_hot_cols = {str(_name(c, names)) for group in one_hot for c in group}
        categorical = {_name(c, names): list(v) for c, v in (categorical or {}).items()}
        keep = np.array([n not in categorical for n in names], dtype=bool)
        numeric = [n for n, k in zip(names, keep, strict=True) if k]
        values = matrix if keep.all() else np.asfortranarray(matrix[:, keep])
        facts = _matrix_facts(values, numeric, bounds, scale, integer_dtype)
        if integer is None:
            whole = np.zeros(len(names), dtype=bool)
            whole[keep] = facts.integer
            integer = [
                n for n, w in zip(names, whole, strict=True) if w and n not in one_hot_cols
            ]
        if isinstance(scale, str):
            scale = dict(zip(numeric, cast(np.ndarray, facts.scale).tolist(), strict=True))
        if isinstance(bounds, str):
            lower, upper = cast(np.ndarray, facts.lower), cast(np.ndarray, facts.upper)
            bounds = {
                numeric[j]: (float(lower[j]), float(upper[j]))
                for j in np.flatnonzero(cast(np.ndarray, facts.seen))
            }
        return cls._assemble(
            names, bounds, scale, immutable, integer, categorical, one_hot, monotone,
            categorical_distance,
        )

    @classmethod
    def from_config(cls, config: Any, X: Any) -> FeatureSpace:
        """Build the space from data and a constraints file (or mapping) naming its columns.

        The schema is that of ``advval attack --constraints`` (every key optional)::

            immutable: [column, ...]
            integer: [column, ...]
            continuous: [column, ...]           # whole-valued floats that may take fractions
            categorical: [column, ...]          # or {column: [allowed values]}
            one_hot: [[column, ...], ...]
            monotone: {column: increase | decrease}
            bounds: {column: [lower, upper]}    # null: no bound on that side
            scale: std | iqr
            categorical_distance: 1.0

        The result is :meth:`from_frame` of ``X`` with these declarations added: integer
        and categorical columns add to those recognised from the dtypes (and whole-valued
        float columns), ``continuous`` columns are taken out of the integer ones,
        ``bounds`` replace the data range of the columns they name.

        Parameters
        ----------
        config : mapping, str or path-like
            The constraints, or the path of a JSON (``.json``) or YAML (``.yaml``,
            ``.yml``) file holding them.
        X : DataFrame
            Typically the training data, as for :meth:`from_frame`; the constraints name
            its columns.

        Returns
        -------
        FeatureSpace

        Raises
        ------
        ValueError
            An unreadable file, an unknown key, a value of the wrong shape, a column ``X``
            does not have, or a declaration the data contradicts; the message names the
            file (or the mapping) and the key.
        TypeError
            ``config`` is neither a mapping nor a path, or ``X`` is not a DataFrame.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"age": [30, 41, 52], "income": [1.5, 2.0, 3.5]})
        >>> space = FeatureSpace.from_config(
        ...     {"immutable": ["age"], "bounds": {"income": [0, None]}}, X)
        >>> space.immutable, space.bounds["income"]
        (['age'], (0.0, inf))
        """
        from ._space_config import from_config

        return from_config(config, X)

    def bind(self, X: Any, *, raw: bool = False) -> Domain:
        """Resolve the space against the data to attack.

        Parameters
        ----------
        X : DataFrame, array or tensor of shape (n_samples, n_features)
            The rows to attack (only their columns and, for categorical columns given
            without values, their values are used).
        raw : bool, default=False
            ``True`` when the attack works on the model's raw numeric input (the gradient
            attacks): label-coded categorical columns are then frozen, since a gradient
            says nothing about moving between codes.

        Returns
        -------
        Domain
            Shared by the calls that bind the same space, unchanged, to data with the same
            columns (never change its arrays in place): an attack called again on the same
            space reuses its checks and its device tensors. Categorical values read from the data
            are bound afresh each time.
        """
        if isinstance(X, pd.DataFrame) or not (_is_tensor(X) or _is_table_array(X)):
            frame: pd.DataFrame | None = _as_frame(X)
        else:  # a tensor or 2-D array: a frame of it only for categorical values (below)
            frame = None
        n_features = int(X.shape[1]) if frame is None else frame.shape[1]
        data_names = (
            [str(c) for c in frame.columns]
            if isinstance(X, pd.DataFrame) and frame is not None
            else None
        )
        key = (raw, n_features, None if data_names is None else tuple(data_names))
        state = self._state()
        bound = _BOUND.get(self, {})
        found = bound.get(key)
        if state is not None and found is not None and found[0] == state:
            return found[1]
        domain = self._bind(X, raw, frame, n_features, data_names)
        if state is not None:
            if len(bound) >= 8:  # many column sets: start over
                bound.clear()
            bound[key] = (state, domain)
            _BOUND[self] = bound
        return domain

    def _state(self) -> bytes | None:
        """The parameters as bytes (equal bytes: the same domain), or ``None``: the domain
        depends on the data (categorical values read from it) or cannot be told apart."""
        cats = self.categorical
        if cats and not isinstance(cats, Mapping):
            return None
        try:
            return pickle.dumps(vars(self), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable parameter: bound afresh every time
            return None

    def _bind(
        self, X: Any, raw: bool, frame: pd.DataFrame | None, n_features: int,
        data_names: list[str] | None,
    ) -> Domain:
        names = self._check_names(data_names, n_features)
        owner = "FeatureSpace"

        def index(ref: Hashable, what: str) -> int:
            return _index(ref, names, what=what, owner=owner)

        lower = np.full(n_features, -np.inf)
        upper = np.full(n_features, np.inf)
        bounds = self.bounds
        if isinstance(bounds, Mapping):
            for ref, pair in bounds.items():
                j = index(ref, "bounds")
                lo, hi = _pair(pair, ref)
                lower[j] = _real(lo, f"bounds for {ref!r}: the lower bound")
                upper[j] = _real(hi, f"bounds for {ref!r}: the upper bound")
        elif bounds is not None:
            lo, hi = _pair(bounds, "bounds")
            lower[:] = _per_feature(lo, n_features, "lower bound")
            upper[:] = _per_feature(hi, n_features, "upper bound")
        _check_bounds(lower, upper, names)
        scale = np.ones(n_features)
        if isinstance(self.scale, Mapping):
            for ref, value in self.scale.items():
                scale[index(ref, "scale")] = _real(value, f"scale of {ref!r}")
        elif self.scale is not None:
            scale[:] = _per_feature(self.scale, n_features, "scale")
        _check_scale(scale, names)
        distance = self.categorical_distance
        if not (_is_real(distance) and float(distance) >= 0):  # NaN fails too
            raise ValueError(
                "The 'categorical_distance' parameter of FeatureSpace must be a float in the "
                f"range [0, inf] (inf freezes categories). Got {distance!r} instead."
            )
        mutable = np.ones(n_features, dtype=bool)
        for ref in self.immutable:
            mutable[index(ref, "immutable")] = False
        integer = np.zeros(n_features, dtype=bool)
        for ref in self.integer:
            integer[index(ref, "integer")] = True
        monotone = np.zeros(n_features)
        for ref, direction in (self.monotone or {}).items():
            monotone[index(ref, "monotone")] = _direction(direction, ref)
        categories: dict[int, list[Any]] = {}
        cats = self.categorical or {}
        refs = cats.keys() if isinstance(cats, Mapping) else cats
        for ref in refs:
            j = index(ref, "categorical")
            if isinstance(cats, Mapping):
                categories[j] = list(cats[ref])
                if any(_missing(value) for value in categories[j]):
                    raise ValueError(
                        f"FeatureSpace categorical values for {names[j]!r} include a missing "
                        f"value: {_preview(categories[j])}. List the categories only; missing "
                        "values in the data are kept as they are, never attacked into."
                    )
            elif not _is_tensor(X):
                frame = _as_frame(X) if frame is None else frame
                categories[j] = _allowed_values(frame.iloc[:, j])
            else:
                raise ValueError(
                    f"FeatureSpace: give the allowed values of categorical column {names[j]!r} "
                    "as a mapping {column: values} when attacking tensors."
                )
        unordered = [names[j] for j in categories if monotone[j] != 0]
        if unordered:
            raise ValueError(
                f"FeatureSpace: column(s) {_preview(unordered)} are both categorical and "
                "monotone; categories have no order to increase or decrease along."
            )
        groups = [np.array([index(ref, "one_hot") for ref in group]) for group in self.one_hot]
        in_groups = np.concatenate(groups) if groups else np.array([], dtype=int)
        listed = set(in_groups.tolist())
        if len(listed) != in_groups.size or listed & set(categories):
            raise ValueError(
                "FeatureSpace: a column may belong to only one one-hot group and cannot also "
                "be a label-coded categorical."
            )
        if len(in_groups) and not np.isfinite(self.categorical_distance):
            mutable[in_groups] = False
        for group in groups:
            lower[group], upper[group] = 0.0, 1.0
            finite = np.isfinite(self.categorical_distance)
            scale[group] = self.categorical_distance if finite else 1.0
        if raw:
            mutable[list(categories)] = False
        return Domain(
            feature_names=names,
            lower=lower,
            upper=upper,
            scale=scale,
            mutable=mutable,
            integer=integer,
            monotone=monotone,
            categories=categories,
            groups=groups,
            categorical_distance=float(self.categorical_distance),
            raw=raw,
        )

    def _check_names(self, data_names: list[str] | None, n_features: int) -> list[str]:
        own = list(self.feature_names) if self.feature_names is not None else None
        if own is not None and len(own) != n_features:
            raise ValueError(
                f"X has {n_features} features but the FeatureSpace was built for {len(own)}: "
                f"{_preview(own)}."
            )
        if own is not None and data_names is not None and own != data_names:
            missing = [n for n in own if n not in data_names]
            extra = [n for n in data_names if n not in own]
            detail = (
                f"missing {missing!r}, unexpected {extra!r}" if missing or extra
                else "same columns in another order"
            )
            raise ValueError(
                f"X does not have the columns the FeatureSpace was built for: {detail}."
            )
        if own is not None:
            return [str(n) for n in own]
        if data_names is not None:
            return data_names
        return array_column_names(n_features, prefix="")


class Box:
    """A domain where every value lies in one range, such as images in ``[0, 1]``.

    Parameters
    ----------
    lower, upper : float
        The range of every input value; use explicit bounds (DESIGN.md section 5).

    Examples
    --------
    >>> Box(0.0, 1.0).bind(np.zeros((1, 3))).project(
    ...     np.array([[0.5, -1.0, 2.0]]), np.zeros((1, 3)), 0.25, "inf")
    array([[0.25, 0.  , 0.25]])
    """

    def __init__(self, lower: float = -np.inf, upper: float = np.inf) -> None:
        if not (_is_real(lower) and _is_real(upper)) or np.isnan([lower, upper]).any():
            raise ValueError(
                f"Box: lower and upper must be numbers (-inf and inf for no bound). Got "
                f"{lower!r} and {upper!r} instead."
            )
        if not lower <= upper:
            raise ValueError(f"Box: lower {lower} is above upper {upper}.")
        if lower == np.inf or upper == -np.inf:
            raise ValueError(
                f"Box: lower {lower} and upper {upper} leave no valid value (the lower bound "
                "must be below inf, the upper above -inf)."
            )
        self.lower = lower
        self.upper = upper

    def __repr__(self) -> str:
        return f"Box({self.lower}, {self.upper})"

    def bind(self, X: Any, *, raw: bool = False) -> BoxDomain:
        """Return the domain for ``X`` (any shape; the first axis is the sample)."""
        return BoxDomain(float(self.lower), float(self.upper))


class Projector:
    """Projection onto a fixed eps-ball intersected with a fixed per-value box.

    Built by ``domain.projector(x0, eps, norm)`` for the inner loops of iterative attacks:
    under L-inf the ball is folded into the box, so a call is one clamp; under L2 it is a
    ball projection followed by the clamp (the box contains ``x0``, so clamping only
    shortens the step and the result stays in the ball).
    """

    def __init__(
        self, x0: Any, low: Any, high: Any, *, scale: Any, eps: Any, norm: str,
        first: tuple[Any, Any] | None = None, pinned: bool = False,
    ) -> None:
        xp = namespace(x0)
        self.x0, self.scale, self.eps, self.norm, self.first = x0, scale, eps, norm, first
        #: a tensor projection that is one clamp (read once, not at every call)
        self._clamp = xp is not np and not (eps is not None and norm == "2")
        if eps is not None and norm == "inf":
            radius = per_sample(eps, x0) * scale
            low = xp.maximum(low, x0 - radius)
            high = xp.minimum(high, x0 + radius)
        if pinned:  # ``low`` and ``high`` are already NaN where ``x0`` is
            self.low, self.high = low, high
            return
        nan = xp.isnan(x0)
        self.low = xp.where(nan, x0, low)
        self.high = xp.where(nan, x0, high)

    def __call__(self, x: Any) -> Any:
        if self._clamp:
            return x.clamp(self.low, self.high)
        xp = namespace(x)
        if self.eps is not None and self.norm == "2":
            if self.first is not None:
                x = xp.minimum(xp.maximum(x, self.first[0]), self.first[1])
            delta = xp.where(xp.isnan(self.x0), xp.zeros_like(x), (x - self.x0) / self.scale)
            x = self.x0 + project_ball(delta, self.eps, "2") * self.scale
        if xp is not np:  # one kernel (low <= high: the box holds x0; NaN propagates)
            return x.clamp(self.low, self.high)
        return xp.minimum(xp.maximum(x, self.low), self.high)


@dataclass
class BoxDomain:
    """A bound :class:`Box`: projections for inputs of any shape."""

    lower: float
    upper: float
    scale: float = 1.0
    raw: bool = True

    def project(self, x: Any, x0: Any, eps: Any, norm: str) -> Any:
        """Project onto the eps-ball around ``x0`` intersected with the box."""
        xp = namespace(x)
        if eps is not None:
            x = x0 + project_ball(x - x0, eps, norm)
        if np.isfinite(self.lower) or np.isfinite(self.upper):
            x = xp.clamp(x, self.lower, self.upper) if xp is not np else np.clip(
                x, self.lower, self.upper
            )
        return x

    finalize = project

    def finalize_with_size(self, x: Any, x0: Any, eps: Any, norm: str) -> tuple[Any, Any]:
        """:meth:`finalize` and the per-sample :meth:`distance` of its result."""
        x = self.project(x, x0, eps, norm)
        return x, self.distance(x, x0, norm)

    def projector(self, x0: Any, eps: Any, norm: str) -> Projector:
        """:meth:`project` for a fixed ``x0``, ``eps`` and ``norm``, precomputed."""
        xp = namespace(x0)
        low = xp.zeros_like(x0) + self.lower
        high = xp.zeros_like(x0) + self.upper
        return Projector(x0, low, high, scale=1.0, eps=eps, norm=norm)

    def distance(self, x: Any, x0: Any, norm: str) -> Any:
        """Per-sample perturbation size."""
        return norm_of(x - x0, norm)

    def encode(self, X: Any) -> Any:
        """Inputs are already numeric."""
        return X

    def step_mask(self, like: Any) -> Any:
        """Every value may move."""
        return 1.0


@dataclass
class Domain:
    """A :class:`FeatureSpace` resolved against the columns of the data being attacked."""

    feature_names: list[str]
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    mutable: np.ndarray
    integer: np.ndarray
    monotone: np.ndarray
    categories: dict[int, list[Any]]
    groups: list[np.ndarray]
    categorical_distance: float
    raw: bool = False
    _cache: dict[Any, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def n_features(self) -> int:
        """Number of columns."""
        return len(self.feature_names)

    @property
    def label_coded(self) -> np.ndarray:
        """Boolean mask of the label-coded categorical columns."""
        mask = np.zeros(self.n_features, dtype=bool)
        mask[list(self.categories)] = True
        return mask

    @property
    def continuous(self) -> np.ndarray:
        """Mask of the columns measured as ``(x' - x) / scale`` (numeric and one-hot)."""
        return ~self.label_coded

    @property
    def plain(self) -> np.ndarray:
        """Mask of the numeric columns: neither label-coded nor in a one-hot group."""
        mask = self.continuous
        for group in self.groups:
            mask[group] = False
        return mask

    def step_mask(self, like: Any) -> Any:
        """1 where an iterative attack may move (mutable numeric / one-hot), else 0."""
        return self._consts(like)["step"]

    @property
    def kind(self) -> dict[str, bool]:
        """What the projections may skip, read once per domain (its arrays never change).

        ``numeric``: no label-coded column and no one-hot group; ``box``: numeric, every
        column mutable and none monotone (the projection is the ball and the bounds);
        ``unit``: every scale is 1; ``integer``, ``monotone``: some column is;
        ``mutable``: every column is.
        """
        found = self._cache.get("kind")
        if found is None:
            numeric = not self.categories and not self.groups
            found = self._cache["kind"] = {
                "numeric": numeric,
                "box": numeric and bool(self.mutable.all()) and not self.monotone.any(),
                "unit": bool((self.scale == 1).all()),
                "integer": bool(self.integer.any()),
                "monotone": bool(self.monotone.any()),
                "mutable": bool(self.mutable.all()),
            }
        return cast(dict[str, bool], found)

    def _consts(self, like: Any) -> dict[str, Any]:
        xp = namespace(like)
        key = "numpy" if xp is np else (like.device, like.dtype)
        if key not in self._cache:
            grouped = np.zeros(self.n_features, dtype=bool)
            for group in self.groups:
                grouped[group] = True
            coded = self.label_coded
            movable = self.mutable & ~coded if self.raw else self.mutable
            n_codes = np.zeros(len(coded))  # the largest code of each label-coded column
            for j, allowed in self.categories.items():
                n_codes[j] = len(allowed) - 1
            arrays = {
                "lower": self.lower,
                "upper": self.upper,
                "scale": self.scale,
                "mutable": self.mutable,
                "up": self.monotone > 0,
                "down": self.monotone < 0,
                "coded": coded,
                "grouped": grouped,
                "plain": ~coded & ~grouped,
                "integer": self.integer,
                "n_codes": n_codes,
                "step": (movable & ~coded).astype(float),
            }
            if xp is np:
                self._cache[key] = arrays
            else:  # two transfers (one of the numbers, one of the masks), not twelve
                masks = [name for name, value in arrays.items() if value.dtype == bool]
                numbers = [name for name in arrays if name not in masks]
                floats = xp.as_tensor(
                    np.stack([arrays[name] for name in numbers]).astype(np.float64),
                    device=like.device,
                ).to(like.dtype)
                flags = xp.as_tensor(np.stack([arrays[name] for name in masks]), device=like.device)
                self._cache[key] = {
                    **dict(zip(numbers, floats.unbind(0), strict=True)),
                    **dict(zip(masks, flags.unbind(0), strict=True)),
                }
        return self._cache[key]

    def _category_changes(self, x: Any, x0: Any) -> Any:
        """Per-sample number of changed label-coded columns and one-hot groups."""
        c = self._consts(x)
        differs = _differs(x, x0)
        changed = (differs & c["coded"]).sum(1)
        for group in self.groups:
            changed = changed + (differs[:, group].sum(1) > 0)
        return changed * 1.0

    def distance(self, x: Any, x0: Any, norm: str) -> Any:
        """Per-sample perturbation size in standard units (see the module notes)."""
        xp = namespace(x)
        c = self._consts(x)
        kind = self.kind
        if kind["numeric"]:  # numeric columns only
            delta = x - x0 if kind["unit"] else (x - x0) / c["scale"]
            return norm_of(xp.where(xp.isnan(x0), 0.0, delta), norm)
        use = c["plain"] & ~xp.isnan(x0)
        delta = xp.where(use, (x - x0) / c["scale"], xp.zeros_like(x0))
        changes = self._category_changes(x, x0)
        cost = min(self.categorical_distance, _HUGE)
        if norm == "inf":
            jumps = xp.where(changes > 0, changes * 0 + cost, changes * 0)
            return xp.maximum(norm_of(delta, "inf"), jumps)
        if norm == "2":
            plain = norm_of(delta, "2")
            return xp.sqrt(plain * plain + changes * cost * cost)
        return norm_of(delta, "0") + changes

    def project(self, x: Any, x0: Any, eps: Any, norm: str) -> Any:
        """Continuous projection used inside iterative attacks.

        Keeps immutable columns and missing values, never creates a missing value (a NaN
        candidate, from a starting row with a value missing where this row has one, falls
        back to the original), enforces monotone directions, snaps label-coded categories
        to valid codes, and projects the numeric and (relaxed) one-hot columns onto the
        eps-ball that is left after the category changes, then onto the bounds (widened to
        include the original row).
        """
        if eps is not None and norm != "0" and not self.categories and not self.kind["monotone"]:
            return self._project_numeric(x, x0, eps, norm)
        xp = namespace(x)
        c = self._consts(x)
        frozen = ~c["mutable"] | xp.isnan(x0) | xp.isnan(x)
        if self.raw:
            frozen = frozen | c["coded"]
        x = xp.where(frozen, x0, x)
        x = xp.where(c["up"], xp.maximum(x, x0), x)
        x = xp.where(c["down"], xp.minimum(x, x0), x)
        x = xp.where(c["coded"], xp.minimum(xp.maximum(xp.round(x), x * 0), c["n_codes"]), x)
        if eps is not None:
            x = self._project_budget(x, x0, eps, norm)
        lower = xp.minimum(c["lower"], x0)
        upper = xp.maximum(c["upper"], x0)
        return xp.where(xp.isnan(x0), x0, xp.minimum(xp.maximum(x, lower), upper))

    def _project_numeric(self, x: Any, x0: Any, eps: Any, norm: str) -> Any:
        """:meth:`project` of a table without label-coded or monotone columns, in fewer
        passes: frozen values kept, the ball, then the bounds widened to ``x0``.

        A missing value of ``x0`` stays missing (NaN propagates through the arithmetic
        and the bounds) and counts nothing toward the L2 ball. A missing value of ``x``
        alone falls back to ``x0``: its change is read as 0 (as are the changes of the
        immutable columns); an infinite change becomes the largest float, which the ball
        then cuts to its radius, as it would the infinity.
        """
        xp = namespace(x)
        c = self._consts(x)
        kind = self.kind
        if _own_buffers(xp, x, x0):  # the same kernels, on the one fresh tensor
            return self._project_numeric_in_place(x, x0, eps, norm, c)
        delta = x - x0 if kind["unit"] else (x - x0) / c["scale"]
        delta = xp.nan_to_num(delta, nan=0.0)
        if not kind["mutable"]:
            delta = xp.where(c["mutable"], delta, 0.0)
        if norm == "inf" and not np.ndim(eps):  # the ball is one clip (NaN-free here)
            step = xp.clip(delta, -eps, eps)
        else:
            step = project_ball(delta, eps, norm)
        x = x0 + (step if kind["unit"] else step * c["scale"])
        # max(x, low) then min(., high), NaN propagating, in one kernel
        return xp.clip(x, xp.minimum(c["lower"], x0), xp.maximum(c["upper"], x0))

    def _project_numeric_in_place(
        self, x: Any, x0: Any, eps: Any, norm: str, c: dict[str, Any]
    ) -> Any:
        """:meth:`_project_numeric` of tensors of one dtype: each step writes into the
        difference ``x - x0`` (a tensor of its own) instead of a new tensor. The same
        operations on the same operands in the same order: the same bits."""
        import torch

        kind = self.kind
        out = x - x0
        if not kind["unit"]:
            out.div_(c["scale"])
        out.nan_to_num_(nan=0.0)
        if not kind["mutable"]:
            out.masked_fill_(~c["mutable"], 0.0)  # +0.0, as where(mutable, ., 0.0)
        if norm == "inf" and not np.ndim(eps):
            out.clamp_(-eps, eps)
        else:
            out = project_ball(out, eps, norm)
        if not kind["unit"]:
            out.mul_(c["scale"])
        torch.add(x0, out, out=out)
        return out.clamp_(torch.minimum(c["lower"], x0), torch.maximum(c["upper"], x0))

    def projector(self, x0: Any, eps: Any, norm: str) -> Projector | Any:
        """:meth:`project` for a fixed ``x0``, ``eps`` and ``norm``, precomputed.

        Immutable columns, missing values, monotone directions and the bounds are folded
        into one box per value, so a step of an iterative attack costs one clamp (plus a
        ball projection under L2). Where label-coded categories may change (not a raw
        domain) or under L0, the full :meth:`project` is used.
        """
        if norm == "0" or (self.categories and not self.raw):
            return lambda x: self.project(x, x0, eps, norm)
        xp = namespace(x0)
        c = self._consts(x0)
        if self.kind["box"] and norm == "inf" and eps is not None and not np.ndim(eps):
            # nothing frozen or one-sided: the ball and the bounds widened to x0 (a missing
            # value of x0 gives NaN bounds, which keep it missing)
            radius = eps if self.kind["unit"] else c["scale"] * eps
            low = xp.maximum(xp.minimum(c["lower"], x0), x0 - radius)
            high = xp.minimum(xp.maximum(c["upper"], x0), x0 + radius)
            return Projector(x0, low, high, scale=c["scale"], eps=None, norm=norm, pinned=True)
        nan = xp.isnan(x0)
        frozen = ~c["mutable"] | nan | c["coded"]
        # what project() applies before the ball: frozen values, monotone directions
        first_low = xp.where(frozen | c["up"], x0, xp.zeros_like(x0) - np.inf)
        first_high = xp.where(frozen | c["down"], x0, xp.zeros_like(x0) + np.inf)
        low = xp.maximum(xp.minimum(c["lower"], x0), first_low)
        high = xp.minimum(xp.maximum(c["upper"], x0), first_high)
        return Projector(
            x0, low, high, scale=c["scale"], eps=eps, norm=norm, first=(first_low, first_high)
        )

    def _project_budget(self, x: Any, x0: Any, eps: Any, norm: str) -> Any:
        """Undo label-coded changes the budget cannot pay for; project the rest."""
        xp = namespace(x)
        c = self._consts(x)
        if not self.categories and not (norm == "0" and self.groups):  # no category to pay
            delta = xp.where(xp.isnan(x0), xp.zeros_like(x0), (x - x0) / c["scale"])
            return x0 + project_ball(delta, eps, norm) * c["scale"]
        cost = min(self.categorical_distance, _HUGE)
        changes = (_differs(x, x0) & c["coded"]).sum(1) * 1.0
        radius = per_sample(eps, changes) if np.ndim(eps) else changes * 0 + eps
        if norm == "inf":
            used = changes * 0
            over = (changes > 0) & (radius < cost)
        elif norm == "2":
            used = changes * cost * cost
            over = used > radius * radius + _TOLERANCE
        else:
            used = changes
            over = used > radius + _TOLERANCE
        x = xp.where(c["coded"] & over[:, None], x0, x)
        used = xp.where(over, used * 0, used)
        if norm == "inf":
            left = radius
        elif norm == "2":
            left = xp.sqrt(xp.maximum(radius * radius - used, used * 0))
        else:
            left = xp.maximum(radius - used, used * 0)
        delta = xp.where(c["coded"] | xp.isnan(x0), xp.zeros_like(x0), (x - x0) / c["scale"])
        if norm == "0" and self.groups:
            projected = self._ungroup_l0(project_ball(self._group_l0(delta), left, norm), delta)
        else:
            projected = project_ball(delta, left, norm)
        return xp.where(c["coded"], x, x0 + projected * c["scale"])

    def _group_l0(self, delta: np.ndarray) -> np.ndarray:
        """Under L0 a one-hot group counts once: keep its columns together."""
        merged = delta.copy()
        for group in self.groups:
            merged[:, group] = 0.0
            merged[:, group[0]] = np.abs(delta[:, group]).max(1)
        return merged

    def _ungroup_l0(self, projected: np.ndarray, delta: np.ndarray) -> np.ndarray:
        out = projected.copy()
        for group in self.groups:
            kept = projected[:, group[0]] != 0
            out[:, group] = np.where(kept[:, None], delta[:, group], 0.0)
        return out

    def finalize(self, x: Any, x0: Any, eps: Any, norm: str) -> Any:
        """The exact projection every attack output passes through.

        After :meth:`project`, integer columns are rounded toward the original value and
        one-hot groups snapped to their largest entry. A row whose category changes then
        exceed the budget gets those changes undone; a row that is still invalid is
        returned unchanged. The result is always a valid row within the eps-ball.
        """
        return self._finalize(x, x0, eps, norm, sized=False)[0]

    def finalize_with_size(self, x: Any, x0: Any, eps: Any, norm: str) -> tuple[Any, Any]:
        """:meth:`finalize`, and the per-sample :meth:`distance` of its result (which the
        budget check measures anyway)."""
        return self._finalize(x, x0, eps, norm, sized=True)

    def _finalize(self, x: Any, x0: Any, eps: Any, norm: str, *, sized: bool) -> tuple[Any, Any]:
        xp = namespace(x)
        c = self._consts(x)
        x = self.project(x, x0, eps, norm)
        if self.kind["integer"]:
            rounded = xp.where(x > x0, xp.maximum(xp.floor(x), x0), xp.minimum(xp.ceil(x), x0))
            x = xp.where(c["integer"], rounded, x)
        for group in self.groups:
            block = x[:, group]
            if xp is np:
                snapped = (block == block.max(1, keepdims=True)).astype(x.dtype)
                first = np.cumsum(snapped, axis=1) == 1
                snapped = snapped * first
            else:
                snapped = xp.nn.functional.one_hot(block.argmax(1), len(group)).to(x.dtype)
            x[:, group] = xp.where(xp.isnan(x0[:, group]), x0[:, group], snapped)
        if eps is None:
            return x, self._size(x, x0, norm) if sized else None
        size = self._size(x, x0, norm)
        limit = per_sample(eps, x[:, 0]) if np.ndim(eps) else eps
        limit = limit * (1 + _TOLERANCE) + _TOLERANCE
        if not _any_above(size, limit):
            return x, size
        limit = limit + self._rounding(x, x0, norm)  # only where it can matter
        over = size > limit
        if bool(over.any()):
            x = xp.where(over[:, None] & (c["coded"] | c["grouped"]), x0, x)
            over = self.distance(x, x0, norm) > limit
            x = xp.where(over[:, None], x0, x)
            size = self._size(x, x0, norm) if sized else None
        return x, size

    def _size(self, x: Any, x0: Any, norm: str) -> Any:
        """:meth:`distance` of a projected row, which is missing only where ``x0`` is: on
        a numeric table its NaN changes are those of ``x0``, and count 0."""
        if not self.kind["numeric"]:
            return self.distance(x, x0, norm)
        xp = namespace(x)
        if _own_buffers(xp, x, x0):  # the same kernels, in the difference's own memory
            delta = x - x0
            if not self.kind["unit"]:
                delta.div_(self._consts(x)["scale"])
            delta.nan_to_num_(nan=0.0, posinf=np.inf, neginf=-np.inf)
            if norm == "inf" and delta.shape[1]:
                return delta.abs_().amax(1)
            return norm_of(delta, norm)
        delta = x - x0 if self.kind["unit"] else (x - x0) / self._consts(x)["scale"]
        return norm_of(xp.nan_to_num(delta, nan=0.0, posinf=np.inf, neginf=-np.inf), norm)

    def _rounding(self, x: Any, x0: Any, norm: str) -> Any:
        """Per-sample bound on the distance that float32 (or coarser) rounding can add.

        A value ``x0 + r`` is stored to within half a unit in the last place of its
        magnitude, which for a large ``x0`` and a small radius can exceed the relative
        tolerance: the projection's clamp would then read as out of the ball. In float64
        the bound is negligible, and 0 is returned.
        """
        xp = namespace(x)
        unit = float(xp.finfo(x.dtype).eps)
        if unit < 1e-10 or norm == "0":
            return 0.0
        c = self._consts(x)
        if _own_buffers(xp, x, x0):  # the same values, in the memory of |x0|
            size = x0.abs()
            xp.add(size, x.abs(), out=size)
            size.div_(c["scale"]).masked_fill_(xp.isnan(x0), 0.0)
            # no sign for abs to drop: each value is >= +0, or NaN (a missing value of x
            # alone, which compares false against the limit with either sign)
            if norm == "inf" and size.shape[1]:
                return size.amax(1) * unit
            return norm_of(size, norm) * unit
        size = xp.where(xp.isnan(x0), xp.zeros_like(x0), (xp.abs(x0) + xp.abs(x)) / c["scale"])
        return norm_of(size, norm) * unit

    # -- encoding user rows --------------------------------------------------------------

    def encode(self, X: Any) -> np.ndarray:
        """Rows as a float64 matrix; label-coded categories become their codes."""
        frame = _as_frame(X)
        out = np.empty(frame.shape, dtype=np.float64)
        for j in range(frame.shape[1]):
            column = frame.iloc[:, j]
            if j in self.categories:
                out[:, j] = _codes(column, self.categories[j], self.feature_names[j])
            else:
                out[:, j] = _numeric(column, self.feature_names[j])
        return out

    def decode(self, Z: np.ndarray, like: Any) -> Any:
        """Inverse of :meth:`encode`, in the type and dtypes of ``like``.

        ``Z`` may have any number of rows; a DataFrame result has a fresh RangeIndex.
        """
        if isinstance(like, pd.DataFrame):
            columns: dict[Any, Any] = {}
            dtypes = list(like.dtypes)
            for j, name in enumerate(like.columns):
                if j in self.categories:
                    columns[name] = _restore_category(Z[:, j], self.categories[j], dtypes[j])
                else:
                    columns[name] = _restore_numeric(Z[:, j], dtypes[j])
            return pd.DataFrame(columns, copy=False)
        if self.categories:
            Z = Z.copy()
            for j, allowed in self.categories.items():
                table = np.asarray(list(allowed) + [np.nan], dtype=float)
                Z[:, j] = table[np.where(np.isnan(Z[:, j]), -1, Z[:, j]).astype(int)]
        return Z


def _any_above(size: Any, limit: Any) -> bool:
    """``bool((size > limit).any())``; a CPU tensor against a float is read through a
    NumPy view of it (the comparison in the tensor's dtype in both: the same answer)."""
    if (
        type(limit) is float and _is_tensor(size) and size.device.type == "cpu"
        and str(size.dtype) in _NUMPY_VIEWABLE
    ):
        return bool((size.detach().numpy() > limit).any())
    return bool((size > limit).any())


def _own_buffers(xp: Any, x: Any, x0: Any) -> bool:
    """Whether a projection of the 2-D tensor ``x`` around ``x0`` may work in place in
    the fresh tensor ``x - x0``: both of one dtype (every later operand is of that dtype,
    so no operation would have promoted it) and outside autograd."""
    return (
        xp is not np and x.dtype == x0.dtype and x.ndim == 2
        and not (x.requires_grad or x0.requires_grad)
    )


def whole_number_columns(X: Any) -> list[str]:
    """Float columns whose observed values are all whole numbers, at least 3 distinct.

    What :meth:`FeatureSpace.from_frame` reads as integer beside the integer dtypes:
    a count read as float because it has missing values (pandas stores a column with
    a missing value as float). Missing values are left out; values beyond ``2 ** 53``
    (all whole as floats) or fewer than :data:`MIN_WHOLE_VALUES` distinct ones do not
    count as evidence.

    Examples
    --------
    >>> X = pd.DataFrame({"visits": [1.0, None, 4.0, 2.0], "rate": [0.5, 1.0, 2.0, 3.0],
    ...                   "flag": [0.0, 1.0, 1.0, None], "age": [30, 41, 52, 60]})
    >>> whole_number_columns(X)
    ['visits']
    """
    frame = _as_frame(X)
    dtypes = list(frame.dtypes)
    floats = [j for j, dtype in enumerate(dtypes) if pd.api.types.is_float_dtype(dtype)]
    if not floats:
        return []
    if all(isinstance(dtypes[j], np.dtype) for j in floats):
        # NumPy float columns: one matrix at once (a loop over columns costs ~0.1 ms each)
        matrix = frame.iloc[:, floats].to_numpy(dtype=np.float64)
    else:  # nullable / Arrow floats: their missing values read as NaN
        matrix = np.column_stack([
            frame.iloc[:, j].to_numpy(dtype=np.float64, na_value=np.nan) for j in floats
        ])
    whole = _whole_mask(matrix)
    return [str(frame.columns[floats[k]]) for k in np.flatnonzero(whole)]


def _whole_mask(matrix: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Which columns of a float matrix :func:`whole_number_columns` lists: the first two
    tests on the whole matrix at once, the distinct count only where they pass.

    A column with a value that is not a whole number in its first rows fails whatever
    the other rows hold: the tests run on the rest of the columns only (continuous
    columns are ruled out at the cost of a few rows). ``missing``: ``isnan(matrix)``,
    when the caller has it.
    """
    head = matrix[:_HEAD_ROWS]
    maybe = (_whole(head) | np.isnan(head)).all(0)
    if not maybe.any():
        return maybe
    every = bool(maybe.all())
    columns = matrix if every else matrix[:, maybe]
    if missing is None or not every:
        missing = np.isnan(columns)
    found = (_whole(columns) | missing).all(0) & ~missing.all(0)
    passing = np.zeros(matrix.shape[1], dtype=bool)
    for i, k in zip(np.flatnonzero(found), np.flatnonzero(maybe)[found], strict=True):
        passing[k] = _distinct(columns[~missing[:, i], i]) >= MIN_WHOLE_VALUES
    return passing


def _whole(values: np.ndarray) -> np.ndarray:
    """Where ``values`` are whole numbers below :data:`_WHOLE_LIMIT` in size."""
    return (np.abs(values) < _WHOLE_LIMIT) & (values == np.round(values))


@dataclass
class _MatrixFacts:
    """What :meth:`FeatureSpace.from_frame` reads from a matrix of numeric columns, one
    entry per column: ``integer`` (an integer dtype, or whole numbers), ``scale`` (when
    asked for by name), the observed range (when ``bounds="data"``) and ``seen`` (the
    columns with a value, the only ones with a range)."""

    integer: np.ndarray
    scale: np.ndarray | None
    lower: np.ndarray | None
    upper: np.ndarray | None
    seen: np.ndarray | None


def _matrix_facts(
    matrix: np.ndarray, names: list[str], bounds: Any, scale: Any, integer_dtype: bool
) -> _MatrixFacts:
    """The facts of ``matrix`` (float64, column-major as pandas gives a frame's values,
    so that the spreads are summed in the same order), checked as ``from_frame`` does."""
    _check_no_infinity(matrix, names, owner="FeatureSpace.from_frame")
    missing = np.isnan(matrix)  # read once for every fact below
    gaps = missing.any(axis=0)  # the columns with a missing value
    spread = _spread(matrix, scale, gaps) if isinstance(scale, str) else None
    lower = upper = seen = None
    if isinstance(bounds, str):
        if bounds != "data":
            raise ValueError(
                "The 'bounds' parameter of FeatureSpace.from_frame must be 'data', None, "
                f"a (lower, upper) pair or a mapping. Got {bounds!r} instead."
            )
        # a column with no value has no range
        full = len(matrix) and not gaps.any()  # every column has every value
        seen = np.ones(matrix.shape[1], dtype=bool) if full else ~missing.all(axis=0)
        lower = np.full(matrix.shape[1], -np.inf)
        upper = np.full(matrix.shape[1], np.inf)
        if seen.any():
            # every column: the matrix itself, laid out as the copy of them would be
            every = seen.all() and matrix.flags.f_contiguous
            columns = matrix if every else matrix[:, seen]
            lower[seen] = np.nanmin(columns, axis=0)
            upper[seen] = np.nanmax(columns, axis=0)
    integer = (
        np.ones(matrix.shape[1], dtype=bool) if integer_dtype
        else _whole_mask(matrix, missing)
    )
    return _MatrixFacts(integer, spread, lower, upper, seen)


def _number_matrix(X: Any) -> tuple[np.ndarray, bool] | None:
    """A 2-D NumPy array or tensor of integers or floats as float64 in column-major order
    (what ``_as_frame(X).astype("float64").to_numpy()`` gives), and whether its dtype is
    an integer one; ``None`` for anything else (DataFrames, booleans, text, N-D)."""
    if _is_tensor(X):
        X = X.detach().cpu().numpy()
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "iuf"):
        return None
    return np.array(X, dtype=np.float64, order="F"), X.dtype.kind in "iu"


def _distinct(values: np.ndarray) -> int:
    """Number of distinct values of a 1-D array without NaN."""
    return int(np.unique(values).size)


def _differs(x: Any, x0: Any) -> Any:
    """Where ``x`` differs from ``x0``; a missing value (NaN in ``x0``) is never a change.

    Projections keep missing values as they are, so ``x`` is NaN there too, and ``NaN !=
    NaN`` would count every row with a missing category as a category change (one
    ``categorical_distance`` of perturbation that was never made).
    """
    return (x != x0) & ~namespace(x0).isnan(x0)


def _missing(value: Any) -> bool:
    """Whether one category value is a missing value (None, NaN, NA, NaT)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _restore_numeric(values: np.ndarray, dtype: Any) -> Any:
    """A decoded numeric column in ``dtype`` (NumPy arrays where possible: fast)."""
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            return values.astype(dtype, copy=False)
        if dtype.kind in "iu" and not np.isnan(values).any():
            return np.round(values).astype(dtype)
        if dtype.kind == "b":
            return values > 0.5
        return values
    if pd.api.types.is_integer_dtype(dtype) and not np.isnan(values).any():
        return pd.array(np.round(values).astype(np.int64)).astype(dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return pd.array(values > 0.5).astype(dtype)
    return pd.array(values).astype(dtype if pd.api.types.is_float_dtype(dtype) else "float64")


def _restore_category(codes: np.ndarray, allowed: list[Any], dtype: Any) -> Any:
    """A decoded label-coded column (code NaN -> missing) in ``dtype``."""
    positions = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    if isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == list(allowed):
        return pd.Categorical.from_codes(positions, dtype=dtype)
    table = np.asarray(list(allowed) + [None], dtype=object)
    values = table[positions]
    if dtype == np.dtype(object):
        return values
    return pd.array(values).astype(dtype) if not isinstance(dtype, np.dtype) else pd.Series(
        values
    ).astype(dtype).to_numpy()


def _codes(column: pd.Series, allowed: list[Any], name: str) -> np.ndarray:
    lookup = {value: code for code, value in enumerate(allowed)}
    values = column.to_numpy(dtype=object)
    codes = np.empty(len(values))
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            codes[i] = np.nan
            continue
        code = lookup.get(value)
        if code is None and isinstance(value, (np.generic,)):
            code = lookup.get(value.item())
        if code is None:
            raise ValueError(
                f"Column {name!r} has the value {value!r}, which is not among its allowed "
                f"categories {_preview(allowed)}."
            )
        codes[i] = code
    return codes


def _numeric(column: pd.Series, name: str) -> np.ndarray:
    if column_kind(column) == CATEGORICAL:
        raise TypeError(
            f"Column {name!r} holds text or categories but is not declared categorical in the "
            "FeatureSpace; list it in 'categorical' or build the space with "
            "FeatureSpace.from_frame."
        )
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _allowed_values(column: pd.Series) -> list[Any]:
    column = as_category(column)  # an Arrow dictionary's levels, as a category's
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    seen = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(column.dropna())]
    try:
        return sorted(seen)
    except TypeError:
        return sorted(seen, key=str)


def _spread(values: np.ndarray, how: str, gaps: np.ndarray | None = None) -> np.ndarray:
    """One spread per column (``how``: "std" or "iqr"), 1 where there is none.

    ``gaps``: which columns have a missing value, when the caller has it.
    """
    if how not in ("std", "iqr"):
        raise ValueError(
            "The 'scale' parameter of FeatureSpace.from_frame must be 'std', 'iqr' or one "
            f"value per feature. Got {how!r} instead."
        )
    spread = np.ones(values.shape[1])
    if values.shape[0] < 2:
        return spread
    if gaps is None:
        gaps = np.isnan(values).any(axis=0)
    if gaps.any():
        enough = (~np.isnan(values)).sum(axis=0) >= 2  # fewer values have no spread
    else:  # no missing value: every column has them all
        enough = np.ones(values.shape[1], dtype=bool)
    if not enough.any():
        return spread
    # every column, column-major: the matrix itself (a copy costs more than the sums);
    # otherwise the columns with a spread, which indexing lays out column-major
    every = enough.all() and values.flags.f_contiguous
    columns = values if every else values[:, enough]
    with np.errstate(all="ignore"):
        if how == "std":
            found = _column_std(columns, gaps if every else gaps[enough])
        else:
            q1, q3 = np.nanpercentile(columns, [25, 75], axis=0)
            found = (q3 - q1) / 1.349
    spread[enough] = np.where(np.isfinite(found) & (found > 0), found, 1.0)
    return spread


def _column_std(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``np.nanstd(values, axis=0, ddof=1)`` bit for bit, ``np.std`` on the columns without
    a missing value (the same sums, without nanstd's masked copies: half the time).
    ``missing``: which columns have a missing value, when the caller has it."""
    if missing is None:
        missing = np.isnan(values).any(axis=0)
    if not missing.any():
        return np.asarray(np.std(values, axis=0, ddof=1))
    found = np.empty(values.shape[1])
    found[~missing] = np.std(values[:, ~missing], axis=0, ddof=1)
    found[missing] = np.nanstd(values[:, missing], axis=0, ddof=1)
    return found


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    table = from_table_protocol(X)  # a Polars / PyArrow / DuckDB table
    if table is not None:
        return table
    if _is_tensor(X):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"Expected 2-D data (n_samples, n_features), got shape {arr.shape}.")
    return pd.DataFrame(arr, columns=array_column_names(arr.shape[1], prefix=""))


def _is_tensor(X: Any) -> bool:
    return type(X).__module__.startswith("torch") and hasattr(X, "detach")


def _is_table_array(X: Any) -> bool:
    """A 2-D NumPy array (read by :meth:`FeatureSpace.bind` without a DataFrame)."""
    return isinstance(X, np.ndarray) and X.ndim == 2


def _name(ref: Hashable, names: list[str]) -> str:
    return names[_index(ref, names, what="column", owner="FeatureSpace.from_frame")]


def _index(ref: Hashable, names: list[str], *, what: str, owner: str) -> int:
    if isinstance(ref, str):
        if ref in names:
            return names.index(ref)
        raise ValueError(
            f"{owner}: unknown column {ref!r} in {what!r}; known columns: {_preview(names)}."
        )
    if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool) and 0 <= ref < len(names):
        return int(ref)
    raise ValueError(
        f"{owner}: {what!r} refers to {ref!r}, which is neither a column name nor a position "
        f"in 0..{len(names) - 1}."
    )


def _pair(pair: Any, ref: Hashable) -> tuple[Any, Any]:
    """``(lower, upper)`` with ``None`` as no bound; values are checked by ``_check_bounds``."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"FeatureSpace bounds for {ref!r} must be a (lower, upper) pair.")
    lo, hi = pair
    return (-np.inf if lo is None else lo), (np.inf if hi is None else hi)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _real(value: Any, what: str) -> float:
    """One number of a FeatureSpace parameter (a clear error for text, None...)."""
    if not _is_real(value):
        raise ValueError(f"FeatureSpace {what} must be a number. Got {value!r} instead.")
    return float(value)


def _per_feature(value: Any, n_features: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"FeatureSpace {what} must be numbers: a scalar or {n_features} values. Got "
            f"{_short(value)} instead."
        ) from None
    if arr.ndim == 0:
        return np.full(n_features, float(arr))
    if arr.shape != (n_features,):
        raise ValueError(
            f"FeatureSpace {what}: expected a scalar or {n_features} values, got shape "
            f"{arr.shape}."
        )
    return arr


def _check_bounds(lower: np.ndarray, upper: np.ndarray, names: list[str]) -> None:
    """Bounds name a range: no NaN, no lower of +inf or upper of -inf, lower <= upper.

    ``-inf`` / ``+inf`` (or ``None``) on their own side mean "no bound".
    """
    problems = (
        (np.isnan(lower), lower, "lower bound is NaN"),
        (np.isnan(upper), upper, "upper bound is NaN"),
        (lower == np.inf, lower, "lower bound is inf"),
        (upper == -np.inf, upper, "upper bound is -inf"),
    )
    for bad, _, what in problems:
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"FeatureSpace bounds for {names[j]!r}: the {what}; a bound must be a number "
                "(None, -inf or inf on its own side for no bound) with lower <= upper."
            )
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"FeatureSpace bounds for {names[j]!r}: lower {lower[j]} is above upper "
            f"{upper[j]}."
        )


def _check_scale(scale: np.ndarray, names: list[str]) -> None:
    """A standard unit is a positive, finite number of the column's units."""
    bad = np.flatnonzero(~(np.isfinite(scale) & (scale > 0)))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"FeatureSpace scale for {names[j]!r} must be a positive, finite number (one "
            f"standard unit of the column). Got {scale[j]} instead."
        )


def _check_no_infinity(
    values: np.ndarray, names: Sequence[str], *, owner: str, name: str = "X"
) -> None:
    """Raise ``ValueError`` naming the columns of ``values`` (2-D floats) with +-inf."""
    infinite = np.isinf(values)
    if infinite.any():
        raise _infinite_columns(infinite, names, owner, name)


def _infinite_columns(
    infinite: np.ndarray, names: Sequence[str], owner: str, name: str
) -> ValueError:
    columns = [names[int(j)] for j in np.flatnonzero(infinite.any(axis=0))]
    rows = int(infinite.any(axis=1).sum())
    return ValueError(
        f"{owner}: {name} has infinite values in column(s) {_preview(columns)} ({rows} of "
        f"{len(infinite)} rows). Replace them with finite numbers (or NaN, for a model that "
        "reads missing values)."
    )


def _check_finite(z: Any, table: bool, *, owner: str, name: str) -> None:
    """Tables: no +-inf (columns named by position); other inputs: no NaN and no +-inf.

    A CPU tensor NumPy can read is looked at through a NumPy view of its memory (no copy):
    the same test, without torch's per-operation dispatch.
    """
    if _is_tensor(z) and z.device.type == "cpu" and str(z.dtype) in _NUMPY_VIEWABLE:
        z = z.detach().numpy()
    xp = namespace(z)
    if table:
        infinite = xp.isinf(z)
        if bool(infinite.any()):
            found = infinite.cpu().numpy() if xp is not np else infinite
            names = array_column_names(z.shape[1], prefix="")
            raise _infinite_columns(found, names, owner, name)
        return
    finite = xp.isfinite(z)
    if bool(finite.all()):
        return
    bad = ~finite.reshape(len(z), -1)
    values, samples = int(bad.sum()), int(bad.any(1).sum())
    raise ValueError(
        f"{owner}: {name} holds {values} NaN or infinite value(s) in {samples} of {len(z)} "
        "samples; images (and other N-D inputs) need finite values."
    )


#: torch float dtypes a NumPy view can read (by name: torch is not imported here)
_NUMPY_VIEWABLE = frozenset(("torch.float16", "torch.float32", "torch.float64"))


def check_input_data(X: Any, *, owner: str, name: str = "X") -> None:
    """Refuse data an attack cannot measure: +-inf in a table, NaN or inf in images.

    One vectorized check on the user's data, before it is encoded. DataFrames and 2-D
    arrays or tensors are tables (their numeric columns must not hold +-inf; NaN is a
    missing value); inputs with more dimensions are images (no NaN, no inf).
    Non-numeric columns are not looked at. ``owner`` and ``name`` (the data, as the user
    knows it) start the message.

    Examples
    --------
    >>> check_input_data(pd.DataFrame({"a": [1.0, np.nan], "b": [np.inf, 0.0]}), owner="f")
    Traceback (most recent call last):
    ...
    ValueError: f: X has infinite values in column(s) ['b'] (1 of 2 rows). Replace them ...
    """
    if isinstance(X, pd.DataFrame):
        numeric = X.select_dtypes(include="number")
        if numeric.shape[1]:
            values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
            _check_no_infinity(
                values, [str(c) for c in numeric.columns], owner=owner, name=name
            )
        return
    if _is_tensor(X):
        values = X.detach()
        floating = bool(values.is_floating_point())
    else:
        values = np.asarray(X)
        floating = np.issubdtype(values.dtype, np.floating)
    if not floating or values.ndim < 2 or len(values) == 0:
        return
    table = values.ndim == 2
    _check_finite(values, table, owner=owner, name=name)


def check_attack_bounds(bounds: Any, *, owner: str, ndim: int) -> None:
    """The ``bounds`` parameter of an attack: a valid ``(lower, upper)`` pair, or ``None``.

    Scalars (images and tables) or one value per feature (tables); ``None``, ``-inf``
    and ``inf`` mean no bound on their side. NaN, a lower bound of ``inf``, an upper
    bound of ``-inf`` and ``lower > upper`` are refused.
    """
    if bounds is None:
        return
    message = (
        f"The 'bounds' parameter of {owner} must be a pair (lower, upper) of numbers"
        f"{'' if ndim > 2 else ' (or one per feature)'} with lower <= upper; None, -inf or "
        f"inf mean no bound on that side. Got {_short(bounds)} instead."
    )
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(message)
    sides = []
    for value, missing in zip(bounds, (-np.inf, np.inf), strict=True):
        if value is None:
            sides.append(np.array(missing))
            continue
        if isinstance(value, (str, bytes)) or (ndim > 2 and not _is_real(value)):
            raise ValueError(message)
        try:
            sides.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(message) from None
    lower, upper = sides
    try:
        broken = (
            np.isnan(lower).any() or np.isnan(upper).any() or (lower == np.inf).any()
            or (upper == -np.inf).any() or (lower > upper).any()
        )
    except ValueError:  # shapes that do not broadcast
        raise ValueError(message) from None
    if broken:
        raise ValueError(message)


def _direction(value: Any, ref: Hashable) -> int:
    table = {"increase": 1, "decrease": -1, 1: 1, -1: -1, "+": 1, "-": -1}
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(
            f"FeatureSpace monotone direction for {ref!r} must be 'increase' or 'decrease'. "
            f"Got {value!r} instead."
        ) from None


def _preview(names: Iterable[Any], limit: int = 8) -> str:
    names = list(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{names[:limit]!r}{more}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def domain_for(
    X: Any, *, feature_space: Any, bounds: Any, raw: bool, owner: str = "the attack"
) -> Domain | BoxDomain:
    """Resolve the domain of an attack from its ``feature_space`` and ``bounds`` parameters.

    Tables (2-D) without a space get ``FeatureSpace.from_frame`` of the attacked rows:
    ``eps`` is then in standard deviations of those rows. Images and other N-D inputs get
    a :class:`Box` of ``bounds`` (unbounded when ``None``). ``owner`` names the attack in
    the errors about ``bounds``.
    """
    if feature_space is not None:
        if bounds is not None:
            raise ValueError("Give either 'feature_space' or 'bounds', not both.")
        return feature_space.bind(X, raw=raw)
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
    check_attack_bounds(bounds, owner=owner, ndim=ndim)
    if ndim > 2:
        lo, hi = _pair(bounds, "bounds") if bounds is not None else (-np.inf, np.inf)
        return Box(float(lo), float(hi)).bind(X, raw=raw)
    numbers = _number_matrix(X)
    if numbers is not None:
        return _implicit_domain(*numbers, bounds=bounds, raw=raw)
    data = _as_frame(X)
    space = FeatureSpace.from_frame(data, bounds=bounds if bounds is not None else "data")
    if bounds is not None:
        lo, hi = _pair(bounds, "bounds")
        space.bounds = (lo, hi)
    return space.bind(X, raw=raw)


def _implicit_domain(
    matrix: np.ndarray, integer_dtype: bool, *, bounds: Any, raw: bool
) -> Domain:
    """The domain :func:`domain_for` gives a 2-D array or tensor of numbers without a
    space, straight from the matrix: what binding ``FeatureSpace.from_frame`` of it gives
    (every column numeric and mutable, none monotone or categorical), without the
    space's per-column mappings."""
    n_features = matrix.shape[1]
    names = array_column_names(n_features, prefix="")
    facts = _matrix_facts(
        matrix, names, bounds if bounds is not None else "data", "std", integer_dtype
    )
    if bounds is None:
        lower, upper = cast(np.ndarray, facts.lower), cast(np.ndarray, facts.upper)
    else:
        lo, hi = _pair(bounds, "bounds")
        lower = _per_feature(lo, n_features, "lower bound")
        upper = _per_feature(hi, n_features, "upper bound")
    _check_bounds(lower, upper, names)
    return Domain(
        feature_names=names,
        lower=lower,
        upper=upper,
        scale=cast(np.ndarray, facts.scale),
        mutable=np.ones(n_features, dtype=bool),
        integer=facts.integer,
        monotone=np.zeros(n_features),
        categories={},
        groups=[],
        categorical_distance=1.0,
        raw=raw,
    )


def is_tensor(X: Any) -> bool:
    """Whether ``X`` is a torch tensor (without importing torch)."""
    return _is_tensor(X)


__all__ = [
    "Box",
    "BoxDomain",
    "Domain",
    "FeatureSpace",
    "check_attack_bounds",
    "check_input_data",
    "domain_for",
    "flat",
    "is_tensor",
]
