"""Quality metrics, per-slice metrics and curve data: pure functions of targets and predictions.

Classification works on 0/1 targets and the positive class's probability; regression on the
numbers. ``task_metrics`` picks by task; metric_catalogue.py says which way each one is better.
"""

from __future__ import annotations

from collections.abc import Callable

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


def predicted_labels(score: np.ndarray, threshold: float) -> np.ndarray:
    """The predicted class (0/1): positive from the threshold up."""
    return (np.asarray(score, dtype=float) >= threshold).astype(int)


def classification_metrics(y_true: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    y_true = np.asarray(y_true)
    score = np.asarray(score, dtype=float)
    label = predicted_labels(score, threshold)
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


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R², and the RMSE of always predicting the test mean (what R² compares with)."""
    y_true = np.asarray(y_true, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if not len(y_true):
        nan = float("nan")
        return {"rmse": nan, "mae": nan, "r2": nan, "baseline_rmse": nan, "target_mean": nan, "rows": 0}
    values = {
        "rmse": float(np.sqrt(np.mean((y_true - predicted) ** 2))),
        "mae": float(np.mean(np.abs(y_true - predicted))),
        "r2": _safe(skm.r2_score, y_true, predicted) if len(y_true) > 1 else float("nan"),
        "baseline_rmse": float(np.std(y_true)),
        "target_mean": float(np.mean(y_true)),
    }
    rounded = {name: round(value, DIGITS) for name, value in values.items()}
    return {**rounded, "rows": len(y_true)}


def task_metrics(task: str, y_true: np.ndarray, predicted: np.ndarray, threshold: float | None) -> dict[str, float]:
    if task == "classification":
        return classification_metrics(y_true, predicted, threshold if threshold is not None else 0.5)
    return regression_metrics(y_true, predicted)


def slice_metrics(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predicted: np.ndarray,
    by: list[str],
    min_rows: int,
    task: str = "classification",
    threshold: float | None = 0.5,
    extra: Callable[[np.ndarray], dict] | None = None,
) -> list[dict]:
    """Metrics per value of each slicing column, for groups with at least ``min_rows`` rows.

    ``extra(rows)`` adds to a slice's entry what else is known of its rows (evaluate: an interval)."""
    y_true = np.asarray(y_true)
    predicted = np.asarray(predicted, dtype=float)
    rows = []
    for column in by:
        for value, index in frame.groupby(column, sort=True).indices.items():
            if len(index) < min_rows:
                continue
            values = task_metrics(task, y_true[index], predicted[index], threshold)
            rows.append({"slice": column, "value": str(value), **values, **(extra(index) if extra else {})})
    return rows


def predicted_vs_actual(y_true: np.ndarray, predicted: np.ndarray, bins: int = 20) -> list[dict]:
    """Mean actual and mean predicted per quantile bin of the prediction: a small, diffable calibration
    curve for regression (a perfect model lies on the diagonal)."""
    y_true = np.asarray(y_true, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    edges = np.unique(np.quantile(predicted, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, max(len(edges) - 2, 0))
    points = []
    for b in np.unique(which):
        mask = which == b
        points.append(
            {
                "mean_predicted": round(float(predicted[mask].mean()), 4),
                "mean_actual": round(float(y_true[mask].mean()), 4),
                "rows": int(mask.sum()),
            }
        )
    return points


def residual_histogram(y_true: np.ndarray, predicted: np.ndarray, bins: int = 30) -> list[dict]:
    """Counts of actual - predicted, on bins spanning the 1st to 99th percentile (outliers clipped in)."""
    residual = np.asarray(y_true, dtype=float) - np.asarray(predicted, dtype=float)
    low, high = np.percentile(residual, [1, 99]) if len(residual) else (0.0, 0.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(np.clip(residual, low, high), bins=bins, range=(low, high))
    centres = (edges[:-1] + edges[1:]) / 2
    return [{"residual": round(float(c), 4), "count": int(n)} for c, n in zip(centres, counts, strict=True)]


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
        {"mean_predicted": round(float(p), 4), "fraction_positive": round(float(o), 4)}
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
