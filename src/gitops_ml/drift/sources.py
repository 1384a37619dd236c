"""Reading the reference and the current data. Everything here is IO; failures become
``DriftInputError`` with a message naming the source, never a traceback."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gitops_ml import paths
from gitops_ml.config import PREDICTION_COLUMN, DriftParams, LogsParams
from gitops_ml.drift import DriftInputError

# Fields the service logs next to the inputs (bentoml.monitor adds the three preserved columns).
LOGGED_PROBABILITY = "probability"
LOGGED_LABEL = "label"
LOG_BOOKKEEPING = ("timestamp", "request_id", "trace_id", LOGGED_LABEL)


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    description: str  # where it came from, for the reports


def read_table(location: str) -> pd.DataFrame:
    """A parquet or CSV file, local or at an fsspec URL (s3://, gs://, https://...)."""
    lowered = location.lower().split("?")[0]
    try:
        if lowered.endswith((".csv", ".csv.gz", ".csv.zip")):
            return pd.read_csv(location)
        if lowered.endswith((".parquet", ".pq")) or Path(location).is_dir():
            return pd.read_parquet(location)
    except FileNotFoundError:
        raise DriftInputError(f"{location}: no such file") from None
    except ImportError as error:  # an fsspec protocol whose driver (s3fs, gcsfs...) is not installed
        raise DriftInputError(f"{location}: cannot open ({error})") from None
    except Exception as error:  # pandas/pyarrow/fsspec raise many types for a bad file; all mean "unreadable"
        raise DriftInputError(f"{location}: unreadable ({type(error).__name__}: {error})") from None
    raise DriftInputError(f"{location}: unknown format (expected a .parquet or .csv file, or a parquet directory)")


def read_reference() -> Table:
    path = paths.split_file("reference")
    if not path.exists():
        raise DriftInputError(f"{path} is missing: run the pipeline first (`make run`, or `dvc pull`)")
    return Table(read_table(str(path)), f"reference window ({path})")


# The service reads its log directory from this variable too (gitops_ml.inference_log): when it
# is set, the check looks where the service writes.
LOG_DIR_ENV = "INFERENCE_LOG_DIR"


def log_dir(logs: LogsParams) -> Path:
    return Path(os.environ.get(LOG_DIR_ENV) or logs.path) / logs.monitor / "data"


def log_files(logs: LogsParams) -> list[Path]:
    """bentoml.monitor's default writer: <log_path>/<monitor name>/data/data.<worker>.log, rotated
    daily into data.<worker>.log.<date> files."""
    return sorted(log_dir(logs).glob("data.*.log*"))


def read_logs(logs: LogsParams) -> Table:
    files = log_files(logs)
    where = log_dir(logs)
    if not files:
        raise DriftInputError(
            f"no inference logs in {where}/ (expected data.*.log from bentoml.monitor({logs.monitor!r})); "
            "serve the model and send it traffic first (`make serve`, `make replay`)"
        )
    records, bad_lines = [], 0
    for file in files:
        try:
            lines = file.read_text().splitlines()
        except OSError as error:
            raise DriftInputError(f"{file}: unreadable ({error})") from None
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad_lines += 1  # e.g. a line cut short by a crash; the rest of the log is still good
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                bad_lines += 1
    frame = pd.DataFrame.from_records(records)
    if LOGGED_PROBABILITY in frame.columns:
        frame = frame.rename(columns={LOGGED_PROBABILITY: PREDICTION_COLUMN})
    frame = frame.drop(columns=[name for name in LOG_BOOKKEEPING if name in frame.columns])
    description = f"inference logs ({where}/, {len(files)} file(s)"
    description += f", {bad_lines} unreadable line(s) skipped)" if bad_lines else ")"
    return Table(frame, description)


def read_current(params: DriftParams, source: str | None = None) -> Table:
    source = source or params.source
    if source == "production":
        path = paths.split_file("production")
        if not path.exists():
            raise DriftInputError(f"{path} is missing: run the pipeline first (`make run`, or `dvc pull`)")
        return Table(read_table(str(path)), f"production window ({path})")
    if source == "logs":
        return read_logs(params.logs)
    return Table(read_table(source), source)
