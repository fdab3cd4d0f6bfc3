"""What the drift report costs to build and render, beside the drift check itself.

On the Kaggle-shaped flights table (:func:`advval.datasets.make_kaggle_table`, 327k rows x
125 checked columns at ``--scale 1``): fit the validator, then time
``build_drift_report`` (the distributions of every column, the per-column facts, the
dataset summary) and ``render_html``, in process CPU seconds and wall seconds, and print
the page's size. Run it with one thread for figures comparable across machines, and with
another checkout of advval first on ``PYTHONPATH`` for a before/after in the same run::

    OMP_NUM_THREADS=1 python benchmarks/bench_report_build.py --scale 0.25
    git archive <commit> advval | tar -x -C /tmp/before
    OMP_NUM_THREADS=1 PYTHONPATH=/tmp/before python benchmarks/bench_report_build.py --scale 0.25
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any


def timed(label: str, work: Callable[[], Any]) -> tuple[Any, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    cpu = time.process_time() - cpu
    print(f"{label:28s} CPU {cpu:7.2f} s   wall {time.perf_counter() - wall:7.2f} s", flush=True)
    return result, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the table's rows")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import advval
    from advval import AdversarialValidator
    from advval.datasets import make_kaggle_table
    from advval.report import build_drift_report, render_html

    print(f"advval from {advval.__file__}")
    n_rows = None if args.scale >= 1 else int(327_346 * args.scale)
    table, _ = timed("table", lambda: make_kaggle_table(
        "flights", n_rows=n_rows, random_state=args.seed
    ))
    train = table.train.drop(columns=[table.id, table.target])
    test = table.test.drop(columns=[table.id])
    print(f"rows {len(train):,} + {len(test):,}, columns {train.shape[1]}")
    validator = AdversarialValidator(n_jobs=1, random_state=args.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the leaking time stamps: the report shows them
        _, fit = timed("fit (the drift check)", lambda: validator.fit(train, test))
    report, build = timed("build_drift_report", lambda: build_drift_report(
        validator, train, test
    ))
    page, render = timed("render_html", lambda: render_html(report))
    print(f"report build + render = {(build + render) / fit:.1%} of the fit's CPU")
    print(f"HTML {len(page.encode()):,} bytes; columns in its table: "
          f"{page.count('<tr data-kind=')}, distribution plots: {page.count('<svg')}")


if __name__ == "__main__":
    main()
