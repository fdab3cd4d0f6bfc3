"""``robustness_report``: honest robustness numbers for one model and a set of attacks.

The figure that matters is the worst case per sample (DESIGN.md section 5): a sample is
robust only if the model classifies it correctly and no attack fooled it. Every attack is
cloned (the user's objects are never changed), given the report's feature space and a
seed, run on the correctly classified samples only, and every success it claims is
re-checked by predicting the returned rows with the model; the size of each perturbation
is measured on the returned rows as well. The report then raises the
sanity flags AutoAttack raises (Croce & Hein, 2020): a black-box attack stronger than the
white-box ones, zero gradients, robust accuracy rising with eps, randomized outputs; and
its own: successes the model does not confirm, rows returned outside the budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ..._version import __version__
from ...results._json import SCHEMA_VERSION as SCHEMA_VERSION  # re-export
from ...results._robustness import (
    AttackResult,
    CurvePoint,
    FeatureUse,
    RobustnessReport,
    SanityFlag,
)
from .._base import Attack
from .._export_check import load_export, report_export_check
from .._inference import inference_state
from .._space import check_input_data
from ._majority import majority_class_flags
from ._run import (
    ZERO_NORM,
    ModelView,
    Run,
    attack_settings,
    check_attacks,
    default_space,
    draw_seed,
    feature_names,
    json_safe,
    labels_of,
    n_samples,
    norm_name,
    numbered,
    prepare,
    run_attack,
    white_box,
)

#: an attack's ``feature_space`` setting when it is the report's own
SHARED_SPACE = "(the report's feature_space)"
#: outputs of two identical model calls further apart than this are "randomized"
RANDOMIZED_TOLERANCE = 1e-6


def robustness_report(
    model: Any,
    X: Any,
    y: Any,
    attacks: Sequence[Attack],
    *,
    eps: Sequence[float] | Mapping[Any, Sequence[float]] | None = None,
    feature_space: Any = None,
    random_state: Any = None,
    export: Any = None,
) -> RobustnessReport:
    """Evaluate a model against several attacks, worst case per sample.

    Parameters
    ----------
    model : classifier, Booster, torch module or callable
        The model every attack targets (each attack's own ``model`` is replaced by it).
    X : DataFrame, ndarray or tensor of shape (n_samples, ...)
        Evaluation data; never modified.
    y : array-like of shape (n_samples,)
        True labels, in the model's label space.
    attacks : list of Attack
        Untargeted attacks, each with its own ``eps`` and ``norm``. They are cloned; the
        objects passed are not changed.
    eps : sequence of float or mapping {norm: sequence of float}, optional
        Budgets of the accuracy-vs-eps curve: every attack (of that norm, for a mapping)
        is cloned with each of these ``eps`` and the worst case per norm and eps is
        reported. Default: one point per distinct ``eps`` of the attacks themselves.
    feature_space : FeatureSpace, optional
        Given to every attack that has neither a ``feature_space`` nor ``bounds``.
        Default for tables: ``FeatureSpace.from_frame(X)``, so ``eps`` is in standard
        deviations of all of ``X`` for every attack.
    random_state : int, RandomState or None
        Seeds the attacks that have no ``random_state`` of their own (one seed per
        attack, the same at every eps). Same inputs and seed: same report.
    export : path, bytes, onnx.ModelProto, treelite.Model or classifier, optional
        The exported version of ``model`` (ONNX, Treelite): :func:`check_export` compares
        its classes with the model's on ``X`` and, for tree models TreeAttack reads, on
        TreeAttack's minimal adversarial rows (seeded by ``random_state``). Loaded and
        checked before the attacks run; the result is ``settings["export_check"]``
        (counts, the first 100 disagreeing rows as ``X``'s index labels, the largest score
        gap), as ``advval attack --export`` gives it.

    Returns
    -------
    RobustnessReport

    Notes
    -----
    Misclassified samples are not robust by definition and are not attacked. A sample
    counts as fooled when the model misclassifies the row the attack returned (a claimed
    success the model does not confirm is flagged, not counted). Perturbation sizes are
    measured on the returned rows too, in the units of each attack's ``eps``; a missing
    value (NaN) left as it is, numeric or categorical, is no change. A returned row
    farther than ``eps`` is flagged ``out_of_budget``.

    A torch model is never moved and is left exactly as found (modes, buffers,
    ``requires_grad`` flags, ``.grad``), also when the report fails. A model in training
    mode is evaluated in eval mode, with a warning: the figure describes the model as it
    runs at inference (in training mode dropout makes every prediction random and
    batch-norm would use, and update, the statistics of each batch).

    Raises
    ------
    ValueError
        Among others: ``X`` holds +-inf (tables: NaN is a missing value and is kept as
        it is; images: NaN too), or the model returns a NaN or infinite score; an
        ``export`` that cannot be read or checked (``ExportCheckError``, a ValueError
        whose message starts with ``export:``).

    See Also
    --------
    make_robust_scorer : robust accuracy as a scikit-learn scorer.
    advval.report.render_robustness_markdown, advval.report.render_robustness_json

    References
    ----------
    F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble
    of diverse parameter-free attacks", ICML 2020 (AutoAttack and its sanity flags).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks import SquareAttack
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> report = robustness_report(model, X, y, [SquareAttack(None, eps=0.3, steps=20)],
    ...                            eps=[0.1, 0.3], random_state=0)
    >>> report.clean_accuracy, report.robust_accuracy < report.clean_accuracy
    (0.99, True)
    >>> [(p.norm, p.eps) for p in report.curve], report.flags
    ([('inf', 0.1), ('inf', 0.3)], ())
    """
    owner = "robustness_report"
    attacks = check_attacks(attacks, owner=owner)
    sweep = _check_eps(eps, owner)
    n = n_samples(X)
    if n == 0:
        raise ValueError(f"{owner} got 0 samples; at least 1 is required.")
    if n_samples(y) != n:
        raise ValueError(f"y has {n_samples(y)} labels but X has {n} samples.")
    check_input_data(X, owner=owner)
    exported = None if export is None else load_export(export)
    with inference_state(model, owner=owner):
        return _report(model, X, y, attacks, sweep, eps, feature_space, random_state, exported)


def _report(
    model: Any,
    X: Any,
    y: Any,
    attacks: list[Attack],
    sweep: dict[str, list[float]] | None,
    eps: Any,
    feature_space: Any,
    random_state: Any,
    exported: tuple[Any, str] | None = None,
) -> RobustnessReport:
    """The body of :func:`robustness_report`, its arguments checked."""
    n = n_samples(X)
    view = ModelView(model, X)
    first = view.outputs(X)
    second = view.outputs(X)
    y_idx = view.indices(y)
    correct = labels_of(first) == y_idx
    space = default_space(X, feature_space)
    rng = None if random_state is None else check_random_state(random_state)
    names = numbered([type(a).__name__ for a in attacks])
    columns = feature_names(X)

    runs: list[Run] = []
    fooled_at: dict[tuple[int, float], np.ndarray] = {}  # (attack, eps) -> fooled rows
    for i, attack in enumerate(attacks):
        seed = draw_seed(rng)
        prepared = prepare(attack, model=model, feature_space=space, seed=seed)
        run = run_attack(prepared, view, X, y, correct, changes=bool(columns))
        runs.append(run)
        for value in _budgets(run.attack, sweep):
            if run.attack.eps is not None and float(run.attack.eps) == value:
                fooled_at[i, value] = run.fooled
                continue
            swept = prepare(attack, model=model, feature_space=space, seed=seed, eps=value)
            fooled_at[i, value] = run_attack(swept, view, X, y, correct, changes=False).fooled

    results = tuple(
        _attack_result(name, run, n, columns, space) for name, run in zip(names, runs, strict=True)
    )
    fooled_any = np.zeros(int(correct.sum()), dtype=bool)
    for run in runs:
        fooled_any |= run.fooled
    curve = _curve(runs, names, fooled_at, n)
    flags = (
        _randomized_flags(first, second)
        + _run_flags(runs, names)
        + _blackbox_flags(runs, names)
        + _rising_flags(curve)
        + majority_class_flags(first, y_idx, view.classes_)
    )
    settings = {
        "eps": json_safe(eps),
        "feature_space": "FeatureSpace.from_frame(X)"
        if feature_space is None and space is not None
        else json_safe(feature_space),
        "random_state": json_safe(random_state),
    }
    if exported is not None:  # TreeAttack's seed: the report's own, or the next draw
        own = rng is None or isinstance(random_state, (int, np.integer))
        seed = random_state if own else draw_seed(rng)
        settings["export_check"] = report_export_check(model, exported, X, space, seed)
    return RobustnessReport(
        n_samples=n,
        n_correct=int(correct.sum()),
        clean_accuracy=float(correct.mean()),
        robust_accuracy=float(correct.sum() - fooled_any.sum()) / n,
        attacks=results,
        features=_feature_use(runs, columns),
        curve=curve,
        flags=tuple(flags),
        settings=settings,
        advval_version=__version__,
    )


def _budgets(attack: Attack, sweep: dict[str, list[float]] | None) -> list[float]:
    """The eps values of the curve this attack runs at (its own eps without a sweep)."""
    if sweep is None:
        return [] if attack.eps is None else [float(attack.eps)]
    return sweep.get(norm_name(attack), sweep.get("*", []))


def _check_eps(eps: Any, owner: str) -> dict[str, list[float]] | None:
    """``None`` or {norm or "*": sorted distinct budgets}."""
    if eps is None:
        return None
    message = (
        f"The 'eps' parameter of {owner} must be a non-empty sequence of floats in the "
        "range [0, inf), a mapping {norm: such a sequence}, or None. "
        f"Got {eps!r} instead."
    )
    items = eps.items() if isinstance(eps, Mapping) else [("*", eps)]
    out = {}
    for key, values in items:
        if isinstance(values, np.ndarray):
            values = values.ravel().tolist()
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(message)
        if not all(_is_real(v) and 0 <= float(v) < math.inf for v in values):
            raise ValueError(message)
        norm = key if key == "*" else _canonical(key, owner)
        out[norm] = sorted({float(v) for v in values})
    return out


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _canonical(norm: Any, owner: str) -> str:
    from .._norms import canonical_norm

    return canonical_norm(norm, owner=owner)


def _attack_result(
    name: str, run: Run, n: int, columns: tuple[str, ...], space: Any
) -> AttackResult:
    attacked = len(run.rows)
    settings = attack_settings(run.attack)
    if space is not None and run.attack.feature_space is space:
        settings["feature_space"] = SHARED_SPACE
    fooled = run.fooled
    norms = run.norms[fooled]
    eps = run.attack.eps
    return AttackResult(
        name=name,
        attack=type(run.attack).__name__,
        norm=norm_name(run.attack),
        eps=None if eps is None else float(eps),
        white_box=white_box(run.attack),
        n_attacked=attacked,
        n_success=int(run.success.sum()),
        n_fooled=int(fooled.sum()),
        success_rate=_share(run.success.sum(), attacked),
        fooling_rate=_share(fooled.sum(), attacked),
        robust_accuracy=float(attacked - fooled.sum()) / n,
        norm_median=float(np.median(norms)) if norms.size else math.nan,
        norm_mean=float(np.mean(norms)) if norms.size else math.nan,
        queries_median=float(np.median(run.queries)) if attacked else math.nan,
        queries_max=int(run.queries.max()) if attacked else 0,
        seconds=run.seconds,
        feature_frequency=_frequencies(run, columns),
        settings=settings,
    )


def _share(count: Any, total: int) -> float:
    return float(count) / total if total else math.nan


def _frequencies(run: Run, columns: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    if run.changed is None or not run.fooled.any():
        return ()
    share = run.changed[run.fooled].mean(axis=0)
    return tuple((name, float(f)) for name, f in zip(columns, share, strict=True))


def _feature_use(runs: list[Run], columns: tuple[str, ...]) -> tuple[FeatureUse, ...]:
    blocks = [r.changed[r.fooled] for r in runs if r.changed is not None and r.fooled.any()]
    if not blocks or not columns:
        return ()
    changed = np.concatenate(blocks)
    counts = changed.sum(axis=0)
    order = sorted(range(len(columns)), key=lambda j: (-int(counts[j]), j))
    return tuple(
        FeatureUse(columns[j], int(counts[j]), float(counts[j]) / len(changed)) for j in order
    )


def _curve(
    runs: list[Run], names: list[str], fooled_at: dict[tuple[int, float], np.ndarray], n: int
) -> tuple[CurvePoint, ...]:
    groups: dict[tuple[str, float], list[int]] = {}
    for i, value in fooled_at:
        groups.setdefault((norm_name(runs[i].attack), value), []).append(i)
    points = []
    for (norm, value), members in sorted(groups.items(), key=lambda kv: (_norm_order(kv[0][0]),
                                                                         kv[0][1])):
        n_correct = len(runs[0].rows)
        union = np.zeros(n_correct, dtype=bool)
        own = []
        for i in sorted(members):
            fooled = fooled_at[i, value]
            union |= fooled
            own.append((names[i], float(n_correct - fooled.sum()) / n))
        points.append(CurvePoint(norm, value, float(n_correct - union.sum()) / n, tuple(own)))
    return tuple(points)


def _norm_order(norm: str) -> int:
    return ("inf", "2", "0").index(norm)


def _randomized_flags(first: np.ndarray, second: np.ndarray) -> list[SanityFlag]:
    gap = float(np.max(np.abs(first - second))) if first.size else 0.0
    if not gap > RANDOMIZED_TOLERANCE:
        return []
    return [
        SanityFlag(
            "randomized_outputs",
            f"The model's outputs differ between two identical calls (largest difference "
            f"{gap:.3g}): a randomized model needs attacks that average over its "
            "randomness (EOT); robust accuracy is likely overestimated.",
        )
    ]


def _run_flags(runs: list[Run], names: list[str]) -> list[SanityFlag]:
    flags = []
    for name, run in zip(names, runs, strict=True):
        eps = run.attack.eps
        attacked = len(run.rows)
        unconfirmed = int((run.success & ~run.fooled).sum())
        if unconfirmed:
            flags.append(SanityFlag(
                "unverified_successes",
                f"{name} claims {unconfirmed} successes that the model does not confirm on "
                "the returned rows (rounding or a dtype conversion of the output?); they are "
                "not counted.",
                name,
            ))
        if eps is not None and attacked and _over_budget(run, float(eps)).any():
            over = int(_over_budget(run, float(eps)).sum())
            flags.append(SanityFlag(
                "out_of_budget",
                f"{name} returned {over} row(s) farther than eps={eps:g} from the originals "
                f"(largest {float(run.norms.max()):.4g}, measured on the returned rows); its "
                "successes are not comparable.",
                name,
            ))
        budget = eps is None or eps > 0
        if budget and attacked and not run.fooled.any() and run.norms.max() <= ZERO_NORM:
            flags.append(SanityFlag(
                "zero_gradients",
                f"{name} fooled no sample and left every row unchanged although eps="
                f"{'None' if eps is None else f'{eps:g}'}: its gradients (or scores) may be "
                "zero or masked; try a black-box attack.",
                name,
            ))
    return flags


def _over_budget(run: Run, eps: float) -> np.ndarray:
    """Rows whose measured perturbation exceeds ``eps`` beyond float rounding."""
    slack = 0.0 if run.slack is None else run.slack
    return run.norms > eps * (1 + 1e-6) + 1e-6 + slack


def _blackbox_flags(runs: list[Run], names: list[str]) -> list[SanityFlag]:
    flags = []
    for name, run in zip(names, runs, strict=True):
        # an ensemble (AutoAttack) whose black-box stage fooled what its white-box ones missed
        wins = int(getattr(run.attack, "blackbox_wins_", 0))
        if wins:
            flags.append(SanityFlag(
                "blackbox_stronger",
                f"{name}: its black-box stage fooled {wins} samples that its white-box "
                "stages did not: the gradients are weak here (gradient masking, too few "
                "steps).",
                name,
            ))
        if white_box(run.attack) or run.attack.eps is None:
            continue
        norm, eps = norm_name(run.attack), float(run.attack.eps)
        whites = [
            i for i, other in enumerate(runs)
            if white_box(other.attack) and norm_name(other.attack) == norm
            and (other.attack.eps is None or float(other.attack.eps) >= eps)
        ]
        if not whites:
            continue
        beaten = np.zeros(len(run.rows), dtype=bool)
        for i in whites:
            beaten |= runs[i].fooled
        extra = int((run.fooled & ~beaten).sum())
        if extra:
            listed = ", ".join(names[i] for i in whites)
            reasons = "; ".join(dict.fromkeys(type(runs[i].attack).weak_because for i in whites))
            flags.append(SanityFlag(
                "blackbox_stronger",
                f"{name} (black-box) fooled {extra} samples that no white-box attack "
                f"({listed}) fooled under the same norm with at least the same eps: the "
                f"white-box attacks are weak here ({reasons}).",
                name,
            ))
    return flags


def _rising_flags(curve: tuple[CurvePoint, ...]) -> list[SanityFlag]:
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for point in curve:
        for name, accuracy in point.attacks:
            series.setdefault((name, point.norm), []).append((point.eps, accuracy))
    flags = []
    for (name, _), values in series.items():
        for k in range(1, len(values)):
            low_eps, low_acc = min(values[:k], key=lambda v: (v[1], v[0]))
            eps, accuracy = values[k]
            if accuracy > low_acc:
                flags.append(SanityFlag(
                    "robust_accuracy_rising",
                    f"{name}: robust accuracy rises from {low_acc:.3f} at eps={low_eps:g} to "
                    f"{accuracy:.3f} at eps={eps:g}; a larger budget can only make an attack "
                    "stronger, so the attack is failing to optimize (gradient masking?).",
                    name,
                ))
                break
    return flags
