"""deploy.yml run by act against the fake GitHub, for every job that needs no registry.

GitHub, GHCR and a Docker engine are out of reach of test machines: act runs the real workflow on
this machine, the REST API and the git remote are the in-memory fake of tests/support/fake_github.py,
third-party actions are the stand-ins of tests/support/shims. The `image` and `publish` jobs
(containerize + smoke test, push to GHCR) need a Docker engine and a registry, so act is asked for
the other jobs by name: `build` on a push to main, and `deploy` on a manual run that names an image,
which is how the workflow redeploys a known digest. The container and its smoke test are covered
by tests/integration/serving/test_container.py; the push and its attestations (Sigstore, GitHub's
OIDC token) only run on GitHub, while the SBOM they attest is made by `build` and checked here.

The `deploy` job is also run where GitHub would catch it out: a digest step that fails (the job
must fail, since `promote` reads its result), a `main` that moved while the deploy ran (a second
clone pushes to the fake's bare repository, which rejects the non-fast-forward push as GitHub
does), and a pull request that GitHub refuses to GITHUB_TOKEN (403).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_ml.config import load_params
from gitops_ml.deploy import smoke
from tests.support.act import actions_store, main_with_pipeline_result, run_workflow
from tests.support.events import dispatch_event, push_event
from tests.support.fake_github import FakeGitHub
from tests.support.git import git_sha, move_branch
from tests.support.project import ROOT, run

PROJECT = load_params(ROOT / "params.yaml").project.name  # names the Bento

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("deploy-act")]

WORKFLOW = ".github/workflows/deploy.yml"
IMAGE = "ghcr.io/owner/repo@sha256:" + "5" * 64


@pytest.fixture(scope="module")
def lab(tmp_path_factory, reproduced_repo):
    root = tmp_path_factory.mktemp("deploy-lab")
    github = FakeGitHub(root / "github").start()
    store = actions_store(root)
    repo = main_with_pipeline_result(reproduced_repo, root / "repo", github)
    yield repo, github, store
    github.stop()


def remote_overlay(repo: Path, github: FakeGitHub, ref: str) -> dict:
    clone = repo.parent / f"clone-{ref.replace('/', '-')}"
    run(["git", "clone", "-q", "--branch", ref, github.repo_url, str(clone)], repo, **github.client_env())
    return yaml.safe_load((clone / "deploy/overlays/production/kustomization.yaml").read_text())


def test_build_job_reproduces_gates_and_exports_the_bento(lab):
    repo, github, store = lab
    result = run_workflow(repo, WORKFLOW, "push", push_event(repo), github=github, store=store, run_id=701,
                          job="build", timeout=1500)  # fmt: skip
    assert result.succeeded, result.log[-6000:]
    artifact = result.artifact("bento")
    names = {path.name for path in artifact.iterdir()}
    assert {"service.bento", "tag", "expected.json", "model.json", "model.joblib"} <= names
    assert (artifact / "tag").read_text().startswith(f"{PROJECT}:")
    expected = yaml.safe_load((artifact / "expected.json").read_text())
    assert len(expected["records"]) == len(expected["predictions"]) == smoke.SAMPLE_ROWS  # from the test split
    sbom = yaml.safe_load((result.artifact("sbom") / "sbom.cdx.json").read_text())  # JSON is YAML
    assert sbom["bomFormat"] == "CycloneDX"  # what the publish job attests with the image
    assert "bentoml" in {component["name"] for component in sbom["components"]}


def test_deploy_job_commits_the_digest_to_main(lab):
    repo, github, store = lab
    before = git_sha(repo, "main")
    result = run_workflow(repo, WORKFLOW, "workflow_dispatch", dispatch_event({"image": IMAGE}), github=github,
                          store=store, run_id=702, job="deploy", timeout=900)  # fmt: skip
    assert result.succeeded, result.log[-6000:]
    [image] = remote_overlay(repo, github, "main")["images"]
    assert image == {"name": "model-service", "newName": "ghcr.io/owner/repo", "digest": "sha256:" + "5" * 64}
    assert "KUBE_CONFIG" in result.summary  # no cluster secret: the GitOps controller applies it
    assert git_sha(repo, "main") == before  # the workflow pushed to the remote, not to this checkout


def test_deploy_job_opens_a_pull_request_when_asked(lab):
    repo, github, store = lab
    image = "ghcr.io/owner/repo@sha256:" + "6" * 64
    result = run_workflow(repo, WORKFLOW, "workflow_dispatch", dispatch_event({"image": image}), github=github,
                          store=store, run_id=703, job="deploy", variables={"GITOPS_MODE": "pull-request"},
                          timeout=900)  # fmt: skip
    assert result.succeeded, result.log[-6000:]
    [pull] = [p for p in github.state.pulls.values() if p["head"]["ref"].startswith("deploy/")]
    assert pull["base"]["ref"] == "main" and pull["title"].startswith("deploy: production runs sha256:6666")
    [entry] = remote_overlay(repo, github, pull["head"]["ref"])["images"]
    assert entry["digest"] == "sha256:" + "6" * 64


def remote_main_sha(repo: Path, github: FakeGitHub) -> str:
    out = run(["git", "ls-remote", github.repo_url, "refs/heads/main"], repo, **github.client_env()).stdout
    return out.split()[0]


def test_a_failed_digest_update_fails_the_job_and_publishes_nothing(lab):
    """`echo "result=$(python ...)"` once hid this failure: the job was green, so `promote` (which
    reads the deploy job's result) would have moved `champion` with no digest recorded."""
    repo, github, store = lab
    before = remote_main_sha(repo, github)
    not_a_digest = "ghcr.io/owner/repo:latest"  # gitops refuses a tag: the digest step fails
    result = run_workflow(repo, WORKFLOW, "workflow_dispatch", dispatch_event({"image": not_a_digest}), github=github,
                          store=store, run_id=704, job="deploy", timeout=900)  # fmt: skip
    assert not result.succeeded
    assert result.job_results == {"deploy": "failure"}  # what `promote` gets as DEPLOY_RESULT
    assert result.step_results["record"] == "failure"
    assert "is not an image reference by digest" in result.log
    assert remote_main_sha(repo, github) == before  # nothing pushed


def test_a_main_that_moved_during_the_deploy_gets_the_digest_commit_on_top(lab, tmp_path):
    repo, github, store = lab
    moved = move_branch(github, tmp_path / "other", "main", "docs/merged-meanwhile.md", "a merge\n", "merged meanwhile")
    image = "ghcr.io/owner/repo@sha256:" + "7" * 64
    result = run_workflow(repo, WORKFLOW, "workflow_dispatch", dispatch_event({"image": image}), github=github,
                          store=store, run_id=705, job="deploy", timeout=900)  # fmt: skip
    assert result.succeeded, result.log[-6000:]
    tip = remote_main_sha(repo, github)
    clone = repo.parent / "clone-moved"
    run(["git", "clone", "-q", github.repo_url, str(clone)], repo, **github.client_env())
    assert git_sha(clone, "HEAD~1") == moved  # the other commit kept; ours on top
    assert git_sha(clone) == tip
    [entry] = yaml.safe_load((clone / "deploy/overlays/production/kustomization.yaml").read_text())["images"]
    assert entry["digest"] == "sha256:" + "7" * 64
    assert "moved" in result.summary


def test_a_refused_pull_request_names_the_repository_setting(lab):
    repo, github, store = lab
    github.actions_can_create_pull_requests = False  # GitHub's default
    try:
        image = "ghcr.io/owner/repo@sha256:" + "8" * 64
        result = run_workflow(repo, WORKFLOW, "workflow_dispatch", dispatch_event({"image": image}), github=github,
                              store=store, run_id=706, job="deploy", variables={"GITOPS_MODE": "pull-request"},
                              timeout=900)  # fmt: skip
    finally:
        github.actions_can_create_pull_requests = True
    assert not result.succeeded
    assert "Allow GitHub Actions to create and approve pull requests" in result.log
    assert [call.status for call in github.calls("POST", r"/pulls$")][-1] == 403
