"""FeatureSpace.from_config: the constraints schema of ``advval attack`` from Python."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from advval.attacks import FeatureSpace
from advval.attacks._space_config import UnknownColumnsError

CONFIG = {
    "immutable": ["age"],
    "integer": ["visits"],
    "categorical": {"city": ["north", "south", "east"]},
    "one_hot": [["plan_a", "plan_b"]],
    "monotone": {"debt": "increase"},
    "bounds": {"income": [0, None], "debt": [None, 50]},
    "scale": "iqr",
    "categorical_distance": 2.0,
}


@pytest.fixture()
def X():
    rng = np.random.default_rng(0)
    n = 30
    plan = rng.integers(0, 2, n)
    return pd.DataFrame({
        "age": rng.integers(20, 70, n),
        "visits": rng.integers(0, 9, n).astype(float),  # integer values, float dtype
        "income": rng.gamma(2.0, 1.0, n),
        "debt": rng.gamma(2.0, 2.0, n),
        "city": rng.choice(["north", "south"], n),
        "plan_a": (plan == 0).astype(float),
        "plan_b": (plan == 1).astype(float),
    })


def test_every_key_reaches_the_space(X):
    space = FeatureSpace.from_config(CONFIG, X)
    assert space.immutable == ["age"]
    assert "visits" in space.integer and "age" in space.integer  # declared + from the dtype
    assert space.categorical == {"city": ["north", "south", "east"]}  # values not seen too
    assert space.one_hot == [["plan_a", "plan_b"]]
    assert space.monotone == {"debt": "increase"}
    assert space.categorical_distance == 2.0
    assert space.bounds["income"] == (0.0, math.inf)
    assert space.bounds["debt"] == (-math.inf, 50.0)
    # a column the file does not bound keeps the data range (as from_frame gives it)
    assert space.bounds["visits"] == (X["visits"].min(), X["visits"].max())
    # independently: the same declarations given to from_frame by hand
    by_hand = FeatureSpace.from_frame(
        X, immutable=["age"], integer=["age", "visits"],
        categorical={"city": ["north", "south", "east"]}, one_hot=[["plan_a", "plan_b"]],
        monotone={"debt": "increase"}, scale="iqr", categorical_distance=2.0,
    )
    domain, reference = space.bind(X), by_hand.bind(X)
    np.testing.assert_allclose(domain.scale, reference.scale)
    assert domain.categories == reference.categories
    np.testing.assert_array_equal(domain.integer, reference.integer)
    np.testing.assert_array_equal(domain.mutable, reference.mutable)
    names = list(X.columns)
    assert domain.upper[names.index("debt")] == 50.0
    assert domain.lower[names.index("income")] == 0.0


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_a_file_gives_the_same_space_as_the_mapping(X, tmp_path, suffix):
    path = tmp_path / f"rules{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(CONFIG), encoding="utf-8")
    else:
        import yaml

        path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    from_file = FeatureSpace.from_config(path, X)
    from_str = FeatureSpace.from_config(str(path), X)
    from_mapping = FeatureSpace.from_config(CONFIG, X)
    assert vars(from_file) == vars(from_mapping) == vars(from_str)


def test_the_mapping_and_the_data_are_not_modified(X):
    config = json.loads(json.dumps(CONFIG))
    before = X.copy()
    FeatureSpace.from_config(config, X)
    assert config == CONFIG
    pd.testing.assert_frame_equal(X, before)


def test_an_empty_config_is_from_frame(X):
    assert repr(FeatureSpace.from_config({}, X)) == repr(FeatureSpace.from_frame(X))


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"frozen": ["age"]}, ["unknown key(s) ['frozen']", "the constraints mapping"]),
        ({"immutable": "age"}, ["'immutable' in the constraints mapping must be a list"]),
        ({"bounds": {"income": [0]}}, ["'bounds'", "[lower, upper]"]),
        ({"scale": "mad"}, ["'scale'", '"std" or "iqr"']),
        ({"categorical_distance": -1}, ["'categorical_distance'", ">= 0"]),
        ({"monotone": {"city": "increase"}},
         ["invalid constraints in the constraints mapping", "'monotone' names categorical"]),
        ({"bounds": {"city": [0, 1]}}, ["bounds apply to numeric columns; 'city'"]),
    ],
)
def test_bad_values_name_the_key(X, config, words):
    with pytest.raises(ValueError) as info:
        FeatureSpace.from_config(config, X)
    for word in words:
        assert word in str(info.value)


def test_a_column_x_does_not_have_is_named(X):
    with pytest.raises(UnknownColumnsError) as info:
        FeatureSpace.from_config({"immutable": ["age", "zip"]}, X)
    assert isinstance(info.value, ValueError)
    assert info.value.key == "immutable" and info.value.unknown == ["zip"]
    assert "'immutable' in the constraints mapping names column(s) ['zip'] that X does " \
        "not have" in str(info.value)


def test_file_errors_name_the_file(X, tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("immutable: [age\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read the constraints file '.*rules.yaml'"):
        FeatureSpace.from_config(bad, X)
    listing = tmp_path / "rules.json"
    listing.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="rules.json' must hold a mapping"):
        FeatureSpace.from_config(listing, X)
    with pytest.raises(ValueError, match="expected a JSON .* or YAML"):
        FeatureSpace.from_config(tmp_path / "rules.txt", X)
    with pytest.raises(ValueError, match="cannot read the constraints file '.*missing.json'"):
        FeatureSpace.from_config(tmp_path / "missing.json", X)
    unknown = tmp_path / "cols.json"
    unknown.write_text(json.dumps({"integer": ["nope"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'integer' in the constraints file '.*cols.json' names"):
        FeatureSpace.from_config(unknown, X)


def test_wrong_types_are_type_errors(X):
    with pytest.raises(TypeError, match="'config' parameter of FeatureSpace.from_config"):
        FeatureSpace.from_config(["age"], X)
    with pytest.raises(TypeError, match="'X' parameter of FeatureSpace.from_config"):
        FeatureSpace.from_config({}, X.to_numpy())
