"""Model inputs derived from a record. Used inside the model pipeline, so training, evaluation,
the MLflow model and the service all derive them the same way from the same raw fields.

Every datetime input gives ``<column>_month``, ``<column>_day_of_week`` and ``<column>_hour``
(schema.TIME_PARTS); the raw timestamp itself never reaches the estimator.
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from gitops_ml.schema import Schema


class TimeFeatures(TransformerMixin, BaseEstimator):
    """Adds the time parts of the named datetime columns. Stateless; pickled with the model, so
    the served model needs no schema to derive them."""

    def __init__(self, columns: tuple[str, ...] = ()) -> None:
        self.columns = columns

    def fit(self, frame: pd.DataFrame, y: object = None) -> TimeFeatures:
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        derived = {}
        for name in self.columns:
            when = pd.to_datetime(frame[name])
            derived[f"{name}_month"] = when.dt.month
            derived[f"{name}_day_of_week"] = when.dt.dayofweek
            derived[f"{name}_hour"] = when.dt.hour
        return frame.assign(**derived)


def datetime_inputs(schema: Schema) -> tuple[str, ...]:
    return tuple(column.name for column in schema.input_columns() if column.kind == "datetime")


def add_time_features(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    return TimeFeatures(datetime_inputs(schema)).transform(frame)


def categorical_features(schema: Schema) -> list[str]:
    return [column.name for column in schema.input_columns() if column.kind == "category"]


def numeric_features(schema: Schema) -> list[str]:
    return [column.name for column in schema.input_columns() if column.numeric] + schema.time_features()


def model_inputs(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The columns a caller provides, in schema order (drops other columns, the target and the rest)."""
    return frame[schema.input_names()]
