"""Optional direct apply, for clusters without Argo CD/Flux (the workflow runs it when the
``KUBE_CONFIG`` secret exists; ``KUBECONFIG`` points at the file it was written to).

    python -m gitops_ml.deploy.kube --overlay deploy/overlays/production [--timeout 300]

``kubectl apply -k`` the overlay, wait for the rollout, smoke test the service through a
port-forward, and ``kubectl rollout undo`` when the rollout or the smoke test fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import yaml

from gitops_ml.deploy import DeployError, cli, smoke
from gitops_ml.schema import load_schema

DEPLOYMENT = "model-service"  # deploy/base: neutral names, the same for every project
LOCAL_PORT = 18080


def kubectl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["kubectl", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise DeployError(f"kubectl {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def namespace_of(overlay: Path) -> str:
    return (yaml.safe_load((overlay / "kustomization.yaml").read_text()) or {}).get("namespace", "default")


def smoke_through_port_forward(namespace: str, expected: Path) -> list[str]:
    """The smoke test through a port-forward; without expected predictions (redeploying an image
    by digest: no build ran) only readiness and the 4xx on a bad record are checked."""
    forward = subprocess.Popen(
        ["kubectl", "port-forward", "-n", namespace, f"service/{DEPLOYMENT}", f"{LOCAL_PORT}:80"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(2)
        url = f"http://127.0.0.1:{LOCAL_PORT}"
        if not expected.exists():
            print(f"{expected} missing (no build in this run): checking readiness and bad input only")
            return smoke.check_refusal(url, load_schema(), ready_timeout_s=60)
        return smoke.check_file(url, expected, load_schema(), ready_timeout_s=60)
    finally:
        forward.terminate()
        forward.wait()


def apply(overlay: Path, timeout_s: int, expected: Path = smoke.EXPECTED) -> str:
    namespace = namespace_of(overlay)
    kubectl("apply", "-k", str(overlay))
    rollout = kubectl(
        "rollout", "status", f"deployment/{DEPLOYMENT}", "-n", namespace, f"--timeout={timeout_s}s", check=False
    )
    problems = [f"rollout did not complete: {rollout.stderr.strip()}"] if rollout.returncode else []
    if not problems:
        problems = smoke_through_port_forward(namespace, expected)
    if problems:
        kubectl("rollout", "undo", f"deployment/{DEPLOYMENT}", "-n", namespace, check=False)
        raise DeployError("rolled back: " + "; ".join(problems))
    return f"deployment/{DEPLOYMENT} in {namespace} rolled out and passed the smoke test"


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlay", type=Path, default=Path("deploy/overlays/production"))
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--expected", type=Path, default=smoke.EXPECTED, help="records and predictions to compare")
    args = parser.parse_args(argv)
    print(apply(args.overlay, args.timeout, args.expected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
