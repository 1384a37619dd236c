"""The service's request and response models, generated from schema.yaml.

One record holds the fields of ``schema.input_columns()``: the same names, types, ranges,
categories, patterns and nullability that validate the training data. A request that breaks any
of them is refused with a message naming the field; NaN and infinity are refused everywhere, and
so are fields the schema does not declare. The response is ``probability`` and ``label`` for a
classification model, ``prediction`` for a regression model.

Imports only pydantic, exrex, the schema and the inference log's output names: the serving image carries
no training libraries.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired

import exrex
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    create_model,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict before Python 3.12

from gitops_ml import inference_log
from gitops_ml.schema import Column, Schema

# A 1000-row batch is ~300 kB of JSON. Larger requests are refused (HTTP 400) rather than
# letting one caller hold the model for seconds; split them client-side.
MAX_BATCH_RECORDS = 1000

# Timestamps outside this window are refused: pandas cannot represent every datetime Python can
# (year 1 would fail inside the model, not at the door).
EARLIEST, LATEST = dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)
# Documents the accepted text for clients and fuzzers (pydantic does the parsing): the window's
# years, real months, days and clock times, optional seconds and fraction, optional UTC offset.
DATETIME_PATTERN = (
    r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
)


def _text_or_datetime(value: Any) -> Any:
    # Refuse numbers before pydantic would read them as Unix timestamps (it does in lax mode,
    # and the batch endpoint validates in Python mode, where strict mode would refuse text).
    if not isinstance(value, str | dt.datetime):
        raise ValueError("expected ISO 8601 text, e.g. 2024-07-01T08:00:00 (a Z or +02:00 offset is optional)")
    return value


def _naive_utc_within_window(value: dt.datetime) -> dt.datetime:
    # The pipeline keeps times as written, and times with an offset in UTC (tables.py): the same here.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.date()} and {LATEST.date()}")
    return value


Timestamp = Annotated[
    dt.datetime,
    BeforeValidator(_text_or_datetime),
    AfterValidator(_naive_utc_within_window),
    WithJsonSchema({"type": "string", "pattern": DATETIME_PATTERN, "example": "2024-07-01T08:00:00"}),
]


def _value_type(column: Column) -> Any:
    """The pydantic type of one value of an input column (strict: "12" is not a number, 1 is not a string)."""
    constraints: dict[str, Any] = {"description": column.description or None}
    if column.categories is not None:
        annotation: Any = Literal[column.categories]  # built at run time: a value, not a static type
    elif column.kind == "datetime":
        annotation = Timestamp
    elif column.kind == "category":
        annotation = StrictStr
        if column.pattern is not None:
            constraints["pattern"] = f"^(?:{column.pattern})$"  # the schema's patterns match in full
    elif column.kind == "int":
        annotation = StrictInt
        constraints.update(ge=column.minimum, le=column.maximum)
    else:
        annotation = StrictFloat  # strict: "12" is refused, 12 is a fine float
        constraints.update(ge=column.minimum, le=column.maximum, allow_inf_nan=False)
    constraints = {key: value for key, value in constraints.items() if value is not None}
    return Annotated[annotation | None if column.nullable else annotation, Field(**constraints)]


def _field_type(column: Column) -> Any:
    """A record's field: nullable columns may be null or left out (a reading that is missing)."""
    if column.nullable:
        return Annotated[_value_type(column), Field(default=None)]
    return _value_type(column)


def _column_type(column: Column) -> Any:
    """A column of the columnar body: 1 to MAX_BATCH_RECORDS values, each checked as a record's
    field is; a nullable column may be left out (all missing)."""
    values = Annotated[list[_value_type(column)], Field(min_length=1, max_length=MAX_BATCH_RECORDS)]  # type: ignore[valid-type,misc]
    return Annotated[values | None, Field(default=None)] if column.nullable else values


# Texts tried, in order, as a patterned column's example before generating one (they read better).
PATTERN_EXAMPLES = ("ABC", "abc", "A1", "1", "a", "example")
GENERATED_EXAMPLES = 100  # texts exrex generates for a pattern before giving up


def _matching_text(pattern: str) -> str | None:
    """A text the schema's pattern matches in full: a readable one if it fits, else the first
    exrex generates from the pattern (None for a pattern it cannot expand)."""
    generated = itertools.islice(exrex.generate(pattern, limit=10), GENERATED_EXAMPLES)
    return next((text for text in itertools.chain(PATTERN_EXAMPLES, generated) if re.fullmatch(pattern, text)), None)


def _example_value(column: Column) -> Any:
    if column.categories is not None:
        return column.categories[0]
    if column.kind == "datetime":
        return "2024-07-01T08:00:00"
    if column.kind == "category":
        return "example" if column.pattern is None else _matching_text(column.pattern)
    low = column.minimum if column.minimum is not None else 0
    high = column.maximum if column.maximum is not None else low + 1
    middle = (low + high) / 2
    return int(middle) if column.kind == "int" else float(middle)


def example_record(schema: Schema) -> dict[str, Any]:
    """A valid record built from the schema (used in the OpenAPI docs)."""
    return {column.name: _example_value(column) for column in schema.input_columns()}


def record_model(schema: Schema) -> type[BaseModel]:
    return create_model(
        "Record",
        __config__=ConfigDict(
            extra="forbid",
            frozen=True,
            json_schema_extra={"example": example_record(schema)},  # OpenAPI 3.0 style, what BentoML renders
        ),
        __doc__="One record: the input fields of schema.yaml.",
        **{column.name: _field_type(column) for column in schema.input_columns()},
    )


def batch_record_type(schema: Schema) -> Any:
    """A record of the ``{"records": [...]}`` body: the fields and checks of ``record_model``,
    validated into a plain dict rather than a model instance per record (~0.65x the time for 1000
    records). A nullable field may be left out, and then reads as missing (``.get``)."""
    fields = {
        column.name: NotRequired[_value_type(column)] if column.nullable else _value_type(column)
        for column in schema.input_columns()
    }
    config = ConfigDict(extra="forbid", json_schema_extra={"example": example_record(schema)})
    return with_config(config)(TypedDict("BatchRecord", fields))  # type: ignore[operator]


def _same_lengths(columns: BaseModel) -> BaseModel:
    lengths = {name: len(values) for name, values in columns if values is not None}
    if not lengths:
        raise ValueError("give at least one column")
    if len(set(lengths.values())) > 1:
        first = next(iter(lengths))
        odd = next(name for name, length in lengths.items() if length != lengths[first])
        raise ValueError(
            f"every column must hold as many values as {first!r} ({lengths[first]}); {odd!r} holds {lengths[odd]}"
        )
    return columns


def columns_model(schema: Schema) -> type[BaseModel]:
    example: Any = {name: [value] for name, value in example_record(schema).items()}
    validators: Any = {"same_lengths": model_validator(mode="after")(_same_lengths)}
    return create_model(
        "Columns",
        __config__=ConfigDict(extra="forbid", frozen=True, json_schema_extra={"example": example}),
        __doc__="Records column by column: each input field of schema.yaml and its values, in record order.",
        __validators__=validators,
        **{column.name: _column_type(column) for column in schema.input_columns()},
    )


def _output_fields(schema: Schema, each: Callable[[Any], Any]) -> dict[str, Any]:
    """The model's outputs (named as the inference log names them) as fields; ``each`` makes a
    field's type from one value's type: the value itself for one record, a list for columns."""
    if schema.task == "regression":
        return {inference_log.PREDICTION: (each(float), Field(description=f"Predicted {schema.target}."))}
    labels: Any = Literal[(schema.positive_label, schema.negative_label)]  # built at run time, like _field_type's
    probability = Annotated[float, Field(ge=0, le=1)]
    return {
        inference_log.PROBABILITY: (
            each(probability),
            Field(description=f"Probability that {schema.target} is {schema.positive_label!r}."),
        ),
        inference_log.LABEL: (
            each(labels),
            Field(description="The positive class when the probability is at or above the model's threshold."),
        ),
    }


def _answered(schema: Schema) -> str:
    if schema.task == "regression":
        return f"the predicted {schema.target}"
    return f"how likely {schema.target} is {schema.positive_label!r}"


def prediction_model(schema: Schema) -> type[BaseModel]:
    """The answer to one record."""
    return create_model(
        "Prediction",
        __doc__=f"The model's answer for one record: {_answered(schema)}.",
        **_output_fields(schema, lambda value: value),
        model_version=(str, Field(description="The BentoML model tag that made the prediction.")),
    )


def predictions_model(schema: Schema) -> type[BaseModel]:
    """The answer to a columnar request: the outputs column by column, in record order."""
    return create_model(
        "Predictions",
        __doc__=f"The model's answers column by column, in record order: {_answered(schema)}.",
        **_output_fields(schema, lambda value: list[value]),  # type: ignore[valid-type]
        model_version=(str, Field(description="The BentoML model tag that made the predictions.")),
    )


@dataclass(frozen=True)
class RequestModels:
    """What the service's endpoints accept and answer, for one schema."""

    record: type[BaseModel]
    batch: Any  # 1..MAX_BATCH_RECORDS records, each a dict checked as ``record`` is
    columns_body: type[BaseModel]  # the same records, column by column
    prediction: type[BaseModel]
    predictions: type[BaseModel]  # the columnar body's answer
    input_names: tuple[str, ...]

    @classmethod
    def for_schema(cls, schema: Schema) -> RequestModels:
        batch = Annotated[list[batch_record_type(schema)], Field(min_length=1, max_length=MAX_BATCH_RECORDS)]  # type: ignore[misc,valid-type]
        return cls(
            record_model(schema),
            batch,
            columns_model(schema),
            prediction_model(schema),
            predictions_model(schema),
            tuple(schema.input_names()),
        )

    def columns(self, records: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """Column-wise values of validated records, as dicts (what the model and the inference log
        consume); a field left out is missing."""
        return {name: [record.get(name) for record in records] for name in self.input_names}

    def columns_of(self, body: BaseModel) -> dict[str, list[Any]]:
        """Column-wise values of a validated columnar body; a nullable column left out is all missing."""
        given = {name: values for name, values in body if values is not None}
        rows = len(next(iter(given.values())))
        return {name: given.get(name) or [None] * rows for name in self.input_names}
