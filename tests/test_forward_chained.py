"""The forward-chained (sequential) test's combination, shared by drift and dependency."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from advval._stats import RankTest, forward_chained, stouffer
from advval.drift._crossfit import combine_sequential


def test_matches_a_direct_weighted_stouffer_computation():
    z = np.array([0.3, -1.2, 2.5])
    trained, scored = np.array([1, 2, 3]), np.array([2, 1, 1])
    weights = np.sqrt(trained * scored)
    expected_z = float((weights * z).sum() / np.sqrt((weights**2).sum()))
    combined, p_value = forward_chained(z, trained, scored)
    assert combined == pytest.approx(expected_z, rel=1e-12)
    assert p_value == pytest.approx(stats.norm.sf(expected_z), rel=1e-12)


def test_one_scored_fold_a_step_is_the_default():
    z = [1.0, 0.5, -0.2, 2.0]
    assert forward_chained(z, [1, 2, 3, 4]) == forward_chained(z, [1, 2, 3, 4], [1, 1, 1, 1])
    assert forward_chained(z, [1, 1, 1, 1]) == stouffer(z)  # equal weights: plain Stouffer


def test_the_drift_combination_is_this_one():
    results = [RankTest(0.5, z, float(stats.norm.sf(z))) for z in (0.4, 1.1, -0.3, 2.2)]
    test = combine_sequential(results, n_rows=1_000)
    z, p_value = forward_chained([r.z for r in results], [1, 2, 3, 4])
    assert (test.z, test.p_value) == (z, p_value)  # bit for bit: the JSON does not move


def test_exact_size_under_the_null():
    """Independent standard normal steps: the rejection rate at alpha is alpha."""
    rng = np.random.default_rng(0)
    n, alpha = 20_000, 0.05
    p_values = np.array(
        [forward_chained(rng.normal(size=4), [1, 2, 3, 4], [1, 1, 1, 2])[1] for _ in range(n)]
    )
    rate = float((p_values < alpha).mean())
    assert abs(rate - alpha) < 4 * np.sqrt(alpha * (1 - alpha) / n)


def test_power_on_planted_evidence():
    z, p_value = forward_chained([3.0, 3.0], [1, 3], [2, 1])
    assert z == pytest.approx(3.0 * (np.sqrt(2) + np.sqrt(3)) / np.sqrt(5))  # 4.22 > 3
    assert p_value < 1e-4


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="must be 1-d arrays of one length"):
        forward_chained([1.0, 2.0], [1, 2, 3])
