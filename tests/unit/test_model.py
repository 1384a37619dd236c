"""Feature building and the model pipeline: every selectable model trains for every contract's
task, deterministically, and scores unseen and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from gitops_ml.config import TrainParams
from gitops_ml.features import TimeFeatures, add_time_features, categorical_features, model_inputs, numeric_features
from gitops_ml.model import build_pipeline, predict
from gitops_ml.schema import Schema
from gitops_ml.targets import target_values
from tests.support.data import ALL_CONTRACTS, contract, pick, valid_frame

MODELS = ["hist_gradient_boosting", "linear", "random_forest"]
FAST = {"hist_gradient_boosting": {"max_iter": 30}, "linear": {}, "random_forest": {"n_estimators": 20}}


@pytest.fixture(params=ALL_CONTRACTS)
def schema(request) -> Schema:
    return contract(request.param)


def params(model: str, seed: int = 1) -> TrainParams:
    return TrainParams.model_validate({"model": model, "seed": seed, model: FAST[model]})


def test_time_features_come_from_each_datetime_input():
    frame = pd.DataFrame({"when": pd.to_datetime(["2013-07-04 17:45", "2013-12-30 06:00"])})
    derived = TimeFeatures(("when",)).transform(frame)
    assert derived["when_month"].tolist() == [7, 12]
    assert derived["when_day_of_week"].tolist() == [3, 0]  # Thursday, Monday
    assert derived["when_hour"].tolist() == [17, 6]


def test_feature_lists_follow_the_schema(schema):
    inputs = set(schema.input_names())
    datetimes = {c.name for c in schema.input_columns() if c.kind == "datetime"}
    assert set(categorical_features(schema)) == {c.name for c in schema.input_columns() if c.kind == "category"}
    assert set(categorical_features(schema)) | set(numeric_features(schema)) == (inputs - datetimes) | set(
        schema.time_features()
    )
    others = {c.name for c in schema.columns if c.role != "input"}
    assert not others & (set(categorical_features(schema)) | set(numeric_features(schema)))
    assert set(add_time_features(valid_frame(5, schema=schema), schema).columns) >= set(schema.time_features())


def test_model_inputs_drop_other_columns_and_the_target(schema):
    assert list(model_inputs(valid_frame(10, schema=schema), schema).columns) == schema.input_names()


def test_targets_are_the_positive_class_or_the_number(schema):
    frame = valid_frame(50, schema=schema)
    values = target_values(frame, schema)
    if schema.task == "classification":
        assert set(values) <= {0, 1}
        assert (values == 1).sum() == (frame[schema.target] == schema.positive_label).sum()
    else:
        np.testing.assert_array_equal(values, frame[schema.target].to_numpy(dtype=float))


def _quality(schema: Schema, truth: np.ndarray, predicted: np.ndarray) -> float:
    return roc_auc_score(truth, predicted) if schema.task == "classification" else r2_score(truth, predicted)


@pytest.mark.parametrize("model", MODELS)
def test_each_model_learns_and_is_deterministic(schema, model):
    train, test = valid_frame(3000, seed=1, schema=schema), valid_frame(1000, seed=2, schema=schema)
    fits = [
        build_pipeline(params(model), schema).fit(model_inputs(train, schema), target_values(train, schema))
        for _ in range(2)
    ]
    predictions = [predict(fit, model_inputs(test, schema), schema.task) for fit in fits]
    # Same seed, same model; the random forest averages its trees on several threads, so the
    # summation order (and the last bit of a prediction) may differ between runs.
    np.testing.assert_allclose(predictions[0], predictions[1], rtol=1e-12, atol=1e-12)
    assert _quality(schema, target_values(test, schema), predictions[0]) > 0.3 if schema.task == "regression" else 0.6


@pytest.mark.parametrize("model", MODELS)
def test_unseen_and_missing_values_are_scored(schema, model):
    train = valid_frame(2000, schema=schema)
    pipeline = build_pipeline(params(model), schema).fit(model_inputs(train, schema), target_values(train, schema))
    odd = model_inputs(valid_frame(3, schema=schema), schema).copy()
    category = pick(schema, "category")
    odd[category.name] = odd[category.name].astype(object)
    odd.loc[0, category.name] = "?? never seen in training"
    numeric = [c.name for c in schema.input_columns() if c.numeric and c.nullable]
    if numeric:
        odd.loc[1, numeric] = np.nan
    predicted = predict(pipeline, odd, schema.task)
    assert np.isfinite(predicted).all()
    if schema.task == "classification":
        assert ((predicted >= 0) & (predicted <= 1)).all()
