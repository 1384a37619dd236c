"""The replay's request records: what the service's request model accepts."""

from __future__ import annotations

import json

import numpy as np

from gitops_ml import schema
from gitops_ml.drift.replay import to_records
from gitops_ml.request_models import FlightRecord
from tests.support.data import valid_frame


def test_records_are_json_and_valid_requests():
    frame = valid_frame(20)
    frame.loc[0, "wind_gust"] = np.nan
    records = to_records(frame)
    assert json.loads(json.dumps(records)) == records  # plain JSON: no NaN, numpy or Timestamp values
    assert set(records[0]) == {column.name for column in schema.input_columns()}
    assert records[0]["wind_gust"] is None
    assert records[0]["scheduled_departure"] == frame.loc[0, "scheduled_departure"].isoformat()
    for record in records:
        FlightRecord.model_validate_json(json.dumps(record))  # the service's own request model
