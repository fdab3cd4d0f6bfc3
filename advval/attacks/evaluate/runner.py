"""The run protocol of the evaluations, as an internal API for ``advval.image`` and the CLI.

Not a user-facing API (nothing here is in ``advval.attacks.__all__``; names may change
between releases), but the one place code outside :mod:`advval.attacks.evaluate` takes
the pieces of an honest attack run from, instead of the private module behind them.
An evaluation (the tabular :func:`~advval.attacks.robustness_report`, the image
report, the CLI's model check) runs attacks the same way:

:func:`check_attacks`
    a non-empty list of untargeted attacks, or an error naming the caller;
:func:`prepare` and :func:`draw_seed`
    a clone of each attack with the evaluation's model, space, ``eps`` and a seed drawn
    from the evaluation's generator (the user's attack objects are never changed);
:class:`ModelView`
    uncounted predictions of any attackable model, as class indices;
:func:`measure`
    the size of each returned perturbation, measured on the returned rows;
:func:`norm_name`, :func:`numbered`, :func:`json_safe`
    how a report names an attack's norm, tells repeated attacks apart and writes an
    attack's settings;
:func:`check_input_data`, :func:`inference_state`, :func:`non_finite_outputs`
    the data and the model as every attack sees them: the input check (no +-inf in a
    table, no NaN or inf in an image), the model in eval mode for the run (its modes and
    buffers restored after) and the error for a model that returns NaN or infinite
    scores. The image patch and detector use them too.

Examples
--------
>>> import numpy as np
>>> from advval.attacks import NESAttack
>>> from advval.attacks.evaluate import runner
>>> attack = NESAttack(model=None, eps=0.3)
>>> clone = runner.prepare(attack, seed=runner.draw_seed(np.random.RandomState(0)), eps=0.1)
>>> clone is attack, clone.eps, attack.eps, clone.random_state
(False, 0.1, 0.3, 209652396)
>>> runner.numbered([type(a).__name__ for a in runner.check_attacks([attack, clone], owner="f")])
['NESAttack', 'NESAttack#2']
"""

from __future__ import annotations

from .._inference import inference_state
from .._oracle import non_finite_outputs
from .._space import check_input_data
from ._run import (
    ModelView,
    check_attacks,
    draw_seed,
    json_safe,
    measure,
    norm_name,
    numbered,
    prepare,
)

__all__ = [
    "ModelView",
    "check_attacks",
    "check_input_data",
    "draw_seed",
    "inference_state",
    "json_safe",
    "measure",
    "non_finite_outputs",
    "norm_name",
    "numbered",
    "prepare",
]
