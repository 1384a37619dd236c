"""Put the trained model into the BentoML model store, where ``bentoml build`` packs it from.

    python -m gitops_ml.deploy.import_model                         # the pipeline's models/ output
    python -m gitops_ml.deploy.import_model --from-mlflow URI       # e.g. models:/<project>@champion

The stored model is named after params.yaml ``project.name``. It holds ``model.joblib``,
``model.json`` (the card: task, labels, threshold, inputs, MLflow run) and ``compiled/`` (the
trees as native code, ``compiled_trees``: the compile stage's, or compiled here for a model
from MLflow) and carries labels: git
commit, MLflow run id and the gated metrics of reports/metrics.json.
Its version is the first 16 hex digits of the model file's MD5 (the hash dvc.lock records), so
importing the same model twice is a no-op and a prediction's ``model_version`` leads back to the
exact training output. The store lives in ``$BENTOML_HOME`` (``make`` sets it to ./.bentoml).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

import joblib

from gitops_ml import compiled_trees, paths, tracking
from gitops_ml.config import load_params
from gitops_ml.deploy import DeployError, cli
from gitops_ml.io import read_json, write_with
from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Task, load_schema
from gitops_ml.scoring import CARD_FILE, COMPILED_DIR, MODEL_FILE

VERSION_DIGITS = 16


def model_version(model_file: Path) -> str:
    digest = hashlib.md5(model_file.read_bytes(), usedforsecurity=False).hexdigest()
    return digest[:VERSION_DIGITS]


def key_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics the quality gate checks (params.yaml ``gate.metrics``): what a label should show."""
    from gitops_ml.config import load_params

    try:
        gated = list(load_params().gate.metrics)
    except Exception:  # no params.yaml here (an MLflow import outside the repo): show everything
        gated = list(metrics)
    return {name: metrics[name] for name in gated if name in metrics}


def labels_for(card: ModelCard, metrics: dict[str, Any], commit: str) -> dict[str, str]:
    labels = {
        "git_commit": commit,
        "mlflow_run_id": card.mlflow_run_id or "",
        "task": card.task,
        "model_type": card.model,
    }
    if card.threshold is not None:
        labels["threshold"] = str(card.threshold)
    labels.update({name: str(value) for name, value in key_metrics(metrics).items()})
    return labels


def store_metadata(card: ModelCard, metrics: dict[str, Any]) -> dict[str, Any]:
    """BentoML keeps only basic values in metadata: no nulls (unset card fields, NaN metrics)."""
    return {
        "card": card.model_dump(exclude_none=True),
        "metrics": {name: value for name, value in metrics.items() if value is not None},
    }


def store_model(
    model_file: Path, card: ModelCard, metrics: dict[str, Any], commit: str, compiled: Path | None = None
) -> str:
    """Create ``<project>:<version>`` in the store (or find it there); returns the tag. The model's
    compiled trees go with it: ``compiled`` (the compile stage's output) when it was built from
    this model file, else compiled here."""
    import bentoml
    from bentoml.exceptions import NotFound

    tag = f"{card.project}:{model_version(model_file)}"
    try:
        bentoml.models.get(tag)
        return tag  # the same bytes were imported before
    except NotFound:
        pass
    with bentoml.models.create(
        tag, labels=labels_for(card, metrics, commit), metadata=store_metadata(card, metrics)
    ) as model:
        shutil.copyfile(model_file, model.path_of(MODEL_FILE))
        write_with(model.path_of(CARD_FILE), lambda tmp: tmp.write_text(card.to_json()))
        if compiled is not None and compiled_trees.built_from(compiled, model_file):
            shutil.copytree(compiled, model.path_of(COMPILED_DIR))
        else:
            compiled_trees.compile_to(joblib.load(model_file), model_file, Path(model.path_of(COMPILED_DIR)))
    return tag


def import_from_pipeline(model_file: Path = paths.MODEL, card_file: Path = paths.MODEL_CARD) -> str:
    missing = [str(path) for path in (model_file, card_file) if not path.exists()]
    if missing:
        raise DeployError(f"{', '.join(missing)} missing: run the pipeline first (`make run` or `dvc pull`)")
    card = ModelCard.read(card_file)
    expected = load_schema().input_names()
    if card.inputs != expected:
        raise DeployError(f"{card_file} was trained on inputs {card.inputs}; schema.yaml declares {expected}")
    project = load_params().project.name
    if card.project != project:
        raise DeployError(
            f"{card_file} belongs to project {card.project!r}, params.yaml names {project!r}: run `make run`"
        )
    metrics = read_json(paths.METRICS) if paths.METRICS.exists() else {}
    return store_model(model_file, card, metrics, tracking.git_commit(), paths.COMPILED)


def import_from_mlflow(model_uri: str) -> str:
    """A model logged by the train stage, from the configured MLflow store or registry."""
    import mlflow

    mlflow.set_tracking_uri(tracking.tracking_uri())
    try:
        info = mlflow.models.get_model_info(model_uri)
        pipeline = mlflow.sklearn.load_model(model_uri)
        run = mlflow.tracking.MlflowClient().get_run(info.run_id)
    except mlflow.exceptions.MlflowException as error:
        raise DeployError(f"cannot load {model_uri} from {tracking.tracking_uri()}: {error}") from None
    schema = load_schema()
    threshold = run.data.params.get("threshold")
    card = ModelCard(
        project=load_params().project.name,
        task=cast(Task, run.data.params.get("task", schema.task)),  # a run's "task" param: ModelCard validates it
        target=schema.target,
        model=run.data.params.get("model", "unknown"),
        inputs=schema.input_names(),
        positive_label=schema.positive_label,
        negative_label=schema.negative_label,
        threshold=float(threshold) if threshold is not None else None,
        mlflow_run_id=info.run_id,
        source=model_uri,
    )
    commit = run.data.tags.get("git_commit", "unknown")
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / MODEL_FILE
        joblib.dump(pipeline, model_file)
        return store_model(model_file, card, dict(run.data.metrics), commit)


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-mlflow", metavar="MODEL_URI", help="import from MLflow instead of models/")
    args = parser.parse_args(argv)
    tag = import_from_mlflow(args.from_mlflow) if args.from_mlflow else import_from_pipeline()
    print(tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
