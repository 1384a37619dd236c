"""`publish.push_image` against a real registry: Debian's `docker-registry` (distribution v2) serving
plain HTTP on a loopback port, which the Docker engine accepts without TLS (127.0.0.0/8 is an
insecure registry by default).

GHCR cannot be reached from the machines that run the tests, so the registry host is the one thing
replaced: ``publish.REGISTRY`` (``ghcr.io``) is pointed at the local registry for the test; the
tag, push and digest lookup are the product's own. Runs whenever a Docker engine is reachable and
the `docker-registry` binary is installed (`.ci/run` installs it); otherwise skipped with the reason.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gitops_ml.deploy import DeployError, publish
from tests.support.serving import DOCKER_PATH, NO_DOCKER, docker_available, free_port

REPOSITORY = "Acme/Flights"  # GitHub spells owners with capitals; registries want lower case
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)


DOCKER = docker_available()
REGISTRY_BINARY = shutil.which("docker-registry") or shutil.which("registry")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(DOCKER is None, reason=NO_DOCKER),
    pytest.mark.skipif(
        REGISTRY_BINARY is None, reason="no local registry: install Debian's docker-registry (.ci/run does, as root)"
    ),
]


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    assert DOCKER is not None
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, check=check)


def start_registry(root: Path, port: int) -> subprocess.Popen:
    """A registry with no auth on 127.0.0.1:PORT, storing its blobs under ROOT."""
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'storage'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    assert REGISTRY_BINARY is not None
    log = (root / "registry.log").open("w")
    process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"the registry did not start: {(root / 'registry.log').read_text()}")


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Iterator[str]:
    """The registry's host:port, with ``publish`` pointed at it instead of ghcr.io."""
    port = free_port()
    process = start_registry(tmp_path, port)
    host = f"127.0.0.1:{port}"
    monkeypatch.setattr(publish, "REGISTRY", host)
    monkeypatch.setenv("PATH", DOCKER_PATH)
    try:
        yield host
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def local_image() -> Iterator[str]:
    """A one-file image made by `docker import` (no base image, nothing to pull), unique per test so
    that its digest is this test's own; every tag it gains is removed afterwards."""
    name = f"publish-test:{uuid.uuid4().hex[:12]}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        payload = f"built for {name}\n".encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    assert DOCKER is not None
    subprocess.run([DOCKER, "import", "-", name], input=buffer.getvalue(), capture_output=True, check=True)
    image_id = docker("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()
    try:
        yield name
    finally:
        docker("image", "rm", "--force", image_id, check=False)


def test_push_image_returns_the_digest_the_registry_serves(registry, local_image):
    tag = "0123456789abcdef"
    reference = publish.push_image(local_image, REPOSITORY, tag)

    name = "acme/flights"
    assert reference.startswith(f"{registry}/{name}@sha256:")
    digest = reference.split("@", 1)[1]
    served = httpx.get(f"http://{registry}/v2/{name}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES})
    assert served.status_code == 200, served.text
    assert served.headers["Docker-Content-Digest"] == digest

    # Pulling by that digest, with every local copy gone, brings back the very image that was pushed.
    image_id = docker("image", "inspect", "--format", "{{.Id}}", local_image).stdout.strip()
    docker("image", "rm", "--force", image_id)
    docker("pull", reference)
    assert docker("image", "inspect", "--format", "{{.Id}}", reference).stdout.strip() == image_id


def test_a_push_to_an_unreachable_registry_raises_a_deploy_error(registry, local_image, monkeypatch):
    unreachable = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setattr(publish, "REGISTRY", unreachable)
    with pytest.raises(DeployError) as raised:
        publish.push_image(local_image, REPOSITORY, "0123456789abcdef")
    message = str(raised.value)
    assert message.startswith(f"docker push {unreachable}/acme/flights:0123456789abcdef failed:")
    assert "connection refused" in message.lower()
