"""The built Bento under a real `bentoml serve` on loopback: the reproduced pipeline's model,
packed by `make bento`'s steps, answers exactly as the pipeline does, reports its health, and
survives a schemathesis fuzz of its own OpenAPI document without a single server error."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import joblib
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from gitops_ml.deploy.smoke import broken_value, output_field
from gitops_ml.features import model_inputs
from gitops_ml.io import read_parquet
from gitops_ml.model import predict
from gitops_ml.request_models import MAX_BATCH_RECORDS
from tests.support.data import contract
from tests.support.serving import read_log_lines, to_records

SCHEMA = contract()
OUTPUT = output_field(SCHEMA)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bento")]

HELD_OUT_ROWS = 300
FUZZ_CASES_PER_RUN = 170  # x 3 operations x (valid, invalid) -> >= 1000 cases


def agreeing(expected):
    """The pipeline's answers, up to float rounding: the service walks HistGradientBoosting's trees
    with Treelite for small batches (array_pipeline.py), adding them up in its own order."""
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.fixture(scope="module")
def held_out(served_bento):
    repo = served_bento.bento.repo
    rows = read_parquet(repo / "data/split/test.parquet").sample(HELD_OUT_ROWS, random_state=0)
    model = joblib.load(repo / "models/model.joblib")
    expected = predict(model, model_inputs(rows, SCHEMA), SCHEMA.task)
    return to_records(rows), expected.tolist()


def test_bento_packs_the_model_and_serving_requirements_only(built_bento):
    bento_dir = built_bento.home / "bentos" / built_bento.tag.replace(":", "/")
    info = yaml.safe_load((bento_dir / "bento.yaml").read_text())
    [model] = [m for service in info["services"] for m in service["models"]]
    assert info["labels"]["model_version"] == model["tag"]
    assert info["labels"]["git_commit"] and info["labels"]["task"] == SCHEMA.task
    packed = {line.split("==")[0].lower() for line in (bento_dir / "env/python/requirements.txt").read_text().split()}
    assert {"bentoml", "scikit-learn", "pandas"} <= packed
    assert not packed & {"dvc", "mlflow", "pandera", "evidently", "matplotlib"}
    sources = {path.name for path in (bento_dir / "src/gitops_ml").glob("*.py")}
    assert "service.py" in sources and not sources & {"tracking.py", "gate.py", "validation.py", "report.py"}
    assert (bento_dir / "src/schema.yaml").exists() and (bento_dir / "src/params.yaml").exists()


def test_predictions_equal_the_pipeline_on_held_out_rows(served_bento, held_out):
    records, expected = held_out
    batch = httpx.post(f"{served_bento.url}/predict_batch", json={"records": records}, timeout=60)
    assert batch.status_code == 200, batch.text
    assert [answer[OUTPUT] for answer in batch.json()] == agreeing(expected)

    # Concurrent single records go through adaptive batching and must come back to their sender.
    with ThreadPoolExecutor(max_workers=16) as pool:
        singles = list(pool.map(lambda r: httpx.post(f"{served_bento.url}/predict", json=r, timeout=60), records[:64]))
    assert all(response.status_code == 200 for response in singles)
    assert [response.json()[OUTPUT] for response in singles] == agreeing(expected[:64])


def test_predictions_equal_the_pipeline_on_the_whole_test_split(served_bento):
    """Every row of the test split, sent column by column in batches of MAX_BATCH_RECORDS: the same
    numbers as the pipeline model file gives, and the same labels at the model's threshold."""
    repo = served_bento.bento.repo
    rows = read_parquet(repo / "data/split/test.parquet")
    expected = predict(joblib.load(repo / "models/model.joblib"), model_inputs(rows, SCHEMA), SCHEMA.task).tolist()
    records = to_records(rows)
    served: dict[str, list] = {}
    for start in range(0, len(records), MAX_BATCH_RECORDS):
        chunk = records[start : start + MAX_BATCH_RECORDS]
        columns = {name: [record[name] for record in chunk] for name in SCHEMA.input_names()}
        response = httpx.post(f"{served_bento.url}/predict_columns", json={"columns": columns}, timeout=60)
        assert response.status_code == 200, response.text
        for name, values in response.json().items():
            if name != "model_version":
                served.setdefault(name, []).extend(values)
    assert len(served[OUTPUT]) == len(rows)
    assert served[OUTPUT] == agreeing(expected)
    if SCHEMA.task == "classification":
        card = json.loads((repo / "models/model.json").read_text())
        cut = [card["positive_label"] if p >= card["threshold"] else card["negative_label"] for p in expected]
        assert served["label"] == cut


def test_health_readiness_and_metrics(served_bento):
    assert httpx.get(f"{served_bento.url}/livez").status_code == 200
    assert httpx.get(f"{served_bento.url}/readyz").status_code == 200
    httpx.post(f"{served_bento.url}/predict", json={SCHEMA.input_names()[0]: None})
    metrics = httpx.get(f"{served_bento.url}/metrics")
    assert metrics.status_code == 200
    assert 'endpoint="/predict"' in metrics.text
    assert 'http_response_code="400"' in metrics.text


def test_bad_request_gets_4xx_and_the_service_stays_up(served_bento, held_out):
    records, expected = held_out
    column = SCHEMA.input_columns()[0]
    bad = httpx.post(f"{served_bento.url}/predict", json={**records[0], column.name: broken_value(column)})
    assert bad.status_code == 400
    assert [column.name] in [error["loc"][:1] for error in bad.json()["detail"]]
    assert httpx.post(f"{served_bento.url}/predict", json=records[0]).json()[OUTPUT] == agreeing(expected[0])


def test_inference_log_holds_inputs_and_predictions(served_bento, held_out):
    records, _ = held_out
    answer = httpx.post(f"{served_bento.url}/predict", json=records[1]).json()
    lines = read_log_lines(served_bento.log_dir)
    inputs = SCHEMA.input_names()
    mine = [line for line in lines if {name: line[name] for name in inputs} == records[1]]
    assert mine and mine[-1][OUTPUT] == answer[OUTPUT]
    if SCHEMA.task == "classification":
        assert mine[-1]["label"] == answer["label"]


def test_schemathesis_finds_no_server_error(served_bento):
    """Cases generated by schemathesis from the service's own OpenAPI document, valid and
    invalid (missing/extra fields, wrong types, out-of-range values...), on the three scoring
    operations (one record, records, columns): every response must be below 500, over at least 1000 cases."""
    schema = schemathesis.openapi.from_url(f"{served_bento.url}/docs.json").include(path_regex="^/predict")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} == {"/predict", "/predict_batch", "/predict_columns"}
    statuses: Counter[int] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=FUZZ_CASES_PER_RUN, deadline=None, database=None, derandomize=True,
                phases=[Phase.generate], suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                response = case.call(base_url=served_bento.url, timeout=60)
                statuses[response.status_code] += 1
                assert response.status_code < 500, f"{case.method} {case.path} {case.body!r} -> {response.text}"

            fuzz()
    assert statuses.total() >= 1000, statuses
    assert not [status for status in statuses if status >= 500]
    assert statuses[200] and statuses[400]  # both valid and refused requests were exercised
