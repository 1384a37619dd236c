"""Validation rules generated from schema.py: each kind of bad data is named by column and rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml import schema
from gitops_ml.validation import find_violations
from tests.support.data import valid_frame

MIN_ROWS = 100


def violations(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(v.column, v.rule) for v in find_violations(frame, MIN_ROWS)}


def test_valid_frame_passes():
    assert find_violations(valid_frame(), MIN_ROWS) == []


def test_every_declared_column_is_checked_for_presence():
    for column in schema.COLUMNS:
        assert (column.name, "required") in violations(valid_frame().drop(columns=column.name))


def _set(frame: pd.DataFrame, column: str, value, rows=slice(0, 5)) -> pd.DataFrame:
    frame = frame.copy()
    if isinstance(value, str) and frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[frame.index[rows], column] = value
    return frame


CORRUPTIONS = {
    "wrong dtype": (lambda f: f.assign(distance=f["distance"].astype(str)), ("distance", "dtype")),
    "below range": (lambda f: _set(f, "humid", -5.0), ("humid", "in_range(0, 100)")),
    "above range": (lambda f: _set(f, "wind_speed", 1048.0), ("wind_speed", "in_range(0, 150)")),
    "too many nulls": (lambda f: _set(f, "pressure", np.nan, slice(0, 1000)), ("pressure", "max_null_fraction(0.25)")),
    "null in a non-null column": (lambda f: _set(f, "carrier", None), ("carrier", "not_nullable")),
    "unknown category": (lambda f: _set(f, "origin", "BOS"), ("origin", "isin(['EWR', 'JFK', 'LGA'])")),
    "pattern": (lambda f: _set(f, "dest", "jfk"), ("dest", r"str_matches('(?:[A-Z]{3})\Z')")),
    "unknown target value": (lambda f: _set(f, "delayed", 2), ("delayed", "isin([0, 1])")),
    "duplicate keys": (lambda f: pd.concat([f, f.head(3)], ignore_index=True), ("+".join(schema.KEY), "unique_key")),
    "leakage column": (lambda f: f.assign(dep_delay=1.0), ("dep_delay", "no_leakage")),
    "unexpected column": (lambda f: f.assign(tailnum="N1"), ("tailnum", "no_unexpected_columns")),
    "too few rows": (lambda f: f.head(10), ("(table)", f"min_rows({MIN_ROWS})")),
}


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corruption_is_named_by_column_and_rule(kind):
    corrupt, expected = CORRUPTIONS[kind]
    found = violations(corrupt(valid_frame()))
    assert expected in found, found


def test_all_violations_are_reported_at_once():
    frame = _set(_set(valid_frame(), "humid", -5.0), "origin", "BOS").drop(columns="temp")
    found = violations(frame)
    assert {("humid", "in_range(0, 100)"), ("origin", "isin(['EWR', 'JFK', 'LGA'])"), ("temp", "required")} <= found


def test_message_names_column_rule_and_examples():
    (violation,) = find_violations(_set(valid_frame(), "wind_speed", 1048.0), MIN_ROWS)
    message = str(violation)
    assert "column 'wind_speed'" in message and "in_range(0, 150)" in message
    assert "5 row(s)" in message and "1048.0" in message


def test_empty_table_fails_on_row_count():
    assert ("(table)", f"min_rows({MIN_ROWS})") in violations(valid_frame().head(0))
