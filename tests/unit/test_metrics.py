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
    roc_points,
    slice_metrics,
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
    frame = pd.DataFrame({"origin": ["EWR"] * 6 + ["JFK"] * 2})
    rows = slice_metrics(frame, Y, SCORE, 0.5, ["origin"], min_rows=3)
    assert [(r["slice"], r["value"], r["rows"]) for r in rows] == [("origin", "EWR", 6)]


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
    assert all(0 <= p["mean_predicted"] <= 1 and 0 <= p["fraction_delayed"] <= 1 for p in points)


def test_precision_recall_points_are_interpolated_so_never_rise_with_recall():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 0])  # the top-scored example is a negative
    precision = [p["precision"] for p in pr_points(y, np.linspace(0.9, 0.2, 8))]
    assert precision == sorted(precision, reverse=True)
    assert precision[0] == 1.0 and precision[-1] == 0.6  # all 3 positives are in the top 5
