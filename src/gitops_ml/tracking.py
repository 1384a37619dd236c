"""MLflow at the edge: where runs go, and the provenance tags every run carries.

With no configuration, runs go to ``sqlite:///mlflow.db`` in the repository (``make mlflow-ui``
browses it). Set ``MLFLOW_TRACKING_URI`` to use a server instead; no code changes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
DVC_LOCK = Path("dvc.lock")


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def configure(experiment_name: str):
    """Point MLflow at the configured store and experiment; returns the mlflow module."""
    import mlflow  # heavy (~4 s): imported only by the stages that log

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or experiment_name)
    return mlflow


def git_commit() -> str:
    """The commit the run was made from, with ``-dirty`` when the working tree had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def dvc_lock_hashes(stage: str, section: str = "outs", lock_file: Path = DVC_LOCK) -> dict[str, str]:
    """``{path: md5}`` that dvc.lock records for a stage's outs (or deps); empty outside DVC."""
    try:
        lock = yaml.safe_load(lock_file.read_text()) or {}
    except OSError:
        return {}
    entries = lock.get("stages", {}).get(stage, {}).get(section, [])
    return {entry["path"]: entry["md5"] for entry in entries if "md5" in entry}


def provenance_tags(data_stage: str) -> dict[str, str]:
    tags = {"git_commit": git_commit()}
    tags.update({f"dvc.{data_stage}.{path}": md5 for path, md5 in dvc_lock_hashes(data_stage).items()})
    return tags
