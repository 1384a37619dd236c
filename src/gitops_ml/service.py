"""The prediction service: flight records in; probability, label and model version out.

Two BentoML services, as BentoML composes adaptive batching:

* ``FlightDelay`` (the API): validates requests against the schema-generated ``FlightRecord``
  (bad input -> 4xx naming the field), logs every scored record with ``bentoml.monitor`` and
  answers. Endpoints: ``POST /predict`` (one record) and ``POST /predict_batch``
  (``{"records": [...]}``, up to ``MAX_BATCH_RECORDS``: an object rather than a bare array,
  which BentoML would parse before validating and answer with a 500 when malformed), plus
  BentoML's ``/livez``, ``/readyz`` and ``/metrics``.
* ``FlightDelayModel`` holds the pipeline's model (declared as a ``BentoModel``, so
  ``bentoml build`` packs it). Its ``score`` is batchable: concurrent single-record requests
  are merged into one ``predict_proba`` call. A gradient-boosted model's cost is mostly
  per call, not per row, so this is what makes single-record traffic cheap.

``/readyz`` answers 200 only once the model is loaded (the API's readiness includes its
dependency's). Serve locally with ``make serve``; ``docs/deploy.md`` shows requests.
"""

from __future__ import annotations

from typing import Any

import bentoml
from starlette.responses import JSONResponse

from gitops_ml import inference_log
from gitops_ml.request_models import MAX_BATCH_RECORDS, FlightBatch, FlightRecord, Prediction, record_columns
from gitops_ml.scoring import MODEL_NAME, ServedModel

# A full batch is ~300 kB of JSON; anything far larger is refused before it is parsed.
MAX_BODY_BYTES = 2 * 1024 * 1024


@bentoml.service(name="flight-delay-model", workers=1, traffic={"timeout": 30})
class FlightDelayModel:
    """The model, scoring lists of validated records (adaptive batching across requests)."""

    bento_model = bentoml.models.BentoModel(f"{MODEL_NAME}:latest")

    def __init__(self) -> None:
        self.model = ServedModel.load(self.bento_model.path, str(self.bento_model.tag))

    def __is_ready__(self) -> bool:
        return self.model is not None

    @bentoml.api(batchable=True, max_batch_size=MAX_BATCH_RECORDS, max_latency_ms=10_000)
    def score(self, records: list[FlightRecord]) -> list[Prediction]:
        probabilities = self.model.probabilities(record_columns(records))
        labels = self.model.labels(probabilities)
        return [
            Prediction(probability=float(probability), label=int(label), model_version=self.model.version)
            for probability, label in zip(probabilities, labels, strict=True)
        ]


@bentoml.service(name="flight-delay", workers=1, traffic={"timeout": 30}, monitoring=inference_log.monitoring_config())
class FlightDelay:
    """Flight departure delay predictions for records shaped like schema.py's inputs."""

    model = bentoml.depends(FlightDelayModel)

    @bentoml.api(route="/predict")
    async def predict(self, record: FlightRecord, /) -> Prediction:
        """Score one scheduled departure."""
        return (await self._score([record]))[0]

    @bentoml.api(route="/predict_batch")
    async def predict_batch(self, records: FlightBatch) -> list[Prediction]:
        """Score ``{"records": [...]}``, 1 to 1000 scheduled departures; answers in the same order."""
        return await self._score(records)

    async def _score(self, records: list[Any]) -> list[Prediction]:
        predictions = await self.model.to_async.score(records)
        inference_log.log_predictions(
            record_columns(records),
            [prediction.probability for prediction in predictions],
            [prediction.label for prediction in predictions],
        )
        return predictions


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
        body, more = b"", True
        while more:  # also bounds bodies sent without a Content-Length (chunked)
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                return await self._refuse(scope, receive, send, 413, self._too_large())
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


FlightDelay.add_asgi_middleware(RequestGuard, max_body_bytes=MAX_BODY_BYTES)
