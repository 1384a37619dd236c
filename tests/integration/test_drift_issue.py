"""The drift issue against a fake GitHub API (GitHub itself is unreachable from test machines; the
fake keeps issues and comments in memory over loopback TLS, see tests/support/fake_github.py).

One issue labelled ``drift`` at most: the first drift opens it, later drift comments on it, a clear
check comments and closes it, reruns never duplicate it.
"""

from __future__ import annotations

import json

import pytest

from gitops_ml.config import DriftParams
from gitops_ml.drift import decision
from gitops_ml.drift.github import LABEL, main, plan
from tests.support.fake_github import FakeGitHub


def summary(status: str) -> dict:
    drifted = status == decision.DRIFT
    data = {
        "checked_at": "2013-12-31T00:00:00+00:00",
        "reference": {"description": "reference window", "rows": 5000, "sampled_rows": 5000},
        "current": {"description": "production window", "rows": 4000, "sampled_rows": 4000},
        "columns": {
            "x1": {
                "method": "Wasserstein distance (normed)",
                "threshold": 0.1,
                "score": 1.2 if drifted else 0.01,
                "drifted": drifted,
            },
            "segment": {"method": "Jensen-Shannon distance", "threshold": 0.1, "score": 0.01, "drifted": False},
        },
        "all_null": [],
        "prediction": None,
        "performance": None,
        "notes": [],
    }
    data["decision"] = decision.decide(data, DriftParams(drift_share=0.5, min_rows=100))
    assert data["decision"]["status"] == status
    return data


@pytest.fixture
def github(tmp_path, monkeypatch):
    with FakeGitHub(tmp_path / "github") as fake:
        # What drift.yml's issue job declares for its GITHUB_TOKEN.
        monkeypatch.setenv("GITHUB_TOKEN", fake.issue_token({"contents": "read", "issues": "write"}))
        monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
        monkeypatch.setenv("GITHUB_REPOSITORY", f"{fake.owner}/{fake.repo}")
        monkeypatch.setenv("GITHUB_SERVER_URL", fake.base_url)
        monkeypatch.setenv("GITHUB_RUN_ID", "77")
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_cert))
        yield fake


def check(tmp_path, status: str, capsys) -> str:
    path = tmp_path / f"{status}.json"
    path.write_text(json.dumps(summary(status)))
    assert main(["issue", "--summary", str(path)]) == 0
    return capsys.readouterr().out


def drift_issues(github: FakeGitHub) -> list[dict]:
    return [i for i in github.state.issues.values() if LABEL in {label["name"] for label in i["labels"]}]


def test_drift_opens_one_issue_updates_it_and_closes_it_when_cleared(github, tmp_path, capsys):
    assert "nothing to do" in check(tmp_path, decision.NO_DRIFT, capsys)
    assert drift_issues(github) == []

    assert "opened issue #1" in check(tmp_path, decision.DRIFT, capsys)
    [issue] = drift_issues(github)
    assert issue["state"] == "open" and issue["title"] == "Data drift detected"
    assert "| x1 | **yes** |" in issue["body"]
    assert f"{github.base_url}/owner/repo/actions/runs/77" in issue["body"]

    for _ in range(2):  # reruns while drifting: comments, never a second issue
        assert "commented on issue #1" in check(tmp_path, decision.DRIFT, capsys)
    assert len(drift_issues(github)) == 1
    comments = github.comments(1)
    assert len(comments) == 2 and all(c["body"].startswith("Drift is still present") for c in comments)

    assert "closed issue #1" in check(tmp_path, decision.NO_DRIFT, capsys)
    assert github.state.issues[1]["state"] == "closed"
    assert github.comments(1)[-1]["body"].startswith("Drift has cleared")
    assert "nothing to do" in check(tmp_path, decision.NO_DRIFT, capsys)
    assert len(github.comments(1)) == 3

    # Drift returns: a new issue, the closed one keeps the history.
    assert "opened issue #2" in check(tmp_path, decision.DRIFT, capsys)
    assert [i["state"] for i in drift_issues(github)] == ["closed", "open"]
    assert all(call.authorized for call in github.calls())


def test_existing_open_drift_issues_are_reused_oldest_first(github, tmp_path, capsys):
    github.create_issue("Unrelated bug", labels=["bug"])
    github.create_issue("Drift seen by hand", labels=[LABEL])
    github.create_issue("Another drift issue", labels=[LABEL])
    assert "commented on issue #2" in check(tmp_path, decision.DRIFT, capsys)
    assert len(drift_issues(github)) == 2 and github.comments(3) == []


def test_insufficient_data_touches_nothing(github):
    github.create_issue("Drift", labels=[LABEL])
    assert plan([{"number": 1}], decision.INSUFFICIENT, "md").kind == "none"


def test_dispatch_starts_the_retrain_workflow(github, capsys, monkeypatch):
    assert main(["dispatch", "retrain.yml", "--ref", "main"]) == 2  # the issue job's token may not
    assert "HTTP 403: Resource not accessible by integration" in capsys.readouterr().err
    # What drift.yml's retrain job declares for its GITHUB_TOKEN.
    monkeypatch.setenv("GITHUB_TOKEN", github.issue_token({"contents": "read", "actions": "write"}))
    assert main(["dispatch", "retrain.yml", "--ref", "main"]) == 0
    assert github.state.dispatches == [{"workflow": "retrain.yml", "ref": "main", "inputs": None}]


def test_api_errors_and_missing_settings_are_messages_not_tracebacks(github, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "owner/missing")
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(summary(decision.DRIFT)))
    assert main(["issue", "--summary", str(path)]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN")
    assert main(["issue", "--summary", str(path)]) == 2
    assert "GITHUB_TOKEN must be set" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", github.issue_token({"issues": "write"}))
    assert main(["issue", "--summary", str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
