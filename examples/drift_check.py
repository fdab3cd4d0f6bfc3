"""Check the bundled flights data for drift and write an HTML report.

Run: ``python examples/drift_check.py [OUTPUT.html]``
"""

from __future__ import annotations

import sys

from advval import AdversarialValidator
from advval.datasets import load_flights
from advval.report import build_drift_report, render_markdown, write_report


def main(output: str = "flights_drift.html") -> None:
    X_train, X_test = load_flights()  # January-March vs July-September 2013
    validator = AdversarialValidator(random_state=0).fit(X_train, X_test)
    lo, hi = validator.auc_ci_
    print(f"AUC {validator.auc_:.3f} [{lo:.3f}, {hi:.3f}], p = {validator.p_value_:.2g}")
    print(validator.feature_report_[["importance", "statistic", "drift"]].head())
    report = build_drift_report(validator, X_train, X_test)
    print(render_markdown(report).splitlines()[0])
    write_report(report, output, format="html")
    print(f"report written to {output}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
