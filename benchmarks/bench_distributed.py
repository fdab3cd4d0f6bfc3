"""Wall time and peak memory of the Dask drift check against the single-machine path.

Data: ``rows`` rows split evenly between TRAIN and TEST, 40 numeric + 10 categorical
columns (``--cols`` changes the numeric count), a small planted shift in 3 numeric
columns, written chunk by chunk as many Parquet files a side (so generating it never
holds it all). Two runs on the same files, each in a fresh subprocess, in the same
invocation (so their ratio is meaningful on a noisy machine):

- ``single``: ``pandas.read_parquet`` of every file, then ``AdversarialValidator().fit``
  (the one-machine path; it must hold all rows in memory).
- ``dask``: ``read_frames`` (lazy) + ``connect(workers=N)`` (a LocalCluster of N worker
  processes on 127.0.0.1) + ``AdversarialValidator(client=...).fit`` (LightGBM's
  distributed training).

Peak memory is each process's maximum resident set size (``ru_maxrss``): the driver, and
for the Dask run every worker process (asked through ``client.run``); the table shows the
largest worker and the sum over workers. Also printed: the AUC and p-value of both runs,
which must agree (same data, same seed), and for the Dask run the worker count.

Usage::

    python benchmarks/bench_distributed.py --quick          # 200k rows: both paths
    python benchmarks/bench_distributed.py                  # 1M, 2M, 5M, 10M rows x 50
    python benchmarks/bench_distributed.py --rows 1000000 --rows 2000000 --workers 2
    python benchmarks/bench_distributed.py --rows 10000000 --skip-single --memory-limit 4GiB
    python benchmarks/bench_distributed.py --rows 10000000 --max-rows 2000000 \
        --memory-limit 1.5GiB   # 10M rows through workers that cannot hold them: bounded
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_CATEGORICAL, N_LEVELS, SHIFT, SHIFTED = 10, 20, 0.05, 3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_data(folder: Path, rows: int, *, numeric: int, rows_per_file: int, seed: int = 0) -> None:
    """``folder/train/part-*.parquet`` and ``folder/test/part-*.parquet``, rows/2 each."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    levels = pa.array([f"level{j}" for j in range(N_LEVELS)])
    for side, shift in (("train", 0.0), ("test", SHIFT)):
        (folder / side).mkdir(parents=True, exist_ok=True)
        left = rows // 2
        part = 0
        while left > 0:
            n = min(rows_per_file, left)
            values = rng.normal(size=(n, numeric))
            values[:, :SHIFTED] += shift
            columns = {f"num{i}": pa.array(values[:, i]) for i in range(numeric)}
            for i in range(N_CATEGORICAL):
                codes = pa.array(rng.integers(0, N_LEVELS, size=n).astype(np.int8))
                columns[f"cat{i}"] = pa.DictionaryArray.from_arrays(codes, levels)
            pq.write_table(pa.table(columns), folder / side / f"part-{part:04d}.parquet",
                           row_group_size=100_000)
            left -= n
            part += 1


def run_single(folder: Path, max_rows: int | None) -> dict[str, float]:
    import pandas as pd

    from advval import AdversarialValidator

    def load(side: str) -> pd.DataFrame:
        files = sorted((folder / side).glob("*.parquet"))
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    train, test = load("train"), load("test")
    validator = AdversarialValidator(random_state=0, max_rows=max_rows).fit(train, test)
    return {"auc": float(validator.auc_), "p_value": float(validator.p_value_)}


def run_dask(
    folder: Path, workers: int, memory_limit: str, max_rows: int | None
) -> dict[str, float]:
    from advval import AdversarialValidator
    from advval.distributed import connect, read_frames

    train = read_frames(str(folder / "train" / "*.parquet"))
    test = read_frames(str(folder / "test" / "*.parquet"))
    with connect(workers=workers, threads_per_worker=1, memory_limit=memory_limit) as client:
        validator = AdversarialValidator(random_state=0, client=client, max_rows=max_rows)
        validator.fit(train, test)
        peaks = list(client.run(_peak_mb).values())
    return {
        "auc": float(validator.auc_),
        "p_value": float(validator.p_value_),
        "worker_peak_mb": max(peaks),
        "workers_total_mb": sum(peaks),
        "workers": len(peaks),
    }


def child(kind: str, folder: Path, args: argparse.Namespace) -> None:
    start = time.perf_counter()
    if kind == "single":
        result = run_single(folder, args.max_rows)
    else:
        result = run_dask(folder, args.workers, args.memory_limit, args.max_rows)
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "driver_peak_mb": _peak_mb(), **result}))


def measure(kind: str, folder: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--data", str(folder),
               "--workers", str(args.workers), "--memory-limit", args.memory_limit]
    if args.max_rows is not None:
        command += ["--max-rows", str(args.max_rows)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append",
                        help="total rows (train + test); repeatable")
    parser.add_argument("--quick", action="store_true", help="one small size (200k rows)")
    parser.add_argument("--cols", type=int, default=40, help="numeric columns (+10 categorical)")
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--memory-limit", default="auto", help="per worker, e.g. 4GiB")
    parser.add_argument("--skip-single", action="store_true",
                        help="only the Dask run (sizes that do not fit one process)")
    parser.add_argument("--max-rows", type=int,
                        help="AdversarialValidator(max_rows=...): a row sample drawn before "
                             "fitting (on the workers for Dask), so memory is bounded by it")
    parser.add_argument("--data", type=Path, help="keep the generated files here")
    parser.add_argument("--child", choices=["single", "dask"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args)
        return
    sizes = args.rows or ([200_000] if args.quick else [1_000_000, 2_000_000, 5_000_000,
                                                         10_000_000])
    print(f"{args.cols + N_CATEGORICAL} columns, {args.workers} workers x 1 thread, "
          f"{os.cpu_count()} cores; peaks are max RSS per process", flush=True)
    print(f"{'rows':>10} {'files':>5} {'path':>6} {'wall s':>7} {'driver MB':>10} "
          f"{'worker MB':>10} {'workers MB':>11} {'auc':>6} {'p':>9}", flush=True)
    for rows in sizes:
        folder = args.data or Path(tempfile.mkdtemp(prefix="advval_bench_"))
        try:
            write_data(folder, rows, numeric=args.cols, rows_per_file=args.rows_per_file)
            files = len(list((folder / "train").glob("*.parquet"))) * 2
            kinds = ["dask"] if args.skip_single else ["single", "dask"]
            seconds = {}
            for kind in kinds:
                r = measure(kind, folder, args)
                seconds[kind] = r["seconds"]
                worker = f"{r['worker_peak_mb']:>10.0f}" if kind == "dask" else f"{'-':>10}"
                total = f"{r['workers_total_mb']:>11.0f}" if kind == "dask" else f"{'-':>11}"
                print(f"{rows:>10} {files:>5} {kind:>6} {r['seconds']:>7.1f} "
                      f"{r['driver_peak_mb']:>10.0f} {worker} {total} {r['auc']:>6.3f} "
                      f"{r['p_value']:>9.2g}", flush=True)
            if len(seconds) == 2:
                ratio = seconds["dask"] / seconds["single"]
                print(f"{'':>10} wall time dask / single: {ratio:.2f}", flush=True)
        finally:
            if args.data is None:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
