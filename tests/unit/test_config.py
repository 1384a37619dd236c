"""params.yaml -> one typed, frozen config; mistakes are errors that name the key."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from gitops_ml.config import ConfigError, load_params, parse_params
from tests.support.project import ROOT


@pytest.fixture
def raw():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_repository_params_load():
    params = load_params(ROOT / "params.yaml")
    assert params.train.model in ("hist_gradient_boosting", "logistic_regression", "random_forest")
    assert params.train.hyperparameters() == getattr(params.train, params.train.model).model_dump()
    assert params.split.test.start >= params.split.train.end


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
