"""Intervals and the "changed beyond noise" rule of report diffs.

Two reports are two independent estimates, each with a 95% interval. A change counts only
when the difference of the estimates exceeds the half-widths of the two intervals combined
in quadrature, on the sides facing each other: ``|new - old| > sqrt(h_old^2 + h_new^2)``.
For normal estimates this is the two-sample z-test at the 5% level (non-overlapping
intervals, the naive rule, would be a test at about 0.6%).
"""

from __future__ import annotations

import math

#: the normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054


def wilson_interval(share: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``share`` observed on ``n`` samples.

    Parameters
    ----------
    share : float
        The observed proportion, in [0, 1].
    n : int
        Samples it was measured on (0: the interval is [0, 1]).
    z : float, default=1.96
        Normal quantile (95% two-sided).

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(0.5, 100)]
    [0.4038, 0.5962]
    >>> wilson_interval(0.0, 0)
    (0.0, 1.0)
    """
    if n <= 0:
        return (0.0, 1.0)
    p = min(max(share, 0.0), 1.0)
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def moved_beyond_noise(
    old: float,
    old_ci: tuple[float, float] | None,
    new: float,
    new_ci: tuple[float, float] | None,
) -> int:
    """+1 when ``new`` is above ``old`` beyond their intervals, -1 below, 0 within noise.

    Without both intervals nothing can be told from noise: 0 unless the values differ and
    both intervals are missing because the figures are exact (the caller decides that;
    here a missing interval means "unknown" and gives 0).

    Examples
    --------
    >>> moved_beyond_noise(0.60, (0.58, 0.62), 0.65, (0.63, 0.67))
    1
    >>> moved_beyond_noise(0.60, (0.58, 0.62), 0.62, (0.60, 0.64))
    0
    """
    if old_ci is None or new_ci is None:
        return 0
    if new >= old:
        room = math.hypot(max(old_ci[1] - old, 0.0), max(new - new_ci[0], 0.0))
        return 1 if new - old > room else 0
    room = math.hypot(max(old - old_ci[0], 0.0), max(new_ci[1] - new, 0.0))
    return -1 if old - new > room else 0
