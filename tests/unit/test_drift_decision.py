"""The drift decision and its markdown: pure functions of a summary dict (no Evidently here)."""

from __future__ import annotations

import pytest

from gitops_ml.config import DriftParams
from gitops_ml.drift.decision import DRIFT, INSUFFICIENT, NO_DRIFT, decide, performance_change, render_markdown

PARAMS = DriftParams(drift_share=0.3, min_rows=100)


def result(score: float, drifted: bool) -> dict:
    return {"method": "Wasserstein distance (normed)", "threshold": 0.1, "score": score, "drifted": drifted}


def summary(drifted: list[str], stable: list[str], rows: int = 1000, **extra) -> dict:
    columns = {name: result(0.5, True) for name in drifted} | {name: result(0.01, False) for name in stable}
    return {
        "checked_at": "2013-12-31T00:00:00+00:00",
        "reference": {"description": "reference window", "rows": 5000, "sampled_rows": 5000},
        "current": {"description": "production window", "rows": rows, "sampled_rows": rows},
        "columns": columns,
        "all_null": [],
        "prediction": None,
        "performance": None,
        "notes": [],
        **extra,
    }


def test_below_the_share_is_no_drift():
    decision = decide(summary(["x1", "x2"], ["segment", "region", "code", "size", "x4"]), PARAMS)
    assert decision["status"] == NO_DRIFT
    assert decision["drifted_columns"] == ["x1", "x2"]
    assert decision["share"] == pytest.approx(2 / 7)
    assert not decision["dataset_drift"] and decision["reasons"] == []


def test_reaching_the_share_is_drift_and_names_the_columns():
    decision = decide(summary(["x1", "x2", "x3"], ["segment", "region", "code", "size"]), PARAMS)
    assert decision["status"] == DRIFT and decision["dataset_drift"]
    assert "x1, x2, x3" in decision["reasons"][0]


def test_a_column_with_no_values_counts_as_drifted():
    data = summary(["x1"], ["segment", "region"], all_null=["x4"])
    decision = decide(data, PARAMS)
    assert decision["drifted_columns"] == ["x1", "x4"]
    assert decision["compared_columns"] == 4
    assert decision["status"] == DRIFT


def test_prediction_drift_alone_is_drift():
    data = summary([], ["segment", "region", "x1"], prediction=result(0.2, True))
    decision = decide(data, PARAMS)
    assert decision["status"] == DRIFT and decision["prediction_drift"] and not decision["dataset_drift"]


def test_performance_drop_beyond_the_allowance_is_drift():
    dropped = performance_change("roc_auc", current=0.66, baseline=0.74, max_drop=0.05)
    assert dropped["drifted"] and dropped["worsening"] == pytest.approx(0.08)
    assert decide(summary([], ["x1"], performance=dropped), PARAMS)["status"] == DRIFT
    held = performance_change("roc_auc", current=0.72, baseline=0.74, max_drop=0.05)
    assert not held["drifted"]
    assert decide(summary([], ["x1"], performance=held), PARAMS)["status"] == NO_DRIFT


def test_lower_is_better_metrics_worsen_upwards():
    assert performance_change("log_loss", current=0.60, baseline=0.50, max_drop=0.05)["drifted"]
    assert not performance_change("log_loss", current=0.40, baseline=0.50, max_drop=0.05)["drifted"]


def test_too_few_rows_decide_nothing():
    decision = decide(summary(["x1", "x2", "x4"], [], rows=99), PARAMS)
    assert decision["status"] == INSUFFICIENT
    assert "min_rows" in decision["reasons"][0] and "99" in decision["reasons"][0]


def test_markdown_lists_drifted_columns_first_with_reasons_and_notes():
    data = summary(["x2"], ["c1"], all_null=["x1"], prediction=result(0.02, False))
    data["notes"] = ["current: ignored column(s) not in the schema: x"]
    data["decision"] = decide(data, PARAMS)
    markdown = render_markdown(data, report_url="https://example.test/run/1")
    assert markdown.startswith("## :warning: Drift check: Drift detected")
    table = [
        line for line in markdown.splitlines() if line.startswith("| ") and "Column" not in line and "---" not in line
    ]
    assert [row.split("|")[1].strip() for row in table] == ["x1", "x2", "c1", "prediction (model output)"]
    assert "all values missing" in table[0]
    assert "https://example.test/run/1" in markdown and "ignored column(s)" in markdown


def test_markdown_for_insufficient_data_has_no_table():
    data = summary([], [], rows=3)
    data["decision"] = decide(data, PARAMS)
    markdown = render_markdown(data)
    assert "Not enough data" in markdown and "| Column" not in markdown
