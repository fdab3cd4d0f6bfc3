"""The model as a black box: every row it is asked about is counted against a budget.

A :class:`QueryOracle` turns any model into two functions on the attack's internal float
matrix (see :class:`~advval.attacks._space.Domain`): ``scores`` (class probabilities) and
``labels`` (class indices). It decodes rows back into what the model expects (a DataFrame
with the original dtypes, so scikit-learn Pipelines with encoders work), records how many
rows were sent for each sample, and refuses to exceed ``max_queries`` per sample.

Supported models: anything with ``predict_proba`` and ``classes_`` (scikit-learn,
``LGBMClassifier``, Pipelines), anything with only ``predict`` (labels only), a LightGBM
``Booster`` (binary and multi-class), an XGBoost ``Booster`` (its margins through the
logistic or softmax link), and a ``torch.nn.Module`` returning logits (one
logit means a binary model).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class QueryBudgetError(RuntimeError):
    """An attack asked for more model queries than ``max_queries`` allows (a bug)."""


class QueryOracle:
    """Counted access to a model's outputs.

    Parameters
    ----------
    model : estimator, Booster, nn.Module or callable
    domain : Domain or BoxDomain
        Decodes internal rows into the model's input.
    like : DataFrame, ndarray or tensor
        The attacked input, giving the model's input type and dtypes.
    n_samples : int
        Number of samples being attacked (one query counter each).
    max_queries : int, optional
        Hard per-sample budget.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks._space import Box
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> oracle = QueryOracle(model, Box().bind(X), X, n_samples=4, max_queries=2)
    >>> oracle.labels(X, np.arange(4)).tolist()
    [0, 0, 1, 1]
    >>> oracle.queries.tolist()
    [1, 1, 1, 1]
    """

    def __init__(
        self,
        model: Any,
        domain: Any,
        like: Any,
        *,
        n_samples: int,
        max_queries: int | None = None,
    ) -> None:
        self.model = model
        self.domain = domain
        self.like = like
        self.max_queries = max_queries
        self.queries = np.zeros(n_samples, dtype=np.int64)
        self.kind = model_kind(model)
        self.classes_ = model_classes(model, self.kind)

    @property
    def n_classes(self) -> int:
        """Number of classes the model predicts."""
        return len(self.classes_)

    @property
    def has_scores(self) -> bool:
        """Whether the model exposes class probabilities."""
        return self.kind != "labels"

    def remaining(self, rows: np.ndarray) -> np.ndarray:
        """Queries left for each sample in ``rows`` (a large number when unbounded)."""
        if self.max_queries is None:
            return np.full(len(rows), np.iinfo(np.int64).max // 4)
        return self.max_queries - self.queries[rows]

    def _count(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        counts = np.bincount(rows, minlength=len(self.queries))
        if self.max_queries is not None and np.any(self.queries + counts > self.max_queries):
            worst = int(np.argmax(self.queries + counts))
            raise QueryBudgetError(
                f"Sample {worst} would be queried {int(self.queries[worst] + counts[worst])} "
                f"times, over max_queries={self.max_queries}."
            )
        self.queries += counts

    def scores(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (len(Z), n_classes); counts one query per row."""
        if not self.has_scores:
            raise TypeError(
                f"{type(self.model).__name__} has no predict_proba: this attack needs class "
                "scores. Use HopSkipJump (labels only) or TreeAttack."
            )
        self._count(rows)
        if len(Z) == 0:
            return np.empty((0, self.n_classes))
        return model_scores(self.model, self.kind, self._model_input(Z))

    def labels(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Predicted class indices; counts one query per row."""
        if self.has_scores:
            return self.scores(Z, rows).argmax(1)
        self._count(rows)
        if len(Z) == 0:
            return np.empty(0, dtype=np.int64)
        predicted = np.asarray(self.model.predict(self._model_input(Z)))
        return label_indices(predicted, self.classes_, name="model.predict output")

    def subset(self, rows: np.ndarray) -> OracleView:
        """The same counters seen through local row numbers ``0..len(rows)-1``."""
        return OracleView(self, np.asarray(rows, dtype=np.int64))

    def _model_input(self, Z: np.ndarray) -> Any:
        decoded = self.domain.decode(Z, self.like) if hasattr(self.domain, "decode") else Z
        if self.kind == "torch":
            import torch

            param = next(iter(self.model.parameters()), None)
            device = param.device if param is not None else "cpu"
            dtype = param.dtype if param is not None and param.is_floating_point() else None
            return torch.as_tensor(np.asarray(decoded, dtype=np.float64), device=device).to(
                dtype or torch.get_default_dtype()
            )
        if isinstance(self.like, np.ndarray) and np.issubdtype(self.like.dtype, np.floating):
            return np.asarray(decoded).astype(self.like.dtype)
        return decoded


class OracleView:
    """A :class:`QueryOracle` restricted to some samples, numbered from 0.

    Queries are counted (and budgeted) on the parent's samples ``rows[local]``.
    """

    def __init__(self, parent: QueryOracle, rows: np.ndarray) -> None:
        self.parent, self.rows = parent, rows

    def __getattr__(self, name: str) -> Any:  # n_classes, has_scores, classes_, like...
        return getattr(self.parent, name)

    def remaining(self, rows: np.ndarray) -> np.ndarray:
        """Queries left for the local samples ``rows``."""
        return self.parent.remaining(self.rows[rows])

    def scores(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Class probabilities, counted on the parent's samples."""
        return self.parent.scores(Z, self.rows[rows])

    def labels(self, Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Predicted class indices, counted on the parent's samples."""
        return self.parent.labels(Z, self.rows[rows])


def model_kind(model: Any) -> str:
    """``"proba"``, ``"labels"``, ``"booster"``, ``"xgboost"``, ``"torch"`` or ``"callable"``.

    Examples
    --------
    >>> from sklearn.svm import LinearSVC
    >>> model_kind(LinearSVC())
    'labels'
    """
    module = type(model).__module__
    if module.startswith("lightgbm") and type(model).__name__ == "Booster":
        return "booster"
    if module.startswith("xgboost") and type(model).__name__ == "Booster":
        return "xgboost"
    if _is_torch_module(model):
        return "torch"
    if hasattr(model, "predict_proba"):
        return "proba"
    if hasattr(model, "predict"):
        return "labels"
    if callable(model):
        return "callable"
    raise TypeError(
        f"Cannot attack a {type(model).__name__}: expected a classifier with predict_proba or "
        "predict, a LightGBM Booster, a torch.nn.Module or a callable returning probabilities."
    )


def _is_torch_module(model: Any) -> bool:
    for klass in type(model).__mro__:
        if klass.__module__.startswith("torch.nn") and klass.__name__ == "Module":
            return True
    return False


def model_classes(model: Any, kind: str) -> np.ndarray:
    """The class labels, in the order of the model's probability columns."""
    if kind in ("proba", "labels"):
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise ValueError(
                f"{type(model).__name__} has no 'classes_': fit the model before attacking it."
            )
        return np.asarray(classes)
    if kind == "booster":
        n_class = int(model.params.get("num_class", 1)) if hasattr(model, "params") else 1
        dump = model.dump_model(num_iteration=1)
        n_class = int(dump.get("num_class", n_class))
        return np.arange(max(n_class, 2))
    if kind == "xgboost":
        import json

        param = json.loads(model.save_config())["learner"]["learner_model_param"]
        return np.arange(max(int(param["num_class"]), 2))
    if kind == "torch":
        return np.arange(0)  # set from the first forward pass
    return np.arange(0)


def model_scores(model: Any, kind: str, data: Any) -> np.ndarray:
    """Class probabilities of ``model`` on ``data`` as a float64 array (n, n_classes)."""
    if kind == "proba":
        proba = np.asarray(model.predict_proba(data), dtype=np.float64)
    elif kind == "booster":
        proba = np.asarray(model.predict(data), dtype=np.float64)
    elif kind == "xgboost":
        proba = _xgboost_proba(model, data)
    elif kind == "torch":
        import torch

        with torch.no_grad():
            logits = model(data)
        if not bool(torch.isfinite(logits).all()):  # a logit of -inf too: no gradient there
            check_finite_outputs(logits.detach().double().cpu().numpy(), model, "logits")
        proba = logits_to_proba(logits).double().cpu().numpy()
    else:
        proba = np.asarray(model(data), dtype=np.float64)
    check_finite_outputs(proba, model, "probabilities")
    if proba.ndim == 1:
        proba = np.column_stack([1.0 - proba, proba])
    return proba


def _xgboost_proba(booster: Any, data: Any) -> np.ndarray:
    """Class probabilities of an XGBoost Booster (binary:logistic, multi:softprob and
    multi:softmax alike: from the margins, which every objective predicts)."""
    import xgboost

    if hasattr(data, "columns"):
        matrix = xgboost.DMatrix(data, enable_categorical=True)
    else:
        matrix = xgboost.DMatrix(
            data, feature_names=booster.feature_names, feature_types=booster.feature_types,
            enable_categorical=True,
        )
    margin = np.asarray(booster.predict(matrix, output_margin=True), dtype=np.float64)
    if margin.ndim == 1 or margin.shape[1] == 1:
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-margin.reshape(-1)))
    e = np.exp(margin - margin.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def check_finite_outputs(values: np.ndarray, model: Any, what: str) -> None:
    """Raise ``ValueError`` when some row of a model's outputs is NaN or infinite.

    Attacks and robustness figures need a probability or a logit per class: a NaN score
    makes every comparison false, so an attack would "fail" and the sample would count
    as robust. The check is one vectorized ``isfinite`` over outputs already computed.

    Examples
    --------
    >>> check_finite_outputs(np.array([[0.5, 0.5], [np.nan, 0.2]]), "model", "probabilities")
    Traceback (most recent call last):
    ...
    ValueError: The model (str) returned NaN or infinite probabilities for 1 of 2 rows; ...
    """
    values = np.asarray(values)
    if values.ndim == 0 or len(values) == 0 or np.isfinite(values).all():
        return
    bad = int((~np.isfinite(values.reshape(len(values), -1))).any(1).sum())
    raise non_finite_outputs(model, what, bad, len(values))


def non_finite_outputs(model: Any, what: str, bad: int, n_rows: int) -> ValueError:
    """The error for a model that returned NaN or infinite scores on ``bad`` rows.

    The model is named by its class (a TorchScript module by the class it was scripted
    from).
    """
    name = getattr(model, "original_name", None)
    name = name if isinstance(name, str) and name else type(model).__name__
    return ValueError(
        f"The model ({name}) returned NaN or infinite {what} for {bad} of "
        f"{n_rows} rows; attacks and robustness figures need finite scores. Check the "
        "model on these inputs (missing values it cannot read, a division by zero, the log "
        "of 0)."
    )


def logits_to_proba(logits: Any) -> Any:
    """Softmax over classes; a single logit (shape (n,) or (n, 1)) is a binary sigmoid."""
    if logits.ndim == 1 or logits.shape[-1] == 1:
        p = logits.reshape(-1).sigmoid()
        return p.unsqueeze(1) * p.new_tensor([-1.0, 1.0]) + p.new_tensor([1.0, 0.0])
    return logits.softmax(-1)


def label_indices(y: Any, classes: np.ndarray, *, name: str = "y") -> np.ndarray:
    """Map labels to positions in ``classes``, with a clear error for unknown labels.

    Examples
    --------
    >>> label_indices(["b", "a"], np.array(["a", "b"])).tolist()
    [1, 0]
    """
    values = np.asarray(y.detach().cpu().numpy() if hasattr(y, "detach") else y)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}.")
    lookup = {(c.item() if isinstance(c, np.generic) else c): i for i, c in enumerate(classes)}
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = value.item() if isinstance(value, np.generic) else value
        if key not in lookup:
            raise ValueError(
                f"{name} contains the label {key!r}, which the model does not predict; its "
                f"classes are {list(lookup)[:10]!r}."
            )
        out[i] = lookup[key]
    return out
