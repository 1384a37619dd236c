"""gitops_ml.github against the fake GitHub: every page of a long list, GitHub's 403 for pull
requests opened by GITHUB_TOKEN, and the one-report rule for CML's comments."""

from __future__ import annotations

import pytest

from gitops_ml import github as gh
from tests.support.fake_github import FakeGitHub


@pytest.fixture
def fake(tmp_path, monkeypatch):
    with FakeGitHub(tmp_path / "github") as fake:
        for name, value in fake.client_env().items():
            monkeypatch.setenv(name, value)
        yield fake


def client(fake: FakeGitHub, token: str | None = None) -> gh.Client:
    return gh.Client(fake.api_url, f"{fake.owner}/{fake.repo}", token or fake.issue_token())


def report(label: str, text: str, sha: str = "abc123") -> str:
    title = f"CML watermark {label}".replace("_", "\\_")
    return f'{text}\n\n![](https://cml.dev/watermark.png#{sha} "{title}")'


def test_paginate_follows_link_headers_past_100(fake):
    fake.add_pull(1, head_sha="a" * 40, head_ref="x")
    for index in range(250):
        fake.add_comment(1, f"comment {index}")
    comments = client(fake).paginate("/issues/1/comments")
    assert [c["body"] for c in comments] == [f"comment {i}" for i in range(250)]
    pages = [call.query.get("page", ["1"])[0] for call in fake.calls("GET", r"/issues/1/comments$")]
    assert pages == ["1", "2", "3"]  # 100 per page, GitHub's maximum


def test_keep_one_report_deletes_older_copies_on_any_page_only(fake):
    fake.add_pull(1, head_sha="a" * 40, head_ref="x")
    old = fake.add_comment(1, report("Model report", "old"))
    for index in range(40):
        fake.add_comment(1, f"remark {index}")
    other = fake.add_comment(1, report("Another_report", "someone else's"))
    new = fake.add_comment(1, report("Model report", "new"))
    assert gh.keep_one_report(client(fake), 1, "Model report") == (2, 1)
    ids = {c["id"] for c in fake.comments(1)}
    assert new["id"] in ids and other["id"] in ids and old["id"] not in ids
    assert gh.keep_one_report(client(fake), 1, "Model report") == (1, 0)


def test_a_refused_pull_request_names_the_setting(fake):
    fake.create_branch("feature")
    fake.actions_can_create_pull_requests = False
    with pytest.raises(gh.GitHubError, match="Allow GitHub Actions to create and approve pull requests"):
        client(fake).create_pull("feature", "main", "t", "b")
    assert client(fake, fake.issue_token(kind="pat")).create_pull("feature", "main", "t", "b")["number"] == 1


def test_explain_pr_failure_reads_cml_output():
    log = (
        '{"level":"error","message":"GitHub Actions is not permitted to create or approve pull requests.","status":403}'
    )
    assert gh.PR_SETTING in gh.explain_pr_failure(log)
    assert gh.PR_SETTING not in gh.explain_pr_failure("fatal: unable to access remote")


def test_invalid_pull_requests_are_refused_with_githubs_422(fake):
    """No head branch, head equal to base, or a second open one for the same head and base: the
    fake answers as GitHub does (a 422 whose errors say why), so a client cannot rely on a 201."""
    import httpx

    def create(head: str) -> httpx.Response:
        return httpx.post(
            f"{fake.api_url}/repos/{fake.owner}/{fake.repo}/pulls",
            json={"title": "t", "head": head, "base": "main"},
            headers={"Authorization": f"Bearer {fake.admin_token}"},
            verify=str(fake.ca_cert),
        )

    missing = create("nowhere")
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
    fake.create_branch("main")
    sha = fake.create_branch("feature")
    same = create("main")
    assert (same.status_code, same.json()["errors"][0]["message"]) == (422, "No commits between main and main")
    first = create("feature")
    assert first.status_code == 201 and first.json()["head"]["ref"] == "feature" and first.json()["head"]["sha"] == sha
    again = create(f"{fake.owner}:feature")
    assert again.status_code == 422
    assert again.json()["errors"][0]["message"] == "A pull request already exists for owner:feature."
    with pytest.raises(gh.GitHubError) as raised:  # the client reports the status and GitHub's why
        client(fake).create_pull("feature", "main", "t", "b")
    assert raised.value.status == 422
    assert raised.value.message == "Validation Failed: A pull request already exists for owner:feature."
    with pytest.raises(gh.GitHubError) as raised:
        client(fake).create_pull("nowhere", "main", "t", "b")
    assert raised.value.message == "Validation Failed: head invalid"
