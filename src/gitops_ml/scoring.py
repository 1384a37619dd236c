"""The served model: the pipeline's fitted model and its card, and scoring validated records.

A BentoML model in the store holds the two files the train stage writes (``model.joblib``,
``model.json``). Scoring builds the same DataFrame the pipeline sees (the schema's inputs with
the training dtypes), so the service's predictions equal the pipeline's bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Schema

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"


def records_frame(columns: dict[str, list[Any]], schema: Schema) -> pd.DataFrame:
    """Column-wise record values -> the DataFrame the pipeline was trained on (same dtypes)."""
    data: dict[str, Any] = {}
    for column in schema.input_columns():
        values = columns[column.name]
        if column.kind == "datetime":
            data[column.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif column.numeric:
            data[column.name] = np.array(values, dtype="float64")  # None -> NaN, as in the parquet
        else:
            data[column.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class ServedModel:
    pipeline: Any
    card: ModelCard
    version: str
    schema: Schema

    @classmethod
    def load(cls, directory: Path | str, version: str, schema: Schema) -> ServedModel:
        directory = Path(directory)
        card = ModelCard.read(directory / CARD_FILE)
        if card.inputs != schema.input_names():
            raise ValueError(
                f"model {version} was trained on inputs {card.inputs}; schema.yaml declares {schema.input_names()}"
            )
        return cls(joblib.load(directory / MODEL_FILE), card, version, schema)

    def predict(self, columns: dict[str, list[Any]]) -> np.ndarray:
        """The positive class's probability (classification) or the predicted number (regression)."""
        frame = records_frame(columns, self.schema)
        if self.card.task == "classification":
            return self.pipeline.predict_proba(frame)[:, 1]
        return self.pipeline.predict(frame)

    def labels(self, probabilities: np.ndarray) -> list[Any]:
        # The evaluate stage's cut (metrics.classification_metrics): positive at or above the threshold.
        positive = probabilities >= self.card.threshold
        return [self.card.positive_label if is_positive else self.card.negative_label for is_positive in positive]
