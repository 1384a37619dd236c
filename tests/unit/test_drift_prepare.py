"""Robustness of the drift input: every bad case is a named error or a handled, noted case.

Runs on every test contract; columns are picked by kind among those the drift check compares.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gitops_ml.config import ConfigError, DriftParams, parse_params
from gitops_ml.drift import DriftInputError
from gitops_ml.drift.prepare import conform, sample, unseen_categories
from gitops_ml.schema import Column, Schema
from tests.support.data import ALL_CONTRACTS, contract, pick, valid_frame


def compared(schema: Schema, kind: str | None = None, **wanted: object) -> Column:
    """``pick`` among the inputs the drift check compares (``drift: false`` inputs are left out)."""
    kept = tuple(column for column in schema.columns if column.role != "input" or column.drift)
    return pick(dataclasses.replace(schema, columns=kept), kind, **wanted)


@pytest.fixture(params=ALL_CONTRACTS)
def schema(request) -> Schema:
    return contract(request.param)


@pytest.fixture
def frame(schema) -> pd.DataFrame:
    return valid_frame(300, schema=schema)


def test_a_valid_table_keeps_the_drift_columns_with_schema_types(frame, schema):
    prepared = conform(frame, "current", schema)
    assert list(prepared.frame.columns) == [column.name for column in schema.drift_columns()]
    assert prepared.notes == [] and prepared.all_null == []
    for column in schema.drift_columns():
        values = prepared.frame[column.name]
        if column.numeric:
            assert values.dtype == float, column.name
        else:
            assert all(isinstance(value, str) for value in values.dropna()), column.name


def test_missing_column_is_named(frame, schema):
    dropped = [compared(schema, "category").name, compared(schema, "float").name]
    in_schema_order = [column.name for column in schema.drift_columns() if column.name in dropped]
    with pytest.raises(DriftInputError, match=rf"current data lacks the column\(s\) {', '.join(in_schema_order)} "):
        conform(frame.drop(columns=dropped), "current", schema)


def test_extra_column_is_ignored_and_noted(frame, schema):
    prepared = conform(frame.assign(surprise=1), "current", schema)
    assert "surprise" not in prepared.frame.columns
    assert prepared.notes == ["current: ignored column(s) not in the schema: surprise"]


def test_columns_of_the_schema_that_are_not_compared_are_not_extra(frame, schema):
    """The target and role: other columns travel with the data without a note."""
    assert schema.target in frame.columns
    assert conform(frame, "current", schema).notes == []


def test_empty_table_is_an_error(frame, schema):
    with pytest.raises(DriftInputError, match="reference data has no rows"):
        conform(frame.iloc[:0], "reference", schema)


@pytest.mark.parametrize("kind", ["float", "category"])
def test_all_null_column_is_flagged(frame, schema, kind):
    name = compared(schema, kind).name
    prepared = conform(frame.assign(**{name: None}), "current", schema)
    assert prepared.all_null == [name]
    assert any(f"{name} has no values at all" in note for note in prepared.notes)


def test_numbers_sent_as_strings_are_read_as_numbers(frame, schema):
    name = compared(schema, "float").name
    prepared = conform(frame.assign(**{name: frame[name].astype(str)}), "current", schema)
    assert prepared.frame[name].dtype == float
    np.testing.assert_allclose(prepared.frame[name], frame[name])


def test_wrong_dtype_is_named_with_examples(frame, schema):
    name = compared(schema, "float").name
    bad = frame.assign(**{name: frame[name].astype(object)})
    bad.loc[:4, name] = "warm"
    with pytest.raises(DriftInputError, match=rf"current column '{name}': expected numbers, got 5 value\(s\).*'warm'"):
        conform(bad, "current", schema)


def test_booleans_are_not_numbers(frame, schema):
    name = compared(schema, "float").name
    with pytest.raises(DriftInputError, match=rf"'{name}': expected numbers, got booleans"):
        conform(frame.assign(**{name: True}), "current", schema)


def test_infinity_is_missing_and_noted(frame, schema):
    name = compared(schema, "float").name
    bad = frame.copy()
    bad.loc[0, name] = np.inf
    prepared = conform(bad, "current", schema)
    assert np.isnan(prepared.frame.loc[0, name])
    assert any(f"{name} has infinite values" in note for note in prepared.notes)


def test_categories_logged_as_numbers_compare_as_strings(frame, schema):
    name = compared(schema, "category").name
    prepared = conform(frame.assign(**{name: 7}), "current", schema)
    assert set(prepared.frame[name]) == {"7"}


def test_unseen_categories_are_noted(frame, schema):
    name = compared(schema, "category", has_categories=True, nullable=False).name
    reference = conform(frame, "reference", schema).frame
    changed = frame.assign(**{name: ["never-seen"] * 30 + list(frame[name][30:])})
    current = conform(changed, "current", schema).frame
    notes = unseen_categories(reference, current, schema.drift_columns())
    assert len(notes) == 1 and f"{name} has 1 value(s) never seen" in notes[0] and "'never-seen'" in notes[0]
    assert "10.0% of rows" in notes[0]


def test_the_same_categories_are_not_noted(frame, schema):
    reference = conform(frame, "reference", schema).frame
    current = conform(frame.sample(frac=1, random_state=1), "current", schema).frame
    assert unseen_categories(reference, current, schema.drift_columns()) == []


def test_sample_is_seeded_and_bounded(frame):
    assert sample(frame, 1000, 1) is frame
    first, again = sample(frame, 100, seed=3), sample(frame, 100, seed=3)
    assert len(first) == 100 and first.index.equals(again.index)
    assert not sample(frame, 100, seed=4).index.equals(first.index)


def test_drift_params_refuse_bad_bounds_metrics_and_keys():
    raw = {"data": {"source": "table.parquet"}, "split": {"by": "random"}, "gate": {"metrics": {}}}
    assert parse_params(raw).drift == DriftParams()
    with pytest.raises(ConfigError, match=r"drift: .*min_rows \(9000\) must not exceed max_rows"):
        parse_params({**raw, "drift": {"min_rows": 9000, "max_rows": 5000}})
    with pytest.raises(ConfigError, match=r"drift\.performance: .*unknown metric 'auc'"):
        parse_params({**raw, "drift": {"performance": {"metric": "auc"}}})
    with pytest.raises(ConfigError, match=r"drift\.sorce: unknown key"):
        parse_params({**raw, "drift": {"sorce": "logs"}})


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_drift_params_must_fit_the_schema(name):
    """Per-column overrides name compared columns; the performance metric is one of the task's."""
    schema = contract(name)
    raw = {"data": {"source": "table.parquet"}, "split": {"by": "random"}, "gate": {"metrics": {}}}
    column = schema.drift_columns()[0].name
    parse_params({**raw, "drift": {"columns": {column: {"method": "ks"}, "prediction": {"method": "psi"}}}})
    parse_params(raw).check_against(schema)
    with pytest.raises(ConfigError, match=r"drift\.columns: unknown column\(s\) \['not_a_column'\]"):
        parse_params({**raw, "drift": {"columns": {"not_a_column": {"method": "ks"}}}}).check_against(schema)
    other_task = "rmse" if schema.task == "classification" else "roc_auc"
    with pytest.raises(ConfigError, match=rf"drift\.performance\.metric: '{other_task}' is not a {schema.task}"):
        parse_params({**raw, "drift": {"performance": {"metric": other_task}}}).check_against(schema)
