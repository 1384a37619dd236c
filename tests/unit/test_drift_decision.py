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


# Boundaries and exact outputs: each one fails when a comparison flips (>= to >, < to <=) or a
# field, reason or line of the issue body changes.


def test_exactly_min_rows_is_enough_to_decide():
    assert decide(summary([], ["x1"], rows=PARAMS.min_rows), PARAMS)["status"] == NO_DRIFT
    assert decide(summary([], ["x1"], rows=PARAMS.min_rows - 1), PARAMS)["status"] == INSUFFICIENT


def test_a_share_exactly_at_drift_share_is_drift_and_just_below_is_not():
    stable = [f"s{i}" for i in range(7)]
    at = decide(summary(["d1", "d2", "d3"], stable), PARAMS)  # 3 of 10 = 0.3
    assert at["share"] == 0.3 and at["dataset_drift"] and at["status"] == DRIFT
    below = decide(summary(["d1", "d2", "d3"], [*stable, "s7"]), PARAMS)  # 3 of 11
    assert not below["dataset_drift"] and below["status"] == NO_DRIFT


def test_no_compared_column_is_no_drift_with_a_zero_share():
    decision = decide(summary([], []), PARAMS)
    assert decision["share"] == 0.0 and decision["compared_columns"] == 0
    assert not decision["dataset_drift"] and decision["status"] == NO_DRIFT


def test_a_drop_of_exactly_the_allowance_is_not_drift():
    change = performance_change("roc_auc", current=0.5, baseline=0.75, max_drop=0.25)
    assert change == {
        "metric": "roc_auc",
        "baseline": 0.75,
        "current": 0.5,
        "worsening": 0.25,
        "max_drop": 0.25,
        "drifted": False,
    }
    assert performance_change("brier", current=0.25, baseline=0.5, max_drop=0.0)["worsening"] == -0.25
    assert performance_change("brier", current=0.5, baseline=0.25, max_drop=0.0)["drifted"]


def test_insufficient_data_decision_in_full():
    assert decide(summary(["x1"], [], rows=99), PARAMS) == {
        "status": INSUFFICIENT,
        "reasons": ["only 99 current row(s); drift.min_rows asks for 100 to decide"],
        "drifted_columns": [],
        "compared_columns": 0,
        "share": None,
        "drift_share": 0.3,
        "dataset_drift": False,
        "prediction_drift": False,
        "performance_drift": False,
    }


def _everything_drifted() -> dict:
    data = summary(
        ["x2"],
        ["c1"],
        all_null=["x1"],
        prediction=result(0.2, True),
        performance=performance_change("brier", current=0.2, baseline=0.15, max_drop=0.01),
        notes=["a note"],
    )
    data["current"].update(rows=123456, sampled_rows=50000)
    data["decision"] = decide(data, PARAMS)
    return data


def test_drift_decision_in_full():
    assert _everything_drifted()["decision"] == {
        "status": DRIFT,
        "reasons": [
            "2 of 3 columns drifted (67% >= drift_share 30%): x2, x1",
            "the predicted probabilities drifted (score 0.2)",
            "brier fell from 0.15 to 0.2 (more than the allowed 0.01)",
        ],
        "drifted_columns": ["x2", "x1"],
        "compared_columns": 3,
        "share": 2 / 3,
        "drift_share": 0.3,
        "dataset_drift": True,
        "prediction_drift": True,
        "performance_drift": True,
    }


def test_drift_markdown_in_full():
    assert render_markdown(_everything_drifted(), report_url="https://example.test/run/1") == "\n".join(
        [
            "## :warning: Drift check: Drift detected",
            "",
            "- **Current**: production window (123,456 rows, sampled to 50,000)",
            "- **Reference**: reference window (5,000 rows)",
            "- **Checked**: 2013-12-31T00:00:00+00:00",
            "- **Full report**: https://example.test/run/1",
            "",
            "**Why:**",
            "",
            "- 2 of 3 columns drifted (67% >= drift_share 30%): x2, x1",
            "- the predicted probabilities drifted (score 0.2)",
            "- brier fell from 0.15 to 0.2 (more than the allowed 0.01)",
            "",
            "2 of 3 columns drifted (67%; dataset drift from 30%).",
            "",
            "| Column | Drift | Score | Threshold | Method |",
            "|---|---|---:|---:|---|",
            "| prediction (model output) | **yes** | 0.2 | 0.1 | Wasserstein distance (normed) |",
            "| x1 | **yes** | n/a | n/a | all values missing |",
            "| x2 | **yes** | 0.5 | 0.1 | Wasserstein distance (normed) |",
            "| c1 | no | 0.01 | 0.1 | Wasserstein distance (normed) |",
            "",
            "Performance on labelled current data: brier 0.2 vs 0.15 at evaluation (allowed drop 0.01): **dropped**",
            "",
            "**Notes:**",
            "",
            "- a note",
            "",
        ]
    )


def test_no_drift_markdown_in_full():
    data = summary([], ["c1"], performance=performance_change("rmse", current=1.0, baseline=1.0, max_drop=0.1))
    data["reference"].update(rows=5000, sampled_rows=None)
    data["decision"] = decide(data, PARAMS)
    assert render_markdown(data) == "\n".join(
        [
            "## :white_check_mark: Drift check: No drift",
            "",
            "- **Current**: production window (1,000 rows)",
            "- **Reference**: reference window (5,000 rows)",
            "- **Checked**: 2013-12-31T00:00:00+00:00",
            "",
            "0 of 1 columns drifted (0%; dataset drift from 30%).",
            "",
            "| Column | Drift | Score | Threshold | Method |",
            "|---|---|---:|---:|---|",
            "| c1 | no | 0.01 | 0.1 | Wasserstein distance (normed) |",
            "",
            "Performance on labelled current data: rmse 1 vs 1 at evaluation (allowed drop 0.1): ok",
            "",
        ]
    )


def test_insufficient_data_markdown_in_full():
    data = summary([], [], rows=99)
    data["decision"] = decide(data, PARAMS)
    assert render_markdown(data) == "\n".join(
        [
            "## :hourglass: Drift check: Not enough data to decide",
            "",
            "- **Current**: production window (99 rows)",
            "- **Reference**: reference window (5,000 rows)",
            "- **Checked**: 2013-12-31T00:00:00+00:00",
            "",
            "**Why:**",
            "",
            "- only 99 current row(s); drift.min_rows asks for 100 to decide",
            "",
        ]
    )


def test_one_compared_column_that_drifted_is_drift_and_all_null_may_be_absent():
    data = summary(["x1"], [])
    del data["all_null"]
    decision = decide(data, PARAMS)
    assert (decision["compared_columns"], decision["share"], decision["status"]) == (1, 1.0, DRIFT)
    data["decision"] = decision
    assert "| x1 | **yes** | 0.5 | 0.1 | Wasserstein distance (normed) |" in render_markdown(data)


def test_a_column_without_a_method_has_an_empty_method_cell():
    data = summary([], ["c1"])
    data["columns"]["c1"]["method"] = None
    data["decision"] = decide(data, PARAMS)
    assert "| c1 | no | 0.01 | 0.1 |  |" in render_markdown(data).splitlines()
