"""The fake GitHub checks tokens as GitHub does: only tokens it issued, each with its fine-grained
permissions, over REST and over git; and act's GITHUB_TOKEN holds what the workflow declares.

A stand-in that lets any Authorization write would let a workflow whose job lacks a permission
pass here and fail on GitHub; these pin the answers down (status and GitHub's message)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.act import RESTRICTED_DEFAULT, fake_token, token_permissions
from tests.support.fake_github import FakeGitHub

WORKFLOWS = Path(__file__).parents[2] / ".github" / "workflows"
REPO = "/repos/owner/repo"


@pytest.fixture
def github(tmp_path):
    with FakeGitHub(tmp_path / "github") as fake:
        yield fake


def call(github: FakeGitHub, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, github.api_url + path, headers=headers, verify=str(github.ca_cert), **kwargs)


def test_a_token_the_fake_did_not_issue_is_bad_credentials_even_for_a_read(github):
    for method, path, body in (("GET", f"{REPO}/issues", None), ("POST", f"{REPO}/issues", {"title": "t"})):
        answer = call(github, method, path, fake_token(), json=body)
        assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"
    assert not github.state.issues


def test_anonymous_reads_of_the_public_repository_pass_and_writes_need_authentication(github):
    github.create_issue("public")
    assert call(github, "GET", f"{REPO}/issues").status_code == 200
    answer = call(github, "POST", f"{REPO}/issues", json={"title": "t"})
    assert answer.status_code == 401 and answer.json()["message"] == "Requires authentication"
    assert len(github.state.issues) == 1


# (method, path, body, the permission it needs); GET needs read, the others write.
ROUTES = [
    ("GET", f"{REPO}/issues", None, "issues"),
    ("POST", f"{REPO}/issues", {"title": "t"}, "issues"),
    ("POST", f"{REPO}/issues/1/comments", {"body": "b"}, "issues"),  # issue 1 is an issue
    ("PATCH", f"{REPO}/issues/1", {"state": "closed"}, "issues"),
    ("POST", f"{REPO}/labels", {"name": "drift"}, "issues"),
    ("GET", f"{REPO}/pulls", None, "pull-requests"),
    ("POST", f"{REPO}/pulls", {"title": "t", "head": "feature", "base": "main"}, "pull-requests"),
    ("GET", f"{REPO}/pulls/2", None, "pull-requests"),
    ("POST", f"{REPO}/actions/workflows/retrain.yml/dispatches", {"ref": "main"}, "actions"),
]


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_each_route_needs_its_permission_at_its_level(github, method, path, body, permission):
    github.create_issue("an issue")  # 1
    github.create_branch("main")
    github.add_pull(2, head_sha=github.create_branch("feature"), head_ref="feature")
    github.state.pulls[2]["state"] = "closed"  # so that POST /pulls is not a duplicate
    level = "read" if method == "GET" else "write"
    others = {name: "write" for name in ("contents", "issues", "pull-requests", "actions") if name != permission}
    refused = call(github, method, path, github.issue_token(others), json=body)
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by integration"
    if level == "write":  # read is not enough to write
        assert call(github, method, path, github.issue_token({permission: "read"}), json=body).status_code == 403
    assert call(github, method, path, github.issue_token({permission: level}), json=body).status_code < 300


def test_metadata_is_always_readable_and_a_pat_is_refused_in_its_own_words(github):
    nothing = github.issue_token({})  # `permissions: {}`
    assert call(github, "GET", REPO, nothing).status_code == 200
    refused = call(github, "POST", f"{REPO}/issues", github.issue_token({"contents": "write"}, kind="pat"),
                   json={"title": "t"})  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by personal access token"


def test_a_pull_requests_conversation_takes_issues_or_pull_requests_permission(github):
    github.create_issue("an issue")  # 1
    github.add_pull(2, head_sha="a" * 40, head_ref="feature")
    pulls_only = github.issue_token({"pull-requests": "write"})
    comment = call(github, "POST", f"{REPO}/issues/2/comments", pulls_only, json={"body": "report"})
    assert comment.status_code == 201
    assert call(github, "GET", f"{REPO}/issues/2/comments", pulls_only).status_code == 200
    comment_id = comment.json()["id"]
    assert (
        call(github, "PATCH", f"{REPO}/issues/comments/{comment_id}", pulls_only, json={"body": "v2"}).status_code
        == 200
    )
    issues_only = github.issue_token({"issues": "write"})
    assert call(github, "POST", f"{REPO}/issues/2/comments", issues_only, json={"body": "b"}).status_code == 201
    assert call(github, "POST", f"{REPO}/issues/1/comments", pulls_only, json={"body": "b"}).status_code == 403
    assert [c["body"] for c in github.comments(1)] == []


# ---- git over HTTPS ---------------------------------------------------------------------------
def git(*args: str, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
                          check=check)  # fmt: skip


@pytest.fixture
def work(github, tmp_path) -> Path:
    """A clone of the fake's repository (main: one commit) with one more local commit to push."""
    github.create_git_repo()
    github.create_branch("main")
    work = tmp_path / "work"
    git("clone", "-q", github.repo_url, str(work), cwd=tmp_path, env=github.client_env())  # anonymous: public
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "more", cwd=work,
        env={})  # fmt: skip
    return work


def remote_main(github: FakeGitHub) -> str:
    bare = github.git_root / "owner/repo.git"
    return subprocess.run(["git", "rev-parse", "main"], cwd=bare, capture_output=True, text=True).stdout.strip()


def test_an_anonymous_push_is_challenged_and_refused(github, work):
    before = remote_main(github)
    pushed = git("push", "origin", "main", cwd=work, env={**github.client_env(), "GIT_TERMINAL_PROMPT": "0"},
                 check=False)  # fmt: skip
    assert pushed.returncode != 0 and remote_main(github) == before
    [advert] = [c for c in github.calls("GET", r"/info/refs$") if c.query.get("service") == ["git-receive-pack"]]
    assert advert.status == 401 and not advert.authorized
    answer = httpx.get(f"{github.repo_url}/info/refs", params={"service": "git-receive-pack"},
                       verify=str(github.ca_cert))  # fmt: skip
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == 'Basic realm="GitHub"'


def test_a_read_only_token_may_fetch_but_not_push(github, work):
    before = remote_main(github)
    read_only = github.issue_token({"contents": "read"})
    assert git("fetch", "-q", "origin", cwd=work, env=github.git_env(read_only)).returncode == 0
    pushed = git("push", "origin", "main", cwd=work, env=github.git_env(read_only), check=False)
    assert pushed.returncode != 0 and "403" in pushed.stderr and remote_main(github) == before


@pytest.mark.parametrize("form", ["extraheader", "bearer", "url"])
def test_a_token_with_contents_write_pushes_in_every_form_clients_send_it(github, work, form):
    token = github.issue_token({"contents": "write"})
    env = {**github.client_env(), "GIT_TERMINAL_PROMPT": "0"}
    remote = "origin"
    if form == "extraheader":  # actions/checkout, deploy/publish.py
        env = github.git_env(token)
    elif form == "bearer":
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                   GIT_CONFIG_VALUE_0=f"Authorization: Bearer {token}")  # fmt: skip
    else:  # CML: https://token:TOKEN@host/owner/repo.git, sent after the 401 challenge
        remote = github.repo_url.replace("https://", f"https://token:{token}@")
    git("push", "-q", remote, "main", cwd=work, env=env)
    assert remote_main(github) == git("rev-parse", "HEAD", cwd=work, env={}).stdout.strip()


def test_a_token_the_fake_did_not_issue_cannot_even_clone(github, work, tmp_path):
    cloned = git("clone", "-q", github.repo_url, str(tmp_path / "other"), cwd=tmp_path,
                 env=github.git_env(fake_token()), check=False)  # fmt: skip
    assert cloned.returncode != 0
    basic = base64.b64encode(b"x-access-token:" + fake_token().encode()).decode()
    answer = httpx.get(f"{github.repo_url}/info/refs", params={"service": "git-upload-pack"},
                       headers={"Authorization": f"basic {basic}"}, verify=str(github.ca_cert))  # fmt: skip
    assert answer.status_code == 401


# ---- the run's GITHUB_TOKEN -------------------------------------------------------------------
def pull_request(head_repo: str) -> dict:
    return {"pull_request": {"number": 1, "head": {"repo": {"full_name": head_repo}}}}


def test_a_jobs_token_holds_the_jobs_permissions_or_the_workflows(tmp_path):
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "on: push\npermissions:\n  contents: read\n"
        "jobs:\n  own:\n    permissions:\n      issues: write\n    runs-on: x\n"
        "  inherits:\n    runs-on: x\n  none:\n    permissions: {}\n    runs-on: x\n"
    )
    assert token_permissions(workflow, "push", {}, "owner/repo", "own") == {"issues": "write", "metadata": "read"}
    assert token_permissions(workflow, "push", {}, "owner/repo", "inherits") == {"contents": "read", "metadata": "read"}
    assert token_permissions(workflow, "push", {}, "owner/repo", "none") == {"metadata": "read"}
    # A whole run: act hands every job one token, the union.
    assert token_permissions(workflow, "push", {}, "owner/repo") == {
        "issues": "write", "contents": "read", "metadata": "read"}  # fmt: skip
    bare = tmp_path / "bare.yml"
    bare.write_text("on: push\njobs:\n  j:\n    runs-on: x\n")
    assert token_permissions(bare, "push", {}, "owner/repo", "j") == RESTRICTED_DEFAULT


def test_a_fork_pull_request_gets_a_read_only_token_whatever_the_workflow_asks(tmp_path):
    workflow = tmp_path / "w.yml"
    workflow.write_text("on: pull_request\njobs:\n  j:\n    permissions:\n      pull-requests: write\n"
                        "      contents: write\n    runs-on: x\n")  # fmt: skip
    fork = token_permissions(workflow, "pull_request", pull_request("contributor/repo"), "owner/repo", "j")
    assert fork == {"pull-requests": "read", "contents": "read", "metadata": "read"}
    same = token_permissions(workflow, "pull_request", pull_request("owner/repo"), "owner/repo", "j")
    assert same["pull-requests"] == "write"


def test_the_project_workflows_tokens(tmp_path):
    """What the e2e runs hand each job (their declared permissions, never more)."""
    comment = token_permissions(WORKFLOWS / "pr-comment.yml", "workflow_run", {}, "owner/repo")
    assert comment == {"actions": "read", "contents": "read", "pull-requests": "write", "metadata": "read"}
    retrain = token_permissions(WORKFLOWS / "retrain.yml", "workflow_dispatch", {}, "owner/repo")
    assert retrain == {"contents": "write", "pull-requests": "write", "metadata": "read"}
    report = token_permissions(WORKFLOWS / "pr.yml", "pull_request", pull_request("contributor/repo"), "owner/repo",
                               "report")  # fmt: skip
    assert report == {"contents": "read", "metadata": "read"}
