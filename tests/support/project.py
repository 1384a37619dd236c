"""Real git repositories made from this project, in temp dirs, for pipeline-level tests.

A copy holds exactly the files a fork would get (what git tracks, plus new files not ignored), so
tests also catch a file that was forgotten in a commit. Its data is generated from its schema.yaml
(tests/support/data.py) and written as a CSV the template reads like any team's table, with the
params fitted to it as `make schema` would fit them: the suite never depends on the shipped
example's data, so it stays green after a team points the template at its own table. When the
schema has a timestamp, the latest rows (the production window) drift in every compared input,
as a new season would, so the drift loop has something to find.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PROJECT_ROWS = 6000  # the shipped contract: a full `dvc repro` in ~20 s, 1200 rows in the production window
CONTRACT_ROWS = 3000  # the built-in contracts (tests/schemas/)
TEST_PARAMS: dict[str, Any] = {
    "validate.min_rows": 100,
    "evaluate.latency_repeats": 20,
    "evaluate.importance_rows": 1000,
    "evaluate.min_slice_rows": 30,
    "evaluate.intervals.resamples": 200,
    "drift.min_rows": 100,
    "drift.columns": {},
    "drift.performance": {"metric": None, "max_drop": None},
}
GATES = {  # loose, like `make schema`'s: the data is generated, the point is the loop
    "classification": {"roc_auc": {"minimum": 0.6, "abs_tolerance": 0.02}, "log_loss": {"abs_tolerance": 0.02}},
    "regression": {"r2": {"minimum": 0.3, "abs_tolerance": 0.02}, "rmse": {"rel_tolerance": 0.05}},
}
LATENCY_GATE = {"latency_single_row_ms_p50": {"maximum": 1000, "vs_baseline": False}}


def project_files(root: Path = ROOT) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def env_for(repo: Path, **extra: str) -> dict[str, str]:
    """Environment for tools run inside ``repo``: the project's venv, the copy's own source first."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_", "GITHUB_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(repo / "src"),
        DVC_NO_ANALYTICS="1",
        # xdist runs a worker per core; scikit-learn's OpenMP threads on top of that spin-wait for
        # each other (evaluate took 49 s instead of 15 s on a loaded 2-core machine).
        OMP_NUM_THREADS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
    )
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env_for(cwd, **extra_env), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def set_params(repo: Path, overrides: dict[str, Any]) -> None:
    """Set dotted keys in the repo's params.yaml (comments are not kept; values are)."""
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = params
        for key in parents:
            node = node[key]
        node[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def copy_project(dest: Path) -> Path:
    """The files a fork would get, as they are (the shipped data source and params)."""
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return dest


def fitted_params(schema, frame, name: str, source: str) -> dict[str, Any]:
    """Dotted params.yaml overrides for a generated table (what `make schema` would choose)."""
    from gitops_ml.schema_infer import time_windows

    windows = time_windows(frame[schema.timestamp]) if schema.timestamp else None
    if windows:
        split = {"by": "time", **{part: {"start": start, "end": end} for part, (start, end) in windows.items()}}
    else:
        split = {"by": "random", "fractions": {"train": 0.7, "test": 0.15, "production": 0.15}, "seed": 42}
    slices = [c.name for c in schema.input_columns() if c.categories is not None][:2]
    slices += [f"{schema.timestamp}_month"] if schema.timestamp else []
    return {
        **TEST_PARAMS,
        "project.name": name,
        "data": {"source": source, "format": None, "options": {}, "sample_fraction": 1.0, "seed": 42},
        "split": split,
        "evaluate.slices": slices,
        "gate.metrics": {**GATES[schema.task], **LATENCY_GATE},
    }


def with_late_drift(frame, schema, production_start: str):
    """Rows from ``production_start`` on drift in every compared input: numbers move by a third of
    their range (clipped into it), categories collapse onto one value."""
    import pandas as pd

    frame = frame.copy()
    late = frame[schema.timestamp] >= pd.Timestamp(production_start)
    for column in schema.drift_columns():
        values = frame[column.name]
        if column.numeric:
            low, high = values.min(), values.max()
            moved = (values + (high - low) / 3).clip(column.minimum, column.maximum)
            frame.loc[late, column.name] = moved[late].round() if column.kind == "int" else moved[late]
        elif column.kind == "category":
            frame.loc[late, column.name] = values.dropna().iloc[0]
    return frame


def make_repo(dest: Path, overrides: dict[str, Any] | None = None, contract: str = "shipped") -> Path:
    """A fresh git repository holding the project on generated data for a contract (``shipped`` =
    the repository's schema.yaml, or a built-in one), committed on branch main."""
    from gitops_ml.config import load_params
    from tests.support.data import contract as load_contract
    from tests.support.data import schema_file, valid_frame

    copy_project(dest)
    schema = load_contract(contract)
    if contract != "shipped":
        shutil.copy2(schema_file(contract), dest / "schema.yaml")
    name = load_params(dest / "params.yaml").project.name if contract == "shipped" else contract
    rows = PROJECT_ROWS if contract == "shipped" else CONTRACT_ROWS
    frame = valid_frame(rows, seed=11, schema=schema)
    params = fitted_params(schema, frame, name, f"data/{name}.csv")
    if params["split"]["by"] == "time":
        frame = with_late_drift(frame, schema, params["split"]["production"]["start"])
    (dest / "data").mkdir(exist_ok=True)
    frame.to_csv(dest / params["data"]["source"], index=False)
    set_params(dest, {**params, **(overrides or {})})
    run(["git", "init", "-q", "-b", "main"], dest)
    commit_all(dest, "project under test")
    return dest


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "--allow-empty", "-m", message], repo)


def clone_workspace(source: Path, dest: Path) -> Path:
    """A full copy (git history, DVC cache, MLflow store, outputs) to mutate independently."""
    shutil.copytree(source, dest, symlinks=True)
    return dest
