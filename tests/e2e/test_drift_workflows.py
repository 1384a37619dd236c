"""drift.yml and retrain.yml end to end, run by act against the fake GitHub.

GitHub is unreachable from test machines: act runs the real workflow files on this machine, the
REST API and git remote are the in-memory fake of tests/support/fake_github.py, third-party actions
are mapped to the stand-ins of tests/support/shims, and CML is a stand-in published to the fake
npm registry that makes CML's own REST calls (`cml pr create`). On GitHub the real ones run.

One pass of the loop: the daily check finds the production window's drift, uploads the report,
opens one `drift` issue and (DRIFT_RETRAIN=true) dispatches retrain.yml; retrain.yml then moves the
windows forward, reruns the pipeline and opens a pull request, checked here against the fake API.
"""

from __future__ import annotations

import json

import pytest
import yaml

from gitops_ml.config import SplitParams
from gitops_ml.windows import default_step, roll
from tests.support.act import actions_store, lock_cml_to_stand_in, main_with_pipeline_result, run_workflow
from tests.support.events import dispatch_event
from tests.support.fake_github import FakeGitHub
from tests.support.git import git_sha
from tests.support.project import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-act")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, reproduced_repo):
    root = tmp_path_factory.mktemp("drift-lab")
    github = FakeGitHub(root / "github").start()
    store = actions_store(root)
    repo = main_with_pipeline_result(reproduced_repo, root / "repo", github)
    lock_cml_to_stand_in(repo, github)
    yield repo, github, store
    github.stop()


def test_drift_check_opens_one_issue_and_dispatches_retrain_which_opens_a_pr(lab):
    repo, github, store = lab
    check = run_workflow(
        repo,
        ".github/workflows/drift.yml",
        "workflow_dispatch",
        dispatch_event({"source": ""}),
        github=github,
        store=store,
        run_id=501,
        variables={"DRIFT_RETRAIN": "true"},
        timeout=900,
    )
    assert check.succeeded, check.log[-6000:]
    assert check.job_results == {"check": "success", "issue": "success", "retrain": "success"}, check.job_results
    assert "Drift check: Drift detected" in check.summary
    report = check.artifact("drift-report")
    assert (report / "report.html").stat().st_size > 100_000
    summary = json.loads((report / "summary.json").read_text())
    assert summary["decision"]["status"] == "drift" and "temp" in summary["decision"]["drifted_columns"]

    issues = [i for i in github.state.issues.values() if "drift" in {label["name"] for label in i["labels"]}]
    assert len(issues) == 1 and issues[0]["state"] == "open"
    assert "actions/runs/501" in issues[0]["body"]
    assert github.state.dispatches == [{"workflow": "retrain.yml", "ref": "main", "inputs": None}]

    before = yaml.safe_load((repo / "params.yaml").read_text())["split"]
    retrain = run_workflow(
        repo,
        ".github/workflows/retrain.yml",
        "workflow_dispatch",
        dispatch_event({"months": ""}),
        github=github,
        store=store,
        run_id=502,
        timeout=900,
    )
    assert retrain.succeeded, retrain.log[-6000:]
    [pull] = github.state.pulls.values()
    assert pull["title"] == "Retrain: move the training window forward"
    assert pull["base"]["ref"] == "main" and pull["head"]["ref"] == "retrain/502"
    old = SplitParams.model_validate(before)
    moved = roll(old, default_step(old)).train  # the production window's length later
    assert f"| train | {old.train.start} → {old.train.end} | {moved.start} → {moved.end} |" in pull["body"]

    # The PR branch on the remote holds the moved windows and the rerun pipeline's lock and reports.
    clone = repo.parent / "clone"
    run(["git", "clone", "-q", "--branch", "retrain/502", github.repo_url, str(clone)], repo, **github.client_env())
    after = yaml.safe_load((clone / "params.yaml").read_text())["split"]
    assert after["train"] == {"start": moved.start.isoformat(), "end": moved.end.isoformat()} != before["train"]
    changed = run(["git", "diff", "--name-only", "origin/main", "HEAD"], clone).stdout.split()
    assert {"params.yaml", "dvc.lock", "reports/metrics.json"} <= set(changed)
    assert git_sha(clone, "origin/main") == git_sha(repo, "main")  # main itself is untouched: a human merges


def test_retrain_refused_a_pull_request_names_the_repository_setting(lab):
    """Without RETRAIN_PR_TOKEN the PR is opened with GITHUB_TOKEN, which GitHub refuses (403)
    while "Allow GitHub Actions to create and approve pull requests" is off, its default."""
    repo, github, store = lab
    github.actions_can_create_pull_requests = False
    try:
        event = dispatch_event({"months": ""})
        retrain = run_workflow(repo, ".github/workflows/retrain.yml", "workflow_dispatch", event, github=github,
                               store=store, run_id=503, timeout=900)  # fmt: skip
    finally:
        github.actions_can_create_pull_requests = True
    assert not retrain.succeeded
    assert "Allow GitHub Actions to create and approve pull requests" in retrain.log
    assert [call.status for call in github.calls("POST", r"/pulls$")][-1] == 403
    assert not any(pull["head"]["ref"] == "retrain/503" for pull in github.state.pulls.values())
