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

from gitops_ml import paths
from tests.support.data import contract, pick
from tests.support.project import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

RAW = paths.RAW.as_posix()
KEPT = ("models/model.joblib", "models/model.json", "reports/metrics.json", "reports/slices.json", "dvc.lock")
SCHEMA = contract()


def _first(frame: pd.DataFrame, column: str, value, rows: int = 10) -> pd.DataFrame:
    frame = frame.copy()
    if isinstance(value, str) and frame[column].dtype != object:
        frame[column] = frame[column].astype(object)
    frame.loc[frame.index[:rows], column] = value
    return frame


def _cases() -> dict:
    """Each kind of bad data, on a column the schema gives it (picked by kind, never by name)."""
    first = SCHEMA.input_names()[0]
    number = pick(SCHEMA, "float", has_range=True)
    high = (number.maximum if number.maximum is not None else number.minimum + 100) * 10 + 1
    cases = {
        "missing column": (lambda f: f.drop(columns=first), f"column '{first}': rule 'required'"),
        "wrong dtype": (
            lambda f: f.assign(**{number.name: f[number.name].astype(str)}),
            f"column '{number.name}': rule 'dtype'",
        ),
        "out of range": (lambda f: _first(f, number.name, high), f"column '{number.name}': rule 'in_range("),
        "empty table": (lambda f: f.head(0), "rule 'min_rows("),
        "unexpected column": (lambda f: f.assign(undeclared="x"), "column 'undeclared': rule 'no_unexpected_columns'"),
    }
    nullable = [c for c in SCHEMA.input_columns() if c.nullable and c.numeric and c.max_null_fraction < 0.5]
    if nullable:
        column = nullable[0]
        cases["too many nulls"] = (
            lambda f: f.assign(**{column.name: np.where(np.arange(len(f)) % 2 == 0, np.nan, f[column.name])}),
            f"column '{column.name}': rule 'max_null_fraction({column.max_null_fraction})'",
        )
    if SCHEMA.key:
        cases["duplicate keys"] = (
            lambda f: pd.concat([f, f.head(20)], ignore_index=True),
            f"column '{'+'.join(SCHEMA.key)}': rule 'unique_key'",
        )
    target = SCHEMA.target_column
    if target.categories is not None:
        wrong = 3 if target.kind == "int" else "?? unknown"
        cases["unknown target value"] = (
            lambda f: _first(f, target.name, wrong),
            f"column '{target.name}': rule 'isin(",
        )
    if SCHEMA.leakage:
        leak = SCHEMA.leakage[0]
        cases["leakage column"] = (lambda f: f.assign(**{leak: 0.0}), f"column '{leak}': rule 'no_leakage'")
    categories = [c for c in SCHEMA.input_columns() if c.kind == "category" and c.categories is not None]
    if categories:
        name = categories[0].name
        cases["unknown category"] = (lambda f: _first(f, name, "?? unknown"), f"column '{name}': rule 'isin(")
    return cases


CASES = _cases()


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
