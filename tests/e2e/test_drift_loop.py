"""The loop on one machine: serve the model, replay later months' traffic, check the logs, find drift.

Real pieces only: the project after `dvc repro` (test sample), the model imported into a private
BentoML store, `bentoml serve` of the service (as `make serve` runs it) on a free loopback port,
`python -m gitops_ml.drift.replay` sending the production window's flights, and the drift check
reading the inference logs the service wrote with bentoml.monitor.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gitops_ml.drift import decision
from tests.support.project import VENV_BIN, env_for, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-loop")]
READY_TIMEOUT_S = 240  # a cold `bentoml serve` takes ~10 s; allow for a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bentoml serve exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready after {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


def test_served_traffic_from_autumn_drifts_in_the_weather_columns(workspace, tmp_path):
    home, logs = tmp_path / "bentoml", tmp_path / "monitoring"
    extra = {"BENTOML_HOME": str(home), "INFERENCE_LOG_DIR": str(logs)}
    run(["python", "-m", "gitops_ml.deploy.import_model"], workspace, **extra)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve_log = tmp_path / "serve.log"
    with serve_log.open("w") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "bentoml"), "serve", "gitops_ml.service:FlightDelay", "--host", "127.0.0.1", "--port",
             str(port)],
            cwd=workspace, env=env_for(workspace, **extra), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_ready(url, process, serve_log)
        replayed = run(
            ["python", "-m", "gitops_ml.drift.replay", "--url", url, "--rows", "3000", "--batch-size", "250"],
            workspace,
            **extra,
        )
        assert "3000 of 3000 records scored" in replayed.stdout, replayed.stdout + replayed.stderr
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)

    data_logs = list((logs / "flight_delay" / "data").glob("data.*.log*"))
    assert data_logs and sum(len(f.read_text().splitlines()) for f in data_logs) == 3000

    checked = run(["python", "-m", "gitops_ml.drift", "--source", "logs", "--out", str(tmp_path / "out")], workspace,
                  **extra)  # fmt: skip
    assert "Drift detected" in checked.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["current"]["rows"] == 3000 and "inference logs" in summary["current"]["description"]
    assert summary["decision"]["status"] == decision.DRIFT
    assert {"temp", "dewp"} <= set(summary["decision"]["drifted_columns"])
    assert summary["prediction"] is not None  # the served probabilities were compared too
