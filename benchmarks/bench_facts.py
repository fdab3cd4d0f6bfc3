"""What the per-column facts and the dataset summary add to the drift check.

On the Kaggle-shaped flights table (:func:`advval.datasets.make_kaggle_table`, the
README's columns: the target and the ID left out), one process, one thread:

- the drift check, ``AdversarialValidator(n_jobs=1).fit`` (it computes the facts);
- the facts alone, :func:`advval.drift._facts.column_facts` on the same frames;
- the command line's extra step, :func:`advval.drift._facts.matching_rows_share` over
  every common column (the ID included); it runs only when some test row matches a train
  row on the checked columns (else none matches on more columns either).

CPU time of this process (``time.process_time``) and wall time, the facts' share of the
check without them. Run with one thread::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/bench_facts.py --scale 0.25
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

from advval import AdversarialValidator
from advval.datasets import make_kaggle_table
from advval.drift._facts import column_facts, matching_rows_share

SOURCE_ROWS = 327_346


def _timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """The smallest CPU and wall time over ``repeat`` runs, and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = work()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return min(cpu), min(wall), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.25, help="share of the source rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the facts alone")
    args = parser.parse_args()
    n_rows = max(200, round(args.scale * SOURCE_ROWS))
    table = make_kaggle_table("flights", n_rows=n_rows, random_state=0)
    train = table.train.drop(columns=[table.target, table.id])
    test = table.test.drop(columns=[table.id])
    print(f"flights, scale {args.scale:g}: {len(train):,} + {len(test):,} rows "
          f"x {train.shape[1]} columns")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_cpu, fit_wall, validator = _timed(
            lambda: AdversarialValidator(random_state=0, n_jobs=1).fit(train, test), 1
        )
    encoder = validator.encoder_
    facts_cpu, facts_wall, _ = _timed(
        lambda: column_facts(encoder, train, test, correction=validator.correction),
        args.repeat,
    )
    rows_cpu, rows_wall, share = _timed(
        lambda: matching_rows_share(table.train, table.test), args.repeat
    )
    base_cpu, base_wall = fit_cpu - facts_cpu, fit_wall - facts_wall
    print(f"{'step':<44} {'CPU s':>8} {'wall s':>8}")
    print(f"{'drift check (fit, facts included)':<44} {fit_cpu:8.2f} {fit_wall:8.2f}")
    print(f"{'  of which the facts (column_facts)':<44} {facts_cpu:8.2f} {facts_wall:8.2f}")
    print(f"{'CLI: rows found in train, every column':<44} {rows_cpu:8.2f} {rows_wall:8.2f}")
    print(f"facts / check without them: CPU {facts_cpu / base_cpu:.1%}, "
          f"wall {facts_wall / base_wall:.1%}")
    print(f"facts + CLI step / check without them: CPU {(facts_cpu + rows_cpu) / base_cpu:.1%}, "
          f"wall {(facts_wall + rows_wall) / base_wall:.1%}")
    flagged = validator.column_facts_["flags"].map(bool).sum()
    print(f"{flagged} of {len(validator.column_facts_)} columns flagged; test rows in train "
          f"{validator.dataset_summary_['test_rows_in_train']:.4f} (checked columns), "
          f"{share:.4f} (every column)")


if __name__ == "__main__":
    main()
