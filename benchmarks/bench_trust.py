"""Do the numbers around the verdict hold up against known truths?

One command, four sections, each a table with its baseline measured in the same run:

- ``deps``: dependency scores against the known R^2 / AUC of planted functions (numeric
  and categorical targets, several noise levels) and of columns derived from others in
  real tables (:mod:`trust_deps`);
- ``weights``: :class:`~advval.AdversarialWeighter` and :class:`~advval.TestLikeSplit`
  against the true density ratio on synthetic covariate shifts where it is known, and on
  sample-selection bias of real tables (:mod:`trust_weights`);
- ``impute``: :class:`~advval.SubstitutionImputer` against ``IterativeImputer``,
  ``KNNImputer`` and a missForest-style baseline on real tables under MCAR and MAR
  missingness (:mod:`trust_impute`);
- ``verdict``: the drift verdict's size over real null splits and its power on small
  planted and real shifts, beside per-column KS + Bonferroni (:mod:`trust_verdict`).

Each section lives in its own module beside this one and can be run alone
(``python benchmarks/trust_deps.py``). Every section prints its targets and whether
they were met; the exit status is 0 whatever they say (a benchmark reports, it does not
gate).

Usage::

    python benchmarks/bench_trust.py                 # every section, full size
    python benchmarks/bench_trust.py --quick         # every section, small (minutes)
    python benchmarks/bench_trust.py deps weights    # some sections
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

SECTIONS = ("deps", "weights", "impute", "verdict")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="fewer seeds and rows")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; expected some of {list(SECTIONS)}")
    chosen = args.sections or list(SECTIONS)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for name in chosen:
        module = importlib.import_module(f"trust_{name}")
        started = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        module.run(quick=args.quick)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
