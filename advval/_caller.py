"""Where a warning points: the user's line, however deep inside advval it is raised."""

from __future__ import annotations

import sys

#: module name prefixes whose frames are the package's: its own, the context managers it
#: uses, and scikit-learn's wrapper of ``fit_transform`` / ``transform`` (``set_output``)
_OWN = ("advval.", "contextlib", "sklearn.utils._set_output")


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside advval.

    Call it in the function that calls :func:`warnings.warn`: the level counts from that
    function (``1``) up past every frame of advval and :mod:`contextlib`, so the warning
    names the line of the user's call whatever the path inside the package (a public
    wrapper, a method, the command line's named fit), and stays right when that path
    changes. When every frame is advval's, the outermost one.

    Examples
    --------
    >>> import warnings
    >>> def user_line():
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         warnings.warn("here", stacklevel=user_stacklevel())
    ...     return caught[0].lineno
    >>> user_line() > 0
    True
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(_OWN):
        frame = frame.f_back
        level += 1
    return level
