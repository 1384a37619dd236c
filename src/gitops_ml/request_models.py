"""The service's request and response models, generated from ``schema.py``.

One record is one scheduled departure with the fields of ``schema.input_columns()``: the same
names, types, ranges, categories, patterns and nullability that validate the training data. A
request that breaks any of them is refused with a message naming the field; NaN and infinity
are refused everywhere, and so are fields the schema does not declare.

Imports only pydantic and the schema: the serving image carries no training libraries.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NaiveDatetime,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    create_model,
)

from gitops_ml import schema

# A 1000-row batch is ~300 kB of JSON. Larger requests are refused (HTTP 400) rather than
# letting one caller hold the model for seconds; split them client-side.
MAX_BATCH_RECORDS = 1000

# Timestamps outside this window are refused: the model has never seen them, and pandas cannot
# represent every datetime Python can (year 1 would fail inside the model, not at the door).
EARLIEST, LATEST = dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)
# Documents the accepted text for clients and fuzzers (pydantic does the parsing): the window's
# years, real months, days and clock times, optional seconds and fraction, no UTC offset.
NAIVE_DATETIME_PATTERN = (
    r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?$"
)


def _text_or_datetime(value: Any) -> Any:
    # Refuse numbers before pydantic would read them as Unix timestamps (it does in lax mode,
    # and the batch endpoint validates in Python mode, where strict mode would refuse text).
    if not isinstance(value, str | dt.datetime):
        raise ValueError("expected local time as ISO 8601 text, e.g. 2013-07-01T08:00:00")
    return value


def _within_window(value: dt.datetime) -> dt.datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.date()} and {LATEST.date()}")
    return value


# ISO 8601 local time without a UTC offset ("2013-07-01T08:00:00"): the model reads the clock
# time at the departure airport.
LocalDatetime = Annotated[
    NaiveDatetime,
    BeforeValidator(_text_or_datetime),
    AfterValidator(_within_window),
    WithJsonSchema({"type": "string", "pattern": NAIVE_DATETIME_PATTERN, "example": "2013-07-01T08:00:00"}),
]


def _field_type(column: schema.Column) -> Any:
    """The pydantic type of one input column (strict: "12" is not a number, 1 is not a string)."""
    constraints: dict[str, Any] = {"description": column.description}
    if column.categories is not None:
        annotation: Any = Literal[column.categories]  # type: ignore[valid-type]
    elif column.kind == "datetime":
        annotation = LocalDatetime
    elif column.kind == "category":
        annotation = StrictStr
        if column.pattern is not None:
            constraints["pattern"] = f"^(?:{column.pattern})$"  # the schema's patterns match in full
    elif column.kind == "int":
        annotation = StrictInt
        constraints.update(ge=column.minimum, le=column.maximum)
    else:
        annotation = StrictFloat
        constraints.update(ge=column.minimum, le=column.maximum, allow_inf_nan=False)
    constraints = {key: value for key, value in constraints.items() if value is not None}
    if column.nullable:
        # Nullable columns may be null or left out: a station that did not report a value.
        return Annotated[annotation | None, Field(default=None, **constraints)]
    return Annotated[annotation, Field(**constraints)]


def _example_value(column: schema.Column) -> Any:
    if column.categories is not None:
        return column.categories[0]
    if column.kind == "datetime":
        return "2013-07-01T08:00:00"
    if column.pattern is not None:
        return "LAX"
    low, high = column.minimum or 0, column.maximum if column.maximum is not None else 1
    middle = (low + high) / 2
    return int(middle) if column.kind == "int" else float(middle)


def example_record() -> dict[str, Any]:
    """A valid record built from the schema (used in the OpenAPI docs)."""
    return {column.name: _example_value(column) for column in schema.input_columns()}


FlightRecord: type[BaseModel] = create_model(
    "FlightRecord",
    __config__=ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"example": example_record()},  # OpenAPI 3.0 style, what BentoML renders
    ),
    __doc__="One scheduled departure: the fields of schema.input_columns().",
    **{column.name: _field_type(column) for column in schema.input_columns()},
)

FlightBatch = Annotated[list[FlightRecord], Field(min_length=1, max_length=MAX_BATCH_RECORDS)]  # type: ignore[valid-type]


class Prediction(BaseModel):
    """The model's answer for one record."""

    probability: float = Field(description="Probability that the departure is delayed.", ge=0, le=1)
    label: Literal[0, 1] = Field(description="1 when the probability is at or above the model's decision threshold.")
    model_version: str = Field(description="The BentoML model tag that made the prediction.")


def record_columns(records: list[BaseModel]) -> dict[str, list[Any]]:
    """Column-wise values of validated records (what the model and the inference log consume)."""
    names = [column.name for column in schema.input_columns()]
    return {name: [getattr(record, name) for record in records] for name in names}
