"""Recording an image digest in a kustomization: only the image entry changes, comments stay,
anything that is not a digest reference is refused."""

from __future__ import annotations

import pytest
import yaml

from gitops_ml.deploy import DeployError
from gitops_ml.deploy.gitops import ImageReference, set_image

DIGEST = "sha256:" + "ab" * 32
IMAGE = ImageReference.parse(f"ghcr.io/acme/flights@{DIGEST}")

OVERLAY = """\
# keep me
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: sidecar
    newTag: "1.2"
  - name: model-service
    newName: ghcr.io/your-org/your-repo  # set by the workflow
    newTag: latest
replicas:
  - name: model-service
    count: 3
"""


def test_digest_replaces_name_and_tag_and_keeps_everything_else():
    updated = set_image(OVERLAY, IMAGE)
    parsed = yaml.safe_load(updated)
    assert parsed["images"] == [
        {"name": "sidecar", "newTag": "1.2"},
        {"name": "model-service", "newName": "ghcr.io/acme/flights", "digest": DIGEST},
    ]
    assert parsed["replicas"] == [{"name": "model-service", "count": 3}]
    assert "# keep me" in updated and "# set by the workflow" in updated


def test_setting_the_same_digest_twice_changes_nothing():
    once = set_image(OVERLAY, IMAGE)
    assert set_image(once, IMAGE) == once


def test_overlay_without_images_gets_an_entry():
    updated = set_image("resources:\n  - ../../base\n", IMAGE)
    assert yaml.safe_load(updated)["images"] == [
        {"name": "model-service", "newName": "ghcr.io/acme/flights", "digest": DIGEST}
    ]


@pytest.mark.parametrize(
    "reference",
    [
        "ghcr.io/acme/flights:latest",  # a tag can move; a digest cannot
        "ghcr.io/acme/flights@sha256:abc",
        "ghcr.io/Acme/flights@" + DIGEST,  # registries want lower case
        "ghcr.io/acme/flights@" + DIGEST + "; rm -rf /",
    ],
)
def test_only_digest_references_are_accepted(reference):
    with pytest.raises(DeployError):
        ImageReference.parse(reference)


def test_images_entry_in_flow_style_is_refused_rather_than_guessed():
    with pytest.raises(DeployError, match="model-service"):
        set_image("images: [{name: model-service, newTag: v1}]\n", IMAGE)
