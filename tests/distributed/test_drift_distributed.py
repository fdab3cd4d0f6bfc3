"""AdversarialValidator on Dask data (advval.distributed) on a 2-worker LocalCluster."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from advval import AdversarialValidator  # noqa: E402
from advval._stats import delong_variance, rank_test  # noqa: E402
from advval.datasets import make_shift  # noqa: E402
from advval.distributed import _reduce, _train  # noqa: E402
from advval.distributed._folds import folds_of, row_keys  # noqa: E402
from advval.report import (  # noqa: E402
    build_drift_report,
    render_html,
    render_json,
    render_markdown,
)

N = 1000  # rows a side


def _dask(frame: pd.DataFrame, parts: int):
    return dd.from_pandas(frame, npartitions=parts, sort=False)


@pytest.fixture(scope="module")
def shifted():
    data = make_shift("mean", n_train=N, n_test=N, n_features=5, n_shifted=1, delta=0.5,
                      random_state=3)
    train, test = data.X_train.copy(), data.X_test.copy()
    rng = np.random.default_rng(4)
    train["city"] = rng.choice(["north", "south", "east"], N)
    test["city"] = rng.choice(["north", "south", "east"], N)
    return train, test, data.shifted


@pytest.fixture(scope="module")
def fitted(shifted, client):
    train, test, _ = shifted
    validator = AdversarialValidator(random_state=0, client=client)
    return validator.fit(_dask(train, 3), _dask(test, 2))


@pytest.fixture(scope="module")
def single(shifted):
    train, test, _ = shifted
    return AdversarialValidator(random_state=0, n_jobs=1).fit(train, test)


def test_planted_shift_is_detected_and_its_feature_ranked_first(fitted, shifted):
    _, _, truth = shifted
    assert fitted.drift_ and fitted.p_value_ < 1e-6
    assert fitted.auc_ci_[0] < fitted.auc_ < fitted.auc_ci_[1]
    assert fitted.feature_report_.index[0] == truth[0]  # TreeSHAP ranks it first
    assert bool(fitted.feature_report_.loc[truth[0], "drift"])
    assert fitted.n_train_ == fitted.n_test_ == N and fitted.n_rows_used_ == 2 * N
    assert fitted.oof_proba_.shape == (2 * N,) and np.isfinite(fitted.oof_proba_).all()
    assert fitted.oof_proba_[N:].mean() > fitted.oof_proba_[:N].mean()
    assert len(fitted.estimators_) == 5 and fitted.fold_p_values_.shape == (4,)
    assert fitted.importance_method_ == "tree_shap"


def test_agrees_with_the_single_machine_path(fitted, single):
    # stated tolerance: same verdict, |AUC difference| <= 0.02 (measured 0.0017)
    assert fitted.drift_ == single.drift_
    assert abs(fitted.auc_ - single.auc_) <= 0.02
    assert list(fitted.feature_report_.index[:1]) == list(single.feature_report_.index[:1])
    # the univariate tests see the same rows (all of them, below the sample cap)
    pd.testing.assert_series_equal(
        fitted.feature_report_["statistic"].sort_index(),
        single.feature_report_["statistic"].sort_index(),
    )


def test_reduced_statistics_equal_the_direct_computation_on_the_scores(fitted):
    y = np.r_[np.zeros(N), np.ones(N)]
    scores = fitted.oof_proba_.astype(np.float32).astype(np.float64)
    assert fitted.auc_ == pytest.approx(rank_test(y, scores).auc, abs=1e-12)
    variance = delong_variance(y, scores) * 2.0  # design effect for 5 folds
    width = np.log(fitted.auc_ci_[1] / (1 - fitted.auc_ci_[1])) - np.log(
        fitted.auc_ci_[0] / (1 - fitted.auc_ci_[0])
    )
    expected = 2 * 1.959964 * np.sqrt(variance) / (fitted.auc_ * (1 - fitted.auc_))
    assert width == pytest.approx(expected, rel=1e-5)


def test_same_json_bytes_whatever_the_partitioning(fitted, shifted, client):
    train, test, _ = shifted
    # pandas frames with a client: scattered in other partitions than the fixture's 3 + 2
    again = AdversarialValidator(random_state=0, client=client).fit(train, test)
    first, second = render_json(build_drift_report(fitted)), render_json(build_drift_report(again))
    assert first == second
    np.testing.assert_array_equal(fitted.oof_proba_, again.oof_proba_)


def test_reports_render_with_the_single_machine_schema(fitted, single, shifted):
    train, test, _ = shifted
    report = build_drift_report(fitted, train, test)
    document = json.loads(render_json(report))
    reference = json.loads(render_json(build_drift_report(single, train, test)))

    def schema(value):
        if isinstance(value, dict):  # the per-column facts and summary: pandas inputs only
            return {k: schema(v) for k, v in value.items() if k not in ("features", "summary")}
        return type(value).__name__

    assert schema(document) == schema(reference)
    assert document["summary"] is None and document["column_facts"] == []
    assert [sorted(f) for f in document["features"]] == [sorted(f) for f in reference["features"]]
    assert "Drift" in render_markdown(report) or "drift" in render_markdown(report)
    assert render_html(report).lstrip().lower().startswith("<!doctype html>")


def test_test_likeness_on_dask_input_matches_pandas(fitted, shifted):
    train, test, _ = shifted
    lazy = fitted.test_likeness(_dask(test, 3))
    assert type(lazy).__module__.startswith("dask")
    np.testing.assert_allclose(lazy.compute(), fitted.test_likeness(test), rtol=1e-12)


def test_null_split_is_not_flagged_with_groups_and_a_row_budget(client):
    data = make_shift("none", n_train=800, n_test=800, n_features=4, random_state=11)
    rng = np.random.default_rng(5)
    train = data.X_train.assign(user=rng.integers(0, 300, 800))
    test = data.X_test.assign(user=rng.integers(0, 300, 800))
    validator = AdversarialValidator(random_state=1, client=client, max_rows=1200)
    validator.fit(_dask(train, 2), _dask(test, 2), groups="user")
    assert not validator.drift_ and validator.p_value_ > 0.05
    assert abs(validator.auc_ - 0.5) < 0.06
    assert list(validator.feature_names_in_) == list(data.X_train.columns)  # user: not a feature
    # the max_rows budget is a hash-based Bernoulli sample: about 1,200 rows, NaN elsewhere
    assert abs(validator.n_rows_used_ - 1200) < 120
    assert int(np.isfinite(validator.oof_proba_).sum()) == validator.n_rows_used_


def test_a_row_budget_bounds_what_the_cluster_holds(client, monkeypatch):
    data = make_shift("mean", n_train=N, n_test=N, n_features=4, delta=0.5, random_state=4)
    persisted, laid_out = [], []
    persist = client.persist

    def recording_persist(collection, *args, **kwargs):
        result = persist(collection, *args, **kwargs)
        persisted.append(set(getattr(result, "columns", ())))
        return result

    release = _train.Layout.release

    def recording_release(layout):
        parts = [part for part, _ in layout.parts]
        laid_out.append(sum(client.gather(client.map(len, parts, pure=False))))
        release(layout)

    monkeypatch.setattr(client, "persist", recording_persist)
    monkeypatch.setattr(_train.Layout, "release", recording_release)
    validator = AdversarialValidator(random_state=2, client=client, max_rows=700)
    validator.fit(_dask(data.X_train, 3), _dask(data.X_test, 3))
    # the rows the models train on are the only rows held: the budgeted ones
    assert laid_out == [validator.n_rows_used_] and abs(validator.n_rows_used_ - 700) < 100
    # everything else kept on the workers is scores, not feature columns
    assert persisted and all(not (columns & set(data.X_train.columns)) for columns in persisted)
    assert validator.oof_proba_.shape == (2 * N,)
    assert int(np.isfinite(validator.oof_proba_).sum()) == validator.n_rows_used_
    assert validator.drift_


def test_per_column_tests_read_every_row_and_a_column_may_share_an_internal_name(client):
    """Under a row budget the univariate tests still see every row (as on one machine),
    and a user column named like the row key the sample is sorted by is just a column."""
    data = make_shift("mean", n_train=600, n_test=600, n_features=3, delta=0.5, random_state=8)
    train = data.X_train.rename(columns={"x2": "__advval_key"})
    test = data.X_test.rename(columns={"x2": "__advval_key"})
    budgeted = AdversarialValidator(random_state=3, client=client, max_rows=300)
    budgeted.fit(_dask(train, 2), _dask(test, 2))
    every_row = AdversarialValidator(random_state=3, max_rows=300).fit(train, test)
    assert budgeted.n_rows_used_ < 400
    pd.testing.assert_series_equal(
        budgeted.feature_report_["statistic"].sort_index(),
        every_row.feature_report_["statistic"].sort_index(),
    )
    assert set(budgeted.feature_report_.index) == {"x0", "x1", "__advval_key"}


def test_score_tables_of_parts_add_up_to_the_pooled_test():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    scores = np.round(rng.normal(size=3000) + 0.3 * y, 2)  # many ties
    parts = np.array_split(rng.permutation(3000), 7)
    frames = [
        pd.DataFrame({"__advval_fold": 0, "__advval_score": scores[p], "y": y[p]}) for p in parts
    ]
    sums = [
        f.groupby(["__advval_fold", "__advval_score"])["y"].agg(["sum", "count"]) for f in frames
    ]
    merged = pd.concat(sums).groupby(level=[0, 1]).sum()
    table = _reduce.table_from_sums(merged)
    direct = rank_test(y, scores)
    reduced = _reduce.fold_test(table, 0)
    assert reduced.auc == pytest.approx(direct.auc, abs=1e-14)
    assert reduced.z == pytest.approx(direct.z, rel=1e-12)
    auc, variance = _reduce.pooled_auc(table)
    assert variance == pytest.approx(delong_variance(y, scores), rel=1e-12)
    pos, neg = _reduce.pooled(table)
    assert 0 < _reduce.tie_share(pos, neg) < 0.01


def test_hash_folds_keep_twins_together_and_are_balanced():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.integers(0, 3, 5000) * 1.0})
    twins = pd.concat([frame, frame.iloc[:500]], ignore_index=True)
    folds = folds_of(row_keys(twins, 7), 5)
    np.testing.assert_array_equal(folds[:500], folds[5000:])
    counts = np.bincount(folds[:5000], minlength=5)
    chi2 = float(((counts - 1000) ** 2 / 1000).sum())
    assert chi2 < 18.5  # 99.9% quantile of chi2(4): binomial balance
    assert not np.array_equal(folds, folds_of(row_keys(twins, 8), 5))  # seeded


def test_no_client_gives_a_clear_error(shifted):
    train, test, _ = shifted
    with pytest.raises(RuntimeError, match=r"no Dask cluster is running.*connect\(workers=2\)"):
        AdversarialValidator(random_state=0).fit(_dask(train, 2), _dask(test, 2))


def test_client_of_the_wrong_type_is_refused(shifted):
    train, test, _ = shifted
    with pytest.raises(TypeError, match=r"'client' parameter of AdversarialValidator must be a"):
        AdversarialValidator(client="tcp://127.0.0.1:8786").fit(train, test)


def test_mismatched_columns_name_the_missing_one(shifted, client):
    train, test, _ = shifted
    with pytest.raises(ValueError, match=r"missing in X_test: \['city'\]"):
        AdversarialValidator(client=client).fit(
            _dask(train, 2), _dask(test.drop(columns="city"), 2)
        )


@pytest.mark.parametrize(
    ("params", "groups", "error", "match"),
    [
        ({"time_col": "when"}, None, ValueError, "'time_col' column 'when' is not in X_train"),
        ({"time_col": "city"}, None, TypeError, "'time_col' column 'city' must be datetime or"),
        ({}, np.zeros(2 * N), TypeError, "groups must be the name of a column"),
        ({}, "nope", ValueError, "'groups' column 'nope' is not in X_train"),
    ],
)
def test_unsupported_options_are_refused_clearly(shifted, client, params, groups, error, match):
    train, test, _ = shifted
    with pytest.raises(error, match=match):
        AdversarialValidator(client=client, **params).fit(
            _dask(train, 2), _dask(test, 2), groups=groups
        )


def test_non_lightgbm_estimator_is_refused(shifted, client):
    from sklearn.linear_model import LogisticRegression

    train, test, _ = shifted
    with pytest.raises(TypeError, match="must be None or a LightGBM LGBMClassifier with Dask"):
        AdversarialValidator(client=client, estimator=LogisticRegression()).fit(
            _dask(train, 2), _dask(test, 2)
        )


def test_too_few_rows_for_the_folds(client):
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="X_train has 3 sample\\(s\\) but .* n_splits=5"):
        AdversarialValidator(client=client).fit(_dask(train, 1), _dask(train * 2, 1))


def test_rows_of_a_group_share_a_fold_whatever_their_content():
    from advval._frames import FrameEncoder
    from advval.distributed._drift import FOLD, _Settings

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=400), "user": rng.integers(0, 30, 400)})
    encoder = FrameEncoder().fit(frame[["x"]], frame[["x"]])
    prepared = _Settings(encoder, 3, 5, "user", 1.0).prepare(frame, 0)
    assert "user" not in prepared.columns
    assert (prepared.groupby(frame["user"].to_numpy())[FOLD].nunique() == 1).all()
    assert prepared[FOLD].nunique() == 5


def test_infinite_values_are_refused_naming_the_column(client):
    train = pd.DataFrame({"x": [1.0, 2.0, np.inf, 4.0] * 5, "z": np.arange(20.0)})
    with pytest.raises(ValueError, match="Column 'x' of X_train contains infinite values"):
        AdversarialValidator(client=client).fit(_dask(train, 2), _dask(train.assign(x=1.0), 2))


def test_time_blocks_stay_in_one_fold_and_time_is_not_a_feature(client):
    rng = np.random.default_rng(8)
    n = 600
    train = pd.DataFrame(
        {"x": rng.normal(size=n), "when": pd.date_range("2024-01-01", periods=n, freq="h")}
    )
    test = pd.DataFrame(
        {"x": rng.normal(size=n), "when": pd.date_range("2024-03-01", periods=n, freq="h")}
    )
    validator = AdversarialValidator(random_state=0, client=client, n_splits=3, time_col="when")
    validator.fit(_dask(train, 3), _dask(test, 2))
    assert list(validator.feature_names_in_) == ["x"] and not validator.drift_

    from advval._frames import FrameEncoder
    from advval.distributed._drift import FOLD, _Settings

    encoder = FrameEncoder().fit(train[["x"]], test[["x"]])
    settings = _Settings(encoder, 3, 3, None, 1.0)
    settings.time_blocks("when", _dask(train, 3), _dask(test, 2), (n, n), client)
    folds = settings.prepare(train, 0)[FOLD].to_numpy()
    blocks = np.arange(n) * 15 // n  # 15 equal blocks of consecutive hours
    assert all(len(set(folds[blocks == b])) == 1 for b in range(15))
    assert np.bincount(folds).tolist() == [200, 200, 200]  # 5 blocks per fold


def test_missing_time_values_are_refused(client):
    train = pd.DataFrame({"x": np.arange(30.0), "t": [1.0, np.nan] + [2.0] * 28})
    with pytest.raises(ValueError, match="'time_col' column 't' has missing values in X_train"):
        AdversarialValidator(client=client, time_col="t").fit(_dask(train, 2), _dask(train, 2))


def test_clone_shares_the_client_instead_of_copying_it(client):
    from sklearn.base import clone

    from advval import FeatureDependencyChecker

    for estimator in (
        AdversarialValidator(client=client, n_splits=4),
        FeatureDependencyChecker(client=client, n_splits=4),
    ):
        twin = clone(estimator)
        assert twin is not estimator and twin.client is client and twin.n_splits == 4
    assert clone(AdversarialValidator()).client is None
