"""evaluate: score the model on the test part; write metrics, slices, plot data and figures.

reports/metrics.json holds the quality metrics the gate compares, each with an interval on the
test rows (``intervals``, uncertainty.py), plus the model's size and prediction latency (measured
here, in-process, so a slower model shows up in the PR report). reports/predictions.parquet keeps
the scored test rows, so the next pull request can compare its model with this one row by row.
"""

from __future__ import annotations

import statistics

import joblib
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from gitops_ml import compiled_trees, paths, scored_rows, tracking
from gitops_ml.config import Params
from gitops_ml.features import add_time_features, model_inputs
from gitops_ml.io import read_parquet, write_json, write_parquet
from gitops_ml.metric_catalogue import QUALITY
from gitops_ml.metrics import (
    DIGITS,
    calibration_points,
    confusion_counts,
    pr_points,
    predicted_labels,
    predicted_vs_actual,
    residual_histogram,
    roc_points,
    slice_metrics,
    task_metrics,
)
from gitops_ml.model import predict
from gitops_ml.model_card import ModelCard
from gitops_ml.plots import render_all
from gitops_ml.schema import Schema
from gitops_ml.scoring import call_seconds, column_values, predictor
from gitops_ml.stages import StageError, run_stage
from gitops_ml.targets import target_values
from gitops_ml.uncertainty import Predictions, intervals_dict, metric_intervals, primary_interval

BATCH_ROWS = 1000


def serving_metrics(model, inputs: pd.DataFrame, repeats: int, schema: Schema, seed: int) -> dict[str, float]:
    """Model size and latency of a prediction on the path the service runs (scoring.predictor with
    the compiled trees, from column-wise values as a validated request holds them): one row at a
    time, and batches of 1000 rows drawn at random. Not the first rows: in a file kept in time
    order, neighbouring rows take the same branches, and the trees walk them in 0.6x the time."""
    predict_columns = predictor(model, schema, compiled_trees.load(paths.COMPILED, paths.MODEL))
    row = column_values(inputs.head(1), schema)
    timings = call_seconds(lambda: predict_columns(row), repeats)
    sample = inputs.sample(n=min(BATCH_ROWS, len(inputs)), random_state=seed)
    batch = column_values(sample, schema)
    rows = len(sample)
    # The median of 20 calls (~0.1 s): one slow call (cold caches, a busy machine) does not move it.
    batch_seconds = statistics.median(call_seconds(lambda: predict_columns(batch), 20))
    return {
        "model_size_bytes": paths.MODEL.stat().st_size,
        "latency_single_row_ms_p50": round(float(np.percentile(timings, 50)) * 1000, 3),
        "latency_single_row_ms_p99": round(float(np.percentile(timings, 99)) * 1000, 3),
        "batch_rows_per_second": round(rows / batch_seconds),
    }


# The scorer permutation importance uses per task (greater is better, as sklearn's scorers are).
IMPORTANCE_SCORING = {"classification": "roc_auc", "regression": "neg_root_mean_squared_error"}


def feature_importance(model, inputs: pd.DataFrame, target: np.ndarray, rows: int, seed: int, task: str) -> list[dict]:
    """Permutation importance on the raw inputs: model-agnostic, in the units users reason about."""
    sample = inputs.sample(n=min(rows, len(inputs)), random_state=seed)
    if task == "classification" and len(np.unique(target[sample.index])) < 2:
        return []  # ROC AUC is undefined on one class
    result = permutation_importance(
        model, sample, target[sample.index], scoring=IMPORTANCE_SCORING[task], n_repeats=3, random_state=seed
    )
    ranked = sorted(zip(inputs.columns, result.importances_mean, strict=True), key=lambda item: -item[1])
    return [{"feature": name, "importance": round(float(value), DIGITS)} for name, value in ranked]


def log_to_mlflow(params: Params, run_id: str | None, metrics: dict) -> None:
    mlflow = tracking.configure(params.experiment_name)
    client = mlflow.tracking.MlflowClient()
    try:
        client.get_run(run_id)
    except mlflow.exceptions.MlflowException:
        run_id = None  # model trained against another store (restored from a DVC cache): new run
    with mlflow.start_run(run_id=run_id):
        mlflow.set_tags(tracking.provenance_tags("train"))
        numbers = {name: value for name, value in metrics.items() if isinstance(value, int | float)}
        mlflow.log_metrics({name: value for name, value in numbers.items() if np.isfinite(value)})
        for directory in (paths.PLOTS_DIR, paths.FIGURES_DIR):
            mlflow.log_artifacts(str(directory), artifact_path=directory.name)
        mlflow.log_artifact(str(paths.SLICES))


# The plot data evaluate writes per task (reports/plots/<name>.json, reports/figures/<name>.png);
# dvc.yaml declares all of them.
PLOTS = {
    "classification": ("roc", "precision_recall", "calibration", "confusion", "feature_importance"),
    "regression": ("predicted_vs_actual", "residuals", "feature_importance"),
}


def remove_stale(directory, pattern: str, current: dict) -> None:
    """Plots of another task (the schema changed) must not linger in the reports."""
    for path in directory.glob(pattern):
        if path.stem not in current:
            path.unlink()


def plot_data(card: ModelCard, target: np.ndarray, predicted: np.ndarray) -> dict[str, list[dict]]:
    if card.task == "classification":
        if card.threshold is None:
            raise StageError("evaluate: the classification model's card has no threshold (models/model.json)")
        return {
            "roc": roc_points(target, predicted),
            "precision_recall": pr_points(target, predicted),
            "calibration": calibration_points(target, predicted),
            "confusion": confusion_counts(target, predicted, card.threshold),
        }
    return {
        "predicted_vs_actual": predicted_vs_actual(target, predicted),
        "residuals": residual_histogram(target, predicted),
    }


def scored(card: ModelCard, target: np.ndarray, predicted: np.ndarray) -> Predictions:
    label = predicted_labels(predicted, card.threshold) if card.threshold is not None else None
    return Predictions(np.asarray(target, dtype=float), np.asarray(predicted, dtype=float), label)


def evaluate(params: Params, schema: Schema) -> dict:
    model = joblib.load(paths.MODEL)
    card = ModelCard.read(paths.MODEL_CARD)
    frame = read_parquet(paths.split_file("test"))
    inputs, target = model_inputs(frame, schema), target_values(frame, schema)
    predicted = predict(model, inputs, card.task)
    rows = scored(card, target, predicted)
    settings = params.evaluate.intervals
    level, resamples, seed = settings.level, settings.resamples, settings.seed

    metrics: dict[str, object] = dict(task_metrics(card.task, target, predicted, card.threshold))
    metrics.update(serving_metrics(model, inputs, params.evaluate.latency_repeats, schema, seed))
    metrics["intervals"] = intervals_dict(metric_intervals(card.task, rows, level, resamples, seed), level)

    def slice_interval(index: np.ndarray) -> dict:
        interval = primary_interval(card.task, rows.subset(index), level, resamples, seed)
        return {"interval": interval.as_dict()} if interval is not None else {}

    sliced = add_time_features(frame, schema)
    by = list(params.evaluate.slices)
    slices = slice_metrics(
        sliced, target, predicted, by, params.evaluate.min_slice_rows, card.task, card.threshold, slice_interval
    )
    write_parquet(paths.PREDICTIONS, scored_rows.to_frame(rows, sliced[by]))
    plots = plot_data(card, target, predicted)
    plots["feature_importance"] = feature_importance(
        model, inputs, target, params.evaluate.importance_rows, card.seed or 0, card.task
    )
    for name, points in plots.items():
        write_json(paths.PLOTS_DIR / f"{name}.json", points)
    render_all(plots, paths.FIGURES_DIR, IMPORTANCE_SCORING[card.task])
    remove_stale(paths.PLOTS_DIR, "*.json", plots)
    remove_stale(paths.FIGURES_DIR, "*.png", plots)
    write_json(paths.SLICES, slices)
    write_json(paths.METRICS, metrics)
    log_to_mlflow(params, card.mlflow_run_id, metrics)
    print("evaluate: " + ", ".join(f"{k}={metrics[k]}" for k in QUALITY[card.task][:4]))
    return metrics


def main() -> None:
    run_stage(evaluate)


if __name__ == "__main__":
    main()
