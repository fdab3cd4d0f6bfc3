"""Does the exported model predict what the native one does, on the rows that matter?

An exported tree model (ONNX) compares float32 inputs against float32 thresholds, where
the native library may compare float64 values against float64 thresholds: a row within a
float32 step of a split can take the other branch. Adversarial rows sit exactly there
(a minimal attack moves each feature just across a threshold), so the check runs on the
attacked rows and on their adversarial versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class ExportCheckError(ValueError):
    """The export check of a report could not run (an unreadable exported model, other
    classes than the model's); ``reason`` is the underlying message."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"export: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class ExportCheck:
    """Where an exported model's class differs from the native model's.

    Attributes
    ----------
    n_rows : dict of {str: int}
        Rows checked per part (``"attacked"``, and ``"adversarial"`` when given).
    disagree : dict of {str: ndarray of int}
        Positions (within each part) of the rows whose predicted classes differ.
    native_labels, exported_labels : dict of {str: ndarray}
        The two models' classes on those rows.
    max_score_gap : dict of {str: float or None}
        Largest absolute difference between the two models' class scores (probabilities),
        None when their outputs cannot be compared column by column.
    """

    n_rows: dict[str, int]
    disagree: dict[str, np.ndarray]
    native_labels: dict[str, np.ndarray] = field(repr=False)
    exported_labels: dict[str, np.ndarray] = field(repr=False)
    max_score_gap: dict[str, float | None]

    @property
    def agrees(self) -> bool:
        """Whether the two models predict the same class on every checked row."""
        return all(len(rows) == 0 for rows in self.disagree.values())

    def summary(self) -> str:
        """One line per part: rows that disagree and the largest score gap."""
        return summary(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready): counts, the first 100 disagreeing rows, gaps."""
        return {
            part: {
                "rows": self.n_rows[part],
                "disagree": len(self.disagree[part]),
                "disagreeing_rows": self.disagree[part][:100].tolist(),
                "max_score_gap": self.max_score_gap[part],
            }
            for part in self.n_rows
        }


def _exported_model(exported: Any) -> Any:
    """An attackable model from a path, bytes, an ``onnx.ModelProto`` or a model."""
    if isinstance(exported, (str, Path)):
        from ._loading import load_model

        return load_model(exported)
    if isinstance(exported, (bytes, bytearray)):
        from .trees._onnx import OnnxTreeClassifier

        return OnnxTreeClassifier.from_bytes(bytes(exported))
    if type(exported).__name__ == "ModelProto" and type(exported).__module__.startswith(
        ("onnx", "google")
    ):
        from .trees._onnx import OnnxTreeClassifier

        return OnnxTreeClassifier.from_bytes(exported.SerializeToString(), "<ModelProto>")
    if type(exported).__module__.startswith("treelite") and type(exported).__name__ == "Model":
        return TreeliteClassifier(exported)
    return exported


class TreeliteClassifier:
    """A ``treelite.Model`` (as deployed through Treelite) with ``predict_proba``.

    Predictions come from Treelite's own evaluator (``treelite.gtil.predict``), in the
    model's input type (float32 for most imports). Binary models give one probability,
    returned as ``[1 - p, p]``; classes are ``0 .. K-1``.

    Examples
    --------
    >>> import numpy as np
    >>> import treelite
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> native = RandomForestClassifier(1, max_depth=1, bootstrap=False).fit(X, y)
    >>> model = TreeliteClassifier(treelite.sklearn.import_model(native))
    >>> model.predict_proba(X)[:, 1].tolist()
    [0.0, 0.0, 1.0, 1.0]
    """

    def __init__(self, model: Any) -> None:
        import treelite

        self.model = model
        self._predict = treelite.gtil.predict
        self._dtype = np.float32 if str(model.input_type) == "float32" else np.float64
        probe = self._scores(np.zeros((1, int(model.num_feature))))
        self.classes_ = np.arange(max(probe.shape[1], 2))

    def _scores(self, X: Any) -> np.ndarray:
        rows = np.ascontiguousarray(np.asarray(X, dtype=np.float64), dtype=self._dtype)
        out = np.asarray(self._predict(self.model, rows), dtype=np.float64)
        return out.reshape(len(rows), -1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes)."""
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return np.column_stack([1.0 - scores[:, 0], scores[:, 0]])
        return scores


def check_export(native: Any, exported: Any, X: Any, X_adv: Any = None) -> ExportCheck:
    """Compare the classes an exported model predicts with the native model's.

    Parameters
    ----------
    native : classifier
        The model as trained (scikit-learn, LightGBM ``Booster`` / ``LGBMClassifier``,
        XGBoost, ...).
    exported : path, bytes, onnx.ModelProto, treelite.Model or classifier
        The exported model: an ONNX file (loaded by :func:`~advval.attacks.load_model`,
        so it is checked before anything runs), its bytes or ``ModelProto``, a Treelite
        model (evaluated by ``treelite.gtil``), or any classifier with ``predict_proba``.
    X : array-like or DataFrame of shape (n_rows, n_features)
        The attacked rows (the exported model gets them as a float array).
    X_adv : array-like or DataFrame, optional
        Their adversarial versions (e.g. ``TreeAttack(native).generate(X)``): the rows
        nearest the split thresholds, where float32 rounding flips decisions.

    Returns
    -------
    ExportCheck

    Raises
    ------
    ValueError
        The two models have different classes, or ``X_adv`` a different shape than ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> native = DecisionTreeClassifier(max_depth=1).fit(X, y)
    >>> check_export(native, native, X).agrees
    True
    """
    from .evaluate.runner import ModelView

    exported = _exported_model(exported)
    parts = {"attacked": X}
    if X_adv is not None:
        if np.shape(X_adv) != np.shape(X):
            raise ValueError(
                f"X_adv has shape {np.shape(X_adv)} but X has {np.shape(X)}: give the "
                "adversarial version of each attacked row"
            )
        parts["adversarial"] = X_adv
    mine = ModelView(native, X)
    theirs = ModelView(exported, X)
    same_classes = [str(c) for c in np.asarray(mine.classes_)] == [
        str(c) for c in np.asarray(theirs.classes_)
    ]
    if not same_classes:
        raise ValueError(
            f"the exported model's classes {np.asarray(theirs.classes_).tolist()[:10]!r} are "
            f"not the native model's {np.asarray(mine.classes_).tolist()[:10]!r}"
        )
    n_rows, disagree, native_labels, exported_labels, gaps = {}, {}, {}, {}, {}
    for part, rows in parts.items():
        a = mine.outputs(rows)
        b = theirs.outputs(_as_float(rows))
        la = a.astype(np.int64) if a.ndim == 1 else a.argmax(1)
        lb = b.astype(np.int64) if b.ndim == 1 else b.argmax(1)
        differ = np.flatnonzero(la != lb)
        n_rows[part] = len(la)
        disagree[part] = differ
        native_labels[part] = np.asarray(mine.classes_)[la[differ]]
        exported_labels[part] = np.asarray(theirs.classes_)[lb[differ]]
        gaps[part] = (
            float(np.max(np.abs(a - b), initial=0.0)) if a.shape == b.shape and a.ndim == 2
            else None
        )
    return ExportCheck(n_rows, disagree, native_labels, exported_labels, gaps)


def _as_float(rows: Any) -> Any:
    """Rows as the float array an exported model reads (a DataFrame's values)."""
    if hasattr(rows, "to_numpy"):
        return rows.to_numpy(dtype=np.float64)
    return rows


def summary(found: dict[str, Any]) -> str:
    """One line per part of an export check's plain values (:meth:`ExportCheck.as_dict`,
    or a report's ``settings["export_check"]``): rows that disagree, largest score gap."""
    lines = []
    for part, values in found.items():
        if not isinstance(values, dict):  # the "file" entry of a report's setting
            continue
        gap = values["max_score_gap"]
        gap_text = "n/a" if gap is None else f"{gap:.3g}"
        lines.append(
            f"{part} rows: {values['disagree']} of {values['rows']} predicted differently by "
            f"the export; largest score gap {gap_text}"
        )
    return "\n".join(lines)


def exported_name(exported: Any) -> str:
    """How a report names the exported model: its path, or what kind of object it is."""
    if isinstance(exported, (str, Path)):
        return str(exported)
    if isinstance(exported, (bytes, bytearray)):
        return "<bytes>"
    return f"<{type(exported).__module__.split('.')[0]}.{type(exported).__name__}>"


def export_setting(
    model: Any, exported: Any, X: Any, *, feature_space: Any = None, random_state: Any = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The export check a robustness report carries (``settings["export_check"]``).

    :func:`check_export` on the attacked rows ``X`` and, for a model
    :class:`~advval.attacks.TreeAttack` reads, on its minimal adversarial rows (the rows
    nearest the thresholds). Disagreeing rows are given as ``X``'s index labels for a
    DataFrame (positions otherwise), the first 100 of each part.

    Parameters
    ----------
    model : classifier
        The native model.
    exported : path, bytes, onnx.ModelProto, treelite.Model or classifier
        As in :func:`check_export` (an already loaded model is used as it is).
    X : array-like or DataFrame
        The attacked rows.
    feature_space : FeatureSpace, optional
        The space TreeAttack searches in (the report's).
    random_state : int, RandomState or None
        TreeAttack's seed.
    name : str, optional
        The setting's ``"file"`` (default: :func:`exported_name` of ``exported``).

    Returns
    -------
    dict
        ``{"file": name, "attacked": {...}, "adversarial": {...}}`` as in
        :meth:`ExportCheck.as_dict`; no ``"adversarial"`` part for models TreeAttack does
        not read.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> native = DecisionTreeClassifier(max_depth=1).fit(X, y)
    >>> found = export_setting(native, native, X, random_state=0)
    >>> found["file"], found["adversarial"]["disagree"]
    ('<sklearn.DecisionTreeClassifier>', 0)
    """
    from .trees._ensemble import read_ensemble

    X_adv = None
    try:
        read_ensemble(model)
    except (TypeError, ValueError):
        pass  # not a tree model TreeAttack reads: the attacked rows only
    else:
        from .trees.attack import TreeAttack

        X_adv = TreeAttack(model, feature_space=feature_space,
                           random_state=random_state).generate(X)
    found = check_export(model, exported, X, X_adv).as_dict()
    index = getattr(X, "index", None)
    if index is not None:  # positions in X -> X's row labels
        for part in found.values():
            part["disagreeing_rows"] = [
                int(index[i]) if isinstance(index[i], (int, np.integer)) else str(index[i])
                for i in part["disagreeing_rows"]
            ]
    return {"file": exported_name(exported) if name is None else name, **found}


def load_export(export: Any) -> tuple[Any, str]:
    """A report's ``export`` as a model to check, and its name; loaded (and an ONNX file
    checked) before any attack runs."""
    try:
        return _exported_model(export), exported_name(export)
    except (ValueError, TypeError) as exc:
        raise ExportCheckError(str(exc)) from exc


def report_export_check(
    model: Any, loaded: tuple[Any, str], X: Any, feature_space: Any, random_state: Any,
) -> dict[str, Any]:
    """:func:`export_setting` for a report, its failures raised as :class:`ExportCheckError`."""
    exported, name = loaded
    try:
        return export_setting(model, exported, X, feature_space=feature_space,
                              random_state=random_state, name=name)
    except (ValueError, TypeError) as exc:
        raise ExportCheckError(str(exc)) from exc
