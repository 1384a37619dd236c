"""Every number in reports/metrics.json: its name, which way is better, its unit, its task.

The one list the gate, the config, the report and the drift check read. A leaf module: it
imports nothing of the package, so anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["classification", "regression"]
TARGET_UNITS = "target units"  # the unit of metrics measured like the target (RMSE, MAE)


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool | None  # None: descriptive (the test set itself), neither better nor worse
    label: str
    unit: str = ""
    tasks: tuple[Task, ...] = ("classification", "regression")


CLASSIFICATION: tuple[Task, ...] = ("classification",)
REGRESSION: tuple[Task, ...] = ("regression",)

METRICS: tuple[Metric, ...] = (
    # binary classification, from the positive class's probability
    Metric("roc_auc", True, "ROC AUC", tasks=CLASSIFICATION),
    Metric("pr_auc", True, "PR AUC", tasks=CLASSIFICATION),
    Metric("f1", True, "F1", tasks=CLASSIFICATION),
    Metric("precision", True, "precision", tasks=CLASSIFICATION),
    Metric("recall", True, "recall", tasks=CLASSIFICATION),
    Metric("accuracy", True, "accuracy", tasks=CLASSIFICATION),
    Metric("log_loss", False, "log loss", tasks=CLASSIFICATION),
    Metric("brier", False, "Brier score", tasks=CLASSIFICATION),
    Metric("positive_rate", None, "positive rate", tasks=CLASSIFICATION),
    # regression
    Metric("rmse", False, "RMSE", TARGET_UNITS, tasks=REGRESSION),
    Metric("mae", False, "MAE", TARGET_UNITS, tasks=REGRESSION),
    Metric("r2", True, "R²", tasks=REGRESSION),
    Metric("baseline_rmse", None, "RMSE of the mean", TARGET_UNITS, tasks=REGRESSION),
    Metric("target_mean", None, "target mean", TARGET_UNITS, tasks=REGRESSION),
    # both
    Metric("rows", None, "test rows"),
    Metric("model_size_bytes", False, "model size", "bytes"),
    Metric("latency_single_row_ms_p50", False, "latency p50, 1 row", "ms"),
    Metric("latency_single_row_ms_p99", False, "latency p99, 1 row", "ms"),
    Metric("batch_rows_per_second", True, "batch throughput", "rows/s"),
)

BY_NAME = {metric.name: metric for metric in METRICS}

# Which way is better, for every gateable number (descriptive metrics are left out).
HIGHER_IS_BETTER = {metric.name: metric.higher_is_better for metric in METRICS if metric.higher_is_better is not None}
CONTEXT_METRICS = tuple(metric.name for metric in METRICS if metric.higher_is_better is None)

# The one number a task is judged by first (slices, drift's performance check, the report's headline).
PRIMARY = {"classification": "roc_auc", "regression": "rmse"}
# Quality metrics the report lists for a task, in this order.
QUALITY = {
    "classification": ("roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy", "log_loss", "brier"),
    "regression": ("rmse", "mae", "r2"),
}
SERVING = ("model_size_bytes", "latency_single_row_ms_p50", "latency_single_row_ms_p99", "batch_rows_per_second")


def for_task(task: Task) -> tuple[Metric, ...]:
    return tuple(metric for metric in METRICS if task in metric.tasks)


def check_names(names: list[str] | set[str], task: Task | None = None) -> list[str]:
    """The names that are not gateable (for ``task``, when given): what a config error lists."""
    known = {metric.name for metric in (for_task(task) if task else METRICS) if metric.higher_is_better is not None}
    return sorted(set(names) - known)


def task_of(pr_card: object, base_card: object, metrics: object) -> Task:
    """The PR model card's task, else the base's, else what the metrics say (``rmse`` means regression).

    Tolerant of anything a hand-edited or older file might hold: the report and the gate must not
    crash on it."""
    for card in (pr_card, base_card):
        task = card.get("task") if isinstance(card, dict) else None
        if task in QUALITY:
            return task
    return "regression" if isinstance(metrics, dict) and "rmse" in metrics else "classification"
