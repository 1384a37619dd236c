"""params.yaml -> one typed, frozen config; mistakes are errors that name the key."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from gitops_ml.config import ConfigError, load_params, parse_params
from gitops_ml.schema import load_schema
from tests.support.data import contract
from tests.support.project import ROOT


@pytest.fixture
def raw():
    """The repository's params with a known split and gate, whatever a team set there."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["split"] = {
        "by": "time",
        "train": {"start": "2013-01-01", "end": "2013-07-01"},
        "test": {"start": "2013-07-01", "end": "2013-10-01"},
        "reference": {"start": "2013-04-01", "end": "2013-07-01"},
        "production": {"start": "2013-10-01", "end": "2014-01-01"},
    }
    params["gate"] = {"metrics": {"roc_auc": {"minimum": 0.6}}}
    return params


def test_repository_params_load_and_fit_the_repository_schema():
    params = load_params(ROOT / "params.yaml")
    assert params.train.model in ("hist_gradient_boosting", "linear", "random_forest")
    assert params.train.hyperparameters() == getattr(params.train, params.train.model).model_dump()
    params.check_against(load_schema(ROOT / "schema.yaml"))


def test_params_that_contradict_the_schema_name_the_key(raw):
    prices = contract("prices")  # a regression without a timestamp
    raw["drift"]["columns"] = {"no_such_column": {"method": "ks"}}
    raw["evaluate"]["slices"] = ["no_such_slice"]
    raw["drift"]["performance"] = {"metric": "roc_auc", "max_drop": None}
    with pytest.raises(ConfigError) as raised:
        parse_params(raw).check_against(prices)
    message = str(raised.value)
    for key in ("gate.metrics", "drift.performance.metric", "split.by", "drift.columns", "evaluate.slices"):
        assert key in message, message


def test_project_name_and_fractions_are_checked(raw):
    raw["project"] = {"name": "My Project"}
    with pytest.raises(ConfigError, match=r"project\.name: String should match pattern"):
        parse_params(raw)
    raw["project"] = {"name": "churn-model"}
    assert parse_params(raw).project.identifier == "churn_model"
    raw["split"] = {"by": "random", "fractions": {"train": 0.7, "test": 0.2, "production": 0.2}}
    with pytest.raises(ConfigError, match="must be 1"):
        parse_params(raw)
    raw["split"] = {"by": "time"}
    with pytest.raises(ConfigError, match="split by time needs the window"):
        parse_params(raw)


def test_a_table_must_be_named(raw):
    del raw["data"]["source"]
    with pytest.raises(ConfigError, match=r"data\.source: Field required"):
        parse_params(raw)


def test_config_is_frozen(raw):
    params = parse_params(raw)
    with pytest.raises(pydantic.ValidationError):
        params.train.seed = 1


def test_misspelt_key_is_named(raw):
    raw["train"]["hist_gradient_boosting"]["learnin_rate"] = 0.2
    with pytest.raises(ConfigError, match=r"train\.hist_gradient_boosting\.learnin_rate: unknown key"):
        parse_params(raw)


def test_wrong_type_is_named(raw):
    raw["train"]["hist_gradient_boosting"]["max_iter"] = "many"
    with pytest.raises(ConfigError, match=r"train\.hist_gradient_boosting\.max_iter: .*integer"):
        parse_params(raw)


def test_unknown_model_type_is_named(raw):
    raw["train"]["model"] = "xgboost"
    with pytest.raises(ConfigError, match=r"train\.model: Input should be"):
        parse_params(raw)


def test_out_of_range_value_is_named(raw):
    raw["train"]["hist_gradient_boosting"]["learning_rate"] = -1
    with pytest.raises(ConfigError, match=r"learning_rate: Input should be greater than 0"):
        parse_params(raw)


def test_unordered_window_is_an_error(raw):
    raw["split"]["test"] = {"start": "2013-09-01", "end": "2013-08-01"}
    with pytest.raises(ConfigError, match=r"split\.test: .*must be after start"):
        parse_params(raw)


def test_test_window_may_not_overlap_training(raw):
    raw["split"]["test"] = {"start": "2013-06-01", "end": "2013-08-01"}
    with pytest.raises(ConfigError, match="look-ahead"):
        parse_params(raw)


def test_unknown_gate_metric_option_is_named(raw):
    raw["gate"]["metrics"]["roc_auc"]["minimun"] = 0.7
    with pytest.raises(ConfigError, match=r"gate\.metrics\.roc_auc\.minimun: unknown key"):
        parse_params(raw)


def test_unreadable_file_is_a_config_error(tmp_path):
    (tmp_path / "params.yaml").write_text("train: [unclosed")
    with pytest.raises(ConfigError, match="cannot read"):
        load_params(tmp_path / "params.yaml")
