"""Bad data arriving in data/raw stops the real pipeline at `validate` and loses nothing.

Each case corrupts the ingested table of a repo that already has a good model, then runs
`dvc repro --downstream validate` (the stages that consume the new data). The run must fail,
name the column and the rule, run nothing after validate, and leave the previous model,
metrics and lock file byte-identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.support.project import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

RAW = "data/raw/flights.parquet"
KEPT = ("models/model.joblib", "models/model.json", "reports/metrics.json", "reports/slices.json", "dvc.lock")


def _first(frame: pd.DataFrame, column: str, value, rows: int = 10) -> pd.DataFrame:
    frame = frame.copy()
    if isinstance(value, str) and frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[frame.index[:rows], column] = value
    return frame


CASES = {
    "missing column": (lambda f: f.drop(columns="carrier"), "column 'carrier': rule 'required'"),
    "wrong dtype": (lambda f: f.assign(distance=f["distance"].astype(str)), "column 'distance': rule 'dtype'"),
    "out of range": (lambda f: _first(f, "temp", 400.0), "column 'temp': rule 'in_range(-40, 130)'"),
    "too many nulls": (
        lambda f: f.assign(visib=np.where(np.arange(len(f)) % 2 == 0, np.nan, f["visib"])),
        "column 'visib': rule 'max_null_fraction(0.02)'",
    ),
    "empty table": (lambda f: f.head(0), "rule 'min_rows(1000)'"),
    "duplicate keys": (
        lambda f: pd.concat([f, f.head(20)], ignore_index=True),
        "column 'scheduled_departure+carrier+flight_number+origin': rule 'unique_key'",
    ),
    "unknown target value": (lambda f: _first(f, "delayed", 3), "column 'delayed': rule 'isin([0, 1])'"),
    "leakage column": (lambda f: f.assign(dep_delay=0.0), "column 'dep_delay': rule 'no_leakage'"),
    "unknown category": (lambda f: _first(f, "origin", "BOS"), "column 'origin': rule 'isin("),
    "unexpected column": (lambda f: f.assign(tailnum="N14228"), "column 'tailnum': rule 'no_unexpected_columns'"),
}


def _snapshot(repo) -> dict[str, bytes]:
    return {path: (repo / path).read_bytes() for path in KEPT}


def _fails_at_validate(repo, expected: str) -> None:
    before = _snapshot(repo)
    result = run(["dvc", "repro", "--downstream", "validate"], repo, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert expected in output, output
    assert "nothing downstream ran" in output
    assert "Running stage 'split'" not in output and "Running stage 'train'" not in output
    assert _snapshot(repo) == before


@pytest.mark.parametrize("case", CASES)
def test_bad_data_stops_at_validate(workspace, case):
    corrupt, expected = CASES[case]
    good = pd.read_parquet(workspace / RAW)
    corrupt(good).to_parquet(workspace / RAW, index=False)
    _fails_at_validate(workspace, expected)


def test_empty_file_stops_at_validate(workspace):
    (workspace / RAW).write_bytes(b"")
    before = _snapshot(workspace)
    result = run(["dvc", "repro", "--downstream", "validate"], workspace, check=False)
    assert result.returncode != 0
    assert f"{RAW}: cannot read as parquet" in result.stderr
    assert _snapshot(workspace) == before
