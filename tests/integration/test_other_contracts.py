"""The suite's core on the built-in contracts (tests/schemas/): a churn classification with string
labels and no timestamp, and a price regression. Each runs the real loop a team would after
`make schema`: `dvc repro` on a CSV of generated rows, bad data and bad sources, the PR report, the
drift check, and the service served from source with the smoke test's parity and 4xx checks.
Nothing here knows a column by name: the contract says what to corrupt and what to expect.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gitops_ml import inference_log
from gitops_ml.metric_catalogue import QUALITY
from gitops_ml.stages.evaluate import PLOTS as PLOTS_BY_TASK
from tests.support.data import contract, pick
from tests.support.project import clone_workspace, commit_all, run, set_params
from tests.support.serving import serving

pytestmark = [pytest.mark.slow]

KEPT = ("models/model.joblib", "models/model.json", "reports/metrics.json", "reports/slices.json")
# Their dvc.lock entries: what the last good run used.
DOWNSTREAM = ("validate", "split", "train", "compile", "evaluate")
CONTRACTS = [pytest.param(name, marks=pytest.mark.xdist_group(f"contract-{name}")) for name in ("churn", "prices")]


@pytest.fixture(params=CONTRACTS)
def name(request) -> str:
    return request.param


@pytest.fixture
def repo(contract_repos, name) -> Path:
    return contract_repos(name)


@pytest.fixture
def workspace(repo, tmp_path) -> Path:
    return clone_workspace(repo, tmp_path / "repo")


def read(repo: Path, path: str):
    return json.loads((repo / path).read_text())


def snapshot(repo: Path) -> dict[str, object]:
    import yaml

    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    return {path: (repo / path).read_bytes() for path in KEPT} | {stage: lock[stage] for stage in DOWNSTREAM}


def test_the_pipeline_learns_the_task(repo, name):
    schema = contract(name)
    metrics = read(repo, "reports/metrics.json")
    assert set(QUALITY[schema.task]) <= set(metrics)
    if schema.task == "classification":
        assert metrics["roc_auc"] > 0.7 and "rmse" not in metrics
    else:
        assert metrics["r2"] > 0.5 and metrics["rmse"] < metrics["baseline_rmse"] and "roc_auc" not in metrics
    card = read(repo, "models/model.json")
    assert (card["task"], card["project"], card["target"]) == (schema.task, name, schema.target)
    assert card["positive_label"] == schema.positive_label
    plots = {path.stem for path in (repo / "reports/plots").glob("*.json")}
    assert plots == set(PLOTS_BY_TASK[schema.task])
    slices = read(repo, "reports/slices.json")
    assert {row["slice"] for row in slices} == set(read_params(repo)["evaluate"]["slices"])
    split = read(repo, "reports/split.json")
    assert split["test"]["rows"] == metrics["rows"] and split["reference"]["rows"] == split["test"]["rows"]
    assert sum(split[part]["rows"] for part in ("train", "test", "production")) == 3000


def read_params(repo: Path) -> dict:
    import yaml

    return yaml.safe_load((repo / "params.yaml").read_text())


def test_missing_targets_are_dropped_and_counted(workspace, name):
    schema = contract(name)
    source = workspace / f"data/{name}.csv"
    table = pd.read_csv(source)
    table.loc[:9, schema.target] = None
    table.to_csv(source, index=False)
    run(["dvc", "repro"], workspace)
    assert read(workspace, "reports/validation.json")["missing_target_rows"] == 10
    assert read(workspace, "reports/validation.json")["rows"] == 2990


def _corrupt_category(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    column = pick(contract(name), "category", has_categories=True)
    table.loc[:4, column.name] = "?? never declared"
    return table, f"column '{column.name}': rule 'isin("


def _out_of_range(table: pd.DataFrame, name: str) -> tuple[pd.DataFrame, str]:
    column = pick(contract(name), "float", has_range=True)
    table.loc[:4, column.name] = column.maximum * 10 + 1
    return table, f"column '{column.name}': rule 'in_range("


@pytest.mark.parametrize("corrupt", [_corrupt_category, _out_of_range])
def test_bad_rows_stop_at_validation_and_keep_the_outputs(workspace, name, corrupt):
    source = workspace / f"data/{name}.csv"
    table, expected = corrupt(pd.read_csv(source), name)
    table.to_csv(source, index=False)
    before = snapshot(workspace)
    result = run(["dvc", "repro"], workspace, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and expected in output, output
    assert "Running stage 'train'" not in output
    assert snapshot(workspace) == before


BAD_SOURCES = {
    "not a table": (lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary"), "not a readable csv file"),
    "truncated parquet": (None, "not a readable parquet file"),
    "declared column missing": (None, "lacks the column(s)"),
    "zero rows": (None, "has no rows"),
    "no such file": (lambda path: path.unlink(), "no such file"),
}


def _break_source(workspace: Path, name: str, case: str) -> Path:
    source = workspace / f"data/{name}.csv"
    table = pd.read_csv(source)
    if case == "truncated parquet":
        parquet = source.with_suffix(".parquet")
        table.to_parquet(parquet, index=False)
        parquet.write_bytes(parquet.read_bytes()[:500])
        set_params(workspace, {"data.source": f"data/{name}.parquet"})
        return parquet
    if case == "declared column missing":
        table.drop(columns=contract(name).input_names()[0]).to_csv(source, index=False)
    elif case == "zero rows":
        table.head(0).to_csv(source, index=False)
    else:
        BAD_SOURCES[case][0](source)
    return source


@pytest.mark.parametrize("case", BAD_SOURCES)
def test_an_unreadable_source_is_one_line_naming_the_file(workspace, name, case):
    source = _break_source(workspace, name, case)
    before = snapshot(workspace)
    raw = (workspace / "data/raw/table.parquet").read_bytes()
    result = run(["python", "-m", "gitops_ml.stages.ingest"], workspace, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(source.relative_to(workspace)) in line and BAD_SOURCES[case][1] in line, line
    assert snapshot(workspace) == before and (workspace / "data/raw/table.parquet").read_bytes() == raw


def test_the_report_speaks_the_task(workspace, name):
    schema = contract(name)
    set_params(workspace, {"train.hist_gradient_boosting.max_iter": 20})
    run(["dvc", "repro"], workspace)
    commit_all(workspace, "fewer trees")
    result = run(["python", "-m", "gitops_ml.report", "--base", "HEAD~1"], workspace, check=False)
    assert result.returncode in (0, 1), result.stderr  # 1 = the gate failed; the report is written either way
    report = (workspace / "build/report/report.md").read_text()
    primary = "ROC AUC" if schema.task == "classification" else "RMSE"
    assert primary in report and schema.target in report
    # Intervals for the task's metrics, and a paired comparison: HEAD~1's scored rows are in the DVC cache.
    metrics = read(workspace, "reports/metrics.json")
    assert set(metrics["intervals"]) == {"level", *QUALITY[schema.task]}
    assert "In brackets: the 95% interval" in report and "Δ intervals are paired" in report
    assert not {"flight", "delay", "carrier"} & set(report.lower().split())
    if schema.task == "regression":
        assert "ROC" not in report and "onfusion" not in report


def test_the_drift_check_compares_inputs_and_predictions(repo, name, tmp_path):
    schema = contract(name)
    out = tmp_path / "drift"
    result = run(["python", "-m", "gitops_ml.drift", "--out", str(out)], repo)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["decision"]["status"] in ("drift", "no_drift"), result.stdout
    assert set(summary["columns"]) == {c.name for c in schema.drift_columns()}
    assert summary["prediction"] is not None
    # production and reference are random parts of one table: no drift
    assert summary["decision"]["status"] == "no_drift", summary["decision"]
    assert summary["performance"]["metric"] == ("roc_auc" if schema.task == "classification" else "rmse")


def test_the_service_answers_like_the_pipeline(workspace, name, tmp_path):
    home = tmp_path / "bentoml"
    run(["python", "-m", "gitops_ml.deploy.import_model"], workspace, BENTOML_HOME=str(home))
    run(["python", "-m", "gitops_ml.deploy.smoke", "expected"], workspace)
    logs = tmp_path / "logs"
    with serving("gitops_ml.service:ModelService", workspace, home, logs) as url:
        result = run(["python", "-m", "gitops_ml.deploy.smoke", "check", "--url", url], workspace, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    schema = contract(name)
    text = "\n".join(path.read_text() for path in inference_log.data_files(logs, name))
    lines, unreadable = inference_log.parse_lines(text.splitlines())
    assert unreadable == 0, text[:2000]
    outputs = {"probability", "label"} if schema.task == "classification" else {"prediction"}
    assert lines and all(outputs <= set(line) and set(schema.input_names()) <= set(line) for line in lines)
    if schema.task == "classification":
        assert {line["label"] for line in lines} <= {schema.positive_label, schema.negative_label}
    shutil.rmtree(home, ignore_errors=True)
