"""The service's HTTP contract, in-process: BentoML's ASGI app of ModelService (its model service
instantiated locally, for the shipped schema.yaml) driven by Starlette's test client. Bad input gets
a 4xx naming the field and never a 5xx; good input gets the pipeline model's own predictions,
logged for the drift check. Fields are picked from the schema by kind, never by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import pytest

from gitops_ml import compiled_trees
from gitops_ml.deploy.import_model import store_model
from gitops_ml.features import model_inputs
from gitops_ml.model import predict
from gitops_ml.model_card import ModelCard
from gitops_ml.request_models import MAX_BATCH_RECORDS
from gitops_ml.request_models import example_record as schema_example
from tests.support.data import contract, pick, valid_frame
from tests.support.serving import read_log_lines, shipped_monitor, to_records

SCHEMA = contract()
OUTPUTS = ("probability", "label") if SCHEMA.task == "classification" else ("prediction",)


def example_record() -> dict:
    return schema_example(SCHEMA)


@pytest.fixture(scope="module")
def client(small_model, tmp_path_factory):
    """One app per process: BentoML registers its Prometheus metrics once per process."""
    from bentoml._internal.configuration.containers import BentoMLContainer
    from bentoml._internal.models import ModelStore
    from bentoml._internal.monitoring import api as monitoring_api
    from starlette.testclient import TestClient

    from gitops_ml.service import ModelService

    tmp = tmp_path_factory.mktemp("inprocess")
    BentoMLContainer.model_store.set(ModelStore(str(tmp / "models")))
    card = ModelCard.read(small_model / "model.json")
    store_model(small_model / "model.joblib", card, {"rows": 3000}, commit="abc123")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFERENCE_LOG_DIR", str(tmp / "logs"))
        patch.setattr(monitoring_api, "_MONITOR_INSTANCES", {})  # a fresh monitor for this log dir
        with TestClient(ModelService.to_asgi(), raise_server_exceptions=False) as test_client:
            test_client.log_dir = tmp / "logs"
            yield test_client
    BentoMLContainer.model_store.reset()


def field_errors(response) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]}


def test_health_endpoints(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_predictions_equal_the_pipeline_models(client, small_model):
    rows = valid_frame(50, seed=7, schema=SCHEMA)
    nullable = [c.name for c in SCHEMA.input_columns() if c.nullable and c.numeric]
    rows.loc[rows.index[:10], nullable] = np.nan  # nullable columns sent as null
    card = ModelCard.read(small_model / "model.json")
    expected = predict(joblib.load(small_model / "model.joblib"), model_inputs(rows, SCHEMA), SCHEMA.task)

    batch = client.post("/predict_batch", json={"records": to_records(rows)})
    single = [client.post("/predict", json=record) for record in to_records(rows.head(5))]

    assert batch.status_code == 200, batch.text
    answers = batch.json()
    # Up to float rounding: small batches' trees are walked by Treelite (array_pipeline.py).
    assert [answer[OUTPUTS[0]] for answer in answers] == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-12)
    if SCHEMA.task == "classification":
        labels = [card.positive_label if p >= card.threshold else card.negative_label for p in expected]
        assert [answer["label"] for answer in answers] == labels
    assert {answer["model_version"] for answer in answers} == {answers[0]["model_version"]}
    assert answers[0]["model_version"].startswith(f"{card.project}:")
    assert [response.json() for response in single] == answers[:5]


def test_every_scored_record_is_logged_with_its_prediction(client):
    records = to_records(valid_frame(20, seed=3, schema=SCHEMA))
    logged_before = len(read_log_lines(client.log_dir))
    client.post("/predict_batch", json={"records": records})
    answer = client.post("/predict", json=records[0]).json()

    lines = read_log_lines(client.log_dir)[logged_before:]
    assert len(lines) == 21
    inputs = SCHEMA.input_names()
    assert set(lines[0]) == {*inputs, *OUTPUTS, "timestamp", "request_id", "trace_id"}
    assert [{name: line[name] for name in inputs} for line in lines[:20]] == records
    assert [lines[-1][name] for name in OUTPUTS] == [answer[name] for name in OUTPUTS]
    schema_dir = client.log_dir / shipped_monitor() / "schema"
    schema_line = json.loads(next(schema_dir.glob("schema.*.log")).read_text())
    roles = {column["name"]: column["role"] for column in schema_line["columns"]}
    assert roles == {**dict.fromkeys(inputs, "feature"), **dict.fromkeys(OUTPUTS, "prediction")}


def _bad_records() -> dict[str, tuple[dict, str]]:
    """Each way a record can break the schema, on a field of the right kind (cases the schema
    gives no field for are left out)."""
    good = example_record()
    inputs = SCHEMA.input_columns()
    first, numbers = inputs[0], [c for c in inputs if c.numeric]
    cases = {
        "missing field": ({k: v for k, v in good.items() if k != first.name}, first.name),
        "extra field": ({**good, "undeclared_field": 12}, "undeclared_field"),
    }
    for column in numbers[:1]:
        cases["wrong type"] = ({**good, column.name: "far"}, column.name)
        cases["number as text"] = ({**good, column.name: "71.5"}, column.name)
    ranged = [c for c in numbers if c.maximum is not None]
    if ranged:
        cases["out of range"] = ({**good, ranged[0].name: ranged[0].maximum + 1}, ranged[0].name)
    for kind, case in (("categories", "unknown category"), ("pattern", "pattern")):
        found = [c for c in inputs if c.kind == "category" and getattr(c, kind) is not None]
        if found:
            cases[case] = ({**good, found[0].name: "?? not allowed"}, found[0].name)
    required = [c for c in inputs if not c.nullable]
    if required:
        cases["null where not nullable"] = ({**good, required[0].name: None}, required[0].name)
    times = [c for c in inputs if c.kind == "datetime"]
    if times:
        when = times[0].name
        cases["timestamp as number"] = ({**good, when: 1372665600}, when)
        cases["timestamp out of window"] = ({**good, when: "0001-01-01T00:00:00"}, when)
        cases["timestamp not a time"] = ({**good, when: "next tuesday"}, when)
    return cases


BAD_RECORDS = _bad_records()


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_record_is_refused_naming_the_field(client, case):
    record, field = BAD_RECORDS[case]
    single = client.post("/predict", json=record)
    batch = client.post("/predict_batch", json={"records": [example_record(), record]})
    assert single.status_code == 400, single.text
    assert field in field_errors(single)
    assert batch.status_code == 400, batch.text
    assert f"records.1.{field}" in field_errors(batch)


def test_timestamps_with_an_offset_are_read_in_utc(client):
    when = pick(SCHEMA, "datetime").name
    local = client.post("/predict", json={**example_record(), when: "2013-07-01T10:00:00+02:00"})
    utc = client.post("/predict", json={**example_record(), when: "2013-07-01T08:00:00"})
    assert local.status_code == utc.status_code == 200, local.text
    assert local.json() == utc.json()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client, literal):
    name = pick(SCHEMA, "float").name
    body = json.dumps({**example_record(), name: 123456.5}).replace("123456.5", literal, 1)
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert name in field_errors(response)


def test_malformed_bodies_get_4xx(client):
    json_header = {"content-type": "application/json"}
    assert client.post("/predict", content=b"{not json", headers=json_header).status_code == 400
    assert client.post("/predict", content=b"[]", headers=json_header).status_code == 400
    assert client.post("/predict_batch", json={"records": []}).status_code == 400
    assert client.post("/predict_batch", json=[example_record()]).status_code == 400
    assert client.post("/predict_batch", json=example_record()).status_code == 400
    for body in (b"", b"{", b"\x00\x00", b"[1,", b'{"records": [{]}'):
        assert client.post("/predict_batch", content=body, headers=json_header).status_code == 400, body
    form = client.post("/predict", data={SCHEMA.input_names()[0]: "x"})
    assert form.status_code == 415
    assert "application/json" in form.json()["error"]


def test_oversize_requests_are_refused_before_scoring(client):
    too_many = client.post("/predict_batch", json={"records": [example_record()] * (MAX_BATCH_RECORDS + 1)})
    assert too_many.status_code == 400
    assert "records" in field_errors(too_many)
    huge = client.post("/predict", content=b" " * (3 * 1024 * 1024), headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert client.post("/predict", json=example_record()).status_code == 200  # and the service goes on


def as_columns(records: list[dict]) -> dict[str, list]:
    """The columnar body's shape: each field and its values in record order (null where a record
    leaves the field out)."""
    names = dict.fromkeys(name for record in records for name in record)
    return {name: [record.get(name) for record in records] for name in names}


def test_columnar_body_answers_as_the_record_list_does(client):
    rows = valid_frame(60, seed=8, schema=SCHEMA)
    nullable = [c.name for c in SCHEMA.input_columns() if c.nullable and c.numeric]
    rows.loc[rows.index[:10], nullable] = np.nan
    records = to_records(rows)
    logged_before = len(read_log_lines(client.log_dir))

    by_records = client.post("/predict_batch", json={"records": records}).json()
    by_columns = client.post("/predict_columns", json={"columns": as_columns(records)})

    assert by_columns.status_code == 200, by_columns.text
    answer = by_columns.json()
    assert set(answer) == {*OUTPUTS, "model_version"}
    assert {name: answer[name] for name in OUTPUTS} == {name: [a[name] for a in by_records] for name in OUTPUTS}
    assert answer["model_version"] == by_records[0]["model_version"]
    lines = read_log_lines(client.log_dir)[logged_before:]
    inputs = SCHEMA.input_names()
    assert [{name: line[name] for name in inputs} for line in lines] == records * 2  # each record logged as sent


def test_a_nullable_column_left_out_of_the_columnar_body_is_missing(client):
    nullable = [c.name for c in SCHEMA.input_columns() if c.nullable]
    if not nullable:
        pytest.skip("the schema has no nullable input")
    record = {**example_record(), **dict.fromkeys(nullable)}
    columns = {name: values for name, values in as_columns([record, record]).items() if name not in nullable}
    response = client.post("/predict_columns", json={"columns": columns})
    single = client.post("/predict", json=record).json()
    assert response.status_code == 200, response.text
    assert [response.json()[OUTPUTS[0]][i] for i in (0, 1)] == [single[OUTPUTS[0]]] * 2


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_bad_columnar_input_is_refused_naming_the_field(client, case):
    record, field = BAD_RECORDS[case]
    response = client.post("/predict_columns", json={"columns": as_columns([example_record(), record])})
    assert response.status_code == 400, response.text
    assert f"columns.{field}" in {".".join(loc.split(".")[:2]) for loc in field_errors(response)}


def test_columns_of_different_lengths_are_refused_naming_the_odd_one(client):
    columns = as_columns([example_record(), example_record()])
    last = SCHEMA.input_names()[-1]
    columns[last] = columns[last][:1]
    response = client.post("/predict_columns", json={"columns": columns})
    assert response.status_code == 400
    assert repr(last) in response.text


def test_malformed_columnar_bodies_get_4xx(client):
    first = SCHEMA.input_names()[0]
    full = as_columns([example_record()] * (MAX_BATCH_RECORDS + 1))
    for body in ({"columns": {}}, {"columns": []}, {"columns": {first: []}}, {"columns": full}, {"records": []}):
        response = client.post("/predict_columns", json=body)
        assert response.status_code == 400, (body, response.text)
    assert client.post("/predict_columns", json={"columns": as_columns([example_record()])}).status_code == 200


def test_the_stored_model_carries_its_compiled_trees(client, small_model):
    """store_model packs compiled/ beside the model (compiled here: small_model has no compile
    stage output), and the service walks the trees with it."""
    import bentoml

    from gitops_ml.scoring import COMPILED_DIR, ServedModel
    from gitops_ml.service import PROJECT

    stored = bentoml.models.get(f"{PROJECT.name}:latest")
    info = json.loads(Path(stored.path_of(COMPILED_DIR), "compiled.json").read_text())
    if shutil.which("gcc") is None:
        assert info["compiled"] is False and "no C compiler" in info["reason"]
        return
    assert info["compiled"] is True
    assert compiled_trees.built_from(Path(stored.path_of(COMPILED_DIR)), small_model / "model.joblib")
    served = ServedModel.load(stored.path, str(stored.tag), SCHEMA)  # as ModelService loads it
    assert served.predict.__self__.score.__module__ == compiled_trees.__name__


def test_load_beyond_the_limit_is_shed_with_503_and_recovers():
    """LoadShedder around an app that holds every request until released: the requests beyond
    max_in_flight get a 503 with Retry-After at once, the held ones finish, and the next request
    is served again. GETs (health checks) are never shed."""
    import anyio
    import httpx

    from gitops_ml.service import LoadShedder

    release, started = anyio.Event(), []

    async def held(scope, receive, send):
        started.append(scope["path"])
        if scope["method"] == "POST":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    shedder = LoadShedder(held, max_in_flight=3)
    answers: list[httpx.Response] = []

    async def overload() -> tuple[list[httpx.Response], httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=shedder)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:

            async def post() -> None:
                answers.append(await http.post("/predict", json={}))

            async with anyio.create_task_group() as group:
                for _ in range(3):
                    group.start_soon(post)
                while shedder.in_flight < 3:
                    await anyio.sleep(0.01)
                shed = [await http.post("/predict", json={}) for _ in range(2)]
                health = await http.get("/livez")
                release.set()
            return shed, health, await http.post("/predict", json={})

    shed, health, after = anyio.run(overload)

    assert [r.status_code for r in shed] == [503, 503]
    assert shed[0].headers["retry-after"] == "1" and "overloaded" in shed[0].json()["error"]
    assert health.status_code == 200
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert after.status_code == 200 and shedder.in_flight == 0
    assert started.count("/predict") == 4  # the shed requests never reached the app


def test_single_records_score_inline_when_cheap_and_batched_otherwise(client):
    """The compiled model costs far less than INLINE_SCORING_MS a call, so a record is scored in its
    request's loop; a model that costs more goes through the batcher, with the same answer."""
    import anyio

    from gitops_ml.service import ModelService, Record

    service = ModelService.inner()  # the class @bentoml.service wrapped, loaded from the test's store
    assert service.score_inline is True
    records = [Record.model_validate(record) for record in to_records(valid_frame(5, seed=3, schema=SCHEMA))]

    async def answers() -> list:
        return [(await service.predict(record)).model_dump() for record in records]

    inline = anyio.run(answers)
    service.score_inline = False
    batched = anyio.run(answers)
    assert batched == inline and len({answer[OUTPUTS[0]] for answer in inline}) > 1


def test_a_burst_read_at_once_is_shed_beyond_the_limit_even_when_each_request_is_quick():
    """Requests a worker has read together are counted together: with an app that answers without
    ever pausing (a cheap record scored in the loop), six requests arriving at once and a limit of
    three give three answers and three 503s, not six answers one after the other."""
    import asyncio

    from gitops_ml.service import LoadShedder

    async def instant(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def burst() -> list[int]:
        shedder, statuses = LoadShedder(instant, max_in_flight=3), []

        async def one() -> None:
            async def send(message):
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            async def receive():
                return {"type": "http.request", "body": b"{}", "more_body": False}

            await shedder({"type": "http", "method": "POST", "path": "/predict", "headers": []}, receive, send)

        await asyncio.gather(*(one() for _ in range(6)))
        return statuses

    assert sorted(asyncio.run(burst())) == [200, 200, 200, 503, 503, 503]
