"""Reading current data: files, URLs, and the inference logs in bentoml.monitor's real format."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from gitops_ml import schema
from gitops_ml.config import PREDICTION_COLUMN, DriftParams, LogsParams
from gitops_ml.drift import DriftInputError
from gitops_ml.drift.prepare import conform
from gitops_ml.drift.sources import read_current, read_logs, read_table
from tests.support.data import valid_frame


@pytest.fixture(autouse=True)
def _no_log_dir_override(monkeypatch):
    monkeypatch.delenv("INFERENCE_LOG_DIR", raising=False)  # `make` exports it for the service


def test_log_dir_follows_the_service_variable(monkeypatch, tmp_path):
    from gitops_ml.drift.sources import log_dir

    assert log_dir(LogsParams(path="monitoring")) == Path("monitoring/flight_delay/data")
    monkeypatch.setenv("INFERENCE_LOG_DIR", str(tmp_path))
    assert log_dir(LogsParams(path="monitoring")) == tmp_path / "flight_delay" / "data"


def test_parquet_and_csv_read_alike(tmp_path):
    frame = valid_frame(50)
    frame.to_parquet(tmp_path / "batch.parquet")
    frame.to_csv(tmp_path / "batch.csv", index=False)
    from_parquet = read_current(DriftParams(), str(tmp_path / "batch.parquet")).frame
    from_csv = read_current(DriftParams(), str(tmp_path / "batch.csv")).frame
    pd.testing.assert_frame_equal(conform(from_parquet, "current").frame, conform(from_csv, "current").frame)


def test_fsspec_urls_are_read(tmp_path):
    valid_frame(20).to_parquet(tmp_path / "batch.parquet")
    assert len(read_table(f"file://{tmp_path}/batch.parquet")) == 20


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.parquet", None, "no such file"),
        ("broken.parquet", b"PAR1 not really", "unreadable"),
        ("batch.xlsx", b"", "unknown format"),
    ],
)
def test_unreadable_sources_are_named(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DriftInputError, match=message) as raised:
        read_table(str(tmp_path / name))
    assert name in str(raised.value)


def test_unknown_url_protocol_is_a_clear_error():
    with pytest.raises(DriftInputError, match=r"nosuchprotocol://bucket/batch\.parquet"):
        read_table("nosuchprotocol://bucket/batch.parquet")


def test_no_logs_says_how_to_make_some(tmp_path):
    with pytest.raises(DriftInputError, match=r"no inference logs in .*make replay"):
        read_logs(LogsParams(path=str(tmp_path), monitor="flight_delay"))


def test_logs_written_by_bentoml_monitor_are_read(tmp_path):
    """The service logs every input field, the probability and the label with bentoml.monitor; this
    writes such logs with bentoml.monitor itself (default writer, in a subprocess: it configures
    logging globally) and reads them back, including a line cut short by a crash."""
    records = valid_frame(5).drop(columns=[schema.TARGET])
    records[schema.TIMESTAMP] = records[schema.TIMESTAMP].astype(str)  # as JSON carries it
    script = textwrap.dedent(
        f"""
        import json, bentoml
        for record in json.loads({json.dumps(records.to_json(orient="records"))}):
            with bentoml.monitor("flight_delay") as monitor:
                for name, value in record.items():
                    monitor.log(value, name=name, role="feature", data_type="numerical")
                monitor.log(0.25, name="probability", role="prediction", data_type="numerical")
                monitor.log(0, name="label", role="prediction", data_type="categorical")
        """
    )
    env = {"BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "true", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, timeout=120)
    log = tmp_path / "monitoring" / "flight_delay" / "data" / "data.0.log"
    first = json.loads(log.read_text().splitlines()[0])
    assert {"timestamp", "request_id", "trace_id", "probability", "label", "temp"} <= set(first)
    with log.open("a") as handle:
        handle.write('{"carrier": "AA", "te')  # a crash mid-line

    table = read_logs(LogsParams(path=str(tmp_path / "monitoring"), monitor="flight_delay"))
    assert len(table.frame) == 5 and "1 unreadable line(s) skipped" in table.description
    assert set(table.frame.columns) == set(records.columns) | {PREDICTION_COLUMN}
    prepared = conform(table.frame, "current")
    assert prepared.notes == []
    assert prepared.frame[PREDICTION_COLUMN].tolist() == [0.25] * 5
    pd.testing.assert_series_equal(
        prepared.frame["temp"].reset_index(drop=True), records["temp"].reset_index(drop=True), check_names=False
    )
