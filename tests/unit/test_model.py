"""Feature building and the model pipeline: every selectable model trains, deterministically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml import schema
from gitops_ml.config import TrainParams
from gitops_ml.features import add_time_features, categorical_features, model_inputs, numeric_features
from gitops_ml.model import build_pipeline
from tests.support.data import valid_frame

MODELS = ["hist_gradient_boosting", "logistic_regression", "random_forest"]
FAST = {
    "hist_gradient_boosting": {"max_iter": 30},
    "logistic_regression": {},
    "random_forest": {"n_estimators": 20},
}


def params(model: str, seed: int = 1) -> TrainParams:
    return TrainParams.model_validate({"model": model, "seed": seed, model: FAST[model]})


def test_time_features_come_from_the_scheduled_departure():
    frame = pd.DataFrame({schema.TIMESTAMP: pd.to_datetime(["2013-07-04 17:45", "2013-12-30 06:00"])})
    derived = add_time_features(frame)
    assert derived["month"].tolist() == [7, 12]
    assert derived["day_of_week"].tolist() == [3, 0]  # Thursday, Monday
    assert derived["dep_hour"].tolist() == [17, 6]


def test_feature_lists_follow_the_schema():
    inputs = {column.name for column in schema.input_columns()}
    assert set(categorical_features()) == {"carrier", "origin", "dest"}
    assert set(categorical_features()) | set(numeric_features()) >= inputs - {schema.TIMESTAMP}
    assert not {schema.TARGET, "flight_number"} & (set(categorical_features()) | set(numeric_features()))


def test_model_inputs_drop_key_and_target():
    frame = valid_frame(10)
    assert list(model_inputs(frame).columns) == [column.name for column in schema.input_columns()]


@pytest.mark.parametrize("model", MODELS)
def test_each_model_learns_and_is_deterministic(model):
    train, test = valid_frame(3000, seed=1), valid_frame(1000, seed=2)
    scores = [
        build_pipeline(params(model)).fit(model_inputs(train), train[schema.TARGET]).predict_proba(model_inputs(test))
        for _ in range(2)
    ]
    # Same seed, same model; the random forest averages its trees on several threads, so the
    # summation order (and the last bit of a probability) may differ between runs.
    np.testing.assert_allclose(scores[0], scores[1], rtol=0, atol=1e-12)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(test[schema.TARGET], scores[0][:, 1]) > 0.6


@pytest.mark.parametrize("model", MODELS)
def test_unseen_and_missing_values_are_scored(model):
    train = valid_frame(2000)
    pipeline = build_pipeline(params(model)).fit(model_inputs(train), train[schema.TARGET])
    odd = model_inputs(valid_frame(3)).copy()
    odd.loc[0, "dest"] = "ZZZ"  # a destination never seen in training
    odd.loc[1, ["temp", "pressure", "wind_gust"]] = np.nan
    probability = pipeline.predict_proba(odd)[:, 1]
    assert np.isfinite(probability).all() and ((probability >= 0) & (probability <= 1)).all()
