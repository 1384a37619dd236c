"""The scikit-learn pipeline: time features -> per-type preprocessing -> classifier or regressor.

Tree ensembles get ordinal-encoded categories (HistGradientBoosting uses them natively and keeps
memory flat on large data); the linear model gets one-hot categories and scaled numbers.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from gitops_ml.config import TrainParams
from gitops_ml.features import TimeFeatures, categorical_features, datetime_inputs, numeric_features
from gitops_ml.schema import Schema

MAX_CATEGORIES = 255


def _ordinal_preprocessing(schema: Schema) -> ColumnTransformer:
    # Unseen and missing categories both become NaN, which the trees route like missing values.
    # Rare categories beyond MAX_CATEGORIES share one code: HistGradientBoosting takes at most 255.
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    return ColumnTransformer(
        [("categorical", encoder, categorical_features(schema)), ("numeric", "passthrough", numeric_features(schema))],
        verbose_feature_names_out=False,
    )


def _one_hot_preprocessing(schema: Schema) -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical_features(schema)),
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                numeric_features(schema),
            ),
        ],
        verbose_feature_names_out=False,
    )


def _estimator(params: TrainParams, schema: Schema):
    hyper = params.hyperparameters()
    classify = schema.task == "classification"
    if params.model == "hist_gradient_boosting":
        is_categorical = [True] * len(categorical_features(schema)) + [False] * len(numeric_features(schema))
        kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return kind(**hyper, categorical_features=is_categorical, random_state=params.seed)
    if params.model == "random_forest":
        kind = RandomForestClassifier if classify else RandomForestRegressor
        return kind(**hyper, random_state=params.seed, n_jobs=-1)
    if classify:
        return LogisticRegression(**hyper, random_state=params.seed)
    return Ridge(alpha=1 / hyper["C"], max_iter=hyper["max_iter"], random_state=params.seed)


def build_pipeline(params: TrainParams, schema: Schema) -> Pipeline:
    linear = params.model == "linear"
    preprocessing = _one_hot_preprocessing(schema) if linear else _ordinal_preprocessing(schema)
    return Pipeline(
        [
            ("time_features", TimeFeatures(datetime_inputs(schema))),
            ("preprocessing", preprocessing),
            ("estimator", _estimator(params, schema)),
        ]
    )


def predict(pipeline: Pipeline, inputs, task: str) -> np.ndarray:
    """The model's output for each row: the positive class's probability, or the predicted number."""
    if task == "classification":
        return pipeline.predict_proba(inputs)[:, 1]
    return pipeline.predict(inputs)
