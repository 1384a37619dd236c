"""train: fit the configured scikit-learn pipeline on the train window; write models/, log to MLflow.

models/model.joblib is the fitted pipeline (raw records in, probabilities out); models/model.json
is its card: type, hyperparameters, decision threshold and the MLflow run it was logged in.
"""

from __future__ import annotations

import platform

import joblib
import numpy as np
import pandas as pd
import sklearn

from gitops_ml import paths, schema, tracking
from gitops_ml.config import Params
from gitops_ml.features import model_inputs
from gitops_ml.io import read_parquet, write_json, write_with
from gitops_ml.model import build_pipeline
from gitops_ml.stages import run_stage


def pip_requirements() -> list[str]:
    # Explicit: MLflow's inference of requirements spawns a subprocess and costs ~10 s a run.
    return [f"scikit-learn=={sklearn.__version__}", f"pandas=={pd.__version__}", f"numpy=={np.__version__}"]


def log_to_mlflow(params: Params, pipeline, inputs: pd.DataFrame) -> str:
    mlflow = tracking.configure(params.tracking.experiment_name)
    from mlflow.models import infer_signature

    example = inputs.head(5)
    with mlflow.start_run() as run:
        mlflow.set_tags(tracking.provenance_tags("split"))
        mlflow.log_params(
            {
                "model": params.train.model,
                "seed": params.train.seed,
                "threshold": params.train.threshold,
                "train_rows": len(inputs),
                "sample_fraction": params.data.sample_fraction,
            }
        )
        mlflow.log_params({f"{params.train.model}.{k}": v for k, v in params.train.hyperparameters().items()})
        mlflow.sklearn.log_model(
            pipeline,
            name="model",
            serialization_format="cloudpickle",  # skops rejects the ColumnTransformer's dtypes
            signature=infer_signature(example, pipeline.predict_proba(example)[:, 1]),
            input_example=example,
            pip_requirements=pip_requirements(),
            code_paths=[str(paths.package_dir())],  # add_time_features is referenced by import path
        )
        return run.info.run_id


def train(params: Params) -> dict:
    frame = read_parquet(paths.split_file("train"))
    inputs, target = model_inputs(frame), frame[schema.TARGET].to_numpy()
    pipeline = build_pipeline(params.train).fit(inputs, target)
    run_id = log_to_mlflow(params, pipeline, inputs)  # first: a tracking failure writes nothing
    card = {
        "model": params.train.model,
        "hyperparameters": params.train.hyperparameters(),
        "threshold": params.train.threshold,
        "seed": params.train.seed,
        "train_rows": len(frame),
        "inputs": [column.name for column in schema.input_columns()],
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "mlflow_run_id": run_id,
    }
    write_with(paths.MODEL, lambda tmp: joblib.dump(pipeline, tmp))
    write_json(paths.MODEL_CARD, card)
    print(f"train: {params.train.model} on {len(frame)} rows (MLflow run {card['mlflow_run_id']})")
    return card


def main() -> None:
    run_stage(train)


if __name__ == "__main__":
    main()
