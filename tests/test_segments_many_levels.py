"""Segment rules on columns of many levels (a title, a flight code): linear, not quadratic.

A tree path that splits one categorical column twice intersects the two level sets. On a
real table's code or title columns those sets hold tens of thousands of labels; the
intersection must build the second set once, not once per label of the first (which took
minutes of the segment search on a 58,788-row movies table with 56,007 titles).
"""

from __future__ import annotations

import builtins

from advval.drift import _segments
from advval.drift._segments import Condition, _merged


def test_two_level_clauses_intersect_in_order_with_one_set(monkeypatch):
    first = tuple(f"t{k}" for k in range(5_000))
    second = tuple(f"t{k}" for k in range(4_999, 1_999, -1))  # another order, a subset
    calls = []

    def counting_set(*args):
        calls.append(1)
        return builtins.set(*args)

    monkeypatch.setattr(_segments, "set", counting_set, raising=False)
    merged = _merged(
        (
            Condition("Title", "level", levels=first, missing=True),
            Condition("Title", "value", low=None, high=3.0),
            Condition("Title", "level", levels=second, missing=False),
        )
    )
    level = next(c for c in merged if c.feature == "level")
    # the first clause's order (most frequent first) and the labels both allow
    assert level.levels == first[2_000:]
    assert level.missing is False
    assert len(calls) <= 2  # one set per intersection, whatever the number of levels
