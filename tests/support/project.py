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


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "--allow-empty", "-m", message], repo)


def clone_workspace(source: Path, dest: Path) -> Path:
    """A full copy (git history, DVC cache, MLflow store, outputs) to mutate independently."""
    shutil.copytree(source, dest, symlinks=True)
    return dest
