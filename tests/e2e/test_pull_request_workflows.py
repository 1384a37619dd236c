"""End to end: the real pr.yml and pr-comment.yml, run by act against a fake GitHub over TLS.

GitHub cannot be reached from here, so (see tests/support/act.py and fake_github.py):
- jobs run on this machine with act; third-party actions are replaced by stand-ins in
  tests/support/shims (GitHub runs the real ones);
- CML is not installable here: the workflow's own `npm install @dvcorg/cml@0.20.6` installs, from a
  fake npm registry, a stand-in that makes the same REST calls as CML 0.20.6. On GitHub the real
  CML runs.

The lab's main branch has a committed pipeline result; PR branches change hyperparameters. Every PR
here comes from a fork: act is even handed secrets and the DVC-remote/MLflow variables (pointing
nowhere), to show that a fork's build neither receives nor needs them.
"""

from __future__ import annotations

import json
import re

import pytest

from gitops_ml.markdown import number
from tests.support.act import fake_token
from tests.support.pr_lab import ARTIFACT, PullRequestLab

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("act-e2e")]

CANARY = {"AWS_ACCESS_KEY_ID": fake_token("AKIA"), "MLFLOW_TRACKING_TOKEN": fake_token("mlflow_")}
NOWHERE = {"DVC_REMOTE_URL": "s3://no-such-bucket/dvc", "MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
TUNE = "train.threshold"  # a decision-threshold tweak: the gate passes
CRIPPLE = {"train.hist_gradient_boosting.max_iter": 1}  # one boosting round: clearly worse


@pytest.fixture(scope="module")
def lab(tmp_path_factory, reproduced_repo):
    lab = PullRequestLab(tmp_path_factory.mktemp("pr-lab"), reproduced_repo)
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def tuned(lab):
    """PR #1 from a fork, pushed twice; each build is followed by the comment workflow."""
    first = lab.push("tune", {TUNE: 0.33}, "lower the decision threshold")
    lab.github.add_pull(1, head_sha=first, head_ref="tune", head_repo="contributor/repo")
    build1 = lab.build("tune", 1, run_id=11, secrets=CANARY, variables=NOWHERE)
    post1 = lab.post(build1, first, "tune", run_id=12)
    comments_after_first = lab.github.comments(1)

    second = lab.push("tune", {TUNE: 0.32}, "lower it a bit more")
    lab.github.set_pull_head(1, second)
    build2 = lab.build("tune", 1, run_id=21, secrets=CANARY, variables=NOWHERE)
    post2 = lab.post(build2, second, "tune", run_id=22)
    # The first run's report arriving late must not overwrite the newer one.
    stale = lab.post(build1, first, "tune", run_id=13)
    return {
        "build1": build1,
        "post1": post1,
        "first_comments": comments_after_first,
        "build2": build2,
        "post2": post2,
        "stale": stale,
    }


def test_the_build_succeeds_for_a_fork_without_secrets_and_uploads_the_report(lab, tuned):
    for build in (tuned["build1"], tuned["build2"]):
        assert build.succeeded, build.log
        artifact = build.artifact(ARTIFACT)
        assert (artifact / "pr-number.txt").read_text().strip() == "1"
        verdict = json.loads((artifact / "verdict.json").read_text())
        assert verdict["passed"] is True and verdict["base_has_metrics"] is True
        assert (artifact / "report.md").read_text().strip()
        # Nothing handed to act as a secret ends up in what the build produced.
        produced = build.summary + "".join(p.read_text(errors="replace") for p in artifact.rglob("*") if p.is_file())
        assert not any(value in produced for value in CANARY.values())


def test_the_job_summary_holds_the_report(tuned):
    summary = tuned["build2"].summary
    assert "Quality gate passed" in summary
    assert "| `roc_auc` |" in summary
    assert "| `train.threshold` | `0.35` | `0.32` |" in summary


def test_two_pushes_leave_exactly_one_updated_comment(lab, tuned):
    assert tuned["post1"].succeeded, tuned["post1"].log
    assert tuned["post2"].succeeded, tuned["post2"].log
    assert len(tuned["first_comments"]) == 1
    comments = lab.github.comments(1)
    assert len(comments) == 1
    assert comments[0]["id"] == tuned["first_comments"][0]["id"]
    assert comments[0]["body"] != tuned["first_comments"][0]["body"]
    posts = lab.github.calls("POST", r"/issues/1/comments$")
    patches = lab.github.calls("PATCH", r"/issues/comments/")
    assert (len(posts), len(patches)) == (1, 1)
    assert all(call.authorized for call in posts + patches)


def test_the_comment_shows_base_and_pr_metrics_and_the_params_diff(lab, tuned):
    body = lab.github.comments(1)[0]["body"]
    base = json.loads((lab.repo / "reports" / "metrics.json").read_text())
    # The row has the base branch's committed value, then the PR's with its interval, then the
    # change with its interval and a verdict.
    value = r"0\.\d{4}"
    interval = rf"{value} \[{value}, {value}\]"
    change = r"[+-]0\.\d{4} \[[+-]0\.\d{4}, [+-]0\.\d{4}\]"
    assert re.search(
        rf"\| `roc_auc` \| {re.escape(number(base['roc_auc']))} \| {interval} \| {change} \| [^|]+ \| "
        r"(🟢 better|🔴 worse|⚪ no significant change) \|",
        body,
    )
    # The DVC cache main's runs saved (the lab seeds it, as deploy.yml's cache would) holds the
    # base's scored rows, so even a fork's build, without the remote, compares the models paired.
    assert "Δ intervals are paired: both models scored the same test rows" in body
    assert "| `train.threshold` | `0.35` | `0.32` |" in body  # the params diff: base, PR
    assert "Quality gate passed" in body
    assert body.rstrip().endswith('"CML watermark Model report")')  # the sticky marker


def test_a_late_report_for_an_old_head_is_not_posted(lab, tuned):
    assert tuned["stale"].succeeded, tuned["stale"].log
    assert tuned["stale"].outputs.get("pr.post") == "false"
    assert len(lab.github.calls("PATCH", r"/issues/comments/")) == 1


def test_a_crippling_hyperparameter_turns_the_check_red_with_the_reason(lab, tuned):
    head = lab.push("cripple", CRIPPLE, "one boosting round is enough")
    lab.github.add_pull(2, head_sha=head, head_ref="cripple", head_repo="contributor/repo")
    build = lab.build("cripple", 2, run_id=31)
    assert not build.succeeded
    assert build.job_results == {"report": "failure"}
    assert build.step_results["gate"] == "success"  # the gate ran; the last step failed the job
    assert "Quality gate failed" in build.summary
    assert re.search(r"`?roc_auc`? (got worse by|[\d.]+ is below the floor)", build.summary)  # the gate's reason
    verdict = json.loads((build.artifact(ARTIFACT) / "verdict.json").read_text())
    assert verdict["passed"] is False

    post = lab.post(build, head, "cripple", run_id=32)
    assert post.succeeded, post.log
    (comment,) = lab.github.comments(2)
    assert "Quality gate failed" in comment["body"]
    assert "max_iter" in comment["body"]
