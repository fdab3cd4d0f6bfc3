"""How well does SubstitutionImputer recover values removed at random?

For each dataset and seed, 20% of the cells of every column are removed completely at
random (MCAR) and imputed by:

- ``substitution``: :class:`advval.dependency._imputer.SubstitutionImputer` (LightGBM per
  column, categorical columns native);
- ``iterative``: scikit-learn's ``IterativeImputer`` (BayesianRidge, 10 rounds); a
  categorical column is given to it as ordinal codes and its imputations are rounded to the
  nearest code;
- ``simple``: ``SimpleImputer`` (mean for numeric columns, most frequent for categorical).

Errors: for numeric columns the RMSE on the removed cells divided by the column's standard
deviation, averaged over columns (1.0 is about what the mean achieves; lower is better);
for the categorical column the accuracy on the removed cells (higher is better). Wall time
is the fit-and-transform time. Datasets: a synthetic table with strong nonlinear
dependencies and a categorical column determined by two numeric ones, scikit-learn's
bundled diabetes and wine data.

Usage::

    python benchmarks/bench_imputer.py            # 5 seeds
    python benchmarks/bench_imputer.py --seeds 2 --missing 0.3
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer

from advval.dependency._imputer import SubstitutionImputer


def nonlinear_data(seed: int, n: int = 1000) -> pd.DataFrame:
    """Two latent uniforms seen through nonlinear columns, plus a categorical quadrant."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)

    def noise() -> np.ndarray:
        return rng.normal(scale=0.1, size=n)

    quadrant = np.where(a > 0, "east", "west").astype(object) + np.where(b > 0, "-north", "-south")
    return pd.DataFrame(
        {
            "a": a,
            "sin_a": np.sin(2 * a) + noise(),
            "b": b,
            "b_squared": b**2 + noise(),
            "product": a * b + noise(),
            "abs_diff": np.abs(a - b) + noise(),
            "quadrant": pd.Categorical(quadrant),
        }
    )


def diabetes_data(seed: int) -> pd.DataFrame:
    return load_diabetes(as_frame=True).data


def wine_data(seed: int) -> pd.DataFrame:
    data = load_wine(as_frame=True)
    frame = data.data.copy()
    frame["cultivar"] = pd.Categorical(np.asarray(data.target_names)[data.target])
    return frame


DATASETS: dict[str, Callable[[int], pd.DataFrame]] = {
    "nonlinear": nonlinear_data,
    "diabetes": diabetes_data,
    "wine": wine_data,
}


def remove_at_random(frame: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """``frame`` with ``fraction`` of each column's cells set missing (at least one kept)."""
    rng = np.random.default_rng(seed + 1000)
    mask = rng.random(frame.shape) < fraction
    mask[rng.integers(len(frame)), :] = False
    return frame.mask(mask)


def substitution(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    result: pd.DataFrame = SubstitutionImputer(random_state=seed, n_jobs=1).fit_transform(X)
    return result


def iterative(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    codes, categories = _ordinal(X)
    imputer = IterativeImputer(max_iter=10, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        filled = pd.DataFrame(imputer.fit_transform(codes), columns=X.columns, index=X.index)
    return _from_ordinal(filled, categories)


def simple(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    result = X.copy()
    numeric = [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]
    result[numeric] = SimpleImputer(strategy="mean").fit_transform(X[numeric])
    for column in X.columns.difference(numeric):
        result[column] = X[column].fillna(X[column].mode().iloc[0])
    return result


IMPUTERS: dict[str, Callable[[pd.DataFrame, int], pd.DataFrame]] = {
    "substitution": substitution,
    "iterative": iterative,
    "simple": simple,
}


def _ordinal(X: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.Index]]:
    codes = X.copy()
    categories = {}
    for column in X.columns:
        if isinstance(X[column].dtype, pd.CategoricalDtype):
            categories[column] = X[column].cat.categories
            codes[column] = X[column].cat.codes.astype(float).where(X[column].notna())
    return codes, categories


def _from_ordinal(filled: pd.DataFrame, categories: dict[str, pd.Index]) -> pd.DataFrame:
    for column, labels in categories.items():
        index = np.clip(np.round(filled[column].to_numpy()), 0, len(labels) - 1).astype(int)
        filled[column] = pd.Categorical(labels[index], categories=labels)
    return filled


def errors(truth: pd.DataFrame, X: pd.DataFrame, filled: pd.DataFrame) -> tuple[float, float]:
    """Mean normalised RMSE over numeric columns; accuracy over categorical (NaN if none)."""
    rmse, accuracy = [], []
    for column in truth.columns:
        removed = X[column].isna().to_numpy()
        if isinstance(truth[column].dtype, pd.CategoricalDtype):
            hits = filled[column].astype(object)[removed] == truth[column].astype(object)[removed]
            accuracy.append(float(np.mean(hits)))
        else:
            diff = filled[column].to_numpy()[removed] - truth[column].to_numpy()[removed]
            rmse.append(float(np.sqrt(np.mean(diff**2)) / truth[column].std(ddof=0)))
    return float(np.mean(rmse)), float(np.mean(accuracy)) if accuracy else float("nan")


def run(seeds: int, fraction: float) -> pd.DataFrame:
    rows = []
    for dataset, load in DATASETS.items():
        for seed in range(seeds):
            truth = load(seed)
            X = remove_at_random(truth, fraction, seed)
            for name, impute in IMPUTERS.items():
                start = time.perf_counter()
                filled = impute(X, seed)
                seconds = time.perf_counter() - start
                rmse, accuracy = errors(truth, X, filled)
                rows.append(
                    {
                        "dataset": dataset,
                        "seed": seed,
                        "imputer": name,
                        "nrmse": rmse,
                        "accuracy": accuracy,
                        "seconds": seconds,
                    }
                )
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    table = results.groupby(["dataset", "imputer"], sort=False)[
        ["nrmse", "accuracy", "seconds"]
    ].mean()
    ours = table.xs("substitution", level="imputer")
    for other in ("iterative", "simple"):
        theirs = table.xs(other, level="imputer")
        table.loc[(slice(None), other), "nrmse_ratio"] = (
            (ours["nrmse"] / theirs["nrmse"])
            .reindex(table.index, level="dataset")
            .loc[(slice(None), other)]
        ).to_numpy()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--missing", type=float, default=0.2, help="share of cells removed")
    args = parser.parse_args()
    results = run(args.seeds, args.missing)
    table = summary(results)
    wins = (
        results.pivot_table(index=["dataset", "seed"], columns="imputer", values="nrmse")
        .pipe(lambda t: (t["substitution"] < t["iterative"]).groupby(level=0).mean())
        .rename("share of seeds substitution beats iterative (nrmse)")
    )
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        print(
            f"{int(args.missing * 100)}% MCAR, {args.seeds} seeds; nrmse = RMSE / std on removed "
            f"numeric cells (lower is better), accuracy on removed categorical cells;\n"
            f"nrmse_ratio = substitution / this imputer (< 1: substitution is better)\n"
        )
        print(table.to_string())
        print()
        print(wins.to_string())


if __name__ == "__main__":
    main()
