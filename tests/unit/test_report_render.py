"""The pull request report, rendered from data: verdict, tables, charts, first PR and odd values."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from gitops_ml.comparison import Comparison, SliceChange
from gitops_ml.config import MetricGate
from gitops_ml.gate import evaluate_gate
from gitops_ml.metric_catalogue import task_of
from gitops_ml.report.deltas import flatten, params_changes, slice_deltas
from gitops_ml.report.inputs import ReportInputs, Results
from gitops_ml.report.render import render, reproduce_commands, verdict_json
from gitops_ml.report.sections.changes import summarise_dvc_diff
from gitops_ml.report.sections.curves import CURVE_GRID, histogram_quantiles, resample
from gitops_ml.report.sections.slices import SLICES_SHOWN
from gitops_ml.uncertainty import Difference

RULES = {
    "roc_auc": MetricGate(minimum=0.65, abs_tolerance=0.005),
    "log_loss": MetricGate(maximum=0.6, abs_tolerance=0.005),
    "latency_single_row_ms_p50": MetricGate(rel_tolerance=1.0),
}
BASE_METRICS = {
    "roc_auc": 0.74,
    "pr_auc": 0.47,
    "log_loss": 0.47,
    "positive_rate": 0.22,
    "rows": 84448,
    "model_size_bytes": 881313,
    "latency_single_row_ms_p50": 15.0,
}
PARAMS = {"train": {"model": "hist_gradient_boosting", "hist_gradient_boosting": {"learning_rate": 0.1}}}


def curve(x: str, y: str, shape) -> list[dict]:
    return [{x: i / 100, y: round(shape(i / 100), 4)} for i in range(101)]


def plots(strength: float) -> dict:
    return {
        "roc": curve("fpr", "tpr", lambda f: f**strength),
        "precision_recall": curve("recall", "precision", lambda r: 1 - (1 - strength) * r),
        "confusion": [
            {"actual": 0, "predicted": 0, "count": 100},
            {"actual": 0, "predicted": 1, "count": 20},
            {"actual": 1, "predicted": 0, "count": 10},
            {"actual": 1, "predicted": 1, "count": int(30 * strength * 2)},
        ],
        "feature_importance": [{"feature": f"f{i}", "importance": round(strength / (i + 1), 6)} for i in range(12)],
    }


def slices(aucs: dict[str, float]) -> list[dict]:
    return [{"slice": "carrier", "value": value, "roc_auc": auc, "rows": 500} for value, auc in aucs.items()]


def make(
    pr_metrics: dict,
    base_metrics: dict | None = BASE_METRICS,
    base: Results | None = None,
    pr: Results | None = None,
    **extra,
) -> ReportInputs:
    if base is None:
        base = Results(
            metrics=base_metrics,
            params=PARAMS,
            slices=slices({"AA": 0.7, "B6": 0.7}),
            split={"train": {"rows": 1000, "target_rate": 0.2}},
            plots=plots(0.5),
        )
        if base_metrics is None:
            base = Results()
    if pr is None:
        pr = Results(
            metrics=pr_metrics,
            params=PARAMS,
            slices=slices({"AA": 0.72, "B6": 0.69}),
            split={"train": {"rows": 1100, "target_rate": 0.21}},
            plots=plots(0.45),
        )
    inputs = dict(
        base_rev="main",
        base=base,
        pr=pr,
        verdict=evaluate_gate(pr.metrics, base.metrics, RULES),
        rules=RULES,
        dvc_diff={"added": [], "deleted": [], "modified": [{"path": "models/model.joblib"}], "renamed": []},
        reproduce=reproduce_commands("abc123", "main"),
        target="delayed",
    )
    inputs.update(extra)
    return ReportInputs(**inputs)


def row(markdown: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is ``label``."""
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in:\n{markdown}")


def metric_row(markdown: str, name: str) -> list[str]:
    """A metrics table row from its ``name`` cell on (the first cell is the catalogue's label)."""
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) > 1 and cells[1] == f"`{name}`":
            return cells[1:]
    raise AssertionError(f"no metric row {name!r} in:\n{markdown}")


def test_improved_model_passes_and_shows_both_sides():
    report = render(make({**BASE_METRICS, "roc_auc": 0.75, "log_loss": 0.46}))
    assert report.splitlines()[2].startswith("✅ **Quality gate passed**: 3 gated metrics")
    assert metric_row(report, "roc_auc") == [
        "`roc_auc`",
        "0.7400",
        "0.7500",
        "+0.0100",
        "+1.4%",
        "🟢 better",
        "✅ ≥ 0.65 · tol 0.005",
    ]
    assert metric_row(report, "log_loss")[3:6] == ["-0.0100", "-2.1%", "🟢 better"]  # lower is better
    assert "has no committed metrics" not in report


def test_regressed_model_fails_with_the_reason_on_top():
    report = render(make({**BASE_METRICS, "roc_auc": 0.70}))
    verdict = report.splitlines()[2]
    assert verdict.startswith("❌ **Quality gate failed**: roc_auc got worse by 0.04")
    assert metric_row(report, "roc_auc")[5:] == ["🔴 worse", "❌ ≥ 0.65 · tol 0.005"]


def test_unchanged_model_says_same_and_context_metrics_are_neutral():
    report = render(make(dict(BASE_METRICS)))
    assert metric_row(report, "roc_auc")[3:6] == ["0", "0%", "same"]
    assert metric_row(report, "rows")[1:6] == ["84,448", "84,448", "0", "0%", ""]
    assert "No parameter changed." in report


def test_first_pr_shows_pr_values_only_and_says_so():
    inputs = make(dict(BASE_METRICS), base_metrics=None)
    report = render(inputs)
    assert "`main` has no committed metrics yet" in report
    assert report.splitlines()[2].startswith("✅ **Quality gate passed**: 3 gated metrics within their absolute limits")
    assert row(report, "metric") == ["metric", "name", "PR", "gate"]
    assert metric_row(report, "roc_auc") == ["`roc_auc`", "0.7400", "✅ ≥ 0.65"]
    assert "Weakest slices of this PR" in report
    assert "has no `params.yaml`" in report
    assert "This PR only" in report and '"base"' not in report  # charts: the PR's line only
    assert verdict_json(inputs) == {
        "passed": True,
        "headline": "✅ Quality gate passed (no baseline metrics: checked against absolute limits only)",
        "base": "main",
        "base_has_metrics": False,
        "paired": False,
        "comparison_note": None,
        "changes": {},
        "regressed_slices": [],
    }


def test_missing_metric_on_either_side_is_a_dash_and_fails_the_gate_when_gated():
    pr = {key: value for key, value in BASE_METRICS.items() if key != "roc_auc"}
    pr["brand_new"] = 1.5
    report = render(make(pr, base_metrics={**BASE_METRICS}))
    assert metric_row(report, "roc_auc")[1:4] == ["0.7400", "—", "—"]
    assert metric_row(report, "brand_new")[1:6] == ["—", "1.500", "—", "—", ""]  # unknown direction: no marker
    assert "roc_auc is missing from the metrics" in report.splitlines()[2]


def test_malformed_result_files_do_not_crash_the_report():
    garbage = Results(metrics={}, params="not a mapping", slices={"a": 1}, split=[1, 2], plots={"roc": {"x": 1}})
    report = render(make(dict(BASE_METRICS), base=garbage))
    assert metric_row(report, "roc_auc")[1:3] == ["—", "0.7400"]
    assert "_No split summary._" not in report  # the PR side still has one
    assert row(report, "train")[1:3] == ["—", "1,100"]


@pytest.mark.parametrize("bad", [math.nan, None, "n/a", math.inf])
def test_nan_null_or_garbage_metric_values_render_as_dash(bad):
    report = render(make({**BASE_METRICS, "pr_auc": bad}, base_metrics={**BASE_METRICS, "log_loss": bad}))
    assert metric_row(report, "pr_auc")[1:5] == ["0.4700", "—", "—", "—"]
    assert metric_row(report, "log_loss")[1:4] == ["—", "0.4700", "—"]


def test_huge_numbers_stay_readable():
    pr = {**BASE_METRICS, "rows": 10**13, "model_size_bytes": 1e300, "pr_auc": 1e300}
    report = render(make(pr, base_metrics={**BASE_METRICS, "pr_auc": -1e308}))
    assert metric_row(report, "rows")[1:3] == ["84,448", "10,000,000,000,000"]
    assert metric_row(report, "pr_auc")[1:4] == ["-1e+308", "1e+300", "+1e+308"]
    assert metric_row(report, "model_size_bytes")[2].endswith("TiB")


def test_params_that_changed_are_listed_with_both_values():
    pr_params = {"train": {"model": "hist_gradient_boosting", "hist_gradient_boosting": {"learning_rate": 0.05}}}
    pr_params["evaluate"] = {"slices": ["carrier"]}
    base = make(dict(BASE_METRICS)).base
    inputs = make(dict(BASE_METRICS), pr=Results(metrics=dict(BASE_METRICS), params=pr_params))
    report = render(replace(inputs, base=base))
    assert row(report, "`train.hist_gradient_boosting.learning_rate`")[1:] == ["`0.1`", "`0.05`"]
    assert row(report, "`evaluate.slices`")[1:] == ["_(absent)_", '`["carrier"]`']
    assert "changes the quality gate itself" not in report


def test_a_pr_that_changes_its_own_gate_is_flagged():
    loosened = {**PARAMS, "gate": {"metrics": {"roc_auc": {"minimum": 0.1}}}}
    inputs = make(dict(BASE_METRICS))
    report = render(replace(inputs, pr=Results(metrics=BASE_METRICS, params=loosened)))
    assert row(report, "`gate.metrics.roc_auc.minimum`")[1:] == ["_(absent)_", "`0.1`"]
    assert "⚠️ This PR changes the quality gate itself" in report


def test_flatten_and_params_changes():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": None}) == {"a.b": 1, "a.c.d": [1, 2], "e": None}
    changes = params_changes({"a": {"b": 1, "gone": 2}}, {"a": {"b": 3, "new": {}}})
    assert [(key, old, new) for key, old, new in changes if key == "a.b"] == [("a.b", 1, 3)]
    assert {key for key, _, _ in changes} == {"a.b", "a.new", "a.gone"}
    assert params_changes(PARAMS, PARAMS) == []


def test_slices_are_ordered_by_largest_roc_auc_drop():
    base = slices({"AA": 0.70, "B6": 0.70, "DL": 0.70, "EV": 0.70, "MQ": math.nan})
    pr = slices({"AA": 0.69, "B6": 0.60, "DL": 0.75, "EV": 0.65, "MQ": 0.7, "NEW": 0.5})
    ordered = [item["key"][1] for item in slice_deltas(base, pr)]
    assert ordered == ["B6", "EV", "AA", "DL"]  # NaN and PR-only slices cannot be compared

    many_base = slices({f"C{i}": 0.8 for i in range(10)})
    many_pr = slices({f"C{i}": 0.8 - i / 100 for i in range(10)})
    inputs = make(dict(BASE_METRICS))
    report = render(
        replace(
            inputs,
            base=Results(metrics=BASE_METRICS, slices=many_base),
            pr=Results(metrics=BASE_METRICS, slices=many_pr),
        )
    )
    section = report.split("#### Slices that regressed most")[1].split("<details>")[0]
    shown = re.findall(r"`carrier=(C\d)`", section)
    assert shown == ["C9", "C8", "C7", "C6", "C5"][:SLICES_SHOWN]
    assert "9 of 10 slices got worse" in section


def test_no_regressed_slice_is_said_plainly():
    inputs = make(dict(BASE_METRICS))
    same = replace(inputs, pr=Results(metrics=BASE_METRICS, slices=inputs.base.slices))
    assert "No slice got worse in ROC AUC (2 slices compared)." in render(same)


def test_images_are_linked_only_when_asked():
    figures = ("roc.png", "confusion.png")
    without = render(make(dict(BASE_METRICS), figures=figures))
    assert "![" not in without and "figures/" not in without
    with_images = render(make(dict(BASE_METRICS), figures=figures, images=True))
    assert "![roc](figures/roc.png)" in with_images and "![confusion](figures/confusion.png)" in with_images


def test_curves_are_mermaid_charts_with_base_and_pr_on_one_grid():
    report = render(make(dict(BASE_METRICS)))
    blocks = re.findall(r"```mermaid\n(.*?)```", report, re.S)
    assert len(blocks) == 2
    for block in blocks:
        lines = [line.strip() for line in block.strip().splitlines()]
        assert lines[1] == "xychart-beta"
        assert lines[3].startswith("x-axis ") and lines[3].endswith(" 0 --> 1")
        series = [re.fullmatch(r'line "(\w+)" \[(.*)\]', line) for line in lines[5:]]
        assert [match.group(1) for match in series] == ["base", "PR"]
        for match in series:
            values = [float(value) for value in match.group(2).split(", ")]
            assert len(values) == len(CURVE_GRID) and all(0 <= value <= 1 for value in values)
    assert row(report, "true positive rate at 10% false positives")[1:] == ["0.316", "0.355", "+0.0386"]


def test_resample_interpolates_and_rejects_unusable_curves():
    points = [{"x": 0, "y": 0}, {"x": 1, "y": 1}, {"x": 0.5, "y": 0.8}]
    assert resample(points, "x", "y", [0, 0.25, 0.5, 1, 2]) == [0, 0.4, 0.8, 1, 1]
    assert resample([{"x": 0, "y": math.nan}, {"x": 1, "y": 1}], "x", "y", [0.5]) is None
    assert resample(None, "x", "y", [0.5]) is None


def test_confusion_matrix_and_feature_importance_tables():
    report = render(make(dict(BASE_METRICS)))
    assert row(report, "actual delayed = 1") == ["actual delayed = 1", "10 (0)", "27 (-3)"]
    assert row(report, "1") == ["1", "`f0`", "0.4500", "0.5000", "-0.0500", "1"]
    assert "`f10`" not in report  # top 10 only


def test_data_changes_fold_directories_and_name_the_data():
    diff = {
        "added": [],
        "modified": [
            {"path": "data/raw/flights.parquet"},
            {"path": "reports/figures/"},
            {"path": "reports/figures/roc.png"},
            {"path": "reports/figures/confusion.png"},
        ],
        "deleted": [{"path": "data/split/old.parquet"}],
        "renamed": [{"path": {"old": "a", "new": "b"}}],
        "not in cache": [{"path": "reports/figures/"}],
    }
    assert summarise_dvc_diff(diff) == [
        ("deleted", "data/split/old.parquet", 0),
        ("modified", "data/raw/flights.parquet", 0),
        ("modified", "reports/figures/", 2),
        ("renamed", "b", 0),
    ]
    report = render(make(dict(BASE_METRICS), dvc_diff=diff))
    assert "**Data:** `data/split/old.parquet` deleted, `data/raw/flights.parquet` modified." in report
    assert "Rebuilt: `reports/figures/` (2 files), `b`." in report
    assert row(report, "train")[1:4] == ["1,000", "1,100", "+100"]


def test_unchanged_data_and_a_failed_dvc_diff():
    assert "**Data:** unchanged (same DVC hashes as `main`)." in render(make(dict(BASE_METRICS)))
    failed = render(make(dict(BASE_METRICS), dvc_diff=None, dvc_diff_error="no cache"))
    assert "**Data:** could not compare DVC-tracked files with `main` (no cache)." in failed


def test_links_and_reproduce_commands():
    report = render(
        make(
            dict(BASE_METRICS),
            mlflow_run_url="https://mlflow.example/#/runs/abc",
            mlflow_experiment="flight-delay",
            workflow_run_url="https://github.com/o/r/actions/runs/1",
        )
    )
    assert "- MLflow run (experiment `flight-delay`): https://mlflow.example/#/runs/abc" in report
    assert (
        "- Workflow run (full report and PNG plots in its artifacts): https://github.com/o/r/actions/runs/1" in report
    )
    assert "```sh\ngit checkout abc123\nmake env" in report
    assert reproduce_commands("abc", "origin/main", "pull/7/head").splitlines()[:2] == [
        "git fetch origin pull/7/head",
        "git checkout abc",
    ]
    assert reproduce_commands(None, "main").splitlines()[-1] == "make report BASE=main"
    assert "MLflow" not in render(make(dict(BASE_METRICS)))


# ---------------------------------------------------------------- regression

REGRESSION_RULES = {
    "rmse": MetricGate(maximum=20.0, abs_tolerance=0.5),
    "r2": MetricGate(minimum=0.3, abs_tolerance=0.02),
}
REGRESSION_METRICS = {
    "rmse": 10.0,
    "mae": 7.5,
    "r2": 0.6,
    "baseline_rmse": 15.8,
    "target_mean": 50.0,
    "rows": 2000,
    "model_size_bytes": 500000,
    "latency_single_row_ms_p50": 3.0,
}


def regression_plots(slope: float, spread: float) -> dict:
    """20 quantile bins on 10..86 (mean actual = slope x mean predicted) and a residual histogram."""
    return {
        "predicted_vs_actual": [
            {"mean_predicted": 10.0 + 4 * i, "mean_actual": round(slope * (10.0 + 4 * i), 4), "rows": 100}
            for i in range(20)
        ],
        "residuals": [
            {"residual": float(centre), "count": round(1000 * math.exp(-((centre / spread) ** 2)))}
            for centre in range(-29, 30, 2)
        ],
        "feature_importance": [{"feature": f"f{i}", "importance": round(slope / (i + 1), 6)} for i in range(3)],
    }


def rmse_slices(values: dict[str, float]) -> list[dict]:
    return [
        {"slice": "region", "value": value, "rows": 300, "rmse": rmse, "mae": rmse * 0.8, "target_mean": 50.0}
        for value, rmse in values.items()
    ]


def make_regression(pr_metrics: dict, base: Results | None = None, pr: Results | None = None, **extra) -> ReportInputs:
    if base is None:
        base = Results(
            metrics=REGRESSION_METRICS,
            params=PARAMS,
            slices=rmse_slices({"north": 10.0, "south": 10.0}),
            split={"train": {"rows": 1000, "target_mean": 49.0}, "test": {"rows": 200, "target_mean": 51.0}},
            plots=regression_plots(1.0, 12.0),
        )
    if pr is None:
        pr = Results(
            metrics=pr_metrics,
            params=PARAMS,
            slices=rmse_slices({"north": 9.0, "south": 11.0}),
            split={"train": {"rows": 1000, "target_mean": 49.0}, "test": {"rows": 200, "target_mean": 51.0}},
            plots=regression_plots(0.9, 10.0),
        )
    inputs = dict(
        base_rev="main",
        base=base,
        pr=pr,
        verdict=evaluate_gate(pr.metrics, base.metrics, REGRESSION_RULES),
        rules=REGRESSION_RULES,
        task="regression",
        target="price",
        dvc_diff={"added": [], "deleted": [], "modified": [], "renamed": []},
        reproduce=reproduce_commands("abc123", "main"),
    )
    inputs.update(extra)
    return ReportInputs(**inputs)


def test_regression_metrics_table_lists_the_task_metrics_and_a_lower_rmse_is_better():
    report = render(make_regression({**REGRESSION_METRICS, "rmse": 9.0, "mae": 7.0, "r2": 0.58}))
    assert report.splitlines()[2].startswith("✅ **Quality gate passed**: 2 gated metrics")
    assert row(report, "RMSE") == ["RMSE", "`rmse`", "10", "9", "-1", "-10.0%", "🟢 better", "✅ ≤ 20 · tol 0.5"]
    assert metric_row(report, "mae")[3:6] == ["-0.500", "-6.7%", "🟢 better"]
    assert row(report, "R²")[6:] == ["🔴 worse", "✅ ≥ 0.3 · tol 0.02"]  # higher is better, within tolerance
    assert metric_row(report, "baseline_rmse")[5] == ""  # describes the test split: no direction
    metrics = report.split("#### Metrics")[1].split("####")[0]
    labels = [
        line.split(" | ")[0].lstrip("| ") for line in metrics.splitlines() if line.startswith("| ") and "`" in line
    ]
    assert labels == ["RMSE", "MAE", "R²", "RMSE of the mean (test set)", "target mean (test set)", "test rows"]
    assert "RMSE, MAE, RMSE of the mean, target mean: in the units of `price`." in report
    assert row(report, "latency p50, 1 row")[2:4] == ["3 ms", "3 ms"]  # serving table, units from the catalogue


def test_regression_rmse_rise_beyond_tolerance_fails_the_gate():
    report = render(make_regression({**REGRESSION_METRICS, "rmse": 11.0}))
    assert report.splitlines()[2].startswith("❌ **Quality gate failed**: rmse got worse by 1")
    assert metric_row(report, "rmse")[5:] == ["🔴 worse", "❌ ≤ 20 · tol 0.5"]


def test_regression_slices_are_ranked_by_rmse_rise():
    base = rmse_slices({"a": 10.0, "b": 10.0, "c": 10.0, "d": 10.0, "e": math.nan})
    pr = rmse_slices({"a": 9.0, "b": 12.0, "c": 11.0, "d": 10.0, "e": 5.0})
    assert [item["key"][1] for item in slice_deltas(base, pr, "rmse")] == ["b", "c", "d", "a"]

    inputs = make_regression(dict(REGRESSION_METRICS))
    report = render(
        replace(
            inputs,
            base=replace(inputs.base, slices=base),
            pr=replace(inputs.pr, slices=pr),
        )
    )
    section = report.split("#### Slices that regressed most")[1].split("<details>")[0]
    assert "2 of 4 slices got worse in RMSE; the largest rises:" in section
    assert re.findall(r"`region=(\w)`", section) == ["b", "c"]
    assert row(section, "slice") == ["slice", "rows", "RMSE base", "PR", "Δ"]
    assert row(report, "`region=b`")[2:] == ["10", "12", "+2"]
    assert row(report.split("All slices")[1], "slice") == ["slice", "rows", "RMSE base", "PR", "Δ", "MAE", "price mean"]

    first = render(replace(inputs, base=Results(metrics=REGRESSION_METRICS), pr=replace(inputs.pr, slices=pr)))
    weakest = first.split("Weakest slices of this PR")[1].split("<details>")[0]
    assert re.findall(r"`region=(\w)`", weakest) == ["b", "c", "d", "a", "e"]  # highest RMSE first


def test_regression_no_slice_worse_and_no_slices_configured():
    inputs = make_regression(dict(REGRESSION_METRICS))
    better = replace(inputs, pr=replace(inputs.pr, slices=rmse_slices({"north": 9.0, "south": 10.0})))
    assert "No slice got worse in RMSE (2 slices compared)." in render(better)

    none = render(replace(inputs, pr=replace(inputs.pr, slices=[], params={"evaluate": {"slices": []}})))
    assert "No slices configured (`evaluate.slices` in `params.yaml` is empty)." in none
    assert "All slices" not in none
    configured = {"evaluate": {"slices": ["region"], "min_slice_rows": 100}}
    too_small = render(replace(inputs, pr=replace(inputs.pr, slices=[], params=configured)))
    assert "No slice has 100 test rows (`evaluate.min_slice_rows`)." in too_small


def test_regression_predicted_vs_actual_chart_with_the_diagonal():
    report = render(make_regression(dict(REGRESSION_METRICS)))
    blocks = re.findall(r"```mermaid\n(.*?)```", report, re.S)
    assert len(blocks) == 1
    lines = [line.strip() for line in blocks[0].strip().splitlines()]
    assert lines[1] == "xychart-beta"
    assert lines[2] == 'title "Predicted vs actual"'
    assert lines[3] == 'x-axis "mean predicted price" 10 --> 86'
    series = [re.fullmatch(r'line "(.+)" \[(.*)\]', line) for line in lines[5:]]
    assert [match.group(1) for match in series] == ["base", "PR", "predicted = actual"]
    base, pr, ideal = ([float(value) for value in match.group(2).split(", ")] for match in series)
    assert len(base) == len(pr) == len(ideal) == len(CURVE_GRID)
    assert base == pytest.approx(ideal, abs=1e-3)  # the base model lies on the diagonal
    assert pr == pytest.approx([0.9 * x for x in ideal], abs=1e-3)
    assert ideal[0] == 10 and ideal[-1] == 86
    y_axis = re.fullmatch(r'y-axis "mean actual price" (\S+) --> (\S+)', lines[4])
    assert float(y_axis.group(1)) <= min(pr) and float(y_axis.group(2)) >= 86
    assert "Grey: base, blue: this PR, green: predicted = actual." in report
    assert "<summary>Predicted vs actual and residuals</summary>" in report


def test_regression_residuals_summary():
    report = render(make_regression(dict(REGRESSION_METRICS)))
    assert row(report, "median residual")[1:] == ["0", "0", "0"]  # both histograms centred on 0
    base_width, pr_width = (float(value) for value in row(report, "width of the middle 80%")[1:3])
    assert pr_width < base_width  # the PR's histogram is narrower
    assert "In the units of `price`, read from the residual histogram" in report


def test_regression_report_has_no_classification_sections():
    report = render(make_regression(dict(REGRESSION_METRICS), figures=("residuals.png",), images=True))
    assert "Confusion matrix" not in report and "confusion" not in report.lower()
    assert not re.search(r"roc|precision-recall|operating point|positive", report, re.I)
    assert "Permutation importance: worsening of RMSE when the feature is shuffled." in report
    assert row(report, "split") == ["split", "rows base", "rows PR", "Δ rows", "price mean base", "price mean PR"]
    assert row(report, "test")[4:] == ["51", "51"]


def test_classification_importance_and_split_name_the_primary_metric_and_target():
    report = render(make(dict(BASE_METRICS)))
    assert "Permutation importance: worsening of ROC AUC when the feature is shuffled." in report
    assert row(report, "split")[4:] == ["delayed rate base", "delayed rate PR"]
    labelled = render(make(dict(BASE_METRICS), target="churned", classes=("no", "yes")))
    assert row(labelled, "actual churned = yes")[0:1] == ["actual churned = yes"]
    assert "|  | predicted churned = no | predicted churned = yes |" in labelled


def test_first_regression_pr_shows_its_own_chart_only():
    inputs = make_regression(dict(REGRESSION_METRICS))
    report = render(replace(inputs, base=Results(), verdict=evaluate_gate(inputs.pr.metrics, None, REGRESSION_RULES)))
    assert row(report, "metric") == ["metric", "name", "PR", "gate"]
    assert "Blue: this PR, green: predicted = actual." in report and 'line "base"' not in report
    assert row(report, "median residual")[1:] == ["—", "0", "—"]


def test_task_comes_from_the_cards_then_the_metrics():
    assert task_of({"task": "regression"}, {"task": "classification"}, {"roc_auc": 1}) == "regression"
    assert task_of({}, {"task": "regression"}, {}) == "regression"
    assert task_of(None, "garbage", {"rmse": 1.0}) == "regression"
    assert task_of({"task": "ranking"}, None, {"roc_auc": 0.7}) == "classification"


def test_histogram_quantiles_spread_each_bin_over_its_width():
    uniform = [{"residual": float(centre), "count": 10} for centre in range(10)]  # bins [-0.5, 9.5)
    assert histogram_quantiles(uniform, (0.1, 0.5, 0.9)) == pytest.approx([0.5, 4.5, 8.5])
    assert histogram_quantiles([{"residual": 0, "count": 5}]) is None  # one bin: no width
    assert histogram_quantiles([{"residual": 0, "count": 0}, {"residual": 1, "count": 0}]) is None
    assert histogram_quantiles({"not": "a list"}) is None


def test_regression_chart_axes_stay_plain_numbers_for_large_targets():
    """Mermaid reads no exponent: a price in the millions must not become 1e+06 on an axis."""
    bins = [{"mean_predicted": 1.2e6 + 5e4 * i, "mean_actual": 1.25e6 + 5e4 * i, "rows": 10} for i in range(20)]
    inputs = make_regression(dict(REGRESSION_METRICS))
    plots = {"predicted_vs_actual": bins}
    report = render(replace(inputs, base=replace(inputs.base, plots=plots), pr=replace(inputs.pr, plots=plots)))
    chart = re.search(r"```mermaid\n(.*?)```", report, re.S).group(1)
    assert "e+" not in chart
    assert 'x-axis "mean predicted price" 1200000 --> 2150000' in chart


@pytest.mark.parametrize("bad", [math.nan, None, "n/a", math.inf, 1e308])
def test_odd_regression_plot_values_do_not_crash_the_report(bad):
    bins = [{"mean_predicted": bad, "mean_actual": 1.0}, {"mean_predicted": -1e308, "mean_actual": bad}]
    bins += [{"mean_predicted": 1e308, "mean_actual": 2.0}, {"mean_predicted": 5.0, "mean_actual": 5.0}]
    residuals = [{"residual": bad, "count": 3}, {"residual": 1.0, "count": bad}, {"residual": 2.0, "count": -1}]
    inputs = make_regression(dict(REGRESSION_METRICS))
    odd = Results(metrics=REGRESSION_METRICS, plots={"predicted_vs_actual": bins, "residuals": residuals})
    report = render(replace(inputs, pr=odd))
    assert "#### Reproduce locally" in report


# ---------------------------------------------------------------- intervals, verdicts, tested slices


def with_intervals(metrics: dict, roc_auc: tuple[float, float], se: float = 0.002) -> dict:
    return {
        **metrics,
        "intervals": {
            "level": 0.95,
            "roc_auc": {"low": roc_auc[0], "high": roc_auc[1], "se": se, "method": "DeLong"},
            "log_loss": {"low": 0.466, "high": 0.474, "se": 0.002, "method": "bootstrap (1000)"},
        },
    }


def test_intervals_deltas_and_verdicts_in_the_metrics_table():
    pr_metrics = with_intervals({**BASE_METRICS, "roc_auc": 0.7407, "log_loss": 0.471}, (0.7371, 0.7443))
    comparison = Comparison(
        0.95,
        {
            "roc_auc": Difference("roc_auc", 0.0007, 0.0002, 0.0003, 0.0011, True, "DeLong, paired"),
            "log_loss": Difference("log_loss", 0.001, 0.004, -0.0068, 0.0088, True, "paired bootstrap (1000)"),
        },
        paired=True,
    )
    report = render(make(pr_metrics, comparison=comparison))
    roc = metric_row(report, "roc_auc")
    assert roc[:3] == ["`roc_auc`", "0.7400", "0.7407 [0.7371, 0.7443]"]
    assert roc[3] == "+0.0007 [+0.0003, +0.0011]"
    # Significant (z = 3.5) but inside the 0.005 tolerance: not a change that matters.
    assert roc[5] == "⚪ no significant change"
    assert metric_row(report, "log_loss")[5] == "⚪ no significant change"
    assert (
        "In brackets: the 95% interval on the 84,448 test rows (ROC AUC: DeLong; log loss: bootstrap (1000))" in report
    )
    assert "Δ intervals are paired: both models scored the same test rows" in report


def test_an_ungated_metric_is_judged_against_no_change():
    pr_metrics = with_intervals({**BASE_METRICS, "pr_auc": 0.48}, (0.73, 0.75))
    comparison = Comparison(0.95, {"pr_auc": Difference("pr_auc", 0.01, 0.002, 0.006, 0.014, True, "t")}, paired=True)
    assert metric_row(render(make(pr_metrics, comparison=comparison)), "pr_auc")[5] == "🟢 better"


def test_slices_are_flagged_by_their_corrected_test_and_the_correction_is_named():
    regressed = Difference("roc_auc", -0.05, 0.01, -0.07, -0.03, True, "DeLong, paired")
    noisy = Difference("roc_auc", -0.01, 0.01, -0.03, 0.01, True, "DeLong, paired")
    comparison = Comparison(
        0.95,
        {},
        [SliceChange("carrier", "AA", noisy, 0.6), SliceChange("carrier", "B6", regressed, 0.00001)],
        paired=True,
    )
    report = render(make(BASE_METRICS, comparison=comparison))
    assert (
        "1 of 2 slices regressed significantly in ROC AUC (Benjamini-Hochberg-corrected over 2 slices, at 0.05)"
        in report
    )
    assert row(report, "`carrier=B6`") == ["`carrier=B6`", "-0.0500 [-0.0700, -0.0300]", "1e-05"]
    quiet = Comparison(0.95, {}, [SliceChange("carrier", "AA", noisy, 0.6)], paired=True)
    assert "No slice regressed significantly in ROC AUC" in render(make(BASE_METRICS, comparison=quiet))
