"""Reading a table (CSV or parquet, local path or fsspec URL) and giving it the schema's types.

Used by ingest (the training data) and the drift check (current data). Every failure is a
``TableError`` naming the file and the problem in one line, never a traceback.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gitops_ml.examples import PREFIX as EXAMPLE_PREFIX
from gitops_ml.schema import Column, Schema

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")


class TableError(ValueError):
    """A table that cannot be read, or lacks what the schema declares."""


def table_format(location: str, declared: str | None = None) -> str:
    if declared:
        return declared
    name = location.lower().split("?")[0].rstrip("/")
    for compression in COMPRESSIONS:
        name = name.removesuffix(compression)
    suffix = Path(name).suffix
    if suffix in FORMATS:
        return FORMATS[suffix]
    if "://" not in location and Path(location).is_dir():
        return "parquet"  # a partitioned parquet dataset
    raise TableError(
        f"{location}: cannot tell the format from the name (expected .csv or .parquet); set data.format in params.yaml"
    )


def _example(name: str, options: dict[str, Any]) -> pd.DataFrame:
    where = f"{EXAMPLE_PREFIX}{name}"
    try:
        module = importlib.import_module(f"gitops_ml.examples.{name}")
    except ModuleNotFoundError:
        raise TableError(f"{where}: no such bundled example (src/gitops_ml/examples/)") from None
    try:
        return module.load(**options)
    except TypeError as error:  # an option the loader does not take
        raise TableError(f"{where}: data.options do not fit its loader ({error})") from None
    except Exception as error:  # its files are missing or broken: one line, as for any source
        message = str(error).splitlines()[0] if str(error) else ""
        raise TableError(f"{where}: cannot load ({type(error).__name__}: {message})") from None


def read_table(
    location: str, declared_format: str | None = None, options: dict[str, Any] | None = None
) -> pd.DataFrame:
    """The whole table at ``location``; ``example:<name>`` loads a bundled example."""
    if location.startswith(EXAMPLE_PREFIX):
        return _example(location.removeprefix(EXAMPLE_PREFIX), options or {})
    kind = table_format(location, declared_format)
    try:
        if kind == "csv":
            separator = "\t" if ".tsv" in location.lower() else ","
            return pd.read_csv(location, sep=separator, low_memory=False)
        return pd.read_parquet(location)
    except FileNotFoundError:
        raise TableError(f"{location}: no such file") from None
    except ImportError as error:  # an fsspec protocol whose driver (s3fs, gcsfs...) is not installed
        raise TableError(f"{location}: cannot open ({error})") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{location}: the file is empty") from None
    except (UnicodeDecodeError, zipfile.BadZipFile) as error:
        raise TableError(f"{location}: not a readable {kind} file ({type(error).__name__}: {error})") from None
    except Exception as error:  # pandas/pyarrow/fsspec raise many types for a bad file; all mean "unreadable"
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TableError(f"{location}: not a readable {kind} file ({message})") from None


def require_columns(frame: pd.DataFrame, names: list[str], where: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        shown = ", ".join(map(str, list(frame.columns)[:20])) + (", ..." if len(frame.columns) > 20 else "")
        raise TableError(f"{where}: lacks the column(s) {', '.join(missing)} declared in schema.yaml; it has: {shown}")


def _datetimes(values: pd.Series) -> pd.Series:
    """ISO 8601 text (with Z or an offset: converted to UTC, then naive), dates, or datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.astype("datetime64[ns]")
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return values  # numbers are not times: validation names the column
    for how in ("ISO8601", "mixed"):
        try:
            parsed = pd.to_datetime(values, format=how, utc=True)
        except (ValueError, TypeError, OverflowError):
            continue
        return parsed.dt.tz_localize(None).astype("datetime64[ns]")
    return values


def _text(values: pd.Series) -> pd.Series:
    """Categories are text; codes stored as numbers (1.0 after a null) read as '1'."""
    if pd.api.types.is_object_dtype(values) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.where(values.notna(), None)  # already text (the common case): no per-value work
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if len(present) and np.array_equal(present, present.round()):
            values = values.astype("Int64")
    text = values.astype(object).where(values.notna(), None)
    return text.map(lambda value: value if value is None else str(value)).astype(object)


def _numbers(values: pd.Series, kind: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values  # validation names the column: booleans are categories here
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().sum() > values.isna().sum():
        return values  # text that is not a number: validation names the column and examples
    numbers = numbers.astype("float64")
    if kind == "int" and not numbers.isna().any() and np.array_equal(numbers, numbers.round()):
        return numbers.astype("int64")
    return numbers  # an int column with nulls stays float (validation checks the values are whole)


def conform_column(values: pd.Series, column: Column) -> pd.Series:
    if column.kind == "datetime":
        return _datetimes(values)
    if column.kind == "category":
        return _text(values)
    return _numbers(values, column.kind)


def conform(frame: pd.DataFrame, schema: Schema, where: str) -> pd.DataFrame:
    """The schema's columns (and any leakage columns present, so validation can name them) with
    the schema's types where the values allow; values that do not fit are left for validation."""
    if frame.empty:
        raise TableError(f"{where}: has no rows")
    require_columns(frame, [column.name for column in schema.columns], where)
    data = {column.name: conform_column(frame[column.name], column) for column in schema.columns}
    data.update({name: frame[name] for name in schema.leakage if name in frame.columns})
    return pd.DataFrame(data)
