"""train: fit the configured scikit-learn pipeline on the train part; write models/, log to MLflow.

models/model.joblib is the fitted pipeline (raw records in; probabilities or numbers out);
models/model.json is its card (``model_card.ModelCard``): task, type, hyperparameters, labels and
decision threshold, and the MLflow run it was logged in.
"""

from __future__ import annotations

import platform

import joblib
import numpy as np
import pandas as pd
import sklearn

from gitops_ml import paths, tracking
from gitops_ml.config import Params
from gitops_ml.features import model_inputs
from gitops_ml.io import read_parquet, write_with
from gitops_ml.model import build_pipeline, predict
from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Schema
from gitops_ml.stages import run_stage
from gitops_ml.targets import target_values


def pip_requirements() -> list[str]:
    # Explicit: MLflow's inference of requirements spawns a subprocess and costs ~10 s a run.
    return [f"scikit-learn=={sklearn.__version__}", f"pandas=={pd.__version__}", f"numpy=={np.__version__}"]


def log_to_mlflow(params: Params, schema: Schema, pipeline, inputs: pd.DataFrame) -> str:
    mlflow = tracking.configure(params.experiment_name)
    from mlflow.models import infer_signature

    example = inputs.head(5)
    with mlflow.start_run() as run:
        mlflow.set_tags(tracking.provenance_tags("split"))
        mlflow.log_params(
            {
                "task": schema.task,
                "model": params.train.model,
                "seed": params.train.seed,
                **({"threshold": params.train.threshold} if schema.task == "classification" else {}),
                "train_rows": len(inputs),
                "sample_fraction": params.data.sample_fraction,
            }
        )
        mlflow.log_params({f"{params.train.model}.{k}": v for k, v in params.train.hyperparameters().items()})
        mlflow.sklearn.log_model(
            pipeline,
            name="model",
            serialization_format="cloudpickle",  # skops rejects the ColumnTransformer's dtypes
            signature=infer_signature(example, predict(pipeline, example, schema.task)),
            input_example=example,
            pip_requirements=pip_requirements(),
            code_paths=[str(paths.package_dir())],  # TimeFeatures is referenced by import path
        )
        return run.info.run_id


def make_card(params: Params, schema: Schema, train_rows: int, run_id: str) -> ModelCard:
    classify = schema.task == "classification"
    return ModelCard(
        project=params.project.name,
        task=schema.task,
        target=schema.target,
        model=params.train.model,
        hyperparameters=params.train.hyperparameters(),
        seed=params.train.seed,
        inputs=schema.input_names(),
        positive_label=schema.positive_label,
        negative_label=schema.negative_label,
        threshold=params.train.threshold if classify else None,
        train_rows=train_rows,
        sklearn_version=sklearn.__version__,
        python_version=platform.python_version(),
        mlflow_run_id=run_id,
    )


def train(params: Params, schema: Schema) -> ModelCard:
    frame = read_parquet(paths.split_file("train"))
    inputs, target = model_inputs(frame, schema), target_values(frame, schema)
    pipeline = build_pipeline(params.train, schema).fit(inputs, target)
    run_id = log_to_mlflow(params, schema, pipeline, inputs)  # first: a tracking failure writes nothing
    card = make_card(params, schema, len(frame), run_id)
    write_with(paths.MODEL, lambda tmp: joblib.dump(pipeline, tmp))
    write_with(paths.MODEL_CARD, lambda tmp: tmp.write_text(card.to_json()))
    print(f"train: {params.train.model} ({schema.task}) on {len(frame)} rows (MLflow run {run_id})")
    return card


def main() -> None:
    run_stage(train)


if __name__ == "__main__":
    main()
