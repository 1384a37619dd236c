"""The prediction service: records in; prediction (or probability and label) and model version out.

``ModelService`` is built from the project's two files, read when the service is imported (from
the repository, or from the Bento, which packs them): schema.yaml gives the request model (bad
input -> 4xx naming the field) and the response; params.yaml ``project.name`` names the service,
the model it declares (a ``BentoModel``, so ``bentoml build`` packs it) and the inference-log
monitor. It scores records with the pipeline's model compiled to numpy (``scoring``), logs every
scored record with ``bentoml.monitor`` and answers. Endpoints: ``POST /predict`` (one record),
``POST /predict_batch`` (``{"records": [...]}``, up to ``MAX_BATCH_RECORDS``: an object rather than
a bare array, which BentoML would parse before validating and answer with a 500 when malformed) and
``POST /predict_columns`` (the same records column by column, ``{"columns": {"field": [...], ...}}``,
answered column by column: the cheapest shape to parse, validate, score and answer), plus
BentoML's ``/livez``, ``/readyz`` (200 once the model is loaded) and ``/metrics``. Batch answers
are serialised with orjson rather than one pydantic model per record.

Single records: a model whose call costs less than ``INLINE_SCORING_MS`` (compiled trees, the
linear model; measured at start-up on a record with every input missing) scores each record in its
request's event loop. A slower one has concurrent single-record requests merged into one model
call by BentoML's own batching engine (``CorkDispatcher``, what ``@bentoml.api(batchable=True)``
runs on), in the worker that received them: a tree model walked in Python costs mostly per call,
not per row, so merging is what makes its single-record traffic cheap. BentoML's public route to the same
engine, a batchable API on a second service, costs an HTTP hop per request and, under load
(concurrency 8), failed requests with connection resets between the two services
(docs/benchmarks.md, "Serving").
"""

from __future__ import annotations

import asyncio
import gc
import statistics
from collections.abc import Sequence
from typing import Any

import anyio
import bentoml
import orjson
from bentoml._internal.marshal.dispatcher import CorkDispatcher
from bentoml.exceptions import ServiceUnavailable
from starlette.responses import JSONResponse, Response

from gitops_ml import inference_log, monitor
from gitops_ml.config import load_params
from gitops_ml.request_models import MAX_BATCH_RECORDS, RequestModels
from gitops_ml.schema import load_schema
from gitops_ml.scoring import ServedModel, call_seconds

# A full batch is ~300 kB of JSON; anything far larger is refused before it is parsed.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH_LATENCY_MS = 10_000  # beyond this the batcher sheds load (503) rather than queue forever
# A single record is scored in its request's event loop when one call costs less than this (the
# compiled trees: ~0.1 ms), since handing it to the batcher and a worker thread costs more than the
# call. Slower models (a random forest walked by scikit-learn, a pipeline scored as fitted: several
# ms a call) are batched, which is what makes their single-record traffic cheap.
INLINE_SCORING_MS = 1.0
# Scoring requests one worker serves at once; more get a 503 at once (LoadShedder). A closed loop of
# 32 clients is never shed, 128 are in part (docs/benchmarks.md, "Serving").
MAX_IN_FLIGHT = 32
RETRY_AFTER = {"Retry-After": "1"}  # seconds

PROJECT = load_params().project
SCHEMA = load_schema()
MODELS = RequestModels.for_schema(SCHEMA)
Record, Batch, Prediction = MODELS.record, MODELS.batch, MODELS.prediction
Columns, Predictions = MODELS.columns_body, MODELS.predictions


def _overloaded() -> Any:
    raise ServiceUnavailable("overloaded: too many requests queued; retry later")


@bentoml.service(
    name=PROJECT.name, workers="cpu_count", traffic={"timeout": 30}, monitoring=monitor.monitoring_config()
)
class ModelService:
    """Predictions for records shaped like schema.yaml's inputs."""

    bento_model = bentoml.models.BentoModel(f"{PROJECT.name}:latest")

    def __init__(self) -> None:
        self.model = ServedModel.load(self.bento_model.path, str(self.bento_model.tag), SCHEMA)
        batcher: CorkDispatcher[list[Any], dict[str, list[Any]]] = CorkDispatcher(
            max_latency_in_ms=MAX_BATCH_LATENCY_MS,
            max_batch_size=MAX_BATCH_RECORDS,
            fallback=_overloaded,
            get_batch_size=len,
        )
        self._score_merged = batcher(self._score_lists)
        self.score_inline = _single_call_ms(self._score_columns) < INLINE_SCORING_MS
        # What is loaded by now (libraries, the model) lives as long as the worker: frozen out of the
        # garbage collector's reach, so its full collections stop walking it every few hundred
        # requests (server CPU per request 0.9x, docs/benchmarks.md).
        gc.collect()
        gc.freeze()

    def __is_ready__(self) -> bool:
        return self.model is not None

    @bentoml.api(route="/predict")
    async def predict(self, record: Record, /) -> Prediction:  # type: ignore[valid-type]
        """Score one record."""
        records: list[dict[str, Any]] = [dict(record)]  # as the batch body's records are
        columns = MODELS.columns(records)
        if self.score_inline:
            outputs = self._score_columns(columns)
        else:
            merged = await self._score_merged(records)  # this request's share of a merged call
            if merged is None:  # the batcher's fallback answer; typed optional, but _overloaded raises instead
                return _overloaded()
            outputs = merged
        _log(columns, outputs)
        return Prediction(**self._answers(outputs)[0])

    @bentoml.api(route="/predict_batch")
    async def predict_batch(self, records: Batch) -> list[Prediction]:  # type: ignore[valid-type]
        """Score ``{"records": [...]}``, 1 to 1000 records; answers in the same order."""
        columns = MODELS.columns(records)
        outputs = await anyio.to_thread.run_sync(self._score_columns, columns)
        _log(columns, outputs)
        # The list[Prediction] the signature documents (and OpenAPI shows), without a model per record.
        return _json(self._answers(outputs))  # type: ignore[return-value]

    @bentoml.api(route="/predict_columns")
    async def predict_columns(self, columns: Columns) -> Predictions:  # type: ignore[valid-type]
        """Score ``{"columns": {"field": [...], ...}}``: up to 1000 records column by column, every
        column as long (a nullable column may be left out); answers column by column, in order."""
        values = MODELS.columns_of(columns)
        outputs = await anyio.to_thread.run_sync(self._score_columns, values)
        _log(values, outputs)
        return _json({**outputs, "model_version": self.model.version})

    async def _score_lists(self, lists: Sequence[list[Any]]) -> list[dict[str, list[Any]]]:
        """The batcher's callback: score the merged requests in one call, answer each its share."""
        merged = [record for records in lists for record in records]
        outputs = await anyio.to_thread.run_sync(self._score, merged)
        answers, start = [], 0
        for records in lists:
            end = start + len(records)
            answers.append({name: values[start:end] for name, values in outputs.items()})
            start = end
        return answers

    def _score(self, records: list[dict[str, Any]]) -> dict[str, list[Any]]:
        return self._score_columns(MODELS.columns(records))

    def _score_columns(self, columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Column-wise outputs, named as the inference log names them."""
        predicted = self.model.predict(columns)
        if SCHEMA.task == "regression":
            return {inference_log.PREDICTION: predicted.tolist()}
        return {inference_log.PROBABILITY: predicted.tolist(), inference_log.LABEL: self.model.labels(predicted)}

    def _answers(self, outputs: dict[str, list[Any]]) -> list[dict[str, Any]]:
        """One answer per record (its outputs and the model version), each built as one dict."""
        keys = (*outputs, "model_version")
        versions = [self.model.version] * len(next(iter(outputs.values())))
        return [dict(zip(keys, row, strict=True)) for row in zip(*outputs.values(), versions, strict=True)]


def _single_call_ms(score_columns: Any, calls: int = 20) -> float:
    """Median cost of scoring one record, after a first call (warm-up). The record has every input
    missing: valid input for the model whatever the schema requires of a request, and it goes
    through every step and tree as any record does."""
    record = {name: [None] for name in SCHEMA.input_names()}
    score_columns(record)
    return statistics.median(call_seconds(lambda: score_columns(record), calls)) * 1000


def _log(columns: dict[str, list[Any]], outputs: dict[str, list[Any]]) -> None:
    monitor.log_predictions(PROJECT.identifier, SCHEMA, columns, outputs)


def _json(content: Any) -> Response:
    return Response(orjson.dumps(content), media_type="application/json")


class RequestGuard:
    """Refuse what BentoML would not answer with a clear 4xx: bodies over ``max_body_bytes``
    (413, checked before parsing) and non-JSON content types (415; BentoML would otherwise try
    to parse form data into the record)."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            message = "send the body as JSON (Content-Type: application/json)"
            return await self._refuse(scope, receive, send, 415, message)
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_body_bytes:
            return await self._refuse(scope, receive, send, 413, self._too_large())
        chunks, size, more = [], 0, True
        while more:  # also bounds bodies sent without a Content-Length (chunked)
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_body_bytes:
                return await self._refuse(scope, receive, send, 413, self._too_large())
        body = b"".join(chunks)  # joined once: adding each chunk would copy the body so far every time
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"request body over {self.max_body_bytes} bytes; send at most {MAX_BATCH_RECORDS} records per request"

    @staticmethod
    async def _refuse(scope: dict, receive: Any, send: Any, status: int, message: str) -> None:
        await JSONResponse({"error": message}, status_code=status)(scope, receive, send)


class LoadShedder:
    """Answer 503 (with ``Retry-After``) to a scoring request that finds ``max_in_flight`` others
    already read and not yet answered by this worker, instead of queueing it behind them.

    BentoML's own ``traffic.max_concurrency`` answers 429, which tells a client that *it* sent too
    much; an overloaded server is a 503, which load balancers and retrying clients treat as such.
    Health and metrics routes (GET) are never shed."""

    def __init__(self, app: Any, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0  # one event loop per worker: no lock needed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        place = self.in_flight  # requests ahead of this one in this worker
        self.in_flight += 1
        try:
            # A cheap record is served without a pause (scored in the loop), so without this
            # yield each request would finish before the next one is counted, and a backlog of
            # requests the worker has read would never show. Yielding once lets every request
            # already read take its place first.
            await asyncio.sleep(0)
            if place >= self.max_in_flight:
                shed = JSONResponse({"error": "overloaded: retry later"}, status_code=503, headers=RETRY_AFTER)
                return await shed(scope, receive, send)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


# @bentoml.service made ModelService a bentoml Service (which has add_asgi_middleware); mypy ignores what a
# class decorator returns and still sees the plain class.
ModelService.add_asgi_middleware(LoadShedder, max_in_flight=MAX_IN_FLIGHT)  # type: ignore[attr-defined]
ModelService.add_asgi_middleware(RequestGuard, max_body_bytes=MAX_BODY_BYTES)  # type: ignore[attr-defined]
