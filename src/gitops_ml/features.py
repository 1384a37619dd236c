"""Model inputs derived from a record. Used inside the model pipeline, so training, evaluation,
the MLflow model and the service all derive them the same way from the same raw fields."""

from __future__ import annotations

import pandas as pd

from gitops_ml import schema

TIME_FEATURES = ("month", "day_of_week", "dep_hour")


def add_time_features(frame: pd.DataFrame) -> pd.DataFrame:
    when = pd.to_datetime(frame[schema.TIMESTAMP])
    return frame.assign(month=when.dt.month, day_of_week=when.dt.dayofweek, dep_hour=when.dt.hour)


def categorical_features() -> list[str]:
    return [column.name for column in schema.input_columns() if column.kind == "category"]


def numeric_features() -> list[str]:
    declared = [column.name for column in schema.input_columns() if column.kind in ("float", "int")]
    return declared + list(TIME_FEATURES)


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns a caller provides, in schema order (drops keys, target and anything else)."""
    return frame[[column.name for column in schema.input_columns()]]
