"""Where the two sides differ: readable regions of the rows that one side over-fills.

A fitted :class:`~advval.AdversarialValidator` says *whether* train and test differ and
*which columns* its classifier uses. A segment says *where*: a region such as
``carrier in {UA, B6} and dep_time (hour) >= 18`` that holds a larger share of the test
rows than of the train rows (or the reverse), with the lift (test share / train share)
and its confidence interval.

Honest by construction, in two halves of the rows:

1. **Search** on a discovery half (half the validator's budgeted rows, stratified by side,
   seeded): a shallow, class-balanced decision tree learns to tell the sides apart from
   one readable feature per column (the value of a numeric column, the date of a datetime
   column and its hour of day when times vary, the length of a free-text column, and for
   a categorical column its levels ordered by their discovery test share). Every node
   below the root is a candidate region, a conjunction of at most ``max_depth``
   conditions.
2. **Measure** on every other row (the rows the search never saw, up to all of them): the
   candidate's share of the train rows and of the test rows, the lift and its log-scale
   (Katz) interval, at a confidence Bonferroni-adjusted for the number of candidates. A
   region is reported only when its interval excludes 1 and the share it moves
   (``|test share - train share|``) is at least ``min_share``; so under no shift no
   segment is reported except with probability at most ``alpha``.

The validator's leak-like columns are left out (they separate the sides on their own
and are reported as leaks). A row whose value of a rule's column is missing belongs to a
region only when the rule says so (``or missing``); a level or a missing value the
discovery half never held belongs to no region.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats
from sklearn.tree import DecisionTreeClassifier

from .._frames import align_columns, as_frame
from .._kinds import BOOLEAN, CATEGORICAL, DATETIME, TEXT

if TYPE_CHECKING:
    from .._frames import FrameEncoder
    from ._validator import AdversarialValidator

#: the most levels a rule lists by name before it says how many more it holds
_LISTED_LEVELS = 4
#: prior test rows given to every level of a categorical column when its discovery test
#: share is estimated (shrinks the share of rare levels toward the overall share)
_LEVEL_PRIOR = 10.0
_SECONDS_PER_HOUR = 3600.0
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Condition:
    """One clause of a segment's rule, on one readable feature of one column.

    Attributes
    ----------
    column : str
        The user's column.
    feature : str
        ``"value"`` (the number, the date in epoch seconds, ``True``/``False`` as 1/0),
        ``"hour"`` (hour of day of a datetime, UTC), ``"length"`` (characters of a text)
        or ``"level"`` (the label of a categorical column).
    low, high : float or None
        For numeric features: the rule holds where ``low < value <= high`` (a missing
        bound is unbounded).
    levels : tuple of str or None
        For ``"level"``: the labels the rule holds for, most frequent first.
    missing : bool
        Whether a row whose value is missing satisfies the clause.
    """

    column: str
    feature: str
    low: float | None = None
    high: float | None = None
    levels: tuple[str, ...] | None = None
    missing: bool = False

    def holds(self, values: NDArray[Any] | pd.Categorical) -> NDArray[np.bool_]:
        """Whether each value (of this condition's feature) satisfies the clause."""
        if self.levels is not None:
            labels = values if isinstance(values, pd.Categorical) else _as_labels(values)
            absent = labels.codes == -1
            wanted = labels.categories.get_indexer(pd.Index(self.levels, dtype=object))
            inside = np.isin(labels.codes, wanted[wanted >= 0])
        else:
            numbers = np.asarray(values, dtype=np.float64)
            absent = np.isnan(numbers)
            inside = ~absent
            if self.low is not None:
                inside &= numbers > self.low
            if self.high is not None:
                inside &= numbers <= self.high
        return inside | (absent & self.missing)

    def describe(self, kind: str) -> str:
        """The clause in words (bounds rounded for reading; :meth:`holds` is exact)."""
        name = (
            self.column
            if self.feature in ("value", "level")
            else (f"{self.column} ({self.feature})")
        )
        if self.low == math.inf:  # no present value: the missing ones alone
            return f"{name} is missing"
        if self.levels is None and self.low is None and self.high is None:
            return f"{name} is missing or not" if self.missing else f"{name} is not missing"
        if self.levels is not None:
            text = f"{name} in {_level_set(self.levels)}"
        elif kind == BOOLEAN and self.feature == "value":
            text = f"{name} is {'True' if self.low is not None else 'False'}"
        else:
            text = _range_text(name, self.low, self.high, kind=kind, feature=self.feature)
        return f"{text} or missing" if self.missing else text


@dataclass(frozen=True)
class Segment:
    """A region of the rows where one side is over-represented.

    Attributes
    ----------
    rule : str
        The conditions in words, joined by ``and``.
    conditions : tuple of Condition
        The exact rule (:meth:`mask` evaluates it).
    train_share, test_share : float
        Share of the measured train rows and of the measured test rows in the region.
    lift : float
        ``test_share / train_share``: above 1, test over-fills the region. When a side
        has no measured row in it (a level train never has), half a row is added to each
        count: the lift is then finite but says nothing beyond "one side only" (the
        reports print ``new in test`` or ``absent from test`` instead).
    lift_low, lift_high : float
        Its confidence interval (Bonferroni-adjusted over the candidates searched).
    train_rows, test_rows : int
        Measured rows of each side in the region.
    """

    rule: str
    conditions: tuple[Condition, ...]
    train_share: float
    test_share: float
    lift: float
    lift_low: float
    lift_high: float
    train_rows: int
    test_rows: int
    _encoder: Any = field(repr=False, compare=False, default=None)

    @property
    def over_represented(self) -> str:
        """``"test"`` when test over-fills the region, else ``"train"``."""
        return "test" if self.lift > 1 else "train"

    def mask(self, X: Any) -> NDArray[np.bool_]:
        """Whether each row of ``X`` (a frame with the validator's columns) is in the region.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from advval import AdversarialValidator
        >>> rng = np.random.default_rng(0)
        >>> train = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.normal(size=3000)})
        >>> test = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.normal(size=3000)})
        >>> test.loc[:899, "x"] = rng.uniform(3, 4, size=900)  # a planted region
        >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
        >>> found = validator.segments(train, test)
        >>> found.segments[0].rule
        'x > 2.987'
        >>> int(found.segments[0].mask(test).sum()) >= 900
        True
        """
        frame = as_frame(X, name="X")
        inside = np.ones(len(frame), dtype=np.bool_)
        for condition in self.conditions:
            inside &= condition.holds(_feature_values(self._encoder, frame, condition))
        return inside


@dataclass(frozen=True)
class SegmentSearch:
    """The segments found, and how they were found.

    Attributes
    ----------
    segments : tuple of Segment
        The reported regions, largest moved share first.
    n_candidates : int
        Regions searched (the Bonferroni factor of the intervals).
    confidence : float
        Confidence of each reported interval (before the adjustment).
    n_search_rows, n_measure_rows : int
        Rows the search read and rows the shares were measured on (disjoint).
    columns : tuple of str
        Columns the search could use (the validator's, less its leak-like ones).
    """

    segments: tuple[Segment, ...]
    n_candidates: int
    confidence: float
    n_search_rows: int
    n_measure_rows: int
    columns: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row a segment: rule, side, shares, lift, interval and measured rows."""
        columns = [
            "rule",
            "over_represented",
            "train_share",
            "test_share",
            "lift",
            "lift_low",
            "lift_high",
            "train_rows",
            "test_rows",
        ]
        rows = [[getattr(s, c) for c in columns] for s in self.segments]
        return pd.DataFrame(rows, columns=columns)

    def masks(self, X: Any) -> pd.DataFrame:
        """Boolean frame: one column per segment (``segment_1``...), one row per row of X."""
        frame = as_frame(X, name="X")
        return pd.DataFrame(
            {f"segment_{i + 1}": s.mask(frame) for i, s in enumerate(self.segments)},
            index=frame.index,
        )


def find_segments(
    validator: AdversarialValidator,
    X_train: Any,
    X_test: Any,
    *,
    max_depth: int = 3,
    max_segments: int = 5,
    min_share: float = 0.01,
    random_state: int | None = None,
) -> SegmentSearch:
    """Search and measure segments of a fitted validator (see the module docstring)."""
    _check(max_depth, "max_depth", 1, 6)
    _check(max_segments, "max_segments", 1, 50)
    if not 0 <= min_share < 1:
        raise ValueError(
            f"The 'min_share' parameter of segments must be a float in [0, 1). Got "
            f"{min_share!r} instead."
        )
    encoder: FrameEncoder = validator.encoder_
    train = as_frame(X_train, name="X_train")
    test = align_columns(train, as_frame(X_test, name="X_test"))
    if (len(train), len(test)) != (validator.n_train_, validator.n_test_):
        raise ValueError(
            f"segments needs the frames the validator was fitted on: it was fitted on "
            f"{validator.n_train_:,} train and {validator.n_test_:,} test rows, got "
            f"{len(train):,} and {len(test):,}."
        )
    leaks = set(getattr(validator, "leak_features_", ()))
    columns = [c for c in encoder.columns if c not in leaks]
    seed = validator.random_state if random_state is None else random_state
    rng = np.random.default_rng(seed if isinstance(seed, int) else 0)
    train_search, test_search = _search_rows(validator, rng)
    n_candidates = 0
    segments: list[Segment] = []
    if columns:
        search = _SearchData.build(encoder, train, test, train_search, test_search, columns)
        candidates = _candidates(search, max_depth=max_depth, min_share=min_share, seed=rng)
        n_candidates = len(candidates)
        measured = _measure(
            encoder,
            train,
            test,
            train_search,
            test_search,
            candidates,
            alpha=validator.alpha,
            kinds=encoder.kinds,
        )
        segments = _select(measured, max_segments=max_segments, min_share=min_share)
        segments = [replace(s, _encoder=encoder) for s in segments]
    n_search = len(train_search) + len(test_search)
    return SegmentSearch(
        segments=tuple(segments),
        n_candidates=n_candidates,
        confidence=1 - validator.alpha,
        n_search_rows=n_search,
        n_measure_rows=len(train) + len(test) - n_search,
        columns=tuple(columns),
    )


def _check(value: Any, name: str, low: int, high: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (low <= value <= high)
    ):
        raise ValueError(
            f"The '{name}' parameter of segments must be an int in the range [{low}, "
            f"{high}]. Got {value!r} instead."
        )


def _search_rows(
    validator: AdversarialValidator, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Half of the validator's budgeted rows of each side (all rows when it kept none)."""
    budget = getattr(validator, "_budget", None)
    if budget is None:
        budget = (np.arange(validator.n_train_), np.arange(validator.n_test_))
    halves = []
    for rows in budget:
        chosen = rng.permutation(np.asarray(rows, dtype=np.intp))[: len(rows) // 2]
        halves.append(np.sort(chosen))
    return halves[0], halves[1]


@dataclass(frozen=True)
class _Feature:
    """One readable feature the tree may split: a column's value, hour, length or level."""

    column: str
    feature: str
    kind: str
    levels: NDArray[np.object_] | None = None  # for "level": labels ordered by position
    counts: NDArray[np.int64] | None = None  # search rows of each of those levels
    distinct: NDArray[np.float64] | None = None  # for numbers: the sorted distinct values


def _features_of(encoder: FrameEncoder, columns: Sequence[str]) -> list[_Feature]:
    features = []
    for column in columns:
        kind = encoder.kinds[column]
        if kind == TEXT:
            features.append(_Feature(column, "length", kind))
        elif kind == CATEGORICAL:
            features.append(_Feature(column, "level", kind))
        else:
            features.append(_Feature(column, "value", kind))
            if kind == DATETIME and "hour" in _parts(encoder, column):
                features.append(_Feature(column, "hour", kind))
    return features


def _parts(encoder: FrameEncoder, column: str) -> list[str]:
    return [p for s, p in zip(encoder.source, encoder.parts, strict=True) if s == column]


def _feature_values(encoder: FrameEncoder, frame: pd.DataFrame, condition: Any) -> NDArray[Any]:
    """The values of ``condition.feature`` of its column for every row of ``frame``."""
    values = encoder.column_values(frame, condition.column)
    if condition.feature == "hour":
        seconds = np.asarray(values, dtype=np.float64)
        return np.floor(np.mod(seconds, _SECONDS_PER_DAY) / _SECONDS_PER_HOUR)
    if encoder.kinds[condition.column] == BOOLEAN:
        return (
            pd.Series(values, dtype=object)
            .map({True: 1.0, False: 0.0})
            .to_numpy(dtype=np.float64, na_value=np.nan)
        )
    return values


@dataclass
class _SearchData:
    """The discovery rows as the tree's matrix, and how to read its splits back."""

    matrix: NDArray[np.float64]
    y: NDArray[np.int_]
    features: list[_Feature]

    @classmethod
    def build(
        cls,
        encoder: FrameEncoder,
        train: pd.DataFrame,
        test: pd.DataFrame,
        train_rows: NDArray[np.intp],
        test_rows: NDArray[np.intp],
        columns: Sequence[str],
    ) -> _SearchData:
        rows, is_test = _stacked(train, test, train_rows, test_rows, columns)
        y = is_test.astype(np.int_)
        features, matrix = [], []
        for feature in _features_of(encoder, columns):
            values = _feature_values(encoder, rows, feature)
            if feature.feature == "level":
                feature, numbers = _ordered_levels(feature, values, y)
            else:
                feature, numbers = _ranked(feature, np.asarray(values, dtype=np.float64))
            features.append(feature)
            matrix.append(numbers)
        return cls(np.column_stack(matrix), y, features)


def _ranked(
    feature: _Feature, numbers: NDArray[np.float64]
) -> tuple[_Feature, NDArray[np.float64]]:
    """Numbers as the rank of their distinct value (missing stays NaN).

    The tree reads float32; ranks keep every order exactly, whatever the scale (epoch
    seconds, values near the float64 limits), and a split between ranks ``k`` and
    ``k + 1`` is read back as a bound between those two values (:func:`_between`).
    """
    present = ~np.isnan(numbers)
    distinct, rank = np.unique(numbers[present], return_inverse=True)
    ranks = np.full(len(numbers), np.nan)
    ranks[present] = rank
    return replace(feature, distinct=distinct), ranks


def _between(distinct: NDArray[np.float64], threshold: float) -> float:
    """The value bound of a split at ``threshold`` on ranks: midway between two values.

    An infinite threshold (the split of the missing values from every present one) stays
    infinite.
    """
    if not math.isfinite(threshold):
        return math.inf
    k = int(math.floor(threshold))
    below, above = float(distinct[k]), float(distinct[min(k + 1, len(distinct) - 1)])
    middle = below / 2 + above / 2  # no overflow near the float64 limits
    return middle if below <= middle < above else below


def _ordered_levels(
    feature: _Feature, labels: NDArray[Any], y: NDArray[np.int_]
) -> tuple[_Feature, NDArray[np.float64]]:
    """A categorical column as the position of each row's level, levels ordered by test share.

    Levels are sorted by their shrunken discovery test share (missing is a level of its
    own), so a threshold on the position is a set of levels with similar shares: the
    classic optimal ordering for a two-class split.
    """
    series = pd.Series(labels, dtype=object).fillna(_MISSING)
    codes, uniques = pd.factorize(series, sort=True)
    tests = np.bincount(codes, weights=y, minlength=len(uniques))
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    overall = float(y.mean())
    share = (tests + _LEVEL_PRIOR * overall) / (counts + _LEVEL_PRIOR)
    order = np.lexsort((np.asarray(uniques, dtype=str), share))
    position = np.empty(len(uniques), dtype=np.float64)
    position[order] = np.arange(len(uniques), dtype=np.float64)
    ordered = np.asarray(uniques, dtype=object)[order]
    ordered_counts = counts[order].astype(np.int64)
    return (
        _Feature(feature.column, "level", feature.kind, ordered, ordered_counts),
        position[codes],
    )


#: the label standing for a missing categorical value inside the search
_MISSING = "\x00missing"


@dataclass(frozen=True)
class _Candidate:
    """A node of the search tree: its rule and the nodes above it."""

    node: int
    parent: int
    ancestors: frozenset[int]
    conditions: tuple[Condition, ...]


def _candidates(
    search: _SearchData, *, max_depth: int, min_share: float, seed: np.random.Generator
) -> list[_Candidate]:
    """Every non-root node of a class-balanced tree on the discovery rows, as a rule."""
    leaf = max(20, math.ceil(min_share * len(search.y)))
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=leaf,
        class_weight="balanced",
        random_state=int(seed.integers(2**31 - 1)),
    ).fit(search.matrix, search.y)
    structure = tree.tree_
    found: list[_Candidate] = []
    stack: list[tuple[int, tuple[int, ...], tuple[Condition, ...]]] = [(0, (), ())]
    while stack:
        node, above, path = stack.pop()
        if node != 0:
            found.append(_Candidate(node, above[-1], frozenset(above), _merged(path)))
        left, right = structure.children_left[node], structure.children_right[node]
        if left < 0:
            continue
        column = structure.feature[node]
        feature = search.features[column]
        threshold = float(structure.threshold[node])
        # a side takes the missing values only when the search saw some
        seen_missing = bool(np.isnan(search.matrix[:, column]).any())
        left_missing = seen_missing and bool(structure.missing_go_to_left[node])
        right_missing = seen_missing and not left_missing
        below = above + (node,)
        stack.append((right, below, path + (_clause(feature, threshold, None, right_missing),)))
        stack.append((left, below, path + (_clause(feature, None, threshold, left_missing),)))
    return sorted(found, key=lambda c: c.node)


def _clause(feature: _Feature, low: float | None, high: float | None, missing: bool) -> Condition:
    """The condition ``low < feature <= high`` on the tree's scale, read back as values.

    Ranks of numbers become value bounds; positions of levels become a level set.
    """
    if feature.levels is None:
        assert feature.distinct is not None
        low = None if low is None else _between(feature.distinct, low)
        high = None if high is None else _between(feature.distinct, high)
        if high == math.inf:  # every present value
            high = None
        return Condition(feature.column, feature.feature, low=low, high=high, missing=missing)
    positions = np.arange(len(feature.levels), dtype=np.float64)
    inside = np.ones(len(positions), dtype=np.bool_)
    if low is not None:
        inside &= positions > low
    if high is not None:
        inside &= positions <= high
    assert feature.counts is not None
    # most frequent first (the rule lists the first few), then by label
    by_rows = sorted(
        zip(feature.counts[inside].tolist(), feature.levels[inside].tolist(), strict=True),
        key=lambda pair: (-pair[0], str(pair[1])),
    )
    chosen = [str(label) for _, label in by_rows]
    has_missing = _MISSING in chosen
    levels = tuple(label for label in chosen if label != _MISSING)
    return Condition(feature.column, "level", levels=levels, missing=has_missing)


def _merged(path: tuple[Condition, ...]) -> tuple[Condition, ...]:
    """The clauses of a path, one per (column, feature): bounds and level sets intersected."""
    merged: dict[tuple[str, str], Condition] = {}
    for clause in path:
        key = (clause.column, clause.feature)
        before = merged.get(key)
        if before is None:
            merged[key] = clause
        elif clause.levels is not None:
            assert before.levels is not None
            # one set for the whole intersection: a code or a title holds 10,000s of levels
            allowed = set(clause.levels)
            kept = tuple(label for label in before.levels if label in allowed)
            merged[key] = Condition(
                clause.column,
                clause.feature,
                levels=kept,
                missing=before.missing and clause.missing,
            )
        else:
            low = max((b for b in (before.low, clause.low) if b is not None), default=None)
            high = min((b for b in (before.high, clause.high) if b is not None), default=None)
            merged[key] = Condition(
                clause.column,
                clause.feature,
                low=low,
                high=high,
                missing=before.missing and clause.missing,
            )
    return tuple(merged.values())


@dataclass(frozen=True)
class _Measured:
    candidate: _Candidate
    rule: str
    train_rows: int
    test_rows: int
    train_total: int
    test_total: int
    lift: float
    low: float
    high: float
    inside: NDArray[np.bool_] = field(repr=False)  # the measured rows in the region
    z: float = field(repr=False, default=0.0)  # the adjusted interval's normal quantile

    @property
    def moved(self) -> float:
        return abs(self.test_rows / self.test_total - self.train_rows / self.train_total)


def _measure(
    encoder: FrameEncoder,
    train: pd.DataFrame,
    test: pd.DataFrame,
    train_search: NDArray[np.intp],
    test_search: NDArray[np.intp],
    candidates: list[_Candidate],
    *,
    alpha: float,
    kinds: dict[str, str],
) -> list[_Measured]:
    """Each candidate's shares, lift and adjusted interval on the rows the search never saw."""
    train_rest, test_rest = _others(len(train), train_search), _others(len(test), test_search)
    if not candidates or not len(train_rest) or not len(test_rest):
        return []
    used = list(dict.fromkeys(c.column for candidate in candidates for c in candidate.conditions))
    rows, is_test = _stacked(train, test, train_rest, test_rest, used)
    values: dict[tuple[str, str], NDArray[Any] | pd.Categorical] = {}
    z = float(stats.norm.ppf(1 - alpha / (2 * len(candidates))))
    measured = []
    for candidate in candidates:
        inside = np.ones(len(rows), dtype=np.bool_)
        conditions = candidate.conditions
        for condition in conditions:
            key = (condition.column, condition.feature)
            if key not in values:
                found = _feature_values(encoder, rows, condition)
                # labels coded once for every rule that reads them
                values[key] = _as_labels(found) if condition.levels is not None else found
            inside &= condition.holds(values[key])
        a, b = int(np.sum(inside & ~is_test)), int(np.sum(inside & is_test))
        lift, low, high = _lift_interval(a, len(train_rest), b, len(test_rest), z)
        rule = _rule_text([c.describe(kinds[c.column]) for c in conditions])
        measured.append(
            _Measured(
                candidate,
                rule,
                a,
                b,
                len(train_rest),
                len(test_rest),
                lift,
                low,
                high,
                inside=inside,
                z=z,
            )
        )
    return measured


def _as_labels(values: NDArray[Any]) -> pd.Categorical:
    """A categorical column's labels (strings, NaN when missing) coded once: missing is -1."""
    return pd.Categorical(pd.Series(values, dtype=object))


def _stacked(
    train: pd.DataFrame,
    test: pd.DataFrame,
    train_rows: NDArray[np.intp],
    test_rows: NDArray[np.intp],
    columns: Sequence[str],
) -> tuple[pd.DataFrame, NDArray[np.bool_]]:
    """The given rows of ``columns``, train first, and whether each is a test row.

    The columns are selected before the rows are taken (taking every column's rows cost
    more than the search itself on a 125-column table).
    """
    columns = list(columns)
    rows = pd.concat(
        [train[columns].iloc[train_rows], test[columns].iloc[test_rows]], ignore_index=True
    )
    is_test = np.r_[np.zeros(len(train_rows), np.bool_), np.ones(len(test_rows), np.bool_)]
    return rows, is_test


def _others(n_rows: int, taken: NDArray[np.intp]) -> NDArray[np.intp]:
    """Positions in ``range(n_rows)`` that are not in ``taken``, in order."""
    free = np.ones(n_rows, dtype=np.bool_)
    free[taken] = False
    return np.flatnonzero(free)


def _lift_interval(a: int, n_a: int, b: int, n_b: int, z: float) -> tuple[float, float, float]:
    """Ratio of two independent proportions ``(b/n_b) / (a/n_a)`` and its Katz interval.

    Half a row is added to every cell when a count is 0 or full (the interval stays
    finite); the point estimate uses the same counts.
    """
    if min(a, b, n_a - a, n_b - b) == 0:
        a_, b_, n_a_, n_b_ = a + 0.5, b + 0.5, n_a + 1.0, n_b + 1.0
    else:
        a_, b_, n_a_, n_b_ = float(a), float(b), float(n_a), float(n_b)
    log_lift = math.log(b_ / n_b_) - math.log(a_ / n_a_)
    error = math.sqrt(1 / a_ - 1 / n_a_ + 1 / b_ - 1 / n_b_)
    return math.exp(log_lift), math.exp(log_lift - z * error), math.exp(log_lift + z * error)


def _select(measured: list[_Measured], *, max_segments: int, min_share: float) -> list[Segment]:
    """Significant candidates that move enough rows, largest first, no two nested.

    Two children of one node are complements within it (what one side over-fills in the
    one, it under-fills in the other): only one of them is reported. A region apart from
    a reported one is reported only when its lift stands on its own (:func:`_explained`).
    """
    chosen: list[_Measured] = []
    significant = [m for m in measured if (m.low > 1 or m.high < 1) and m.moved >= min_share]
    # largest moved share first; of two regions moving the same share (a region and its
    # complement), the one with the larger lift (either way) is the more specific
    ranked = sorted(significant, key=lambda m: (-round(m.moved, 9), -abs(math.log(m.lift)), m.rule))
    for candidate in ranked:
        if len(chosen) == max_segments:
            break
        if any(_nested(candidate.candidate, c.candidate) for c in chosen):
            continue
        if any(_explained(candidate, c) for c in chosen):
            continue
        chosen.append(candidate)
    return [
        Segment(
            rule=m.rule,
            conditions=m.candidate.conditions,
            train_share=m.train_rows / m.train_total,
            test_share=m.test_rows / m.test_total,
            lift=m.lift,
            lift_low=m.low,
            lift_high=m.high,
            train_rows=m.train_rows,
            test_rows=m.test_rows,
        )
        for m in chosen
    ]


def _explained(candidate: _Measured, chosen: _Measured) -> bool:
    """Whether a region apart from a reported one moves only because that one does.

    When test over-fills the reported region, it under-fills everything else alike; a
    disjoint region is news only when its lift *within the rows outside the reported
    region* still excludes 1 (same adjusted level).
    """
    if np.any(candidate.inside & chosen.inside):
        return False
    _, low, high = _lift_interval(
        candidate.train_rows,
        candidate.train_total - chosen.train_rows,
        candidate.test_rows,
        candidate.test_total - chosen.test_rows,
        candidate.z,
    )
    return bool(low <= 1 <= high)


def _nested(one: _Candidate, other: _Candidate) -> bool:
    """Whether one node lies above the other or beside it (the parent's complement)."""
    return one.node in other.ancestors or other.node in one.ancestors or one.parent == other.parent


def _rule_text(clauses: list[str]) -> str:
    """Clauses joined by ``and``; a clause with its own ``or`` in parentheses."""
    if len(clauses) == 1:
        return clauses[0]
    return " and ".join(f"({c})" if " or missing" in c else c for c in clauses)


def _level_set(levels: Sequence[str]) -> str:
    shown = ", ".join(levels[:_LISTED_LEVELS])
    if len(levels) <= _LISTED_LEVELS:
        return "{" + shown + "}"
    return "{" + shown + f", ... {len(levels) - _LISTED_LEVELS} more" + "}"


def _range_text(
    name: str, low: float | None, high: float | None, *, kind: str, feature: str
) -> str:
    """``low < name <= high`` in words; whole-number features read ``>=`` / ``<=``."""
    if feature in ("hour", "length"):
        first = None if low is None else math.floor(low) + 1
        last = None if high is None else math.floor(high)
        if first is not None and last is not None:
            return f"{first} <= {name} <= {last}"
        return f"{name} >= {first}" if first is not None else f"{name} <= {last}"

    def show(value: float) -> str:
        if kind == DATETIME:
            stamp = pd.Timestamp(value, unit="s")
            if stamp == stamp.normalize():
                return stamp.strftime("%Y-%m-%d")
            return stamp.strftime("%Y-%m-%d %H:%M:%S")
        rounded = float(f"{value:.4g}")
        if 1e4 <= abs(rounded) < 1e15:  # money, counts: 20,680 rather than 2.068e+04
            return f"{rounded:,.0f}"
        return f"{value:.4g}"

    if low is not None and high is not None:
        return f"{show(low)} < {name} <= {show(high)}"
    if low is not None:
        return f"{name} > {show(low)}"
    assert high is not None
    return f"{name} <= {show(high)}"
