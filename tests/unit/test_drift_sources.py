"""Reading current data: files, URLs, and the inference logs in bentoml.monitor's real format."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from gitops_ml import inference_log
from gitops_ml.config import PREDICTION_COLUMN, DriftParams, LogsParams
from gitops_ml.drift import DriftInputError
from gitops_ml.drift.prepare import conform
from gitops_ml.drift.sources import log_dir, read_current, read_logs, read_table
from tests.support.data import ALL_CONTRACTS, contract, valid_frame

MONITOR = "demo_model"  # params.yaml project.name "demo-model", with underscores


@pytest.fixture(autouse=True)
def _no_log_dir_override(monkeypatch):
    monkeypatch.delenv("INFERENCE_LOG_DIR", raising=False)  # `make` exports it for the service


def test_log_dir_follows_the_service_variable(monkeypatch, tmp_path):
    assert log_dir(LogsParams(path="monitoring"), MONITOR) == Path(f"monitoring/{MONITOR}/data")
    monkeypatch.setenv("INFERENCE_LOG_DIR", str(tmp_path))
    assert log_dir(LogsParams(path="monitoring"), MONITOR) == tmp_path / MONITOR / "data"


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_parquet_and_csv_read_alike(tmp_path, name):
    schema = contract(name)
    frame = valid_frame(50, schema=schema)
    frame.to_parquet(tmp_path / "batch.parquet")
    frame.to_csv(tmp_path / "batch.csv", index=False)
    from_parquet = read_current(DriftParams(), MONITOR, str(tmp_path / "batch.parquet")).frame
    from_csv = read_current(DriftParams(), MONITOR, str(tmp_path / "batch.csv")).frame
    pd.testing.assert_frame_equal(
        conform(from_parquet, "current", schema).frame, conform(from_csv, "current", schema).frame
    )


def test_fsspec_urls_are_read(tmp_path):
    valid_frame(20).to_parquet(tmp_path / "batch.parquet")
    assert len(read_table(f"file://{tmp_path}/batch.parquet")) == 20


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.parquet", None, "no such file"),
        ("broken.parquet", b"PAR1 not really", "not a readable parquet file"),
        ("batch.xlsx", b"", r"cannot tell the format from the name \(expected \.csv or \.parquet\)"),
    ],
)
def test_unreadable_sources_are_named(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    location = str(tmp_path / name)
    with pytest.raises(DriftInputError, match=message) as raised:
        read_table(location)
    assert str(raised.value).startswith(f"{location}: ")


def test_unknown_url_protocol_is_a_clear_error():
    with pytest.raises(DriftInputError, match=r"nosuchprotocol://bucket/batch\.parquet"):
        read_table("nosuchprotocol://bucket/batch.parquet")


def test_no_logs_says_how_to_make_some(tmp_path):
    with pytest.raises(DriftInputError, match=rf"no inference logs in .*{MONITOR}.*make replay"):
        read_logs(LogsParams(path=str(tmp_path)), MONITOR)


def served(task: str, positive_label: object) -> dict[str, object]:
    """What the service logs next to the inputs: probability and label, or the predicted number."""
    if task == "classification":
        return {inference_log.PROBABILITY: 0.25, inference_log.LABEL: positive_label}
    return {inference_log.PREDICTION: 123.5}


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_logs_written_by_bentoml_monitor_are_read(tmp_path, name):
    """The service logs every input field and its outputs (classification: the probability and the
    label; regression: the number) with bentoml.monitor; this writes such logs with bentoml.monitor
    itself (default writer, in a subprocess: it configures logging globally) and reads them back,
    including a line cut short by a crash. What was served is read as the prediction."""
    schema = contract(name)
    records = valid_frame(5, schema=schema).drop(columns=[schema.target])
    for column in schema.columns:
        if column.kind == "datetime" and column.name in records:
            records[column.name] = records[column.name].astype(str)  # as JSON carries it
    outputs = served(schema.task, schema.positive_label)
    script = textwrap.dedent(
        f"""
        import json, bentoml
        outputs = json.loads({json.dumps(json.dumps(outputs))})
        for record in json.loads({json.dumps(records.to_json(orient="records"))}):
            with bentoml.monitor({MONITOR!r}) as monitor:
                for name, value in record.items():
                    monitor.log(value, name=name, role="feature", data_type="numerical")
                for name, value in outputs.items():
                    monitor.log(value, name=name, role="prediction", data_type="numerical")
        """
    )
    env = {"BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "true", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, timeout=120)
    log = tmp_path / "monitoring" / MONITOR / "data" / "data.0.log"
    first = json.loads(log.read_text().splitlines()[0])
    assert {*inference_log.BOOKKEEPING, *inference_log.output_fields(schema.task)} <= set(first)
    assert set(schema.input_names()) <= set(first)
    with log.open("a") as handle:
        handle.write(f'{{"{schema.input_names()[0]}": "a", "unfinis')  # a crash mid-line

    table = read_logs(LogsParams(path=str(tmp_path / "monitoring")), MONITOR)
    assert len(table.frame) == 5 and "1 unreadable line(s) skipped" in table.description
    assert set(table.frame.columns) == set(records.columns) | {PREDICTION_COLUMN}
    prepared = conform(table.frame, "current", schema)
    assert prepared.notes == []
    served_value = outputs.get(inference_log.PROBABILITY, outputs.get(inference_log.PREDICTION))
    assert prepared.frame[PREDICTION_COLUMN].tolist() == [served_value] * 5
    compared = [column.name for column in schema.drift_columns()]
    pd.testing.assert_frame_equal(  # every compared input reads back as it was sent
        prepared.frame[compared].reset_index(drop=True),
        conform(records, "sent", schema).frame[compared].reset_index(drop=True),
    )
