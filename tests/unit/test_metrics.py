from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gitops_ml.metrics import (
    calibration_points,
    classification_metrics,
    confusion_counts,
    pr_points,
    predicted_vs_actual,
    regression_metrics,
    residual_histogram,
    roc_points,
    slice_metrics,
    task_metrics,
)

Y = np.array([0, 0, 1, 1, 0, 1, 0, 0])
SCORE = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.05])


def test_classification_metrics_match_hand_computed_values():
    m = classification_metrics(Y, SCORE, threshold=0.5)
    # labels at 0.5: [0,0,0,1,0,1,1,0] -> tp=2, fp=1, fn=1, tn=4
    assert (m["precision"], m["recall"], m["accuracy"]) == (round(2 / 3, 6), round(2 / 3, 6), 0.75)
    assert m["roc_auc"] == round(13 / 15, 6)  # 13 of 15 positive/negative pairs ranked right
    assert m["rows"] == 8 and m["positive_rate"] == 0.375


def test_one_class_slice_has_undefined_auc_not_an_error():
    with pytest.warns(UserWarning, match="class"):  # scikit-learn says AUC is undefined; no exception
        m = classification_metrics(np.zeros(5, dtype=int), np.linspace(0, 1, 5), 0.5)
    assert math.isnan(m["roc_auc"]) and m["recall"] == 0


def test_slices_skip_small_groups():
    frame = pd.DataFrame({"segment": ["a"] * 6 + ["b"] * 2})
    rows = slice_metrics(frame, Y, SCORE, ["segment"], min_rows=3, threshold=0.5)
    assert [(r["slice"], r["value"], r["rows"]) for r in rows] == [("segment", "a", 6)]
    # a group of exactly min_rows is kept
    assert len(slice_metrics(frame, Y, SCORE, ["segment"], min_rows=2, threshold=0.5)) == 2


def test_curves_are_small_fixed_grids_within_unit_square():
    roc, pr = roc_points(Y, SCORE), pr_points(Y, SCORE)
    assert len(roc) == len(pr) == 101
    tpr = [p["tpr"] for p in roc]
    assert tpr == sorted(tpr) and tpr[-1] == 1.0
    assert all(0 <= p["precision"] <= 1 for p in pr)


def test_confusion_counts_add_up():
    counts = {(c["actual"], c["predicted"]): c["count"] for c in confusion_counts(Y, SCORE, 0.5)}
    assert counts == {(0, 0): 4, (0, 1): 1, (1, 0): 1, (1, 1): 2}


def test_calibration_bins_cover_the_scores():
    points = calibration_points(np.tile(Y, 10), np.tile(SCORE, 10), bins=4)
    assert 1 <= len(points) <= 4
    assert all(0 <= p["mean_predicted"] <= 1 and 0 <= p["fraction_positive"] <= 1 for p in points)


def test_precision_recall_points_are_interpolated_so_never_rise_with_recall():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 0])  # the top-scored example is a negative
    precision = [p["precision"] for p in pr_points(y, np.linspace(0.9, 0.2, 8))]
    assert precision == sorted(precision, reverse=True)
    assert precision[0] == 1.0 and precision[-1] == 0.6  # all 3 positives are in the top 5


TRUTH = np.array([3.0, 5.0, 7.0, 9.0])
GUESS = np.array([4.0, 5.0, 6.0, 11.0])


def test_regression_metrics_match_hand_computed_values():
    m = regression_metrics(TRUTH, GUESS)
    # errors 1, 0, 1, 2: squared 1, 0, 1, 4 -> mean 1.5
    assert m["rmse"] == round(1.5**0.5, 6) and m["mae"] == 1.0
    assert m["baseline_rmse"] == round(np.std(TRUTH), 6) and m["target_mean"] == 6.0
    assert m["r2"] == round(1 - 6 / 20, 6)  # residual sum of squares 6, total 20
    assert m["rows"] == 4


def test_a_perfect_regression_and_the_mean_predictor_bracket_r2():
    assert regression_metrics(TRUTH, TRUTH)["r2"] == 1.0 and regression_metrics(TRUTH, TRUTH)["rmse"] == 0
    mean = regression_metrics(TRUTH, np.full(4, TRUTH.mean()))
    assert mean["r2"] == 0.0 and mean["rmse"] == mean["baseline_rmse"]


def test_empty_regression_slice_is_nan_not_an_error():
    m = regression_metrics(np.array([]), np.array([]))
    assert math.isnan(m["rmse"]) and m["rows"] == 0


def test_task_metrics_picks_by_task():
    assert "roc_auc" in task_metrics("classification", Y, SCORE, 0.5)
    assert "rmse" in task_metrics("regression", TRUTH, GUESS, None)


def test_regression_slices_carry_regression_metrics():
    frame = pd.DataFrame({"segment": ["a", "a", "b", "b"]})
    rows = slice_metrics(frame, TRUTH, GUESS, ["segment"], min_rows=2, task="regression")
    assert [(r["value"], r["rmse"]) for r in rows] == [("a", round(0.5**0.5, 6)), ("b", round(2.5**0.5, 6))]


def test_predicted_vs_actual_bins_are_ordered_and_count_every_row():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=1000)
    points = predicted_vs_actual(truth, truth + rng.normal(scale=0.1, size=1000), bins=10)
    assert sum(p["rows"] for p in points) == 1000 and len(points) == 10
    predicted = [p["mean_predicted"] for p in points]
    assert predicted == sorted(predicted)
    assert all(abs(p["mean_actual"] - p["mean_predicted"]) < 0.1 for p in points)


def test_residual_histogram_counts_every_row_outliers_clipped_in():
    truth = np.concatenate([np.zeros(98), [1000.0, -1000.0]])
    counts = residual_histogram(truth, np.zeros(100), bins=5)
    assert sum(p["count"] for p in counts) == 100 and len(counts) == 5


# Exact values on inputs small enough to check by hand: they fail when a metric, its rounding,
# the threshold's boundary (score >= threshold is positive) or a curve's grid changes.

import math as _math  # noqa: E402

import pandas as _pd  # noqa: E402

from gitops_ml import metrics as _m  # noqa: E402

HAND_Y, HAND_SCORE = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def test_classification_metrics_by_hand_with_a_score_exactly_at_the_threshold():
    log_loss = -(_math.log(0.9) + _math.log(0.6) + _math.log(0.35) + _math.log(0.8)) / 4
    assert _m.classification_metrics(HAND_Y, HAND_SCORE, 0.35) == {
        "roc_auc": 0.75,  # 3 of the 4 (negative, positive) pairs are ordered right
        "pr_auc": 0.833333,  # 0.5 * 1 + 0.5 * 2/3
        "f1": 0.8,  # 0.35 counts as positive: TP 2, FP 1, FN 0
        "precision": 0.666667,
        "recall": 1.0,
        "accuracy": 0.75,
        "log_loss": round(log_loss, 6),
        "brier": 0.158125,  # (0.01 + 0.16 + 0.4225 + 0.04) / 4
        "positive_rate": 0.5,
        "rows": 4,
    }


def test_task_metrics_defaults_the_threshold_to_one_half():
    assert _m.task_metrics("classification", HAND_Y, HAND_SCORE, None)["recall"] == 0.5
    assert _m.task_metrics("regression", [1, 2], [1, 2], None)["rmse"] == 0.0


def test_undefined_metrics_are_nan_not_errors():
    one_class = _m.classification_metrics([1, 1], [0.2, 0.9], 0.5)
    assert _math.isnan(one_class["roc_auc"]) and one_class["pr_auc"] == 1.0 and one_class["accuracy"] == 0.5


def test_regression_metrics_by_hand():
    assert _m.regression_metrics([1, 2, 3, 4], [1, 2, 3, 6]) == {
        "rmse": 1.0,
        "mae": 0.5,
        "r2": 0.2,  # 1 - 4 / 5
        "baseline_rmse": 1.118034,  # sqrt(5 / 4)
        "target_mean": 2.5,
        "rows": 4,
    }
    single = _m.regression_metrics([1], [2])
    assert _math.isnan(single["r2"]) and {k: v for k, v in single.items() if k != "r2"} == {
        "rmse": 1.0,
        "mae": 1.0,
        "baseline_rmse": 0.0,
        "target_mean": 1.0,
        "rows": 1,
    }
    empty = _m.regression_metrics([], [])
    assert empty["rows"] == 0 and all(_math.isnan(v) for k, v in empty.items() if k != "rows")
    assert set(empty) == set(single)


def test_slices_keep_groups_of_exactly_min_rows_sorted_by_value():
    frame = _pd.DataFrame({"g": ["b", "b", "a", "a", "a", "c"]})
    rows = _m.slice_metrics(frame, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7], ["g"], 2, "regression", None)
    assert [(r["slice"], r["value"], r["rows"], r["target_mean"]) for r in rows] == [
        ("g", "a", 3, 4.0),
        ("g", "b", 2, 1.5),
    ]
    classified = _m.slice_metrics(_pd.DataFrame({"g": [1, 1, 1, 1]}), HAND_Y, HAND_SCORE, ["g"], 4, threshold=0.35)
    assert classified == [{"slice": "g", "value": "1", **_m.classification_metrics(HAND_Y, HAND_SCORE, 0.35)}]


def test_curves_on_a_small_grid():
    assert _m.roc_points(HAND_Y, HAND_SCORE, 5) == [
        {"fpr": 0.0, "tpr": 0.5},
        {"fpr": 0.25, "tpr": 0.5},
        {"fpr": 0.5, "tpr": 1.0},
        {"fpr": 0.75, "tpr": 1.0},
        {"fpr": 1.0, "tpr": 1.0},
    ]
    assert _m.pr_points(HAND_Y, HAND_SCORE, 5) == [
        {"recall": 0.0, "precision": 1.0},
        {"recall": 0.25, "precision": 1.0},
        {"recall": 0.5, "precision": 1.0},
        {"recall": 0.75, "precision": 0.6667},
        {"recall": 1.0, "precision": 0.6667},
    ]
    assert _m.calibration_points(HAND_Y, HAND_SCORE, 2) == [
        {"mean_predicted": 0.225, "fraction_positive": 0.5},
        {"mean_predicted": 0.6, "fraction_positive": 0.5},
    ]
    assert _m.confusion_counts(HAND_Y, HAND_SCORE, 0.35) == [
        {"actual": 0, "predicted": 0, "count": 1},
        {"actual": 0, "predicted": 1, "count": 1},
        {"actual": 1, "predicted": 0, "count": 0},
        {"actual": 1, "predicted": 1, "count": 2},
    ]


def test_regression_plots_on_small_inputs():
    assert _m.predicted_vs_actual([1, 2, 3, 4], [1, 2, 3, 6], 2) == [
        {"mean_predicted": 1.5, "mean_actual": 1.5, "rows": 2},
        {"mean_predicted": 4.5, "mean_actual": 3.5, "rows": 2},
    ]
    assert _m.residual_histogram([1, 2, 3, 4], [1, 2, 3, 6], 2) == [
        {"residual": -1.455, "count": 1},  # bins span the 1st..99th percentile of [0, 0, 0, -2]
        {"residual": -0.485, "count": 3},
    ]
    # All residuals equal: the bins widen to one unit around them instead of collapsing.
    assert _m.residual_histogram([1, 2], [1, 2], 2) == [{"residual": -0.25, "count": 0}, {"residual": 0.25, "count": 2}]
    assert _m.residual_histogram([], [], 2) == [{"residual": -0.25, "count": 0}, {"residual": 0.25, "count": 0}]


def test_undefined_ratios_are_zero_and_one_class_still_has_a_log_loss_and_brier():
    nothing_predicted = _m.classification_metrics([0, 1], [0.1, 0.2], 0.5)
    assert (nothing_predicted["precision"], nothing_predicted["recall"], nothing_predicted["f1"]) == (0.0, 0.0, 0.0)
    negatives_only = _m.classification_metrics([0, 0], [0.1, 0.6], 0.5)
    assert negatives_only["recall"] == 0.0 and negatives_only["precision"] == 0.0
    assert negatives_only["log_loss"] == round(-(_math.log(0.9) + _math.log(0.4)) / 2, 6)
    assert negatives_only["brier"] == 0.185  # (0.01 + 0.36) / 2
    assert negatives_only["positive_rate"] == 0.0 and negatives_only["rows"] == 2
    assert isinstance(negatives_only["rows"], int)
