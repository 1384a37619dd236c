"""`make schema` on a fresh table, then `dvc repro` on the draft as written: it must run through.

A churn-like CSV (no time column, string labels, an id, a bool, nulls) is written into a temp
copy of the project; the drafted schema.yaml and params.yaml are used untouched.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.support.project import make_repo, run
from tests.unit.test_schema_draft import churn_frame

pytestmark = pytest.mark.slow


def test_the_draft_runs_the_pipeline_as_written(tmp_path):
    repo = make_repo(tmp_path / "repo")
    (repo / "data").mkdir(exist_ok=True)
    churn_frame(rows=2000).to_csv(repo / "data" / "churn.csv", index=False)

    drafted = run(
        [sys.executable, "-m", "gitops_ml.schema_draft", "--data", "data/churn.csv", "--target", "churn"], repo
    )
    assert "Wrote schema.yaml" in drafted.stdout

    run(["dvc", "repro"], repo)
    validation = json.loads((repo / "reports/validation.json").read_text())
    assert validation["rows"] == 2000
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    assert metrics["rows"] > 0 and 0 <= metrics["roc_auc"] <= 1
    split = json.loads((repo / "reports/split.json").read_text())
    assert all(split[name]["rows"] > 0 for name in ("train", "test", "production"))
