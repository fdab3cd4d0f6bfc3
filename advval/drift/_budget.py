"""The default row budget of the domain classifier, derived from the verdict's own rule.

``drift_`` needs the AUC's lower confidence bound above ``0.5 + min_effect``. The AUC of
``N`` rows drawn in proportion from both sides (a share ``r`` of them test rows) has,
near 1/2, the variance

    Var(AUC) = D / (12 r (1 - r) N)

(the Mann-Whitney variance, times the cross-fitting design effect ``D`` of
:func:`~advval.drift._crossfit.design_effect`). A true AUC of ``0.5 + min_effect + margin``
puts the lower bound of a ``confidence`` interval above the floor with probability
``power`` once

    margin >= (z_confidence + z_power) * sqrt(Var(AUC)),

that is once

    N >= D (z_confidence + z_power)^2 / (12 r (1 - r) margin^2).

The budget is that ``N`` with ``margin = min_effect``: a shift twice the effect floor
(AUC ``0.5 + 2 min_effect``) is flagged with probability ``POWER`` (90%) by the interval
rule. The sequential p-value needs fewer rows for the same shift (its z-statistic grows
about 2.5 times faster at the default five folds), so the interval rule sets the size.
Beyond the budget, more rows narrow an interval that already clears the floor: they can
change the verdict only for shifts within a hair of the floor, and they cost time in
proportion. At the defaults (``min_effect=0.01``, ``confidence=0.95``, five folds) the
budget is about 70,000 rows for equal sides and about 93,000 for a 3:1 split.

The promise is on the classifier's AUC. A classifier trained on the budget falls a little
short of the best possible AUC, so a planted shift needs a little more than twice the floor
to be found as often. Measured (one shifted column of five, 150,000 rows a side, 20 seeds,
``min_effect=0.01``): a best possible AUC of 0.525 was flagged 20/20 at the default budget
(70,049 rows; the classifier's mean AUC 0.522); one of 0.52 was flagged 13/20 (classifier
AUC 0.516), and 20/20 with twice the budget. ``tests/test_calibration.py`` checks the size
of the budgeted test under no shift and its power at 2.5 times the floor.

Every cheap part of the check (univariate tests, category tables, the leak screen) still
reads every row; only the classifier's cross-fitting is budgeted.
"""

from __future__ import annotations

from scipy import stats

from ._crossfit import design_effect

#: probability that a shift of twice the effect floor is flagged within the budget
POWER = 0.9
#: never budget fewer rows than this (tiny budgets would starve the classifier itself)
MIN_BUDGET = 1_000


def default_row_budget(
    *, n_train: int, n_test: int, min_effect: float, confidence: float, n_splits: int
) -> int | None:
    """Rows of the domain classifier past which more rows cannot change the verdict's power.

    Parameters
    ----------
    n_train, n_test : int
        Rows given on each side (their ratio is kept by the budget's proportional draw).
    min_effect : float
        The verdict's effect floor; ``0`` means every significant difference counts, and
        then every row is used.
    confidence : float
        Coverage of the AUC interval whose lower bound must clear the floor.
    n_splits : int
        Folds of the cross-fitting (they set the design effect).

    Returns
    -------
    int or None
        The budget in rows, both sides together; ``None`` when every row is needed
        (``min_effect=0``).

    Examples
    --------
    >>> default_row_budget(n_train=10**6, n_test=10**6, min_effect=0.01, confidence=0.95,
    ...                    n_splits=5)
    70049
    >>> default_row_budget(n_train=3 * 10**5, n_test=10**5, min_effect=0.01,
    ...                    confidence=0.95, n_splits=5)
    93399
    >>> default_row_budget(n_train=500, n_test=500, min_effect=0.0, confidence=0.95,
    ...                    n_splits=5) is None
    True
    """
    if min_effect <= 0:
        return None
    share = n_test / (n_train + n_test)
    z = stats.norm.ppf(0.5 + confidence / 2.0) + stats.norm.ppf(POWER)
    rows = design_effect(n_splits) * z**2 / (12.0 * share * (1.0 - share) * min_effect**2)
    return max(MIN_BUDGET, int(round(rows)))
