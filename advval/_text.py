"""Free text: which string columns hold it, and the few numbers a classifier sees of it.

A column of free text (descriptions, comments, summaries) has nearly as many distinct
values as rows: as a categorical it is useless to a model (each level is seen once or
twice) and its chi-squared test compares unique strings, so two samples of the same text
source look disjoint (total-variation distance near 1) and the column is flagged as
leak-like. Instead the classifier sees five numbers per value, and the per-column test
compares the distributions of the first, the length.

=============  =======================================================================
``length``     characters (Unicode code points)
``words``      runs of characters between whitespace
``digits``     share of the characters that are ASCII digits (numbers, dates, codes)
``upper``      share that are ASCII upper-case letters (acronyms, codes, shouting)
``punctuation``  share that are ASCII punctuation (markup, URLs, lists, emoticons)
=============  =======================================================================

Why these: they need no vocabulary learnt from the data (a fitted vocabulary of 60,000
strings would be as overfit as the categorical, and different between train and test),
they are bounded or monotone, cheap (one pass over the UTF-8 bytes of the distinct
values), and they move when the source of the text changes (a template, a language, a
form field, a scraper). Distribution shifts in *what* the text says beyond that are out of
reach of any robust summary this cheap; a user who needs them embeds the text first.

The rule (:func:`is_free_text`): a string column is free text when its values average at
least ``TEXT_MIN_WORDS`` words and ``TEXT_MIN_LENGTH`` characters (counted over rows),
*and* it has many distinct values: more than :data:`~advval._levels.MAX_LEVELS` (it would
be capped as a categorical), or at least ``TEXT_MIN_UNIQUE_SHARE`` of its present values
distinct (a small table of comments). On the flights table: ``flight summary`` (18.7 words,
117 characters, 51,800 distinct values) is text; ``dest name`` (airport names, 3.2 words,
100 values), ``tailnum`` (one word, 4,028 values) and movie titles (3.1 words, 18
characters) are not.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

TEXT_PARTS = ("length", "words", "digits", "upper", "punctuation")
#: mean words and characters per present value a free-text column reaches at least
TEXT_MIN_WORDS = 4.0
TEXT_MIN_LENGTH = 20.0
#: a column with fewer levels than MAX_LEVELS is text when this share of its values is distinct
TEXT_MIN_UNIQUE_SHARE = 0.5

_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 32]] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_UPPER = np.zeros(256, dtype=bool)
_UPPER[ord("A") : ord("Z") + 1] = True
_PUNCTUATION = np.zeros(256, dtype=bool)
_PUNCTUATION[[ord(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"]] = True
_CHARACTER = np.ones(256, dtype=bool)
_CHARACTER[0x80:0xC0] = False  # UTF-8 continuation bytes do not start a character


def text_features(
    labels: pa.Array, parts: tuple[str, ...] = TEXT_PARTS
) -> dict[str, NDArray[np.float64]]:
    """The text features of each string of ``labels`` (no nulls), one float array per part.

    Vectorised over the UTF-8 bytes of all values at once; a share is 0 for an empty string.

    Examples
    --------
    >>> features = text_features(pa.array(["Hello World 42!", "", "größe"]))
    >>> {k: v.round(3).tolist() for k, v in features.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'length': [15.0, 0.0, 5.0], 'words': [3.0, 0.0, 1.0], 'digits': [0.133, 0.0, 0.0],
     'upper': [0.133, 0.0, 0.0], 'punctuation': [0.067, 0.0, 0.0]}
    """
    strings = labels.cast(pa.large_string())
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    n = len(strings)
    _, offsets_buffer, data_buffer = strings.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[strings.offset : strings.offset + n + 1]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
        if data_buffer is not None and n
        else np.zeros(0, dtype=np.uint8)
    )
    starts = offsets[:-1] - offsets[0]
    nonempty = np.diff(offsets) > 0

    def per_value(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        counts = np.zeros(n)
        if data.size:
            counts[nonempty] = np.add.reduceat(mask, starts[nonempty], dtype=np.int64)
        return counts

    length = per_value(_CHARACTER[data])
    out: dict[str, NDArray[np.float64]] = {}
    for part in parts:
        if part == "length":
            out[part] = length
        elif part == "words":
            space = _SPACE[data]
            begins = ~space  # a word begins at a non-space after a space or a value's start
            begins[1:] &= space[:-1]
            first = starts[nonempty]
            begins[first] = ~space[first]
            out[part] = per_value(begins)
        else:
            table = {"digits": _DIGIT, "upper": _UPPER, "punctuation": _PUNCTUATION}[part]
            count = per_value(table[data])
            out[part] = np.divide(count, length, out=np.zeros(n), where=length > 0)
    return out


def is_free_text(
    *, levels: int | None, present: int, chars: float, words: float, max_levels: int
) -> bool:
    """Whether a string column is free text (the rule in the module docstring).

    Parameters
    ----------
    levels : int or None
        Distinct present values; ``None`` when more than were counted (more than
        ``max_levels`` for sure).
    present : int
        Present values (rows).
    chars, words : float
        Characters and words summed over the present values.
    max_levels : int
        Levels above which a categorical would be capped.

    Examples
    --------
    >>> is_free_text(levels=None, present=1000, chars=1e5, words=1.5e4, max_levels=255)
    True
    >>> is_free_text(levels=100, present=1000, chars=2e4, words=3e3, max_levels=255)
    False
    """
    if present == 0 or words < TEXT_MIN_WORDS * present or chars < TEXT_MIN_LENGTH * present:
        return False
    return levels is None or levels > max_levels or levels >= TEXT_MIN_UNIQUE_SHARE * present
