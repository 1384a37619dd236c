"""A real `mlflow server` (sqlite backend, local artifact store) on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.project import VENV_BIN
from tests.support.serving import free_port, stop_process_group

START_TIMEOUT_S = 180  # the first start creates the schema (~30 s); more on a loaded machine


@contextmanager
def mlflow_server(directory: Path) -> Iterator[str]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    log = (directory / "mlflow-server.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{directory / 'mlflow.db'}",
         "--artifacts-destination", str(directory / "artifacts")],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise AssertionError(f"mlflow server exited {process.returncode}:\n{Path(log.name).read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"mlflow server not up after {START_TIMEOUT_S} s:\n{Path(log.name).read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process_group(process)
        log.close()
