"""Real git repositories made from this project, in temp dirs, for pipeline-level tests.

A copy holds exactly the files a fork would get (what git tracks, plus new files not ignored), so
tests also catch a file that was forgotten in a commit.
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
# A small, documented sample: 5% of the 2013 flights (~16k rows; ~8k to train) keeps a full
# `dvc repro` around 20 s while the model still learns (ROC AUC ~0.7).
SAMPLE_FRACTION = 0.05
TEST_PARAMS: dict[str, Any] = {
    "data.sample_fraction": SAMPLE_FRACTION,
    "evaluate.latency_repeats": 20,
    "evaluate.importance_rows": 1000,
}


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


def make_repo(dest: Path, overrides: dict[str, Any] | None = None) -> Path:
    """A fresh git repository holding the project, with test params, committed on branch main."""
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    set_params(dest, {**TEST_PARAMS, **(overrides or {})})
    run(["git", "init", "-q", "-b", "main"], dest)
    commit_all(dest, "project under test")
    return dest


# A built-in contract's project: generated rows (tests/support/data.py) in a CSV the template
# reads like any team's table, and params fitted to it as `make schema` would (no timestamp:
# a seeded random split).
CONTRACT_ROWS = 3000


def contract_params(name: str, schema) -> dict[str, Any]:
    gates = {
        "classification": {"roc_auc": {"minimum": 0.6, "abs_tolerance": 0.02}, "log_loss": {"abs_tolerance": 0.02}},
        "regression": {"r2": {"minimum": 0.3, "abs_tolerance": 0.02}, "rmse": {"rel_tolerance": 0.05}},
    }[schema.task]
    gates["latency_single_row_ms_p50"] = {"maximum": 1000, "vs_baseline": False}
    slices = [c.name for c in schema.input_columns() if c.categories is not None][:2]
    return {
        "project.name": name,
        "data": {"source": f"data/{name}.csv", "format": None, "options": {}, "sample_fraction": 1.0, "seed": 42},
        "split": {"by": "random", "fractions": {"train": 0.7, "test": 0.15, "production": 0.15}, "seed": 42},
        "validate.min_rows": 100,
        "train.threshold": 0.5,
        "train.hist_gradient_boosting.max_iter": 60,
        "evaluate.slices": slices,
        "evaluate.min_slice_rows": 30,
        "gate.metrics": gates,
        "drift.performance": {"metric": None, "max_drop": None},
        "drift.columns": {},
        "drift.min_rows": 100,
    }


def make_contract_repo(dest: Path, name: str) -> Path:
    """A project repo on a built-in contract (tests/schemas/<name>.yaml) with generated data."""
    from tests.support.data import BUILT_IN, contract, valid_frame

    make_repo(dest)
    schema = contract(name)
    shutil.copy2(BUILT_IN[name], dest / "schema.yaml")
    (dest / "data").mkdir(exist_ok=True)
    valid_frame(CONTRACT_ROWS, seed=11, schema=schema).to_csv(dest / "data" / f"{name}.csv", index=False)
    set_params(dest, {key: value for key, value in contract_params(name, schema).items() if "." in key})
    params = yaml.safe_load((dest / "params.yaml").read_text())
    params.update({key: value for key, value in contract_params(name, schema).items() if "." not in key})
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    commit_all(dest, f"the {name} contract")
    return dest


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "--allow-empty", "-m", message], repo)


def clone_workspace(source: Path, dest: Path) -> Path:
    """A full copy (git history, DVC cache, MLflow store, outputs) to mutate independently."""
    shutil.copytree(source, dest, symlinks=True)
    return dest
