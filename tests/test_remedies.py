"""The remedies make validation track the test error (directional, with a margin).

Uses the experiment in ``benchmarks/bench_remedies.py`` (the benchmark prints the figures;
this test guards their direction).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_PATH = Path(__file__).parent.parent / "benchmarks" / "bench_remedies.py"
_SPEC = importlib.util.spec_from_file_location("bench_remedies", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_remedies"] = bench  # dataclasses resolve their module by name
_SPEC.loader.exec_module(bench)


def test_test_like_and_weighted_validation_beat_random_kfold_under_covariate_shift():
    gaps = bench.compare(bench.covariate_shift_task, range(4))
    means = gaps.mean()
    # random K-fold validates on the training distribution and misses the test error badly
    assert means["test_like"] < 0.8 * means["random"], means.to_dict()
    assert means["weighted"] < 0.6 * means["random"], means.to_dict()


# summer flights to airports never served in winter have no training counterpart
@pytest.mark.filterwarnings("ignore::advval.exceptions.DataWarning")
def test_remedies_on_the_real_flights_split():
    gaps = bench.compare(bench.flights_task, range(2)).mean()
    assert gaps["test_like"] < gaps["random"], gaps.to_dict()
    assert gaps["weighted"] < gaps["random"], gaps.to_dict()


def test_dropping_moves_auc_toward_half_and_keeps_the_predictive_columns():
    task = bench.covariate_shift_task(0)
    path = bench.dropping_summary(task, 0)
    assert path["auc"].iloc[-1] < path["auc"].iloc[0] - 0.1
    # the last step's held-out check (a fifth of the rows) no longer finds drift
    assert not path["drift"].iloc[-1]
    assert path["auc_low"].iloc[-1] < 0.52
    dropped = [c for step in path["dropped"] for c in step]
    assert dropped == ["x0"]  # the shifted column; x1 (predictive, not shifted) stays
