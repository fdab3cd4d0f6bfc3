"""``log_report``: a drift, dependency, robustness or image report logged to MLflow.

The numbers come from the report's JSON document (the one ``render_json`` writes and
``advval.report.json_schema`` describes): the headline figures and the top columns or
attacks as metrics, how the check was set up as params, and the HTML and JSON reports as
artifacts. MLflow is imported only when :func:`log_report` runs
(``pip install "advval[mlflow]"``, which installs the light ``mlflow-skinny``).

Keys follow MLflow's rules on every system: ``<prefix>/<kind>/<name>``, where a column
or attack name keeps its letters, digits, ``_``, ``-``, ``.`` and spaces, any other
character becomes ``_``, at most 100 characters are kept, and a name that would collide
with another one (or was cut) ends with ``_`` and 8 hex digits of its SHA-1.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._compat import require
from .._validation import check_number
from ..report._sink import render_report
from ..results import (
    DependencyReport,
    DriftReport,
    ImageRobustnessReport,
    RobustnessReport,
    json_ready,
)

_OWNER = "log_report"
#: characters kept in a key part (MLflow also accepts ':' and any Unicode letter, except
#: on Windows for ':'; these are safe on every system and store)
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. ]")
#: characters kept of one column or attack name in a key
MAX_NAME_CHARS = 100
#: MLflow's longest param value
MAX_PARAM_CHARS = 6000


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class _KeyParts:
    """Names made into unique, valid key parts (one instance per group of names)."""

    def __init__(self) -> None:
        self._owner: dict[str, str] = {}  # part -> the name it stands for

    def __call__(self, name: object) -> str:
        """The key part of ``name``.

        Examples
        --------
        >>> parts = _KeyParts()
        >>> parts("age (years)"), parts("a/b"), parts("a_b"), parts("..")
        ('age _years_', 'a_b', 'a_b_eb2980a5', '_')
        """
        text = str(name)
        part = _UNSAFE.sub("_", text)
        part = "_" if not part.strip(". ") else part  # "", ".", "..": not a path segment
        if len(part) > MAX_NAME_CHARS:
            part = f"{part[: MAX_NAME_CHARS - 9]}_{_digest(text)}"
        if self._owner.setdefault(part, text) != text:
            part = f"{part[: MAX_NAME_CHARS - 9]}_{_digest(text)}"
            self._owner.setdefault(part, text)
        return part


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str):
        raise TypeError(f"The 'prefix' parameter of {_OWNER} must be a str. Got {prefix!r}.")
    segments = prefix.split("/")
    if prefix and (
        _UNSAFE.search(prefix.replace("/", ""))
        or len(prefix) > MAX_NAME_CHARS
        or any(not s.strip(". ") for s in segments)
    ):
        raise ValueError(
            f"The 'prefix' parameter of {_OWNER} must be at most {MAX_NAME_CHARS} letters, "
            "digits, '_', '-', '.' or spaces, in segments separated by single '/' (no empty, "
            f"'.' or '..' segment). Got {prefix!r} instead."
        )
    return prefix


def _document(report: Any) -> dict[str, Any]:
    if not isinstance(
        report, (DriftReport, DependencyReport, RobustnessReport, ImageRobustnessReport)
    ):
        raise TypeError(
            f"The 'report' parameter of {_OWNER} must be a DriftReport, DependencyReport, "
            f"RobustnessReport or ImageRobustnessReport (advval.report.build_drift_report, "
            f"build_dependency_report, advval.attacks.robustness_report, "
            f"advval.image.evaluate_robustness). Got {type(report).__name__}."
        )
    document: dict[str, Any] = json_ready(report.to_dict())
    return document


def _drift_metrics(doc: Mapping[str, Any], top: int) -> dict[str, Any]:
    features = doc["features"]
    out = {
        "auc": doc["auc"],
        "auc_ci_low": doc["auc_ci"][0],
        "auc_ci_high": doc["auc_ci"][1],
        "p_value": doc["p_value"],
        "classifier_p_value": doc["classifier_p_value"],
        "drift": doc["drift"],
        "n_train": doc["n_train"],
        "n_test": doc["n_test"],
        "n_train_used": doc["n_train_used"],
        "n_test_used": doc["n_test_used"],
        "n_features": doc["n_features"],
        "n_drifted_columns": sum(bool(f["drift"]) for f in features),
        "n_leaks": len(doc["leaks"]),
        "n_segments": len(doc["segments"]),
    }
    without = doc.get("without_leaks")
    if without:
        out["without_leaks_auc"] = without["auc"]
        out["without_leaks_drift"] = without["drift"]
    baseline = doc.get("baseline")
    if baseline:
        out["baseline_failed"] = baseline.get("failed")
        for status in ("accepted", "new", "grown", "resolved"):
            if isinstance(baseline.get(status), list):
                out[f"baseline_{status}"] = len(baseline[status])
    part = _KeyParts()
    for feature in features[:top]:
        name = part(feature["name"])
        for measure in ("importance", "statistic", "p_value", "drift"):
            out[f"columns/{name}/{measure}"] = feature[measure]
    return out


def _deps_metrics(doc: Mapping[str, Any], top: int) -> dict[str, Any]:
    out = {
        "n_rows": doc["n_rows"],
        "n_features": doc["n_features"],
        "n_redundant": len(doc["redundant"]),
        "n_id_like": len(doc["id_like"]),
        "n_near_duplicates": len(doc["near_duplicates"]),
        "n_row_order": len(doc["row_order"]),
        "row_order_score": doc["row_order_score"],
    }
    if doc["leaking"] is not None:
        out["n_leaking"] = len(doc["leaking"])
    if doc["shift"]:
        out["n_shifted"] = sum(bool(s["shifted"]) for s in doc["shift"])
    part = _KeyParts()
    for feature in doc["features"][:top]:
        name = part(feature["name"])
        for measure in ("score", "p_value", "redundant"):
            out[f"columns/{name}/{measure}"] = feature[measure]
    return out


def _robustness_metrics(doc: Mapping[str, Any], top: int) -> dict[str, Any]:
    out = {
        "n_samples": doc["n_samples"],
        "n_correct": doc["n_correct"],
        "clean_accuracy": doc["clean_accuracy"],
        "robust_accuracy": doc["robust_accuracy"],
        "n_flags": len(doc["flags"]),
    }
    if "examples" in doc:
        out["n_examples"] = 0 if doc["examples"] is None else doc["examples"]["n"]
    part = _KeyParts()
    for attack in doc["attacks"]:
        name = part(attack["name"])
        for measure in ("robust_accuracy", "fooling_rate", "success_rate", "norm_median",
                        "queries_median"):
            out[f"attacks/{name}/{measure}"] = attack[measure]
    for point in doc["curve"]:
        eps = _UNSAFE.sub("_", f"{point['eps']:g}") if point["eps"] is not None else "none"
        out[f"curve/{point['norm']}/eps_{eps}/robust_accuracy"] = point["robust_accuracy"]
    return out


#: report kind -> its metrics, from its JSON document and the number of top columns
METRICS: dict[str, Callable[[Mapping[str, Any], int], dict[str, Any]]] = {
    "drift": _drift_metrics,
    "deps": _deps_metrics,
    "robustness": _robustness_metrics,
    "image_robustness": _robustness_metrics,
}
#: report kind -> top-level keys of its document logged as params (besides ``settings``)
PARAMS: dict[str, tuple[str, ...]] = {
    "drift": ("alpha", "min_effect", "min_distance", "row_budget", "train_name", "test_name"),
}


def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def report_metrics(report: Any, *, top: int = 10) -> dict[str, float]:
    """The metrics :func:`log_report` logs, by key without the prefix.

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport or ImageRobustnessReport
    top : int, default=10
        Columns with metrics of their own: the first ``top`` of the report's features
        (drift: by importance; deps: by score).

    Returns
    -------
    dict of str to float
        ``<kind>/<name>`` -> value. Flags are 1.0 or 0.0; figures that are not defined
        (NaN, ``None``) are left out.

    Examples
    --------
    >>> from advval import AdversarialValidator
    >>> from advval.datasets import load_flights
    >>> from advval.report import build_drift_report
    >>> X_train, X_test = load_flights()
    >>> validator = AdversarialValidator(max_rows=600, random_state=0).fit(X_train, X_test)
    >>> metrics = report_metrics(build_drift_report(validator), top=1)
    >>> metrics["drift/drift"], sorted(k for k in metrics if k.startswith("drift/columns/"))
    (1.0, ['drift/columns/air_time/drift', 'drift/columns/air_time/importance', \
'drift/columns/air_time/p_value', 'drift/columns/air_time/statistic'])
    """
    check_number(top, name="top", owner=_OWNER, kind=int, low=0)
    return _metrics(_document(report), top)


def _metrics(document: Mapping[str, Any], top: int) -> dict[str, float]:
    kind = document["kind"]
    values = METRICS[kind](document, top)
    return {f"{kind}/{key}": float(value) for key, value in values.items() if value is not None}


def report_params(report: Any) -> dict[str, str]:
    """The params :func:`log_report` logs, by key without the prefix.

    The report's ``settings`` (each one a param) and, for drift, ``alpha``,
    ``min_effect``, ``min_distance``, ``row_budget`` and the input names; plus
    ``advval_version`` and ``schema_version``. Values are strings: text as it is, other
    values as JSON, cut to 6,000 characters.
    """
    return _params(_document(report))


def _params(document: Mapping[str, Any]) -> dict[str, str]:
    kind = document["kind"]
    values: dict[str, Any] = {
        "advval_version": document["advval_version"],
        "schema_version": document["schema_version"],
    }
    values.update({key: document[key] for key in PARAMS.get(kind, ()) if key in document})
    part = _KeyParts()
    for key in values:
        part(key)
    for key, value in document["settings"].items():
        name = part(key)
        values.setdefault(name, value)
    return {f"{kind}/{key}": _param_value(value) for key, value in values.items()}


def log_report(
    report: Any,
    *,
    prefix: str = "advval",
    top: int = 10,
    artifacts: bool = True,
    run_name: str | None = None,
) -> str:
    """Log a report to MLflow: metrics, params, and the HTML and JSON reports as artifacts.

    Logs into the active run (``mlflow.start_run()``) if there is one, else into a new
    run of the active experiment, which is ended (``FINISHED``, or ``FAILED`` if logging
    fails). The tracking URI and experiment are MLflow's own settings
    (``mlflow.set_tracking_uri``, ``MLFLOW_TRACKING_URI``...).

    Parameters
    ----------
    report : DriftReport, DependencyReport, RobustnessReport or ImageRobustnessReport
        The result to log (``advval.report.build_drift_report``,
        ``build_dependency_report``, ``advval.attacks.robustness_report``,
        ``advval.image.evaluate_robustness``).
    prefix : str, default="advval"
        First part of every metric and param key (``advval/drift/auc``) and the artifact
        folder; ``""``: none. Two reports of one kind logged into one run need two
        prefixes (a param cannot change within a run).
    top : int, default=10
        Columns with metrics of their own (:func:`report_metrics`).
    artifacts : bool, default=True
        Also log ``<prefix>/<kind>.html`` and ``<prefix>/<kind>.json``, the reports
        ``advval.report.write_report`` writes.
    run_name : str, optional
        Name of the new run, when there is no active run (ignored otherwise).

    Returns
    -------
    str
        The run's ID.

    Raises
    ------
    ImportError
        When MLflow is not installed, with the command that installs it.
    TypeError
        When ``report`` is not one of the report classes.
    ValueError
        When the active run already has one of the params with another value (nothing
        is logged then), or ``prefix`` or ``top`` is not valid.

    See Also
    --------
    report_metrics, report_params

    Notes
    -----
    Metrics (:func:`report_metrics`): drift: ``auc``, ``auc_ci_low``, ``auc_ci_high``,
    ``p_value``, ``classifier_p_value``, ``drift`` (1 or 0), row and column counts,
    ``n_drifted_columns``, ``n_leaks``, ``n_segments``, the verdict without the leaks and
    against a baseline when the report has them, and for the top columns
    ``columns/<name>/importance``, ``statistic``, ``p_value`` and ``drift``; deps: row and
    column counts, ``n_redundant``, ``n_leaking`` (with a target), ``n_id_like``,
    ``n_near_duplicates``, ``n_shifted`` (with a comparison), ``row_order_score`` and the
    top columns' ``score``, ``p_value`` and ``redundant``; robustness and image:
    ``clean_accuracy``, ``robust_accuracy``, ``n_samples``, ``n_correct``, ``n_flags``,
    each attack's ``robust_accuracy``, ``fooling_rate``, ``success_rate``,
    ``norm_median`` and ``queries_median``, and the accuracy-vs-eps curve
    (``curve/<norm>/eps_<eps>/robust_accuracy``).

    Examples
    --------
    >>> import mlflow  # doctest: +SKIP
    >>> from advval.integrations.mlflow import log_report
    >>> with mlflow.start_run(run_name="nightly drift"):  # doctest: +SKIP
    ...     log_report(build_drift_report(validator, X_train, X_test))
    """
    check_number(top, name="top", owner=_OWNER, kind=int, low=0)
    prefix = _check_prefix(prefix)
    if run_name is not None and not isinstance(run_name, str):
        raise TypeError(f"The 'run_name' parameter of {_OWNER} must be a str or None. "
                        f"Got {run_name!r}.")
    document = _document(report)
    mlflow = require("mlflow", feature="advval.integrations.mlflow.log_report")

    def key(name: str) -> str:
        return f"{prefix}/{name}" if prefix else name

    metrics = {key(k): v for k, v in _metrics(document, top).items()}
    params = {key(k): v for k, v in _params(document).items()}
    texts = {}
    if artifacts:
        for fmt in ("html", "json"):
            texts[key(f"{document['kind']}.{fmt}")] = render_report(report, fmt)

    def write() -> None:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        for path, text in texts.items():
            mlflow.log_text(text, path)

    active = mlflow.active_run()
    if active is not None:
        logged = mlflow.get_run(active.info.run_id).data.params
        changed = sorted(k for k, v in params.items() if k in logged and logged[k] != v)
        if changed:
            raise ValueError(
                f"{_OWNER}: the active run already has the param(s) {changed[:5]} with "
                "other values (MLflow params cannot change within a run). Log this report "
                "into another run, or give it another 'prefix'."
            )
        write()
        return str(active.info.run_id)
    with mlflow.start_run(run_name=run_name) as run:
        write()
    return str(run.info.run_id)
