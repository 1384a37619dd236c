"""The real pipeline (`dvc repro`) in a temp git repo made from the project, on a 5% sample.

Real DVC, real MLflow (sqlite store in the repo), real scikit-learn; nothing is mocked.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from gitops_ml.metric_catalogue import CONTEXT_METRICS, PRIMARY, for_task
from gitops_ml.metric_catalogue import QUALITY as QUALITY_BY_TASK
from gitops_ml.stages.evaluate import PLOTS
from tests.support.data import contract
from tests.support.project import run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

STAGES = ("source", "ingest", "validate", "split", "train", "compile", "evaluate")
SCHEMA = contract()
QUALITY = (*QUALITY_BY_TASK[SCHEMA.task], *(m.name for m in for_task(SCHEMA.task) if m.name in CONTEXT_METRICS))
PRIMARY_METRIC = PRIMARY[SCHEMA.task]


def learned(metrics: dict) -> bool:
    """Well above chance: the generated target follows the inputs."""
    if SCHEMA.task == "classification":
        return metrics["roc_auc"] > 0.65 and 0 < metrics["log_loss"] < 0.69 and 0 < metrics["brier"] < 0.25
    return metrics["r2"] > 0.3 and metrics["rmse"] < metrics["baseline_rmse"]


def ran_stages(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


def read(repo, path):
    return json.loads((repo / path).read_text())


def test_every_stage_ran_and_outputs_are_sane(reproduced_repo):
    repo = reproduced_repo
    metrics = read(repo, "reports/metrics.json")
    assert set(metrics) == {metric.name for metric in for_task(SCHEMA.task)} | {"intervals"}
    intervals = metrics["intervals"]
    assert set(intervals) == {"level", *QUALITY_BY_TASK[SCHEMA.task]} and intervals["level"] == 0.95
    for name in QUALITY_BY_TASK[SCHEMA.task]:
        assert intervals[name]["low"] <= metrics[name] <= intervals[name]["high"], name
    assert (repo / "reports/predictions.parquet").is_file()
    assert learned(metrics), metrics
    assert metrics["model_size_bytes"] == (repo / "models/model.joblib").stat().st_size
    assert metrics["latency_single_row_ms_p50"] > 0 and metrics["batch_rows_per_second"] > 0

    split = read(repo, "reports/split.json")
    assert all(split[name]["rows"] > 0 for name in ("train", "test", "reference", "production"))
    assert split["test"]["rows"] == metrics["rows"]

    slices = read(repo, "reports/slices.json")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    assert {s["slice"] for s in slices} == set(params["evaluate"]["slices"])

    for name in PLOTS[SCHEMA.task]:
        assert read(repo, f"reports/plots/{name}.json"), name
        assert (repo / f"reports/figures/{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SCHEMA.task == "classification":
        assert sum(c["count"] for c in read(repo, "reports/plots/confusion.json")) == metrics["rows"]
    else:
        assert sum(point["rows"] for point in read(repo, "reports/plots/predicted_vs_actual.json")) == metrics["rows"]

    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    assert set(lock["stages"]) == set(STAGES)


def test_second_repro_only_fingerprints_the_source(workspace):
    result = run(["dvc", "repro"], workspace)
    assert ran_stages(result.stdout) == ["source"]  # always_changed: it looks at the data each time
    assert all(f"Stage '{stage}' didn't change, skipping" in result.stdout for stage in STAGES[1:])
    assert run(["git", "status", "--porcelain"], workspace).stdout == ""


def test_same_params_give_identical_metrics(workspace):
    before = read(workspace, "reports/metrics.json")
    slices_before = read(workspace, "reports/slices.json")
    result = run(["dvc", "repro", "--force", "--downstream", "train"], workspace)
    assert ran_stages(result.stdout) == ["train", "compile", "evaluate"]
    after = read(workspace, "reports/metrics.json")
    assert {k: after[k] for k in QUALITY} == {k: before[k] for k in QUALITY}
    assert read(workspace, "reports/slices.json") == slices_before


def test_changing_a_hyperparameter_reruns_only_the_model_and_what_follows(workspace):
    set_params(workspace, {"train.hist_gradient_boosting.max_iter": 50})
    result = run(["dvc", "repro"], workspace)
    assert ran_stages(result.stdout) == ["source", "train", "compile", "evaluate"]
    card = read(workspace, "models/model.json")
    assert card["hyperparameters"]["max_iter"] == 50


@pytest.mark.parametrize("model", ["linear", "random_forest"])
def test_other_model_types_are_selectable(workspace, model):
    set_params(workspace, {"train.model": model, "train.random_forest.n_estimators": 50})
    run(["dvc", "repro"], workspace)
    assert read(workspace, "models/model.json")["model"] == model
    assert learned(read(workspace, "reports/metrics.json"))


def test_mlflow_run_is_queryable_from_the_sqlite_store(reproduced_repo):
    from mlflow.tracking import MlflowClient

    repo = reproduced_repo
    card = read(repo, "models/model.json")
    metrics = read(repo, "reports/metrics.json")
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    run_ = client.get_run(card["mlflow_run_id"])

    assert run_.data.params["model"] == card["model"]
    assert run_.data.params["hist_gradient_boosting.max_iter"] == str(card["hyperparameters"]["max_iter"])
    assert run_.data.metrics[PRIMARY_METRIC] == pytest.approx(metrics[PRIMARY_METRIC])
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    train_data = next(d for d in lock["train"]["deps"] if d["path"] == "data/split/train.parquet")
    assert run_.data.tags["dvc.split.data/split/train.parquet"] == train_data["md5"]
    model_out = next(o for o in lock["train"]["outs"] if o["path"] == "models/model.joblib")
    assert run_.data.tags["dvc.train.models/model.joblib"] == model_out["md5"]
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", run_.data.tags["git_commit"])

    artifacts = {a.path for a in client.list_artifacts(run_.info.run_id)}
    assert {"plots", "figures", "slices.json"} <= artifacts
    models = client.search_logged_models(experiment_ids=[run_.info.experiment_id])
    assert any(m.source_run_id == run_.info.run_id for m in models)


def test_a_bad_param_stops_with_the_key_named_and_keeps_outputs(workspace):
    before = {p: (workspace / p).read_bytes() for p in ("models/model.joblib", "reports/metrics.json")}
    set_params(workspace, {"train.hist_gradient_boosting.learnin_rate": 0.3})
    result = run(["dvc", "repro"], workspace, check=False)
    assert result.returncode != 0
    assert "train.hist_gradient_boosting.learnin_rate: unknown key" in result.stderr + result.stdout
    assert {p: (workspace / p).read_bytes() for p in before} == before
