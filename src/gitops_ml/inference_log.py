"""The inference-log format: where the service writes every scored record and how it is read back.

The files and lines are those of BentoML's default monitor (``bentoml.monitor``):

    <log dir>/<monitor>/data/data.<worker>.log      one JSON object per record, rotated daily
    <log dir>/<monitor>/schema/schema.<worker>.log  one JSON object: the columns and their roles

``<monitor>`` is the project name with underscores (params.yaml ``project.name``); ``<log dir>`` is
``$INFERENCE_LOG_DIR``, else params.yaml ``drift.logs.path``. A data line holds the input fields
under their schema.yaml names (datetimes as ISO 8601 text, missing values as null), the outputs
(``probability`` and ``label`` for classification, ``prediction`` for regression) and BentoML's
``timestamp`` (when the request was logged), ``request_id`` and ``trace_id``.

The writer (``gitops_ml.monitor``, in the service) and the reader (the drift check) both use
this module. It imports nothing heavy (orjson writes the lines).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

LOG_DIR_ENV = "INFERENCE_LOG_DIR"
DEFAULT_LOG_DIR = "monitoring"  # BentoML's default, relative to the server's working directory

PROBABILITY = "probability"  # classification: the positive class's probability
LABEL = "label"  # classification: the predicted class
PREDICTION = "prediction"  # regression: the predicted number
# What bentoml.monitor adds to every line.
BOOKKEEPING = ("timestamp", "request_id", "trace_id")


def log_root(configured: str | None = None) -> Path:
    return Path(os.environ.get(LOG_DIR_ENV) or configured or DEFAULT_LOG_DIR)


def data_dir(root: Path, monitor: str) -> Path:
    return root / monitor / "data"


def data_files(root: Path, monitor: str) -> list[Path]:
    """data.<worker>.log, and the data.<worker>.log.<date> files of the daily rotation."""
    return sorted(data_dir(root, monitor).glob("data.*.log*"))


def output_fields(task: str) -> tuple[str, ...]:
    return (PROBABILITY, LABEL) if task == "classification" else (PREDICTION,)


def format_lines(columns: Mapping[str, Sequence[Any]], extra: Mapping[str, str]) -> str:
    """One JSON line per record from column-wise values (inputs and outputs), plus ``extra``.
    orjson: ~10x json.dumps, which cost more than scoring the records (NaN is written as null).
    Each line goes into one buffer as it is made: joining a list of them held a thousand small
    buffers at once, which glibc's allocator handed back and faulted in again on every request
    (17 ms per 1000 records against 6, measured)."""
    names, ending = [*columns, *extra], tuple(extra.values())
    lines = io.BytesIO()
    for row in zip(*columns.values(), strict=True):
        lines.write(orjson.dumps(dict(zip(names, row + ending, strict=True))))
        lines.write(b"\n")
    return lines.getvalue()[:-1].decode()


def parse_lines(lines: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """The records of a log, and how many lines were unreadable (e.g. cut short by a crash)."""
    records, bad = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad += 1
    return records, bad
