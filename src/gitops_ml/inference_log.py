"""Inference logging: every scored record, its inputs and the prediction, through ``bentoml.monitor``.

The drift check reads these logs. Files and format are those of BentoML's default monitor:

    <log path>/flight_delay/data/data.<worker>.log      one JSON object per record, rotated daily
    <log path>/flight_delay/schema/schema.<worker>.log  one JSON object: the columns and their roles

A data line holds the input fields under their schema.py names (the timestamp as ISO 8601 text,
missing measurements as null), ``probability``, ``label``, and BentoML's ``timestamp`` (when the
request was logged), ``request_id`` and ``trace_id``.

``InferenceLogMonitor`` writes exactly that, but logs a batch as a batch: the default monitor
makes one logging call per record (~35 ms per 1000 rows, more than scoring them) and warns once
per value when the first call is a batch.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import logging.handlers
import os
import threading
from pathlib import Path
from typing import Any

import bentoml
from bentoml._internal.context import server_context, trace_context
from bentoml._internal.monitoring.base import MON_COLUMN_VAR, MON_DATAS_VAR, MonitorBase

from gitops_ml import schema

MONITOR_NAME = "flight_delay"
LOG_DIR_ENV = "INFERENCE_LOG_DIR"
DEFAULT_LOG_DIR = "monitoring"  # BentoML's default, relative to the server's working directory


def monitoring_config() -> dict[str, Any]:
    """The service's ``monitoring`` config. The log directory is read when the server starts
    (``$INFERENCE_LOG_DIR``, else BentoML's ``monitoring.options.log_path``), not baked into the Bento."""
    return {"enabled": True, "type": f"{__name__}.{InferenceLogMonitor.__name__}"}


def _monitor_type(column: schema.Column) -> str:
    return "numerical" if column.kind in ("float", "int") else "categorical"


def log_predictions(columns: dict[str, list[Any]], probabilities: list[float], labels: list[int]) -> None:
    """Log one request's records (column-wise) with their predictions."""
    with bentoml.monitor(MONITOR_NAME) as monitor:
        for column in schema.input_columns():
            values = columns[column.name]
            if column.kind == "datetime":
                values = [value.isoformat() for value in values]
            monitor.log_batch(values, name=column.name, role="feature", data_type=_monitor_type(column))
        monitor.log_batch(probabilities, name="probability", role="prediction", data_type="numerical")
        monitor.log_batch(labels, name="label", role="prediction", data_type="categorical")


class InferenceLogMonitor(MonitorBase[Any]):
    """BentoML's default monitor format, one write per request instead of one per record."""

    PRESERVED_COLUMNS = ("timestamp", "request_id", "trace_id")

    def __init__(self, name: str, log_path: str = DEFAULT_LOG_DIR, **options: Any) -> None:
        super().__init__(name, **options)
        self.log_path = Path(os.environ.get(LOG_DIR_ENV) or log_path).absolute()
        self._handlers: dict[str, logging.Handler] = {}
        self._lock = threading.Lock()

    def _handler(self, kind: str) -> logging.Handler:
        with self._lock:
            if kind not in self._handlers:
                worker = server_context.worker_index or 0
                path = self.log_path / self.name / kind / f"{kind}.{worker}.log"
                path.parent.mkdir(parents=True, exist_ok=True)
                handler: logging.Handler = (
                    logging.handlers.TimedRotatingFileHandler(path, when="D", encoding="utf-8")
                    if kind == "data"
                    else logging.FileHandler(path, encoding="utf-8")
                )
                handler.setFormatter(logging.Formatter("%(message)s"))
                self._handlers[kind] = handler
            return self._handlers[kind]

    def _write(self, kind: str, text: str) -> None:
        record = logging.LogRecord(self.name, logging.INFO, __file__, 0, text, None, None)
        self._handler(kind).handle(record)

    def log_batch(self, data_batch: Any, name: str, role: str, data_type: str) -> None:
        if self.columns_schema is None:
            columns = MON_COLUMN_VAR.get()
            if columns is not None:
                columns.setdefault(name, {"name": name, "role": role, "type": data_type})
        MON_DATAS_VAR.get()[name].extend(data_batch)

    def log(self, data: Any, name: str, role: str, data_type: str) -> None:
        self.log_batch((data,), name, role, data_type)

    def export_schema(self, columns_schema: dict[str, dict[str, str]]) -> None:
        meta = {"bento_name": server_context.bento_name, "bento_version": server_context.bento_version}
        self._write("schema", json.dumps({"meta_data": meta, "columns": list(columns_schema.values())}))

    def export_data(self, datas: dict[str, collections.deque[Any]]) -> None:
        names = list(datas)
        extra = {
            "timestamp": dt.datetime.now().isoformat(),
            "request_id": str(trace_context.request_id),
            "trace_id": str(trace_context.trace_id),
        }
        rows = zip(*datas.values(), strict=True)
        lines = [json.dumps({**dict(zip(names, row, strict=True)), **extra}) for row in rows]
        for column in datas.values():
            column.clear()
        if lines:
            self._write("data", "\n".join(lines))
