"""The inference-log line format (inference_log.py): one JSON object per record, as BentoML's
default monitor writes it, read back by the drift check."""

from __future__ import annotations

import datetime as dt
import json

from gitops_ml.inference_log import format_lines, parse_lines


def test_each_record_is_one_line_with_times_as_iso_text_and_missing_values_as_null():
    times = [dt.datetime(2013, 7, 1, 8, 0), dt.datetime(2013, 7, 1, 8, 0, 5, 250000), None]
    columns = {"when": times, "code": ["A1", None, "B2"], "amount": [1400.0, float("nan"), None]}
    extra = {"timestamp": "2026-12-01T00:00:00", "request_id": "7", "trace_id": "0"}
    text = format_lines(columns, extra)
    lines = text.split("\n")
    assert len(lines) == 3 and all(json.loads(line) for line in lines)
    records, unreadable = parse_lines(lines)
    assert unreadable == 0
    assert [record["when"] for record in records] == [times[0].isoformat(), times[1].isoformat(), None]
    assert [record["amount"] for record in records] == [1400.0, None, None]
    assert records[1] == {"when": "2013-07-01T08:00:05.250000", "code": None, "amount": None, **extra}


def test_no_records_make_no_text():
    assert format_lines({"when": [], "code": []}, {"request_id": "7"}) == ""
