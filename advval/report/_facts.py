"""The per-column facts and the dataset summary of a fitted validator, as report data.

The validator counts them (:mod:`advval.drift._facts`); this module only copies them into
the frozen :class:`ColumnFacts` and :class:`DatasetSummary` every renderer reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ._result import ColumnFacts, DatasetSummary, SideSummary


def report_facts(validator: Any, order: Sequence[str]) -> tuple[ColumnFacts, ...]:
    """The validator's ``column_facts_`` as :class:`ColumnFacts`, in ``order`` first.

    Columns of the facts that ``order`` does not name follow, in the facts' order; an
    unfitted or distributed validator (no facts) gives ``()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"a": rng.normal(size=200), "b": ["x"] * 200})
    >>> test = pd.DataFrame({"a": rng.normal(size=200), "b": ["x"] * 199 + ["y"]})
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> facts = report_facts(validator, ["b", "a"])
    >>> [f.name for f in facts], facts[0].unseen_levels, facts[0].unseen_share
    (['b', 'a'], 1, 0.005)
    """
    table = getattr(validator, "column_facts_", None)
    if table is None:
        return ()
    known = {str(name): name for name in table.index}
    names = [n for n in order if n in known]
    names += [str(n) for n in table.index if str(n) not in set(names)]
    return tuple(_one(name, table.loc[known[name]]) for name in names)


def report_summary(validator: Any) -> DatasetSummary | None:
    """The validator's ``dataset_summary_`` as a :class:`DatasetSummary` (or ``None``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from advval import AdversarialValidator
    >>> train = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100) % 3})
    >>> test = train.iloc[:50].reset_index(drop=True)
    >>> validator = AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)
    >>> summary = report_summary(validator)
    >>> summary.test.rows, summary.test_rows_in_train, summary.train.columns_by_kind
    (50, 1.0, (('numeric', 2),))
    """
    summary = getattr(validator, "dataset_summary_", None)
    if summary is None:
        return None
    everything = summary.get("test_rows_in_train_all_columns")
    return DatasetSummary(
        train=_side(summary["train"]),
        test=_side(summary["test"]),
        test_rows_in_train=float(summary["test_rows_in_train"]),
        test_rows_in_train_all_columns=None if everything is None else float(everything),
        excluded_columns=tuple(str(c) for c in summary.get("excluded_columns", ())),
    )


def _side(side: Mapping[str, Any]) -> SideSummary:
    return SideSummary(
        rows=int(side["rows"]),
        columns_by_kind=tuple((str(k), int(n)) for k, n in side["columns_by_kind"].items()),
        missing_share=float(side["missing_share"]),
        duplicate_rows_share=float(side["duplicate_rows_share"]),
    )


def _one(name: str, row: pd.Series) -> ColumnFacts:
    return ColumnFacts(
        name=name,
        kind=str(row["kind"]),
        missing_train=float(row["missing_train"]),
        missing_test=float(row["missing_test"]),
        missing_p_value=_number(row["missing_p_value"]),
        unseen_levels=_count(row["unseen_levels"]),
        unseen_share=_number(row["unseen_share"]),
        gone_levels=_count(row["gone_levels"]),
        gone_share=_number(row["gone_share"]),
        dominant_train=float(row["dominant_train"]),
        dominant_test=float(row["dominant_test"]),
        out_of_range_share=_number(row["out_of_range_share"]),
        flags=tuple(str(flag) for flag in row["flags"]),
        out_of_range_low=_number(row["out_of_range_low"]),
        out_of_range_high=_number(row["out_of_range_high"]),
    )


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
