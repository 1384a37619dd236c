"""The request models every endpoint validates with (request_models.py), for every contract: the
documented example is a valid request on each body shape, and the batch's dict records refuse what
a record refuses, naming the record and the field."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, create_model

from gitops_ml.inference_log import output_fields
from gitops_ml.request_models import RequestModels, _matching_text, example_record
from gitops_ml.schema import Schema
from tests.support.data import ALL_CONTRACTS, contract


def batch_body(models: RequestModels) -> type[BaseModel]:
    return create_model("BatchBody", records=(models.batch, ...))


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_the_example_record_is_a_valid_request_on_every_body_shape(name):
    schema = contract(name)
    models = RequestModels.for_schema(schema)
    example = example_record(schema)
    assert set(example) == set(schema.input_names())
    record = dict(models.record(**example))  # as /predict hands it on
    batch = batch_body(models).model_validate({"records": [example, example]})
    assert models.columns(batch.records) == models.columns([record, record])  # parsed alike (times, numbers)
    models.columns_body(**{field: [value] for field, value in example.items()})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("[A-Z]{2}[0-9]", "AA0"), ("[A-Z]{3}", "ABC"), ("(foo|bar)\\.baz", "foo.baz"), ("[0-9]{4}-[0-9]{2}", "0000-00")],
)
def test_a_patterned_column_gets_an_example_its_pattern_matches_in_full(pattern, expected):
    assert _matching_text(pattern) == expected


def shipped() -> tuple[Schema, RequestModels]:
    schema = contract("shipped")
    return schema, RequestModels.for_schema(schema)


def test_a_batch_record_is_refused_where_a_record_is_naming_the_record_and_the_field():
    schema, models = shipped()
    numeric = next(column for column in schema.input_columns() if column.numeric)
    bad = {**example_record(schema), numeric.name: "12"}
    with pytest.raises(ValidationError) as single:
        models.record(**bad)
    with pytest.raises(ValidationError) as batch:
        batch_body(models).model_validate({"records": [example_record(schema), bad]})
    assert [error["loc"] for error in single.value.errors()] == [(numeric.name,)]
    assert [error["loc"] for error in batch.value.errors()] == [("records", 1, numeric.name)]


def test_a_batch_record_refuses_undeclared_fields_and_needs_every_required_one():
    schema, models = shipped()
    required = next(column for column in schema.input_columns() if not column.nullable)
    extra = {**example_record(schema), "not_in_the_schema": 1}
    missing = {field: value for field, value in example_record(schema).items() if field != required.name}
    with pytest.raises(ValidationError) as refused:
        batch_body(models).model_validate({"records": [extra, missing]})
    assert {(error["loc"], error["type"]) for error in refused.value.errors()} == {
        (("records", 0, "not_in_the_schema"), "extra_forbidden"),
        (("records", 1, required.name), "missing"),
    }


def test_a_nullable_field_left_out_of_a_batch_record_reads_as_missing():
    schema, models = shipped()
    nullable = next(column for column in schema.input_columns() if column.nullable)
    record = {field: value for field, value in example_record(schema).items() if field != nullable.name}
    batch = batch_body(models).model_validate({"records": [record]})
    assert models.columns(batch.records)[nullable.name] == [None]


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_both_answers_name_the_outputs_as_the_inference_log_does(name):
    schema = contract(name)
    models = RequestModels.for_schema(schema)
    expected = [*output_fields(schema.task), "model_version"]
    assert list(models.prediction.model_fields) == list(models.predictions.model_fields) == expected
    one = {"prediction": 12.5} if schema.task == "regression" else {"probability": 0.5, "label": schema.positive_label}
    models.prediction(**one, model_version="m:1")
    models.predictions(**{field: [value, value] for field, value in one.items()}, model_version="m:1")
    with pytest.raises(ValidationError):
        models.predictions(**{field: [value, "seven"] for field, value in one.items()}, model_version="m:1")
