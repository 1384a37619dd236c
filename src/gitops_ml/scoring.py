"""The served model: the pipeline's fitted model and its card, and scoring validated records.

A BentoML model in the store holds the two files the train stage writes (``model.joblib``,
``model.json``) and the compile stage's ``compiled/`` (the trees as native code, when there are
any). Scoring runs the fitted pipeline on numpy (``array_pipeline``), whose
predictions equal the pipeline's; a pipeline it cannot compile is scored as fitted, on the same
DataFrame the pipeline sees (the schema's inputs with the training dtypes). The evaluate stage
times ``predictor`` too, so its latency metrics are the service's.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from gitops_ml import compiled_trees
from gitops_ml.array_pipeline import ArrayPipeline, Unsupported
from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Schema

MODEL_FILE = "model.joblib"
CARD_FILE = "model.json"
COMPILED_DIR = "compiled"  # the compile stage's output, packed beside the model (compiled_trees)

Columns = Mapping[str, Sequence[Any]]
Trees = Callable[[np.ndarray], np.ndarray]


def records_frame(columns: Columns, schema: Schema) -> pd.DataFrame:
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


def column_values(frame: pd.DataFrame, schema: Schema) -> dict[str, list[Any]]:
    """A frame of inputs -> the column-wise values the service holds after validating a request."""
    return {name: frame[name].tolist() for name in schema.input_names()}


def call_seconds(call: Callable[[], object], times: int) -> list[float]:
    """How long each of ``times`` calls took: the evaluate stage's latency metrics and the
    service's start-up choice between scoring inline and batching time the scorer with it."""
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def predictor(pipeline: Any, schema: Schema, trees: Trees | None = None) -> Callable[[Columns], np.ndarray]:
    """Column-wise values -> the positive class's probability (classification) or the predicted
    number (regression): the pipeline on numpy, walking its trees with ``trees`` when given (the
    compiled ones, ``compiled_trees.load``); else the pipeline as fitted."""
    try:
        return ArrayPipeline.compile(pipeline, trees).predict
    except Unsupported as reason:
        warnings.warn(f"scoring the pipeline as fitted (slower): {reason}", stacklevel=2)

    def as_fitted(columns: Columns) -> np.ndarray:
        frame = records_frame(columns, schema)
        if schema.task == "classification":
            return pipeline.predict_proba(frame)[:, 1]
        return pipeline.predict(frame)

    return as_fitted


@dataclass(frozen=True)
class ServedModel:
    card: ModelCard
    version: str
    predict: Callable[[Columns], np.ndarray]  # predictor(): column-wise values -> outputs

    @classmethod
    def load(cls, directory: Path | str, version: str, schema: Schema) -> ServedModel:
        directory = Path(directory)
        card = ModelCard.read(directory / CARD_FILE)
        if card.inputs != schema.input_names():
            raise ValueError(
                f"model {version} was trained on inputs {card.inputs}; schema.yaml declares {schema.input_names()}"
            )
        trees = compiled_trees.load(directory / COMPILED_DIR, directory / MODEL_FILE)
        return cls(card, version, predictor(joblib.load(directory / MODEL_FILE), schema, trees))

    def labels(self, probabilities: np.ndarray) -> list[Any]:
        # The evaluate stage's cut (metrics.classification_metrics): positive at or above the threshold.
        positive = probabilities >= self.card.threshold
        return [self.card.positive_label if is_positive else self.card.negative_label for is_positive in positive]
