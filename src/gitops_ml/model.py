"""The scikit-learn pipeline: time features -> per-type preprocessing -> classifier.

Tree ensembles get ordinal-encoded categories (HistGradientBoosting uses them natively and keeps
memory flat on large data); the linear model gets one-hot categories and scaled numbers.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from gitops_ml.config import TrainParams
from gitops_ml.features import add_time_features, categorical_features, numeric_features

MAX_CATEGORIES = 255


def _ordinal_preprocessing() -> ColumnTransformer:
    # Unseen and missing categories both become NaN, which the trees route like missing values.
    # Rare categories beyond MAX_CATEGORIES share one code: HistGradientBoosting takes at most 255.
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=MAX_CATEGORIES,
    )
    return ColumnTransformer(
        [("categorical", encoder, categorical_features()), ("numeric", "passthrough", numeric_features())],
        verbose_feature_names_out=False,
    )


def _one_hot_preprocessing() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical_features()),
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                numeric_features(),
            ),
        ],
        verbose_feature_names_out=False,
    )


def build_pipeline(params: TrainParams) -> Pipeline:
    hyper = params.hyperparameters()
    if params.model == "hist_gradient_boosting":
        is_categorical = [True] * len(categorical_features()) + [False] * len(numeric_features())
        preprocessing = _ordinal_preprocessing()
        classifier = HistGradientBoostingClassifier(
            **hyper, categorical_features=is_categorical, random_state=params.seed
        )
    elif params.model == "random_forest":
        preprocessing = _ordinal_preprocessing()
        classifier = RandomForestClassifier(**hyper, random_state=params.seed, n_jobs=-1)
    else:
        preprocessing = _one_hot_preprocessing()
        classifier = LogisticRegression(**hyper, random_state=params.seed)
    return Pipeline(
        [
            ("time_features", FunctionTransformer(add_time_features)),
            ("preprocessing", preprocessing),
            ("classifier", classifier),
        ]
    )
