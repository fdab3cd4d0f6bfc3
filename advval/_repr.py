"""Short reprs for advval's estimators: data parameters by their shape, a verdict once fitted.

Some estimators take data as a parameter (``DriftFeatureDropper(X_test=...)``,
``AdversarialWeighter(X_test=...)``); scikit-learn's repr prints such a parameter in full,
a whole DataFrame, and so does the repr of a ``Pipeline`` holding the estimator.
:class:`ReprMixin` shows it as ``<DataFrame of shape (1000, 12)>`` instead, in the
estimator's own repr, inside a ``Pipeline`` (or any meta-estimator), and in scikit-learn's
HTML diagram; and a fitted estimator that has a verdict (a drift check, a dependency
check, weights) adds it: one line after the usual repr, and its verdict card under the
diagram. Unfitted reprs are scikit-learn's; ``get_params``, ``clone`` and pickling are
untouched (nothing is stored).

scikit-learn prints a nested estimator with its own pretty printer, which does not call
the estimator's ``__repr__``: it formats ``get_params()`` itself, through a table of
formatters keyed by the class's ``__repr__``. The mixin registers its formatter there
(:func:`_register_formatter`); where scikit-learn has no such table, a nested estimator is
printed the usual way. A data parameter small enough to fit on the line with its
estimator (a handful of values) is printed as it is inside a ``Pipeline``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["ReprMixin", "data_text", "shown_value"]


def _is_data(value: Any) -> bool:
    """A parameter value that is data: an array-like with a shape, or a list of rows."""
    if isinstance(value, (BaseEstimator, type, str, bytes)):
        return False
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and isinstance(value[0], (list, tuple))
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) >= 1


class _DataText:
    """Stands in for a data parameter in a repr."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


def data_text(value: Any) -> str:
    """How a repr shows a data parameter: its type and shape.

    Parameters
    ----------
    value : object
        A DataFrame, Series, array or anything else with a ``shape``.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> data_text(pd.DataFrame({"a": [1, 2, 3]}))
    '<DataFrame of shape (3, 1)>'
    >>> data_text(np.zeros((2, 5, 5)))
    '<ndarray of shape (2, 5, 5)>'
    >>> data_text([[1, 2], [3]])
    '<list of length 2>'
    """
    name = type(value).__name__
    try:
        shape = tuple(int(n) for n in getattr(value, "shape", None) or np.shape(value))
    except ValueError:  # ragged rows
        return f"<{name} of length {len(value)}>"
    return f"<{name} of shape {shape}>"


def shown_value(value: Any) -> Any:
    """``value`` as a repr shows it: data as its :func:`data_text`, anything else as is.

    Examples
    --------
    >>> import numpy as np
    >>> shown_value(np.ones((4, 2))), shown_value(0.5)
    (<ndarray of shape (4, 2)>, 0.5)
    """
    return _DataText(data_text(value)) if _is_data(value) else value


class ReprMixin:
    """Data parameters shown by their shape; a fitted estimator's verdict in its repr.

    A class using it may define ``_fitted_line()`` (one line of text, or ``None`` while
    unfitted) and ``_fitted_card()`` (an HTML fragment, or ``None``); both default to
    ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> from advval import DriftFeatureDropper
    >>> test = pd.DataFrame({"a": range(1000), "b": 0.5})
    >>> DriftFeatureDropper(X_test=test, max_drop=2)
    DriftFeatureDropper(X_test=<DataFrame of shape (1000, 2)>, max_drop=2)
    """

    def _shown(self) -> Any:
        """A shallow copy whose data parameters are replaced by their :func:`data_text`."""
        params = self.get_params(deep=False)  # type: ignore[attr-defined]
        data = {name: value for name, value in params.items() if _is_data(value)}
        if not data:
            return self
        shown = copy.copy(self)
        for name, value in data.items():
            setattr(shown, name, shown_value(value))
        return shown

    def _fitted_line(self) -> str | None:
        """The verdict of the fitted estimator, in one line (``None``: nothing to add)."""
        return None

    def _fitted_card(self) -> str | None:
        """The verdict card of the fitted estimator, HTML (``None``: nothing to add)."""
        return None

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:  # noqa: N803 (scikit-learn's name)
        text = BaseEstimator.__repr__(self._shown(), N_CHAR_MAX=N_CHAR_MAX)
        line = self._fitted_line()
        return text if line is None else f"{text}\n{line}"

    def _diagram(self) -> str:
        """scikit-learn's HTML diagram, and the verdict card under it once fitted."""
        from sklearn.utils import estimator_html_repr

        html = estimator_html_repr(self)
        card = self._fitted_card()
        return html if card is None else html + card

    def _repr_html_inner(self) -> str:
        # what scikit-learn's ``_repr_html_`` property returns, when display="diagram"
        return self._diagram()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        # what Jupyter asks for first: as scikit-learn's, with the diagram above
        from sklearn import get_config

        output = {"text/plain": repr(self)}
        if get_config()["display"] == "diagram":
            output["text/html"] = self._diagram()
        return output

    def _get_params_html(self, deep: bool = True, doc_link: str = "") -> Any:
        # the parameter table of scikit-learn's diagram (scikit-learn >= 1.7), abbreviated
        return super(ReprMixin, self._shown())._get_params_html(  # type: ignore[misc]
            deep, doc_link
        )


def _pprint_estimator(
    printer: Any, obj: Any, stream: Any, indent: int, allowance: int, context: Any, level: int
) -> None:
    """scikit-learn's formatter of a nested estimator, given the abbreviated copy."""
    printer._pprint_estimator(obj._shown(), stream, indent, allowance, context, level)


def _register_formatter() -> None:
    """Have scikit-learn's pretty printer format a nested advval estimator abbreviated."""
    try:
        from sklearn.utils._pprint import _EstimatorPrettyPrinter

        table = _EstimatorPrettyPrinter._dispatch
    except (ImportError, AttributeError):  # another scikit-learn: nested reprs in full
        return
    table[ReprMixin.__repr__] = _pprint_estimator


_register_formatter()
