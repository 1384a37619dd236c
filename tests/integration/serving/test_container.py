"""The Bento's OCI image, built by `bentoml containerize` and run with `docker run`: it becomes
ready, passes the deploy workflow's smoke test (parity with the pipeline model on the committed
sample requests, 4xx on a bad record) and writes its inference logs where INFERENCE_LOG_DIR says.

Runs whenever a Docker engine is reachable. On machines without one it is skipped with the
reason; `bash ../shared/tools/local-docker.sh` starts an engine where none runs by default.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from gitops_ml.deploy import smoke
from gitops_ml.schema import load_schema
from tests.support.project import VENV_BIN
from tests.support.serving import DOCKER_PATH, NO_DOCKER, docker_available, free_port, wait_ready

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bento")]


DOCKER = docker_available()


@pytest.mark.skipif(DOCKER is None, reason=NO_DOCKER)
def test_container_is_ready_and_passes_the_smoke_test(built_bento, tmp_path, record_property):
    project = built_bento.tag.split(":")[0]
    image = f"{project}-test:{built_bento.tag.split(':')[1]}"
    env = {**os.environ, "PATH": DOCKER_PATH, "DOCKER_BUILDKIT": "1", "BENTOML_HOME": str(built_bento.home)}
    subprocess.run(
        [str(VENV_BIN / "bentoml"), "containerize", built_bento.tag, "--image-tag", image],
        env=env, check=True, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    size = int(subprocess.run([DOCKER, "image", "inspect", "--format", "{{.Size}}", image],
                              capture_output=True, text=True, check=True).stdout)  # fmt: skip
    port, name = free_port(), f"{project}-test-{os.getpid()}"
    started = time.monotonic()
    subprocess.run(
        [DOCKER, "run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:3000",
         "--env", "INFERENCE_LOG_DIR=/home/bentoml/monitoring", image],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        ready_s = time.monotonic() - started
        schema = load_schema(built_bento.repo / "schema.yaml")
        expected_file = tmp_path / "expected.json"
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(built_bento.repo)  # the smoke test samples the repo's test split
            records = len(smoke.sample(schema))
            smoke.write_expected(expected_file, schema, built_bento.repo / "models/model.joblib", None)
        assert smoke.check_file(url, expected_file, schema, ready_timeout_s=60) == []
        monitor = project.replace("-", "_")
        logs = subprocess.run(
            [DOCKER, "exec", name, "sh", "-c", f"cat /home/bentoml/monitoring/{monitor}/data/data.*.log"],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
        assert len(logs) >= 2 * records  # the batch and each record alone
        record_property("image_size_mb", round(size / 1e6))
        record_property("seconds_to_ready", round(ready_s, 1))
        print(f"image {image}: {size / 1e6:.0f} MB, ready {ready_s:.1f} s after docker run")
    finally:
        subprocess.run([DOCKER, "logs", name], capture_output=True)
        subprocess.run([DOCKER, "rm", "--force", name], capture_output=True)
        subprocess.run([DOCKER, "rmi", "--force", image], capture_output=True)
