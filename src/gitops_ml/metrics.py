"""Quality metrics, per-slice metrics and curve data: pure functions of labels and scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

DIGITS = 6


def _safe(fn, *args, **kwargs) -> float:
    """A metric that is undefined for this data (one class only) is NaN, not an exception."""
    try:
        return float(fn(*args, **kwargs))
    except ValueError:
        return float("nan")


def classification_metrics(y_true: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    y_true = np.asarray(y_true)
    score = np.asarray(score, dtype=float)
    label = (score >= threshold).astype(int)
    values = {
        "roc_auc": _safe(skm.roc_auc_score, y_true, score),
        "pr_auc": _safe(skm.average_precision_score, y_true, score),
        "f1": skm.f1_score(y_true, label, zero_division=0),
        "precision": skm.precision_score(y_true, label, zero_division=0),
        "recall": skm.recall_score(y_true, label, zero_division=0),
        "accuracy": skm.accuracy_score(y_true, label),
        "log_loss": _safe(skm.log_loss, y_true, score, labels=[0, 1]),
        "brier": skm.brier_score_loss(y_true, score, pos_label=1),
        "positive_rate": float(y_true.mean()) if len(y_true) else float("nan"),
        "rows": len(y_true),
    }
    return {name: round(float(value), DIGITS) if name != "rows" else value for name, value in values.items()}


def slice_metrics(
    frame: pd.DataFrame, y_true: np.ndarray, score: np.ndarray, threshold: float, by: list[str], min_rows: int
) -> list[dict]:
    """Metrics per value of each slicing column, for groups with at least ``min_rows`` rows."""
    y_true = np.asarray(y_true)
    score = np.asarray(score, dtype=float)
    rows = []
    for column in by:
        for value, index in frame.groupby(column, sort=True).indices.items():
            if len(index) < min_rows:
                continue
            values = classification_metrics(y_true[index], score[index], threshold)
            rows.append({"slice": column, "value": str(value), **values})
    return rows


def roc_points(y_true: np.ndarray, score: np.ndarray, points: int = 101) -> list[dict]:
    """The ROC curve on a fixed grid of false positive rates: small, and diffable between runs."""
    fpr, tpr, _ = skm.roc_curve(y_true, score)
    grid = np.linspace(0, 1, points)
    return [
        {"fpr": round(x, 4), "tpr": round(float(y), 4)}
        for x, y in zip(grid.tolist(), np.interp(grid, fpr, tpr), strict=True)
    ]


def pr_points(y_true: np.ndarray, score: np.ndarray, points: int = 101) -> list[dict]:
    """Interpolated precision (the best precision at this recall or higher) on a fixed recall grid.

    The standard monotone form: the raw curve's saw-tooth, and its precision-0 points at recall 0
    when the top-scored example is negative, say nothing about the model.
    """
    precision, recall, _ = skm.precision_recall_curve(y_true, score)
    order = np.argsort(recall, kind="stable")
    recall, precision = recall[order], np.maximum.accumulate(precision[order][::-1])[::-1]
    grid = np.linspace(0, 1, points)
    at = np.searchsorted(recall, grid, side="left").clip(max=len(recall) - 1)
    return [
        {"recall": round(r, 4), "precision": round(float(p), 4)}
        for r, p in zip(grid.tolist(), precision[at], strict=True)
    ]


def calibration_points(y_true: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict]:
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(y_true, score, n_bins=bins, strategy="quantile")
    return [
        {"mean_predicted": round(float(p), 4), "fraction_delayed": round(float(o), 4)}
        for p, o in zip(predicted, observed, strict=True)
    ]


def confusion_counts(y_true: np.ndarray, score: np.ndarray, threshold: float) -> list[dict]:
    label = (np.asarray(score) >= threshold).astype(int)
    matrix = skm.confusion_matrix(y_true, label, labels=[0, 1])
    return [
        {"actual": actual, "predicted": predicted, "count": int(matrix[actual, predicted])}
        for actual in (0, 1)
        for predicted in (0, 1)
    ]
