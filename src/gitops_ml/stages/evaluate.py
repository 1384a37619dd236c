"""evaluate: score the model on the test window; write metrics, slices, plot data and figures.

reports/metrics.json holds the quality metrics the gate compares, plus the model's size and
prediction latency (measured here, in-process, so a slower model shows up in the PR report).
"""

from __future__ import annotations

import time

import joblib
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from gitops_ml import paths, schema, tracking
from gitops_ml.config import Params
from gitops_ml.features import add_time_features, model_inputs
from gitops_ml.io import read_json, read_parquet, write_json
from gitops_ml.metrics import (
    DIGITS,
    calibration_points,
    classification_metrics,
    confusion_counts,
    pr_points,
    roc_points,
    slice_metrics,
)
from gitops_ml.plots import render_all
from gitops_ml.stages import run_stage

BATCH_ROWS = 1000


def serving_metrics(model, inputs: pd.DataFrame, repeats: int) -> dict[str, float]:
    """Model size and latency of ``predict_proba``: one row at a time, and 1000-row batches."""
    row = inputs.head(1)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_proba(row)
        timings.append(time.perf_counter() - start)
    batch = inputs.head(BATCH_ROWS)
    start = time.perf_counter()
    for _ in range(5):
        model.predict_proba(batch)
    batch_seconds = (time.perf_counter() - start) / 5
    return {
        "model_size_bytes": paths.MODEL.stat().st_size,
        "latency_single_row_ms_p50": round(float(np.percentile(timings, 50)) * 1000, 3),
        "latency_single_row_ms_p99": round(float(np.percentile(timings, 99)) * 1000, 3),
        "batch_rows_per_second": round(len(batch) / batch_seconds),
    }


def feature_importance(model, inputs: pd.DataFrame, target: np.ndarray, rows: int, seed: int) -> list[dict]:
    """Permutation importance on the raw inputs: model-agnostic, in the units users reason about."""
    sample = inputs.sample(n=min(rows, len(inputs)), random_state=seed)
    result = permutation_importance(
        model, sample, target[sample.index], scoring="roc_auc", n_repeats=3, random_state=seed
    )
    ranked = sorted(zip(inputs.columns, result.importances_mean, strict=True), key=lambda item: -item[1])
    return [{"feature": name, "importance": round(float(value), DIGITS)} for name, value in ranked]


def log_to_mlflow(params: Params, run_id: str, metrics: dict) -> None:
    mlflow = tracking.configure(params.tracking.experiment_name)
    client = mlflow.tracking.MlflowClient()
    try:
        client.get_run(run_id)
    except mlflow.exceptions.MlflowException:
        run_id = None  # model trained against another store (restored from a DVC cache): new run
    with mlflow.start_run(run_id=run_id):
        mlflow.set_tags(tracking.provenance_tags("train"))
        mlflow.log_metrics({name: value for name, value in metrics.items() if np.isfinite(value)})
        for directory in (paths.PLOTS_DIR, paths.FIGURES_DIR):
            mlflow.log_artifacts(str(directory), artifact_path=directory.name)
        mlflow.log_artifact(str(paths.SLICES))


def evaluate(params: Params) -> dict:
    model = joblib.load(paths.MODEL)
    card = read_json(paths.MODEL_CARD)
    frame = read_parquet(paths.split_file("test"))
    inputs, target = model_inputs(frame), frame[schema.TARGET].to_numpy()
    score = model.predict_proba(inputs)[:, 1]
    threshold = card["threshold"]

    metrics = classification_metrics(target, score, threshold)
    metrics.update(serving_metrics(model, inputs, params.evaluate.latency_repeats))
    slices = slice_metrics(
        add_time_features(frame), target, score, threshold, list(params.evaluate.slices), params.evaluate.min_slice_rows
    )
    plots = {
        "roc": roc_points(target, score),
        "precision_recall": pr_points(target, score),
        "calibration": calibration_points(target, score),
        "confusion": confusion_counts(target, score, threshold),
        "feature_importance": feature_importance(model, inputs, target, params.evaluate.importance_rows, card["seed"]),
    }
    for name, points in plots.items():
        write_json(paths.PLOTS_DIR / f"{name}.json", points)
    render_all(plots, paths.FIGURES_DIR)
    write_json(paths.SLICES, slices)
    write_json(paths.METRICS, metrics)
    log_to_mlflow(params, card["mlflow_run_id"], metrics)
    print("evaluate: " + ", ".join(f"{k}={metrics[k]}" for k in ("roc_auc", "pr_auc", "f1", "log_loss")))
    return metrics


def main() -> None:
    run_stage(evaluate)


if __name__ == "__main__":
    main()
