"""The service's HTTP contract, in-process: BentoML's ASGI app of FlightDelay (its model service
instantiated locally) driven by Starlette's test client. Bad input gets a 4xx naming the field and
never a 5xx; good input gets the pipeline model's own probabilities, logged for the drift check."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest

from gitops_ml import schema
from gitops_ml.deploy.import_model import store_model
from gitops_ml.features import model_inputs
from gitops_ml.request_models import MAX_BATCH_RECORDS, example_record
from tests.support.data import valid_frame
from tests.support.serving import read_log_lines, to_records


@pytest.fixture(scope="module")
def client(small_model, tmp_path_factory):
    """One app per process: BentoML registers its Prometheus metrics once per process."""
    from bentoml._internal.configuration.containers import BentoMLContainer
    from bentoml._internal.models import ModelStore
    from bentoml._internal.monitoring import api as monitoring_api
    from starlette.testclient import TestClient

    from gitops_ml.service import FlightDelay

    tmp = tmp_path_factory.mktemp("inprocess")
    BentoMLContainer.model_store.set(ModelStore(str(tmp / "models")))
    card = json.loads((small_model / "model.json").read_text())
    store_model(small_model / "model.joblib", card, {"roc_auc": 0.7}, commit="abc123")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFERENCE_LOG_DIR", str(tmp / "logs"))
        patch.setattr(monitoring_api, "_MONITOR_INSTANCES", {})  # a fresh monitor for this log dir
        with TestClient(FlightDelay.to_asgi(), raise_server_exceptions=False) as test_client:
            test_client.log_dir = tmp / "logs"
            yield test_client
    BentoMLContainer.model_store.reset()


def field_errors(response) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]}


def test_health_endpoints(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_predictions_equal_the_pipeline_models(client, small_model):
    rows = valid_frame(50, seed=7)
    rows.loc[rows.index[:10], ["wind_gust", "pressure"]] = np.nan  # nullable columns sent as null
    expected = joblib.load(small_model / "model.joblib").predict_proba(model_inputs(rows))[:, 1]

    batch = client.post("/predict_batch", json={"records": to_records(rows)})
    single = [client.post("/predict", json=record) for record in to_records(rows.head(5))]

    assert batch.status_code == 200, batch.text
    answers = batch.json()
    assert [answer["probability"] for answer in answers] == expected.tolist()
    assert [answer["label"] for answer in answers] == (expected >= 0.35).astype(int).tolist()
    assert {answer["model_version"] for answer in answers} == {answers[0]["model_version"]}
    assert answers[0]["model_version"].startswith("flight-delay:")
    assert [response.json() for response in single] == answers[:5]


def test_every_scored_record_is_logged_with_its_prediction(client):
    records = to_records(valid_frame(20, seed=3))
    logged_before = len(read_log_lines(client.log_dir))
    client.post("/predict_batch", json={"records": records})
    answer = client.post("/predict", json=records[0]).json()

    lines = read_log_lines(client.log_dir)[logged_before:]
    assert len(lines) == 21
    inputs = [column.name for column in schema.input_columns()]
    assert set(lines[0]) == {*inputs, "probability", "label", "timestamp", "request_id", "trace_id"}
    assert [{name: line[name] for name in inputs} for line in lines[:20]] == records
    assert (lines[-1]["probability"], lines[-1]["label"]) == (answer["probability"], answer["label"])
    schema_line = json.loads(next((client.log_dir / "flight_delay" / "schema").glob("schema.*.log")).read_text())
    roles = {column["name"]: column["role"] for column in schema_line["columns"]}
    assert roles == {**dict.fromkeys(inputs, "feature"), "probability": "prediction", "label": "prediction"}


WHEN = "scheduled_departure"
BAD_RECORDS = {
    "missing field": ({k: v for k, v in example_record().items() if k != "origin"}, "origin"),
    "extra field": ({**example_record(), "dep_delay": 12}, "dep_delay"),
    "wrong type": ({**example_record(), "distance": "far"}, "distance"),
    "number as text": ({**example_record(), "temp": "71.5"}, "temp"),
    "out of range": ({**example_record(), "humid": 140.0}, "humid"),
    "unknown category": ({**example_record(), "carrier": "ZZ"}, "carrier"),
    "pattern": ({**example_record(), "dest": "lax"}, "dest"),
    "null where not nullable": ({**example_record(), "distance": None}, "distance"),
    "timestamp with offset": ({**example_record(), WHEN: "2013-07-01T08:00:00Z"}, WHEN),
    "timestamp as number": ({**example_record(), WHEN: 1372665600}, WHEN),
    "timestamp out of window": ({**example_record(), WHEN: "0001-01-01T00:00:00"}, WHEN),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_is_refused_naming_the_field(client, case):
    record, field = BAD_RECORDS[case]
    single = client.post("/predict", json=record)
    batch = client.post("/predict_batch", json={"records": [example_record(), record]})
    assert single.status_code == 400, single.text
    assert field in field_errors(single)
    assert batch.status_code == 400, batch.text
    assert f"records.1.{field}" in field_errors(batch)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client, literal):
    body = json.dumps({**example_record(), "temp": 0.0}).replace("0.0", literal, 1)
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "temp" in field_errors(response)


def test_malformed_bodies_get_4xx(client):
    json_header = {"content-type": "application/json"}
    assert client.post("/predict", content=b"{not json", headers=json_header).status_code == 400
    assert client.post("/predict", content=b"[]", headers=json_header).status_code == 400
    assert client.post("/predict_batch", json={"records": []}).status_code == 400
    assert client.post("/predict_batch", json=[example_record()]).status_code == 400
    assert client.post("/predict_batch", json=example_record()).status_code == 400
    for body in (b"", b"{", b"\x00\x00", b"[1,", b'{"records": [{]}'):
        assert client.post("/predict_batch", content=body, headers=json_header).status_code == 400, body
    form = client.post("/predict", data={"carrier": "AA"})
    assert form.status_code == 415
    assert "application/json" in form.json()["error"]


def test_oversize_requests_are_refused_before_scoring(client):
    too_many = client.post("/predict_batch", json={"records": [example_record()] * (MAX_BATCH_RECORDS + 1)})
    assert too_many.status_code == 400
    assert "records" in field_errors(too_many)
    huge = client.post("/predict", content=b" " * (3 * 1024 * 1024), headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert client.post("/predict", json=example_record()).status_code == 200  # and the service goes on
