"""FeatureDependencyChecker on Dask data (advval.distributed) on a 2-worker LocalCluster."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

from advval import FeatureDependencyChecker  # noqa: E402
from advval.distributed import _dependency  # noqa: E402
from advval.report import (  # noqa: E402
    build_dependency_report,
    render_dependency_html,
    render_dependency_markdown,
    render_json,
)


def _data(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + 0.1 * rng.normal(size=n),  # planted: b is a, with noise
            "c": rng.normal(size=n),
            "k": rng.choice(["x", "y", "z"], n),
        }
    )
    return X, pd.Series(a > 0, name="y")


def test_small_data_gives_exactly_the_single_machine_result(client):
    X, y = _data(400)
    single = FeatureDependencyChecker(random_state=0).fit(X, y)
    frame = dd.from_pandas(X.assign(y=y), npartitions=3, sort=False)
    checker = FeatureDependencyChecker(random_state=0, client=client)
    checker.fit(frame.drop(columns="y"), frame["y"])
    pd.testing.assert_frame_equal(checker.scores_, single.scores_)
    pd.testing.assert_frame_equal(checker.dependency_matrix_, single.dependency_matrix_)
    assert checker.n_rows_in_ == checker.n_rows_sampled_ == checker.n_rows_used_ == 400
    assert checker.redundant_features_ == ["a", "b"] and "a" in checker.leaking_features_
    assert "c" not in checker.leaking_features_
    report = build_dependency_report(checker)
    reference = build_dependency_report(single)
    assert render_json(report) == render_json(reference)
    assert "a" in render_dependency_markdown(report)
    assert render_dependency_html(report).lstrip().lower().startswith("<!doctype html>")
    assert json.loads(render_json(report))["kind"] == "deps"


def test_large_data_is_checked_on_a_partition_free_hash_sample(client):
    X, _ = _data(1600, seed=1)
    results = []
    for parts in (2, 5):
        checker = FeatureDependencyChecker(random_state=0, max_rows=400, client=client)
        checker.fit(dd.from_pandas(X, npartitions=parts, sort=False))
        results.append(checker)
    first, second = results
    assert first.n_rows_in_ == 1600 and first.n_rows_used_ == 400  # the budget, exactly
    expected = _dependency.sample_rate(400, 1600) * 1600  # 400 + 4 sd: the sample holds it
    spread = 4 * np.sqrt(expected * (1 - expected / 1600))  # binomial sample
    assert first.n_rows_sampled_ >= 400 and abs(first.n_rows_sampled_ - expected) < spread
    pd.testing.assert_frame_equal(first.scores_, second.scores_)  # same rows, same order
    assert set(first.redundant_features_) == {"a", "b"}
    assert first.scores_.loc["c", "score"] < 0.1


def test_y_partitioned_unlike_x_is_refused(client):
    X, y = _data(200)
    frame = dd.from_pandas(X, npartitions=2, sort=False)
    target = dd.from_pandas(y, npartitions=3, sort=False)
    with pytest.raises(ValueError, match=r"y has 3 partition\(s\) but X has 2"):
        FeatureDependencyChecker(client=client).fit(frame, target)


def test_y_of_the_wrong_length_is_refused(client):
    X, y = _data(200)
    with pytest.raises(ValueError, match=r"y must have one value per row of X \(200 rows\)"):
        FeatureDependencyChecker(client=client).fit(
            dd.from_pandas(X, npartitions=2, sort=False), y.to_numpy()[:150]
        )


def test_no_client_gives_a_clear_error():
    X, _ = _data(100)
    with pytest.raises(RuntimeError, match=r"FeatureDependencyChecker got Dask data but no Dask"):
        FeatureDependencyChecker().fit(dd.from_pandas(X, npartitions=2, sort=False))


def test_reserved_column_name_is_refused(client):
    X, _ = _data(100)
    frame = dd.from_pandas(X.rename(columns={"c": "__advval_target"}), npartitions=2)
    with pytest.raises(ValueError, match="'__advval_target', a name advval reserves"):
        FeatureDependencyChecker(client=client).fit(frame)
