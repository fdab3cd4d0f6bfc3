"""The one verb every attack has: ``generate(X, y=None) -> X_adv``.

:class:`Attack` is a template method (DESIGN.md section 2). The public ``generate``
validates the parameters and the data, resolves the input domain (a
:class:`~advval.attacks.FeatureSpace` for tables, a pixel box for images), resolves the
labels, hands the work to ``_generate``, passes the result through the domain's exact
projection, checks with the model which samples flipped, and returns the same kind of
object it was given. Subclasses implement only ``_generate``.

After ``generate`` every attack has

``success_``  bool array: the model's prediction on the output is wrong (untargeted) or
              the target (targeted), checked with the model itself;
``queries_``  int array: model rows queried per sample, the final check included;
``norms_``    float array: perturbation size per sample in standard units of ``norm``.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from .._frames import from_table_protocol
from .._validation import check_bool, check_number
from ._inference import inference_state
from ._norms import canonical_norm
from ._oracle import QueryOracle, label_indices, model_scores
from ._space import check_input_data, domain_for, is_tensor


class Attack(BaseEstimator):
    """Base class of every attack; see the module notes for the contract.

    Subclasses set the class attributes:

    ``norms``         the norms the algorithm supports;
    ``minimum_norm``  ``eps=None`` means "find the smallest perturbation";
    ``needs_scores``  the model must expose class probabilities;
    ``white_box``     the attack reads the model's internals (gradients, tree structure),
                      as opposed to querying it; robustness reports compare the two kinds;
    ``weak_because``  for a white-box attack, what usually makes it miss what a black-box
                      one finds (robustness reports say it in their flag).

    and implement ``_generate(z0, labels, domain, oracle, rng) -> z``: ``z0`` is the
    encoded input (float64 array, or a tensor for the gradient attacks), ``labels`` the
    class indices to move away from (or toward, when targeted), ``oracle`` the counted
    model. The returned rows are projected with ``domain.finalize`` by the caller.
    """

    norms: ClassVar[tuple[str, ...]] = ("inf", "2")
    minimum_norm: ClassVar[bool] = False
    needs_scores: ClassVar[bool] = True
    white_box: ClassVar[bool] = False
    weak_because: ClassVar[str] = "gradient masking, too few steps"

    # parameters every subclass has (set by its __init__)
    model: Any
    eps: float | None
    norm: Any
    targeted: bool
    feature_space: Any
    bounds: Any
    max_queries: int | None
    random_state: Any

    def __sklearn_clone__(self) -> Attack:
        """Clone the settings but share the model: it is what is attacked, not a part."""
        params = self.get_params(deep=False)
        model = params.pop("model")
        return type(self)(model, **{k: clone(v, safe=False) for k, v in params.items()})

    # -- the template method ----------------------------------------------------------

    def generate(self, X: Any, y: Any = None) -> Any:
        """Return adversarial versions of the rows (or images) in ``X``.

        Parameters
        ----------
        X : DataFrame, ndarray or torch tensor
            The inputs to perturb; never modified.
        y : array-like, optional
            True labels (untargeted) or target labels (``targeted=True``), in the model's
            label space. Default: the model's own predictions (untargeted only).

        Returns
        -------
        X_adv : same type as ``X``
            Same columns, dtypes, index (DataFrame) or dtype and device (tensor). A table
            of another library (Polars, PyArrow: ``__arrow_c_stream__``) is attacked as
            the pandas DataFrame with Arrow dtypes it reads as, and returned as one.

        Raises
        ------
        ValueError
            Among others: a table with +-inf (NaN is a missing value, never changed), an
            image with NaN or inf, or a model that returns NaN or infinite scores.

        Notes
        -----
        A torch model is left exactly as found (train / eval modes, buffers,
        ``requires_grad`` flags, ``.grad``), also when ``generate`` raises. A model in
        training mode is attacked in eval mode, as it runs at inference, with a warning
        where a layer reads its mode (see :mod:`advval.attacks._inference`).
        """
        name = type(self).__name__
        norm = self._check_params()
        table = from_table_protocol(X)
        if table is not None:  # a Polars / PyArrow / DuckDB table: attacked as its frame
            X = table
        n_samples = _n_samples(X)
        if n_samples == 0:
            raise ValueError(f"{name}.generate got 0 samples; at least 1 is required.")
        with inference_state(self.model, owner=name):
            return self._run(X, y, norm, n_samples)

    def _run(self, X: Any, y: Any, norm: str, n_samples: int) -> Any:
        """The body of :meth:`generate`, with the model in its inference state."""
        name = type(self).__name__
        check_input_data(X, owner=f"{name}.generate")
        domain = self._domain(X)
        z0 = self._to_internal(X, domain)
        oracle = self._make_oracle(domain, X, n_samples, z0)
        if self.needs_scores and not oracle.has_scores:
            raise TypeError(
                f"{name} needs class scores, but {type(self.model).__name__} has no "
                "predict_proba. Use HopSkipJump (labels only) or TreeAttack."
            )
        labels = self._labels(X, y, z0, oracle, n_samples)
        rng = self._random()
        z = z0 if self.eps == 0 else self._generate(z0, labels, domain, oracle, rng)
        z, size = domain.finalize_with_size(z, z0, self.eps, norm)
        predicted = self._verify(z, oracle)
        self.success_ = predicted == labels if self.targeted else predicted != labels
        self.queries_ = oracle.queries.copy()
        self.norms_ = _numpy(size).astype(np.float64)
        return self._from_internal(z, X, domain)

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> Any:
        raise NotImplementedError

    def _random(self) -> Any:
        """The generator handed to ``_generate``, from ``random_state``."""
        return check_random_state(self.random_state)

    # -- hooks the gradient attacks override -------------------------------------------

    def _raw_domain(self) -> bool:
        return False

    def _domain(self, X: Any) -> Any:
        return domain_for(
            X, feature_space=self.feature_space, bounds=self.bounds, raw=self._raw_domain(),
            owner=type(self).__name__,
        )

    def _to_internal(self, X: Any, domain: Any) -> Any:
        return np.array(_numpy(domain.encode(X)), dtype=np.float64)

    def _from_internal(self, z: Any, X: Any, domain: Any) -> Any:
        decoded = domain.decode(z, X) if hasattr(domain, "decode") else z
        if isinstance(X, pd.DataFrame):
            return decoded.set_axis(X.index, axis=0)
        if is_tensor(X):
            import torch

            return torch.as_tensor(np.asarray(decoded), dtype=X.dtype, device=X.device)
        out = np.asarray(decoded)
        dtype = np.asarray(X).dtype
        if np.issubdtype(dtype, np.integer):
            return np.round(out).astype(dtype)
        return out.astype(dtype if np.issubdtype(dtype, np.floating) else np.float64)

    def _make_oracle(self, domain: Any, X: Any, n_samples: int, z0: Any = None) -> Any:
        oracle = QueryOracle(
            self.model, domain, X, n_samples=n_samples, max_queries=self.max_queries
        )
        if oracle.kind == "torch":
            # the number of classes, from one uncounted forward pass of the first sample
            first = np.array(_numpy(domain.encode(X[:1])), dtype=np.float64)
            probe = model_scores(self.model, "torch", oracle._model_input(first))
            oracle.classes_ = np.arange(probe.shape[1])
        return oracle

    def _verify(self, z: Any, oracle: Any) -> np.ndarray:
        return oracle.labels(z, np.arange(len(z)))

    # -- checks ------------------------------------------------------------------------

    def _check_params(self) -> str:
        name = type(self).__name__
        norm = canonical_norm(self.norm, owner=name, allowed=self.norms)
        check_number(
            self.eps, name="eps", owner=name, low=0, allow_none=self.minimum_norm
        )
        if self.eps is None and not self.minimum_norm:
            raise ValueError(f"The 'eps' parameter of {name} must be a float; got None.")
        if norm == "0" and self.eps is not None and not float(self.eps).is_integer():
            raise ValueError(
                f"The 'eps' parameter of {name} counts changed features under norm='0' and "
                f"must be a whole number. Got {self.eps!r} instead."
            )
        check_number(
            self.max_queries, name="max_queries", owner=name, kind=int, low=1, allow_none=True
        )
        check_bool(self.targeted, name="targeted", owner=name)
        return norm

    def _labels(
        self, X: Any, y: Any, z0: Any, oracle: Any, n_samples: int
    ) -> np.ndarray:
        name = type(self).__name__
        if y is None:
            if self.targeted:
                raise ValueError(f"{name} with targeted=True needs the target labels as y.")
            if self.max_queries is not None and self.max_queries < 2:
                raise ValueError(
                    f"{name} with y=None spends one query per sample on the model's labels "
                    f"and one on the final check, so max_queries must be at least 2. Got "
                    f"{self.max_queries} instead; pass y or raise max_queries."
                )
            return np.asarray(oracle.labels(z0, np.arange(n_samples)))
        if _n_samples(y) != n_samples:
            raise ValueError(
                f"y has {_n_samples(y)} labels but X has {n_samples} samples."
            )
        classes = oracle.classes_
        if len(classes) == 0:
            raise ValueError(f"{name}: the model's classes are unknown; pass y=None.")
        return label_indices(y, classes)


def _n_samples(X: Any) -> int:
    if hasattr(X, "shape") and len(X.shape):
        return int(X.shape[0])
    return len(X)


def _numpy(x: Any) -> np.ndarray:
    if is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def check_positive_int(value: Any, *, name: str, owner: str, low: int = 1) -> None:
    """Shared check for counts such as ``steps`` and ``restarts``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int in the range [{low}, inf). "
            f"Got {value!r} instead."
        )
