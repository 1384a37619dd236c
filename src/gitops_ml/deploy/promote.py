"""The MLflow model registry side of a deploy: which model version is live.

    python -m gitops_ml.deploy.promote register --image IMAGE@DIGEST   # prints the new version
    python -m gitops_ml.deploy.promote promote --version V --deploy-outcome success|failure|...
    python -m gitops_ml.deploy.promote rollback                         # champion <- previous-champion

``register`` adds a version of the registered model (params.yaml ``project.name``) from the train stage's MLflow
run (``models/model.json`` names it), tagged with the git commit and the image digest. When that
run is not in the configured store (the model came from a DVC cache filled elsewhere), the model
file is logged in a new run first, so the registry never points at nothing.

``promote`` moves the ``champion`` alias to that version only when the deploy succeeded, and
records the version it replaces as ``previous-champion``; any other outcome leaves the aliases
alone and tags the version ``deploy_status=<outcome>``. The store is ``$MLFLOW_TRACKING_URI``
(default ``sqlite:///mlflow.db``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from gitops_ml import paths, tracking
from gitops_ml.config import load_params
from gitops_ml.deploy import DeployError, cli
from gitops_ml.model_card import ModelCard

CHAMPION = "champion"
PREVIOUS = "previous-champion"


def _mlflow():
    import mlflow

    mlflow.set_tracking_uri(tracking.tracking_uri())
    return mlflow


def _alias_version(client: Any, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias).version
    except MlflowException:
        return None


def _model_uri_for_run(mlflow: Any, run_id: str | None, model_file: Path, commit: str) -> str:
    """``runs:/<id>/model`` when the train run is in this store, else a new run logging the file."""
    from mlflow.exceptions import MlflowException

    if run_id:
        try:
            mlflow.tracking.MlflowClient().get_run(run_id)
            return f"runs:/{run_id}/model"
        except MlflowException:
            pass
    if not model_file.exists():
        raise DeployError(f"run {run_id!r} is not in {tracking.tracking_uri()} and {model_file} is missing")
    import joblib

    pipeline = joblib.load(model_file)
    # MLflow prints links to the run on stdout; keep stdout for the version number alone.
    with contextlib.redirect_stdout(sys.stderr), mlflow.start_run(run_name="registered-by-deploy") as run:
        mlflow.set_tags({"git_commit": commit, "source_run_id": run_id or ""})
        mlflow.sklearn.log_model(
            pipeline,
            name="model",
            serialization_format="cloudpickle",
            pip_requirements=[],  # the Bento carries the serving requirements; skip MLflow's inference
            code_paths=[str(paths.package_dir())],
        )
    return f"runs:/{run.info.run_id}/model"


def register(image: str, commit: str, run_id: str | None, model_file: Path, name: str) -> str:
    mlflow = _mlflow()
    uri = _model_uri_for_run(mlflow, run_id, model_file, commit)
    version = mlflow.register_model(uri, name, tags={"git_commit": commit, "image": image}).version
    client = mlflow.tracking.MlflowClient()
    client.set_model_version_tag(name, version, "image_digest", image.rpartition("@")[2])
    return str(version)


def promote(version: str, outcome: str, name: str) -> str:
    """Move ``champion`` to ``version`` if ``outcome`` is success; returns what happened."""
    mlflow = _mlflow()
    client = mlflow.tracking.MlflowClient()
    try:
        client.get_model_version(name, version)
    except mlflow.exceptions.MlflowException as error:
        raise DeployError(f"{name} version {version!r} is not registered: {error.message}") from None
    client.set_model_version_tag(name, version, "deploy_status", outcome)
    if outcome != "success":
        return f"deploy {outcome}: {CHAMPION} stays at version {_alias_version(client, name, CHAMPION)}"
    current = _alias_version(client, name, CHAMPION)
    if current == version:
        return f"version {version} already is {CHAMPION}"
    if current is not None:
        client.set_registered_model_alias(name, PREVIOUS, current)
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promoted_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return f"{CHAMPION}: version {current} -> {version}" + (f" ({PREVIOUS}: {current})" if current else "")


def rollback(name: str) -> str:
    client = _mlflow().tracking.MlflowClient()
    current, previous = _alias_version(client, name, CHAMPION), _alias_version(client, name, PREVIOUS)
    if previous is None:
        raise DeployError(f"{name} has no {PREVIOUS!r} alias to roll back to")
    client.set_registered_model_alias(name, CHAMPION, previous)
    if current is not None:
        client.set_registered_model_alias(name, PREVIOUS, current)
    return f"{CHAMPION}: version {current} -> {previous}"


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    register_cmd = commands.add_parser("register", help="register the trained model, tagged with its image")
    register_cmd.add_argument("--image", required=True, help="REGISTRY/NAME@sha256:HEX that serves it")
    register_cmd.add_argument("--commit", help="git commit (default: the working tree's)")
    register_cmd.add_argument("--run-id", help="MLflow run of the model (default: models/model.json's)")
    register_cmd.add_argument("--model-file", type=Path, default=paths.MODEL)
    promote_cmd = commands.add_parser("promote", help="move the champion alias after a deploy")
    promote_cmd.add_argument("--version", required=True)
    promote_cmd.add_argument("--deploy-outcome", required=True, help="success, or the deploy job's result")
    commands.add_parser("rollback", help="champion <- previous-champion")
    args = parser.parse_args(argv)
    name = load_params().project.name
    if args.command == "register":
        run_id = args.run_id
        if run_id is None and paths.MODEL_CARD.exists():
            run_id = ModelCard.read(paths.MODEL_CARD).mlflow_run_id
        print(register(args.image, args.commit or tracking.git_commit(), run_id, args.model_file, name))
    elif args.command == "promote":
        print(promote(args.version, args.deploy_outcome, name))
    else:
        print(rollback(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
