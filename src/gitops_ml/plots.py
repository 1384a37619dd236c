"""PNG renderings of the evaluation plots, for reports and the workflow artifact.

The same data is declared under ``plots:`` in dvc.yaml for ``dvc plots show/diff``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI runners and servers have no display
import matplotlib.pyplot as plt

from gitops_ml.io import write_with


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    write_with(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100))
    plt.close(figure)


def _line(points: list[dict], x: str, y: str, title: str, diagonal: bool, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    axis.plot([p[x] for p in points], [p[y] for p in points], marker="." if len(points) < 30 else None)
    if diagonal:
        axis.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axis.set(xlabel=x, ylabel=y, title=title, xlim=(0, 1), ylim=(0, 1))
    _save(figure, path)


def _axis_range(points: list[dict], *names: str) -> tuple[float, float]:
    values = [p[name] for p in points for name in names]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 1.0
    return low - pad, high + pad


def _confusion(confusion: list[dict], path: Path) -> None:
    counts = {(c["actual"], c["predicted"]): c["count"] for c in confusion}
    figure, axis = plt.subplots(figsize=(4, 3.5))
    grid = [[counts[(a, p)] for p in (0, 1)] for a in (0, 1)]
    axis.imshow(grid, cmap="Blues")
    for a in (0, 1):
        for p in (0, 1):
            axis.text(p, a, f"{grid[a][p]:,}", ha="center", va="center")
    axis.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="actual", title="Confusion matrix")
    _save(figure, path)


def _importance(importance: list[dict], metric: str, path: Path) -> None:
    importance = importance[::-1]
    figure, axis = plt.subplots(figsize=(5, 0.3 * len(importance) + 1))
    axis.barh([i["feature"] for i in importance], [i["importance"] for i in importance])
    axis.set(xlabel=f"worsening of {metric} when shuffled", title="Permutation importance")
    _save(figure, path)


def _predicted_vs_actual(points: list[dict], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    low, high = _axis_range(points, "mean_predicted", "mean_actual")
    axis.plot([p["mean_predicted"] for p in points], [p["mean_actual"] for p in points], marker=".")
    axis.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=1)
    axis.set(xlabel="mean predicted", ylabel="mean actual", title="Predicted vs actual")
    axis.set(xlim=(low, high), ylim=(low, high))
    _save(figure, path)


def _residuals(points: list[dict], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(4.5, 4))
    centres = [p["residual"] for p in points]
    width = (centres[1] - centres[0]) if len(centres) > 1 else 1.0
    axis.bar(centres, [p["count"] for p in points], width=width)
    axis.axvline(0, linestyle="--", color="grey", linewidth=1)
    axis.set(xlabel="actual - predicted", ylabel="rows", title="Residuals")
    _save(figure, path)


def render_all(data: dict[str, list[dict]], directory: Path, importance_metric: str = "roc_auc") -> None:
    """A PNG per plot present in ``data`` (the evaluate stage writes the task's plots)."""
    if "roc" in data:
        _line(data["roc"], "fpr", "tpr", "ROC curve", True, directory / "roc.png")
    if "precision_recall" in data:
        pr_file = directory / "precision_recall.png"
        _line(data["precision_recall"], "recall", "precision", "Precision-recall", False, pr_file)
    if "calibration" in data:
        calibration_file = directory / "calibration.png"
        _line(data["calibration"], "mean_predicted", "fraction_positive", "Calibration", True, calibration_file)
    if "confusion" in data:
        _confusion(data["confusion"], directory / "confusion.png")
    if "predicted_vs_actual" in data:
        _predicted_vs_actual(data["predicted_vs_actual"], directory / "predicted_vs_actual.png")
    if "residuals" in data:
        _residuals(data["residuals"], directory / "residuals.png")
    if data.get("feature_importance"):
        _importance(data["feature_importance"], importance_metric, directory / "feature_importance.png")
