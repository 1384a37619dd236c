"""Validation rules generated from schema.yaml: each kind of bad data is named by column and rule.

Every case runs on each contract (the shipped schema.yaml and the built-in ones); a case whose
rule the contract does not use (no nullable column, no pattern...) is skipped for that contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml.schema import Schema
from gitops_ml.tables import conform
from gitops_ml.validation import find_violations
from tests.support.data import ALL_CONTRACTS, contract, pick, valid_frame

MIN_ROWS = 100


@pytest.fixture(params=ALL_CONTRACTS)
def schema(request) -> Schema:
    return contract(request.param)


def violations(frame: pd.DataFrame, schema: Schema) -> set[tuple[str, str]]:
    return {(v.column, v.rule) for v in find_violations(frame, schema, MIN_ROWS)}


def _set(frame: pd.DataFrame, column: str, value, rows=slice(0, 5)) -> pd.DataFrame:
    frame = frame.copy()
    if isinstance(value, str) and frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[frame.index[rows], column] = value
    return frame


def test_valid_frame_passes(schema):
    assert find_violations(valid_frame(schema=schema), schema, MIN_ROWS) == []


def test_every_declared_column_is_checked_for_presence(schema):
    frame = valid_frame(schema=schema)
    for column in schema.columns:
        assert violations(frame.drop(columns=column.name), schema) == {(column.name, "required")}


def test_wrong_dtype(schema):
    column = pick(schema, "float")
    frame = valid_frame(schema=schema)
    assert violations(frame.assign(**{column.name: frame[column.name].astype(str)}), schema) == {(column.name, "dtype")}


def _range_rule(minimum, maximum) -> str:
    def text(value):
        return "None" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return f"in_range({text(minimum)}, {text(maximum)})"


def test_below_and_above_the_range(schema):
    column = pick(schema, "float", has_range=True)
    rule = (column.name, _range_rule(column.minimum, column.maximum))
    if column.minimum is not None:
        assert violations(_set(valid_frame(schema=schema), column.name, column.minimum - 1), schema) == {rule}
    if column.maximum is not None:
        assert violations(_set(valid_frame(schema=schema), column.name, column.maximum + 1), schema) == {rule}


def test_values_at_the_limits_pass(schema):
    column = pick(schema, "float", has_range=True)
    for limit in (column.minimum, column.maximum):
        if limit is not None:
            assert violations(_set(valid_frame(schema=schema), column.name, limit), schema) == set()


def test_null_limit_is_a_fraction_checked_at_its_boundary(schema):
    column = pick(schema, nullable=True)
    frame = valid_frame(1000, schema=schema).copy()
    frame[column.name] = frame[column.name].astype(object if column.kind == "category" else "float64")
    present = frame[column.name].dropna().iloc[0]
    frame.loc[:, column.name] = frame[column.name].where(frame[column.name].notna(), present)
    allowed = int(column.max_null_fraction * len(frame))
    missing = None if column.kind == "category" else np.nan
    at_limit = _set(frame, column.name, missing, slice(0, allowed))
    assert violations(at_limit, schema) == set()
    over = _set(frame, column.name, missing, slice(0, allowed + 1))
    assert violations(over, schema) == {(column.name, f"max_null_fraction({column.max_null_fraction})")}


def test_null_in_a_non_null_column(schema):
    column = pick(schema, "category", nullable=False)
    assert violations(_set(valid_frame(schema=schema), column.name, None), schema) == {(column.name, "not_nullable")}


def test_unknown_category(schema):
    column = pick(schema, "category", has_categories=True)
    found = violations(_set(valid_frame(schema=schema), column.name, "?? unknown"), schema)
    assert found == {(column.name, f"isin({list(column.categories)})")}


def test_pattern(schema):
    column = pick(schema, "category", has_pattern=True)
    found = violations(_set(valid_frame(schema=schema), column.name, "?? no match"), schema)
    assert found == {(column.name, rf"str_matches('(?:{column.pattern})\Z')")}


def test_unknown_target_value(schema):
    target = schema.target_column
    if target.categories is None:
        pytest.skip("a regression target has no classes")
    wrong = 99 if target.kind == "int" else "?? unknown"
    found = violations(_set(valid_frame(schema=schema), target.name, wrong), schema)
    assert found == {(target.name, f"isin({list(target.categories)})")}


def test_missing_targets_are_allowed_to_be_dropped_or_rejected(schema):
    frame = _set(valid_frame(schema=schema), schema.target, None)
    assert violations(frame, schema) == set()  # missing_target: drop (the split drops them)
    from dataclasses import replace

    assert violations(frame, replace(schema, missing_target="reject")) == {(schema.target, "not_nullable")}


def test_duplicate_keys(schema):
    if not schema.key:
        pytest.skip("the schema declares no key")
    frame = valid_frame(schema=schema)
    found = violations(pd.concat([frame, frame.head(3)], ignore_index=True), schema)
    assert found == {("+".join(schema.key), "unique_key")}


def test_leakage_column(schema):
    if not schema.leakage:
        pytest.skip("the schema lists no leakage column")
    name = schema.leakage[0]
    assert violations(valid_frame(schema=schema).assign(**{name: 1.0}), schema) == {(name, "no_leakage")}


def test_unexpected_column(schema):
    found = violations(valid_frame(schema=schema).assign(undeclared_column="x"), schema)
    assert found == {("undeclared_column", "no_unexpected_columns")}


def test_min_rows_boundary(schema):
    frame = valid_frame(MIN_ROWS + 5, schema=schema)
    assert violations(frame.head(MIN_ROWS), schema) == set()
    assert violations(frame.head(MIN_ROWS - 1), schema) == {("(table)", f"min_rows({MIN_ROWS})")}


def test_all_violations_are_reported_at_once(schema):
    column = pick(schema, "category", has_categories=True)
    dropped = next(c.name for c in schema.columns if c.name != column.name)
    frame = _set(valid_frame(schema=schema), column.name, "?? unknown").drop(columns=dropped)
    assert violations(frame, schema) == {(column.name, f"isin({list(column.categories)})"), (dropped, "required")}


def test_message_names_column_rule_and_examples(schema):
    column = pick(schema, "float", has_range=True)
    bad = (column.maximum if column.maximum is not None else column.minimum - 2) + 1
    (violation,) = find_violations(_set(valid_frame(schema=schema), column.name, bad), schema, MIN_ROWS)
    message = str(violation)
    assert f"column '{column.name}'" in message and "in_range(" in message
    assert "5 row(s)" in message and str(float(bad)) in message


def test_empty_table_fails_on_row_count_alone(schema):
    frame = conform(valid_frame(schema=schema), schema, "table").head(0)
    assert violations(frame, schema) == {("(table)", f"min_rows({MIN_ROWS})")}


def test_an_int_column_with_nulls_passes_as_whole_numbers_and_fails_on_fractions(schema):
    column = pick(schema, "int", has_categories=False)
    frame = valid_frame(schema=schema)
    as_float = frame.assign(**{column.name: frame[column.name].astype("float64")})
    assert violations(as_float, schema) == set()
    assert violations(_set(as_float, column.name, 1.5), schema) == {(column.name, "whole_numbers")}


# Exact violations, details included: each fails when a rule is dropped after another one fires
# (continue turned into break), a detail is lost, or the examples stop being capped.

from gitops_ml.validation import MAX_EXAMPLES, Violation  # noqa: E402


def test_a_table_without_any_target_value_says_so(schema):
    frame = valid_frame(schema=schema)
    frame[schema.target] = np.nan if schema.target_column.kind in ("int", "float") else None
    assert find_violations(frame, schema, MIN_ROWS) == [
        Violation(schema.target, "has_target", "no row has a target value")
    ]


def test_many_kinds_of_violation_at_once_each_with_its_detail(schema):
    floats = [c for c in schema.columns if c.kind == "float" and c.name != schema.target]
    if len(floats) < 2:
        pytest.skip("needs two float inputs")
    wrong_type, dropped = floats[0].name, floats[1].name
    frame = valid_frame(schema=schema)
    frame = frame.assign(**{wrong_type: frame[wrong_type].astype(str), "undeclared_column": "x"}).drop(columns=dropped)
    found = {(v.column, v.rule, v.detail) for v in find_violations(frame.head(MIN_ROWS - 1), schema, MIN_ROWS)}
    assert found == {
        (dropped, "required", "column is missing"),
        ("undeclared_column", "no_unexpected_columns", "not declared in schema.yaml"),
        (wrong_type, "dtype", "expected float, got object"),
        ("(table)", f"min_rows({MIN_ROWS})", "False"),
    }


def test_leakage_detail(schema):
    if not schema.leakage:
        pytest.skip("the schema lists no leakage column")
    name = schema.leakage[0]
    (violation,) = find_violations(valid_frame(schema=schema).assign(**{name: 1.0}), schema, MIN_ROWS)
    assert violation == Violation(
        name, "no_leakage", "schema.yaml lists it under leakage (known only after the fact); drop it"
    )


def test_null_share_detail(schema):
    column = pick(schema, "float", nullable=True)
    frame = valid_frame(1000, schema=schema)
    frame[column.name] = frame[column.name].astype("float64").fillna(frame[column.name].dropna().iloc[0])
    frame.loc[frame.index[: int(1000 * column.max_null_fraction) + 1], column.name] = np.nan
    (violation,) = find_violations(frame, schema, MIN_ROWS)
    share = (int(1000 * column.max_null_fraction) + 1) / 1000
    assert violation == Violation(
        column.name, f"max_null_fraction({column.max_null_fraction})", f"{share:.1%} of rows are null"
    )


@pytest.mark.parametrize("distinct", [MAX_EXAMPLES, MAX_EXAMPLES + 1])
def test_examples_are_capped_with_an_ellipsis(schema, distinct):
    column = pick(schema, "float", has_range=True)
    over = (column.maximum if column.maximum is not None else column.minimum + 1000) + 1
    frame = valid_frame(schema=schema)
    for i in range(distinct):
        frame = _set(frame, column.name, over + i, slice(i, i + 1))
    (violation,) = find_violations(frame, schema, MIN_ROWS)
    examples = ", ".join(str(float(over + i)) for i in range(MAX_EXAMPLES))
    assert violation.detail == f"{distinct} row(s), e.g. {examples}" + (", ..." if distinct > MAX_EXAMPLES else "")
