"""drift.yml's no-drift path end to end, run by act against the fake GitHub: a drift issue left open
by an earlier run is closed with the workflow's comment, and no retrain is started.

Predictions are on (params.yaml ``drift.prediction: true``, the template's default) and the current
data is the service's inference logs, so the drift check compares what was served against what the
model predicts on the reference window. The logs hold a sample of the reference window itself (no
drift by construction), scored and written by the service's own code: ``scoring.ServedModel`` (the
service's compiled predictor and its labels) and ``inference_log.format_lines`` (the writer
bentoml.monitor's lines come from), without starting a server; served-vs-pipeline parity is
tested by the serving tests. The runner finds them through ``INFERENCE_LOG_DIR``, as a runner
beside the service would. Same act and fake GitHub set-up as test_drift_workflows.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from gitops_ml import inference_log, paths
from gitops_ml.config import load_params
from gitops_ml.drift import decision
from gitops_ml.drift.github import LABEL, TITLE
from gitops_ml.schema import load_schema
from gitops_ml.scoring import ServedModel, column_values
from tests.support.act import actions_store, main_with_pipeline_result, run_workflow
from tests.support.events import dispatch_event
from tests.support.fake_github import FakeGitHub

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-act")]

LOGGED_ROWS = 2000  # over drift.min_rows (500), under max_rows: every logged record is compared


@pytest.fixture(scope="module")
def lab(tmp_path_factory, reproduced_repo):
    root = tmp_path_factory.mktemp("drift-cleared-lab")
    github = FakeGitHub(root / "github").start()
    store = actions_store(root)
    repo = main_with_pipeline_result(reproduced_repo, root / "repo", github)
    yield repo, github, store
    github.stop()


def write_inference_logs(repo: Path, log_dir: Path) -> int:
    """Score a seeded sample of the reference window as the service does and write its log lines
    where bentoml.monitor would (<log dir>/<monitor>/data/data.0.log). Returns the row count."""
    schema = load_schema(repo / "schema.yaml")
    monitor = load_params(repo / "params.yaml").project.identifier
    model = ServedModel.load(repo / "models", "lab", schema)
    reference = pd.read_parquet(repo / paths.split_file("reference"))
    sample = reference.sample(n=min(LOGGED_ROWS, len(reference)), random_state=7)
    columns = column_values(sample, schema)
    probabilities = model.predict(columns)
    for column in schema.input_columns():
        if column.kind == "datetime":  # as gitops_ml.monitor.log_predictions logs them
            columns[column.name] = [value.isoformat() for value in columns[column.name]]
    outputs = {inference_log.PROBABILITY: probabilities.tolist(), inference_log.LABEL: model.labels(probabilities)}
    extra = {"timestamp": dt.datetime.now().isoformat(), "request_id": "1", "trace_id": "1"}
    data = inference_log.data_dir(log_dir, monitor)
    data.mkdir(parents=True)
    (data / "data.0.log").write_text(inference_log.format_lines({**columns, **outputs}, extra) + "\n")
    return len(sample)


def test_no_drift_closes_the_open_issue_and_starts_no_retrain(lab, tmp_path):
    repo, github, store = lab
    assert load_params(repo / "params.yaml").drift.prediction  # predictions on: the template's default
    rows = write_inference_logs(repo, tmp_path / "monitoring")
    earlier = github.create_issue(TITLE, "Drift detected in an earlier check.", labels=[LABEL])

    check = run_workflow(
        repo,
        ".github/workflows/drift.yml",
        "workflow_dispatch",
        dispatch_event({"source": "logs"}),
        github=github,
        store=store,
        run_id=601,
        variables={"DRIFT_RETRAIN": "true"},  # a retrain would start, were there drift
        env={inference_log.LOG_DIR_ENV: str(tmp_path / "monitoring")},
        timeout=900,
    )
    assert check.succeeded, check.log[-6000:]
    assert check.job_results.get("check") == "success" and check.job_results.get("issue") == "success"
    assert check.job_results.get("retrain") != "success", check.job_results  # its `if:` is false: skipped
    assert "Drift check: No drift" in check.summary

    summary = json.loads((check.artifact("drift-report") / "summary.json").read_text())
    assert summary["decision"]["status"] == decision.NO_DRIFT, summary["decision"]
    assert summary["current"]["rows"] == rows and "inference logs" in summary["current"]["description"]
    assert summary["prediction"] is not None and summary["prediction"]["drifted"] is False  # compared, unchanged

    issue = github.state.issues[earlier["number"]]
    assert issue["state"] == "closed"
    [comment] = github.comments(earlier["number"])
    assert comment["body"].startswith("Drift has cleared: the latest check found none.")
    assert "actions/runs/601" in comment["body"]  # the run that found it cleared, for the report
    assert [i for i in github.state.issues.values() if i["state"] == "open"] == []  # none opened

    assert github.state.dispatches == []
    assert github.calls("POST", r"/dispatches$") == []
