"""The ``majority_class`` sanity flag: accuracies that mostly count the common class.

A default-risk model (8% defaults) that answers "no default" for nearly every row is 93%
accurate, and no attack can lower that much: robust accuracy then counts the common
class's rows, not how easily an answer flips. :func:`robustness_report` raises the flag
(and ``advval attack`` reports it from there) when the labels are imbalanced and the
model does less than halfway better than always answering the most common class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...results._robustness import SanityFlag
from ._run import labels_of

#: labels this imbalanced (the most common class's share) can make accuracy say little
MAJORITY_SHARE = 0.75


def majority_class_message(predicted: np.ndarray, y: np.ndarray) -> str | None:
    """Why the accuracies say little, when the labels ``y`` are imbalanced and the
    ``predicted`` labels are less than halfway better than always answering the most
    common class (from its share to 1); else ``None``.

    Parameters
    ----------
    predicted, y : ndarray of shape (n_samples,)
        The model's labels and the true ones, in the same label space.

    Returns
    -------
    str or None

    Examples
    --------
    >>> y = np.array([0] * 92 + [1] * 8)
    >>> print(majority_class_message(np.array([0] * 98 + [1] * 2), y))  # doctest: +ELLIPSIS
    The model answers 0 for 98.0% of the attacked rows and 92% of them are 0: always ...
    >>> majority_class_message(y.copy(), y) is None  # it finds the rare class
    True
    """
    values, counts = np.unique(y, return_counts=True)
    common = values[int(np.argmax(counts))]
    share = float(counts.max() / len(y))
    accuracy = float(np.mean(predicted == y))
    if share < MAJORITY_SHARE or accuracy >= share + (1 - share) / 2:
        return None
    answered = float(np.mean(predicted == common))
    rare = y != common
    found = int(np.sum(predicted[rare] == y[rare]))
    return (
        f"The model answers {common} for {answered:.1%} of the attacked rows and "
        f"{share:.0%} of them are {common}: always answering {common} scores {share:.3f}, "
        f"about its clean accuracy {accuracy:.3f} (it gets {found} of the {int(rare.sum())} "
        f"rows of the other classes right). The accuracies mostly count rows of class "
        f"{common}, which no small change needs to keep; attack the rows of the rarer "
        "classes (a DATA file of them) to see how easily its answers on them flip."
    )


def majority_class_flags(outputs: np.ndarray, y_idx: np.ndarray, classes: Any) -> list[SanityFlag]:
    """The flag (a list of none or one) for a model's ``outputs`` on rows labelled ``y_idx``.

    ``outputs`` are :meth:`ModelView.outputs` (scores or class positions), ``y_idx`` the
    true labels as positions in ``classes``; the message names the classes as the model
    does (their positions, when the model names none).
    """
    predicted = labels_of(np.asarray(outputs))
    truth = np.asarray(y_idx, dtype=np.int64)
    names = np.asarray(classes)
    if predicted.size and names.ndim == 1 and len(names) > max(predicted.max(), truth.max()):
        message = majority_class_message(names[predicted], names[truth])
    else:
        message = majority_class_message(predicted, truth)
    return [] if message is None else [SanityFlag("majority_class", message)]
