"""Robustness of the drift input: every bad case is a named error or a handled, noted case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gitops_ml import schema
from gitops_ml.config import ConfigError, DriftParams, parse_params
from gitops_ml.drift import DriftInputError
from gitops_ml.drift.prepare import conform, sample, unseen_categories
from tests.support.data import valid_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return valid_frame(300)


def test_a_valid_table_keeps_the_drift_columns_with_schema_types(frame):
    prepared = conform(frame, "current")
    assert list(prepared.frame.columns) == [column.name for column in schema.drift_columns()]
    assert prepared.notes == [] and prepared.all_null == []
    assert prepared.frame["temp"].dtype == float


def test_missing_column_is_named(frame):
    with pytest.raises(DriftInputError, match=r"current data lacks the column\(s\) origin, temp"):
        conform(frame.drop(columns=["temp", "origin"]), "current")


def test_extra_column_is_ignored_and_noted(frame):
    prepared = conform(frame.assign(surprise=1), "current")
    assert "surprise" not in prepared.frame.columns
    assert prepared.notes == ["current: ignored column(s) not in the schema: surprise"]


def test_empty_table_is_an_error(frame):
    with pytest.raises(DriftInputError, match="reference data has no rows"):
        conform(frame.iloc[:0], "reference")


def test_all_null_column_is_flagged(frame):
    prepared = conform(frame.assign(humid=None), "current")
    assert prepared.all_null == ["humid"]
    assert any("humid has no values at all" in note for note in prepared.notes)


def test_numbers_sent_as_strings_are_read_as_numbers(frame):
    prepared = conform(frame.assign(temp=frame["temp"].astype(str)), "current")
    assert prepared.frame["temp"].dtype == float
    np.testing.assert_allclose(prepared.frame["temp"], frame["temp"])


def test_wrong_dtype_is_named_with_examples(frame):
    bad = frame.assign(temp=frame["temp"].astype(object))
    bad.loc[:4, "temp"] = "warm"
    with pytest.raises(DriftInputError, match=r"current column 'temp': expected numbers, got 5 value\(s\).*'warm'"):
        conform(bad, "current")


def test_booleans_are_not_numbers(frame):
    with pytest.raises(DriftInputError, match="'precip': expected numbers, got booleans"):
        conform(frame.assign(precip=True), "current")


def test_infinity_is_missing_and_noted(frame):
    bad = frame.copy()
    bad.loc[0, "visib"] = np.inf
    prepared = conform(bad, "current")
    assert np.isnan(prepared.frame.loc[0, "visib"])
    assert any("visib has infinite values" in note for note in prepared.notes)


def test_categories_logged_as_numbers_compare_as_strings(frame):
    prepared = conform(frame.assign(carrier=7), "current")
    assert set(prepared.frame["carrier"]) == {"7"}


def test_unseen_categories_are_noted(frame):
    reference = conform(frame, "reference").frame
    current = conform(frame.assign(carrier=["ZZ"] * 30 + list(frame["carrier"][30:])), "current").frame
    notes = unseen_categories(reference, current, schema.drift_columns())
    assert len(notes) == 1 and "carrier has 1 value(s) never seen" in notes[0] and "'ZZ'" in notes[0]
    assert "10.0% of rows" in notes[0]


def test_sample_is_seeded_and_bounded(frame):
    assert sample(frame, 1000, 1) is frame
    first, again = sample(frame, 100, seed=3), sample(frame, 100, seed=3)
    assert len(first) == 100 and first.index.equals(again.index)
    assert not sample(frame, 100, seed=4).index.equals(first.index)


def test_drift_params_refuse_unknown_columns_and_bad_bounds():
    raw = {"split": {n: {"start": "2013-01-01", "end": "2013-02-01"} for n in ("train", "reference", "production")}}
    raw["split"]["test"] = {"start": "2013-02-01", "end": "2013-03-01"}
    raw["gate"] = {"metrics": {}}
    assert parse_params(raw).drift == DriftParams()
    with pytest.raises(ConfigError, match=r"drift: .*unknown column\(s\) \['tempp'\]"):
        parse_params({**raw, "drift": {"columns": {"tempp": {"method": "ks"}}}})
    with pytest.raises(ConfigError, match=r"drift: .*min_rows \(9000\) must not exceed max_rows"):
        parse_params({**raw, "drift": {"min_rows": 9000, "max_rows": 5000}})
    with pytest.raises(ConfigError, match=r"drift\.performance: .*unknown metric 'auc'"):
        parse_params({**raw, "drift": {"performance": {"metric": "auc"}}})
    with pytest.raises(ConfigError, match=r"drift\.sorce: unknown key"):
        parse_params({**raw, "drift": {"sorce": "logs"}})
