"""An evaluation's progress counter moves while an attack runs, not only when it returns.

TreeAttack on a real table runs for minutes; the counter of its stage ("TreeAttack minimal
on 947 rows 0/947") must move as its chunks of samples finish, and black-box attacks count
the rows whose search is over. Showing progress never changes a result.
"""

from __future__ import annotations

import io
import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advval import _progress
from advval._progress import advance, countdown, progress_display, stage
from advval.attacks import (
    GeneticAttack,
    HopSkipJump,
    NESAttack,
    SquareAttack,
    TreeAttack,
    robustness_report,
)
from advval.attacks.trees import attack as tree_module
from advval.cli import cli


@pytest.fixture
def counters(monkeypatch):
    """Every state of the innermost stage's counter the display is asked to show."""
    seen: list[tuple[str, int, int | None]] = []
    refresh = _progress._Display._refresh

    def spy(self, **kwargs):
        top = self._frames[-1]
        seen.append((top.name, top.done, top.total))
        return refresh(self, **kwargs)

    monkeypatch.setattr(_progress._Display, "_refresh", spy)
    return seen


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(120, 6)), columns=[f"f{j}" for j in range(6)])
    y = (X.f0 + 0.7 * X.f1 - 0.5 * X.f2 + 0.3 * rng.normal(size=120) > 0).astype(int)
    model = lgb.LGBMClassifier(
        n_estimators=20, num_leaves=4, min_child_samples=5, n_jobs=1, verbose=-1,
        random_state=0,
    ).fit(X, y)
    return model, X, y.to_numpy()


def _values(seen, prefix):
    """The counter's values shown for the stage named ``prefix...``, repeats dropped."""
    values: list[int] = []
    for name, done, _ in seen:
        if name.startswith(prefix) and (not values or values[-1] != done):
            values.append(done)
    return values


def test_tree_attack_counter_moves_chunk_by_chunk_through_robustness_report(
    monkeypatch, counters, table
):
    model, X, y = table
    # 20 trees x 6 features x 50 cells: chunks of 50 samples
    monkeypatch.setattr(tree_module, "_CHUNK_CELLS", 20 * 6 * 50)
    with progress_display(enabled=True, stream=io.StringIO()):
        loud = robustness_report(model, X, y, [TreeAttack(None)], random_state=0)
    n = loud.attacks[0].n_attacked
    assert n > 100  # three chunks: 50, 50 and the rest
    values = _values(counters, "TreeAttack minimal on ")
    totals = {total for name, _, total in counters if name.startswith("TreeAttack")}
    assert totals == {n}
    assert values == [0, 50, 100, n]  # each chunk, then no more (the attack counted all)
    quiet = robustness_report(model, X, y, [TreeAttack(None)], random_state=0)
    assert json.dumps(quiet.to_dict()) == json.dumps(loud.to_dict())


def test_tree_attack_outputs_are_the_same_with_a_display(monkeypatch, table):
    model, X, y = table
    monkeypatch.setattr(tree_module, "_CHUNK_CELLS", 20 * 6 * 30)
    silent = TreeAttack(model, random_state=0)
    X_silent = silent.generate(X, y)
    shown = TreeAttack(model, random_state=0)
    with (
        progress_display(enabled=True, stream=io.StringIO()),
        stage("run", total=len(X), shared=True),
    ):
        X_shown = shown.generate(X, y)
    pd.testing.assert_frame_equal(X_silent, X_shown)
    np.testing.assert_array_equal(silent.success_, shown.success_)
    np.testing.assert_array_equal(silent.queries_, shown.queries_)


@pytest.mark.parametrize("make", [
    lambda: SquareAttack(None, eps=1.0, steps=60),
    lambda: HopSkipJump(None, eps=0.3, steps=6, init_evals=10, max_evals=40),
    lambda: NESAttack(None, eps=1.0, steps=30, n_samples=10),
    lambda: GeneticAttack(None, eps=1.0, population_size=10, generations=20),
], ids=["square", "hopskipjump", "nes", "genetic"])
def test_black_box_attacks_count_rows_whose_search_is_over(counters, table, make):
    model, X, y = table
    with progress_display(enabled=True, stream=io.StringIO()):
        loud = robustness_report(model, X, y, [make()], random_state=0)
    n = loud.attacks[0].n_attacked
    values = _values(counters, type(make()).__name__)
    assert values[0] == 0 and values[-1] == n
    assert values == sorted(values)
    # some rows were counted while the attack ran, before its last step
    assert any(0 < v < n for v in values), values
    quiet = robustness_report(model, X, y, [make()], random_state=0)
    assert json.dumps(quiet.to_dict()) == json.dumps(loud.to_dict())


def test_the_cli_shows_the_final_count_of_a_chunked_tree_attack(
    monkeypatch, counters, table, tmp_path
):
    model, X, y = table
    monkeypatch.setattr(tree_module, "_CHUNK_CELLS", 20 * 6 * 40)
    X.assign(y=y).to_csv(tmp_path / "data.csv", index=False)
    model.booster_.save_model(tmp_path / "model.txt")
    args = ["attack", str(tmp_path / "model.txt"), str(tmp_path / "data.csv"),
            "--target", "y", "--attack", "tree", "--format", "json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    ends = [line for line in lines if "TreeAttack" in line and "done in" in line]
    assert ends, result.stderr
    n = int(ends[0].rsplit("/", 1)[1])
    assert ends[0].endswith(f"{n}/{n}")
    values = _values(counters, "TreeAttack")
    assert 40 in values and 80 in values and values[-1] == n


def test_advance_counts_only_a_shared_innermost_stage_and_never_past_its_total(counters):
    with progress_display(enabled=True, stream=io.StringIO()):
        with stage("outer", total=10, shared=True) as outer:
            assert advance(4)
            assert outer.done == 4
            with stage("inner batches", total=3):  # not shared: its units are batches
                assert not advance(2)
            assert outer.done == 4
            assert advance(100)  # an attack that over-counts stops at the total
            assert outer.done == 10
        with stage("plain", total=5) as plain:
            assert not advance(1)
            assert plain.done == 0
    assert not advance(1)  # no display


def test_countdown_counts_the_rows_that_left_since_the_last_call():
    with (
        progress_display(enabled=True, stream=io.StringIO()),
        stage("attack", total=8, shared=True) as bar,
    ):
        left = countdown(8)
        left(8)
        assert bar.done == 0
        left(5)
        assert bar.done == 3
        left(6)  # never counted back
        assert bar.done == 3
        left(0)
        assert bar.done == 8
