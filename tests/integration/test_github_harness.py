"""The offline GitHub harness itself: the fake API over TLS, its git and npm endpoints, and the CML stand-in.

CML is not installable here, so the workflows' comments are posted in tests by a stand-in
(tests/support/shims/cml) that makes the same REST calls as CML 0.20.6; these tests pin that
behaviour down (one sticky comment per watermark title, other comments left alone, local images
uploaded to the publish URL as CML does, here the asset-host stand-in of tests/support/asset_host.py).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.act import CML_PACKAGE, CML_VERSION, publish_cml
from tests.support.asset_host import AssetHost
from tests.support.fake_github import FakeGitHub
from tests.support.serving import free_port


@pytest.fixture
def github(tmp_path):
    with FakeGitHub(tmp_path / "github") as fake:
        yield fake


@pytest.fixture
def api(github):
    with httpx.Client(
        base_url=github.api_url, verify=str(github.ca_cert), headers={"Authorization": f"token {github.admin_token}"}
    ) as client:
        yield client


@pytest.fixture
def cml(github, tmp_path):
    """`cml` installed by real npm from the fake registry, as the workflow installs it."""
    publish_cml(github)
    prefix = tmp_path / "npm-global"
    env = {
        **os.environ,
        **github.client_env(),
        "NPM_CONFIG_REGISTRY": github.npm_registry,
        "NPM_CONFIG_PREFIX": str(prefix),
        "NPM_CONFIG_CACHE": str(tmp_path / "npm-cache"),
        "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    }
    subprocess.run(
        ["npm", "install", "--global", "--no-audit", "--no-fund", f"{CML_PACKAGE}@{CML_VERSION}"],
        env=env,
        check=True,
        capture_output=True,
    )
    env.update(
        PATH=f"{prefix / 'bin'}{os.pathsep}/usr/bin:/bin",
        # What pr-comment.yml's and retrain.yml's jobs hold: enough for comments, branches and PRs.
        REPO_TOKEN=github.issue_token({"contents": "write", "pull-requests": "write"}),
        GITHUB_SERVER_URL=github.base_url,
        GITHUB_ACTOR="someone",
        GITHUB_SHA="ab" * 20,
    )
    for name in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "CML_REPO"):
        env.pop(name, None)

    def run(
        *args: str, report: str = "# Report\n", cwd: Path = tmp_path, sha: str = "", **extra: str
    ) -> subprocess.CompletedProcess:
        if args[0] == "pr":  # like CML, the repository comes from the clone's origin
            run_env = {**env, "GITHUB_SHA": sha or env["GITHUB_SHA"], **extra}
            return subprocess.run(["cml", *args], env=run_env, capture_output=True, text=True, cwd=cwd)
        markdown = tmp_path / "report.md"
        markdown.write_text(report)
        return subprocess.run(
            ["cml", *args, "--repo", f"{github.base_url}/owner/repo", str(markdown)],
            env={**env, **extra},
            capture_output=True,
            text=True,
            cwd=cwd,
        )

    return run


def test_api_keeps_issues_labels_pulls_and_dispatches(github, api):
    created = api.post("/repos/owner/repo/issues", json={"title": "Drift", "body": "x", "labels": ["drift"]})
    assert created.status_code == 201
    number = created.json()["number"]
    assert [i["number"] for i in api.get("/repos/owner/repo/issues", params={"labels": "drift"}).json()] == [number]
    assert api.get("/repos/owner/repo/issues", params={"labels": "other"}).json() == []
    assert api.patch(f"/repos/owner/repo/issues/{number}", json={"state": "closed"}).json()["state"] == "closed"
    assert api.post("/repos/owner/repo/labels", json={"name": "drift"}).status_code == 422  # exists already

    github.create_branch("retrain")
    pull = api.post("/repos/owner/repo/pulls", json={"title": "Retrain", "head": "retrain", "base": "main"})
    assert pull.status_code == 201 and pull.json()["number"] == number + 1
    assert (
        api.post("/repos/owner/repo/actions/workflows/deploy.yml/dispatches", json={"ref": "main"}).status_code == 204
    )
    assert github.state.dispatches == [{"workflow": "deploy.yml", "ref": "main", "inputs": None}]

    assert (
        httpx.post(
            f"{github.api_url}/repos/owner/repo/issues", json={"title": "t"}, verify=str(github.ca_cert)
        ).status_code
        == 401
    )  # writes need a token
    assert api.post("/repos/owner/repo/issues", json={"body": "no title"}).status_code == 422
    assert api.get("/repos/owner/repo/nothing/here").status_code == 404
    assert github.calls("POST", r"/issues$")[0].authorized


def test_comments_are_paginated_like_github(github, api):
    github.add_pull(1, head_sha="a" * 40, head_ref="x")
    for i in range(35):
        api.post("/repos/owner/repo/issues/1/comments", json={"body": f"c{i}"})
    first = api.get("/repos/owner/repo/issues/1/comments")
    assert len(first.json()) == 30 and 'rel="next"' in first.headers["Link"]
    assert len(api.get("/repos/owner/repo/issues/1/comments", params={"page": 2}).json()) == 5


def test_cml_stand_in_keeps_one_sticky_comment_per_title(github, cml):
    github.add_pull(7, head_sha="c" * 40, head_ref="tune")
    github.create_issue("unrelated")
    assert (
        cml(
            "comment", "update", "--target=pr/7", "--watermark-title=Model report", "--no-publish", report="first"
        ).returncode
        == 0
    )
    assert cml("comment", "create", "--target=pr/7", "--no-publish", report="someone else's").returncode == 0
    updated = cml(
        "comment", "update", "--target=pr/7", "--watermark-title=Model report", "--no-publish", report="second"
    )
    assert updated.returncode == 0, updated.stderr

    bodies = [c["body"] for c in github.comments(7)]
    assert len(bodies) == 2
    assert bodies[0].startswith("second\n\n") and "first" not in bodies[0]
    assert bodies[0].endswith(f'![](https://cml.dev/watermark.png#{"ab" * 20} "CML watermark Model report")')
    assert bodies[1].startswith("someone else's")
    assert [r.method for r in github.calls(pattern=r"/issues/")] == ["GET", "POST", "POST", "GET", "PATCH"]
    assert github.calls("GET", r"^/api/v3/users/someone$")  # looked up as CML does on CI


def test_cml_stand_in_escapes_titles_and_publishes_local_images_like_cml(github, cml, tmp_path):
    github.add_pull(2, head_sha="d" * 40, head_ref="x")
    assert cml("comment", "update", "--target=pr/2", "--watermark-title=my_report", "--no-publish").returncode == 0
    assert 'CML watermark my\\_report")' in github.comments(2)[0]["body"]

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    (tmp_path / "roc.png").write_bytes(png)
    report = "![roc](roc.png)\n[docs](https://example.com) [gone](nothing.png)\n"
    assets = AssetHost().start()
    try:
        published = cml(
            "comment", "update", "--target=pr/2", "--watermark-title=my_report", report=report, **assets.env()
        )  # fmt: skip
        unreachable = cml(
            "comment", "update", "--target=pr/2", "--watermark-title=my_report", report=report,
            CML_COMMENT_PUBLISH_URL=f"http://127.0.0.1:{free_port()}",
        )  # fmt: skip
    finally:
        assets.stop()
    assert published.returncode == 0, published.stderr
    [upload] = assets.uploads  # the one local file that exists; the watermark and URLs are left alone
    assert (upload.content, upload.content_type) == (png, "image/png")
    assert upload.disposition == 'inline; filename="roc.png"'
    body = github.comments(2)[0]["body"]
    link = rf"!\[roc\]\({re.escape(assets.url)}/{upload.digest}\?cml=png&cache-bypass=[0-9a-f-]{{36}}\)"
    assert re.match(link + r"\n\[docs\]\(https://example.com\) \[gone\]\(nothing.png\)\n", body), body
    assert body.endswith(f'![](https://cml.dev/watermark.png#{"ab" * 20} "CML watermark my\\_report")')
    assert unreachable.returncode == 1 and "failed, reason:" in unreachable.stderr

    missing = cml("comment", "update", "--target=pr/99", "--watermark-title=t", "--no-publish")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr


def test_git_push_and_clone_over_https(github, tmp_path):
    github.create_git_repo()
    env = {**os.environ, **github.git_env()}
    work = tmp_path / "work"
    work.mkdir()

    def git(*args: str, cwd: Path = work) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    (work / "file.txt").write_text("content")
    git("add", "file.txt")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "first")
    git("push", "-q", github.repo_url, "main")
    git("clone", "-q", github.repo_url, str(tmp_path / "clone"), cwd=tmp_path)
    assert (tmp_path / "clone" / "file.txt").read_text() == "content"


def seeded_clone(github: FakeGitHub, tmp_path: Path, name: str = "work") -> tuple[Path, str]:
    """A clone of the fake's repository whose main holds one commit (pushed with the admin token)."""
    env = {**os.environ, **github.git_env()}
    if not (github.git_root / "owner/repo.git").exists():
        github.create_git_repo()
        seed = tmp_path / "seed"
        seed.mkdir()
        for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "root"]):
            subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=seed, env=env, check=True)
        subprocess.run(["git", "push", "-q", github.repo_url, "main"], cwd=seed, env=env, check=True)
    work = tmp_path / name
    subprocess.run(["git", "clone", "-q", github.repo_url, str(work)], env=env, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True)
    return work, sha.stdout.strip()


def remote_git(github: FakeGitHub, *args: str) -> str:
    bare = github.git_root / "owner/repo.git"
    return subprocess.run(["git", *args], cwd=bare, capture_output=True, text=True, check=True).stdout


def test_cml_stand_in_opens_a_pull_request_with_the_changed_files(github, cml, tmp_path):
    work, sha = seeded_clone(github, tmp_path)
    seeded = len(github.requests)
    (work / "params.yaml").write_text("retrain: true\n")
    (work / "unrelated.txt").write_text("stays out of the PR\n")
    (work / "reports").mkdir()
    (work / "reports" / "metrics.json").write_text("{}\n")
    args = ["pr", "create", "--branch", "retrain", "--title", "Retrain", "--body", "drift", "--target-branch", "main"]

    opened = cml(*args, "params.yaml", "reports/", cwd=work, sha=sha)
    assert opened.returncode == 0, opened.stderr
    (pull,) = github.state.pulls.values()
    assert (pull["head"]["ref"], pull["base"]["ref"], pull["title"]) == ("retrain", "main", "Retrain")
    assert opened.stdout.strip() == pull["html_url"]
    shown = remote_git(github, "show", "--stat", "--format=%s%n%an <%ae>", "retrain")
    assert "params.yaml" in shown and "reports/metrics.json" in shown and "unrelated.txt" not in shown
    assert "CML PR for" in shown and "[skip ci]" in shown  # CML's default message
    assert "Olivaw[bot] <olivaw@iterative.ai>" in shown  # CML's identity
    assert remote_git(github, "rev-parse", "retrain^").strip() == sha  # on top of the trigger commit
    assert pull["head"]["sha"] == remote_git(github, "rev-parse", "retrain").strip()
    # CML puts the token in the remote's URL as user `token`; git sends it after the 401 challenge.
    origin = subprocess.run(["git", "remote", "get-url", "origin"], cwd=work, capture_output=True, text=True).stdout
    assert origin.startswith("https://token:ghs_")
    assert origin.strip().endswith(f"@{github.host}/owner/repo.git")
    calls = github.requests[seeded:]
    advertised = [(call.query["service"][0], call.status) for call in calls if call.path.endswith("/info/refs")]
    assert ("git-upload-pack", 200) in advertised  # CML fetches the trigger commit before it branches
    assert [status for service, status in advertised if service == "git-receive-pack"] == [401, 200]
    pushes = [call for call in calls if call.path.endswith("/git-receive-pack")]
    assert [call.status for call in pushes] == [200] and pushes[0].authorized

    # Again with the branch on the remote: CML finds the open PR instead of pushing or opening one.
    (work / "params.yaml").write_text("retrain: again\n")
    again = cml(*args, "params.yaml", cwd=work, sha=sha)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == pull["html_url"] and "Branch retrain already exists" in again.stderr
    assert len(github.state.pulls) == 1
    assert len([call for call in github.requests[seeded:] if call.path.endswith("/git-receive-pack")]) == 1


def test_cml_stand_in_names_the_branch_after_the_target_and_commit(github, cml, tmp_path):
    work, sha = seeded_clone(github, tmp_path)
    (work / "params.yaml").write_text("x: 1\n")
    opened = cml("pr", "create", "--md", "params.yaml", cwd=work, sha=sha)
    assert opened.returncode == 0, opened.stderr
    (pull,) = github.state.pulls.values()
    assert pull["head"]["ref"] == f"main-cml-pr-{sha[:8]}" and pull["title"] == f"CML PR for main {sha[:8]}"
    assert opened.stdout.strip() == f"[CML's Pull Request]({pull['html_url']})"
    nothing = cml("pr", "create", "other.txt", cwd=work, sha=sha)
    assert nothing.returncode == 0 and "Nothing to do" in nothing.stderr
    (work / "params.yaml").write_text("x: 2\n")
    missing = cml("pr", "create", "--target-branch", "nowhere", "params.yaml", cwd=work, sha=sha)
    assert missing.returncode == 1 and "The target branch does not exist." in missing.stderr
