"""The served model: the pipeline's fitted model and its card, and scoring validated records.

A BentoML model in the store holds the two files the train stage writes (``model.joblib``,
``model.json``). Scoring builds the same DataFrame the pipeline sees (``schema.input_columns()``
with the training dtypes), so the service's probabilities equal the pipeline's bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from gitops_ml import schema

MODEL_NAME = "flight-delay"  # the BentoML model (and MLflow registered model) name
MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"


def records_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """Column-wise record values -> the DataFrame the pipeline was trained on (same dtypes)."""
    data: dict[str, Any] = {}
    for column in schema.input_columns():
        values = columns[column.name]
        if column.kind == "datetime":
            data[column.name] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif column.kind in ("float", "int"):
            data[column.name] = np.array(values, dtype="float64")  # None -> NaN, as in the parquet
        else:
            data[column.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class ServedModel:
    pipeline: Any
    threshold: float
    version: str
    card: dict[str, Any]

    @classmethod
    def load(cls, directory: Path | str, version: str) -> ServedModel:
        directory = Path(directory)
        card = json.loads((directory / CARD_FILE).read_text())
        return cls(joblib.load(directory / MODEL_FILE), float(card["threshold"]), version, card)

    def probabilities(self, columns: dict[str, list[Any]]) -> np.ndarray:
        return self.pipeline.predict_proba(records_frame(columns))[:, 1]

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        # The evaluate stage's cut (metrics.classification_metrics): delayed at or above the threshold.
        return (probabilities >= self.threshold).astype(int)
