"""The model card: what a trained model is and how to use it, written next to the model file.

One type, written by the train stage (models/model.json), carried into the BentoML store and
read by the service, the evaluation, the drift check and the MLflow import. Imports only
pydantic: the serving image reads it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Label = bool | int | str


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str
    task: Literal["classification", "regression"]
    target: str
    model: str  # hist_gradient_boosting | linear | random_forest
    hyperparameters: dict[str, Any] = {}
    seed: int | None = None
    inputs: list[str]  # the request fields, in schema order
    # classification: the class whose probability is predicted, the other one, and the cut
    positive_label: Label | None = None
    negative_label: Label | None = None
    threshold: float | None = None
    train_rows: int | None = None
    sklearn_version: str | None = None
    python_version: str | None = None
    mlflow_run_id: str | None = None
    source: str | None = None  # where the model came from when not from models/ (an MLflow URI)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def read(cls, path: Path | str) -> ModelCard:
        return cls.model_validate(json.loads(Path(path).read_text()))
