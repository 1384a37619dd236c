"""The GitOps step on a real git repository (a copy of this project in a temp dir): the CLI
commits the new digest into the production overlay, `kubectl kustomize` then renders that exact
image, rerunning is a no-op, and `git revert` of the deploy commit is a rollback."""

from __future__ import annotations

import subprocess

import yaml

from tests.support.project import VENV_BIN, make_repo, run

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64


def rendered_image(repo) -> str:
    output = run([str(VENV_BIN / "kubectl"), "kustomize", "deploy/overlays/production"], repo).stdout
    [deployment] = [doc for doc in yaml.safe_load_all(output) if doc and doc["kind"] == "Deployment"]
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def deploy(repo, digest: str) -> subprocess.CompletedProcess:
    return run(
        ["python", "-m", "gitops_ml.deploy.gitops", "--image", f"ghcr.io/acme/flights@{digest}", "--commit",
         "--source-commit", "0123abc"],
        repo,
    )  # fmt: skip


def commits(repo) -> list[str]:
    return run(["git", "log", "--format=%s"], repo).stdout.splitlines()


def test_digest_commit_render_rerun_and_revert(tmp_path):
    repo = make_repo(tmp_path / "repo")
    assert deploy(repo, OLD).stdout.strip() == "changed"
    assert deploy(repo, NEW).stdout.strip() == "changed"
    assert rendered_image(repo) == f"ghcr.io/acme/flights@{NEW}"
    log = run(["git", "log", "-1", "--format=%B"], repo).stdout
    assert f"ghcr.io/acme/flights@{NEW}" in log and "Built from 0123abc" in log
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
    assert run(["git", "show", "--name-only", "--format="], repo).stdout.split() == [
        "deploy/overlays/production/kustomization.yaml"
    ]

    before = commits(repo)
    assert deploy(repo, NEW).stdout.strip() == "unchanged"
    assert commits(repo) == before

    run(["git", "revert", "--no-edit", "HEAD"], repo)  # the rollback docs/deploy.md describes
    assert rendered_image(repo) == f"ghcr.io/acme/flights@{OLD}"


def test_bad_reference_fails_without_touching_the_repo(tmp_path):
    repo = make_repo(tmp_path / "repo")
    command = ["python", "-m", "gitops_ml.deploy.gitops", "--image", "ghcr.io/acme/flights:latest"]
    result = run(command, repo, check=False)
    assert result.returncode == 1 and "digest" in result.stderr
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
