"""The Dask fit of :class:`~advval.AdversarialValidator`: a frozen ``_DriftFit``.

The validator dispatches here through :mod:`advval._dask`, passing the seeds it drew;
this module only reads its parameters and returns the fit
(:class:`advval.drift._fitted._DriftFit`), from which the validator sets the same
attributes as on one machine (so the same reports).

Flow (one seed, as on one machine):

1. Encoder: learnt from per-partition digests (:mod:`._encode`); row counts.
2. Rows: each partition is encoded; every row gets a seeded key from its content, its fold
   from that key (:mod:`._folds`), and the ``max_rows`` budget is a key-based sample.
   Nothing is persisted: each pass reads and prepares the partitions again (four
   passes: counts and the early-stopping sample, the layout, the scores, SHAP and the
   univariate samples), so the workers hold the input only as it streams through.
3. Models: K out-of-fold models (fold ``k`` held out) and the forward-chained models of
   folds ``1..K-2`` (folds ``0..k-1``; fold ``K-1``'s is the last out-of-fold model), each
   trained by LightGBM's distributed training on a canonical layout (:mod:`._train`),
   the one copy of the kept rows the cluster holds.
4. Scores: every kept row is scored on its worker; AUC, fold AUCs, DeLong's variance and
   the forward-chained rank tests are reduced from count tables (:mod:`._reduce`); the
   p-value is the same weighted Stouffer combination as on one machine
   (:func:`advval.drift._crossfit.combine_sequential`), so its size argument carries over.
5. Attribution: mean |TreeSHAP| per fold on a key-based sample of about
   ``ROWS_PER_FOLD`` held-out rows per fold, summed on the cluster; the univariate tests
   run on a key-based sample of at most ``UNIVARIATE_MAX_ROWS`` rows a side collected to
   the driver (the single-machine path caps there too).

``oof_proba_`` is collected as a NumPy array (8 bytes per row on the driver) because the
reports read it; every statistic is computed before, from the reductions.

Measured (2-worker LocalCluster, 2 shared cores): size under no shift, 62 replicates of
500 rows a side and 4 noise columns: 2 rejections at alpha 0.05 (3.2%), 7 at 0.10
(11.3%), p-values uniform (KS p = 0.72). Agreement with the single-machine path: 1,000
rows a side, 0.5-std shift in one of 6 columns: same verdict, |AUC difference| 0.0017;
150,000 rows a side, 0.05-std shift in 2 of 20 columns: AUC 0.51850 against 0.51880, both
flag drift with the two shifted columns ranked first, and the same AUC to the last digit
from Dask frames in 12 partitions and from pandas frames scattered in 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client
from lightgbm import LGBMClassifier
from numpy.typing import NDArray
from sklearn.base import clone

from .._frames import ALIGN_NAMES, FrameEncoder, align_columns
from .._models import default_domain_classifier, positive_scores, tree_contributions
from ..drift._attribution import ROWS_PER_FOLD, Attribution, _aggregation_matrix
from ..drift._crossfit import SequentialTest, combine_sequential
from ..drift._fitted import _DriftFit, check_sides
from ..drift._grouping import require_column
from ..drift._univariate import UNIVARIATE_MAX_ROWS, ColumnTests, compare_columns
from . import _reduce
from ._blocks import block_edges, block_folds, blocks_of
from ._client import as_dask, resolve_client, shared
from ._encode import fit_encoder
from ._folds import BUDGET, SHAP, STOPPING, UNIVARIATE, folds_of, row_keys, uniforms
from ._progress import compute, persist
from ._train import STOPPING_SAMPLE_ROWS, Layout, fit_distributed, rounds_on_sample

if TYPE_CHECKING:
    from ..drift._validator import AdversarialValidator

_OWNER = "AdversarialValidator"
KEY, Y, FOLD, KEEP = "__advval_key", "__advval_y", "__advval_fold", "__advval_keep"
OOF, SEQ = "__advval_oof", "__advval_seq"


def fit_validator(
    validator: AdversarialValidator,
    X_train: Any,
    X_test: Any,
    *,
    groups: Any,
    seeds: NDArray[np.int_],
    names: tuple[str, str] = ALIGN_NAMES,
) -> _DriftFit:
    """The fit of ``validator`` (an AdversarialValidator, only read) on Dask data.

    ``seeds`` are the fit's (:func:`advval.drift._fitted.fit_seeds`); the validator sets
    its attributes from the frozen fit returned. ``names``: what the errors and warnings
    about the data call the two sides (the caller's arguments, or the user's files; see
    :func:`~advval._frames.align_columns`).
    """
    client = resolve_client(validator.client, owner=_OWNER)
    with client.as_current():
        return _fit_validator(validator, X_train, X_test, groups, client, seeds, names)


def _fit_validator(
    validator: AdversarialValidator,
    X_train: Any,
    X_test: Any,
    groups: Any,
    client: Client,
    seeds: NDArray[np.int_],
    names: tuple[str, str],
) -> _DriftFit:
    _templates(validator, 1, 0)  # refuse an estimator lightgbm cannot train before any work
    train = as_dask(X_train, name=names[0], client=client)
    test = as_dask(X_test, name=names[1], client=client)
    test = test[list(align_columns(train._meta, test._meta, names=names).columns)]
    group_column = _group_column(validator, groups, train, names)
    drop = [c for c in (group_column, validator.time_col) if c is not None]
    features_train = train.drop(columns=drop) if drop else train
    features_test = test.drop(columns=drop) if drop else test
    if features_train.shape[1] == 0:
        raise ValueError("No feature column is left after removing the groups / time_col columns.")
    encoder, n_train, n_test = fit_encoder(
        features_train, features_test, client, column_kinds=validator.column_kinds, names=names
    )
    check_sides(n_train, n_test, validator.n_splits, names=names)
    total = n_train + n_test
    max_rows = validator.resolve_max_rows(n_train, n_test)
    budget = 1.0 if max_rows is None else min(1.0, max_rows / total)

    settings = _Settings(encoder, int(seeds[1]), validator.n_splits, group_column, budget)
    if validator.time_col is not None:
        settings.time_blocks(
            validator.time_col, train, test, (n_train, n_test), client, names=names
        )
    prepared = dd.concat(
        [
            train.map_partitions(settings.prepare, 0, meta=settings.prepare(train._meta, 0)),
            test.map_partitions(settings.prepare, 1, meta=settings.prepare(test._meta, 1)),
        ]
    )
    # nothing is persisted but the training layout (budgeted rows only) and the scores:
    # each later pass reads and prepares the partitions again, so the workers' memory
    # holds one copy of the rows the models train on, not of the input
    classifier = _fit_on(validator, prepared, client, settings, seeds, total)
    attribution, tests = _attribute_and_test(
        validator,
        prepared,
        (train, test),
        client,
        settings,
        classifier,
        (n_train, n_test),
        int(seeds[3]),
    )
    # the per-column facts and the summary read every row as pandas: not computed here
    return _DriftFit(
        n_train=n_train,
        n_test=n_test,
        feature_names=np.asarray(features_train.columns, dtype=object),
        encoder=encoder,
        max_rows=max_rows,
        n_rows_used=classifier.n_rows_used,
        estimators=classifier.models,
        fold_aucs=classifier.fold_aucs,
        sequential=classifier.sequential,
        auc=classifier.auc,
        auc_variance=classifier.auc_variance,
        oof_proba=classifier.oof_proba,
        attribution=attribution,
        tests=tests,
    )


def _group_column(
    validator: AdversarialValidator, groups: Any, train: dd.DataFrame, names: tuple[str, str]
) -> str | None:
    if validator.time_col is not None:
        require_column(train._meta, validator.time_col, "time_col", names=names)
    if groups is None:
        return None
    if not isinstance(groups, str):
        raise TypeError(
            f"With Dask inputs, groups must be the name of a column present in both frames. "
            f"Got {type(groups).__name__} instead."
        )
    require_column(train._meta, groups, "groups", names=names)
    return groups


class _Settings:
    """What every partition needs to prepare its rows (picklable, sent once per task)."""

    def __init__(
        self,
        encoder: FrameEncoder,
        seed: int,
        n_splits: int,
        group_column: str | None,
        budget: float,
    ) -> None:
        self.encoder = encoder
        self.seed = seed
        self.n_splits = n_splits
        self.group_column = group_column
        self.budget = budget
        self.features = list(encoder.encoded_columns)
        self.time_col: str | None = None
        self.edges: list[np.ndarray] = []
        self.block_folds: list[np.ndarray] = []

    def time_blocks(
        self,
        column: str,
        train: dd.DataFrame,
        test: dd.DataFrame,
        rows: tuple[int, int],
        client: Client,
        *,
        names: tuple[str, str] = ALIGN_NAMES,
    ) -> None:
        """Learn each side's time-block edges and the fold of every block.

        ``names``: what the errors call ``train`` and ``test``.
        """
        self.time_col = column
        rng = np.random.default_rng(self.seed)
        for frame, n_rows, name in zip((train, test), rows, names, strict=True):
            self.edges.append(
                block_edges(
                    frame,
                    column,
                    name=name,
                    n_rows=n_rows,
                    n_splits=self.n_splits,
                    client=client,
                    seed=self.seed,
                )
            )
            self.block_folds.append(block_folds(self.n_splits, rng))

    def _features(self, part: pd.DataFrame) -> pd.DataFrame:
        drop = [c for c in (self.group_column, self.time_col) if c is not None]
        return part.drop(columns=drop) if drop else part

    def encode(self, part: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        encoded = self.encoder.transform(self._features(part))
        return encoded, row_keys(encoded, self.seed)

    def folds(self, part: pd.DataFrame, label: int, keys: np.ndarray) -> np.ndarray:
        """Fold of each row: by time block, group, or row content (in that order)."""
        if self.time_col is None:
            if self.group_column is None:
                return folds_of(keys, self.n_splits)
            group = part[[self.group_column]].reset_index(drop=True)
            return folds_of(row_keys(group, self.seed), self.n_splits)
        blocks = blocks_of(part[self.time_col], self.edges[label], self.time_col)
        if self.group_column is None:
            return self.block_folds[label][blocks]
        pairs = pd.DataFrame(
            {"group": part[self.group_column].to_numpy(), "block": blocks, "side": label}
        )
        return folds_of(row_keys(pairs, self.seed), self.n_splits)

    def prepare(self, part: pd.DataFrame, label: int) -> pd.DataFrame:
        encoded, keys = self.encode(part)
        return encoded.assign(
            **{
                KEY: keys,
                Y: np.full(len(encoded), label, dtype=np.int64),
                FOLD: self.folds(part, label, keys),
                KEEP: uniforms(keys, BUDGET) < self.budget,
            }
        )

    def raw_sample(self, part: pd.DataFrame, rate: float) -> pd.DataFrame:
        """Rows of the user's frame in the univariate sample (group column dropped).

        Drawn from every row, not only the budgeted ones (the per-column tests read every
        row up to their cap), and indexed by the row key (a column would collide with a
        user column of the same name).
        """
        _, keys = self.encode(part)
        rows = np.flatnonzero(uniforms(keys, UNIVARIATE) < rate)
        features = self._features(part)
        return features.iloc[rows].set_axis(pd.Index(keys[rows], name=KEY))


def _sample(data: dd.DataFrame, salt: int, rate: float) -> dd.DataFrame:
    def take(part: pd.DataFrame) -> pd.DataFrame:
        keys = part[KEY].to_numpy(dtype=np.uint64)
        return part.iloc[np.flatnonzero(part[KEEP].to_numpy() & (uniforms(keys, salt) < rate))]

    return data.map_partitions(take, meta=data._meta)


def _templates(validator: AdversarialValidator, n_fit: int, seed: int) -> LGBMClassifier:
    estimator = validator.estimator
    if estimator is None:
        return default_domain_classifier(n_rows=n_fit, random_state=seed, n_jobs=None)
    if not isinstance(estimator, LGBMClassifier):
        raise TypeError(
            f"The 'estimator' parameter of {_OWNER} must be None or a LightGBM "
            f"LGBMClassifier with Dask inputs (the models are trained by LightGBM's distributed "
            f"training). Got {type(estimator).__name__} instead."
        )
    return clone(estimator)


@dataclass(frozen=True)
class _Classifier:
    """The distributed domain classifier: models, fold sizes and statistics."""

    models: tuple[LGBMClassifier, ...]
    fold_sizes: NDArray[np.int_]
    n_rows_used: int
    fold_aucs: NDArray[np.float64]
    sequential: SequentialTest
    auc: float
    auc_variance: float
    oof_proba: NDArray[np.float64] = field(repr=False)


def _fit_on(
    validator: AdversarialValidator,
    data: dd.DataFrame,
    client: Client,
    settings: _Settings,
    seeds: NDArray[np.int_],
    n_rows: int,
) -> _Classifier:
    n_splits = validator.n_splits
    kept = data[data[KEEP]]
    counts_per_fold = kept.groupby([FOLD, Y]).size()
    # the early-stopping sample is drawn in the same pass, a little larger than needed
    # (the kept rows are not counted yet), and thinned on the driver once they are
    expected = max(n_rows * settings.budget, 1.0)
    drawn = min(1.0, 1.25 * STOPPING_SAMPLE_ROWS / expected)
    counts, stopping = compute(
        client, [counts_per_fold, _sample(data, STOPPING, drawn)], step="counting the folds"
    )
    table = counts.unstack(fill_value=0).reindex(index=range(n_splits), columns=[0, 1])
    if table.isna().to_numpy().any() or int(table.min().min()) == 0:
        raise ValueError(
            f"Some of the n_splits={n_splits} folds have no train or no test row "
            f"(rows per fold and side: {table.fillna(0).astype(int).to_numpy().tolist()}); "
            f"with Dask inputs folds are drawn per row, so use fewer folds or more rows."
        )
    n_used = int(table.to_numpy().sum())
    n_fit = int(n_used * (n_splits - 1) / n_splits)
    template = _templates(validator, n_fit, int(seeds[2]))
    rate = min(1.0, STOPPING_SAMPLE_ROWS / n_used)
    if rate > drawn:  # far fewer rows kept than the budget's rate predicts
        [stopping] = compute(client, [_sample(data, STOPPING, rate)], step="sampling rows")
    keys = stopping[KEY].to_numpy(dtype=np.uint64)
    stopping = stopping[uniforms(keys, STOPPING) < rate]  # the rows of a draw at `rate`
    # canonical order: the inner early-stopping split must not depend on the partitioning
    stopping = stopping.sort_values([KEY, Y], kind="mergesort").reset_index(drop=True)
    features = settings.features

    layout = Layout(kept, client, n_rows=n_used)
    try:

        def fit(folds: tuple[int, ...]) -> LGBMClassifier:
            seed = int(seeds[2]) + len(folds)
            rounds = rounds_on_sample(template, stopping, features, folds, random_state=seed)
            return fit_distributed(layout, template, features, folds, rounds=rounds)

        models = [fit(tuple(j for j in range(n_splits) if j != k)) for k in range(n_splits)]
        forward = {k: fit(tuple(range(k))) for k in range(1, n_splits - 1)}
    finally:
        layout.release()

    models_task = shared(client, models)
    forward_task = shared(client, forward)
    meta = pd.DataFrame(
        {FOLD: pd.Series(dtype=np.int64), Y: pd.Series(dtype=np.int64), OOF: [], SEQ: []}
    )
    scores = data.map_partitions(_score, models_task, forward_task, features, meta=meta)
    scores = persist(client, scores, step="scoring the held-out folds")
    oof_table, seq_table = _reduce.count_tables(scores, [OOF, SEQ], client)
    fold_aucs = np.array([_reduce.fold_test(oof_table, k).auc for k in range(n_splits)])
    sequential = combine_sequential(
        [_reduce.fold_test(seq_table, k) for k in range(1, n_splits)], n_rows=n_used
    )
    auc, variance = _reduce.pooled_auc(oof_table)
    # NaN outside the max_rows budget
    [oof] = compute(client, [scores[OOF]], step="collecting the out-of-fold scores")
    return _Classifier(
        models=tuple(models),
        fold_sizes=table.sum(axis=1).to_numpy(),
        n_rows_used=n_used,
        fold_aucs=fold_aucs,
        sequential=sequential,
        auc=auc,
        auc_variance=variance,
        oof_proba=np.asarray(oof, dtype=np.float64),
    )


def _score(
    part: pd.DataFrame,
    models: list[LGBMClassifier],
    forward: dict[int, LGBMClassifier],
    features: list[str],
) -> pd.DataFrame:
    """Out-of-fold and forward-chained scores of one partition's kept rows (NaN otherwise)."""
    fold = part[FOLD].to_numpy()
    keep = part[KEEP].to_numpy()
    X = part[features]
    oof = np.full(len(part), np.nan)
    seq = np.full(len(part), np.nan)
    for k, model in enumerate(models):
        rows = np.flatnonzero(keep & (fold == k))
        if rows.size:
            oof[rows] = positive_scores(model, X.iloc[rows])
    last = len(models) - 1
    seq[fold == last] = oof[fold == last]
    for k, model in forward.items():
        rows = np.flatnonzero(keep & (fold == k))
        if rows.size:
            seq[rows] = positive_scores(model, X.iloc[rows])
    return pd.DataFrame(
        {FOLD: fold.astype(np.int64), Y: part[Y].to_numpy(dtype=np.int64), OOF: oof, SEQ: seq}
    )


def _shap_sums(
    part: pd.DataFrame,
    models: list[LGBMClassifier],
    features: list[str],
    to_column: np.ndarray,
) -> pd.DataFrame:
    """Per fold: sum of |SHAP| of each user column over the partition's sampled rows, rows."""
    fold = part[FOLD].to_numpy()
    sums = np.zeros((len(models), to_column.shape[1] + 2))
    sums[:, 0] = np.arange(len(models))
    for k, model in enumerate(models):
        rows = np.flatnonzero(fold == k)
        if rows.size == 0:
            continue
        contributions = tree_contributions(model, part[features].iloc[rows])
        if contributions is None:  # lightgbm always explains itself
            continue
        sums[k, 1:-1] = np.abs(contributions @ to_column).sum(axis=0)
        sums[k, -1] = rows.size
    return pd.DataFrame(sums, columns=_shap_columns(to_column.shape[1]))


def _shap_columns(n_columns: int) -> list[str]:
    return [FOLD] + [f"c{j}" for j in range(n_columns)] + ["rows"]


def _attribute_and_test(
    validator: AdversarialValidator,
    data: dd.DataFrame,
    sides: tuple[dd.DataFrame, dd.DataFrame],
    client: Client,
    settings: _Settings,
    classifier: _Classifier,
    rows: tuple[int, int],
    seed: int,
) -> tuple[Attribution, ColumnTests]:
    """Mean |TreeSHAP| per fold, and the per-column tests on a sample of each side."""
    train, test = sides
    encoder = settings.encoder
    models = list(classifier.models)
    to_column = _aggregation_matrix(encoder.source, encoder.columns)
    smallest = max(int(classifier.fold_sizes.min()), 1)
    shap_rate = min(1.0, ROWS_PER_FOLD / smallest)
    sampled = _sample(data, SHAP, shap_rate)
    names = _shap_columns(len(encoder.columns))
    meta = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in names})
    per_part = sampled.map_partitions(
        _shap_sums, shared(client, models), settings.features, to_column, meta=meta
    )
    n_train, n_test = rows
    rate_train = min(1.0, UNIVARIATE_MAX_ROWS / max(n_train, 1))
    rate_test = min(1.0, UNIVARIATE_MAX_ROWS / max(n_test, 1))
    train_meta = settings.raw_sample(train._meta, 1.0)
    train_rows = train.map_partitions(settings.raw_sample, rate_train, meta=train_meta)
    test_rows = test.map_partitions(settings.raw_sample, rate_test, meta=train_meta)
    totals, train_sample, test_sample = compute(
        client,
        [per_part.groupby(FOLD).sum(), train_rows, test_rows],
        step="explaining the models and sampling rows for the univariate tests",
    )
    totals = totals.sort_index()
    sums = totals.reindex(np.arange(len(models), dtype=np.float64), fill_value=0.0).to_numpy()
    attribution = Attribution(
        per_fold=sums[:, :-1] / np.maximum(sums[:, -1:], 1.0), method="tree_shap"
    )

    train_sample, test_sample = (
        # canonical order, so the tests' own subsampling does not depend on partitioning
        sample.sort_index(kind="mergesort").reset_index(drop=True)
        for sample in (train_sample, test_sample)
    )
    tests = compare_columns(
        encoder,
        train_sample,
        test_sample,
        correction=validator.correction,
        leak_threshold=validator.leak_threshold,
        random_state=seed,
    )
    return attribution, tests


def likeness(
    X: Any, *, encoder: FrameEncoder, models: Sequence[Any], columns: Sequence[str]
) -> Any:
    """Lazy test-likeness of the rows of a Dask frame: a Dask array, one value per row.

    The mean score of the fold ``models`` (an AdversarialValidator's ``estimators_``) on
    the rows of ``X`` encoded by ``encoder``; ``columns`` are the features seen in fit.
    """
    frame: dd.DataFrame = X
    reference = pd.DataFrame(columns=list(columns))
    align_columns(reference, frame._meta, names=("the data seen in fit", "X"))
    frame = frame[list(columns)]

    series = frame.map_partitions(
        _likeness,
        dask.delayed(encoder),
        dask.delayed(list(models)),
        meta=pd.Series(dtype=np.float64),
    )
    return series.to_dask_array()


def _likeness(part: pd.DataFrame, encoder: FrameEncoder, models: list[LGBMClassifier]) -> pd.Series:
    encoder.check_finite(part, name="X")
    encoded = encoder.transform(part)
    if len(encoded) == 0:
        return pd.Series([], dtype=np.float64)
    values = np.mean([positive_scores(m, encoded) for m in models], axis=0)
    return pd.Series(values, dtype=np.float64)
