"""Check that every command's reports are byte-identical to the recorded ones.

A refactor must not change what a command writes for the same inputs and seed. This script
builds small, fixed inputs (the bundled flights data, a LightGBM model on scikit-learn's
breast cancer data, a tiny seeded TorchScript image model), runs ``advval drift``, ``deps``,
``attack`` and ``image evaluate`` on them with a fixed seed, writing JSON and Markdown, and
compares the bytes with those recorded before the change (``tools/golden/``).

Usage::

    python tools/check_json_stable.py            # compare with tools/golden/ (exit 1 on a change)
    python tools/check_json_stable.py --record   # record tools/golden/ from the current code

Each run takes about a minute of CPU on one thread.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
DATA = Path(__file__).resolve().parents[1] / "advval" / "datasets" / "data"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _write_inputs(work: Path) -> None:
    """The fixed inputs: flights slices, a LightGBM text model, an image model and images."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    train = pd.read_csv(DATA / "flights_train.csv").head(1500)
    test = pd.read_csv(DATA / "flights_test.csv").head(1500)
    train.to_csv(work / "train.csv", index=False)
    test.to_csv(work / "test.csv", index=False)

    cancer = load_breast_cancer(as_frame=True)
    frame = cancer.frame.rename(columns=lambda name: name.replace(" ", "_"))
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=8, random_state=0, verbose=-1,
                               n_jobs=1, deterministic=True, force_row_wise=True)
    features = frame.drop(columns="target")
    model.fit(features, frame["target"])
    model.booster_.save_model(str(work / "model.txt"))
    frame.iloc[::9].to_csv(work / "rows.csv", index=False)

    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 3))
    torch.jit.save(torch.jit.script(net.eval()), str(work / "net.pt"))
    rng = np.random.default_rng(0)
    images = rng.random((24, 1, 8, 8), dtype=np.float32)
    with torch.no_grad():
        labels = net(torch.from_numpy(images)).argmax(1).numpy()
    labels[::5] = (labels[::5] + 1) % 3
    np.savez(work / "images.npz", x=images, y=labels)


def _commands() -> dict[str, list[str]]:
    """Each case: a name and its advval arguments (input paths relative to the inputs' folder)."""
    return {
        "drift": ["drift", "train.csv", "test.csv", "--seed", "0"],
        "drift_target": ["drift", "train.csv", "test.csv",
                         "--target", "sched_dep_hour", "--seed", "3"],
        "deps": ["deps", "train.csv", "--compare", "test.csv",
                 "--target", "arr_delay", "--seed", "0"],
        "attack": ["attack", "model.txt", "rows.csv",
                   "--target", "target", "--seed", "0"],
        "image": ["image", "evaluate", "net.pt", "images.npz",
                  "--eps", "0.05", "--eps", "0.1", "--attack", "pgd", "--attack", "fgsm",
                  "--steps", "10", "--seed", "0"],
    }


def _run_all(work: Path, out: Path) -> list[str]:
    """Run every case, writing its JSON and Markdown into ``out``; the failures' messages."""
    failures = []
    # the checkout this tool sits in, whether or not advval is installed from it
    source = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, **ONE_THREAD, "ADVVAL_NO_PROGRESS": "1", "PYTHONPATH": path}
    for name, args in _commands().items():
        command = [sys.executable, "-m", "advval", "--no-config", *args, "--ci", "none",
                   "--json", str(out / f"{name}.json"), "--markdown", str(out / f"{name}.md")]
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        written = all((out / f"{name}{suffix}").exists() for suffix in (".json", ".md"))
        if done.returncode not in (0, 1) or not written:
            # exit 1 is a drift/attack verdict, but also what a failed import returns
            failures.append(f"{name}: exit {done.returncode}, reports written: {written}\n"
                            f"{done.stderr[-2000:]}")
    return failures


def _without_timings(path: Path) -> str:
    """The report's text; Markdown's wall-clock columns ("0.93 s") masked, JSON verbatim."""
    text = path.read_text()
    if path.suffix == ".md":
        text = re.sub(r"\b\d+(\.\d+)? s\b", "<time> s", text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="record tools/golden/ instead")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "work"
        out = Path(scratch) / "out"
        work.mkdir()
        out.mkdir()
        _write_inputs(work)
        failures = _run_all(work, out)
        if failures:
            print("\n".join(failures))
            return 2
        produced = {path.name: _without_timings(path) for path in sorted(out.iterdir())}
    if options.record:
        GOLDEN.mkdir(exist_ok=True)
        for name, text in produced.items():
            (GOLDEN / name).write_text(text)
        print(f"recorded {len(produced)} files in {GOLDEN}")
        return 0
    changed = 0
    for name, text in produced.items():
        golden = GOLDEN / name
        recorded = golden.read_text() if golden.exists() else ""
        if text == recorded:
            print(f"same     {name}")
            continue
        changed += 1
        print(f"CHANGED  {name}")
        diff = difflib.unified_diff(recorded.splitlines(), text.splitlines(), "recorded",
                                    "now", lineterm="", n=1)
        print("\n".join(list(diff)[:40]))
    missing = sorted({path.name for path in GOLDEN.iterdir()} - set(produced))
    for name in missing:
        changed += 1
        print(f"MISSING  {name}")
    print(f"{len(produced) - changed + len(missing)} of {len(produced) + len(missing)} "
          "identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
