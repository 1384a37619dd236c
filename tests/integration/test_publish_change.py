"""Pushing the deploy commit, on real git repositories and the fake GitHub (git over HTTPS, REST).

The remote is a bare repository served by `git http-backend`, which rejects a push that is not a
fast-forward exactly as GitHub does; the pull request endpoint answers 403 as GitHub does when the
repository does not allow GitHub Actions to open pull requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.fake_github import FakeGitHub
from tests.support.git import git_sha, move_branch, set_origin
from tests.support.project import make_repo, run

OVERLAY = "deploy/overlays/production/kustomization.yaml"
OURS = "ghcr.io/owner/repo@sha256:" + "a" * 64
THEIRS = "ghcr.io/owner/repo@sha256:" + "b" * 64


@pytest.fixture
def github(tmp_path):
    with FakeGitHub(tmp_path / "github") as github:
        yield github


@pytest.fixture
def checkout(tmp_path, github) -> Path:
    """The deploy job's checkout: main as it was when the deploy started, pushed to the fake."""
    repo = make_repo(tmp_path / "repo")
    github.create_git_repo()
    set_origin(repo, github)
    run(["git", "push", "-q", "origin", "main"], repo, **github.git_env())
    return repo


def actions_env(github: FakeGitHub, token: str | None = None) -> dict[str, str]:
    return {
        **github.client_env(),
        # What deploy.yml's deploy job declares for its GITHUB_TOKEN.
        "GITHUB_TOKEN": token or github.issue_token({"contents": "write", "pull-requests": "write"}),
        "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
        "GITHUB_SERVER_URL": github.base_url,
        "GITHUB_API_URL": github.api_url,
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    }


def record_and_push(repo: Path, github: FakeGitHub, mode: str = "commit", token: str | None = None):
    run(["python", "-m", "gitops_ml.deploy.gitops", "--image", OURS, "--commit"], repo)
    return run(
        ["python", "-m", "gitops_ml.deploy.publish", "change", "--mode", mode, "--branch", "main", "--image", OURS],
        repo,
        check=False,
        **actions_env(github, token),
    )


def remote_main(github: FakeGitHub, dest: Path) -> Path:
    run(["git", "clone", "-q", "--branch", "main", github.repo_url, str(dest)], dest.parent, **github.client_env())
    return dest


def overlay_image(repo: Path) -> str:
    [entry] = yaml.safe_load((repo / OVERLAY).read_text())["images"]
    return f"{entry['newName']}@{entry['digest']}"


def test_a_main_that_did_not_move_gets_the_deploy_commit(checkout, github, tmp_path):
    pushed = record_and_push(checkout, github)
    assert pushed.returncode == 0, pushed.stderr
    clone = remote_main(github, tmp_path / "clone")
    assert git_sha(clone) == git_sha(checkout)
    assert overlay_image(clone) == OURS


def test_a_main_that_moved_during_the_deploy_gets_the_digest_on_top(checkout, github, tmp_path):
    started_from = git_sha(checkout)
    moved = move_branch(github, tmp_path / "other", "main", "docs/merged.md", "merged meanwhile\n", "a merge")
    pushed = record_and_push(checkout, github)
    assert pushed.returncode == 0, pushed.stderr
    assert "moved" in pushed.stdout
    clone = remote_main(github, tmp_path / "clone")
    assert git_sha(clone, "HEAD~1") == moved  # their commit kept, ours on top
    assert (clone / "docs/merged.md").read_text() == "merged meanwhile\n"
    assert overlay_image(clone) == OURS
    assert run(["git", "merge-base", "--is-ancestor", started_from, "HEAD"], clone, check=False).returncode == 0


def test_another_deploys_digest_commit_on_the_same_lines_is_built_upon_not_overwritten(checkout, github, tmp_path):
    other = tmp_path / "other"
    run(["git", "clone", "-q", "--branch", "main", github.repo_url, str(other)], tmp_path, **github.client_env())
    run(["python", "-m", "gitops_ml.deploy.gitops", "--image", THEIRS, "--commit"], other)
    run(["git", "push", "-q", "origin", "main"], other, **github.git_env())
    theirs = git_sha(other)

    pushed = record_and_push(checkout, github)
    assert pushed.returncode == 0, pushed.stderr
    clone = remote_main(github, tmp_path / "clone")
    assert git_sha(clone, "HEAD~1") == theirs
    assert overlay_image(clone) == OURS
    assert run(["git", "log", "-1", "--format=%s"], clone).stdout.startswith("deploy: production runs sha256:aaaa")


def test_a_main_that_already_runs_the_image_gets_nothing_new(checkout, github, tmp_path):
    other = tmp_path / "other"
    run(["git", "clone", "-q", "--branch", "main", github.repo_url, str(other)], tmp_path, **github.client_env())
    # An earlier run of the same image (e.g. a rerun) recorded it already.
    run(["python", "-m", "gitops_ml.deploy.gitops", "--image", OURS, "--commit", "--source-commit", "earlier"], other)
    run(["git", "push", "-q", "origin", "main"], other, **github.git_env())

    pushed = record_and_push(checkout, github)
    assert pushed.returncode == 0, pushed.stderr
    assert "already runs" in pushed.stdout
    assert git_sha(remote_main(github, tmp_path / "clone")) == git_sha(other)


def test_github_token_refused_a_pull_request_names_the_setting(checkout, github):
    github.actions_can_create_pull_requests = False
    pushed = record_and_push(checkout, github, mode="pull-request")
    assert pushed.returncode == 1
    assert "Allow GitHub Actions to create and approve pull requests" in pushed.stderr
    assert [call.status for call in github.calls("POST", r"/pulls$")] == [403]
    assert not github.state.pulls


def test_a_token_that_may_open_pull_requests_is_not_refused(checkout, github):
    github.actions_can_create_pull_requests = False
    pushed = record_and_push(checkout, github, mode="pull-request", token=github.issue_token(kind="pat"))
    assert pushed.returncode == 0, pushed.stderr
    [pull] = github.state.pulls.values()
    assert pull["head"]["ref"].startswith("deploy/") and pull["base"]["ref"] == "main"
