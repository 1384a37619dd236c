"""deploy/kube.py, the direct apply for clusters without Argo CD/Flux: apply the overlay, wait for
the rollout, smoke test through a port-forward, and `rollout undo` when either fails.

There is no cluster offline: `kubectl` is a recording stand-in put first on PATH
(tests/support/kubectl/kubectl: it logs every call and fails the subcommand a test names), and
the smoke test itself (tested against a real service in tests/integration/serving) is replaced
by a recorder here, so what is checked is the order of the kubectl calls and the rollback rule.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitops_ml.deploy import DeployError, kube

STAND_IN = Path(__file__).resolve().parents[1] / "support" / "kubectl"


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("namespace: shop\nresources: []\n")
    log = tmp_path / "kubectl.jsonl"
    monkeypatch.setenv("PATH", f"{STAND_IN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KUBECTL_LOG", str(log))
    smoked: list[str] = []

    def smoke_result(problems):
        def check(url, *args, **kwargs):
            smoked.append(url)
            return problems

        return check

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def set_smoke(problems: list[str]) -> None:
        monkeypatch.setattr(kube.smoke, "check_file", smoke_result(problems))
        monkeypatch.setattr(kube.smoke, "check_refusal", smoke_result(problems))

    set_smoke([])
    return overlay, calls, smoked, set_smoke, monkeypatch


APPLY = ["apply", "-k"]
STATUS = ["rollout", "status", "deployment/model-service", "-n", "shop", "--timeout=7s"]
FORWARD = ["port-forward", "-n", "shop", "service/model-service", f"{kube.LOCAL_PORT}:80"]
UNDO = ["rollout", "undo", "deployment/model-service", "-n", "shop"]


def test_a_good_rollout_is_applied_waited_for_and_smoke_tested(cluster, tmp_path):
    overlay, calls, smoked, _, _ = cluster
    message = kube.apply(overlay, 7, tmp_path / "no-expected.json")
    assert message == "deployment/model-service in shop rolled out and passed the smoke test"
    assert calls() == [[*APPLY, str(overlay)], STATUS, FORWARD]
    assert smoked == [f"http://127.0.0.1:{kube.LOCAL_PORT}"]


def test_a_rollout_that_does_not_complete_is_undone_without_a_smoke_test(cluster, tmp_path):
    overlay, calls, smoked, _, monkeypatch = cluster
    monkeypatch.setenv("KUBECTL_FAIL", "rollout status")
    monkeypatch.setenv("KUBECTL_FAIL_MESSAGE", "deployment exceeded its progress deadline")
    with pytest.raises(DeployError) as raised:
        kube.apply(overlay, 7, tmp_path / "no-expected.json")
    assert str(raised.value) == "rolled back: rollout did not complete: deployment exceeded its progress deadline"
    assert calls() == [[*APPLY, str(overlay)], STATUS, UNDO]
    assert smoked == []


def test_a_failed_smoke_test_is_undone(cluster, tmp_path):
    overlay, calls, _, set_smoke, _ = cluster
    set_smoke(["predictions differ from the pipeline's on 3 record(s)"])
    with pytest.raises(DeployError, match=r"^rolled back: predictions differ from the pipeline's on 3 record\(s\)$"):
        kube.apply(overlay, 7, tmp_path / "no-expected.json")
    assert calls() == [[*APPLY, str(overlay)], STATUS, FORWARD, UNDO]


def test_a_refused_apply_stops_before_any_rollout(cluster, tmp_path, capsys):
    overlay, calls, _, _, monkeypatch = cluster
    monkeypatch.setenv("KUBECTL_FAIL", "apply")
    monkeypatch.setenv("KUBECTL_FAIL_MESSAGE", "error: no objects passed to apply")
    assert kube.main(["--overlay", str(overlay), "--timeout", "7", "--expected", str(tmp_path / "x.json")]) == 1
    assert "no objects passed to apply" in capsys.readouterr().err
    assert calls() == [[*APPLY, str(overlay)]]
