"""The weighter's warning about unsupported test rows names the levels train never has."""

import warnings

import numpy as np
import pandas as pd

from advval import AdversarialWeighter
from advval._frames import FrameEncoder
from advval.drift._new_levels import describe_new_levels, new_levels


def _frames(new_level: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n, m = 1200, 400
    train = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "version": ["v1"] * n}
    )
    levels = np.where(rng.random(m) < 0.5, "v1", "v2") if new_level else np.full(m, "v1")
    test = pd.DataFrame(
        {"a": rng.normal(0.3, 1, size=m), "b": rng.normal(size=m), "version": levels}
    )
    return train, test


def _unsupported_warnings(train: pd.DataFrame, test: pd.DataFrame) -> tuple[list[str], object]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weighter = AdversarialWeighter(X_test=test, random_state=0).fit(train)
    texts = [str(w.message) for w in caught if "by the blended score" in str(w.message)]
    return texts, weighter


def test_warning_names_the_level_train_never_has_and_why_the_classifier_counts_fewer():
    train, test = _frames(new_level=True)
    texts, weighter = _unsupported_warnings(train, test)
    assert len(texts) == 1
    text = texts[0]
    v2 = int((test["version"] == "v2").sum())
    # the blend puts (about) every v2 row above the clip: they are the unsupported rows
    assert weighter.n_test_unsupported_ >= 0.95 * v2
    oof = weighter.validator_.oof_proba_[weighter.validator_.n_train_ :]
    scores = weighter._blend.test
    is_v2 = (test["version"] == "v2").to_numpy()[np.isfinite(oof)]
    held = int((is_v2 & (scores > 0.99)).sum())
    named = f"{held} of them hold a level X never has: 'v2' of column 'version' ({held} rows)"
    assert named in text
    top = float(oof[np.isfinite(oof)][is_v2 & (scores > 0.99)].max())
    assert top < 0.99  # the classifier's own score stays below the clip on them
    assert f"stay at most {top:.3f} because boosting shrinks" in text


def test_no_level_sentence_without_a_new_level():
    train, test = _frames(new_level=False)
    test = test.copy()
    test.loc[:39, "a"] = 40.0  # far outside train: unsupported, but no new level
    texts, _ = _unsupported_warnings(train, test)
    for text in texts:
        assert "never has" not in text


def test_new_levels_counts_rows_and_levels_on_the_rows_asked():
    train = pd.DataFrame({"c": ["x", "y"] * 20, "flag": [True, False] * 20})
    test = pd.DataFrame({"c": ["x", "z", "z", "w", None, "z"], "flag": [True] * 6})
    encoder = FrameEncoder().fit(train, test)
    found, held = new_levels(encoder, train, test, np.array([0, 1, 2, 3, 4]))
    assert [(f.column, f.levels, f.rows) for f in found] == [("c", ("z", "w"), 3)]
    assert held.tolist() == [False, True, True, True, False]
    found, held = new_levels(encoder, train, test, np.arange(5), min_rows=2)
    assert [(f.column, f.levels, f.rows) for f in found] == [("c", ("z",), 2)]
    assert held.tolist() == [False, True, True, False, False]
    found, held = new_levels(encoder, train, test, np.array([0, 4]))
    assert found == [] and not held.any()
    assert describe_new_levels([]) == ""
