"""The service's inference-log writer: BentoML's default monitor format (``inference_log.py``),
one write per request instead of one per record.

BentoML's default monitor makes one logging call per record (~35 ms per 1000 rows, more than
scoring them) and warns once per value when the first call is a batch.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import logging.handlers
import threading
from typing import Any

import bentoml
from bentoml._internal.context import server_context, trace_context
from bentoml._internal.monitoring.base import MON_COLUMN_VAR, MON_DATAS_VAR, MonitorBase

from gitops_ml import inference_log
from gitops_ml.schema import Column, Schema


def monitoring_config() -> dict[str, Any]:
    """The service's ``monitoring`` config. The log directory is read when the server starts
    (``$INFERENCE_LOG_DIR``, else BentoML's ``monitoring.options.log_path``), not baked into the Bento."""
    return {"enabled": True, "type": f"{__name__}.{InferenceLogMonitor.__name__}"}


def _monitor_type(column: Column) -> str:
    return "numerical" if column.numeric else "categorical"


def log_predictions(monitor: str, schema: Schema, columns: dict[str, list[Any]], outputs: dict[str, list[Any]]) -> None:
    """Log one request's records (column-wise) with the model's outputs (inference_log.output_fields)."""
    with bentoml.monitor(monitor) as log:
        for column in schema.input_columns():
            # Times as they are: orjson writes a datetime as ISO 8601 text itself (and None as null).
            log.log_batch(columns[column.name], name=column.name, role="feature", data_type=_monitor_type(column))
        for name, values in outputs.items():
            kind = "categorical" if name == inference_log.LABEL else "numerical"
            log.log_batch(values, name=name, role="prediction", data_type=kind)


class InferenceLogMonitor(MonitorBase[Any]):
    """BentoML's default monitor format, one write per request instead of one per record."""

    PRESERVED_COLUMNS = inference_log.BOOKKEEPING

    def __init__(self, name: str, log_path: str = inference_log.DEFAULT_LOG_DIR, **options: Any) -> None:
        super().__init__(name, **options)
        self.log_path = inference_log.log_root(log_path).absolute()
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
        datas = MON_DATAS_VAR.get()
        if datas is None:  # set by start_record, which `with bentoml.monitor(...)` calls
            raise RuntimeError(f"monitor {self.name!r}: log_batch called outside `with bentoml.monitor(...)`")
        datas[name].extend(data_batch)

    def log(self, data: Any, name: str, role: str, data_type: str) -> None:
        self.log_batch((data,), name, role, data_type)

    def export_schema(self, columns_schema: dict[str, dict[str, str]]) -> None:
        meta = {"bento_name": server_context.bento_name, "bento_version": server_context.bento_version}
        self._write("schema", json.dumps({"meta_data": meta, "columns": list(columns_schema.values())}))

    def export_data(self, datas: dict[str, collections.deque[Any]]) -> None:
        extra = {
            "timestamp": dt.datetime.now().isoformat(),
            "request_id": str(trace_context.request_id),
            "trace_id": str(trace_context.trace_id),
        }
        text = inference_log.format_lines(datas, extra)
        for column in datas.values():
            column.clear()
        if text:
            self._write("data", text)
