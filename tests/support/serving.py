"""Building and serving real Bentos from a project repo in a temp dir, for the service tests.

The steps are the ones ``make bento`` runs (requirements exported from uv.lock, model imported
from the pipeline's output, ``bentoml build``), each against a private ``BENTOML_HOME``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from gitops_ml.schema import Schema
from tests.support.data import contract
from tests.support.project import VENV_BIN, env_for, run

# Debian's docker CLI (/usr/bin) has BuildKit; another docker on PATH may lack buildx.
DOCKER_PATH = os.pathsep.join(["/usr/bin", os.environ.get("PATH", "")])
NO_DOCKER = "no Docker engine reachable (start one: bash ../shared/tools/local-docker.sh)"
READY_TIMEOUT_S = 240  # a cold `bentoml serve` is ~10 s; allow for a loaded 2-core machine


def docker_available() -> str | None:
    """The docker CLI, when an engine answers it; None otherwise (the tests that need one skip)."""
    docker = shutil.which("docker", path=DOCKER_PATH)
    if docker is None:
        return None
    probe = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    return docker if probe.returncode == 0 else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_bento(repo: Path, bentoml_home: Path) -> str:
    """Export the serving requirements, import the repo's model and build its Bento; the tag."""
    home = {"BENTOML_HOME": str(bentoml_home)}
    run(
        [str(VENV_BIN / "uv"), "export", "--frozen", "--no-dev", "--extra", "serve", "--no-emit-project",
         "--no-hashes", "--no-header", "--format", "requirements-txt", "--output-file", "src/requirements-serve.txt",
         "--quiet"],
        repo,
    )  # fmt: skip
    run(["python", "-m", "gitops_ml.deploy.import_model"], repo, **home)
    run(["python", "-m", "gitops_ml.deploy.bento"], repo, **home)
    return (repo / "build/bento/tag").read_text().strip()


@contextmanager
def serving(target: str, cwd: Path, bentoml_home: Path, log_dir: Path) -> Iterator[str]:
    """``bentoml serve TARGET`` on a free loopback port until ready; yields the base URL."""
    port = free_port()
    env = env_for(cwd, BENTOML_HOME=str(bentoml_home), INFERENCE_LOG_DIR=str(log_dir))
    log = (log_dir.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "bentoml"), "serve", target, "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, Path(log.name))
        yield url
    finally:
        stop_process_group(process)
        log.close()


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session=True``: its whole process group (workers
    included), politely first."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_ready(url: str, process: subprocess.Popen | None = None, log: Path | None = None) -> float:
    """Seconds until ``/readyz`` answered 200; fails with the server's log if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < READY_TIMEOUT_S:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}:\n{log.read_text() if log else ''}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {READY_TIMEOUT_S} s:\n{log.read_text() if log else ''}")


def to_record(row: dict[str, Any], schema: Schema | None = None) -> dict[str, Any]:
    """A pipeline row -> a request record (inputs only; timestamps as ISO text, NaN as null)."""
    record = {}
    for column in (schema or contract()).input_columns():
        value = row[column.name]
        if isinstance(value, pd.Timestamp):
            value = value.isoformat()
        elif isinstance(value, float) and math.isnan(value):
            value = None
        record[column.name] = value
    return record


def to_records(frame: pd.DataFrame, schema: Schema | None = None) -> list[dict[str, Any]]:
    return [to_record(row, schema) for row in frame.to_dict(orient="records")]


def shipped_monitor() -> str:
    """The shipped project's inference-log monitor (params.yaml project.name, underscored)."""
    from gitops_ml.config import load_params
    from tests.support.project import ROOT

    return load_params(ROOT / "params.yaml").project.identifier


def read_log_lines(log_dir: Path, monitor: str | None = None) -> list[dict[str, Any]]:
    monitor = monitor or shipped_monitor()
    lines = []
    for path in sorted((log_dir / monitor / "data").glob("data.*.log*")):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return lines
