"""Missing values on a real table: never attacked, never a budget violation, CLI == Python.

Issue 15: on a real table of 1,341 rows, two rows with a missing category put an
"out of budget ... not comparable" flag on all three default attacks of ``advval attack``
(a missing code compared unequal to itself, so each such row counted one category change
of cost 1 > eps). The table here is the bundled NYC flights data (summer side): its
numeric columns have real missing values (cancelled flights), and two attacked rows get a
missing carrier. The model is a LightGBM classifier trained the way users train one
(pandas categories), saved to a file for the command line and used as the same object in
Python; a scikit-learn pipeline that reads the categories as text is checked the same way.
"""

from __future__ import annotations

import json
import pickle

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from advval.attacks import FeatureSpace, HopSkipJump, SquareAttack, TreeAttack, robustness_report
from advval.cli import cli
from advval.cli._attack import _sample
from advval.datasets import load_flights
from advval.report import render_robustness_json

N_ROWS = 1341
MAX_ROWS = 150
MAX_QUERIES = 20
EPS = 0.3
SEED = 0


def _split(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Features, and whether the flight left from JFK (the label)."""
    return frame.drop(columns=["origin"]), (frame["origin"] == "JFK").to_numpy().astype(int)


class Overreach(SquareAttack):
    """SquareAttack whose rows move twice as far after its final projection (a broken attack)."""

    def _to_internal(self, X, domain):
        self._z0 = super()._to_internal(X, domain)
        return self._z0

    def _from_internal(self, z, X, domain):
        return super()._from_internal(2 * z - self._z0, X, domain)


@pytest.fixture(scope="module")
def flights(tmp_path_factory):
    """The model (object and file), the DATA file and its rows as Python sees them."""
    train, test = load_flights()
    X_train, y_train = _split(train)
    model = lgb.LGBMClassifier(
        n_estimators=30, num_leaves=15, verbose=-1, n_jobs=1, random_state=0
    ).fit(X_train, y_train)
    X, y = _split(test.iloc[:N_ROWS].reset_index(drop=True))
    for name in ("carrier", "dest"):  # the categories the model was trained with
        X[name] = X[name].cat.set_categories(X_train[name].cat.categories)
    rows = _sample(N_ROWS, MAX_ROWS, SEED)  # the rows the command line attacks
    correct = rows[model.predict(X.iloc[rows]) == y[rows]]
    missing = correct[[0, len(correct) // 2]]
    X.loc[missing, "carrier"] = np.nan  # two attacked rows with a missing category
    folder = tmp_path_factory.mktemp("flights")
    model.booster_.save_model(folder / "model.txt")
    X.assign(jfk=y).to_csv(folder / "data.csv", index=False)
    return {"model": model, "X": X, "y": y, "rows": rows, "missing": missing,
            "folder": folder, "X_train": X_train, "y_train": y_train}


def _attacks(cls=SquareAttack):
    return [TreeAttack(None, eps=EPS, max_queries=MAX_QUERIES),
            cls(None, eps=EPS, max_queries=MAX_QUERIES),
            HopSkipJump(None, eps=EPS, max_queries=MAX_QUERIES)]


def _python_report(flights, attacks):
    """robustness_report as the command line runs it: its sample, units from all rows."""
    X, y, rows = flights["X"], flights["y"], flights["rows"]
    return robustness_report(
        flights["model"], X.iloc[rows], y[rows], attacks,
        feature_space=FeatureSpace.from_frame(X), random_state=SEED,
    )


def test_the_table_is_real_shaped(flights):
    X, rows, missing = flights["X"], flights["rows"], flights["missing"]
    assert X.shape == (N_ROWS, 8) and X["carrier"].isna().sum() == 2
    attacked = X.iloc[rows]
    numeric = attacked.select_dtypes("number")
    assert numeric.isna().any(axis=1).sum() >= 2  # real missing delays among attacked rows
    assert set(missing) <= set(rows)


def _command_line(model_file, flights, *options):
    """The JSON report of ``advval attack MODEL DATA`` on the flights file."""
    result = CliRunner().invoke(cli, [
        "attack", str(model_file), str(flights["folder"] / "data.csv"), "--target", "jfk",
        "--format", "json", "--max-rows", str(MAX_ROWS), "--max-queries", str(MAX_QUERIES),
        "--eps", str(EPS), "--seed", str(SEED), "--quiet", *options,
    ])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_same(cli_report, report):
    """The command line's JSON and a Python report agree on everything but the settings."""
    python_report = json.loads(render_robustness_json(report))
    for key in ("flags", "n_samples", "n_correct", "clean_accuracy", "robust_accuracy",
                "features", "curve"):
        assert cli_report[key] == python_report[key], key
    for ours, theirs in zip(cli_report["attacks"], python_report["attacks"], strict=True):
        ours.pop("settings"), theirs.pop("settings")
        assert ours == theirs


def test_command_line_and_python_give_the_same_report_and_no_flag(flights):
    cli_report = _command_line(flights["folder"] / "model.txt", flights)
    assert cli_report["settings"]["attacks"] == ["tree", "square", "hopskipjump"]
    report = _python_report(flights, _attacks())
    assert report.flags == ()
    _assert_same(cli_report, report)
    assert 0 < report.robust_accuracy < report.clean_accuracy  # the attacks do fool some


def test_a_scikit_learn_model_file_gives_the_same_report_and_no_flag(flights):
    # a pipeline that reads the categories as text (missing ones as NaN), as most do
    cats = ["carrier", "dest"]
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    model = make_pipeline(
        make_column_transformer((encoder, cats), remainder="passthrough"),
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
    ).fit(flights["X_train"].astype({c: str for c in cats}), flights["y_train"])
    model_file = flights["folder"] / "pipeline.pkl"
    model_file.write_bytes(pickle.dumps(model))
    cli_report = _command_line(model_file, flights, "--trust-model")
    assert cli_report["settings"]["attacks"] == ["square", "hopskipjump"]
    X = pd.read_csv(flights["folder"] / "data.csv")  # the user's frame: text categories
    y = X.pop("jfk").to_numpy()
    rows = flights["rows"]
    attacks = [SquareAttack(None, eps=EPS, max_queries=MAX_QUERIES),
               HopSkipJump(None, eps=EPS, max_queries=MAX_QUERIES)]
    report = robustness_report(model, X.iloc[rows], y[rows], attacks,
                               feature_space=FeatureSpace.from_frame(X), random_state=SEED)
    assert report.flags == ()
    _assert_same(cli_report, report)
    assert 0 < report.robust_accuracy < report.clean_accuracy


def test_missing_values_stay_missing_and_cost_nothing(flights):
    X, y, rows = flights["X"], flights["y"], flights["rows"]
    space = FeatureSpace.from_frame(X)
    attacked, labels = X.iloc[rows], y[rows]
    for attack in _attacks():
        attack.set_params(model=flights["model"], feature_space=space, random_state=SEED)
        out = attack.generate(attacked, labels)
        pd.testing.assert_frame_equal(out.isna(), attacked.isna())
        assert np.all(attack.norms_ <= EPS * (1 + 1e-7) + 1e-7)
    domain = space.bind(attacked)
    z0 = domain.encode(attacked)
    assert domain.distance(z0, z0, "inf").max() == 0.0
    for norm in ("inf", "2", "0"):  # moving only a numeric column: exactly that move
        moved = z0.copy()
        moved[:, 1] += 0.25 * domain.scale[1]  # sched_dep_hour, never missing
        assert np.allclose(domain.distance(moved, z0, norm), 1.0 if norm == "0" else 0.25)


def test_a_row_really_out_of_budget_is_still_flagged(flights):
    report = _python_report(flights, _attacks(Overreach))
    codes = {(f.code, f.attack) for f in report.flags}
    assert ("out_of_budget", "Overreach") in codes
    assert not {c for c in codes if c[0] == "out_of_budget" and c[1] != "Overreach"}
    (flag,) = [f for f in report.flags if f.code == "out_of_budget"]
    overreach = report.attacks[1]
    # twice the budget, less what rounding the whole-minute delays (integer columns by
    # default: floats of whole numbers) toward the original takes off
    assert 1.95 * EPS < overreach.norm_median <= 2 * EPS * (1 + 1e-3)
    assert f"farther than eps={EPS:g}" in flag.message


def test_attacks_never_create_a_missing_value(flights):
    # HopSkipJump starts from rows of the other class; one with a missing carrier used to
    # hand its NaN to the row it starts (a category moved into "missing", counted as one
    # category change)
    X, y, rows = flights["X"].copy(), flights["y"], flights["rows"]
    X.loc[X.index[::7], "carrier"] = np.nan
    space = FeatureSpace.from_frame(X)
    attacked = X.iloc[rows]
    attack = HopSkipJump(flights["model"], eps=2.0, max_queries=100, feature_space=space,
                         random_state=SEED)
    out = attack.generate(attacked, y[rows])
    pd.testing.assert_frame_equal(out.isna(), attacked.isna())
    assert attack.success_.mean() > 0.5
    domain = space.bind(attacked)
    z0 = domain.encode(attacked)
    candidate = z0 + 0.1 * domain.scale
    candidate[:, [0, 2, 6]] = np.nan  # day, dep_delay, carrier: a value made missing
    out = domain.finalize(candidate, z0, 0.5, "inf")
    np.testing.assert_array_equal(out[:, [0, 2, 6]], z0[:, [0, 2, 6]])
    sizes = domain.distance(out, z0, "inf")  # the other moves stay (within bounds)
    # arr_delay and air_time, whole minutes, are integer columns by default: their move of
    # 0.1 units is rounded toward the original (a whole number of minutes)
    assert domain.integer[[3, 4]].all()
    whole = max(np.floor(0.1 * domain.scale[c]) / domain.scale[c] for c in (3, 4))
    assert np.all(sizes <= 0.1 + 1e-9) and np.median(sizes) == pytest.approx(whole)
