"""``advval --help`` stays light: the commands are listed without importing them."""

import os
import subprocess
import sys

import click
import pytest

from advval.cli import COMMANDS, SUMMARIES, cli

#: modules a command's work needs and the command list does not (seconds of CPU to import)
HEAVY = ("lightgbm", "sklearn", "scipy", "pandas", "numpy", "torch", "dask", "jinja2")

_LISTING = (
    "import sys\n"
    "from advval.cli import main\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit as exc:\n"
    "    assert exc.code in (0, None), exc.code\n"
    "print('\\x00' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))\n"
)


def _help_in_a_fresh_interpreter() -> tuple[str, list[str]]:
    """The text of ``advval --help`` and the heavy modules it imported, in a new process."""
    result = subprocess.run(
        [sys.executable, "-c", _LISTING.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    text, _, loaded = result.stdout.rpartition("\x00")
    return text, [name for name in loaded.strip().split(",") if name]


def test_help_imports_no_command_and_nothing_heavy():
    text, heavy = _help_in_a_fresh_interpreter()
    assert heavy == []
    assert "Commands:" in text
    for name in COMMANDS:
        assert f"  {name}  " in text


def test_help_lists_what_the_loaded_commands_would_say():
    """The listing from the table is the listing click writes with every command imported."""
    text, _ = _help_in_a_fresh_interpreter()
    ctx = click.Context(cli, info_name="advval", terminal_width=100)
    for name in COMMANDS:
        cli.get_command(ctx, name)
    formatter = ctx.make_formatter()
    click.Group.format_commands(cli, ctx, formatter)
    expected = formatter.getvalue()
    assert expected.startswith("Commands:")
    assert text.rstrip().endswith(expected.rstrip())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_summary_is_the_first_paragraph_of_its_command_help(name):
    ctx = click.Context(cli, info_name="advval")
    command = cli.get_command(ctx, name)
    assert command is not None
    assert command.short_help is None
    first = " ".join((command.help or "").split("\n\n")[0].split())
    assert SUMMARIES[name] == first


def test_the_summary_table_names_every_command_and_no_other():
    assert set(SUMMARIES) == set(COMMANDS)


def _heavy_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has imported after running ``code``."""
    script = (
        "import sys\n" + code + "\n"
        f"print('\\x00' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & "
        f"set({HEAVY + ('onnx', 'onnxruntime', 'xgboost', 'catboost')!r}))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = result.stdout.rpartition("\x00")[2]
    return [name for name in loaded.strip().split(",") if name]


def _help_code(name: str) -> str:
    return (
        "from advval.cli import main\n"
        "try:\n"
        f"    main([{name!r}, '--help'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )


@pytest.mark.parametrize("name", ["baseline", "diff"])
def test_help_of_a_light_command_imports_nothing_heavy(name):
    assert _heavy_after(_help_code(name)) == []


@pytest.mark.parametrize("name", ["attack", "image"])
def test_help_of_the_attack_commands_imports_no_library_but_numpy(name):
    """The option tables need NumPy at most: scikit-learn, pandas, LightGBM and torch are
    imported when the command runs (seconds of CPU a help screen does not pay)."""
    assert _heavy_after(_help_code(name)) in ([], ["numpy"])


def test_the_attack_command_imports_torch_only_for_a_torch_model(tmp_path):
    """Importing the command and loading a LightGBM model file leave torch (and the
    readers of other formats) unimported."""
    lightgbm = pytest.importorskip("lightgbm")
    rng = __import__("numpy").random.RandomState(0)
    X = rng.normal(size=(60, 3))
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        lightgbm.Dataset(X, (X[:, 0] > 0).astype(int)), num_boost_round=3,
    )
    path = tmp_path / "model.txt"
    booster.save_model(str(path))
    assert "torch" not in _heavy_after("import advval.cli._attack")
    loaded = _heavy_after(
        "from pathlib import Path\n"
        "from advval.cli._attack import _family, _load\n"
        f"model, fmt = _load(Path({str(path)!r}), False)\n"
        "assert _family(model) == 'trees', _family(model)\n"
    )
    assert "lightgbm" in loaded
    assert not {"torch", "onnx", "onnxruntime", "xgboost", "catboost"} & set(loaded)


@pytest.mark.parametrize("name", ["drift", "deps"])
def test_help_of_the_drift_and_deps_commands_imports_no_library_but_numpy(name):
    """The option defaults come from advval._defaults: LightGBM, scikit-learn and pandas
    are imported when the command runs, not for its help screen."""
    assert _heavy_after(_help_code(name)) in ([], ["numpy"])


#: (command, option's parameter name, estimator in advval, the estimator's parameter)
_SHARED_DEFAULTS = [
    ("drift", "alpha", "AdversarialValidator", "alpha"),
    ("drift", "min_effect", "AdversarialValidator", "min_effect"),
    ("drift", "min_distance", "AdversarialValidator", "min_distance"),
    ("drift", "n_splits", "AdversarialValidator", "n_splits"),
    ("drift", "max_drop", "DriftFeatureDropper", "max_drop"),
    ("deps", "alpha", "FeatureDependencyChecker", "alpha"),
    ("deps", "n_splits", "FeatureDependencyChecker", "n_splits"),
    ("deps", "max_features", "FeatureDependencyChecker", "max_features"),
]


@pytest.mark.parametrize(("name", "option", "estimator", "param"), _SHARED_DEFAULTS)
def test_a_command_default_is_its_estimator_default(name, option, estimator, param):
    """What ``--help`` shows and the command uses is what the estimator does unasked."""
    import advval

    ctx = click.Context(cli, info_name="advval")
    command = cli.get_command(ctx, name)
    assert command is not None
    [found] = [p for p in command.params if isinstance(p, click.Option) and p.name == option]
    expected = getattr(advval, estimator)().get_params()[param]
    assert expected is not None
    assert found.default == expected
    assert type(found.default) is type(expected)
    assert found.show_default


def test_the_shared_defaults_are_the_ones_documented():
    """The estimators' docstrings state the same defaults as advval._defaults."""
    import advval

    for _, _, estimator, param in _SHARED_DEFAULTS:
        value = getattr(advval, estimator)().get_params()[param]
        doc = getattr(advval, estimator).__doc__
        assert f"\n    {param} : " in doc, (estimator, param)
        entry = doc.split(f"\n    {param} : ")[1].split("\n")[0]
        assert entry.endswith(f"default={value}"), (estimator, param, entry)
