"""A scikit-learn classifier that trains a PyTorch MLP on a table, ready to be attacked.

The fitted ``module_`` takes the rows as encoded by ``feature_space_`` (raw numeric
values; label-coded categories as codes) and does its own preprocessing: a first layer
holds the numeric columns' mean and standard deviation as buffers, and categorical columns
are one-hot encoded inside the module. So the gradient attacks differentiate from the raw
numeric columns of the user's DataFrame to the logits, and the rows they return are rows
the user can feed back to ``predict``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..._frames import array_column_names
from ..._validation import check_number
from .._inference import inference_state
from .._space import FeatureSpace
from ._optim import adam_step

_OWNER = "TorchTabularClassifier"


class TabularMLP(torch.nn.Module):
    """An MLP over encoded table rows: standardizes numeric, one-hot encodes categories.

    Float64 throughout: tables are small, and predictions then do not depend on how rows
    are batched (float32 matrix products differ by ~1e-7 between batch sizes).

    Parameters
    ----------
    mean, std : ndarray of shape (n_numeric,)
        Statistics of the numeric columns (kept as buffers).
    numeric : sequence of int
        Positions of the numeric columns in the input rows.
    categorical : sequence of (int, int)
        ``(position, number of categories)`` of each label-coded column (codes 0..k-1).
    hidden : sequence of int
        Widths of the hidden layers (ReLU).
    n_outputs : int
        Number of logits.
    generator : torch.Generator
        Source of the initial weights.
    """

    mean: torch.Tensor
    std: torch.Tensor
    numeric: torch.Tensor

    def __init__(
        self,
        *,
        mean: np.ndarray,
        std: np.ndarray,
        numeric: Sequence[int],
        categorical: Sequence[tuple[int, int]],
        hidden: Sequence[int],
        n_outputs: int,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float64))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float64))
        self.register_buffer("numeric", torch.as_tensor(list(numeric), dtype=torch.long))
        self.categorical = [(int(j), int(k)) for j, k in categorical]
        width = len(numeric) + sum(k for _, k in self.categorical)
        layers: list[torch.nn.Module] = []
        for size in (*hidden, n_outputs):
            linear = torch.nn.utils.skip_init(
                torch.nn.Linear, width, size, dtype=torch.float64
            )
            bound = 1.0 / math.sqrt(width)
            with torch.no_grad():
                for tensor in (linear.weight, linear.bias):
                    noise = torch.rand(tensor.shape, generator=generator, dtype=torch.float64)
                    tensor.copy_((noise * 2 - 1) * bound)
            layers += [linear, torch.nn.ReLU()]
            width = size
        self.net = torch.nn.Sequential(*layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (n, n_outputs) for encoded rows ``x`` of shape (n, n_features)."""
        parts = [(x[:, self.numeric] - self.mean) / self.std]
        for j, k in self.categorical:
            codes = x[:, j].long().clamp(0, k - 1)
            parts.append(F.one_hot(codes, k).to(parts[0].dtype))
        return self.net(torch.cat(parts, 1))


class TorchTabularClassifier(ClassifierMixin, BaseEstimator):
    """An MLP classifier for tables (DataFrames or arrays), trained with PyTorch.

    Numeric columns are standardized inside the network and categorical (text, category,
    boolean) columns one-hot encoded inside it, so the network reads the raw values of a
    DataFrame. It is a regular scikit-learn classifier (Pipelines, ``clone``,
    ``GridSearchCV``) and a white-box target for the gradient attacks, which differentiate
    through ``module_`` from the numeric columns (categorical columns stay frozen).

    Parameters
    ----------
    hidden : tuple of int, default=(64, 64)
        Widths of the hidden ReLU layers.
    epochs : int, default=100
        Passes over the training data.
    lr : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=64
        Rows per gradient step.
    weight_decay : float, default=0.0
        Adam weight decay (L2 penalty).
    random_state : int, RandomState or None, default=None
        Seeds the initial weights and the batch order (a local ``torch.Generator``). With
        an int, two fits give the same model.
    device : str, default="cpu"
        Torch device to train and predict on (``"cuda"``...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when fitted on a DataFrame with string column names.
    feature_space_ : FeatureSpace
        ``FeatureSpace.from_frame(X_train)``: the encoding the network reads (category
        codes) and the default domain of the attacks on this model.
    module_ : torch.nn.Module
        The trained network (float64, in eval mode): encoded rows -> logits
        (n, n_classes). Predictions always run it in eval mode and leave it as found.
    loss_curve_ : list of float
        Mean training loss per epoch.

    See Also
    --------
    advval.attacks.PGD : attack the fitted model (``PGD(clf, eps=0.5).generate(X)``).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "c": ["a", "a", "b", "b"] * 5})
    >>> y = [0, 0, 1, 1] * 5
    >>> clf = TorchTabularClassifier(hidden=(8,), epochs=30, lr=0.05, random_state=0)
    >>> clf.fit(X, y).predict(X.head(4)).tolist()
    [0, 0, 1, 1]
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        *,
        epochs: int = 100,
        lr: float = 1e-3,
        batch_size: int = 64,
        weight_decay: float = 0.0,
        random_state: Any = None,
        device: str = "cpu",
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device

    def fit(self, X: Any, y: Any) -> TorchTabularClassifier:
        """Train the network.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Arrays must be numeric; use a DataFrame for categorical columns.
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._check_params()
        frame, y = self._check_data(X, y, reset=True)
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{_OWNER} needs at least 2 classes in y; got 1 class: {self.classes_[0]!r}."
            )
        self.feature_space_ = FeatureSpace.from_frame(frame)
        domain = self.feature_space_.bind(frame)
        Z = _finite(domain.encode(frame))
        coded = domain.label_coded
        numeric = np.flatnonzero(~coded)
        mean = Z[:, numeric].mean(0) if len(Z) else np.zeros(len(numeric))
        std = Z[:, numeric].std(0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        generator = torch.Generator().manual_seed(
            int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        )
        module = TabularMLP(
            mean=mean,
            std=std,
            numeric=numeric.tolist(),
            categorical=[(j, len(v)) for j, v in sorted(domain.categories.items())],
            hidden=tuple(self.hidden),
            n_outputs=len(self.classes_),
            generator=generator,
        )
        device = torch.device(self.device)
        module.to(device)
        self.loss_curve_ = _train(
            module,
            torch.as_tensor(Z, dtype=torch.float64),
            torch.as_tensor(target, dtype=torch.long),
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            generator=generator,
            device=device,
        )
        self.module_ = module.eval()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "module_")
        frame, _ = self._check_data(X, None, reset=False)
        Z = _finite(self.feature_space_.bind(frame).encode(frame))
        device = next(self.module_.parameters()).device
        with torch.no_grad(), inference_state(self, owner=f"{_OWNER}.predict_proba"):
            logits = self.module_(torch.as_tensor(Z, dtype=torch.float64, device=device))
        return logits.softmax(1).double().cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels, shape (n_samples,)."""
        check_is_fitted(self, "module_")
        return self.classes_[self.predict_proba(X).argmax(1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # -- checks ----------------------------------------------------------------------------

    def _check_params(self) -> None:
        hidden = self.hidden
        if not isinstance(hidden, (tuple, list)) or not all(
            isinstance(h, numbers.Integral) and not isinstance(h, bool) and h >= 1
            for h in hidden
        ):
            raise ValueError(
                f"The 'hidden' parameter of {_OWNER} must be a tuple of positive ints. "
                f"Got {hidden!r} instead."
            )
        check_number(self.epochs, name="epochs", owner=_OWNER, kind=int, low=1)
        check_number(self.batch_size, name="batch_size", owner=_OWNER, kind=int, low=1)
        check_number(self.lr, name="lr", owner=_OWNER, low=0, closed="neither")
        check_number(self.weight_decay, name="weight_decay", owner=_OWNER, low=0)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ValueError(
                f"The 'device' parameter of {_OWNER} must be a torch device such as 'cpu' or "
                f"'cuda'. Got {self.device!r} instead."
            ) from None

    def _check_data(self, X: Any, y: Any, *, reset: bool) -> tuple[pd.DataFrame, Any]:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(f"Found array with 0 sample(s) while {_OWNER} needs 1.")
            frame = X.set_axis([str(c) for c in X.columns], axis=1)
            if reset:
                if y is None:
                    raise ValueError(
                        f"{_OWNER} requires y to be passed, but the target y is None."
                    )
                y = column_or_1d(y, warn=True)
                if len(y) != len(frame):
                    raise ValueError(
                        f"X has {len(frame)} samples but y has {len(y)}; they must match."
                    )
            return frame, y
        if reset:
            array, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        else:
            array = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return pd.DataFrame(array, columns=array_column_names(array.shape[1], prefix="")), y


def _finite(Z: np.ndarray) -> np.ndarray:
    if not np.isfinite(Z).all():
        raise ValueError(
            f"Input X contains NaN or infinity; {_OWNER} needs complete rows (impute first)."
        )
    return Z


def _train(
    module: torch.nn.Module,
    Z: torch.Tensor,
    target: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float,
    generator: torch.Generator,
    device: torch.device,
) -> list[float]:
    """Minibatch Adam on the cross-entropy; returns the mean loss per epoch."""
    params = list(module.parameters())
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    Z, target = Z.to(device), target.to(device)
    n = len(Z)
    curve = []
    step = 0
    module.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            loss = F.cross_entropy(module(Z[rows]), target[rows])
            grads = torch.autograd.grad(loss, params)
            step += 1
            with torch.no_grad():
                for p, g, (m, v) in zip(params, grads, moments, strict=True):
                    p.sub_(adam_step(g + weight_decay * p if weight_decay else g, m, v, step, lr))
            total += loss.detach() * len(rows)
        curve.append(total)
    return [float(value) / n for value in curve]
