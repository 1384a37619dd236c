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
