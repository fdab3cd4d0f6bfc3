"""LightGBM reads every input with ``|x| <= 1e-35`` (its kZeroThreshold) as 0: the parsed
ensemble reads rows the same way, and TreeAttack's levels next to a threshold in or at
the edge of that band are values LightGBM reads on the far side of it.

LightGBM puts a threshold at -1e-35 beside its zero bin whenever a column holds zeros and
negative numbers; the float just below it, -1e-35 itself, is read as 0 (above it). A
threshold in ``[0, 1e-35)`` is not one LightGBM's binning writes, so it is planted by
editing a model's text.
"""

import numpy as np
import pytest

from advval.attacks import FeatureSpace, TreeAttack
from advval.attacks.trees._ensemble import ZERO_THRESHOLD, read_ensemble
from advval.attacks.trees._search import Lattice, float32_above, float32_below, zero_band_cuts

lgb = pytest.importorskip("lightgbm")

ZT = ZERO_THRESHOLD
NEG = "-1.0000000180025095e-35"  # the threshold LightGBM writes beside its zero bin


def _planted(threshold: str | None = None):
    """Zeros and positives class 0, negatives class 1: each tree splits at -1e-35 first.

    ``threshold``: every -1e-35 threshold of the model's text replaced by this one.
    """
    rng = np.random.RandomState(4)
    X = np.where(rng.rand(600, 2) < 0.3, 0.0, rng.normal(size=(600, 2)))
    y = (X[:, 0] < 0).astype(int)
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(X, y).booster_
    text = model.model_to_string()
    assert f"threshold={NEG}" in text
    if threshold is not None:
        # as many characters as before: the text gives each tree's size in bytes
        value = float(threshold)
        digits = next(k for k in range(30) if len(f"{value:.{k}e}") == len(NEG))
        model = lgb.Booster(model_str=text.replace(NEG, f"{value:.{digits}e}"))
        assert value in read_ensemble(model).threshold
    return model, X


def _logit(booster, rows):
    return booster.predict(rows, raw_score=True)


def test_the_ensemble_reads_the_band_as_lightgbm_and_leaves_the_input_alone():
    model, X = _planted()
    ens = read_ensemble(model)
    assert ens.zero_band
    below = np.nextafter(-ZT, -np.inf)
    values = np.array([-ZT, -ZT / 2, -1e-300, -0.0, 0.0, 1e-300, ZT, below,
                       float32_below(np.array([below]))[0], np.nextafter(ZT, np.inf),
                       -1.0, 1.0, np.nan])
    rows = np.column_stack([values, values[::-1]])
    before = rows.copy()
    np.testing.assert_array_equal(ens.raw(rows)[:, 0], _logit(model, rows))
    np.testing.assert_array_equal(rows, before)
    read = ens.as_input(rows)
    band = (np.abs(rows) <= ZT)
    np.testing.assert_array_equal(read[band], 0.0)
    np.testing.assert_array_equal(read[~band], rows[~band])  # NaN and the rest as given
    # -1e-35 is read as 0, on the side of zero; the next double below it as itself
    assert _logit(model, rows[:1])[0] == _logit(model, np.zeros((1, 2)))[0]
    assert _logit(model, rows[7:8, :1].repeat(2, 1))[0] != _logit(model, np.zeros((1, 2)))[0]


def test_levels_next_to_each_threshold_are_across_it_read_either_way():
    below = np.nextafter(-ZT, -np.inf)
    t = np.array([-1.0, below, -ZT, -ZT / 2, -0.0, 0.0, ZT / 2, ZT, 1.0])
    cut_up, cut_down = zero_band_cuts(t)
    np.testing.assert_array_equal(cut_up, np.where((t >= 0) & (t < ZT), ZT, t))
    np.testing.assert_array_equal(cut_down, np.where((t >= -ZT) & (t < 0), below, t))
    up, down = float32_above(cut_up), float32_below(cut_down)
    read = lambda v: np.where(np.abs(v) <= ZT, 0.0, v)  # noqa: E731  (LightGBM)
    # across t as LightGBM reads the value and as the value itself (an ONNX export)
    assert np.all(read(up) > t) and np.all(up > t)
    assert np.all(read(down) <= t) and np.all(down <= t)
    # a threshold away from the band keeps its float32 levels
    far = np.abs(t) > ZT
    np.testing.assert_array_equal(up[far], float32_above(t[far]))
    np.testing.assert_array_equal(down[far], float32_below(t[far]))
    # the levels of LightGBM's own -1e-35 split: the float32 on each side of -1e-35
    at = t == -ZT
    assert up[at] == np.nextafter(np.float32(-ZT), np.float32(0))
    assert down[at] == np.nextafter(np.float32(-ZT), np.float32(-np.inf))


@pytest.mark.parametrize("threshold, start, wanted", [
    (None, 0.0, -1),  # LightGBM's own -1e-35: a move down must go below -1e-35
    ("0", 0.0, 1),  # a threshold at 0: a move up must go above 1e-35
    ("5e-36", 0.0, 1),
    ("-5e-36", 0.0, -1),
])
def test_the_first_level_across_a_threshold_is_read_across_it(threshold, start, wanted):
    model, X = _planted(threshold)
    ens = read_ensemble(model)
    rows = np.array([[start, 0.5], [start, -0.5]])
    domain = FeatureSpace.from_frame(X).bind(rows)
    assert not domain.integer.any()
    labels = (_logit(model, rows) > 0).astype(int)
    lat = Lattice(ens, domain, rows, labels, targeted=False, norm="inf", eps=None,
                  tables={}, rng=np.random.RandomState(0))
    f = int(np.flatnonzero(lat.col == 0)[0])
    levels = np.zeros((2, lat.n_features), dtype=np.int64)
    levels[:, f] = wanted
    st = lat.states(np.arange(2), levels)
    moved = lat.rows(np.arange(2), levels)
    value = moved[:, 0]
    assert np.all(value * wanted > ZT)  # out of the band, on the wanted side
    # the model's own reading of the row as the lattice writes it: the label flips, and
    # the lattice's margin is LightGBM's
    logit = _logit(model, moved)
    assert np.all((logit > 0).astype(int) != labels)
    np.testing.assert_allclose(st.loss, np.where(labels == 1, logit, -logit), atol=1e-12)


@pytest.mark.parametrize("threshold", [None, "0"])
def test_tree_attack_crosses_the_band_with_one_verification_query(threshold):
    model, X = _planted(threshold)
    rows = X[X[:, 0] == 0.0][:20]
    attack = TreeAttack(model, feature_space=FeatureSpace.from_frame(X), max_queries=2,
                        random_state=0)
    adv = attack.generate(rows)
    assert attack.success_.all()
    np.testing.assert_array_equal(attack.queries_, 2)  # the label and the one check
    assert np.all(np.abs(adv[:, 0]) > ZT)
    np.testing.assert_array_equal(adv[:, 1], rows[:, 1])
    flipped = (_logit(model, adv) > 0) != (_logit(model, rows) > 0)
    assert flipped.all()
    # the smallest move there is: the first float32 past the band
    np.testing.assert_array_equal(
        np.abs(adv[:, 0]), float32_above(np.array([ZT]))[0]
    )
