"""The replay's request records: what the service's request model accepts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gitops_ml.drift.replay import to_records
from gitops_ml.request_models import record_model
from tests.support.data import ALL_CONTRACTS, contract, pick, valid_frame


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_records_are_json_and_valid_requests(name):
    schema = contract(name)
    frame = valid_frame(20, schema=schema)
    missing = pick(schema, nullable=True).name
    frame.loc[0, missing] = np.nan
    records = to_records(frame, schema)
    assert json.loads(json.dumps(records)) == records  # plain JSON: no NaN, numpy or Timestamp values
    assert list(records[0]) == schema.input_names()  # input fields only: no target, no role: other
    assert records[0][missing] is None
    for column in schema.input_columns():
        if column.kind == "datetime":
            assert records[0][column.name] == pd.Timestamp(frame.loc[0, column.name]).isoformat()
    record = record_model(schema)
    for sent in records:
        record.model_validate_json(json.dumps(sent))  # the service's own request model
