"""Declared category levels that no row has do not change the imputations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from advval import SubstitutionImputer


def _frame(categories: list[str] | None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n_rows = 400
    x = rng.normal(size=n_rows)
    colour = np.where(x > 0.5, "red", np.where(x < -0.5, "blue", "green"))
    size = 2 * x + rng.normal(scale=0.3, size=n_rows)
    frame = pd.DataFrame(
        {
            "x": x,
            "size": size,
            "colour": pd.Categorical(colour, categories=categories),
            "shape": pd.Categorical(rng.choice(["round", "square"], n_rows)),
        }
    )
    frame.loc[rng.random(n_rows) < 0.2, "colour"] = np.nan
    frame.loc[rng.random(n_rows) < 0.2, "size"] = np.nan
    frame.loc[rng.random(n_rows) < 0.2, "x"] = np.nan
    return frame


def test_unused_levels_leave_the_imputations_unchanged():
    plain = _frame(["blue", "green", "red"])
    # unused levels before, between and after the used ones (codes shift)
    padded = _frame(["amber", "blue", "cyan", "green", "red", "violet"])
    assert plain.drop(columns="colour").equals(padded.drop(columns="colour"))
    imputed = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=2).fit_transform(plain)
    imputed_padded = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=2).fit_transform(
        padded
    )
    np.testing.assert_array_equal(imputed["size"], imputed_padded["size"])
    np.testing.assert_array_equal(imputed["x"], imputed_padded["x"])
    assert list(imputed["colour"].astype(str)) == list(imputed_padded["colour"].astype(str))
    # the declared levels are kept in the output
    assert list(imputed_padded["colour"].cat.categories) == [
        "amber", "blue", "cyan", "green", "red", "violet",
    ]  # fmt: skip


def test_an_unused_level_is_never_imputed():
    padded = _frame(["amber", "blue", "green", "red"])
    imputed = SubstitutionImputer(random_state=0, n_jobs=1, max_iter=1).fit_transform(padded)
    assert "amber" not in set(imputed["colour"].astype(str))
