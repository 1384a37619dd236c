"""The data contract, declared once in ``schema.yaml`` and loaded here into typed objects.

Everything else is derived from it: the validation rules (``validation.py``), the model's inputs
(``features.py``), the service's request model, the columns the drift check compares and the
tests' generated data. ``make schema DATA=... TARGET=...`` drafts the file from a table
(``gitops_ml.schema_draft``); a team reviews it and never writes Python for its data.

A bad file is an error that names the entry (``schema.yaml: columns[3] (price): ...``).
Imports only pydantic and yaml: the serving image loads the contract too.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError, model_validator

SCHEMA_FILE = Path("schema.yaml")
SCHEMA_ENV = "SCHEMA_FILE"  # another contract without editing the repository (tests, experiments)

Kind = Literal["datetime", "category", "float", "int"]
# input: fed to the model and asked for by the service; target: what the model predicts;
# other: kept and validated (ids, bookkeeping), never fed to the model.
Role = Literal["input", "target", "other"]
Task = Literal["classification", "regression"]
Label = StrictBool | StrictInt | str  # bool first: YAML's true must not become 1
Number = StrictInt | StrictFloat
# What the model derives from every datetime input (features.py): <column>_<part>.
TIME_PARTS = ("month", "day_of_week", "hour")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str = ""
    role: Role = "input"
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str | int, ...] | None = None
    pattern: str | None = None  # regular expression every value must match in full
    max_null_fraction: float = 0.0  # 0 means the column may not contain nulls
    drift: bool = True  # compared by the drift check (inputs only)

    @property
    def nullable(self) -> bool:
        return self.max_null_fraction > 0

    @property
    def numeric(self) -> bool:
        return self.kind in ("float", "int")


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    target: str
    task: Task
    positive_label: str | int | None = None  # classification: the label whose probability is predicted
    timestamp: str | None = None  # when a row happened: time-window splits and time features
    key: tuple[str, ...] = ()  # unique per row; empty = no key
    leakage: tuple[str, ...] = ()  # known only after the fact: refused at validation
    missing_target: Literal["drop", "reject"] = "drop"

    def by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    def input_columns(self) -> tuple[Column, ...]:
        """What a caller must provide for one prediction (the service's request fields)."""
        return tuple(column for column in self.columns if column.role == "input")

    def input_names(self) -> list[str]:
        return [column.name for column in self.input_columns()]

    def drift_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.input_columns() if column.drift)

    def time_features(self) -> list[str]:
        return [f"{c.name}_{part}" for c in self.input_columns() if c.kind == "datetime" for part in TIME_PARTS]

    def slice_columns(self) -> list[str]:
        """What evaluate.slices may name: category inputs and the time features."""
        return [c.name for c in self.input_columns() if c.kind == "category"] + self.time_features()

    @property
    def target_column(self) -> Column:
        return self.by_name()[self.target]

    @property
    def negative_label(self) -> str | int | None:
        """The other of the two classes (classification only)."""
        if self.task != "classification" or self.target_column.categories is None:
            return None
        return next(label for label in self.target_column.categories if label != self.positive_label)


# ---- the file's shape (pydantic), turned into the dataclasses above -------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnEntry(_Strict):
    name: str = Field(min_length=1)
    kind: Kind
    role: Role = "input"
    description: str = ""
    range: Annotated[list[Number | None], Field(min_length=2, max_length=2)] | None = None
    categories: list[Label] | None = Field(None, min_length=1)
    pattern: str | None = None
    max_null_fraction: float = Field(0.0, ge=0, le=1)
    drift: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> ColumnEntry:
        if self.range is not None:
            if self.kind not in ("float", "int"):
                raise ValueError(f"range applies to float/int columns, not {self.kind}")
            low, high = self.range
            if low is not None and high is not None and low > high:
                raise ValueError(f"range [{low}, {high}] is empty")
        if self.pattern is not None and self.kind != "category":
            raise ValueError("pattern applies to category columns")
        if self.categories is not None:
            if self.kind == "category" and not all(isinstance(c, str) for c in self.categories):
                raise ValueError("categories of a category column are text: quote them ('1', 'true')")
            if self.kind == "int" and not all(isinstance(c, int) and not isinstance(c, bool) for c in self.categories):
                raise ValueError("categories of an int column are integers")
            if self.kind in ("float", "datetime"):
                raise ValueError(f"categories do not apply to {self.kind} columns")
            if len(set(self.categories)) != len(self.categories):
                raise ValueError("categories repeat a value")
        return self

    def to_column(self) -> Column:
        low, high = self.range or (None, None)
        return Column(
            name=self.name,
            kind=self.kind,
            description=self.description,
            role=self.role,
            minimum=low,
            maximum=high,
            categories=tuple(self.categories) if self.categories is not None else None,
            pattern=self.pattern,
            max_null_fraction=self.max_null_fraction,
            drift=self.drift,
        )


class SchemaFile(_Strict):
    task: Task
    target: str
    positive_label: Label | None = None
    timestamp: str | None = None
    key: list[str] = []
    leakage: list[str] = []
    missing_target: Literal["drop", "reject"] = "drop"
    columns: list[ColumnEntry] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> SchemaFile:
        names = [column.name for column in self.columns]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"columns repeat {repeated}")
        by_name = {column.name: column for column in self.columns}
        named = {"target": self.target, "timestamp": self.timestamp}
        for field_name, name in named.items():
            if name is not None and name not in by_name:
                raise ValueError(f"{field_name} {name!r} is not one of the columns")
        unknown_key = [name for name in self.key if name not in by_name]
        if unknown_key:
            raise ValueError(f"key names unknown column(s) {unknown_key}")
        declared_leaks = sorted(set(self.leakage) & set(names))
        if declared_leaks:
            raise ValueError(f"leakage column(s) {declared_leaks} are declared as columns too: remove one or the other")
        target = by_name[self.target]
        if target.role != "target":
            raise ValueError(f"column {self.target!r} is the target: give it role: target")
        others = [c.name for c in self.columns if c.role == "target" and c.name != self.target]
        if others:
            raise ValueError(f"only the target may have role: target, not {others}")
        if not any(column.role == "input" for column in self.columns):
            raise ValueError("no column has role: input: the model would have nothing to learn from")
        if self.timestamp and by_name[self.timestamp].kind != "datetime":
            raise ValueError(f"timestamp {self.timestamp!r} must be a datetime column")
        self._check_target(target)
        return self

    def _check_target(self, target: ColumnEntry) -> None:
        if self.task == "regression":
            if target.kind not in ("float", "int") or target.categories is not None:
                raise ValueError(f"a regression target is a float or int column without categories ({target.name!r})")
            if self.positive_label is not None:
                raise ValueError("positive_label applies to classification only")
            return
        if target.categories is None or len(target.categories) != 2:
            found = "none" if target.categories is None else len(target.categories)
            raise ValueError(
                f"a classification target lists its two classes under categories (found {found}); "
                "multiclass targets are not supported yet"
            )
        if self.positive_label not in target.categories:
            raise ValueError(f"positive_label {self.positive_label!r} is not one of the target's {target.categories}")

    def to_schema(self) -> Schema:
        return Schema(
            columns=tuple(entry.to_column() for entry in self.columns),
            target=self.target,
            task=self.task,
            positive_label=self.positive_label,
            timestamp=self.timestamp,
            key=tuple(self.key),
            leakage=tuple(self.leakage),
            missing_target=self.missing_target,
        )


class SchemaError(ValueError):
    """schema.yaml is unreadable or does not describe a usable contract."""


def _where(raw: Any, location: tuple) -> str:
    """``columns[3] (price).range`` rather than pydantic's ``columns.3.range``."""
    parts: list[str] = []
    node = raw
    for part in location:
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
            name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
            if name:
                parts[-1] += f" ({name})"
        else:
            parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts) or "(top level)"


def parse_schema(raw: Any, source: str = str(SCHEMA_FILE)) -> Schema:
    try:
        return SchemaFile.model_validate(raw).to_schema()
    except ValidationError as error:
        lines = [f"{source} is invalid:"]
        for problem in error.errors():
            message = "unknown key (misspelt?)" if problem["type"] == "extra_forbidden" else problem["msg"]
            lines.append(f"  {_where(raw, problem['loc'])}: {message.removeprefix('Value error, ')}")
        raise SchemaError("\n".join(lines)) from None


def schema_path() -> Path:
    return Path(os.environ.get(SCHEMA_ENV) or SCHEMA_FILE)


def read_schema(path: Path | str) -> Schema:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise SchemaError(f"cannot read {path}: {error}") from None
    return parse_schema(raw, str(path))


@functools.cache
def _cached(path: str, mtime_ns: int) -> Schema:
    return read_schema(path)


def load_schema(path: Path | str | None = None) -> Schema:
    """The contract in ``schema.yaml`` (or ``$SCHEMA_FILE``); re-read when the file changes."""
    path = Path(path) if path is not None else schema_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as error:
        raise SchemaError(f"cannot read {path}: {error.strerror}; draft one with `make schema`") from None
    return _cached(str(path.resolve()), mtime)
