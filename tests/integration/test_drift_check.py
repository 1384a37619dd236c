"""The drift check with real Evidently on data generated from each test contract: decisions on
known shifts, sampling stability, the model's predictions and performance, the CLI's reports and
exit codes, the HTML report in a real headless browser, and one run on the shipped example's own
pipeline output.

Shifts are built from the schema, never from a column's name: numeric inputs moved by several
standard deviations, a category input's frequencies turned around.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from gitops_ml import inference_log, paths
from gitops_ml.config import PREDICTION_COLUMN, DriftParams, Params, TrainParams, load_params, parse_params
from gitops_ml.drift import decision
from gitops_ml.drift.__main__ import main
from gitops_ml.drift.check import check_tables
from gitops_ml.drift.replay import to_records
from gitops_ml.drift.sources import Table, read_current, read_reference
from gitops_ml.features import model_inputs
from gitops_ml.metric_catalogue import PRIMARY, check_names
from gitops_ml.metrics import task_metrics
from gitops_ml.model import build_pipeline, predict
from gitops_ml.model_card import ModelCard
from gitops_ml.schema import Column, Schema, load_schema
from gitops_ml.targets import target_values
from tests.support.data import ALL_CONTRACTS, contract, pick, schema_file, valid_frame
from tests.support.project import ROOT, env_for, run

pytestmark = pytest.mark.slow
# One xdist worker for the tests in-process (Evidently takes seconds to import, and the generated
# projects are built once); the shipped example's test joins the pipeline tests' worker instead,
# where the repository after `dvc repro` is already built.
EVIDENTLY = pytest.mark.xdist_group("drift-evidently")
ROWS = 3000  # per side: Evidently picks its large-sample tests (distances) above 1000 rows
SHIFT_SDS = 3.0  # how far a shifted numeric input moves, in its own standard deviations


# ---- shifts built from the schema ------------------------------------------------------------


def numeric_inputs(schema: Schema) -> list[str]:
    return [column.name for column in schema.drift_columns() if column.numeric]


def category_inputs(schema: Schema) -> list[str]:
    return [column.name for column in schema.drift_columns() if column.kind == "category"]


def compared(schema: Schema, kind: str | None = None, **wanted: object) -> Column:
    """``pick`` among the inputs the drift check compares (``drift: false`` inputs are left out)."""
    kept = tuple(column for column in schema.columns if column.role != "input" or column.drift)
    return pick(dataclasses.replace(schema, columns=kept), kind, **wanted)


def shift_numbers(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Each named column moved by SHIFT_SDS of its standard deviations: no sample noise explains that."""
    changes = {}
    for name in names:
        values = frame[name].astype(float)
        changes[name] = values + SHIFT_SDS * values.std()
    return frame.assign(**changes)


def skew_category(frame: pd.DataFrame, column: Column, seed: int, reverse: bool = False) -> pd.DataFrame:
    """The column redrawn with frequencies rising along its categories (falling when ``reverse``):
    the same values, the frequencies turned around."""
    weights = np.arange(1, len(column.categories) + 1, dtype=float) ** 2
    weights = weights[::-1] if reverse else weights
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array(column.categories, dtype=object), size=len(frame), p=weights / weights.sum())
    return frame.assign(**{column.name: values})


# ---- params as a fork of the template would have them for each contract -----------------------


def params_for(schema: Schema) -> dict:
    """The repository's params.yaml (the thresholds a fork gets), with what does not apply to the
    contract's task or columns left out, so that it passes ``Params.check_against``."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    if not schema.timestamp:
        raw["split"]["by"] = "random"
    raw["gate"]["metrics"] = {
        name: rule for name, rule in raw["gate"]["metrics"].items() if not check_names([name], schema.task)
    }
    raw["evaluate"]["slices"] = [name for name in raw["evaluate"]["slices"] if name in schema.slice_columns()]
    drift = raw["drift"]
    known = {column.name for column in schema.drift_columns()} | {PREDICTION_COLUMN}
    drift["columns"] = {name: rule for name, rule in (drift.get("columns") or {}).items() if name in known}
    performance = drift.setdefault("performance", {})
    if performance.get("metric") and check_names([performance["metric"]], schema.task):
        performance.update(metric=None, max_drop=None)  # another task's metric and allowance: the defaults
    parse_params(raw).check_against(schema)
    return raw


def configured(schema: Schema, **changes) -> DriftParams:
    """The contract's drift params, without the model's predictions unless asked for."""
    drift = parse_params(params_for(schema)).drift
    return drift.model_copy(update={"prediction": False, **changes})


@pytest.fixture(scope="module", params=ALL_CONTRACTS)
def contract_name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def schema(contract_name) -> Schema:
    return contract(contract_name)


# ---- the statistics, without a model ---------------------------------------------------------


@EVIDENTLY
@pytest.mark.parametrize("seed", [1, 2])
def test_two_samples_of_one_distribution_do_not_drift(schema, seed):
    reference = valid_frame(ROWS, seed=seed, schema=schema)
    current = valid_frame(ROWS, seed=seed + 100, schema=schema)
    summary, _ = check_tables(Table(reference, "one sample"), Table(current, "another"), configured(schema), schema)
    assert summary["decision"]["status"] == decision.NO_DRIFT, summary["decision"]
    assert summary["decision"]["drifted_columns"] == []
    assert set(summary["columns"]) == {column.name for column in schema.drift_columns()}


@EVIDENTLY
def test_shifted_numeric_inputs_drift_and_untouched_categories_do_not(schema):
    reference = valid_frame(ROWS, seed=1, schema=schema)
    current = shift_numbers(valid_frame(ROWS, seed=2, schema=schema), numeric_inputs(schema))
    summary, snapshot = check_tables(Table(reference, "before"), Table(current, "shifted"), configured(schema), schema)
    assert summary["decision"]["status"] == decision.DRIFT
    assert summary["decision"]["dataset_drift"]
    assert set(summary["decision"]["drifted_columns"]) >= set(numeric_inputs(schema))
    assert not set(category_inputs(schema)) & set(summary["decision"]["drifted_columns"])
    assert snapshot is not None


@EVIDENTLY
def test_turned_around_category_frequencies_drift_and_untouched_numbers_do_not(schema):
    column = compared(schema, "category", has_categories=True)
    reference = skew_category(valid_frame(ROWS, seed=1, schema=schema), column, seed=1)
    current = skew_category(valid_frame(ROWS, seed=2, schema=schema), column, seed=2, reverse=True)
    summary, _ = check_tables(Table(reference, "before"), Table(current, "turned"), configured(schema), schema)
    assert summary["columns"][column.name]["drifted"], summary["columns"][column.name]
    assert column.name in summary["decision"]["drifted_columns"]
    assert not set(numeric_inputs(schema)) & set(summary["decision"]["drifted_columns"])
    assert not any("never seen" in note for note in summary["notes"])  # the same values, other frequencies


@EVIDENTLY
def test_sampling_keeps_the_decision(schema):
    """Every row, then seeded samples of a third (drift.max_rows): the same decision, and the
    shifted columns are always found."""
    rows = 3 * ROWS
    reference = Table(valid_frame(rows, seed=1, schema=schema), "before")
    current = Table(shift_numbers(valid_frame(rows, seed=2, schema=schema), numeric_inputs(schema)), "shifted")
    full, _ = check_tables(reference, current, configured(schema, max_rows=rows), schema)
    assert full["current"]["sampled_rows"] == full["current"]["rows"] == rows
    assert full["decision"]["status"] == decision.DRIFT
    for seed in (7, 8):
        sampled, _ = check_tables(reference, current, configured(schema, max_rows=ROWS, seed=seed), schema)
        assert sampled["current"]["sampled_rows"] == sampled["reference"]["sampled_rows"] == ROWS
        assert sampled["decision"]["status"] == full["decision"]["status"]
        assert set(sampled["decision"]["drifted_columns"]) >= set(numeric_inputs(schema))


# ---- a project as the pipeline leaves it ---------------------------------------------------


@pytest.fixture(scope="module")
def project(contract_name, schema, tmp_path_factory):
    """A project directory as the pipeline leaves it for this contract: schema.yaml, params.yaml,
    the reference part, a production part whose numeric inputs shifted (labelled, as split parts
    are), a trained model, its card and its evaluated metrics."""
    root = tmp_path_factory.mktemp(f"drift-project-{contract_name}")
    shutil.copy(schema_file(contract_name), root / "schema.yaml")
    raw = params_for(schema)
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    params = parse_params(raw)
    (root / paths.SPLIT_DIR).mkdir(parents=True)
    valid_frame(ROWS, seed=1, schema=schema).to_parquet(root / paths.split_file("reference"))
    production = shift_numbers(valid_frame(ROWS, seed=2, schema=schema), numeric_inputs(schema))
    production.to_parquet(root / paths.split_file("production"))

    train, test = valid_frame(2 * ROWS, seed=3, schema=schema), valid_frame(ROWS, seed=4, schema=schema)
    model = build_pipeline(TrainParams(hist_gradient_boosting={"max_iter": 30}), schema)
    model.fit(model_inputs(train, schema), target_values(train, schema))
    card = card_for(params, schema)
    (root / "models").mkdir()
    joblib.dump(model, root / paths.MODEL)
    (root / paths.MODEL_CARD).write_text(card.to_json())
    scores = predict(model, model_inputs(test, schema), schema.task)
    metrics = task_metrics(schema.task, target_values(test, schema), scores, card.threshold)
    (root / "reports").mkdir()
    (root / paths.METRICS).write_text(json.dumps(metrics))
    return root


def card_for(params: Params, schema: Schema) -> ModelCard:
    classify = schema.task == "classification"
    return ModelCard(
        project=params.project.name,
        task=schema.task,
        target=schema.target,
        model="hist_gradient_boosting",
        inputs=schema.input_names(),
        positive_label=schema.positive_label,
        negative_label=schema.negative_label,
        threshold=params.train.threshold if classify else None,
        mlflow_run_id="test-run",
    )


@pytest.fixture
def in_project(project, monkeypatch):
    """Inside the project, reading its own schema.yaml and nothing the environment points to."""
    monkeypatch.chdir(project)
    for name in ("SCHEMA_FILE", "INFERENCE_LOG_DIR"):
        monkeypatch.delenv(name, raising=False)
    return project


def project_drift(project) -> DriftParams:
    return load_params(project / "params.yaml").drift


def performance_metric(params: DriftParams, schema: Schema) -> str:
    return params.performance.metric or PRIMARY[schema.task]


@EVIDENTLY
def test_same_distribution_with_labels_keeps_predictions_and_performance(in_project, schema):
    params = project_drift(in_project)
    current = valid_frame(ROWS, seed=5, schema=schema)
    summary, _ = check_tables(read_reference(), Table(current, "labelled batch"), params, schema)
    assert summary["decision"]["status"] == decision.NO_DRIFT, summary["decision"]
    assert summary["prediction"] is not None and not summary["prediction"]["drifted"]
    performance = summary["performance"]
    assert performance["metric"] == performance_metric(params, schema)
    assert not performance["drifted"], performance
    baseline = json.loads((in_project / paths.METRICS).read_text())[performance["metric"]]
    assert performance["baseline"] == pytest.approx(baseline)
    if params.performance.max_drop is None:  # the task's default allowance
        expected = 0.05 if schema.task == "classification" else 0.1 * abs(baseline)
        assert performance["max_drop"] == pytest.approx(expected)


@EVIDENTLY
def test_shifted_inputs_drift_the_predictions(in_project, schema):
    """Classification compares the predicted probability, regression the predicted number."""
    params = project_drift(in_project)
    current = shift_numbers(valid_frame(ROWS, seed=5, schema=schema), numeric_inputs(schema))
    summary, _ = check_tables(read_reference(), Table(current.drop(columns=[schema.target]), "batch"), params, schema)
    assert summary["prediction"]["drifted"], summary["prediction"]
    assert summary["decision"]["prediction_drift"] and summary["decision"]["status"] == decision.DRIFT
    assert summary["performance"] is None  # no labels, no performance


@EVIDENTLY
def test_labels_that_no_longer_follow_the_inputs_are_a_performance_drop(in_project, schema):
    """Same inputs, shuffled targets: the inputs and the predictions hold, the quality falls
    (classification: ROC AUC towards 0.5, whatever the labels are called; regression: RMSE up)."""
    params = project_drift(in_project)
    current = valid_frame(ROWS, seed=5, schema=schema)
    current[schema.target] = np.random.default_rng(0).permutation(current[schema.target].to_numpy())
    summary, _ = check_tables(read_reference(), Table(current, "relabelled"), params, schema)
    assert summary["decision"]["drifted_columns"] == [] and not summary["prediction"]["drifted"]
    performance = summary["performance"]
    assert performance["metric"] == performance_metric(params, schema)
    assert performance["drifted"] and performance["worsening"] > performance["max_drop"], performance
    assert summary["decision"]["status"] == decision.DRIFT


@EVIDENTLY
def test_logged_traffic_is_checked_with_what_was_served(in_project, schema):
    """Inference logs carry the served outputs (classification: probability and label; regression:
    the number); the check compares those, it does not rescore. Inputs like the reference's with
    outputs unlike the model's: prediction drift, and only that."""
    params = load_params(in_project / "params.yaml")
    frame = valid_frame(ROWS, seed=6, schema=schema)
    model = joblib.load(in_project / paths.MODEL)
    scores = predict(model, model_inputs(frame, schema), schema.task)
    if schema.task == "classification":
        served = scores**0.25  # every probability pushed up
        outputs = {
            inference_log.PROBABILITY: served.tolist(),
            inference_log.LABEL: [schema.positive_label if p >= 0.35 else schema.negative_label for p in served],
        }
    else:
        outputs = {inference_log.PREDICTION: (scores + SHIFT_SDS * scores.std()).tolist()}
    records = to_records(frame, schema)
    columns = {name: [record[name] for record in records] for name in schema.input_names()}
    logs = in_project / "monitoring"
    data_dir = inference_log.data_dir(logs, params.project.identifier)
    data_dir.mkdir(parents=True)
    extra = {"timestamp": "2024-01-01T00:00:00", "request_id": "1", "trace_id": "1"}
    (data_dir / "data.0.log").write_text(inference_log.format_lines({**columns, **outputs}, extra) + "\n")

    out = in_project / "build" / "logs-check"
    assert main(["--source", "logs", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["current"]["rows"] == ROWS and "inference logs" in summary["current"]["description"]
    assert summary["decision"]["drifted_columns"] == []
    assert summary["prediction"]["drifted"], summary["prediction"]
    assert summary["performance"] is None and summary["notes"] == []


@pytest.fixture(scope="module")
def production_report(project):
    """`python -m gitops_ml.drift` on the default source, in-process (Evidently is already loaded)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.delenv("SCHEMA_FILE", raising=False)
        code = main([])
    return code, project / "build" / "drift"


@EVIDENTLY
def test_cli_writes_the_three_reports_and_exits_zero_on_drift(production_report, project, schema):
    code, out = production_report
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"] == "production"
    assert summary["decision"]["status"] == decision.DRIFT
    assert set(summary["decision"]["drifted_columns"]) >= set(numeric_inputs(schema))
    assert summary["prediction"] is not None and summary["model_version"] == "test-run"
    # production rows carry labels
    assert summary["performance"]["metric"] == performance_metric(project_drift(project), schema)
    assert (out / "summary.md").read_text().startswith("## :warning: Drift check: Drift detected")
    assert (out / "report.html").stat().st_size > 100_000


@EVIDENTLY
@pytest.mark.parametrize("contract_name", ["shipped"], indirect=True)
def test_an_unreadable_source_exits_2_with_a_message_not_a_traceback(project, tmp_path):
    env = {key: value for key, value in env_for(ROOT).items() if key != "SCHEMA_FILE"}
    result = subprocess.run(
        [sys.executable, "-m", "gitops_ml.drift", "--source", str(tmp_path / "nope.parquet")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"drift: {tmp_path / 'nope.parquet'}: no such file\n"


@EVIDENTLY
@pytest.mark.parametrize("case", ["other columns", "bad csv", "bad parquet", "numbers as words"])
def test_unusable_sources_exit_2_with_a_message(in_project, schema, tmp_path, capsys, case):
    if case == "other columns":
        source, message = tmp_path / "other.csv", f"lacks the column(s) {schema.drift_columns()[0].name}"
        source.write_text("a,b\n1,2\n")
    elif case == "bad csv":
        source, message = tmp_path / "bad.csv", "bad.csv: not a readable csv file"
        source.write_text('a,"b\n1')
    elif case == "bad parquet":
        source, message = tmp_path / "bad.parquet", "bad.parquet: not a readable parquet file"
        source.write_text("garbage")
    else:  # a real batch whose numbers arrive as words
        name = compared(schema, "float").name
        source, message = tmp_path / "typed.csv", f"current column '{name}': expected numbers"
        batch = pd.read_parquet(in_project / paths.split_file("production")).head(1000)
        batch.assign(**{name: "warm"}).to_csv(source, index=False)
    assert main(["--source", str(source), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err


@EVIDENTLY
def test_a_small_batch_is_insufficient_data_not_an_error(in_project, tmp_path):
    pd.read_parquet(in_project / paths.split_file("production")).head(20).to_csv(tmp_path / "small.csv", index=False)
    assert main(["--source", str(tmp_path / "small.csv"), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["decision"]["status"] == decision.INSUFFICIENT
    assert not (tmp_path / "out" / "report.html").exists()


@EVIDENTLY
def test_an_empty_batch_is_insufficient_data(in_project, tmp_path):
    pd.read_parquet(in_project / paths.split_file("production")).head(0).to_parquet(tmp_path / "empty.parquet")
    assert main(["--source", str(tmp_path / "empty.parquet"), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["current"]["rows"] == 0


@EVIDENTLY
def test_robust_batch_with_extra_unseen_all_null_and_string_columns(in_project, schema, tmp_path):
    category = compared(schema, "category", has_categories=True).name
    dead, as_text = numeric_inputs(schema)[:2]
    batch = pd.read_parquet(in_project / paths.split_file("production")).head(2000)
    batch = batch.assign(
        note="free text",  # extra column
        **{
            category: ["ZZ-unseen"] * 200 + list(batch[category][200:]),  # unseen category
            dead: None,  # all null
            as_text: batch[as_text].astype(str),  # numbers as strings
        },
    )
    batch.to_csv(tmp_path / "odd.csv", index=False)
    params = project_drift(in_project)
    monitor = load_params(in_project / "params.yaml").project.identifier
    summary, _ = check_tables(
        read_reference(), read_current(params, monitor, str(tmp_path / "odd.csv")), params, schema
    )
    notes = "\n".join(summary["notes"])
    assert "ignored column(s) not in the schema: note" in notes
    assert f"{category} has 1 value(s) never seen in the reference ('ZZ-unseen')" in notes
    assert f"{dead} has no values at all" in notes
    assert dead in summary["decision"]["drifted_columns"]
    assert summary["columns"][as_text]["score"] >= 0


@EVIDENTLY
def test_html_report_shows_the_drifted_columns_in_a_browser(production_report, schema, tmp_path):
    """Evidently's report opened in headless Chromium (Debian package `chromium`): the rendered page
    says dataset drift was detected and lists the shifted columns as drifted."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); the browser check needs it")
    _, out = production_report
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            (out / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "Dataset Drift is detected" in dom
    summary = json.loads((out / "summary.json").read_text())
    drifted = summary["decision"]["drifted_columns"]
    # Each drifted column is a table row whose cells read "<column> ... Detected".
    rows = dom.split("<tr")
    for column in numeric_inputs(schema):
        assert column in drifted
        assert any(f">{column}<" in row and ">Detected<" in row for row in rows), column


# ---- the shipped example, through the pipeline's own output ------------------------------------


@pytest.mark.xdist_group("pipeline")
def test_the_shipped_example_checks_its_production_part_against_its_reference(reproduced_repo, tmp_path):
    """`python -m gitops_ml.drift` in a repository after `dvc repro` of the shipped example: the
    split stage's parts, the trained model and its metrics are read as they are written."""
    out = tmp_path / "out"
    result = run(["python", "-m", "gitops_ml.drift", "--out", str(out)], reproduced_repo)
    summary = json.loads((out / "summary.json").read_text())
    schema = load_schema(reproduced_repo / "schema.yaml")
    params = load_params(reproduced_repo / "params.yaml")
    card = ModelCard.read(reproduced_repo / paths.MODEL_CARD)
    assert summary["decision"]["status"] in (decision.DRIFT, decision.NO_DRIFT), result.stdout
    assert "production part" in summary["current"]["description"]
    assert set(summary["columns"]) | set(summary["all_null"]) == {c.name for c in schema.drift_columns()}
    assert summary["prediction"] is not None and summary["model_version"] == card.mlflow_run_id
    assert summary["performance"]["metric"] == params.performance_metric(schema.task)
    assert (out / "report.html").exists() and "Drift check" in result.stdout
