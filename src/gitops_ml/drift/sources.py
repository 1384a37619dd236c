"""Reading the reference and the current data. Everything here is IO; failures become
``DriftInputError`` with a message naming the source, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gitops_ml import inference_log, paths
from gitops_ml.config import PREDICTION_COLUMN, DriftParams, LogsParams
from gitops_ml.drift import DriftInputError
from gitops_ml.tables import TableError
from gitops_ml.tables import read_table as read_any_table


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    description: str  # where it came from, for the reports


def read_table(location: str) -> pd.DataFrame:
    """A parquet or CSV file, local or at an fsspec URL (s3://, gs://, https://...)."""
    try:
        return read_any_table(location)
    except TableError as error:
        raise DriftInputError(str(error)) from None


def read_reference() -> Table:
    path = paths.split_file("reference")
    if not path.exists():
        raise DriftInputError(f"{path} is missing: run the pipeline first (`make run`, or `dvc pull`)")
    return Table(read_table(str(path)), f"reference part ({path})")


def log_dir(logs: LogsParams, monitor: str) -> Path:
    return inference_log.data_dir(inference_log.log_root(logs.path), monitor)


def read_logs(logs: LogsParams, monitor: str) -> Table:
    root = inference_log.log_root(logs.path)
    files = inference_log.data_files(root, monitor)
    where = inference_log.data_dir(root, monitor)
    if not files:
        raise DriftInputError(
            f"no inference logs in {where}/ (expected data.*.log from bentoml.monitor({monitor!r})); "
            "serve the model and send it traffic first (`make serve`, `make replay`)"
        )
    records, bad_lines = [], 0
    for file in files:
        try:
            lines = file.read_text().splitlines()
        except OSError as error:
            raise DriftInputError(f"{file}: unreadable ({error})") from None
        parsed, bad = inference_log.parse_lines(lines)
        records += parsed
        bad_lines += bad
    frame = pd.DataFrame.from_records(records)
    # What was served is compared as the prediction: the probability (classification) or the number.
    if inference_log.PROBABILITY in frame.columns:
        frame = frame.rename(columns={inference_log.PROBABILITY: PREDICTION_COLUMN})
    bookkeeping = (*inference_log.BOOKKEEPING, inference_log.LABEL)
    frame = frame.drop(columns=[name for name in bookkeeping if name in frame.columns])
    description = f"inference logs ({where}/, {len(files)} file(s)"
    description += f", {bad_lines} unreadable line(s) skipped)" if bad_lines else ")"
    return Table(frame, description)


def read_current(params: DriftParams, monitor: str, source: str | None = None) -> Table:
    source = source or params.source
    if source == "production":
        path = paths.split_file("production")
        if not path.exists():
            raise DriftInputError(f"{path} is missing: run the pipeline first (`make run`, or `dvc pull`)")
        return Table(read_table(str(path)), f"production part ({path})")
    if source == "logs":
        return read_logs(params.logs, monitor)
    return Table(read_table(source), source)
